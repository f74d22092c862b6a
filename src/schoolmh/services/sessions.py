"""Sessions and contacts: the thing pastoral staff record most, between lessons.

Recording one is ONE call with sensible defaults (today, the signed-in user,
30 minutes, in person, attended, function 1 direct support), and it writes the
session, any goal ratings and any measures in one transaction: either the whole
contact is saved or nothing is.

Case notes: the head teacher's role may see that sessions happened (counts,
dates, functions, for the dashboard and reports) but not what was said, so
``list_sessions`` returns ``note=""`` and ``note_hidden=True`` to any role
without ``Action.SESSION_READ``, rather than refusing: one call serves every
screen, and the hiding happens here, not in each window.
"""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from peewee import JOIN

from schoolmh.db.models import Staff
from schoolmh.db.models.records import Goal, GoalRating, MeasureResult, Pupil, SupportPlan
from schoolmh.db.models.records import Session as SessionRow
from schoolmh.domain.codes import ATTENDANCE, FUNCTIONS, SESSION_MODES, SESSION_TYPES
from schoolmh.errors import FieldProblem, NotFound, ValidationError, ValidationErrors
from schoolmh.services import measures as measures_service
from schoolmh.services.fieldcheck import code_for, reject_unknown, to_date
from schoolmh.services.permissions import Action
from schoolmh.services.pupils import mhst_scope, pupil_name, pupil_record
from schoolmh.services.session import Session

__all__ = [
    "SessionInfo",
    "MAX_DURATION",
    "MAX_NOTE_LENGTH",
    "record_session",
    "update_session",
    "delete_session",
    "list_sessions",
    "get_session",
    "quick_session_defaults",
    "clean_session_fields",
]

MIN_DURATION, MAX_DURATION = 1, 600
MAX_NOTE_LENGTH = 5_000  # "a short note"; longer text belongs in a plan or liaison note
GOAL_RATING_MIN, GOAL_RATING_MAX = 0, 10


@dataclass(frozen=True)
class SessionInfo:
    uuid: str
    pupil_uuid: str | None
    pupil_name: str
    date: dt.date
    duration_minutes: int
    staff_uuid: str
    staff_name: str
    function: int  # 1 direct, 2 whole school, 3 advice and liaison
    type: str
    mode: str
    attendance: str
    note: str  # "" when note_hidden
    note_hidden: bool  # the reader's role may not read case notes
    goal_ratings: tuple[tuple[str, int], ...]  # (goal uuid, rating 0-10)
    measure_uuids: tuple[str, ...]


# --- validation ----------------------------------------------------------------------------------------
def _code(value, table: dict, field: str, what: str) -> str:
    code = code_for(value, table)  # the display name works too ("Did not attend")
    if code is None:
        raise ValidationError(f"'{str(value or '').strip()}' is not a {what}: use {', '.join(table)}.", field)
    return code


def _function(value) -> int:
    try:
        number = int(str(value).strip())
    except (TypeError, ValueError):
        number = None
    if number not in FUNCTIONS:
        raise ValidationError("Function is 1 (direct support), 2 (whole school) or 3 (advice and liaison).",
                              "function")
    return number


def _duration(value) -> int:
    try:
        number = int(str(value).strip()) if not isinstance(value, bool) else None
    except (TypeError, ValueError):
        number = None
    if number is None or not MIN_DURATION <= number <= MAX_DURATION:
        raise ValidationError(f"Duration is a whole number of minutes from {MIN_DURATION} to {MAX_DURATION}.",
                              "duration_minutes")
    return number


def _date(value, today: dt.date) -> dt.date:
    day = to_date(value, "date") or today
    if day > today:
        raise ValidationError("A session cannot be recorded for a future date.", "date")
    return day


def _note(value) -> str:
    text = "" if value is None else str(value).strip()
    if len(text) > MAX_NOTE_LENGTH:
        raise ValidationError(f"The note is too long (at most {MAX_NOTE_LENGTH} characters): keep it short.",
                              "note")
    return text


def _staff(value, session: Session) -> Staff:
    staff = Staff.get_or_none(Staff.uuid == (value or session.actor.uuid))
    if staff is None:
        raise ValidationError("That member of staff was not found.", "staff")
    return staff


def clean_session_fields(values: dict, today: dt.date) -> dict:
    """Validate session fields (any subset), gathering every problem. Shared with the CSV import."""
    checks = {
        "date": lambda v: _date(v, today),
        "duration_minutes": _duration,
        "function": _function,
        "type": lambda v: _code(v, SESSION_TYPES, "type", "session type"),
        "mode": lambda v: _code(v, SESSION_MODES, "mode", "mode"),
        "attendance": lambda v: _code(v, ATTENDANCE, "attendance", "attendance code"),
        "note": _note,
    }
    problems: list[FieldProblem] = []
    out: dict = {}
    for name, value in values.items():
        if name not in checks:
            problems.append(FieldProblem(name, f"'{name}' is not a session field."))
            continue
        try:
            out[name] = checks[name](value)
        except ValidationError as exc:
            problems.append(FieldProblem(exc.field or name, exc.message))
    if problems:
        raise ValidationErrors(problems)
    return out


