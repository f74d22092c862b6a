"""Whole-school activities (function 2) and the school's action plan, by principle.

An activity serves one or more of the eight principles (stable codes in
schoolmh.domain.codes.PRINCIPLES) and records its reach and the staff time it took
(minutes; the category's default from domain/staff_time.py when not given), which
the dashboard and the governors' report count as function 2 time. The action plan is a
list of objectives per principle with an owner, due date and RAG; activities may
link to one. `coverage()` is what the governors' report and the dashboard show:
every principle, including those with nothing this term (itself a finding).
"""
from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping
from dataclasses import dataclass

from peewee import JOIN, fn

from schoolmh.db.models.records import Activity, ActivityPrinciple, Objective
from schoolmh.domain.codes import ACTIVITY_CATEGORIES, LED_BY, PRINCIPLE_SHORT, PRINCIPLES, RAG
from schoolmh.domain.mis import RowError
from schoolmh.domain.staff_time import MAX_MINUTES, activity_minutes
from schoolmh.errors import NotFound
from schoolmh.services.csv_rows import parse_csv
from schoolmh.services.fieldcheck import Problems, code_for, codes_list, reject_unknown
from schoolmh.services.permissions import Action
from schoolmh.services.pupil_import import FileRejected
from schoolmh.services.session import Session
from schoolmh.services.terms import Period

RAG_ORDER = {"green": 0, "amber": 1, "red": 2}  # worst wins


@dataclass(frozen=True)
class ActivityInfo:
    uuid: str
    title: str
    start_on: dt.date
    end_on: dt.date | None
    principles: tuple[str, ...]
    category: str
    audience: str
    reach_pupils: int
    reach_staff: int
    reach_parents: int
    staff_minutes: int
    led_by: str
    function: int
    notes: str
    rag: str
    objective_uuid: str | None


@dataclass(frozen=True)
class ObjectiveInfo:
    uuid: str
    principle: str
    text: str
    owner: str
    due_on: dt.date | None
    rag: str


@dataclass(frozen=True)
class PrincipleCoverage:
    principle: str
    short_name: str
    activities: int
    reach_pupils: int
    reach_staff: int
    reach_parents: int
    objectives: int
    worst_rag: str | None  # None when the action plan has no objective for this principle


_ACTIVITY_FIELDS = (
    "title", "start_on", "end_on", "principles", "category", "audience", "reach_pupils", "reach_staff",
    "reach_parents", "staff_minutes", "led_by", "notes", "rag", "objective_uuid",
)
_OBJECTIVE_FIELDS = ("principle", "text", "owner", "due_on", "rag")


# -- activities ---------------------------------------------------------------------
def _lookup(value: object, table: Mapping[str, str]) -> object:
    """Accept a code or its display name (any case), as staff type either; anything else is
    returned as it was, for the check to name."""
    return (code_for(value, table) or value) if isinstance(value, str) else value


def _clean_activity(values: Mapping[str, object]) -> tuple[dict, Problems]:
    p = Problems()
    out: dict = {}
    out["title"] = p.text("title", values.get("title"), "activity title", required=True, max_length=200)
    out["start_on"] = p.date("start_on", values.get("start_on"), "start date")
    out["end_on"] = p.date("end_on", values.get("end_on"), "end date", required=False)
    if out["start_on"] and out["end_on"] and out["end_on"] < out["start_on"]:
        p.add("end_on", "The end date is before the start date.")
    principles = [_lookup(c, PRINCIPLE_SHORT) for c in codes_list(values.get("principles"))]
    unknown = [str(c) for c in principles if c not in PRINCIPLES]
    if not principles:
        p.add("principles", "Choose at least one principle the activity serves.")
    elif unknown:
        p.add("principles", f"Unknown principle {unknown[0]!r}: use {', '.join(PRINCIPLES)}.")
    out["principles"] = tuple(principles)
    out["category"] = p.code("category", _lookup(values.get("category") or "other", ACTIVITY_CATEGORIES), ACTIVITY_CATEGORIES, "category")
    out["audience"] = p.text("audience", values.get("audience"), "audience", max_length=200)
    for key, label in (("reach_pupils", "pupils reached"), ("reach_staff", "staff reached"), ("reach_parents", "parents reached")):
        raw = values.get(key)
        out[key] = p.count(key, 0 if raw in (None, "") else raw, f"number of {label}")
    minutes = values.get("staff_minutes")
    out["staff_minutes"] = (activity_minutes(out["category"] or "other") if minutes in (None, "") else
                            p.count("staff_minutes", minutes, "staff time in minutes", high=MAX_MINUTES))
    out["led_by"] = p.code("led_by", _lookup(values.get("led_by") or "school", LED_BY), LED_BY, "'led by'")
    out["notes"] = p.text("notes", values.get("notes"), "notes", max_length=4000)
    out["rag"] = p.code("rag", _lookup(values.get("rag") or "green", RAG), RAG, "RAG status")
    objective_uuid = values.get("objective_uuid") or None
    out["objective"] = None
    if objective_uuid:
        out["objective"] = Objective.get_or_none(Objective.uuid == str(objective_uuid))
        if out["objective"] is None:
            p.add("objective_uuid", "That action-plan objective no longer exists.")
    return out, p


