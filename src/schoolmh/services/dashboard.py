"""The dashboard's figures for a date range (default: the current term), in one call.

Definitions (the issue left these open; the governors' report uses the same ones, and the
supported, attendance and time figures are computed for both by services/figures.py):

* **Pupils supported**: distinct pupils with at least one *attended* function-1
  session in the range, grouped by the tier of their support plan: the most
  recently started plan that was running at some point in the range (started by
  its end, not closed before its start); "none" when there is no such plan.
* **Sessions and minutes by function**: sessions that took place (attendance
  "attended") in the range, by function. Staff time also counts whole-school
  activities' staff time (Activity.staff_minutes) as function 2, and MHST liaison
  meetings and staff consultations (their duration_minutes) as function 3
  (``FUNCTION_COUNTS`` says what each bar counts, for the chart's caption). Missed
  and cancelled sessions are left out of time: the time was not spent on the function.
* **Share of time** per function = its minutes / all minutes x 100 (one decimal),
  shown against the national 52/24/23 (codes.NATIONAL_FUNCTION_SHARE); None when
  no time was recorded.
* **Attendance rate** = attended / (attended + did not attend + cancelled by
  pupil/family) over function-1 sessions with a pupil. Sessions cancelled by the
  school are excluded: the pupil did not miss them. None with no such sessions.
* Plans due for review, open liaison actions, pending referrals and pupils in the
  gap are *current* lists (as of today), not limited to the range; each row carries
  the uuid the window opens. Lists of pupils respect the MHST scope; the counts
  are school-wide (they identify no one). Open actions are listed only for roles
  that may read liaison notes (the count is given to everyone).

Set-based: a fixed handful of grouped queries whatever the school's size.
"""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from schoolmh.db.models.records import LiaisonAction, Pupil
from schoolmh.domain.codes import NATIONAL_FUNCTION_SHARE, PRINCIPLES
from schoolmh.errors import ValidationError
from schoolmh.services import activities, figures, liaison, plans, pupils, referrals, terms
from schoolmh.services.figures import FUNCTION_COUNTS, NO_PLAN, function_shares
from schoolmh.services.permissions import Action
from schoolmh.services.session import Session
from schoolmh.services.terms import Period

__all__ = ["NO_PLAN", "PlanDue", "PendingReferral", "DashboardFigures", "dashboard_figures", "function_shares",
           "FUNCTION_COUNTS", "function_caption"]


def function_caption() -> str:
    """One sentence saying what each bar counts, for the chart's caption."""
    return ("Bars count staff time. " + " ".join(f"{f}: {text[:1].upper()}{text[1:]}." for f, text in
                                                 FUNCTION_COUNTS.items())
            + " National: the MHSTs' own split (Trailblazer evaluation).")


@dataclass(frozen=True)
class PlanDue:
    plan_uuid: str
    pupil_uuid: str
    pupil_name: str
    tier: str
    review_date: dt.date
    days_overdue: int  # 0 = due today


@dataclass(frozen=True)
class PendingReferral:
    referral_uuid: str
    pupil_uuid: str
    pupil_name: str
    destination: str
    sent_on: dt.date
    days_waiting: int


@dataclass(frozen=True)
class DashboardFigures:
    period: Period  # label "Autumn 2026" for a term, else "01/09/2026 – 31/12/2026"
    supported_by_tier: dict[str, int]  # every tier code, then "none"
    supported_total: int
    sessions_by_function: dict[int, int]  # attended sessions
    minutes_by_function: dict[int, int]  # sessions + liaison + consultations (3)
    share_by_function: dict[int, float | None]  # % of minutes, one decimal
    national_share: dict[int, int]
    attended: int
    missed: int  # did not attend + cancelled by pupil/family
    cancelled_by_school: int
    attendance_rate: float | None  # %, one decimal
    plans_due: tuple[PlanDue, ...]
    open_actions: tuple[liaison.ActionInfo, ...]  # empty for roles without LIAISON_READ
    open_action_count: int
    referrals_pending: tuple[PendingReferral, ...]
    gap: tuple[referrals.GapPupil, ...]
    activities_by_principle: dict[str, int]  # every principle, 0 included
    activities_total: int

    @property
    def start(self) -> dt.date:
        return self.period.first

    @property
    def end(self) -> dt.date:
        return self.period.last

    @property
    def label(self) -> str:
        return self.period.label

    @property
    def total_minutes(self) -> int:
        return sum(self.minutes_by_function.values())

    @property
    def principles_without_activity(self) -> tuple[str, ...]:
        return tuple(code for code, n in self.activities_by_principle.items() if n == 0)


