"""PDF foundations: fonts and script fallback, page furniture, determinism, the recovery sheet.

Text is read back with pypdf. What pypdf can give back, honestly:

* Latin (with any accents), Hebrew, Arabic letters, Chinese, Japanese and
  Korean come back exactly. pypdf reorders right-to-left text to logical order
  itself; Arabic that HarfBuzz has joined comes back as presentation forms
  (U+FExx), which NFKC normalisation turns back into the ordinary letters.
* Devanagari (and other Indic scripts) shaped by HarfBuzz: conjuncts and
  reordered vowel signs are glyphs with no single character, which reportlab
  maps to private-use code points, so "प्रिया" comes back as two private-use
  characters followed by "या". What is checked there is the part that survives
  and that the Devanagari font is embedded; the rendering itself was checked by
  eye (pdftoppm). Without HarfBuzz the word is drawn unshaped and comes back
  exactly.
"""

from __future__ import annotations

import io
import re
import sys
import unicodedata
from datetime import date
from pathlib import Path

import pytest
from pypdf import PdfReader

from schoolmh import resources
from schoolmh.domain.suppression import SUPPRESSION_RULE_TEXT, suppress_table
from schoolmh.reports import pdfbase as pb
from schoolmh.reports.recovery_sheet import recovery_sheet_pdf

PRODUCED = date(2025, 3, 14)
LATIN_NAMES = ["Zoë Ní Bhriain", "Łukasz Wójcik", "Siobhán Ó Súilleabháin", "Ştefan Dumitraşcu"]
ARABIC = "Ahmed محمد"
DEVANAGARI = "Priya प्रिया"
CHINESE = "Chen 陈"
KOREAN = "Ji-woo 지우"
HEBREW = "Cohen כהן"


def _pages(data: bytes) -> list[str]:
    return [p.extract_text() for p in PdfReader(io.BytesIO(data)).pages]


def _nfkc(s: str) -> str:
    return unicodedata.normalize("NFKC", s)


def _font_info(data: bytes) -> dict[str, dict]:
    """BaseFont (without subset prefix) -> facts, over every page."""
    out: dict[str, dict] = {}
    for page in PdfReader(io.BytesIO(data)).pages:
        for ref in page["/Resources"]["/Font"].values():
            font = ref.get_object()
            name = str(font["/BaseFont"]).split("+", 1)[-1]
            desc = font["/FontDescriptor"].get_object() if "/FontDescriptor" in font else {}
            out[name] = {
                "subtype": str(font["/Subtype"]),
                "embedded": "/FontFile2" in desc,
                "to_unicode": "/ToUnicode" in font,
            }
    return out


def _sample(**overrides) -> bytes:
    st = pb.styles()
    names = LATIN_NAMES + [ARABIC, DEVANAGARI, CHINESE, KOREAN, HEBREW]
    rows = [[n, "Targeted", str(3 * i + 1), pb.rag_cell(["Red", "Amber", "Green"][i % 3])]
            for i, n in enumerate(names)]
    story = [
        pb.para("Support this term", "h1"),
        pb.para("Escaping: <b>not bold</b> & co", st.body),
        pb.data_table(["Pupil", "Tier", "Sessions", "RAG"], rows, col_widths=[0.45, 0.2, 0.15, 0.2]),
        pb.figure(
            pb.bar_chart(["Direct support", "Whole-school approach", "Liaison and signposting"],
                         [("This school", [48, 30, None]), ("National", [52, 24, 23])],
                         unit="%", max_value=100),
            "Time by MHST function: this school against the national split.",
        ),
        pb.figure(
            pb.line_chart([("SDQ total", [(date(2024, 9, 10), 22), (date(2024, 12, 1), 17),
                                          (date(2025, 2, 20), 12)])],
                          [pb.Band(0, 13, "Close to average"), pb.Band(14, 16, "Slightly raised"),
                           pb.Band(17, 19, "High"), pb.Band(20, 40, "Very high")],
                          y_min=0, y_max=40, y_label="Score"),
            "SDQ total difficulties over time.",
        ),
    ]
    story += [pb.para("Filler paragraph to run onto more pages. " * 12) for _ in range(14)]
    kwargs = dict(title="Report to governors", school="Oakfield Primary School",
                  confidentiality=pb.CONFIDENTIAL_GOVERNORS, produced=PRODUCED,
                  footer_note=SUPPRESSION_RULE_TEXT)
    kwargs.update(overrides)
    return pb.build_pdf(story, **kwargs)


@pytest.fixture(scope="module")
def sample() -> bytes:
    return _sample()


def test_latin_extended_names_come_back_exactly(sample):
    text = "\n".join(_pages(sample))
    for name in LATIN_NAMES:
        assert name in text


def test_other_scripts_come_back_as_far_as_pypdf_can(sample):
    text = _nfkc("\n".join(_pages(sample)))
    assert "Ahmed محمد" in text  # presentation forms normalised, order fixed by pypdf
    assert "Chen 陈" in text
    assert "Ji-woo 지우" in text
    assert "Cohen כהן" in text
    # Devanagari: see the module docstring; the final syllable always survives.
    assert "Priya" in text and "या" in text
    if not pb.SHAPING_AVAILABLE:
        assert DEVANAGARI in text


