"""Support plans: presenting needs, up to three goals (GBO), strategies, tier, reviews, closure.

History is kept by adding dated entries: a review is a new PlanReview row (its
next review date becomes the plan's review date), goal ratings are GoalRating
rows added by sessions (services/sessions.py), and closing a plan records the
date and outcome rather than deleting anything.

A pupil has at most one *open* plan at a time: the pupil list shows "the" plan's
tier, the dashboard counts pupils by tier, and two open plans would make both
ambiguous. Close the old plan (with its outcome) before starting a new one.
"""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from schoolmh.db.models.records import Goal, GoalRating, PlanReview, Pupil, SupportPlan
from schoolmh.domain.codes import PEOPLE_INVOLVED, TIERS
from schoolmh.errors import FieldProblem, NotFound, ValidationError, ValidationErrors
from schoolmh.services.fieldcheck import code_for, reject_unknown, to_date
from schoolmh.services.permissions import Action
from schoolmh.services.pupils import mhst_scope, pupil_name, pupil_record
from schoolmh.services.session import Session

__all__ = [
    "MAX_GOALS",
    "GoalInfo",
    "ReviewInfo",
    "PlanInfo",
    "create_plan",
    "update_plan",
    "set_goals",
    "add_review",
    "close_plan",
    "reopen_plan",
    "get_plan",
    "list_plans",
    "current_plan",
    "plans_due_for_review",
    "plan_record",
]

MAX_GOALS = 3  # Goal Based Outcomes: up to three goals agreed with the pupil
MAX_GOAL_LENGTH = 500
MAX_TEXT_LENGTH = 10_000


@dataclass(frozen=True)
class GoalInfo:
    uuid: str
    position: int  # 1..3
    description: str
    ratings: int  # how many ratings so far
    first_rating: int | None
    first_rated_on: dt.date | None
    latest_rating: int | None
    latest_rated_on: dt.date | None

    @property
    def change(self) -> int | None:
        """Latest minus first rating (GBO: higher is better; 3 or more is commonly treated as reliable)."""
        if self.ratings < 2:
            return None
        return self.latest_rating - self.first_rating  # type: ignore[operator]


@dataclass(frozen=True)
class ReviewInfo:
    uuid: str
    review_date: dt.date
    notes: str
    next_review_date: dt.date | None
    created_by: str | None


@dataclass(frozen=True)
class PlanInfo:
    uuid: str
    pupil_uuid: str
    pupil_name: str
    tier: str
    presenting_needs: str
    strategies: str
    people_involved: tuple[str, ...]  # codes from domain.codes.PEOPLE_INVOLVED
    start_date: dt.date
    review_date: dt.date | None
    status: str  # open | closed
    closed_on: dt.date | None
    outcome: str
    goals: tuple[GoalInfo, ...]
    reviews: tuple[ReviewInfo, ...]  # oldest first
    due_for_review: bool  # open and the review date is today or past


# --- validation ------------------------------------------------------------------------------
def _date(value, field: str, *, required: bool = False) -> dt.date | None:
    return to_date(value, field, required=f"{field.replace('_', ' ').capitalize()} is required." if required else None)


def _text(value, field: str, limit: int = MAX_TEXT_LENGTH) -> str:
    text = "" if value is None else str(value).strip()
    if len(text) > limit:
        raise ValidationError(f"{field.replace('_', ' ').capitalize()} is too long (at most {limit} characters).",
                              field)
    return text


def _tier(value) -> str:
    code = code_for(value, TIERS)
    if code is None:
        raise ValidationError(f"Choose a tier: {', '.join(TIERS.values())}.", "tier")
    return code


def _people(value) -> tuple[str, ...]:
    if isinstance(value, str):
        value = [v for v in value.split(",")]
    codes: list[str] = []
    for item in value or ():
        if not str(item).strip():
            continue
        code = code_for(item, PEOPLE_INVOLVED)
        if code is None:
            raise ValidationError(f"'{item}' is not one of: {', '.join(PEOPLE_INVOLVED)}.", "people_involved")
        if code not in codes:
            codes.append(code)
    return tuple(codes)


def _goals(value) -> list[str]:
    goals = [str(g).strip() for g in (value or ()) if str(g).strip()]
    if len(goals) > MAX_GOALS:
        raise ValidationError(f"A plan has at most {MAX_GOALS} goals.", "goals")
    for i, g in enumerate(goals, start=1):
        if len(g) > MAX_GOAL_LENGTH:
            raise ValidationError(f"Goal {i} is too long (at most {MAX_GOAL_LENGTH} characters).", f"goal{i}")
    return goals


