"""Retention and secure erasure of a pupil's record.

When is a record due for review?
  Only pupils who have left (``left_on`` set) are considered. Pupil support records
  are commonly kept until the pupil's 25th birthday (Settings.retention_until_age,
  default 25), so a leaver is due on that birthday. Where the date of birth is not
  recorded, the record is due 7 years after the pupil left (a leaver aged 11–18
  then passes 18–25); the list says which rule applied. Nothing is erased
  automatically: the lead reviews the list and erases each record.

What erasure removes
  Every row about the pupil: the pupil, their support plans with goals, goal
  ratings and reviews, every session with them (and its ratings), measures,
  referrals, their links from liaison notes, and staff consultations about them
  (a consultation linked to a pupil is about that pupil, and its topic may name
  them, so it is deleted rather than unlinked; its minutes leave past function-3
  totals). Liaison meetings themselves stay: they discussed other pupils too.
  Then VACUUM rebuilds the database file so freed pages are overwritten (with
  secure_delete on, and the WAL checkpointed and truncated). The audit trail keeps
  one "pupil.erase" entry with counts only, no UUID of the pupil. Earlier audit rows
  still carry the pupil's random UUID (the chain cannot be edited), but nothing in
  the vault links that UUID to a person any more. Backups made before the erasure
  still hold the record until they are rotated out; the lead is told so.
"""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from schoolmh.db.models.records import (
    Consultation,
    Goal,
    GoalRating,
    LiaisonPupil,
    MeasureResult,
    PlanReview,
    Pupil,
    Referral,
    Session as SessionRow,
    SupportPlan,
)
from schoolmh.errors import NotFound, ValidationError
from schoolmh.services import settings
from schoolmh.services.permissions import Action
from schoolmh.services.pupils import pupil_name
from schoolmh.services.session import Session

YEARS_AFTER_LEAVING_WITHOUT_DOB = 7


@dataclass(frozen=True)
class ErasureDue:
    pupil_uuid: str
    upn: str
    display_name: str
    left_on: dt.date
    due_on: dt.date
    rule: str  # "birthday" (retention age reached) | "left" (no date of birth: years after leaving)


@dataclass(frozen=True)
class Erased:
    counts: dict[str, int]  # table → rows deleted


def _add_years(day: dt.date, years: int) -> dt.date:
    try:
        return day.replace(year=day.year + years)
    except ValueError:  # 29 February → 1 March in a non-leap year
        return day.replace(year=day.year + years, month=3, day=1)


def due_date(dob: dt.date | None, left_on: dt.date, retention_age: int) -> tuple[dt.date, str]:
    """When a leaver's record is due for review, and which rule gave the date (see module docstring)."""
    if dob is not None:
        return _add_years(dob, retention_age), "birthday"
    return _add_years(left_on, YEARS_AFTER_LEAVING_WITHOUT_DOB), "left"


def due_for_erasure(session: Session) -> list[ErasureDue]:
    """Leavers whose retention period has ended, longest overdue first."""
    session.require(Action.PUPIL_ERASE)
    age = settings.load().retention_until_age
    today = session.today()
    out = []
    for p in Pupil.select().where(Pupil.left_on.is_null(False)):
        due, rule = due_date(p.dob, p.left_on, age)
        if due <= today:
            out.append(ErasureDue(p.uuid, p.upn or "", pupil_name(p), p.left_on, due, rule))
    return sorted(out, key=lambda e: (e.due_on, e.pupil_uuid))


def erase_pupil(session: Session, pupil_uuid: str) -> Erased:
    """Delete every row about a pupil who has left, then VACUUM. Cannot be undone.

    The pupil must be marked as left first (the retention list is about leavers; a
    pupil on roll is still being supported). The lead may erase before the due date
    (for example a duplicate record or an erasure request), so that is not enforced.
    """
    session.require(Action.PUPIL_ERASE)
    pupil = Pupil.get_or_none(Pupil.uuid == str(pupil_uuid or ""))
    if pupil is None:
        raise NotFound("That pupil's record does not exist (it may already have been erased).")
    if pupil.left_on is None:
        raise ValidationError("Only a pupil who has left can be erased: record the date they left first.", "left_on")
    plans = SupportPlan.select(SupportPlan.id).where(SupportPlan.pupil == pupil)
    goals = Goal.select(Goal.id).where(Goal.plan.in_(plans))
    sessions = SessionRow.select(SessionRow.id).where(SessionRow.pupil == pupil)
    counts: dict[str, int] = {}
    with session.transaction():
        counts["goal_ratings"] = GoalRating.delete().where(GoalRating.goal.in_(goals) | GoalRating.session.in_(sessions)).execute()
        counts["measures"] = MeasureResult.delete().where(MeasureResult.pupil == pupil).execute()
        counts["reviews"] = PlanReview.delete().where(PlanReview.plan.in_(plans)).execute()
        counts["goals"] = Goal.delete().where(Goal.plan.in_(plans)).execute()
        counts["plans"] = SupportPlan.delete().where(SupportPlan.pupil == pupil).execute()
        counts["sessions"] = SessionRow.delete().where(SessionRow.pupil == pupil).execute()
        counts["referrals"] = Referral.delete().where(Referral.pupil == pupil).execute()
        counts["liaison_links"] = LiaisonPupil.delete().where(LiaisonPupil.pupil == pupil).execute()
        counts["consultations"] = Consultation.delete().where(Consultation.pupil == pupil).execute()
        counts["pupils"] = Pupil.delete().where(Pupil.id == pupil.id).execute()
        session.audit("pupil.erase", "pupil", "", ",".join(f"{k}={v}" for k, v in counts.items()))
    compact(session)
    return Erased(counts)


def compact(session: Session) -> None:
    """VACUUM (outside any transaction) and truncate the WAL, so deleted pages do not linger."""
    session.db.execute_sql("PRAGMA wal_checkpoint(TRUNCATE)")
    session.db.execute_sql("VACUUM")
    session.db.execute_sql("PRAGMA wal_checkpoint(TRUNCATE)")
