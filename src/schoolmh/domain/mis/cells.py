"""Making one imported cell safe to keep and show, and one exported cell safe to open.

``clean_cell`` runs on every cell of every imported file (the pupil list here; the
sessions, measures and activities files through services.csv_rows), headers
included, before anything else looks at it:

* C0 control characters (U+0000-U+001F) and DEL (U+007F) are removed. They are
  never part of a name or a note someone typed, and sent to a terminal they are
  commands (an ESC sequence can rewrite what the screen shows). Tab, line feed and
  carriage return become a space so the words either side stay apart.
* Bidirectional embedding and override characters (U+202A-U+202E) and isolates
  (U+2066-U+2069) are removed. They reorder how text is displayed, so a name or a
  note could show something other than what is stored ("Trojan Source",
  CVE-2021-42574). Right-to-left names need none of them: the letters carry their
  own direction.
"""
from __future__ import annotations

import re

__all__ = ["clean_cell", "clean_cells", "csv_safe"]

_WHITESPACE_CONTROLS = re.compile(r"[\t\n\r]")
_UNSAFE = re.compile("[\x00-\x1f\x7f\u202a-\u202e\u2066-\u2069]")


def clean_cell(text: str) -> str:
    """``text`` without control or bidirectional-override characters (see the module docstring)."""
    if not _UNSAFE.search(text):
        return text
    return _UNSAFE.sub("", _WHITESPACE_CONTROLS.sub(" ", text))


def clean_cells(cells: list[str]) -> list[str]:
    """Every cell of a row cleaned; the row itself when none needs it (one search per row, not per cell)."""
    if not _UNSAFE.search("".join(cells)):
        return cells
    return [clean_cell(cell) for cell in cells]


_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def csv_safe(text: str) -> str:
    """Prefix ``'`` to text a spreadsheet would run as a formula (CSV injection).

    Applied when *writing* CSV, never on import, so stored names stay exactly as the
    MIS had them (OWASP "CSV Injection").
    """
    return "'" + text if text.startswith(_FORMULA_START) else text