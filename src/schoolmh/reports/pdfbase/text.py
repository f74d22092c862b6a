"""User text into reportlab paragraphs: escaping, script fallback fonts and right-to-left order."""
from __future__ import annotations

import functools
import re
import unicodedata
from collections.abc import Sequence
from xml.sax.saxutils import escape as _xml_escape

from reportlab.lib.styles import ParagraphStyle
from reportlab.platypus import Paragraph

from . import fonts as _fonts
from .fonts import (
    _COMPLEX_RANGES,
    _LAST_RESORT,
    _MIRROR,
    _RTL_RANGES,
    _SCRIPT_FONTS,
    _face_name,
    _Fallback,
    _has,
    _in,
    _main_cmap,
)
from .look import styles

class Markup(str):
    """Trusted reportlab markup, passed to ``para`` verbatim (never user text)."""

    __slots__ = ()


# C0 controls but tab and line breaks, DEL, and the bidirectional embeddings, overrides and isolates,
# which would reorder what a reader sees (para handles right-to-left order itself).
_CONTROL = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f\u202a-\u202e\u2066-\u2069]")
# Split on the whitespace reportlab breaks lines at (not no-break spaces).
_SPACES = re.compile(r"([ \t\r\f\v\u2000-\u2006\u2008-\u200a\u2028\u2029\u205f\u3000]+)")


@functools.lru_cache(maxsize=8192)
def _strong_font(ch: str) -> _Fallback | None | bool:
    """Font for a letter: a fallback, None for the main font, or False if weak.

    Weak characters (digits, punctuation, symbols, joiners, combining marks)
    take the font of the letters around them where that font has them, so a
    word stays in one font as far as possible (HarfBuzz shapes a word with one
    font).
    """
    cp = ord(ch)
    cat = unicodedata.category(ch)
    main = _main_cmap()
    for fb in _SCRIPT_FONTS:
        if _in(cp, fb.ranges):
            if _has(fb, cp):
                return fb if cat[0] in "LM" or cat == "Nd" else False
            break
    if cat[0] not in "L" and cp in main:
        return False
    if cp in main:
        return None
    if _has(_LAST_RESORT, cp):
        return _LAST_RESORT
    return None  # nothing has it: the main font's missing-glyph box


def _segment_word(word: str) -> list[tuple[_Fallback | None, str]]:
    """Split one word into (font, text) runs; None is the main font."""
    strong = [_strong_font(ch) for ch in word]
    fonts: list[_Fallback | None] = []
    for i, (ch, f) in enumerate(zip(word, strong)):
        if f is not False:
            fonts.append(f)
            continue
        cp = ord(ch)
        # nearest strong font before, then after, that has this character
        before = next((strong[j] for j in range(i - 1, -1, -1) if strong[j] is not False), False)
        after = next((strong[j] for j in range(i + 1, len(word)) if strong[j] is not False), False)
        chosen: _Fallback | None = None
        for cand in (before, after):
            if isinstance(cand, _Fallback) and _has(cand, cp):
                chosen = cand
                break
            if cand is None:
                chosen = None
                break
        if chosen is None and cp not in _main_cmap():
            for fb in _SCRIPT_FONTS:
                if _in(cp, fb.ranges) and _has(fb, cp):
                    chosen = fb
        fonts.append(chosen)
    runs: list[tuple[_Fallback | None, str]] = []
    for ch, f in zip(word, fonts):
        if runs and runs[-1][0] is f:
            runs[-1] = (f, runs[-1][1] + ch)
        else:
            runs.append((f, ch))
    return runs


def _is_rtl_letter(ch: str) -> bool:
    return unicodedata.category(ch)[0] == "L" and _in(ord(ch), _RTL_RANGES)


def _is_ltr_letter(ch: str) -> bool:
    return unicodedata.category(ch)[0] == "L" and not _in(ord(ch), _RTL_RANGES)


def _word_direction(word: str) -> str:
    rtl = any(_is_rtl_letter(c) for c in word)
    ltr = any(_is_ltr_letter(c) for c in word)
    if rtl and not ltr:
        return "rtl"
    if ltr and not rtl:
        return "ltr"
    return "mixed" if rtl else "neutral"


def _reverse_clusters(word: str) -> str:
    """Visual order for an unshaped right-to-left word: reverse base+marks clusters."""
    clusters: list[str] = []
    for ch in word:
        if clusters and unicodedata.category(ch)[0] == "M":
            clusters[-1] += ch
        else:
            clusters.append(ch)
    return "".join(reversed(clusters)).translate(_MIRROR)


_RTL_RUN = re.compile(r"[\u0590-\u08ff\ufb1d-\ufdff\ufe70-\ufeff]"
                      r"(?:[^A-Za-z\u00c0-\u024f]*[\u0590-\u08ff\ufb1d-\ufdff\ufe70-\ufeff])?")


