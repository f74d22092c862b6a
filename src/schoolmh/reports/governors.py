"""The governors' termly report: an anonymous PDF laid out from figures only.

Everything printed comes from ``GovernorsReportData.printable()`` (the figures
after the small-number rule) or from fixed wording here; the layout never sees
a pupil. The same data and the same ``produced`` date give the same bytes.
reportlab is imported inside the functions so the app starts quickly.
"""
from __future__ import annotations

import datetime as dt

from schoolmh.domain import suppression as sup
from schoolmh.domain.codes import NATIONAL_FUNCTION_SHARE, PRINCIPLE_SHORT
from schoolmh.services.permissions import Action
from schoolmh.services.figures import FUNCTION_COUNTS
from schoolmh.services.report_data import GovernorsReportData, Printable, governors_report_data
from schoolmh.services.session import Session
from schoolmh.services.terms import Period

__all__ = ["governors_pdf", "governors_pdf_from_data", "REPORT_TITLE", "FAIRNESS_GAP_POINTS"]

REPORT_TITLE = "Mental health report to governors"
# A group's share of those supported this many points below its share of the roll is marked "Lower".
FAIRNESS_GAP_POINTS = 5
NATIONAL_SOURCE = "national Mental Health Support Team Trailblazer evaluation (NIHR, 2023)"


def governors_pdf(session: Session, period: Period, produced: dt.date | None = None) -> bytes:
    """The report for ``period`` (whole terms or whole months) as PDF bytes. Audited as
    "export.governors_report".

    ``produced`` is printed on the cover and stored as the PDF's date; it also
    fixes the day the gap is judged at (the last day at the latest), so the same
    data and the same ``produced`` give byte-identical output.
    """
    session.require(Action.REPORT_GOVERNORS)
    produced = produced or session.today()
    data = governors_report_data(session, period, as_of=min(period.last, produced))
    pdf = governors_pdf_from_data(data, produced)
    with session.transaction():
        session.audit("export.governors_report", "report", "",
                      f"start={period.first.isoformat()},end={period.last.isoformat()}")
    return pdf


def _fmt_date(d: dt.date) -> str:
    return f"{d.day} {d.strftime('%B')} {d.year}"


def _shown(text: str | None) -> str:
    return sup.NOT_SHOWN if text is None else text


def governors_pdf_from_data(data: GovernorsReportData, produced: dt.date) -> bytes:
    """Lay out the report from its figures (no database access)."""
    from reportlab.platypus import KeepTogether, Spacer

    from schoolmh.reports.pdfbase import CONFIDENTIAL_GOVERNORS, build_pdf, para, styles

    st = styles()
    p = data.printable()
    school = data.school or "School"
    period = data.period
    cover = [
        para(f"{period.label}: {_fmt_date(period.first)} to {_fmt_date(period.last)}", st.cover_meta),
        Spacer(1, 8),
        para("This report gives the governing body the school's figures for pupils' mental health "
             "and wellbeing support in the period: who was supported and how, outcomes, access to "
             "other services, the whole-school approach, reach into groups of pupils, and work with "
             "the Mental Health Support Team.", st.body),
        para("It is anonymous: it is built from counts only and holds no names, dates of birth or "
             "notes. Small numbers are hidden or rounded so that no child can be identified; the rule "
             "is printed at the foot of every page.", st.body),
    ]
    story: list = []
    story += _summary(p)
    story += _support(data, p)
    story += _outcomes(data, p)
    story += _access(data, p)
    story += _whole_school(data, p)
    story += _fairness(data, p)
    story += _liaison(p)
    story += _comparison(data, p)
    story.append(KeepTogether([para("About the figures", st.h2), para(
        f"The period runs from {_fmt_date(period.first)} to {_fmt_date(period.last)}; waiting times and the "
        f"gap are as at {_fmt_date(data.as_of)}. {sup.SUPPRESSION_RULE_TEXT} Comparisons are with the same "
        "number of whole terms or months just before. Figures come from the school's SchoolMH records.",
        st.small)]))
    return build_pdf(
        story,
        title=REPORT_TITLE,
        school=school,
        confidentiality=CONFIDENTIAL_GOVERNORS,
        produced=produced,
        footer_note=sup.SUPPRESSION_RULE_TEXT,
        cover=cover,
        subject=f"{REPORT_TITLE}: {period.label}",
    )


