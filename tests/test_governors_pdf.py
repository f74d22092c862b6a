"""The governors' PDF, read back with pypdf: its figures, its anonymity, each small-number rule, determinism."""
from __future__ import annotations

import datetime as dt
import io
import re

import pytest
from pypdf import PdfReader
from pypdf.generic import IndirectObject, StreamObject
from report_seed import LEAD_PASSWORD, PRODUCED, TERM_END, TERM_START, School

from schoolmh.cli import main as cli_main
from schoolmh.db.models import AuditEntry
from schoolmh.domain import suppression as sup
from schoolmh.errors import PermissionDenied
from schoolmh.reports.governors import REPORT_TITLE, governors_pdf, governors_pdf_from_data
from schoolmh.services.report_data import governors_report_data
from schoolmh.services.terms import Period

TERM = Period(TERM_START, TERM_END, "")


@pytest.fixture(scope="module")
def school(tmp_path_factory):
    s = School(tmp_path_factory.mktemp("governors") / "vault")
    yield s
    s.close()


@pytest.fixture(scope="module")
def pdf(school) -> bytes:
    return governors_pdf(school.session, TERM, produced=PRODUCED)


def _flat(text: str) -> str:
    return re.sub(r"\s+", " ", text).strip()


def _pages(pdf: bytes) -> list[str]:
    return [_flat(p.extract_text()) for p in PdfReader(io.BytesIO(pdf)).pages]


@pytest.fixture(scope="module")
def text(pdf) -> str:
    return " ".join(_pages(pdf))


def test_every_page_has_the_rule_the_confidentiality_line_and_page_x_of_y(pdf):
    pages = _pages(pdf)
    assert len(pages) >= 4
    rule = _flat(sup.SUPPRESSION_RULE_TEXT)
    for n, page in enumerate(pages, start=1):
        assert rule in page
        assert "Confidential: for the governing body" in page
        assert f"Page {n} of {len(pages)}" in page


def test_cover(pdf):
    cover = _pages(pdf)[0]
    for expected in (REPORT_TITLE, "Oakfield Academy", "Produced 12 January 2026",
                     "Autumn 2025 term: 1 August 2025 to 31 December 2025"):
        assert expected in cover


def test_figures_match_the_report_data_service(school, text):
    data = governors_report_data(school.session, TERM, as_of=TERM_END)
    p = data.printable()
    for sentence in p.summary:
        assert _flat(sentence) in text
    assert f"Pupils supported directly (at least one session attended) {p.pupils_supported}" in text
    assert f"Direct support sessions delivered {p.sessions_delivered}" in text
    assert f"Direct support sessions planned (not cancelled by the school) {p.sessions_planned}" in text
    assert f"Attendance rate (delivered, of planned) {p.attendance_rate}" in text
    for label, value in p.tier_rows:
        assert f"{label} {value}" in text
    for f in p.function_rows:
        assert f"This school: {f.share}" in text and f"National: {f.national_share}%" in text
        assert f"Bar {f.function} counts" in text and f"({f.hours} hours)" in text
    assert " ".join(p.referral_header) in text
    for row in p.referral_rows:
        assert " ".join(row) in text
    for row in p.gap_rows:
        assert " ".join(row) in text
    assert f"Median wait from referral to decision: {p.median_wait}" in text
    for name, acts, pupils, staff, parents, rag in p.principle_rows:
        assert f"{name} {acts} {pupils} {staff} {parents} {rag.capitalize() if rag != 'none' else 'No objective'}" \
            in text
    assert "No activity in this period for: Ethos and environment; Student voice; Parents and carers." in text
    for label, value in p.liaison_rows:
        assert f"{label} {value}" in text
    for label, now, before in p.comparison_rows:
        assert f"{label} {now} {before}" in text
    sdq = p.outcome_rows[0]
    assert f"SDQ: Strengths and Difficulties Questionnaire {sdq.paired} {sdq.cell(0)} {sdq.cell(1)} {sdq.cell(2)}" \
        in text
    assert "Referrals waiting for a decision" not in text and "No referral was waiting" in text