def _collect(checks: dict) -> dict:
    """Run each (field -> thunk) check, gathering every problem before raising."""
    problems: list[FieldProblem] = []
    out = {}
    for name, thunk in checks.items():
        try:
            out[name] = thunk()
        except ValidationError as exc:
            problems.append(FieldProblem(exc.field or name, exc.message))
    if problems:
        raise ValidationErrors(problems)
    return out


# --- loading ---------------------------------------------------------------------------------------
def plan_record(session: Session, plan_uuid: str) -> SupportPlan:
    """The plan row (services only), respecting the MHST pupil scope."""
    query = SupportPlan.select(SupportPlan, Pupil).join(Pupil).where(SupportPlan.uuid == plan_uuid)
    plan = mhst_scope(session, query).first()
    if plan is None:
        raise NotFound("That support plan was not found.")
    return plan


def _goal_infos(plan_ids: list[int]) -> dict[int, list[GoalInfo]]:
    if not plan_ids:
        return {}
    goals = list(Goal.select(Goal.id, Goal.uuid, Goal.plan, Goal.position, Goal.description)
                 .where(Goal.plan.in_(plan_ids)).order_by(Goal.position).tuples())
    ratings: dict[int, list[tuple[dt.date, int]]] = {}
    if goals:
        query = (GoalRating.select(GoalRating.goal, GoalRating.date, GoalRating.rating)
                 .where(GoalRating.goal.in_([g[0] for g in goals]))
                 .order_by(GoalRating.date, GoalRating.id))
        for goal_id, date, rating in query.tuples():
            ratings.setdefault(goal_id, []).append((date, rating))
    out: dict[int, list[GoalInfo]] = {}
    for gid, uuid, plan_id, position, description in goals:
        r = ratings.get(gid, [])
        out.setdefault(plan_id, []).append(GoalInfo(
            uuid, position, description, len(r),
            r[0][1] if r else None, r[0][0] if r else None,
            r[-1][1] if r else None, r[-1][0] if r else None,
        ))
    return out


def _infos(session: Session, plans: list[SupportPlan]) -> list[PlanInfo]:
    ids = [p.id for p in plans]
    goals = _goal_infos(ids)
    reviews: dict[int, list[ReviewInfo]] = {}
    if ids:
        for r in PlanReview.select().where(PlanReview.plan.in_(ids)).order_by(PlanReview.review_date, PlanReview.id):
            reviews.setdefault(r.plan_id, []).append(
                ReviewInfo(r.uuid, r.review_date, r.notes, r.next_review_date, r.created_by))
    today = session.today()
    out = []
    for p in plans:
        pupil = p.pupil
        out.append(PlanInfo(
            uuid=p.uuid,
            pupil_uuid=pupil.uuid,
            pupil_name=pupil_name(pupil),
            tier=p.tier,
            presenting_needs=p.presenting_needs,
            strategies=p.strategies,
            people_involved=tuple(c for c in p.people_involved.split(",") if c),
            start_date=p.start_date,
            review_date=p.review_date,
            status=p.status,
            closed_on=p.closed_on,
            outcome=p.outcome,
            goals=tuple(goals.get(p.id, [])),
            reviews=tuple(reviews.get(p.id, [])),
            due_for_review=p.status == "open" and p.review_date is not None and p.review_date <= today,
        ))
    return out


def _info(session: Session, plan_uuid: str) -> PlanInfo:
    return _infos(session, [plan_record(session, plan_uuid)])[0]