def test_fallback_fonts_are_embedded_for_each_script(sample):
    fonts = _font_info(sample)
    for name in ("DejaVuSans", "DejaVuSans-Bold", "NotoSansArabic-Regular",
                 "NotoSansDevanagari-Regular", "DroidSansFallback", "NanumSquareR"):
        assert name in fonts, sorted(fonts)
    for name, info in fonts.items():
        assert info["embedded"], f"{name} is not embedded"
        assert info["to_unicode"], f"{name} has no ToUnicode map"
    # nothing falls back to the 14 standard (unembedded) PDF fonts
    assert not any(n.startswith(("Helvetica", "Times", "Courier")) for n in fonts)


def test_user_text_is_escaped(sample):
    text = "\n".join(_pages(sample))
    assert "Escaping: <b>not bold</b> & co" in text


def test_every_page_says_page_x_of_y_and_carries_header_and_footer(sample):
    pages = _pages(sample)
    n = len(pages)
    assert n >= 3
    for i, text in enumerate(pages, start=1):
        assert f"Page {i} of {n}" in text
        assert "Confidential: for the governing body" in text
        assert "Oakfield Primary School" in text
        flat = " ".join(text.split())
        assert " ".join(SUPPRESSION_RULE_TEXT.split()) in flat


def test_footer_note_is_optional_and_confidentiality_configurable():
    data = pb.build_pdf([pb.para("Hello")], title="Pupil summary", school="Oakfield",
                        confidentiality=pb.CONFIDENTIAL, produced=PRODUCED)
    (text,) = _pages(data)
    assert "fewer than 8" not in text
    assert "Confidential" in text and "governing body" not in text
    assert "Page 1 of 1" in text


def test_same_inputs_give_byte_identical_pdfs(sample):
    assert _sample() == sample
    assert _sample(produced=date(2025, 3, 15)) != sample


def test_metadata_is_fixed_from_the_inputs(sample):
    meta = PdfReader(io.BytesIO(sample)).metadata
    assert meta["/Title"] == "Report to governors"
    assert meta["/Author"] == "SchoolMH"
    assert meta["/CreationDate"].startswith("D:20250314000000")
    assert meta["/ModDate"] == meta["/CreationDate"]


def test_h1_headings_become_bookmarks(sample):
    outline = PdfReader(io.BytesIO(sample)).outline
    assert [o.title for o in outline] == ["Support this term"]


def test_cover_page_comes_first_and_body_starts_on_page_2():
    data = pb.build_pdf([pb.para("Body text here")], title="Report to governors",
                        school="Oakfield", confidentiality=pb.CONFIDENTIAL_GOVERNORS,
                        produced=PRODUCED, cover=[pb.para("Summer term 2025", "subtitle")])
    pages = _pages(data)
    assert len(pages) == 2
    assert "Report to governors" in pages[0] and "Produced 14 March 2025" in pages[0]
    assert "Summer term 2025" in pages[0] and "Body text here" not in pages[0]
    assert "Body text here" in pages[1]
    assert "Page 1 of 2" in pages[0] and "Page 2 of 2" in pages[1]


def test_charts_write_values_and_series_names_not_colour_alone(sample):
    text = " ".join(" ".join(_pages(sample)).split())
    assert "This school: 48%" in text
    assert "National: 52%" in text
    assert "This school: not shown" in text  # a suppressed value is said, not drawn
    for label in ("Close to average", "Slightly raised", "High", "Very high", "22", "17", "12"):
        assert label in text


def test_rag_cell_always_has_words():
    for status, word in (("red", "Red"), ("AMBER", "Amber"), (" Green ", "Green"), (None, "Not rated")):
        assert pb.rag_cell(status).label == word
    with pytest.raises(ValueError):
        pb.rag_cell("purple")


def test_data_table_right_aligns_counts_and_repeats_header():
    t = pb.data_table(["Year", "Pupils", "Share"],
                      [["Year 7", "fewer than 8", "—"], ["Year 8", "15", "42%"]])
    assert t.repeatRows == 1
    assert t._cellvalues[1][1].style.alignment == 2  # TA_RIGHT
    assert t._cellvalues[1][0].style.alignment == 0  # TA_LEFT
    with pytest.raises(ValueError):
        pb.data_table(["a", "b"], [["only one"]])


def test_suppressed_table_renders():
    cells = suppress_table([[4, 0, 0], [15, 9, 40], [30, 35, 50]])
    rows = [[label] + row for label, row in zip(["Year 7", "Year 8", "Year 9", "Total"], cells)]
    data = pb.build_pdf([pb.data_table(["", "Tier 1", "Tier 2", "Tier 3", "Total"], rows)],
                        title="t", school="s", produced=PRODUCED, footer_note=SUPPRESSION_RULE_TEXT)
    text = _pages(data)[0]
    assert "fewer than 8" in text and "*" in text and "185" in text


