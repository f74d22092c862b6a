"""Every text field that reaches a PDF, at its maximum allowed length, flows across pages and comes back whole.

The pupil summary carries names, tutor group, language, plan texts, goals, reviews, session notes, referral
reasons and staff names; the governors' report carries only the school name (it is anonymous). Each field is
filled to its limit with numbered tokens ("NTE0001 NTE0002 ..."), the PDF is read back with pypdf, and every
token must be there in order: a layout error, a clipped cell or a lost page would all fail. The header must stay
above the body on every page however long the school or pupil name. All people are fictional.
"""
from __future__ import annotations

import datetime as dt
import io
import re

import pytest
from pypdf import PdfReader

from support import LEAD_PASSWORD
from schoolmh.domain.upn import make_upn
from schoolmh.reports.governors import governors_pdf
from schoolmh.services.terms import Period
from schoolmh.reports.pupil_summary import pupil_summary_pdf
from schoolmh.services import access, plans, pupils, referrals, sessions
from schoolmh.services.plans import MAX_GOAL_LENGTH, MAX_TEXT_LENGTH
from schoolmh.services.pupils import MAX_TEXT
from schoolmh.services.sessions import MAX_NOTE_LENGTH

PRODUCED = dt.date(2026, 1, 10)
MAX_SCHOOL_NAME = 200  # services.settings
MAX_STAFF_NAME = 200  # Staff.full_name
MAX_REFERRAL_TEXT = 2000  # services.referrals: reason, next step


def tokens_text(tag: str, length: int) -> str:
    """Exactly ``length`` characters of numbered tokens: "TAG0001 TAG0002 ..." (the last may be cut short)."""
    out, n = [], 1
    while len(" ".join(out)) < length:
        out.append(f"{tag}{n:04d}")
        n += 1
    text = " ".join(out)[:length]
    return text[:-1] + "Z" if text.endswith(" ") else text  # a trailing space would be stripped on save


def whole_tokens(text: str) -> list[str]:
    words = text.split()
    return words if len(text) == len(" ".join(words)) and words[-1][-4:].isdigit() else words[:-1]


def assert_all_in_order(tag: str, source: str, pdf_text: str) -> None:
    at = 0
    for token in whole_tokens(source):
        found = pdf_text.find(token, at)
        assert found >= 0, f"{tag}: {token} missing after position {at}"
        at = found + len(token)


def page_texts(pdf: bytes) -> list[str]:
    return [re.sub(r"\s+", " ", p.extract_text()) for p in PdfReader(io.BytesIO(pdf)).pages]


def header_overlaps(pdf: bytes, marks: tuple[str, ...], first_page: int = 1) -> list[int]:
    """Pages where body text sits as high as the lowest header line (the header running into the body).

    Header lines are the 9 pt lines holding one of ``marks`` (the school's and the title's tokens); the
    body is every other line above the footer.
    """
    bad = []
    for number, page in enumerate(PdfReader(io.BytesIO(pdf)).pages, start=1):
        if number < first_page:
            continue
        header_ys, body_ys = [], []

        def visit(text, cm, tm, font, size, header_ys=header_ys, body_ys=body_ys):
            if not text.strip():
                return
            y = cm[5] + tm[5]
            is_header = abs(size - 9) < 0.01 and any(mark in text for mark in marks)
            (header_ys if is_header else body_ys).append(y)

        page.extract_text(visitor_text=visit)
        body_above_footer = [y for y in body_ys if y > 60]
        if not header_ys or (body_above_footer and max(body_above_footer) >= min(header_ys) - 2):
            bad.append(number)
    return bad


