"""One pupil's summary as a PDF: for a parent meeting, a transfer to a new school or a subject access request.

It holds personal and special category data, so every page says "Confidential"
and making it is audited ("export.pupil_summary"). Names and other text typed by
staff go through ``pdfbase.para``, which escapes them and switches to a font
that has the script's letters. Session notes are included only for roles that
may read case notes (Action.SESSION_READ). A reliable-change classification made
with an indicative threshold (domain.instruments) says "(indicative)". Text of
any allowed length flows across pages (pdfbase). reportlab is imported lazily.
"""
from __future__ import annotations

import datetime as dt
from collections import defaultdict

from schoolmh.domain.codes import FUNCTIONS
from schoolmh.domain.instruments import get_instrument
from schoolmh.errors import ValidationError
from schoolmh.services.permissions import Action
from schoolmh.services.report_data import PupilSummaryData, pupil_summary_data
from schoolmh.services.session import Session

__all__ = ["pupil_summary_pdf", "pupil_summary_pdf_from_data", "PUPIL_SUMMARY_TITLE"]

PUPIL_SUMMARY_TITLE = "Pupil summary"


def pupil_summary_pdf(session: Session, pupil_uuid: str, produced: dt.date | None = None) -> bytes:
    """The pupil's summary as PDF bytes. Audited as "export.pupil_summary" (pupil uuid only)."""
    session.require(Action.REPORT_PUPIL)
    produced = produced or session.today()
    data = pupil_summary_data(session, pupil_uuid)
    pdf = pupil_summary_pdf_from_data(data, produced, produced_by=f"{session.actor.full_name} "
                                      f"({session.actor.role_name})")
    with session.transaction():
        session.audit("export.pupil_summary", "pupil", data.pupil_uuid,
                      f"notes={int(data.notes_included)}")
    return pdf


def _d(day: dt.date | None) -> str:
    return "" if day is None else f"{day.day} {day.strftime('%b')} {day.year}"


def _num(value: float) -> str:
    return f"{value:g}"


def _age(dob: dt.date | None, day: dt.date) -> int | None:
    if dob is None:
        return None
    return day.year - dob.year - ((day.month, day.day) < (dob.month, dob.day))


def _year(year: int | None) -> str:
    if year is None:
        return ""
    return {-2: "Nursery 1", -1: "Nursery 2", 0: "Reception"}.get(year, f"Year {year}")


def pupil_summary_pdf_from_data(data: PupilSummaryData, produced: dt.date, produced_by: str = "") -> bytes:
    """Lay the summary out from the data (no database access)."""
    from reportlab.platypus import KeepTogether, Spacer

    from schoolmh.reports.pdfbase import CONFIDENTIAL, Markup, build_pdf, data_table, para, styles

    st = styles()
    name = data.display_name or "Pupil"
    story: list = [
        para([Markup(f"{PUPIL_SUMMARY_TITLE}: "), name], st.title),
        para(f"Produced {_d(produced)}" + (f" by {produced_by}" if produced_by else "")
             + ". For a parent meeting, a transfer to a new school or a subject access request.", st.small),
        Spacer(1, 4),
    ]

    def kv(rows) -> object:
        return data_table(("Detail", "Recorded"), [[k, v or "Not recorded"] for k, v in rows],
                          col_widths=(0.32, 0.68), numeric_cols=())

    story += [para("Identity", st.h1), kv([
        ("Name used", data.display_name),
        ("Legal name", data.legal_name),
        ("Preferred name", data.preferred_name),
        ("UPN", data.upn),
        ("Date of birth", _d(data.dob)),
        ("Sex", data.sex),
        ("Year group", _year(data.year_group)),
        ("Tutor group", data.tutor_group),
        ("Ethnicity", data.ethnicity),
        ("First language", data.first_language),
        ("Shared with the MHST", "Yes" if data.shared_with_mhst else "No"),
        ("Left the school", _d(data.left_on) or "No (on roll)"),
    ])]
    gap = (f"Yes, since {_d(data.gap_since)}: not accepted by the MHST nor by specialist services (CAMHS), "
           "and nothing accepted or waiting since"
           if data.gap_since else "No")
    story += [para("Needs and flags", st.h1), kv([
        ("SEN provision", data.sen_provision),
        ("Primary need", data.primary_need),
        ("Flags", ", ".join(data.flags) if data.flags else "None"),
        ("In the gap between services", gap),
    ])]

    story.append(para("Support plans", st.h1))
    if not data.plans:
        story.append(para("No support plan has been recorded.", st.body))
    for plan in data.plans:
        when = f"started {_d(plan.start_date)}" + (f", closed {_d(plan.closed_on)}" if plan.closed_on else "")
        story.append(para(f"{plan.tier} plan: {plan.status.lower()}, {when}", st.h2))
        story.append(kv([
            ("Presenting needs", plan.presenting_needs),
            ("Strategies", plan.strategies),
            ("People involved", ", ".join(plan.people_involved)),
            ("Review date", _d(plan.review_date)),
            *([("Outcome", plan.outcome)] if plan.status.lower() == "closed" else []),
        ]))
        if plan.goals:
            rows = []
            for g in plan.goals:
                ratings = "; ".join(f"{r} on {_d(day)}" for day, r in g.ratings) or "Not rated yet"
                rows.append([str(g.position), g.description, ratings])
            story.append(data_table(("Goal", "Description", "Ratings (0-10, goal-based outcomes)"), rows,
                                    col_widths=(0.08, 0.52, 0.40), numeric_cols=()))
        if plan.reviews:
            story.append(data_table(("Review", "Notes", "Next review"),
                                    [[_d(r.review_date), r.notes, _d(r.next_review_date)] for r in plan.reviews],
                                    col_widths=(0.18, 0.62, 0.20), numeric_cols=()))

    story.append(para("Sessions", st.h1))
    if not data.sessions:
        story.append(para("No sessions have been recorded.", st.body))
    else:
        header = ["Date", "Length", "Function", "Type", "Mode", "Attendance", "Staff"]
        rows = [[_d(s.date), f"{s.duration_minutes} min", FUNCTIONS.get(s.function, str(s.function)), s.type,
                 s.mode, s.attendance, s.staff] for s in data.sessions]
        story.append(data_table(header, rows, col_widths=(0.14, 0.1, 0.16, 0.13, 0.12, 0.17, 0.18),
                                numeric_cols=(1,), font_size=9))
        if data.notes_included:
            noted = [s for s in data.sessions if s.note]
            if noted:
                story.append(para("Session notes", st.h2))
                story.append(data_table(("Date", "Note"), [[_d(s.date), s.note] for s in noted],
                                        col_widths=(0.16, 0.84), numeric_cols=()))
        else:
            story.append(para("Session notes are not included: the role that produced this summary does not "
                              "read case notes.", st.small))

    story += _measures(data)

    story.append(para("Referrals", st.h1))
    if not data.referrals:
        story.append(para("No referrals have been recorded.", st.body))
    else:
        story.append(data_table(
            ("Sent", "Service", "Decision", "Decided", "Reason", "Next step"),
            [[_d(r.sent_on), r.destination, r.decision, _d(r.decision_on), r.reason, r.next_step]
             for r in data.referrals],
            col_widths=(0.15, 0.15, 0.14, 0.15, 0.2, 0.21), numeric_cols=()))

    story.append(para("Liaison mentions", st.h1))
    if not data.mentions:
        story.append(para("The pupil has not been discussed at a recorded liaison meeting or consultation.",
                          st.body))
    else:
        story.append(KeepTogether([
            data_table(("Date", "Where"), [[_d(m.date), m.kind] for m in data.mentions], col_widths=(0.2, 0.8),
                       numeric_cols=()),
            para("Dates and kinds only: what was discussed is kept in the liaison notes.", st.small),
        ]))

    return build_pdf(
        story,
        title=f"{PUPIL_SUMMARY_TITLE}: {name}",
        school=data.school or "School",
        confidentiality=CONFIDENTIAL,
        produced=produced,
        footer_note="Personal and special category data: keep securely, share only with those entitled to it, "
                    "and destroy when no longer needed.",
        cover=None,
    )