def test_function_2_minutes_from_activities_reach_the_report(text):
    """The seed's whole-school work: one 120-minute function-2 session and five activities at their category's
    default staff time (330 minutes): 450 minutes, 8 hours to the nearest hour, of 29 hours in all."""
    assert "Bar 2 counts whole-school activities' staff time and function-2 sessions (8 hours)." in text
    assert "2. Whole school approach This school: 28% National: 24%" in text
    assert "Share of the staff time recorded in this period (29 hours" in text


def test_each_suppression_rule_is_visible(text):
    # primary: a count of 3 (MHST tier) prints "fewer than 8"; 12 pupils print "10"
    assert "MHST fewer than 8" in text
    assert "Pupils supported directly (at least one session attended) 10" in text
    # secondary: the targeted tier and one cell in each referral row with a hidden cell show "*"
    assert "Targeted (in school) * MHST fewer than 8" in text
    assert "MHST * fewer than 8 0 10" in text and "CAMHS fewer than 8 * 0 10" in text
    # a group under 10 is not broken down
    assert "English as an additional language fewer than 8 — — — Under 10: not broken down" in text
    # percentage only where both printed figures are at least 10: summer's attendance (5 of 6) is not shown
    assert "Attendance rate 83% —" in text
    # the outcomes row has hidden cells, so it prints counts and no share: 12 pupils = 8 + 2 + 2
    assert "SDQ: Strengths and Difficulties Questionnaire 10 10 fewer than 8 fewer than 8" in text
    # too few paired scores
    assert "under 10 too few to report" in text


def _everything(pdf: bytes) -> tuple[str, list[bytes]]:
    """Extracted text of every page, metadata, outline and every non-stream object; and the raw bytes of
    the file and of every stream, decompressed."""
    reader = PdfReader(io.BytesIO(pdf))
    texts = [p.extract_text() for p in reader.pages]
    texts += [str(v) for v in (reader.metadata or {}).values()]
    texts += [getattr(item, "title", "") for item in reader.outline if not isinstance(item, list)]
    raw = [pdf]
    for generation, entries in reader.xref.items():
        for idnum in entries:
            obj = reader.get_object(IndirectObject(idnum, generation, reader))
            if isinstance(obj, StreamObject):
                raw.append(obj.get_data())
            else:
                texts.append(str(obj))
    return "\n".join(texts).casefold(), raw


def test_no_pupil_name_or_upn_anywhere(school, pdf):
    text, raw = _everything(pdf)
    assert "oakfield academy" in text and len(raw) > 10  # the scan does see the content
    for name in school.seeded.names:
        assert not re.search(rf"(?<!\w){re.escape(name.casefold())}(?!\w)", text), name
        for blob in raw:
            for encoded in (name.encode("utf-8"), name.encode("utf-16-be")):
                if len(name) > 2:
                    assert encoded not in blob, name
    for upn in school.seeded.upns:
        assert upn.casefold() not in text
        for blob in raw:
            assert upn.encode("ascii") not in blob and upn.encode("utf-16-be") not in blob


def test_the_name_scan_would_find_a_name(school):
    """The same scan on a pupil summary (which must hold the name) finds it: the check above is not vacuous."""
    from schoolmh.reports.pupil_summary import pupil_summary_pdf

    text, _ = _everything(pupil_summary_pdf(school.session, school.seeded.pupil_uuids[2], produced=PRODUCED))
    assert "zephyrine quillfeather" in text and school.seeded.upns[2].casefold() in text


def test_fonts_are_embedded(pdf):
    reader = PdfReader(io.BytesIO(pdf))
    fonts = reader.pages[1]["/Resources"]["/Font"]
    for ref in fonts.values():
        font = ref.get_object()
        descendant = font.get("/DescendantFonts")
        descriptor = (descendant[0].get_object() if descendant else font).get("/FontDescriptor")
        if descriptor is not None:
            d = descriptor.get_object()
            assert any(k in d for k in ("/FontFile2", "/FontFile", "/FontFile3"))


