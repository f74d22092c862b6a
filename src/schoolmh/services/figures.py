"""The figures the dashboard and the governors' report both show, computed in one place.

Both screens promise the same definitions (services/dashboard.py and
services/report_data.py describe them for their readers); computing them here
once is what keeps that promise:

* **pupils supported**: distinct pupils with an *attended* function-1 session in
  the dates, by the tier of their support plan that was running at some point in
  the dates (started by the end, not closed before the start; the latest started
  wins); NO_PLAN when there is none.
* **attendance**: function-1 sessions with a pupil, by attendance code. The rate is
  attended / (attended + did not attend + cancelled by the pupil or family);
  sessions the school cancelled do not count against pupils.
* **time by function**: staff minutes by function, counting every kind of work
  (DOMAIN.md): attended sessions by their own function; whole-school activities'
  staff time as function 2; liaison meetings and staff consultations as function 3.
  An activity spanning several days counts in the period of its first day.

Set-based queries, no names selected, no permission check: for services only
(each caller checks its own action).
"""
from __future__ import annotations

from dataclasses import dataclass

from peewee import fn

from schoolmh.db.models.records import Activity, Consultation, LiaisonMeeting, SupportPlan
from schoolmh.db.models.records import Session as SessionRow
from schoolmh.domain.codes import FUNCTIONS, TIERS
from schoolmh.services.terms import Period

__all__ = ["NO_PLAN", "FUNCTION_COUNTS", "Attendance", "supported_pupil_ids", "supported_by_tier", "attendance", "function_time",
           "function_shares"]

NO_PLAN = "none"

#: What each bar of the time-by-function chart counts (the governors' report prints the same).
FUNCTION_COUNTS = {
    1: "attended sessions recorded as direct support",
    2: "whole-school activities' staff time and function-2 sessions",
    3: "liaison meetings, staff consultations and function-3 sessions",
}


@dataclass(frozen=True)
class Attendance:
    attended: int
    dna: int  # did not attend
    cancelled_family: int  # cancelled by the pupil or family
    cancelled_school: int

    @property
    def missed(self) -> int:
        return self.dna + self.cancelled_family

    @property
    def planned(self) -> int:
        """The rate's denominator: sessions the pupil was expected at."""
        return self.attended + self.missed

    @property
    def rate(self) -> float | None:
        """Attended as a % of planned, to one decimal; None when nothing was planned."""
        return round(100.0 * self.attended / self.planned, 1) if self.planned else None


def _supported(period: Period):
    return (SessionRow.select(SessionRow.pupil).distinct()
            .where(SessionRow.function == 1, SessionRow.attendance == "attended",
                   SessionRow.pupil.is_null(False), SessionRow.date.between(period.first, period.last)))


def supported_pupil_ids(period: Period) -> set[int]:
    """Database ids of the pupils supported in the period (see the module docstring)."""
    return {pid for (pid,) in _supported(period).tuples()}


def supported_by_tier(supported: set[int], period: Period) -> dict[str, int]:
    """How many of ``supported`` (from supported_pupil_ids for the same period) had each tier:
    every tier code in order, then NO_PLAN."""
    running = (SupportPlan.select(SupportPlan.pupil, SupportPlan.tier)
               .where(SupportPlan.pupil.in_(_supported(period)), SupportPlan.start_date <= period.last,
                      SupportPlan.closed_on.is_null() | (SupportPlan.closed_on >= period.first))
               .order_by(SupportPlan.start_date, SupportPlan.id))
    tier_of: dict[int, str] = {}
    for pid, tier in running.tuples():
        tier_of[pid] = tier  # the most recently started running plan wins
    counts = {code: 0 for code in TIERS}
    counts[NO_PLAN] = 0
    for pid in supported:
        tier = tier_of.get(pid, NO_PLAN)
        counts[tier if tier in counts else NO_PLAN] += 1
    return counts


def attendance(period: Period) -> Attendance:
    """Function-1 sessions with a pupil in the period, by attendance."""
    q = (SessionRow.select(SessionRow.attendance, fn.COUNT(SessionRow.id))
         .where(SessionRow.function == 1, SessionRow.pupil.is_null(False),
                SessionRow.date.between(period.first, period.last))
         .group_by(SessionRow.attendance))
    counts = dict(q.tuples())
    return Attendance(counts.get("attended", 0), counts.get("dna", 0), counts.get("cancelled_family", 0),
                      counts.get("cancelled_school", 0))


def function_time(period: Period) -> tuple[dict[int, int], dict[int, int]]:
    """(attended sessions, minutes) by function in the period; whole-school activities add their
    staff minutes to function 2, liaison meetings and staff consultations to function 3. Every
    function is a key."""
    start, end = period.first, period.last
    sessions = {f: 0 for f in FUNCTIONS}
    minutes = {f: 0 for f in FUNCTIONS}
    q = (SessionRow.select(SessionRow.function, fn.COUNT(SessionRow.id), fn.SUM(SessionRow.duration_minutes))
         .where(SessionRow.attendance == "attended", SessionRow.date.between(start, end))
         .group_by(SessionRow.function))
    for function, count, total in q.tuples():
        sessions[function] = sessions.get(function, 0) + count
        minutes[function] = minutes.get(function, 0) + (total or 0)
    minutes[2] += int(Activity.select(fn.SUM(Activity.staff_minutes))
                      .where(Activity.start_on.between(start, end)).scalar() or 0)
    for model in (LiaisonMeeting, Consultation):
        minutes[3] += int(model.select(fn.SUM(model.duration_minutes))
                          .where(model.date.between(start, end)).scalar() or 0)
    return sessions, minutes


def function_shares(minutes: dict[int, int]) -> dict[int, float | None]:
    """Each function's % of all minutes, to one decimal; None for every function when there are none."""
    total = sum(minutes.values())
    return {f: (round(100.0 * minutes.get(f, 0) / total, 1) if total else None) for f in FUNCTIONS}