def _period(session: Session, period: Period | dt.date | None, end: dt.date | None) -> Period:
    """The period asked for; default this term. Two dates are still accepted from callers not yet
    moved to a Period (ui/pages/dashboard.py, cli/records2_cmds.py)."""
    if isinstance(period, Period):
        return period
    if period is None and end is None:
        return terms.current_term(session.today())
    if period is None or end is None:
        raise ValidationError("Give both a start and an end date, or neither for this term.",
                              "start" if period is None else "end")
    if end < period:
        raise ValidationError("The end date is before the start date.", "end")
    term = terms.exact_term(period, end)
    return term or Period(period, end, f"{period:%d/%m/%Y} – {end:%d/%m/%Y}")


def dashboard_figures(session: Session, period: Period | dt.date | None = None,
                      end: dt.date | None = None) -> DashboardFigures:
    """Everything the dashboard shows for ``period`` (inclusive; default the current term)."""
    session.require(Action.DASHBOARD_READ)
    period = _period(session, period, end)
    today = session.today()
    by_tier = figures.supported_by_tier(figures.supported_pupil_ids(period), period)
    sessions, minutes = figures.function_time(period)
    att = figures.attendance(period)

    due = tuple(
        PlanDue(p.uuid, p.pupil_uuid, p.pupil_name, p.tier, p.review_date, (today - p.review_date).days)
        for p in plans.plans_due_for_review(session)
    ) if session.can(Action.PLAN_READ) else ()
    open_count = LiaisonAction.select().where(LiaisonAction.done_on.is_null()).count()
    actions = tuple(liaison.open_actions(session)) if session.can(Action.LIAISON_READ) else ()
    pending: tuple[PendingReferral, ...] = ()
    gap_rows: tuple[referrals.GapPupil, ...] = ()
    if session.can(Action.REFERRAL_READ):
        rows = referrals.pending_referrals(session)
        names = _names([r.pupil_uuid for r in rows])
        pending = tuple(
            PendingReferral(r.uuid, r.pupil_uuid, names.get(r.pupil_uuid, ""), r.destination, r.sent_on, r.waiting_days)
            for r in rows
        )
        gap_rows = tuple(referrals.gap_pupils(session))
    coverage = activities.coverage(session, period)
    total_activities = activities.count_activities(session, period)
    return DashboardFigures(
        period=period,
        supported_by_tier=by_tier, supported_total=sum(by_tier.values()),
        sessions_by_function=sessions, minutes_by_function=minutes, share_by_function=function_shares(minutes),
        national_share=dict(NATIONAL_FUNCTION_SHARE),
        attended=att.attended, missed=att.missed, cancelled_by_school=att.cancelled_school, attendance_rate=att.rate,
        plans_due=due, open_actions=actions, open_action_count=open_count,
        referrals_pending=pending, gap=gap_rows,
        activities_by_principle={code: coverage[code].activities for code in PRINCIPLES},
        activities_total=total_activities,
    )


def _names(pupil_uuids: list[str]) -> dict[str, str]:
    found: dict[str, str] = {}
    wanted = list(set(pupil_uuids))
    for i in range(0, len(wanted), 900):
        for p in Pupil.select(Pupil.uuid, Pupil.legal_forename, Pupil.legal_surname, Pupil.preferred_forename,
                              Pupil.preferred_surname).where(Pupil.uuid.in_(wanted[i:i + 900])):
            found[p.uuid] = pupils.pupil_name(p)
    return found


def vault_is_empty(session: Session) -> bool:
    """True while no pupil has been added: the dashboard then shows one next step (import the list).
    Says only whether the vault is empty, so every role that sees the dashboard may ask."""
    session.require(Action.DASHBOARD_READ)
    return not Pupil.select().exists()