# --------------------------------------------------------------------------- #
# Sections
# --------------------------------------------------------------------------- #
def _bullets(sentences) -> list:
    from reportlab.lib.styles import ParagraphStyle

    from schoolmh.reports.pdfbase import Markup, para, styles

    style = ParagraphStyle("bullet", parent=styles().body, leftIndent=14, bulletIndent=2, spaceAfter=5)
    return [para([Markup("<bullet>&bull;</bullet>"), s], style) for s in sentences]


def _summary(p: Printable) -> list:
    from schoolmh.reports.pdfbase import para, styles

    return [para("Summary", styles().h1), *_bullets(p.summary)]


def _widths(header, *, text_cols=(), first_max: float = 0.42, first_min: float = 0.2,
            font_size: float = 10) -> list[float]:
    """Column widths: each figure column as wide as its longest header word and "fewer than 8", so no
    word is broken; the first column takes the rest (between ``first_min`` and ``first_max`` of the page:
    below the minimum, "fewer than 8" may wrap after "than") and any space left is shared out."""
    from reportlab.pdfbase.pdfmetrics import stringWidth

    from schoolmh.reports.pdfbase import CONTENT_WIDTH, FONT, FONT_BOLD

    pad = 12

    def needs(floor_text: str) -> list[float]:
        out = [0.0]
        for c, h in enumerate(header[1:], start=1):
            longest = max(stringWidth(w, FONT_BOLD, font_size) for w in h.split())
            floor = stringWidth("Under 10: not" if c in text_cols else floor_text, FONT, font_size)
            out.append(max(longest, floor) + pad)
        return out

    need = needs(sup.PRIMARY)
    if CONTENT_WIDTH - sum(need) < CONTENT_WIDTH * first_min:
        need = needs("fewer than")
    first = CONTENT_WIDTH - sum(need)
    extra = max(0.0, first - CONTENT_WIDTH * first_max)
    return [first - extra] + [w + extra / (len(need) - 1) for w in need[1:]]


def _figures_table(rows) -> object:
    from schoolmh.reports.pdfbase import data_table

    return data_table(("Figure", "This period"), [list(r) for r in rows], col_widths=(0.72, 0.28),
                      numeric_cols=(1,))


def _support(d: GovernorsReportData, p: Printable) -> list:
    from reportlab.platypus import KeepTogether

    from schoolmh.reports.pdfbase import bar_chart, data_table, figure, para, styles

    st = styles()
    out = [para("Support", st.h1), _figures_table([
        ("Pupils supported directly (at least one session attended)", p.pupils_supported),
        ("New support plans", p.new_plans),
        ("Support plans closed", p.closed_plans),
        ("Support plans open at the end of the period", p.open_plans_at_end),
        ("Direct support sessions delivered", p.sessions_delivered),
        ("Direct support sessions planned (not cancelled by the school)", p.sessions_planned),
        ("Attendance rate (delivered, of planned)", _shown(p.attendance_rate)),
    ])]
    out.append(para("Pupils supported by tier", st.h2))
    if p.tier_rows is not None:
        out.append(data_table(("Tier of support plan", "Pupils"), [*map(list, p.tier_rows), ["Total", p.tier_total]],
                              col_widths=(0.72, 0.28), numeric_cols=(1,)))
    elif d.pupils_supported:
        out.append(para(f"{_cap(sup.in_words(p.pupils_supported))} pupils were supported directly: too few to "
                        "break down by tier.", st.body))
    else:
        out.append(para("No pupil attended a direct support session in this period.", st.body))

    shares = [sup_value(f.share) for f in p.function_rows]
    labels = [f.label for f in p.function_rows]
    national = [float(f.national_share) for f in p.function_rows]
    chart = bar_chart(labels, [("This school", shares), ("National", national)], unit="%", max_value=100,
                      axis_label="Share of recorded staff time")
    counts = " ".join(f"Bar {f.function} counts {FUNCTION_COUNTS[f.function]} ({f.hours} hours)."
                      for f in p.function_rows)
    national_text = (f"The national split of {NATIONAL_FUNCTION_SHARE[1]} / {NATIONAL_FUNCTION_SHARE[2]} / "
                     f"{NATIONAL_FUNCTION_SHARE[3]}% is the MHSTs' own time, from the {NATIONAL_SOURCE}.")
    if any(f.share for f in p.function_rows):
        caption = (f"Share of the staff time recorded in this period ({p.function_hours} hours, each function to "
                   f"the nearest hour) by function. {counts} {national_text}")
    elif d.function_minutes:
        caption = (f"Under {sup.MIN_GROUP} hours of staff time were recorded in this period, too little to "
                   f"split by function. {national_text}")
    else:
        caption = f"No staff time was recorded in this period, so the school's split is not shown. {national_text}"
    out.append(KeepTogether([para("Time by MHST function", st.h2), figure(chart, caption)]))
    return out


