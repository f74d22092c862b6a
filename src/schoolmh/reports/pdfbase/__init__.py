"""Shared building blocks for SchoolMH's PDF reports (reportlab, no database, no Qt).

What is here:

* fonts: DejaVu Sans (and Sans Mono) bundled in ``resources/fonts``, registered
  once on first use, plus fallback fonts for names in other scripts (Noto Sans
  Arabic, Devanagari, Bengali, Gurmukhi, Gujarati, Tamil, Thai, Ethiopic,
  NanumSquare for Korean, and Droid Sans Fallback for Chinese and Japanese);
* ``para``: a Paragraph from user text, XML-escaped, with every run of
  characters that DejaVu Sans lacks (or that belongs to a script with its own
  font) wrapped in ``<font name=...>`` of a font that has the glyphs;
* ``styles()``: the paragraph styles (sober, high contrast, body 10 pt);
* ``ReportDocument`` / ``build_pdf``: A4 with a cover and a body page template,
  header (school, report title) and footer (confidentiality line, optional
  note such as the suppression rule, "Page x of y") on every page, built in
  memory; ``invariant`` mode plus a creation date taken from the inputs make the
  same inputs give byte-identical PDFs;
* ``data_table``, ``rag_cell``, ``bar_chart``, ``line_chart``, ``figure``.

Right-to-left text and complex scripts: reportlab draws glyphs left to right
and does no bidi itself. When ``uharfbuzz`` is importable (``SHAPING_AVAILABLE``)
reportlab shapes each word with HarfBuzz, which joins Arabic letters, orders an
Arabic/Hebrew word right to left and forms Indic conjuncts; ``para`` then only
has to put consecutive right-to-left words in right-to-left order. Without
HarfBuzz, ``para`` reverses right-to-left words itself, so Arabic letters read
in the right order but unjoined (isolated forms), and Indic vowel signs and
conjuncts are not rearranged (the letters are all there, the spelling looks
wrong to a reader of the script). A single word that mixes right-to-left and
left-to-right letters without a space is not reordered.

The text in charts (``bar_chart``, ``line_chart``) is app text drawn in DejaVu
Sans only; user text belongs in paragraphs and tables.

Long text flows across pages: a paragraph splits between pages, and so does a
table row (``data_table`` splits inside a row), so a note at its maximum length
never meets a "too large on page" layout error. The page header reserves the
height that the school name and report title need, however long they are.

One module per part: ``fonts``, ``text`` (``para``), ``look`` (colours, styles),
``document`` (``build_pdf``), ``tables``, ``charts``. Import from
``schoolmh.reports.pdfbase``. Import it lazily (reportlab costs ~0.13 s at start-up).
"""

from __future__ import annotations

from . import fonts
from .charts import Band, bar_chart, figure, line_chart
from .document import ReportDocument, build_pdf
from .fonts import (
    FONT,
    FONT_BOLD,
    FONT_BOLD_ITALIC,
    FONT_ITALIC,
    FONT_MONO,
    FONT_MONO_BOLD,
    SHAPING_AVAILABLE,
    register_fonts,
)
from .look import (
    ACCENT,
    CONFIDENTIAL,
    CONFIDENTIAL_GOVERNORS,
    CONTENT_WIDTH,
    GRID,
    INK,
    MARGIN_TOP,
    MARGIN_X,
    MUTED,
    PAGE_SIZE,
    PALETTE,
    RAG_COLOURS,
    RULE,
    ZEBRA,
    format_date,
    styles,
)
from .tables import data_table, rag_cell
from .text import _SPACES, Markup, _visual_words, para

__all__ = [
    "SHAPING_AVAILABLE",
    "FONT",
    "FONT_BOLD",
    "FONT_ITALIC",
    "FONT_BOLD_ITALIC",
    "FONT_MONO",
    "FONT_MONO_BOLD",
    "PAGE_SIZE",
    "CONTENT_WIDTH",
    "CONFIDENTIAL",
    "CONFIDENTIAL_GOVERNORS",
    "INK",
    "MUTED",
    "ACCENT",
    "PALETTE",
    "RAG_COLOURS",
    "Markup",
    "Band",
    "register_fonts",
    "styles",
    "para",
    "ReportDocument",
    "build_pdf",
    "data_table",
    "rag_cell",
    "bar_chart",
    "line_chart",
    "figure",
    "format_date",
]
