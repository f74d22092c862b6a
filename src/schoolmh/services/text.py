"""Folding text for search: "zoe" finds "Zoë", "oconnor" finds "O'Connor".

One function decides what counts as "the same letters", so the stored
``Pupil.search_text`` and every query are folded identically; if they were
folded by two different rules, some pupils would silently become unfindable.
"""
from __future__ import annotations

import re
import unicodedata

__all__ = ["fold", "search_words", "search_key"]

# Letters NFKD does not split into base + accent, but that people type without it.
_EXTRA = str.maketrans({
    "ø": "o", "Ø": "o", "ł": "l", "Ł": "l", "đ": "d", "Đ": "d", "ð": "d", "Ð": "d",
    "þ": "th", "Þ": "th", "æ": "ae", "Æ": "ae", "œ": "oe", "Œ": "oe", "ı": "i", "ħ": "h",
})
# Apostrophes and look-alikes are dropped, not turned into spaces: O'Connor -> oconnor.
_APOSTROPHES = str.maketrans("", "", "'’‘ʼʻ`´")
_NOT_WORD = re.compile(r"[\W_]+")  # "_" too: it is a LIKE wildcard, and never in a name


def fold(text: str) -> str:
    """Case- and accent-insensitive form of ``text``.

    NFKD splits "ë" into "e" plus a combining mark, which is dropped; casefold
    handles "ß" -> "ss"; apostrophes vanish so "O'Connor", "O’Connor" and
    "OConnor" all become "oconnor". Other punctuation is kept (see search_words).
    """
    if not text:
        return ""
    decomposed = unicodedata.normalize("NFKD", text.translate(_EXTRA))
    stripped = "".join(ch for ch in decomposed if not unicodedata.combining(ch))
    return stripped.casefold().translate(_APOSTROPHES)


def search_words(text: str) -> list[str]:
    """``text`` folded and split into words at spaces and punctuation ("Smith-Jones" -> smith, jones)."""
    return [w for w in _NOT_WORD.split(fold(text)) if w]


def search_key(*parts: str) -> str:
    """The stored search text for a record: its parts' words, space separated.

    Stored with a leading and trailing space so a query can ask for a word start
    (" smi") as well as anywhere in a word.
    """
    words: list[str] = []
    for part in parts:
        words.extend(search_words(part or ""))
    return " " + " ".join(words) + " " if words else ""
