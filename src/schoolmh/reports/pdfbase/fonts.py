"""Fonts: DejaVu Sans bundled, registered once, plus fallback fonts for other scripts (see the package docstring)."""
from __future__ import annotations

import functools
from collections.abc import Iterable
from dataclasses import dataclass

from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.ttfonts import TTFont

from schoolmh.resources import resource_path

try:  # optional: complex-script shaping (see the package docstring)
    import uharfbuzz as _uharfbuzz  # noqa: F401

    SHAPING_AVAILABLE = True
except ImportError:  # pragma: no cover - depends on the environment
    SHAPING_AVAILABLE = False

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