def test_same_data_same_bytes(school, pdf):
    again = governors_pdf(school.session, TERM, produced=PRODUCED)
    assert again == pdf
    data = governors_report_data(school.session, TERM, as_of=TERM_END)
    assert governors_pdf_from_data(data, PRODUCED) == governors_pdf_from_data(data, PRODUCED)


def test_audited_without_identifiers(school, pdf):
    entry = AuditEntry.select().where(AuditEntry.action == "export.governors_report").order_by(
        AuditEntry.seq.desc()).first()
    assert entry is not None
    assert entry.detail == "start=2025-08-01,end=2025-12-31" and entry.object_uuid == ""


def test_empty_term_renders_a_sensible_report(school):
    pdf = governors_pdf(school.session, Period(dt.date(2024, 1, 1), dt.date(2024, 3, 31), ""), produced=PRODUCED)
    text = " ".join(_pages(pdf))
    assert "nothing to report for this period" in text
    assert "No pupil attended a direct support session in this period." in text
    assert "No outcome measures were completed in this period." in text
    assert "No referrals were made to other services in this period." in text
    assert "No whole-school activity was recorded in this period." in text
    assert "There are no records for Autumn 2023 term to compare with." in text
    assert "This school: not shown" in text
    assert "No staff time was recorded in this period" in text


def test_permissions_pastoral_cannot_head_can(school):
    with school.as_role("pastoral") as s:
        with pytest.raises(PermissionDenied):
            governors_pdf(s, TERM, produced=PRODUCED)
    with school.as_role("head") as s:
        assert governors_pdf(s, TERM, produced=PRODUCED).startswith(b"%PDF")


def test_cli_by_term_and_by_dates(school, tmp_path, monkeypatch, capsys):
    monkeypatch.setenv("SCHOOLMH_PASSWORD", LEAD_PASSWORD)
    out = tmp_path / "gov.pdf"

    def run(*args: str) -> int:
        return cli_main(["report", "governors", "--data-dir", str(school.folder), *args])

    with school.as_role("lead"):
        assert run("--term", "autumn", "--year", "2025-26", "--out", str(out)) == 0
        assert out.read_bytes().startswith(b"%PDF")
        assert "Autumn 2025 term" in " ".join(_pages(out.read_bytes()))
        assert run("--term", "autumn", "--year", "2025", "--out", str(tmp_path / "a.pdf")) == 0  # unambiguous: autumn
        assert run("--year", "2025-26", "--out", str(tmp_path / "year.pdf")) == 0
        assert "School year 2025-26: 1 August 2025 to 31 July 2026" in _pages((tmp_path / "year.pdf").read_bytes())[0]
        assert run("--from", "2025-09-01", "--to", "2025-10-31", "--out", str(tmp_path / "dates.pdf")) == 0
        assert "September to October 2025: 1 September 2025 to 31 October 2025" in " ".join(
            _pages((tmp_path / "dates.pdf").read_bytes()))
        capsys.readouterr()
        for args, message in (
            (("--term", "winter", "--year", "2025-26"), "autumn, spring or summer"),
            (("--term", "spring", "--year", "2026"), "--year 2026 is ambiguous: say the school year, --year 2025-26"),
            (("--year", "2026"), "ambiguous"),
            (("--from", "2025-09-01", "--to", "2025-10-30"), "whole terms or whole calendar months"),
            (("--from", "2025-09-02", "--to", "2025-09-30"), "cannot be subtracted"),
            (("--from", "2025-09-01",), "--to"),
        ):
            assert run(*args, "--out", str(tmp_path / "refused.pdf")) == 2, args  # (a new name each time)
            err = capsys.readouterr().err
            assert err.count("\n") == 1 and message in err, (args, err)
        assert not (tmp_path / "refused.pdf").exists()