@pytest.fixture(scope="module")
def long_school(tmp_path_factory):
    folder = tmp_path_factory.mktemp("longtext") / "vault"
    fields = {
        "school": tokens_text("SCH", MAX_SCHOOL_NAME),
        "staff": tokens_text("STF", MAX_STAFF_NAME),
        "legal_forename": tokens_text("LFN", MAX_TEXT), "legal_surname": tokens_text("LSN", MAX_TEXT),
        "preferred_forename": tokens_text("PFN", MAX_TEXT), "preferred_surname": tokens_text("PSN", MAX_TEXT),
        "tutor_group": tokens_text("TUT", MAX_TEXT), "first_language": tokens_text("LNG", MAX_TEXT),
        "presenting_needs": tokens_text("NED", MAX_TEXT_LENGTH), "strategies": tokens_text("STR", MAX_TEXT_LENGTH),
        "goal1": tokens_text("GLA", MAX_GOAL_LENGTH), "goal2": tokens_text("GLB", MAX_GOAL_LENGTH),
        "goal3": tokens_text("GLC", MAX_GOAL_LENGTH),
        "review": tokens_text("REV", MAX_TEXT_LENGTH), "outcome": tokens_text("OUT", MAX_TEXT_LENGTH),
        "note1": tokens_text("NTA", MAX_NOTE_LENGTH), "note2": tokens_text("NTB", MAX_NOTE_LENGTH),
        "reason": tokens_text("RSN", MAX_REFERRAL_TEXT), "next_step": tokens_text("NXT", MAX_REFERRAL_TEXT),
    }
    s = access.init_school(folder, fields["school"], "lead", fields["staff"], LEAD_PASSWORD).session
    assert len(s.actor.full_name) == MAX_STAFF_NAME
    pupil = pupils.create_pupil(
        s, upn=make_upn(77), legal_forename=fields["legal_forename"], legal_surname=fields["legal_surname"],
        preferred_forename=fields["preferred_forename"], preferred_surname=fields["preferred_surname"],
        dob=dt.date(2011, 5, 2), sex="F", year_group=9, tutor_group=fields["tutor_group"],
        first_language=fields["first_language"], ethnicity="APKN", sen_provision="K")
    plan = plans.create_plan(s, pupil.uuid, "targeted", presenting_needs=fields["presenting_needs"],
                             goals=[fields["goal1"], fields["goal2"], fields["goal3"]],
                             strategies=fields["strategies"], people_involved=["pupil", "parent"],
                             start_date=dt.date(2025, 9, 8), review_date=dt.date(2025, 12, 1))
    sessions.record_session(s, pupil.uuid, date=dt.date(2025, 9, 15), duration_minutes=45, note=fields["note1"])
    sessions.record_session(s, pupil.uuid, date=dt.date(2025, 10, 15), duration_minutes=45, note=fields["note2"])
    plans.add_review(s, plan.uuid, review_date=dt.date(2025, 11, 20), notes=fields["review"],
                     next_review_date=dt.date(2025, 12, 1))
    plans.close_plan(s, plan.uuid, closed_on=dt.date(2025, 12, 1), outcome=fields["outcome"])
    referrals.create_referral(s, pupil.uuid, "camhs", dt.date(2025, 10, 1), reason=fields["reason"],
                              next_step=fields["next_step"])
    try:  # both PDFs made here, so the tests only read bytes (the CLI test opens its own vault)
        return fields, pupil_summary_pdf(s, pupil.uuid, produced=PRODUCED), governors_pdf(
            s, Period(dt.date(2025, 9, 1), dt.date(2025, 12, 31), ""), produced=PRODUCED)
    finally:
        s.close()


def test_every_pupil_summary_field_at_its_maximum_comes_back_whole(long_school):
    fields, pdf, _ = long_school
    pages = page_texts(pdf)
    assert len(pages) > 5  # 60,000 characters of text cannot fit on a few pages
    text = " ".join(pages)
    for name, value in fields.items():
        assert_all_in_order(name, value, text)
    for n, page in enumerate(pages, start=1):
        assert f"Page {n} of {len(pages)}" in page and "Confidential" in page


def test_a_5000_character_note_makes_report_pupil_work_from_the_command_line(recovery_key, vault_dir, tmp_path,
                                                                             monkeypatch, capsys):
    from schoolmh import cli

    note = tokens_text("CLI", MAX_NOTE_LENGTH)
    s = access.sign_in(vault_dir, None, LEAD_PASSWORD)
    try:
        pupil = pupils.create_pupil(s, upn=make_upn(78), legal_forename="Ada", legal_surname="Lovecraft",
                                    year_group=9)
        sessions.record_session(s, pupil.uuid, date=dt.date(2025, 9, 15), note=note)
    finally:
        s.close()
    monkeypatch.setenv("SCHOOLMH_PASSWORD", LEAD_PASSWORD)
    target = tmp_path / "pupil.pdf"
    code = cli.main(["report", "pupil", make_upn(78), "--out", str(target), "--data-dir", str(vault_dir)])
    assert code == 0, capsys.readouterr().err
    assert_all_in_order("note", note, " ".join(page_texts(target.read_bytes())))


def test_the_header_never_overlaps_the_body_with_the_longest_names(long_school):
    _, pdf, _ = long_school
    assert header_overlaps(pdf, ("SCH", "PFN", "PSN", "Pupil", "summary")) == []


def test_governors_report_with_the_longest_school_name(long_school):
    fields, _, pdf = long_school
    pages = page_texts(pdf)
    assert_all_in_order("school", fields["school"], pages[0])  # the cover
    for page in pages[1:]:
        assert_all_in_order("school", fields["school"], page)  # the header of every body page
    assert header_overlaps(pdf, ("SCH", "Governors", "governors", "report"), first_page=2) == []  # 1: cover