def _principles_of(activity_ids: Iterable[int]) -> dict[int, tuple[str, ...]]:
    ids = list(activity_ids)
    found: dict[int, list[str]] = {i: [] for i in ids}
    if ids:
        for link in ActivityPrinciple.select(ActivityPrinciple.activity, ActivityPrinciple.principle).where(
            ActivityPrinciple.activity.in_(ids)
        ).order_by(ActivityPrinciple.id):
            found[link.activity_id].append(link.principle)
    return {i: tuple(v) for i, v in found.items()}


def _activity_info(a: Activity, principles: tuple[str, ...], objective_uuid: str | None) -> ActivityInfo:
    return ActivityInfo(
        a.uuid, a.title, a.start_on, a.end_on, principles, a.category, a.audience, a.reach_pupils, a.reach_staff,
        a.reach_parents, a.staff_minutes, a.led_by, a.function, a.notes, a.rag, objective_uuid,
    )


def _write_activity(session: Session, activity: Activity, clean: dict, *, created: bool, detail: str = "") -> ActivityInfo:
    for key in ("title", "start_on", "end_on", "category", "audience", "reach_pupils", "reach_staff",
                "reach_parents", "staff_minutes", "led_by", "notes", "rag", "objective"):
        setattr(activity, key, clean[key])
    activity.function = 2
    session.stamp(activity, created=created)
    activity.save()
    if not created:
        ActivityPrinciple.delete().where(ActivityPrinciple.activity == activity).execute()
    ActivityPrinciple.insert_many(
        [{"activity": activity.id, "principle": code, "created_by": session.actor.uuid, "updated_by": session.actor.uuid}
         for code in clean["principles"]]
    ).execute()
    session.audit("activity.create" if created else "activity.update", "activity", activity.uuid, detail)
    objective = clean["objective"]
    return _activity_info(activity, clean["principles"], objective.uuid if objective else None)


def create_activity(
    session: Session,
    *,
    title: str,
    start_on: dt.date,
    principles: Iterable[str] | str,
    end_on: dt.date | None = None,
    category: str = "other",
    audience: str = "",
    reach_pupils: int = 0,
    reach_staff: int = 0,
    reach_parents: int = 0,
    staff_minutes: int | None = None,
    led_by: str = "school",
    notes: str = "",
    rag: str = "green",
    objective_uuid: str | None = None,
) -> ActivityInfo:
    """Record a whole-school activity (always function 2); ``staff_minutes`` None = the category's default."""
    session.require(Action.ACTIVITY_WRITE)
    values = dict(locals())
    values.pop("session")
    clean, problems = _clean_activity(values)
    problems.raise_if_any()
    with session.transaction():
        return _write_activity(session, Activity(), clean, created=True)


def _get_activity(uuid: str) -> Activity:
    activity = Activity.get_or_none(Activity.uuid == uuid)
    if activity is None:
        raise NotFound("That activity no longer exists.")
    return activity


def update_activity(session: Session, activity_uuid: str, **changes) -> ActivityInfo:
    """Change any of the create fields; the others keep their values."""
    session.require(Action.ACTIVITY_WRITE)
    reject_unknown(changes, _ACTIVITY_FIELDS, "An activity has no field {field!r}.")
    activity = _get_activity(activity_uuid)
    current = get_activity(session, activity_uuid).__dict__.copy()
    current.update(changes)
    clean, problems = _clean_activity(current)
    problems.raise_if_any()
    with session.transaction():
        return _write_activity(session, activity, clean, created=False, detail=",".join(sorted(changes)))


