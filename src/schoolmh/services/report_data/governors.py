"""``governors_report_data``: every figure of the governors' report for one period, figures only.

Anonymous by construction: the result is a frozen tree of ints, dates, stable codes
and fixed labels (report_data/values.py), built from set-based queries that never
select a name, UPN, date of birth or note (report_data/queries.py). What may be
printed is ``data.printable()`` (report_data/printable.py).

The period must be whole terms or whole calendar months (report_data/periods.py);
the comparison is with the same number of terms or months just before.
"""
from __future__ import annotations

import datetime as dt
from dataclasses import replace

from schoolmh.db.models.records import Consultation, LiaisonAction, LiaisonMeeting, SupportPlan
from schoolmh.services import activities as activities_service
from schoolmh.services import figures
from schoolmh.services import settings as settings_service
from schoolmh.services.permissions import Action
from schoolmh.services.report_data import queries as q
from schoolmh.services.report_data.periods import previous_period, report_period
from schoolmh.services.report_data.values import GovernorsReportData, KeyFigures, PrincipleFigures
from schoolmh.services.session import Session
from schoolmh.services.terms import Period

__all__ = ["governors_report_data"]


def _principles(session: Session, period: Period) -> tuple[PrincipleFigures, ...]:
    cover = activities_service.coverage(session, period)
    return tuple(
        PrincipleFigures(c.principle, c.short_name, c.activities, c.reach_pupils, c.reach_staff,
                         c.reach_parents, c.worst_rag or "none")
        for c in cover.values()
    )


def governors_report_data(session: Session, period: Period, *, as_of: dt.date | None = None) -> GovernorsReportData:
    """Every figure of the governors' report for ``period`` (inclusive). Figures only.

    ``period`` must be whole terms or whole calendar months (a ValidationError says
    why otherwise); its label is the report's own ("Autumn 2026 term", "March 2026").
    ``as_of`` is the day the gap and referral decisions are judged at: by default
    the last day, or today while the period is still running.
    """
    session.require(Action.REPORT_GOVERNORS)
    period = report_period(period.first, period.last)
    start, end = period.first, period.last
    if as_of is None:
        as_of = min(end, session.today())
    as_of = max(min(as_of, end), start)

    supported = figures.supported_pupil_ids(period)
    att = figures.attendance(period)
    referrals, decided, median = q.referrals(period, as_of)
    waiting, longest = q.pending(as_of)
    gap = q.gap(as_of)
    roll, groups = q.groups(supported, period)
    n_activities = activities_service.count_in_range(period)
    current = KeyFigures(
        period=period, pupils_supported=len(supported), sessions_delivered=att.attended,
        sessions_planned=att.planned, new_plans=q.new_plans(period), referrals_made=referrals.total,
        in_gap=len(gap), activities=n_activities,
    )
    before = previous_period(period)
    open_actions = q.count(
        LiaisonAction.select().join(LiaisonMeeting)
        .where(LiaisonMeeting.date <= end, LiaisonAction.done_on.is_null() | (LiaisonAction.done_on > end))
    )
    data = GovernorsReportData(
        school=settings_service.load().school_name,
        period=period,
        as_of=as_of,
        pupils_supported=len(supported),
        supported_by_tier=q.tiers(supported, period),
        new_plans=current.new_plans,
        closed_plans=q.count(SupportPlan.select().where(SupportPlan.status == "closed",
                                                        SupportPlan.closed_on.between(start, end))),
        open_plans_at_end=q.count(SupportPlan.select().where(
            SupportPlan.start_date <= end,
            SupportPlan.closed_on.is_null() & (SupportPlan.status == "open") | (SupportPlan.closed_on > end))),
        sessions_delivered=att.attended,
        sessions_dna=att.dna,
        sessions_cancelled_family=att.cancelled_family,
        sessions_cancelled_school=att.cancelled_school,
        function_time=q.function_time(period),
        outcomes=q.outcomes(period),
        referrals=referrals,
        referrals_decided=decided,
        median_wait_days=median,
        referrals_pending=waiting,
        longest_wait_days=longest,
        in_gap=len(gap),
        gap_bands=q.gap_bands(gap),
        principles=_principles(session, period),
        activities=n_activities,
        roll=roll,
        groups=groups,
        liaison_meetings=q.count(LiaisonMeeting.select().where(LiaisonMeeting.date.between(start, end))),
        consultations=q.count(Consultation.select().where(Consultation.date.between(start, end))),
        open_actions=open_actions,
        staff_training=activities_service.count_in_range(period, "staff_training"),
        current=current,
        previous=q.key_figures(before, before.last),
    )
    return replace(data, summary=data.printable().summary)