def sup_value(text: str | None) -> float | None:
    """A printed percentage ("42%") as a number for a chart; None stays None ("not shown")."""
    return None if text is None else float(text.rstrip("%"))


def _outcomes(d: GovernorsReportData, p: Printable) -> list:
    from schoolmh.reports.pdfbase import data_table, para, styles

    st = styles()
    out = [para("Outcomes", st.h1)]
    if not d.outcomes:
        out.append(para("No outcome measures were completed in this period.", st.body))
        return out
    rows = []
    for o, row in zip(d.outcomes, p.outcome_rows):
        if row.counts is not None:
            rows.append([f"{o.code}: {row.name}", row.paired, row.cell(0), row.cell(1), row.cell(2)])
        else:
            rows.append([f"{o.code}: {row.name}", row.paired, "too few to report", sup.NOT_SHOWN, sup.NOT_SHOWN])
    header = ("Questionnaire", "Pupils with paired scores", "Reliable improvement", "No reliable change",
              "Reliable deterioration")
    out.append(data_table(header, rows, col_widths=_widths(header), numeric_cols=(1, 2, 3, 4)))
    out.append(para(
        "A pupil has paired scores when a questionnaire was completed in this period and at least once before "
        "(by the same kind of rater). The first and latest scores are compared: a change larger than the "
        "questionnaire's own measurement error is a reliable improvement or deterioration. Pupils are counted "
        f"only where at least {sup.MIN_GROUP} have paired scores; a share (in brackets) is worked out from the "
        "printed counts, and only where no figure in the row is hidden.", st.small))
    return out


def _access(d: GovernorsReportData, p: Printable) -> list:
    from reportlab.platypus import KeepTogether

    from schoolmh.reports.pdfbase import data_table, para, styles

    st = styles()
    out: list = []
    title = para("Access to other services", st.h1)
    heading = para("Referrals by service and decision", st.h2)
    if p.referral_rows is not None:
        n = len(p.referral_header)
        size = 10 if n <= 5 else 8.5  # up to five decisions and a total: smaller type so no word breaks
        out.append(KeepTogether([
            title,
            heading,
            data_table(p.referral_header, [list(r) for r in p.referral_rows], font_size=size,
                       col_widths=_widths(p.referral_header, font_size=size, first_min=0.17),
                       numeric_cols=tuple(range(1, n))),
            para("Referrals sent in the period, with the decision known at the end of it. A * hides a further "
                 "figure so that a small number cannot be worked out from the totals.", st.small)]))
    elif d.referrals.total:
        out += [title, heading]
        out.append(para(f"{_cap(sup.in_words(p.referrals_made))} referrals were made: too few to break down by "
                        "service or decision.", st.body))
    else:
        out += [title, heading]
        out.append(para("No referrals were made to other services in this period.", st.body))
    if p.median_wait is not None:
        out.append(para(f"Median wait from referral to decision: {p.median_wait} "
                        f"(referrals decided in the period).", st.body))
    elif d.referrals_decided:
        out.append(para("Median wait from referral to decision: not shown (too few referrals were decided in "
                        "the period).", st.body))
    if p.longest_wait is not None:
        out.append(para(f"Referrals waiting for a decision at the end of the period (sent in it or before): "
                        f"{p.referrals_pending}; the longest had waited {p.longest_wait}.", st.body))
    else:
        out.append(para("No referral was waiting for a decision at the end of the period.", st.body))

    out.append(para("The gap", st.h2))
    out.append(para("Pupils in the gap were not accepted by the Mental Health Support Team and not accepted by "
                    "specialist services (CAMHS), have not been accepted anywhere since, and are not waiting for "
                    "another decision.", st.body))
    if p.gap_rows is not None:
        out.append(data_table(("Time in the gap", "Pupils"), [*map(list, p.gap_rows)], col_widths=(0.72, 0.28),
                              numeric_cols=(1,)))
    elif d.in_gap:
        out.append(para(f"Pupils in the gap at the end of the period: {p.in_gap} (too few to break down by time "
                        "waiting).", st.body))
    else:
        out.append(para("No pupil was in the gap at the end of the period.", st.body))
    return out