def delete_activity(session: Session, activity_uuid: str) -> None:
    session.require(Action.ACTIVITY_WRITE)
    activity = _get_activity(activity_uuid)
    with session.transaction():
        activity.delete_instance(recursive=False)  # principle links go by ON DELETE CASCADE
        session.audit("activity.delete", "activity", activity_uuid)


def get_activity(session: Session, activity_uuid: str) -> ActivityInfo:
    session.require(Action.ACTIVITY_READ)
    a = _get_activity(activity_uuid)
    return _activity_info(a, _principles_of([a.id])[a.id], a.objective.uuid if a.objective_id else None)


def _in_range(query, start: dt.date | None, end: dt.date | None):
    """Activities overlapping [start, end]: a three-day residential counts in any term it touches."""
    if end is not None:
        query = query.where(Activity.start_on <= end)
    if start is not None:
        query = query.where(fn.COALESCE(Activity.end_on, Activity.start_on) >= start)
    return query


def list_activities(session: Session, start: dt.date | None = None, end: dt.date | None = None) -> list[ActivityInfo]:
    """Activities overlapping the dates (both optional), newest first."""
    session.require(Action.ACTIVITY_READ)
    query = _in_range(
        Activity.select(Activity, Objective.uuid.alias("objective_uuid")).join(Objective, JOIN.LEFT_OUTER), start, end
    ).order_by(Activity.start_on.desc(), Activity.id.desc())
    rows = list(query.objects())
    principles = _principles_of(a.id for a in rows)
    return [_activity_info(a, principles[a.id], a.objective_uuid) for a in rows]


def _as_period(period: Period | dt.date, end: dt.date | None) -> Period:
    """A Period; two dates are still accepted from pages not yet moved to one (ui/pages/whole_school.py)."""
    return period if isinstance(period, Period) else Period(period, end or period, "")


def count_activities(session: Session, period: Period) -> int:
    """How many activities overlap the period (an activity serving three principles counts once)."""
    session.require(Action.ACTIVITY_READ)
    return count_in_range(period)


def count_in_range(period: Period, category: str | None = None) -> int:
    """count_activities without the permission check (services only, e.g. the governors' report),
    optionally of one category."""
    query = _in_range(Activity.select(), period.first, period.last)
    if category is not None:
        query = query.where(Activity.category == category)
    return query.count()


# -- the action plan ----------------------------------------------------------------
def _clean_objective(values: Mapping[str, object]) -> dict:
    p = Problems()
    out = {
        "principle": p.code("principle", _lookup(values.get("principle"), PRINCIPLE_SHORT), PRINCIPLES, "principle"),
        "text": p.text("text", values.get("text"), "objective", required=True, max_length=1000),
        "owner": p.text("owner", values.get("owner"), "owner", max_length=200),
        "due_on": p.date("due_on", values.get("due_on"), "due date", required=False),
        "rag": p.code("rag", _lookup(values.get("rag") or "amber", RAG), RAG, "RAG status"),
    }
    p.raise_if_any()
    return out


def _objective_info(o: Objective) -> ObjectiveInfo:
    return ObjectiveInfo(o.uuid, o.principle, o.text, o.owner, o.due_on, o.rag)


def create_objective(
    session: Session, *, principle: str, text: str, owner: str = "", due_on: dt.date | None = None, rag: str = "amber"
) -> ObjectiveInfo:
    session.require(Action.ACTION_PLAN_WRITE)
    clean = _clean_objective(dict(principle=principle, text=text, owner=owner, due_on=due_on, rag=rag))
    with session.transaction():
        objective = Objective(**clean)
        session.save(objective, "objective.create", clean["principle"], created=True)
    return _objective_info(objective)


def update_objective(session: Session, objective_uuid: str, **changes) -> ObjectiveInfo:
    session.require(Action.ACTION_PLAN_WRITE)
    reject_unknown(changes, _OBJECTIVE_FIELDS, "An objective has no field {field!r}.")
    objective = Objective.get_or_none(Objective.uuid == objective_uuid)
    if objective is None:
        raise NotFound("That objective no longer exists.")
    merged = _objective_info(objective).__dict__.copy()
    merged.update(changes)
    clean = _clean_objective(merged)
    with session.transaction():
        for key, value in clean.items():
            setattr(objective, key, value)
        session.save(objective, "objective.update", ",".join(sorted(changes)))
    return _objective_info(objective)


