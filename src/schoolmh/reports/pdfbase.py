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

Import this module lazily (reportlab costs ~0.13 s at start-up).
"""

from __future__ import annotations

import calendar
import functools
import math
import re
import time
import unicodedata
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from io import BytesIO
from xml.sax.saxutils import escape as _xml_escape

from reportlab.graphics.shapes import Circle, Drawing, Line, Polygon, Rect, String
from reportlab.lib import colors
from reportlab.lib.enums import TA_LEFT, TA_RIGHT
from reportlab.lib.pagesizes import A4
from reportlab.lib.styles import ParagraphStyle
from reportlab.lib.units import mm
from reportlab.lib.utils import TimeStamp
from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.ttfonts import TTFont
from reportlab.pdfgen.canvas import Canvas
from reportlab.platypus import (
    BaseDocTemplate,
    Flowable,
    Frame,
    KeepTogether,
    NextPageTemplate,
    PageBreak,
    PageTemplate,
    Paragraph,
    Spacer,
    Table,
    TableStyle,
)

from schoolmh.resources import resource_path

try:  # optional: complex-script shaping (see the module docstring)
    import uharfbuzz as _uharfbuzz  # noqa: F401

    SHAPING_AVAILABLE = True
except ImportError:  # pragma: no cover - depends on the environment
    SHAPING_AVAILABLE = False

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

# --------------------------------------------------------------------------
# Fonts
# --------------------------------------------------------------------------

FONT = "DejaVuSans"
FONT_BOLD = "DejaVuSans-Bold"
FONT_ITALIC = "DejaVuSans-Oblique"
FONT_BOLD_ITALIC = "DejaVuSans-BoldOblique"
FONT_MONO = "DejaVuSansMono"
FONT_MONO_BOLD = "DejaVuSansMono-Bold"

_MAIN_FILES = {
    FONT: "DejaVuSans.ttf",
    FONT_BOLD: "DejaVuSans-Bold.ttf",
    FONT_ITALIC: "DejaVuSans-Oblique.ttf",
    FONT_BOLD_ITALIC: "DejaVuSans-BoldOblique.ttf",
    FONT_MONO: "DejaVuSansMono.ttf",
    FONT_MONO_BOLD: "DejaVuSansMono-Bold.ttf",
}


@dataclass(frozen=True)
class _Fallback:
    family: str
    regular: str
    bold: str | None
    ranges: tuple[tuple[int, int], ...]  # scripts this font is preferred for


# Fonts preferred for their scripts even where DejaVu Sans has some glyphs
# (DejaVu's Arabic lacks many letters and has no Indic scripts).
_SCRIPT_FONTS: tuple[_Fallback, ...] = (
    _Fallback("NotoSansArabic", "NotoSansArabic-Regular.ttf", "NotoSansArabic-Bold.ttf",
              ((0x0600, 0x06FF), (0x0750, 0x077F), (0x0870, 0x08FF),
               (0xFB50, 0xFDFF), (0xFE70, 0xFEFF))),
    _Fallback("NotoSansDevanagari", "NotoSansDevanagari-Regular.ttf", "NotoSansDevanagari-Bold.ttf",
              ((0x0900, 0x097F), (0xA8E0, 0xA8FF), (0x1CD0, 0x1CFF))),
    _Fallback("NotoSansBengali", "NotoSansBengali-Regular.ttf", "NotoSansBengali-Bold.ttf",
              ((0x0980, 0x09FF),)),
    _Fallback("NotoSansGurmukhi", "NotoSansGurmukhi-Regular.ttf", "NotoSansGurmukhi-Bold.ttf",
              ((0x0A00, 0x0A7F),)),
    _Fallback("NotoSansGujarati", "NotoSansGujarati-Regular.ttf", "NotoSansGujarati-Bold.ttf",
              ((0x0A80, 0x0AFF),)),
    _Fallback("NotoSansTamil", "NotoSansTamil-Regular.ttf", "NotoSansTamil-Bold.ttf",
              ((0x0B80, 0x0BFF), (0x11FC0, 0x11FFF))),
    _Fallback("NotoSansThai", "NotoSansThai-Regular.ttf", "NotoSansThai-Bold.ttf",
              ((0x0E00, 0x0E7F),)),
    _Fallback("NotoSansEthiopic", "NotoSansEthiopic-Regular.ttf", "NotoSansEthiopic-Bold.ttf",
              ((0x1200, 0x139F), (0x2D80, 0x2DDF), (0xAB00, 0xAB2F))),
    # Droid Sans Fallback has only 3 of the 11,172 Hangul syllables.
    _Fallback("NanumSquare", "NanumSquareR.ttf", "NanumSquareB.ttf",
              ((0x1100, 0x11FF), (0x3130, 0x318F), (0xA960, 0xA97F), (0xAC00, 0xD7FF))),
)
# Last resort for anything DejaVu lacks: Han (Chinese, Japanese kanji), kana,
# bopomofo and more. A single weight: bold CJK prints as regular.
_LAST_RESORT = _Fallback("DroidSansFallback", "DroidSansFallbackFull.ttf", None, ())

# Right-to-left letters (Hebrew, Arabic, Syriac, Thaana, N'Ko and the
# presentation forms) and scripts that need shaping to look right.
_RTL_RANGES = ((0x0590, 0x08FF), (0xFB1D, 0xFDFF), (0xFE70, 0xFEFF))
_COMPLEX_RANGES = _RTL_RANGES + ((0x0900, 0x0DFF), (0x0E00, 0x0EFF), (0x1000, 0x109F),
                                 (0x1780, 0x17FF), (0xA8E0, 0xA8FF), (0x1CD0, 0x1CFF))

_MIRROR = str.maketrans("()[]{}<>«»‹›", ")(][}{><»«›‹")


def _in(cp: int, ranges: Iterable[tuple[int, int]]) -> bool:
    return any(lo <= cp <= hi for lo, hi in ranges)


@functools.cache
def register_fonts() -> None:
    """Register the bundled fonts with reportlab (once; later calls do nothing)."""
    for name, filename in _MAIN_FILES.items():
        pdfmetrics.registerFont(TTFont(name, str(resource_path("fonts", filename))))
    pdfmetrics.registerFontFamily(
        FONT, normal=FONT, bold=FONT_BOLD, italic=FONT_ITALIC, boldItalic=FONT_BOLD_ITALIC
    )
    _map_family(FONT_MONO, FONT_MONO, FONT_MONO_BOLD)
    _no_discretionary_ligatures()


def _no_discretionary_ligatures() -> None:
    """Turn off HarfBuzz's discretionary ligatures in reportlab's shaping.

    reportlab asks for ``dlig`` by default, which makes Noto Sans Arabic draw
    the name Muhammad as the single honorific ligature U+FDF4 and joins other
    letter pairs decoratively: wrong for a pupil's name. Required ligatures
    (rlig, e.g. lam-alef) still apply.
    """
    if not SHAPING_AVAILABLE:
        return
    from reportlab.pdfbase import ttfonts

    defaults = getattr(ttfonts.shapeFragWord, "__defaults__", None) or ()
    for value in defaults:
        if isinstance(value, dict) and "dlig" in value:
            value["dlig"] = False


def _map_family(family: str, regular: str, bold: str) -> None:
    """Family mapping where italic uses the upright face (no oblique bundled).

    The upright mappings are added last so that reportlab's reverse lookup
    (face name -> bold/italic) reads the regular face as regular, not italic.
    """
    from reportlab.lib.fonts import addMapping

    addMapping(family, 0, 1, regular)
    addMapping(family, 1, 1, bold)
    addMapping(family, 1, 0, bold)
    addMapping(family, 0, 0, regular)


@functools.cache
def _fallback_font(fb: _Fallback) -> TTFont:
    """Register a fallback family on first need and return its regular face."""
    register_fonts()
    regular = TTFont(fb.family, str(resource_path("fonts", fb.regular)))
    pdfmetrics.registerFont(regular)
    bold_name = fb.family
    if fb.bold:
        bold_name = fb.family + "-Bold"
        pdfmetrics.registerFont(TTFont(bold_name, str(resource_path("fonts", fb.bold))))
    _map_family(fb.family, fb.family, bold_name)
    return regular


def _face_name(fb: _Fallback, bold: bool) -> str:
    return fb.family + "-Bold" if bold and fb.bold else fb.family


def _main_cmap() -> dict[int, int]:
    register_fonts()
    return pdfmetrics.getFont(FONT).face.charToGlyph


def _has(fb: _Fallback, cp: int) -> bool:
    return cp in _fallback_font(fb).face.charToGlyph


# --------------------------------------------------------------------------
# Text: escaping, script fallback and right-to-left order
# --------------------------------------------------------------------------

class Markup(str):
    """Trusted reportlab markup, passed to ``para`` verbatim (never user text)."""

    __slots__ = ()


_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")
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
    if not SHAPING_AVAILABLE or not any(_needs_shaping(t) for t in texts):
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


# --------------------------------------------------------------------------
# Look: colours and styles
# --------------------------------------------------------------------------

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


# --------------------------------------------------------------------------
# Document: page templates, header/footer, page x of y, fixed metadata
# --------------------------------------------------------------------------

def _timestamp_for(produced: date) -> TimeStamp:
    """A reportlab TimeStamp fixed at midnight UTC of ``produced``."""
    ts = TimeStamp(invariant=1)
    t = calendar.timegm(datetime(produced.year, produced.month, produced.day).timetuple())
    ts.t = t
    ts.lt = time.gmtime(t)
    ts.YMDhms = tuple(ts.lt)[:6]
    ts.dhh = ts.dmm = 0
    ts.tzname = "UTC"
    return ts


class _NumberedCanvas(Canvas):
    """Holds pages back until the end so each can say "Page x of y"."""

    def __init__(self, *args, produced: date, page_label: Callable[[Canvas, int, int], None], **kw):
        super().__init__(*args, **kw)
        self._doc._timeStamp = _timestamp_for(produced)
        self._page_label = page_label
        self._held: list[dict] = []

    def showPage(self):  # noqa: N802 - reportlab API
        self._held.append(dict(self.__dict__))
        self._startPage()

    def save(self):
        total = len(self._held)
        for n, state in enumerate(self._held, start=1):
            self.__dict__.update(state)
            self._page_label(self, n, total)
            super().showPage()
        super().save()


class ReportDocument(BaseDocTemplate):
    """A4 report: optional cover page template and a body template.

    Every page has a footer (confidentiality line, optional note, page x of y);
    body pages also have a header (school name, report title). Flowables with the
    ``h1`` style become PDF bookmarks.
    """

    def __init__(self, buffer, *, title: str, school: str, confidentiality: str,
                 produced: date, footer_note: str | None = None, subject: str = ""):
        register_fonts()
        self.school = school
        self.report_title = title
        self.confidentiality = confidentiality
        self.footer_note = footer_note
        self.produced = produced
        st = styles()
        self._note_para = para(footer_note, st.footer) if footer_note else None
        note_h = self._note_para.wrap(CONTENT_WIDTH, 1000)[1] if self._note_para else 0
        # footer: baseline at 12 mm, the note above it, a rule above the note
        self._footer_line_y = 12 * mm
        self._note_top = self._footer_line_y + 12 + note_h
        bottom = self._note_top + 8 * mm
        super().__init__(
            buffer,
            pagesize=PAGE_SIZE,
            leftMargin=MARGIN_X,
            rightMargin=MARGIN_X,
            topMargin=MARGIN_TOP,
            bottomMargin=bottom,
            title=title,
            author="SchoolMH",
            subject=subject or title,
            creator="SchoolMH",
            producer="SchoolMH (ReportLab)",
            keywords="",
            invariant=1,
            lang="en-GB",
            initialFontName=FONT,
        )
        cover_frame = Frame(MARGIN_X, bottom, CONTENT_WIDTH, PAGE_SIZE[1] - bottom - 30 * mm,
                            id="cover", leftPadding=0, rightPadding=0, topPadding=0,
                            bottomPadding=0)
        body_frame = Frame(MARGIN_X, bottom, CONTENT_WIDTH, PAGE_SIZE[1] - bottom - MARGIN_TOP,
                           id="body", leftPadding=0, rightPadding=0, topPadding=0,
                           bottomPadding=0)
        self.addPageTemplates([
            PageTemplate(id="cover", frames=[cover_frame], onPage=self._draw_cover_page),
            PageTemplate(id="body", frames=[body_frame], onPage=self._draw_body_page),
        ])
        self._bookmarks = 0

    # -- page decoration --------------------------------------------------
    def _draw_footer(self, canv: Canvas) -> None:
        canv.saveState()
        st = styles()
        canv.setStrokeColor(RULE)
        canv.setLineWidth(0.6)
        canv.line(MARGIN_X, self._note_top + 3 * mm, PAGE_SIZE[0] - MARGIN_X, self._note_top + 3 * mm)
        if self._note_para is not None:
            # a fresh Paragraph each page: platypus flowables are not reusable
            note = para(self.footer_note, st.footer)
            _, h = note.wrap(CONTENT_WIDTH, 1000)
            note.drawOn(canv, MARGIN_X, self._note_top - h)
        conf = para([Markup("<b>"), self.confidentiality, Markup("</b>")], st.footer)
        conf.wrap(CONTENT_WIDTH - 40 * mm, 100)
        conf.drawOn(canv, MARGIN_X, self._footer_line_y - 2)
        canv.restoreState()

    def _draw_body_page(self, canv: Canvas, doc) -> None:
        canv.saveState()
        st = styles()
        top = PAGE_SIZE[1] - 12 * mm
        left = para(self.school, st.header)
        lw, lh = left.wrap(CONTENT_WIDTH * 0.55, 100)
        left.drawOn(canv, MARGIN_X, top - lh)
        right = para(self.report_title, st.header_right)
        rw, rh = right.wrap(CONTENT_WIDTH * 0.43, 100)
        right.drawOn(canv, PAGE_SIZE[0] - MARGIN_X - CONTENT_WIDTH * 0.43, top - rh)
        y = top - max(lh, rh) - 2.5 * mm
        canv.setStrokeColor(RULE)
        canv.setLineWidth(0.6)
        canv.line(MARGIN_X, y, PAGE_SIZE[0] - MARGIN_X, y)
        canv.restoreState()
        self._draw_footer(canv)

    def _draw_cover_page(self, canv: Canvas, doc) -> None:
        canv.saveState()
        canv.setFillColor(ACCENT)
        canv.rect(0, PAGE_SIZE[1] - 14 * mm, PAGE_SIZE[0], 14 * mm, stroke=0, fill=1)
        canv.setFillColor(colors.white)
        canv.setFont(FONT_BOLD, 11)
        canv.drawString(MARGIN_X, PAGE_SIZE[1] - 9 * mm, "SchoolMH")
        canv.restoreState()
        self._draw_footer(canv)

    def _page_label(self, canv: Canvas, page: int, total: int) -> None:
        canv.saveState()
        canv.setFont(FONT, 8.5)
        canv.setFillColor(MUTED)
        canv.drawRightString(PAGE_SIZE[0] - MARGIN_X, self._footer_line_y,
                             f"Page {page} of {total}")
        canv.restoreState()

    def afterFlowable(self, flowable):  # noqa: N802 - reportlab API
        if isinstance(flowable, Paragraph) and flowable.style.name.split("+")[0] == "h1":
            key = f"h1-{self._bookmarks}"
            self._bookmarks += 1
            self.canv.bookmarkPage(key)
            self.canv.addOutlineEntry(flowable.getPlainText(), key, level=0)

    def build_flowables(self, flowables: list[Flowable]) -> None:
        maker = functools.partial(_NumberedCanvas, produced=self.produced,
                                  page_label=self._page_label)
        self.build(flowables, canvasmaker=maker)


def _cover_flowables(title: str, school: str, confidentiality: str, produced: date,
                     extra: Sequence[Flowable]) -> list[Flowable]:
    st = styles()
    box = Table(
        [[para([Markup("<b>"), confidentiality, Markup("</b>")],
               ParagraphStyle("cover_conf", parent=st.body, fontSize=11, leading=15,
                              spaceAfter=0))]],
        colWidths=[CONTENT_WIDTH],
        style=TableStyle([
            ("FONTNAME", (0, 0), (-1, -1), FONT),
            ("BOX", (0, 0), (-1, -1), 1.2, ACCENT),
            ("BACKGROUND", (0, 0), (-1, -1), ZEBRA),
            ("LEFTPADDING", (0, 0), (-1, -1), 8),
            ("RIGHTPADDING", (0, 0), (-1, -1), 8),
            ("TOPPADDING", (0, 0), (-1, -1), 7),
            ("BOTTOMPADDING", (0, 0), (-1, -1), 7),
        ]),
    )
    box.hAlign = "LEFT"
    return [
        Spacer(1, 25 * mm),
        para(title, st.cover_title),
        para(school, st.cover_meta),
        para(f"Produced {format_date(produced)}", st.cover_meta),
        Spacer(1, 10 * mm),
        box,
        Spacer(1, 10 * mm),
        *extra,
    ]


def build_pdf(
    flowables: Sequence[Flowable],
    *,
    title: str,
    school: str,
    confidentiality: str = CONFIDENTIAL,
    produced: date,
    footer_note: str | None = None,
    cover: Sequence[Flowable] | None = None,
    subject: str = "",
) -> bytes:
    """Build a report in memory and return the PDF bytes.

    ``cover``: None for no cover page (the body starts on page 1); otherwise a
    cover page is made with the title, school, produced date and the
    confidentiality line, followed by the given flowables (may be empty), and
    the body starts on page 2. ``footer_note`` (e.g. ``SUPPRESSION_RULE_TEXT``)
    is printed above the footer line on every page. The same arguments give
    the same bytes: the creation date is ``produced``, not the clock.
    """
    buf = BytesIO()
    doc = ReportDocument(buf, title=title, school=school, confidentiality=confidentiality,
                         produced=produced, footer_note=footer_note, subject=subject)
    story: list[Flowable] = []
    if cover is not None:
        story.append(NextPageTemplate("body"))
        story.extend(_cover_flowables(title, school, confidentiality, produced, cover))
        story.append(PageBreak())
    else:
        # the first page uses the first template (cover) unless told otherwise
        doc.pageTemplates = [doc.pageTemplates[1], doc.pageTemplates[0]]
    story.extend(flowables)
    doc.build_flowables(story)
    return buf.getvalue()


# --------------------------------------------------------------------------
# Tables
# --------------------------------------------------------------------------

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
    (default 10) makes a wide table fit without breaking words.
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
    t = Table(data, colWidths=_fit_widths(col_widths, n), repeatRows=1,
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


# --------------------------------------------------------------------------
# Charts
# --------------------------------------------------------------------------

def _nice_step(span: float, target_ticks: int = 5) -> float:
    if span <= 0:
        return 1.0
    raw = span / target_ticks
    mag = 10 ** math.floor(math.log10(raw))
    for m in (1, 2, 2.5, 5, 10):
        if raw <= m * mag:
            return m * mag
    return 10 * mag


def _fmt_tick(v: float) -> str:
    return f"{v:.0f}" if float(v).is_integer() else f"{v:g}"


def _hatch(x: float, y: float, w: float, h: float, kind: int, colour, spacing: float = 4.0):
    """Line segments filling a rectangle with a pattern (analytically clipped)."""
    lines: list[Line] = []
    if w <= 0 or h <= 0:
        return lines
    if kind == 1:  # diagonal "/"
        c = -h
        while c < w:
            # line through (x + c + t, y + t) for t in [0, h], clipped to [x, x + w]
            t0 = max(0.0, -c)
            t1 = min(h, w - c)
            if t1 > t0:
                lines.append(Line(x + c + t0, y + t0, x + c + t1, y + t1,
                                  strokeColor=colour, strokeWidth=1.1))
            c += spacing * 1.4
    elif kind == 2:  # vertical stripes
        xx = x + spacing / 2
        while xx < x + w:
            lines.append(Line(xx, y, xx, y + h, strokeColor=colour, strokeWidth=1.1))
            xx += spacing
    elif kind == 3:  # cross-hatch
        lines += _hatch(x, y, w, h, 1, colour, spacing)
        c = 0.0
        while c < w + h:
            t0 = max(0.0, c - w)
            t1 = min(h, c)
            if t1 > t0:
                lines.append(Line(x + c - t0, y + t0, x + c - t1, y + t1,
                                  strokeColor=colour, strokeWidth=1.1))
            c += spacing * 1.4
    return lines


def _bar_shapes(x: float, y: float, w: float, h: float, i: int) -> list:
    """A bar for series ``i``: solid for the first, patterned for the others."""
    colour = PALETTE[i % len(PALETTE)]
    kind = i % 4
    if kind == 0:
        return [Rect(x, y, w, h, fillColor=colour, strokeColor=colour, strokeWidth=0.5)]
    shapes: list = [Rect(x, y, w, h, fillColor=colors.white, strokeColor=None)]
    shapes += _hatch(x, y, w, h, kind, colour)
    shapes.append(Rect(x, y, w, h, fillColor=None, strokeColor=colour, strokeWidth=1.2))
    return shapes


def bar_chart(
    categories: Sequence[str],
    series: Sequence[tuple[str, Sequence[float | None]]],
    *,
    width: float = CONTENT_WIDTH,
    value_format: str | Callable[[float], str] = "{:.0f}",
    unit: str = "",
    max_value: float | None = None,
    bar_thickness: float = 13,
    label_series_on_bars: bool = True,
    axis_label: str | None = None,
) -> Drawing:
    """Grouped horizontal bar chart, one group per category, one bar per series.

    Each bar has its value written at its end ("52%"), with the series name too
    when ``label_series_on_bars`` ("This school: 52%"); series are told apart by
    colour (Okabe–Ito) and by fill pattern (solid, diagonal, stripes, cross),
    shown in the legend. A value of None draws no bar and writes "not shown"
    (e.g. a suppressed count). ``max_value`` fixes the scale (e.g. 100 for
    percentages).
    """
    register_fonts()
    fmt = value_format.format if isinstance(value_format, str) else value_format
    n_series = len(series)
    if any(len(vals) != len(categories) for _, vals in series):
        raise ValueError("each series needs one value per category")
    font, fs = FONT, 9
    label_w = min(width * 0.32, max((pdfmetrics.stringWidth(c, FONT_BOLD, fs) for c in categories),
                                    default=0) + 10)

    def text_for(name: str, v: float | None) -> str:
        shown = "not shown" if v is None else fmt(v) + unit
        return f"{name}: {shown}" if label_series_on_bars else shown

    end_w = max((pdfmetrics.stringWidth(text_for(name, v), font, fs) for name, vals in series
                 for v in vals), default=0) + 8
    values = [v for _, vals in series for v in vals if v is not None]
    top_value = max_value if max_value is not None else max(values, default=0)
    step = _nice_step(top_value or 1)
    axis_max = max_value if max_value is not None else step * math.ceil((top_value or 1) / step)
    plot_x = label_w
    plot_w = max(40.0, width - label_w - end_w)

    gap_in, gap_between = 3.0, 12.0
    group_h = n_series * bar_thickness + (n_series - 1) * gap_in
    legend_h = 18.0
    axis_h = 16.0 + (12.0 if axis_label else 0.0)
    plot_h = len(categories) * group_h + max(0, len(categories) - 1) * gap_between + 10
    height = legend_h + plot_h + axis_h
    d = Drawing(width, height, initialFontName=FONT, initialFontSize=9)
    d.hAlign = "LEFT"

    # legend (top)
    lx = 0.0
    ly = height - 12
    for i, (name, _) in enumerate(series):
        for s in _bar_shapes(lx, ly - 1, 14, 10, i):
            d.add(s)
        d.add(String(lx + 18, ly + 1, name, fontName=font, fontSize=fs, fillColor=INK))
        lx += 18 + pdfmetrics.stringWidth(name, font, fs) + 16

    base_y = axis_h
    # grid and axis
    tick = 0.0
    while tick <= axis_max + 1e-9:
        gx = plot_x + plot_w * tick / axis_max
        d.add(Line(gx, base_y, gx, base_y + plot_h, strokeColor=GRID, strokeWidth=0.5))
        d.add(String(gx, base_y - 11, _fmt_tick(tick) + unit, fontName=font, fontSize=8,
                     fillColor=MUTED, textAnchor="middle"))
        tick += _nice_step(axis_max)
    d.add(Line(plot_x, base_y, plot_x, base_y + plot_h, strokeColor=INK, strokeWidth=0.8))
    if axis_label:
        d.add(String(plot_x + plot_w / 2, 2, axis_label, fontName=font, fontSize=8.5,
                     fillColor=MUTED, textAnchor="middle"))

    y = base_y + plot_h - 5
    for ci, cat in enumerate(categories):
        group_top = y
        d.add(String(plot_x - 6, group_top - group_h / 2 - fs / 3, cat, fontName=FONT_BOLD,
                     fontSize=fs, fillColor=INK, textAnchor="end"))
        for si, (name, vals) in enumerate(series):
            v = vals[ci]
            by = group_top - (si + 1) * bar_thickness - si * gap_in
            bw = 0.0 if v is None else plot_w * max(0.0, min(v, axis_max)) / axis_max
            if bw > 0:
                for s in _bar_shapes(plot_x, by, bw, bar_thickness, si):
                    d.add(s)
            d.add(String(plot_x + bw + 4, by + bar_thickness / 2 - fs / 3, text_for(name, v),
                         fontName=font, fontSize=fs, fillColor=INK))
        y -= group_h + gap_between
    return d


@dataclass(frozen=True)
class Band:
    """A horizontal band on a line chart, e.g. an SDQ range ("High", 17 to 19)."""

    low: float
    high: float
    label: str
    colour: object = None  # a reportlab colour; default a light tint by position


_BAND_TINTS = (
    colors.HexColor("#E6F2EC"),
    colors.HexColor("#FDF1D6"),
    colors.HexColor("#FBE3D3"),
    colors.HexColor("#F5D3CC"),
    colors.HexColor("#E9E3F0"),
)
_MARKERS = ("circle", "square", "triangle", "diamond")


def _marker(kind: str, x: float, y: float, colour, size: float = 3.6):
    if kind == "circle":
        return Circle(x, y, size, fillColor=colour, strokeColor=colors.white, strokeWidth=0.8)
    if kind == "square":
        return Rect(x - size, y - size, 2 * size, 2 * size, fillColor=colour,
                    strokeColor=colors.white, strokeWidth=0.8)
    if kind == "triangle":
        return Polygon([x - size * 1.15, y - size, x + size * 1.15, y - size, x, y + size * 1.2],
                       fillColor=colour, strokeColor=colors.white, strokeWidth=0.8)
    return Polygon([x, y - size * 1.3, x + size * 1.3, y, x, y + size * 1.3, x - size * 1.3, y],
                   fillColor=colour, strokeColor=colors.white, strokeWidth=0.8)


def _x_value(x: date | float) -> float:
    return float(x.toordinal()) if isinstance(x, date) else float(x)


def line_chart(
    series: Sequence[tuple[str, Sequence[tuple[date | float, float | None]]]],
    bands: Sequence[Band] | None = None,
    *,
    width: float = CONTENT_WIDTH,
    height: float = 190,
    y_min: float | None = None,
    y_max: float | None = None,
    y_label: str | None = None,
    date_format: Callable[[date], str] | None = None,
    value_format: str | Callable[[float], str] = "{:g}",
    max_x_labels: int = 7,
) -> Drawing:
    """Line chart of scores over time, with optional shaded horizontal bands.

    ``series``: (name, [(x, y), ...]) with x a date (spaced by real time) or a
    number; a y of None is skipped. Every point has a marker (a different shape
    per series) and its value written above it. ``bands`` shade score ranges
    and name them in the right margin, so the band is read from its label, not
    its tint.
    """
    register_fonts()
    fmt = value_format.format if isinstance(value_format, str) else value_format
    datefmt = date_format or (lambda d: d.strftime("%d %b %y").lstrip("0"))
    font, fs = FONT, 8.5
    bands = list(bands or [])
    ys = [p[1] for _, pts in series for p in pts if p[1] is not None]
    lo = y_min if y_min is not None else min([b.low for b in bands] + ys + [0.0])
    hi = y_max if y_max is not None else max([b.high for b in bands] + ys + [1.0])
    if hi <= lo:
        hi = lo + 1
    xs = sorted({_x_value(p[0]) for _, pts in series for p in pts if p[1] is not None})
    x_is_date = any(isinstance(p[0], date) for _, pts in series for p in pts)

    band_label_w = (max(pdfmetrics.stringWidth(b.label, font, fs) for b in bands) + 10) if bands else 6
    left = 34 + (14 if y_label else 0)
    legend_h = 18 if series else 0
    bottom = 22
    plot_x, plot_y = left, bottom
    plot_w = max(60.0, width - left - band_label_w)
    plot_h = max(40.0, height - bottom - legend_h - 8)
    d = Drawing(width, height, initialFontName=FONT, initialFontSize=9)
    d.hAlign = "LEFT"

    def sy(v: float) -> float:
        return plot_y + plot_h * (min(max(v, lo), hi) - lo) / (hi - lo)

    pad = 14.0  # keep end points off the axes
    if len(xs) > 1:
        x0, x1 = xs[0], xs[-1]

        def sx(v: float) -> float:
            return plot_x + pad + (plot_w - 2 * pad) * (v - x0) / (x1 - x0)
    else:
        def sx(v: float) -> float:
            return plot_x + plot_w / 2

    # Bands of whole scores ("14-16", "17-19") meet at the half-way point, so
    # the shading has no gaps between 16 and 17.
    edges: list[tuple[float, float]] = []
    order = sorted(range(len(bands)), key=lambda k: bands[k].low)
    for pos, k in enumerate(order):
        b_lo, b_hi = bands[k].low, bands[k].high
        if pos > 0:
            prev = bands[order[pos - 1]]
            if 0 < b_lo - prev.high <= 1:
                b_lo = (b_lo + prev.high) / 2
        if pos + 1 < len(order):
            nxt = bands[order[pos + 1]]
            if 0 < nxt.low - b_hi <= 1:
                b_hi = (b_hi + nxt.low) / 2
        edges.append((b_lo, b_hi))
    edge_of = dict(zip(order, edges))
    for i, b in enumerate(bands):
        y0, y1 = sy(edge_of[i][0]), sy(edge_of[i][1])
        tint = b.colour if b.colour is not None else _BAND_TINTS[i % len(_BAND_TINTS)]
        d.add(Rect(plot_x, y0, plot_w, y1 - y0, fillColor=tint, strokeColor=None))
        d.add(Line(plot_x, y1, plot_x + plot_w, y1, strokeColor=colors.white, strokeWidth=0.8))
        if y1 - y0 >= fs * 0.8:
            d.add(String(plot_x + plot_w + 5, (y0 + y1) / 2 - fs / 3, b.label, fontName=font,
                         fontSize=fs, fillColor=MUTED))

    step = _nice_step(hi - lo, 5)
    t = math.ceil(lo / step) * step
    while t <= hi + 1e-9:
        d.add(Line(plot_x, sy(t), plot_x + plot_w, sy(t), strokeColor=GRID, strokeWidth=0.4,
                   strokeDashArray=[1, 2]))
        d.add(String(plot_x - 4, sy(t) - 3, _fmt_tick(t), fontName=font, fontSize=8,
                     fillColor=MUTED, textAnchor="end"))
        t += step
    d.add(Line(plot_x, plot_y, plot_x, plot_y + plot_h, strokeColor=INK, strokeWidth=0.8))
    d.add(Line(plot_x, plot_y, plot_x + plot_w, plot_y, strokeColor=INK, strokeWidth=0.8))
    if y_label:
        s = String(0, 0, y_label, fontName=font, fontSize=8.5, fillColor=MUTED, textAnchor="middle")
        from reportlab.graphics.shapes import Group

        g = Group(s)
        g.translate(9, plot_y + plot_h / 2)
        g.rotate(90)
        d.add(g)

    # x labels: every point when few, else evenly thinned
    if xs:
        if len(xs) <= max_x_labels:
            shown = xs
        else:
            idx = sorted({round(k * (len(xs) - 1) / (max_x_labels - 1)) for k in range(max_x_labels)})
            shown = [xs[k] for k in idx]
        for xv in shown:
            text = datefmt(date.fromordinal(int(xv))) if x_is_date else _fmt_tick(xv)
            d.add(Line(sx(xv), plot_y, sx(xv), plot_y - 3, strokeColor=INK, strokeWidth=0.6))
            d.add(String(sx(xv), plot_y - 12, text, fontName=font, fontSize=8, fillColor=MUTED,
                         textAnchor="middle"))

    # legend
    lx = plot_x
    for i, (name, _) in enumerate(series):
        colour = PALETTE[i % len(PALETTE)]
        ly = height - 10
        d.add(Line(lx, ly, lx + 18, ly, strokeColor=colour, strokeWidth=2))
        d.add(_marker(_MARKERS[i % len(_MARKERS)], lx + 9, ly, colour))
        d.add(String(lx + 24, ly - 3, name, fontName=font, fontSize=fs, fillColor=INK))
        lx += 24 + pdfmetrics.stringWidth(name, font, fs) + 18

    for i, (name, pts) in enumerate(series):
        colour = PALETTE[i % len(PALETTE)]
        marker = _MARKERS[i % len(_MARKERS)]
        pts_sorted = sorted(((_x_value(x), y) for x, y in pts if y is not None), key=lambda p: p[0])
        for (xa, ya), (xb, yb) in zip(pts_sorted, pts_sorted[1:]):
            d.add(Line(sx(xa), sy(ya), sx(xb), sy(yb), strokeColor=colour, strokeWidth=2,
                       strokeDashArray=None if i % 2 == 0 else [5, 2]))
        for xv, yv in pts_sorted:
            d.add(_marker(marker, sx(xv), sy(yv), colour))
            d.add(String(sx(xv), sy(yv) + 7, fmt(yv), fontName=FONT_BOLD, fontSize=8.5,
                         fillColor=INK, textAnchor="middle"))
    return d


def figure(drawing: Drawing, caption: str) -> KeepTogether:
    """A chart kept on one page with its caption below it."""
    return KeepTogether([drawing, Spacer(1, 2), para(caption, styles().caption)])