# --- writing ----------------------------------------------------------------------------------------
def create_plan(
    session: Session,
    pupil_uuid: str,
    tier: str,
    presenting_needs: str = "",
    goals: list[str] | tuple[str, ...] = (),
    strategies: str = "",
    people_involved: list[str] | tuple[str, ...] = (),
    start_date: dt.date | None = None,
    review_date: dt.date | None = None,
) -> PlanInfo:
    """Start a support plan. Refused if the pupil already has an open plan (close it first)."""
    session.require(Action.PLAN_WRITE)
    pupil = pupil_record(session, pupil_uuid)
    today = session.today()
    v = _collect({
        "tier": lambda: _tier(tier),
        "presenting_needs": lambda: _text(presenting_needs, "presenting_needs"),
        "goals": lambda: _goals(goals),
        "strategies": lambda: _text(strategies, "strategies"),
        "people_involved": lambda: _people(people_involved),
        "start_date": lambda: _date(start_date, "start_date") or today,
        "review_date": lambda: _date(review_date, "review_date"),
    })
    _check_dates(v["start_date"], v["review_date"], today)
    with session.transaction():
        if SupportPlan.select().where((SupportPlan.pupil == pupil) & (SupportPlan.status == "open")).exists():
            raise ValidationError("This pupil already has an open support plan: review or close it first.",
                                  "pupil")
        plan = SupportPlan(pupil=pupil, tier=v["tier"], presenting_needs=v["presenting_needs"],
                           strategies=v["strategies"], people_involved=",".join(v["people_involved"]),
                           start_date=v["start_date"], review_date=v["review_date"], status="open")
        session.stamp(plan, created=True)
        plan.save(force_insert=True)
        for position, text in enumerate(v["goals"], start=1):
            goal = Goal(plan=plan, position=position, description=text)
            session.stamp(goal, created=True)
            goal.save(force_insert=True)
        session.audit("plan.create", "plan", plan.uuid, f"pupil={pupil.uuid};goals={len(v['goals'])}")
    return _info(session, plan.uuid)


def _check_dates(start: dt.date, review: dt.date | None, today: dt.date) -> None:
    if start > today:
        raise ValidationError("The plan cannot start in the future.", "start_date")
    if review is not None and review < start:
        raise ValidationError("The review date is before the plan starts.", "review_date")


_EDITABLE = {
    "tier": _tier,
    "presenting_needs": lambda v: _text(v, "presenting_needs"),
    "strategies": lambda v: _text(v, "strategies"),
    "people_involved": lambda v: ",".join(_people(v)),
    "start_date": lambda v: _date(v, "start_date", required=True),
    "review_date": lambda v: _date(v, "review_date"),
}


def update_plan(session: Session, plan_uuid: str, **changes) -> PlanInfo:
    """Edit tier, presenting needs, strategies, people involved, start or review date.

    Goals have their own call (set_goals); reviews and closure are dated entries.
    """
    session.require(Action.PLAN_WRITE)
    plan = plan_record(session, plan_uuid)
    reject_unknown(changes, _EDITABLE, "{field!r} cannot be changed here.")
    v = _collect({k: (lambda k=k: _EDITABLE[k](changes[k])) for k in changes})
    changed = {k: val for k, val in v.items() if getattr(plan, k) != val}
    if not changed:
        return _info(session, plan_uuid)
    _check_dates(changed.get("start_date", plan.start_date), changed.get("review_date", plan.review_date),
                 session.today())
    with session.transaction():
        for k, val in changed.items():
            setattr(plan, k, val)
        session.save(plan, "plan.update", "fields=" + ",".join(sorted(changed)))
    return _info(session, plan_uuid)


def set_goals(session: Session, plan_uuid: str, goals: list[str] | tuple[str, ...]) -> PlanInfo:
    """Set the plan's goals (up to three), in order.

    A goal keeps its ratings when its wording is edited. Removing a goal that has
    ratings is refused: its ratings are the pupil's outcome history.
    """
    session.require(Action.PLAN_WRITE)
    plan = plan_record(session, plan_uuid)
    wanted = _goals(goals)
    existing = {g.position: g for g in Goal.select().where(Goal.plan == plan)}
    to_remove = [g for pos, g in existing.items() if pos > len(wanted)]
    for g in to_remove:
        if GoalRating.select().where(GoalRating.goal == g).exists():
            raise ValidationError(
                f"Goal {g.position} has ratings, so it cannot be removed: edit its wording instead, "
                "or close this plan and start a new one.", f"goal{g.position}")
    with session.transaction():
        changed = 0
        for position, text in enumerate(wanted, start=1):
            goal = existing.get(position)
            if goal is None:
                goal = Goal(plan=plan, position=position, description=text)
                session.stamp(goal, created=True)
                goal.save(force_insert=True)
                changed += 1
            elif goal.description != text:
                goal.description = text
                session.stamp(goal)
                goal.save()
                changed += 1
        for g in to_remove:
            g.delete_instance()
            changed += 1
        if changed:
            session.audit("plan.goals", "plan", plan.uuid, f"goals={len(wanted)};changed={changed}")
    return _info(session, plan_uuid)