def list_objectives(session: Session, principle: str | None = None) -> list[ObjectiveInfo]:
    session.require(Action.ACTIVITY_READ)
    query = Objective.select()
    if principle:
        query = query.where(Objective.principle == principle)
    order = list(PRINCIPLES)
    rows = sorted(query, key=lambda o: (order.index(o.principle) if o.principle in order else 99, o.due_on or dt.date.max, o.id))
    return [_objective_info(o) for o in rows]


def coverage(session: Session, period: Period | dt.date, end: dt.date | None = None) -> dict[str, PrincipleCoverage]:
    """Every principle (in the stable order) with its activities and reach in the period, and the
    worst RAG among its action-plan objectives. Three grouped queries, whatever the size."""
    session.require(Action.ACTIVITY_READ)
    period = _as_period(period, end)
    start, end = period.first, period.last
    counts: dict[str, tuple[int, int, int, int]] = {}
    query = _in_range(
        ActivityPrinciple.select(
            ActivityPrinciple.principle,
            fn.COUNT(Activity.id),
            fn.SUM(Activity.reach_pupils),
            fn.SUM(Activity.reach_staff),
            fn.SUM(Activity.reach_parents),
        ).join(Activity),
        start,
        end,
    ).group_by(ActivityPrinciple.principle)
    for principle, n, pupils, staff, parents in query.tuples():
        counts[principle] = (n, pupils or 0, staff or 0, parents or 0)
    objectives: dict[str, list[str]] = {}
    for principle, rag in Objective.select(Objective.principle, Objective.rag).tuples():
        objectives.setdefault(principle, []).append(rag)
    out: dict[str, PrincipleCoverage] = {}
    for code in PRINCIPLES:
        n, pupils, staff, parents = counts.get(code, (0, 0, 0, 0))
        rags = objectives.get(code, [])
        worst = max(rags, key=lambda r: RAG_ORDER.get(r, 0)) if rags else None
        out[code] = PrincipleCoverage(code, PRINCIPLE_SHORT[code], n, pupils, staff, parents, len(rags), worst)
    return out


# -- CSV import -------------------------------------------------------------------------
IMPORT_COLUMNS = (
    "title", "start_on", "end_on", "principles", "category", "audience", "reach_pupils", "reach_staff",
    "reach_parents", "staff_minutes", "led_by", "rag", "notes",
)
REQUIRED_COLUMNS = ("title", "start_on", "principles")


@dataclass(frozen=True)
class ActivityImport:
    """`errors` non-empty means nothing was imported (all or nothing)."""

    rows: int
    added: int
    errors: tuple[RowError, ...]
    dry_run: bool

    @property
    def ok(self) -> bool:
        return not self.errors


def parse_activities_csv(data: bytes) -> tuple[list[dict], list[RowError]]:
    """Check every row; return the clean rows (only meaningful when there are no errors).

    The file is read by services.csv_rows, as the sessions and measures imports are.
    """
    try:
        table = parse_csv(data)
    except FileRejected as exc:
        return [], list(exc.errors)
    errors = table.header_problems(IMPORT_COLUMNS, REQUIRED_COLUMNS, "an activities file",
                                   "; the columns are " + ",".join(IMPORT_COLUMNS))
    if errors:
        return [], errors
    rows: list[dict] = []
    for row in table.rows:
        clean, problems = _clean_activity(row.values)
        for problem in problems.items:
            errors.append(table.row_error(row.number, problem.field, _lower_first(problem.message)))
        clean["row"] = row.number
        rows.append(clean)
    if not errors and not rows:
        errors.append(RowError(table.header_row + 1, "", "there are no activities under the header row"))
    return rows, errors


def _lower_first(text: str) -> str:
    return text[:1].lower() + text[1:] if text else text


def import_activities(session: Session, data: bytes, *, dry_run: bool = False) -> ActivityImport:
    """All or nothing: every row is checked before the first is written; one transaction for all."""
    session.require(Action.IMPORT_RECORDS)
    session.require(Action.ACTIVITY_WRITE)
    rows, errors = parse_activities_csv(data)
    if errors:
        return ActivityImport(len(rows), 0, tuple(errors), dry_run)
    if dry_run:
        return ActivityImport(len(rows), len(rows), (), True)
    with session.transaction():
        for clean in rows:
            _write_activity(session, Activity(), clean, created=True, detail="import")
        session.audit("import.activities", "activity", "", f"rows={len(rows)}")
    return ActivityImport(len(rows), len(rows), (), False)