def test_works_without_harfbuzz(monkeypatch):
    monkeypatch.setattr(pb.fonts, "SHAPING_AVAILABLE", False)
    data = pb.build_pdf([pb.para(n) for n in (ARABIC, DEVANAGARI, HEBREW, "Fatima فاطمة الزهراء")],
                        title="t", school="s", produced=PRODUCED)
    text = _nfkc(_pages(data)[0])
    # drawn unshaped, right-to-left words reversed by para; pypdf restores logical order
    assert ARABIC in text and DEVANAGARI in text and HEBREW in text
    # pypdf gives Arabic words in drawing (visual) order, letters restored to
    # logical order: the first name is drawn rightmost, i.e. last here.
    assert "Fatima الزهراء فاطمة" in text


def test_rtl_words_are_drawn_right_to_left_when_shaped():
    data = pb.build_pdf([pb.para("Fatima فاطمة الزهراء")], title="t", school="s", produced=PRODUCED)
    assert "Fatima الزهراء فاطمة" in _nfkc(_pages(data)[0])


def test_rtl_words_are_put_in_visual_order():
    # consecutive right-to-left words swap places; Latin stays where it is
    pieces = pb._SPACES.split("Fatima فاطمة الزهراء Smith")
    assert pb._visual_words(pieces) == ["Fatima", " ", "الزهراء", " ", "فاطمة", " ", "Smith"]


def test_no_discretionary_ligature_for_names():
    # Noto Sans Arabic's dlig turns "محمد" into the honorific ligature U+FDF4.
    if not pb.SHAPING_AVAILABLE:
        pytest.skip("uharfbuzz not installed: nothing is shaped")
    data = pb.build_pdf([pb.para(ARABIC)], title="t", school="s", produced=PRODUCED)
    assert "\ufdf4" not in _pages(data)[0]


def test_resource_path_from_source_tree_and_frozen(monkeypatch, tmp_path):
    assert resources.resource_path("fonts", "DejaVuSans.ttf").is_file()
    assert resources.resource_path("fonts", "LICENSE-DejaVu.txt").is_file()
    monkeypatch.setattr(sys, "frozen", True, raising=False)
    monkeypatch.setattr(sys, "_MEIPASS", str(tmp_path), raising=False)
    assert resources.resource_path("fonts", "x.ttf") == Path(tmp_path) / "resources" / "fonts" / "x.ttf"


def test_bundled_fonts_stay_small():
    fonts = resources.resource_path("fonts")
    total = sum(p.stat().st_size for p in fonts.glob("*.ttf"))
    assert total < 15 * 1024 * 1024
    for lic in ("LICENSE-DejaVu.txt", "LICENSE-Noto.txt", "LICENSE-DroidSansFallback.txt",
                "LICENSE-Nanum.txt"):
        assert (fonts / lic).is_file()


# --- recovery sheet ---------------------------------------------------------

KEY = "K7QM-3XWP-9HTR-C4VN-8BJD-2FYG-6LSE-ZA5U"


def test_recovery_sheet_is_one_page_with_key_school_and_guidance():
    data = recovery_sheet_pdf("Ysgol Gymraeg Llŷn", KEY, PRODUCED)
    pages = _pages(data)
    assert len(pages) == 1
    text = pages[0]
    assert "Ysgol Gymraeg Llŷn" in text
    assert "14 March 2025" in text
    # the key may be broken over lines at group boundaries, never inside a group
    assert re.sub(r"\s+", "", KEY) in re.sub(r"\s+", "", text)
    for group in KEY.split("-"):
        assert group in text
    flat = " ".join(text.split())
    for phrase in ("SchoolMH recovery key", "set a new password for any staff account",
                   "locked cabinet or the school safe", "Never photograph it, email it",
                   "makes this one stop working"):
        assert phrase in flat
    fonts = _font_info(data)
    assert "DejaVuSansMono-Bold" in fonts
    assert all(info["embedded"] for info in fonts.values()), fonts


def test_recovery_sheet_long_key_still_one_page_and_deterministic():
    long_key = " ".join(["K7QM", "3XWP", "9HTR", "C4VN", "8BJD", "2FYG", "6LSE", "ZA5U"] * 2)
    data = recovery_sheet_pdf("Oakfield Academy", long_key, PRODUCED)
    assert len(_pages(data)) == 1
    assert recovery_sheet_pdf("Oakfield Academy", long_key, PRODUCED) == data
    with pytest.raises(ValueError):
        recovery_sheet_pdf("Oakfield Academy", "   ", PRODUCED)


def test_control_and_bidi_override_characters_never_reach_the_pdf():
    # typed into the window (imports strip them already): "\u202e" would make "Evans" display reversed
    data = pb.build_pdf([pb.para("Mia \u202eEvans\u202c \u2066Jones\u2069 \x1b[2J\x07end")], title="t", school="s",
                        produced=PRODUCED)
    text = _pages(data)[0]
    assert "Mia Evans Jones [2Jend" in text
    assert not any(c in text for c in "\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069\x1b\x07")