def _indicative(change) -> bool:
    """Whether the change was classified with a threshold that is not a published value."""
    try:
        return get_instrument(change.instrument).reliable_change_is_indicative(change.rater)
    except ValidationError:
        return False


def _verdict(change) -> str:
    """The classification, with "(indicative)" when its threshold is not a published value."""
    return f"{change.classification} (indicative)" if _indicative(change) else change.classification


def _measures(data: PupilSummaryData) -> list:
    from schoolmh.reports.pdfbase import Band, data_table, figure, line_chart, para, styles

    st = styles()
    out = [para("Outcome measures", st.h1)]
    if not data.measures:
        out.append(para("No outcome measures have been recorded.", st.body))
        return out
    out.append(data_table(
        ("Date", "Questionnaire", "Rater", "Score", "Band"),
        [[_d(m.date), m.instrument, m.rater, _num(m.headline), m.band] for m in data.measures],
        col_widths=(0.16, 0.2, 0.14, 0.12, 0.38), numeric_cols=(3,)))
    if data.changes:
        out.append(para("Change from first to latest", st.h2))
        out.append(data_table(
            ("Questionnaire", "Rater", "First", "Latest", "Change", "Classification"),
            [[c.instrument, c.rater, f"{_num(c.first)} ({_d(c.first_date)})", f"{_num(c.latest)} ({_d(c.latest_date)})",
              f"{c.delta:+g}", _verdict(c).capitalize()] for c in data.changes],
            col_widths=(0.2, 0.1, 0.19, 0.19, 0.11, 0.21), numeric_cols=(4,)))
        indicative = [c for c in data.changes if _indicative(c)]
        if indicative:
            which = ", ".join(dict.fromkeys(f"{c.instrument} ({c.rater})" for c in indicative))
            out.append(para(f"Indicative: no published reliable-change value was found for {which}. The "
                            "classification uses a threshold worked out from the questionnaire's published norms "
                            "(Jacobson and Truax method); read it as a guide, not a rule.", st.small))
    by_instrument: dict[str, list] = defaultdict(list)
    for m in data.measures:
        by_instrument[m.instrument].append(m)
    for code, results in by_instrument.items():
        if len(results) < 2:
            continue
        raters = list(dict.fromkeys(m.rater for m in results))
        series = [(r, [(m.date, m.headline) for m in results if m.rater == r]) for r in raters]
        bands = []
        try:
            inst = get_instrument(code)
            found = inst.bands_for(raters[0], _age(data.dob, results[-1].date)) or ()
            bands = [Band(b.low, b.high, b.label) for b in found]
            lo, hi = inst.headline_range
            better = "lower" if not inst.higher_is_better else "higher"
            name = inst.name
        except ValidationError:
            lo = hi = None
            better, name = "", code
        caption = f"{name} ({code}) over time, by rater."
        if better:
            caption += f" A {better} score is better."
        if bands:
            caption += f" Shaded bands are the {raters[0]} ranges."
        changes = [c for c in data.changes if c.instrument == code]
        if changes:
            caption += " " + " ".join(f"{c.rater.capitalize()}: {_verdict(c)}." for c in changes)
        out.append(figure(line_chart(series, bands, y_min=lo, y_max=hi, height=170,
                                     y_label="Score"), caption))
    return out
