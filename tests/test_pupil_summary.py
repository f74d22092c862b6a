"""The pupil summary PDF: names in any script, the record's parts, notes only for case-note readers, audit."""
from __future__ import annotations

import io
import re
import unicodedata

import pytest
from pypdf import PdfReader
from report_seed import LEAD_PASSWORD, PRODUCED, School

from schoolmh.cli import main as cli_main
from schoolmh.db.models import AuditEntry
from schoolmh.errors import NotFound, PermissionDenied
from schoolmh.reports.pupil_summary import pupil_summary_pdf
from schoolmh.services.report_data import pupil_summary_data


@pytest.fixture(scope="module")
def school(tmp_path_factory):
    s = School(tmp_path_factory.mktemp("pupilsummary") / "vault")
    yield s
    s.close()


def _pages(pdf: bytes) -> list[str]:
    return [re.sub(r"\s+", " ", p.extract_text()).strip() for p in PdfReader(io.BytesIO(pdf)).pages]


@pytest.fixture(scope="module")
def zoe(school) -> list[str]:
    return _pages(pupil_summary_pdf(school.session, school.seeded.pupil_uuids[0], produced=PRODUCED))


def test_accented_names_exact(school, zoe):
    assert "Pupil summary: Zoë Ní Bhriain" in zoe[0]
    lukasz = " ".join(_pages(pupil_summary_pdf(school.session, school.seeded.pupil_uuids[1], produced=PRODUCED)))
    assert "Łukasz Wójcik" in lukasz


def test_other_scripts(school):
    chinese = " ".join(_pages(pupil_summary_pdf(school.session, school.seeded.pupil_uuids[3], produced=PRODUCED)))
    assert "明 李" in chinese and "Ming Li" in chinese
    arabic = " ".join(_pages(pupil_summary_pdf(school.session, school.seeded.pupil_uuids[4], produced=PRODUCED)))
    # shaped Arabic comes back as presentation forms in visual order: compare the letters, not the order
    letters = unicodedata.normalize("NFKC", arabic)
    assert "عائشة" in letters and "رحمن" in letters


def test_confidential_on_every_page(zoe):
    for n, page in enumerate(zoe, start=1):
        assert "Confidential" in page and f"Page {n} of {len(zoe)}" in page


def test_record_parts(zoe):
    text = " ".join(zoe)
    for expected in (
        "UPN G999000004000", "Date of birth 1 Mar 2011", "Year group Year 9", "SEN provision EHC plan",
        "Flags English as an additional language, Free school meals, Looked after, Young carer",
        "Targeted (in school) plan: closed, started 8 Sep 2025, closed 1 Dec 2025",
        "Presenting needs Worries about school (0)", "Outcome Goals met",
        "1 Sleep better 3 on 15 Sep 2025; 6 on 15 Oct 2025", "20 Nov 2025 Good progress 1 Dec 2025",
        "15 Sep 2025 45 min Direct support 1:1 In person Attended Alex Lead",
        "12 Nov 2025 30 min Direct support 1:1 In person Did not attend",
        "15 Sep 2025 SDQ self 20 very high", "SDQ self 20 (15 Sep 2025) 10 (1 Dec 2025) -10 Reliable improvement",
        "RCADS25 child 50 (16 Sep 2025) 20 (2 Dec 2025) -30 Reliable improvement",
        "Strengths and Difficulties Questionnaire (SDQ) over time",
        "10 Sep 2025 MHST Accepted 24 Sep 2025 Low mood",
    ):
        assert expected in text, expected


def test_notes_for_case_note_readers_only(school, zoe):
    assert "Talked about sleep (0)" in " ".join(zoe)
    assert pupil_summary_data(school.session, school.seeded.pupil_uuids[0]).notes_included
    with school.as_role("head") as head:
        text = " ".join(_pages(pupil_summary_pdf(head, school.seeded.pupil_uuids[0], produced=PRODUCED)))
    assert "Talked about sleep" not in text and "Session notes are not included" in text
    assert "Zoë Ní Bhriain" in text


def test_liaison_mentions_are_dates_and_kinds_only(school):
    text = " ".join(_pages(pupil_summary_pdf(school.session, school.seeded.pupil_uuids[9], produced=PRODUCED)))
    assert "6 Oct 2025 Liaison meeting: Case discussion" in text and "20 Oct 2025 Staff consultation" in text
    assert "Case discussion notes" not in text and "Advice on a pupil's anxiety" not in text


def test_audited(school):
    uuid = school.seeded.pupil_uuids[1]
    pupil_summary_pdf(school.session, uuid, produced=PRODUCED)
    entry = AuditEntry.select().where(AuditEntry.action == "export.pupil_summary").order_by(
        AuditEntry.seq.desc()).first()
    assert entry.object_uuid == uuid and entry.detail == "notes=1"


def test_same_data_same_bytes(school):
    uuid = school.seeded.pupil_uuids[3]
    assert pupil_summary_pdf(school.session, uuid, produced=PRODUCED) == pupil_summary_pdf(
        school.session, uuid, produced=PRODUCED)


def test_mhst_cannot_make_one_and_unknown_pupil(school):
    with school.as_role("mhst") as s:
        with pytest.raises(PermissionDenied):
            pupil_summary_pdf(s, school.seeded.pupil_uuids[0])
    with pytest.raises(NotFound):
        pupil_summary_pdf(school.session, "0" * 32)


def test_cli_by_upn(school, tmp_path, monkeypatch, capsys):
    monkeypatch.setenv("SCHOOLMH_PASSWORD", LEAD_PASSWORD)
    out = tmp_path / "pupil.pdf"
    with school.as_role("lead"):
        rc = cli_main(["report", "pupil", school.seeded.upns[1], "--data-dir", str(school.folder), "--out", str(out)])
        assert rc == 0 and "Łukasz Wójcik" in " ".join(_pages(out.read_bytes()))
        capsys.readouterr()
        from schoolmh.domain.upn import make_upn

        rc = cli_main(["report", "pupil", make_upn(9999), "--data-dir", str(school.folder), "--out", str(out),
                       "--force"])
        err = capsys.readouterr().err
        assert rc == 2 and err.count("\n") == 1 and "No pupil with UPN" in err


def test_indicative_reliable_change_is_said_to_be_indicative(school, zoe):
    text = " ".join(zoe)
    # SDQ self and RCADS-25 thresholds are not published values: the PDF says so, next to the verdict
    assert "-10 Reliable improvement (indicative)" in text and "-30 Reliable improvement (indicative)" in text
    assert "Indicative: no published reliable-change value was found for SDQ (self), RCADS25 (child)" in text
    assert "Self: reliable improvement (indicative)." in text  # the chart caption too


def test_a_published_threshold_is_not_called_indicative(school):
    import dataclasses

    from schoolmh.reports.pupil_summary import pupil_summary_pdf_from_data

    data = pupil_summary_data(school.session, school.seeded.pupil_uuids[0])
    parent = tuple(dataclasses.replace(c, rater="parent") for c in data.changes if c.instrument == "SDQ")
    text = " ".join(_pages(pupil_summary_pdf_from_data(dataclasses.replace(data, changes=parent), PRODUCED)))
    assert "SDQ parent 20 (15 Sep 2025) 10 (1 Dec 2025) -10 Reliable improvement" in text
    assert "indicative" not in text.lower()