def _check_ratings(pupil: Pupil | None, ratings: dict, attendance: str) -> list[tuple[Goal, int]]:
    if not ratings:
        return []
    if pupil is None:
        raise ValidationError("Goal ratings need a pupil.", "goal_ratings")
    if attendance != "attended":
        raise ValidationError("Goals can only be rated at a session the pupil attended.", "goal_ratings")
    goals = {g.uuid: g for g in Goal.select(Goal).join(SupportPlan)
             .where((SupportPlan.pupil == pupil) & Goal.uuid.in_(list(ratings)))}
    out = []
    for goal_uuid, rating in ratings.items():
        goal = goals.get(goal_uuid)
        if goal is None:
            raise ValidationError("A rated goal is not one of this pupil's goals.", "goal_ratings")
        if isinstance(rating, bool) or not isinstance(rating, int) or not GOAL_RATING_MIN <= rating <= GOAL_RATING_MAX:
            raise ValidationError(f"Goal {goal.position}: rate it from {GOAL_RATING_MIN} to {GOAL_RATING_MAX}.",
                                  f"goal{goal.position}")
        out.append((goal, rating))
    return out


# --- loading ------------------------------------------------------------------------------------------
def _session_record(session: Session, session_uuid: str) -> SessionRow:
    query = (SessionRow.select(SessionRow, Pupil).join(Pupil, join_type=JOIN.LEFT_OUTER)
             .where(SessionRow.uuid == session_uuid))
    row = mhst_scope(session, query, SessionRow.pupil).first()
    if row is None:
        raise NotFound("That session was not found.")
    return row


def _infos(session: Session, rows: list[SessionRow]) -> list[SessionInfo]:
    ids = [r.id for r in rows]
    ratings: dict[int, list[tuple[str, int]]] = {}
    measure_uuids: dict[int, list[str]] = {}
    for start in range(0, len(ids), 900):
        chunk = ids[start:start + 900]
        for sid, goal_uuid, rating in (GoalRating.select(GoalRating.session, Goal.uuid, GoalRating.rating)
                                       .join(Goal).where(GoalRating.session.in_(chunk))
                                       .order_by(Goal.position).tuples()):
            ratings.setdefault(sid, []).append((goal_uuid, rating))
        for sid, muuid in (MeasureResult.select(MeasureResult.session, MeasureResult.uuid)
                           .where(MeasureResult.session.in_(chunk)).order_by(MeasureResult.id).tuples()):
            measure_uuids.setdefault(sid, []).append(muuid)
    names = {s.uuid: s.full_name for s in Staff.select(Staff.id, Staff.uuid, Staff.full_name)}
    staff_uuid_by_id = dict(Staff.select(Staff.id, Staff.uuid).tuples())
    notes_ok = session.can(Action.SESSION_READ)
    out = []
    for r in rows:
        pupil = r.pupil if r.pupil_id is not None else None
        staff_uuid = staff_uuid_by_id.get(r.staff_id, "")
        out.append(SessionInfo(
            uuid=r.uuid,
            pupil_uuid=pupil.uuid if pupil else None,
            pupil_name=pupil_name(pupil) if pupil else "",
            date=r.date, duration_minutes=r.duration_minutes, staff_uuid=staff_uuid,
            staff_name=names.get(staff_uuid, ""), function=r.function, type=r.type, mode=r.mode,
            attendance=r.attendance, note=r.note if notes_ok else "", note_hidden=not notes_ok,
            goal_ratings=tuple(ratings.get(r.id, ())), measure_uuids=tuple(measure_uuids.get(r.id, ())),
        ))
    return out


# --- writing ---------------------------------------------------------------------------------------------
def record_session(
    session: Session,
    pupil_uuid: str | None = None,
    *,
    date: dt.date | None = None,
    duration_minutes: int = 30,
    staff_uuid: str | None = None,
    function: int = 1,
    type: str = "one_to_one",  # noqa: A002 - the field's name in DOMAIN.md
    mode: str = "in_person",
    attendance: str = "attended",
    note: str = "",
    goal_ratings: dict[str, int] | None = None,
    measures: list[tuple[str, str, dict]] | None = None,
) -> SessionInfo:
    """Record a session or contact, with any goal ratings and measures taken, in one transaction.

    Function 1 (direct support) needs a pupil; function 2 and 3 contacts may have
    none. ``measures`` is a list of (instrument, rater, values) scored by
    domain.instruments; a bad value raises ValidationError whose field is
    "measure<N>.<field code>" (N from 1) and nothing is saved.
    """
    session.require(Action.SESSION_WRITE)
    if measures:
        session.require(Action.MEASURE_WRITE)
    today = session.today()
    v = clean_session_fields(dict(date=date, duration_minutes=duration_minutes, function=function, type=type,
                                  mode=mode, attendance=attendance, note=note), today)
    pupil = pupil_record(session, pupil_uuid) if pupil_uuid else None
    if v["function"] == 1 and pupil is None:
        raise ValidationError("Direct support (function 1) is recorded against a pupil: choose one.", "pupil")
    staff = _staff(staff_uuid, session)
    rated = _check_ratings(pupil, goal_ratings or {}, v["attendance"])
    scored = []
    for n, item in enumerate(measures or (), start=1):
        if pupil is None:
            raise ValidationError("Measures need a pupil.", "measures")
        try:
            instrument, rater, values = item
            scored.append(measures_service.score_for_pupil(pupil, instrument, rater, values, v["date"]))
        except ValidationError as exc:
            raise ValidationError(f"Measure {n}: {exc.message}", f"measure{n}.{exc.field or ''}") from None
        except (TypeError, ValueError):
            raise ValidationError(f"Measure {n} should be (instrument, rater, scores).", f"measure{n}") from None
    with session.transaction():
        row = SessionRow(pupil=pupil, staff=staff, **v)
        session.stamp(row, created=True)
        row.save(force_insert=True)
        for goal, rating in rated:
            gr = GoalRating(goal=goal, session=row, date=v["date"], rating=rating)
            session.stamp(gr, created=True)
            gr.save(force_insert=True)
        for s in scored:
            measures_service.store_result(session, pupil, s, v["date"], row)
        session.audit("session.create", "session", row.uuid,
                      f"pupil={pupil.uuid if pupil else ''};function={v['function']};"
                      f"ratings={len(rated)};measures={len(scored)}")
    return get_session(session, row.uuid)