def _reverse_rtl_runs(word: str) -> str:
    """Visual order for an unshaped word mixing scripts ("Ahmed-محمد"): each
    right-to-left stretch is reversed in place, the rest is left as it is."""
    return _RTL_RUN.sub(lambda m: _reverse_clusters(m.group(0)), word)


def _needs_shaping(text: str) -> bool:
    return any(_in(ord(c), _COMPLEX_RANGES) for c in text)


def _visual_words(pieces: list[str]) -> list[str]:
    """Put runs of right-to-left words (with neutral words between) in visual order.

    ``pieces`` alternates word, spaces, word, ...; the result has the same shape.
    """
    words = pieces[0::2]
    spaces = pieces[1::2]
    dirs = [_word_direction(w) for w in words]
    out_words = list(words)
    i = 0
    while i < len(words):
        if dirs[i] != "rtl":
            i += 1
            continue
        j = i
        # extend over neutral words only when another rtl word follows them
        k = i + 1
        while k < len(words) and dirs[k] in ("rtl", "neutral"):
            if dirs[k] == "rtl":
                j = k
            k += 1
        out_words[i:j + 1] = list(reversed(words[i:j + 1]))
        i = j + 1
    result: list[str] = []
    for n, w in enumerate(out_words):
        result.append(w)
        if n < len(spaces):
            result.append(spaces[n])
    return result


def _render_text(text: str, *, bold: bool, shaped: bool) -> str:
    """Escaped reportlab markup for user text, with fallback-font runs."""
    text = _CONTROL.sub("", text).replace("\r\n", "\n").replace("\r", "\n")
    lines = text.split("\n")
    out_lines = []
    for line in lines:
        pieces = _SPACES.split(line)
        pieces = _visual_words(pieces)
        out: list[str] = []
        for n, piece in enumerate(pieces):
            if n % 2:  # whitespace
                out.append(_xml_escape(piece))
                continue
            direction = _word_direction(piece)
            if not shaped and direction == "rtl":
                piece = _reverse_clusters(piece)
            elif not shaped and direction == "mixed":
                piece = _reverse_rtl_runs(piece)
            elif shaped and direction == "neutral" and any(_in(ord(c), _RTL_RANGES) for c in piece):
                # e.g. Arabic-Indic digits: HarfBuzz guesses the Arabic script,
                # shapes right to left and would reverse "34"; numbers read
                # left to right, so hand it the reverse.
                piece = piece[::-1]
            for fb, run in _segment_word(piece):
                esc = _xml_escape(run)
                if fb is None:
                    out.append(esc)
                else:
                    out.append(f'<font name="{_face_name(fb, bold)}">{esc}</font>')
        out_lines.append("".join(out))
    return "<br/>".join(out_lines)


def _shaping_ok(texts: Sequence[str]) -> bool:
    """Shape only where needed and safe: reportlab shapes a word with the font of
    its first character, so a word that mixes fonts must not be shaped."""
    if not _fonts.SHAPING_AVAILABLE or not any(_needs_shaping(t) for t in texts):
        return False
    for t in texts:
        for word in _SPACES.split(t)[0::2]:
            if word and len({id(f) for f, _ in _segment_word(word)}) > 1:
                return False
    return True


def _style_is_bold(style: ParagraphStyle) -> bool:
    from reportlab.lib.fonts import ps2tt

    try:
        return bool(ps2tt(style.fontName)[1])
    except ValueError:
        return False


@functools.cache
def _shaped_variant(style: ParagraphStyle) -> ParagraphStyle:
    return ParagraphStyle(style.name + "+shaped", parent=style, shaping=1)


def para(text: str | Markup | Sequence[str | Markup], style: ParagraphStyle | str = "body") -> Paragraph:
    """A Paragraph from user text (escaped, with script fallback fonts).

    ``text`` may be plain text, a trusted ``Markup``, or a sequence mixing both
    (e.g. ``[Markup("<b>Pupil:</b> "), name]``); plain strings are always
    escaped. Keep a space between trusted markup and user text so a word is not
    split across them. Newlines in user text become line breaks. ``style`` is a
    ParagraphStyle or the name of one in ``styles()``.
    """
    st = styles()[style] if isinstance(style, str) else style
    parts: Sequence[str] = [text] if isinstance(text, str) else list(text)
    plain = [p for p in parts if not isinstance(p, Markup)]
    shaped = _shaping_ok(plain)
    bold = _style_is_bold(st)
    markup = "".join(
        p if isinstance(p, Markup) else _render_text(p, bold=bold, shaped=shaped) for p in parts
    )
    return Paragraph(markup, _shaped_variant(st) if shaped else st)
