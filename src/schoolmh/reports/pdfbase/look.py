"""The look of every report: colours (high contrast, colour-blind safe), paragraph styles, page geometry."""
from __future__ import annotations

import functools
from datetime import date

from reportlab.lib import colors
from reportlab.lib.enums import TA_LEFT, TA_RIGHT
from reportlab.lib.pagesizes import A4
from reportlab.lib.styles import ParagraphStyle
from reportlab.lib.units import mm

from .fonts import FONT, FONT_BOLD, FONT_ITALIC, FONT_MONO_BOLD, register_fonts

INK = colors.HexColor("#1A1A1A")  # body text, ~17:1 on white
MUTED = colors.HexColor("#3D4650")  # secondary text, ~10:1 on white
ACCENT = colors.HexColor("#1F3A5F")  # headings and table headers, ~11:1 on white
RULE = colors.HexColor("#9AA5B1")
ZEBRA = colors.HexColor("#EEF1F5")
GRID = colors.HexColor("#B8C2CC")

# Okabe–Ito: distinguishable with the common colour-vision deficiencies.
PALETTE = (
    colors.HexColor("#0072B2"),  # blue
    colors.HexColor("#E69F00"),  # orange
    colors.HexColor("#009E73"),  # bluish green
    colors.HexColor("#D55E00"),  # vermillion
    colors.HexColor("#CC79A7"),  # reddish purple
    colors.HexColor("#56B4E9"),  # sky blue
    colors.HexColor("#F0E442"),  # yellow (weak on white: last)
)
RAG_COLOURS = {
    "red": colors.HexColor("#D55E00"),
    "amber": colors.HexColor("#E69F00"),
    "green": colors.HexColor("#009E73"),
}

PAGE_SIZE = A4
MARGIN_X = 20 * mm
MARGIN_TOP = 22 * mm
CONTENT_WIDTH = PAGE_SIZE[0] - 2 * MARGIN_X

CONFIDENTIAL = "Confidential"
CONFIDENTIAL_GOVERNORS = "Confidential: for the governing body"


class _Styles(dict):
    """Paragraph styles by name; also readable as attributes (``styles().h1``)."""

    def __getattr__(self, name: str) -> ParagraphStyle:
        try:
            return self[name]
        except KeyError as e:
            raise AttributeError(name) from e


@functools.cache
def styles() -> _Styles:
    """The report styles by name: title, subtitle, h1, h2, body, small, table,
    table_number, table_header, table_header_number, caption, footer, header,
    header_right, cover_title, cover_meta, mono_key."""
    register_fonts()
    body = ParagraphStyle("body", fontName=FONT, bulletFontName=FONT, fontSize=10, leading=14.5,
                          textColor=INK,
                          spaceAfter=6, alignment=TA_LEFT)
    s = _Styles()
    s["body"] = body
    s["title"] = ParagraphStyle("title", parent=body, fontName=FONT_BOLD, fontSize=20,
                                leading=25, textColor=ACCENT, spaceAfter=10)
    s["subtitle"] = ParagraphStyle("subtitle", parent=body, fontSize=12.5, leading=17,
                                   textColor=MUTED, spaceAfter=10)
    s["h1"] = ParagraphStyle("h1", parent=body, fontName=FONT_BOLD, fontSize=15, leading=19,
                             textColor=ACCENT, spaceBefore=14, spaceAfter=7, keepWithNext=1)
    s["h2"] = ParagraphStyle("h2", parent=body, fontName=FONT_BOLD, fontSize=12, leading=16,
                             textColor=INK, spaceBefore=10, spaceAfter=5, keepWithNext=1)
    s["small"] = ParagraphStyle("small", parent=body, fontSize=8.5, leading=11.5,
                                textColor=MUTED, spaceAfter=4)
    s["table"] = ParagraphStyle("table", parent=body, fontSize=10, leading=13, spaceAfter=0)
    s["table_number"] = ParagraphStyle("table_number", parent=s["table"], alignment=TA_RIGHT)
    s["table_header"] = ParagraphStyle("table_header", parent=s["table"], fontName=FONT_BOLD,
                                       textColor=colors.white)
    s["table_header_number"] = ParagraphStyle("table_header_number", parent=s["table_header"],
                                              alignment=TA_RIGHT)
    s["caption"] = ParagraphStyle("caption", parent=body, fontName=FONT_ITALIC, fontSize=9,
                                  leading=12.5, textColor=MUTED, spaceBefore=3, spaceAfter=10)
    s["footer"] = ParagraphStyle("footer", parent=body, fontSize=8.5, leading=11,
                                 textColor=MUTED, spaceAfter=0)
    s["header"] = ParagraphStyle("header", parent=body, fontName=FONT_BOLD, fontSize=9,
                                 leading=11, textColor=ACCENT, spaceAfter=0)
    s["header_right"] = ParagraphStyle("header_right", parent=s["header"], fontName=FONT,
                                       textColor=MUTED, alignment=TA_RIGHT)
    s["cover_title"] = ParagraphStyle("cover_title", parent=s["title"], fontSize=26, leading=32,
                                      spaceAfter=14)
    s["cover_meta"] = ParagraphStyle("cover_meta", parent=body, fontSize=13, leading=19,
                                     textColor=INK, spaceAfter=4)
    s["mono_key"] = ParagraphStyle("mono_key", parent=body, fontName=FONT_MONO_BOLD,
                                   fontSize=22, leading=32, textColor=colors.black)
    return s


def format_date(d: date) -> str:
    """British long date without a leading zero: "3 March 2025"."""
    return f"{d.day} {d.strftime('%B')} {d.year}"