_UPDATABLE = ("date", "duration_minutes", "function", "type", "mode", "attendance", "note", "staff_uuid")


def update_session(session: Session, session_uuid: str, **changes) -> SessionInfo:
    """Correct a recorded session's fields. Goal ratings and measures are edited on their own."""
    session.require(Action.SESSION_WRITE)
    row = _session_record(session, session_uuid)
    reject_unknown(changes, _UPDATABLE, "{field!r} cannot be changed on a session.")
    fields = {k: v for k, v in changes.items() if k != "staff_uuid"}
    v = clean_session_fields(fields, session.today())
    if "staff_uuid" in changes:
        v["staff"] = _staff(changes["staff_uuid"], session)
    if v.get("function", row.function) == 1 and row.pupil_id is None:
        raise ValidationError("Direct support (function 1) is recorded against a pupil.", "function")
    if v.get("attendance", row.attendance) != "attended" and \
            GoalRating.select().where(GoalRating.session == row).exists():
        raise ValidationError("Goals were rated at this session, so it must stay 'attended'.", "attendance")
    changed = {}
    for k, val in v.items():
        current = row.staff_id if k == "staff" else getattr(row, k)
        if (val.id if k == "staff" else val) != current:
            changed[k] = val
    if not changed:
        return get_session(session, session_uuid)
    with session.transaction():
        for k, val in changed.items():
            setattr(row, k, val)
        session.stamp(row)
        row.save()
        if "date" in changed:  # ratings are dated by their session
            GoalRating.update(date=changed["date"]).where(GoalRating.session == row).execute()
        session.audit("session.update", "session", row.uuid, "fields=" + ",".join(sorted(changed)))
    return get_session(session, session_uuid)


def delete_session(session: Session, session_uuid: str, *, undo: bool = False) -> None:
    """Remove a session recorded in error, with its goal ratings. Measures taken stay (unlinked).

    ``undo``: the user pressed Undo straight after saving it (the audit entry says so)."""
    session.require(Action.SESSION_WRITE)
    row = _session_record(session, session_uuid)
    with session.transaction():
        row.delete_instance()
        session.audit("session.delete", "session", session_uuid, "undo" if undo else "")


# --- reading ----------------------------------------------------------------------------------------------
def get_session(session: Session, session_uuid: str) -> SessionInfo:
    session.require(Action.PUPIL_READ)
    return _infos(session, [_session_record(session, session_uuid)])[0]


def list_sessions(session: Session, pupil_uuid: str | None = None, start: dt.date | None = None,
                  end: dt.date | None = None) -> list[SessionInfo]:
    """Sessions, newest first: one pupil's, or everyone's (visible to this user) between dates.

    Roles without SESSION_READ (the head) get every field except the note.
    """
    session.require(Action.PUPIL_READ)
    query = SessionRow.select(SessionRow, Pupil).join(Pupil, join_type=JOIN.LEFT_OUTER)
    if pupil_uuid:
        query = query.where(SessionRow.pupil == pupil_record(session, pupil_uuid))
    query = mhst_scope(session, query, SessionRow.pupil)
    if start:
        query = query.where(SessionRow.date >= start)
    if end:
        query = query.where(SessionRow.date <= end)
    return _infos(session, list(query.order_by(SessionRow.date.desc(), SessionRow.id.desc())))


def quick_session_defaults(session: Session) -> dict:
    """Defaults for the quick "record a session" form: today, me, 30 minutes, in person, attended, 1:1."""
    return {
        "date": session.today(),
        "staff_uuid": session.actor.uuid,
        "staff_name": session.actor.full_name,
        "duration_minutes": 30,
        "function": 1,
        "type": "one_to_one",
        "mode": "in_person",
        "attendance": "attended",
    }
