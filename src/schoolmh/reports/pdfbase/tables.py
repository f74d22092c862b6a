"""Data tables (header repeated on every page, long cells split across pages) and RAG cells."""
from __future__ import annotations

import functools
import re
from collections.abc import Sequence

from reportlab.lib import colors
from reportlab.lib.styles import ParagraphStyle
from reportlab.pdfbase import pdfmetrics
from reportlab.platypus import Flowable, Table, TableStyle

from .fonts import FONT, FONT_BOLD
from .look import ACCENT, CONTENT_WIDTH, GRID, INK, MUTED, RAG_COLOURS, ZEBRA, _Styles, styles
from .text import para

_NUMERIC = re.compile(r"^(?:[<>≥≤~]?\s*-?[\d,]+(?:\.\d+)?\s*%?|\*|—|-|fewer than 8)$")


def _fit_widths(col_widths: Sequence[float] | None, n: int) -> list[float]:
    if not col_widths:
        return [CONTENT_WIDTH / n] * n
    if len(col_widths) != n:
        raise ValueError(f"col_widths has {len(col_widths)} entries for {n} columns")
    if all(w <= 1 for w in col_widths):  # fractions of the content width
        total = sum(col_widths)
        return [CONTENT_WIDTH * w / total for w in col_widths]
    return [float(w) for w in col_widths]


@functools.cache
def _table_styles(font_size: float | None) -> _Styles:
    """The table styles at ``font_size`` (None: the usual 10 pt)."""
    st = styles()
    if font_size is None:
        return st
    out = _Styles()
    for name in ("table", "table_number", "table_header", "table_header_number"):
        out[name] = ParagraphStyle(f"{name}@{font_size:g}", parent=st[name], fontSize=font_size,
                                   leading=round(font_size * 1.3, 2))
    return out


def data_table(
    header: Sequence[str],
    rows: Sequence[Sequence[str | Flowable]],
    col_widths: Sequence[float] | None = None,
    *,
    numeric_cols: Sequence[int] | None = None,
    font_size: float | None = None,
) -> Table:
    """A data table: bold header row repeated on every page, zebra striping.

    Cells are user text (escaped, script fallback) or Flowables (e.g.
    ``rag_cell``). ``col_widths`` in points, or fractions of the content width
    when all are <= 1; default equal widths. ``numeric_cols`` are right-aligned;
    by default a column is right-aligned when every body cell looks like a count
    or percentage ("12", "42%", "fewer than 8", "*", "—"). ``font_size``
    (default 10) makes a wide table fit without breaking words. A row of any
    length may split across pages (text at its maximum length still lays out).
    """
    n = len(header)
    if any(len(r) != n for r in rows):
        raise ValueError("every row needs one cell per header column")
    st = _table_styles(font_size)
    if numeric_cols is None:
        numeric = {
            c for c in range(1, n)
            if rows and all(isinstance(r[c], str) and _NUMERIC.match(r[c].strip()) for r in rows)
        }
    else:
        numeric = set(numeric_cols)
    data: list[list[Flowable]] = [[
        para(h, st.table_header_number if c in numeric else st.table_header)
        for c, h in enumerate(header)
    ]]
    for r in rows:
        data.append([
            para(cell, st.table_number if c in numeric else st.table) if isinstance(cell, str) else cell
            for c, cell in enumerate(r)
        ])
    commands = [
        ("FONTNAME", (0, 0), (-1, -1), FONT),  # else reportlab pulls in Helvetica
        ("BACKGROUND", (0, 0), (-1, 0), ACCENT),
        ("VALIGN", (0, 0), (-1, -1), "TOP"),
        ("LINEBELOW", (0, 0), (-1, -1), 0.5, GRID),
        ("BOX", (0, 0), (-1, -1), 0.8, ACCENT),
        ("LEFTPADDING", (0, 0), (-1, -1), 5),
        ("RIGHTPADDING", (0, 0), (-1, -1), 5),
        ("TOPPADDING", (0, 0), (-1, -1), 4),
        ("BOTTOMPADDING", (0, 0), (-1, -1), 5),
        ("ROWBACKGROUNDS", (0, 1), (-1, -1), [colors.white, ZEBRA]),
    ]
    # splitInRow: a row taller than what is left of the page (a long note or plan) is split
    # across pages, as a paragraph would be; without it reportlab raises a LayoutError.
    t = Table(data, colWidths=_fit_widths(col_widths, n), repeatRows=1, splitInRow=1,
              style=TableStyle(commands), hAlign="LEFT", spaceBefore=2, spaceAfter=10)
    return t


class _RagCell(Flowable):
    """A colour swatch followed by the status in words."""

    def __init__(self, label: str, colour):
        super().__init__()
        self.label = label
        self.colour = colour
        self.font_size = 10

    def wrap(self, avail_width, avail_height):
        w = 16 + pdfmetrics.stringWidth(self.label, FONT_BOLD, self.font_size)
        self.width, self.height = w, 13
        return self.width, self.height

    def draw(self):
        c = self.canv
        c.saveState()
        if self.colour is not None:
            c.setFillColor(self.colour)
            c.setStrokeColor(INK)
            c.setLineWidth(0.5)
            c.rect(0, 1, 10, 10, stroke=1, fill=1)
        else:
            c.setStrokeColor(MUTED)
            c.setDash(1.5, 1.5)
            c.rect(0, 1, 10, 10, stroke=1, fill=0)
        c.setFillColor(INK)
        c.setFont(FONT_BOLD, self.font_size)
        c.drawString(16, 2.5, self.label)
        c.restoreState()


def rag_cell(status: str | None) -> Flowable:
    """"Red", "Amber" or "Green" as words with a colour swatch (never colour alone).

    Case-insensitive; None or "" gives "Not rated" with an empty dashed box.
    """
    key = (status or "").strip().lower()
    if not key:
        return _RagCell("Not rated", None)
    if key not in RAG_COLOURS:
        raise ValueError(f"RAG status must be Red, Amber or Green, not {status!r}")
    return _RagCell(key.capitalize(), RAG_COLOURS[key])