def _whole_school(d: GovernorsReportData, p: Printable) -> list:
    from schoolmh.reports.pdfbase import data_table, para, rag_cell, styles

    st = styles()
    out = [para("Whole-school approach", st.h1)]
    rows = []
    for name, acts, pupils, staff, parents, rag in p.principle_rows:
        rag_flow = rag_cell(rag) if rag != "none" else para("No objective", st.table)
        rows.append([name, acts, pupils, staff, parents, rag_flow])
    header = ("Principle", "Activities", "Pupils reached", "Staff reached", "Parents reached", "Action plan")
    out.append(data_table(header, rows, col_widths=_widths(header, text_cols=(5,)), numeric_cols=(1, 2, 3, 4)))
    empty = p.principles_without_activity
    if not empty:
        out.append(para("Every one of the eight principles had at least one activity in this period.", st.body))
    elif len(empty) == len(PRINCIPLE_SHORT):
        out.append(para("No whole-school activity was recorded in this period.", st.body))
    else:
        out.append(para("No activity in this period for: " + "; ".join(empty) + ".", st.body))
    out.append(para("Reach is the number of people an activity reached, added up over activities (one person may "
                    "be counted more than once). The action plan column shows the least advanced objective for "
                    "each principle (Red, Amber or Green), or that the plan has no objective for it.", st.small))
    return out


def _fairness(d: GovernorsReportData, p: Printable) -> list:
    from reportlab.platypus import KeepTogether

    from schoolmh.reports.pdfbase import data_table, para, styles

    st = styles()
    intro = [para("Reach and fairness", st.h1),
             para(f"Pupils on roll in the period: {p.roll}. Pupils supported directly: {p.pupils_supported}.",
                  st.body)]
    rows = []
    for g in p.group_rows:
        if g.too_small:
            rows.append([g.label, g.on_roll, sup.NOT_SHOWN, sup.NOT_SHOWN, sup.NOT_SHOWN, "Under 10: not broken down"])
            continue
        rows.append([g.label, g.on_roll, _shown(g.roll_share), _shown(g.supported), _shown(g.supported_share),
                     _compare(g.roll_share, g.supported_share)])
    if not d.roll:
        return [*intro, para("No pupils are on the roll in SchoolMH for this period, so there is nothing to "
                             "compare.", st.body)]
    header = ("Group", "On roll", "Share of roll", "Supported", "Share of those supported", "Compared with roll")
    out = [KeepTogether([*intro, data_table(header, rows, col_widths=_widths(header, text_cols=(5,)),
                                            numeric_cols=(1, 2, 3, 4))])]
    if not p.supported_broken_down and d.pupils_supported:
        out.append(para("Too few pupils were supported to break them down by group.", st.body))
    out.append(para(
        "A group whose share of the pupils supported is lower than its share of the roll may be under-served. "
        f"'Lower' or 'Higher' marks a difference of at least {FAIRNESS_GAP_POINTS} percentage points. Pupils can be "
        f"in several groups. Groups of fewer than {sup.MIN_GROUP} pupils are not broken down, and no share is given "
        "for the ethnic groups where one of them is hidden (they add up to the roll).", st.small))
    return out


def _compare(roll_share: str | None, supported_share: str | None) -> str:
    if not (roll_share or "").endswith("%") or not (supported_share or "").endswith("%"):
        return sup.NOT_SHOWN
    diff = int(supported_share.rstrip("%")) - int(roll_share.rstrip("%"))
    if diff <= -FAIRNESS_GAP_POINTS:
        return "Lower"
    if diff >= FAIRNESS_GAP_POINTS:
        return "Higher"
    return "Similar"


def _liaison(p: Printable) -> list:
    from schoolmh.reports.pdfbase import para, styles

    return [para("Liaison and staff", styles().h1), _figures_table(p.liaison_rows)]


def _comparison(d: GovernorsReportData, p: Printable) -> list:
    from schoolmh.reports.pdfbase import data_table, para, styles

    st = styles()
    prev = d.previous
    out = [para("Comparison with the previous period", st.h1)]
    if p.comparison_rows is None or prev is None:
        label = prev.period.label if prev else "the previous period"
        out.append(para(f"There are no records for {label} to compare with.", st.body))
        return out
    header = ("Figure", _cap(d.period.label), _cap(prev.period.label))
    out.append(data_table(header, [list(r) for r in p.comparison_rows], col_widths=(0.5, 0.25, 0.25),
                          numeric_cols=(1, 2)))
    return out


def _cap(text: str) -> str:
    return text[:1].upper() + text[1:]