def add_review(session: Session, plan_uuid: str, review_date: dt.date | None = None, notes: str = "",
               next_review_date: dt.date | None = None) -> PlanInfo:
    """Record a review as a dated entry; the plan's review date becomes ``next_review_date``."""
    session.require(Action.PLAN_WRITE)
    plan = plan_record(session, plan_uuid)
    if plan.status != "open":
        raise ValidationError("This plan is closed; reopen it to add a review.", "plan")
    today = session.today()
    v = _collect({
        "review_date": lambda: _date(review_date, "review_date") or today,
        "notes": lambda: _text(notes, "notes"),
        "next_review_date": lambda: _date(next_review_date, "next_review_date"),
    })
    if v["review_date"] > today:
        raise ValidationError("A review cannot be dated in the future.", "review_date")
    if v["review_date"] < plan.start_date:
        raise ValidationError("The review is dated before the plan started.", "review_date")
    if v["next_review_date"] is not None and v["next_review_date"] <= v["review_date"]:
        raise ValidationError("The next review should be after this one.", "next_review_date")
    with session.transaction():
        review = PlanReview(plan=plan, **v)
        session.stamp(review, created=True)
        review.save(force_insert=True)
        plan.review_date = v["next_review_date"]
        session.save(plan, "plan.review", f"review={review.uuid}")
    return _info(session, plan_uuid)


def close_plan(session: Session, plan_uuid: str, closed_on: dt.date | None = None, outcome: str = "") -> PlanInfo:
    """Close the plan with the date and the outcome (why it ended, what changed)."""
    session.require(Action.PLAN_WRITE)
    plan = plan_record(session, plan_uuid)
    if plan.status == "closed":
        raise ValidationError("This plan is already closed.", "plan")
    today = session.today()
    v = _collect({
        "closed_on": lambda: _date(closed_on, "closed_on") or today,
        "outcome": lambda: _text(outcome, "outcome"),
    })
    if v["closed_on"] > today:
        raise ValidationError("A plan cannot be closed on a future date.", "closed_on")
    if v["closed_on"] < plan.start_date:
        raise ValidationError("The closing date is before the plan started.", "closed_on")
    with session.transaction():
        plan.status = "closed"
        plan.closed_on = v["closed_on"]
        plan.outcome = v["outcome"]
        session.save(plan, "plan.close")
    return _info(session, plan_uuid)


def reopen_plan(session: Session, plan_uuid: str) -> PlanInfo:
    """Undo a closure made by mistake (refused if the pupil has since started another plan)."""
    session.require(Action.PLAN_WRITE)
    plan = plan_record(session, plan_uuid)
    if plan.status == "open":
        return _info(session, plan_uuid)
    with session.transaction():
        if SupportPlan.select().where((SupportPlan.pupil == plan.pupil_id) & (SupportPlan.status == "open")).exists():
            raise ValidationError("This pupil already has another open plan.", "plan")
        plan.status = "open"
        plan.closed_on = None
        session.save(plan, "plan.reopen")
    return _info(session, plan_uuid)


# --- reading -------------------------------------------------------------------------------------------
def get_plan(session: Session, plan_uuid: str) -> PlanInfo:
    session.require(Action.PLAN_READ)
    return _info(session, plan_uuid)


def list_plans(session: Session, pupil_uuid: str) -> list[PlanInfo]:
    """A pupil's plans, newest first."""
    session.require(Action.PLAN_READ)
    pupil = pupil_record(session, pupil_uuid)
    plans = list(SupportPlan.select(SupportPlan, Pupil).join(Pupil).where(SupportPlan.pupil == pupil)
                 .order_by(SupportPlan.start_date.desc(), SupportPlan.id.desc()))
    return _infos(session, plans)


def current_plan(session: Session, pupil_uuid: str) -> PlanInfo | None:
    """The pupil's open plan, or None."""
    session.require(Action.PLAN_READ)
    pupil = pupil_record(session, pupil_uuid)
    plan = (SupportPlan.select(SupportPlan, Pupil).join(Pupil)
            .where((SupportPlan.pupil == pupil) & (SupportPlan.status == "open"))
            .order_by(SupportPlan.start_date.desc(), SupportPlan.id.desc()).first())
    return _infos(session, [plan])[0] if plan else None


def plans_due_for_review(session: Session, on: dt.date | None = None) -> list[PlanInfo]:
    """Open plans whose review date is ``on`` (default today) or earlier, most overdue first.

    Pupils who have left the school are left out: their plans need closing, not reviewing.
    """
    session.require(Action.PLAN_READ)
    day = on or session.today()
    query = (SupportPlan.select(SupportPlan, Pupil).join(Pupil)
             .where((SupportPlan.status == "open") & (SupportPlan.review_date <= day) & Pupil.left_on.is_null())
             .order_by(SupportPlan.review_date, SupportPlan.id))
    return _infos(session, list(mhst_scope(session, query)))
