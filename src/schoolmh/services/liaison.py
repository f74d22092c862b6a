"""MHST liaison meetings with their actions, and staff consultations (function 3).

Actions stay open until someone marks them done, whichever meeting they came
from, so they survive the lead or a practitioner leaving. Linked pupils respect
the MHST's scope: a practitioner can link, and sees linked, only pupils the school
has shared with the MHST. A consultation's topic is case-note-like free text, so
reading consultations needs SESSION_READ (the roles that read session notes).

Both carry staff time (``duration_minutes``), counted as function 3 by the
dashboard and the governors' report; a meeting's default comes from its type and a
consultation's is 20 minutes (domain/staff_time.py).
"""
from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from peewee import JOIN

from schoolmh.db.models.core import Staff
from schoolmh.db.models.records import Consultation, LiaisonAction, LiaisonMeeting, LiaisonPupil, Pupil
from schoolmh.domain.codes import LIAISON_TYPES
from schoolmh.domain.staff_time import CONSULTATION_MINUTES, MAX_MINUTES, liaison_minutes
from schoolmh.errors import NotFound
from schoolmh.services.fieldcheck import Problems, reject_unknown
from schoolmh.services.permissions import Action
from schoolmh.services.pupils import mhst_scope, pupil_record
from schoolmh.services.session import Session


@dataclass(frozen=True)
class ActionInfo:
    uuid: str
    meeting_uuid: str
    meeting_date: dt.date
    text: str
    owner: str
    due_on: dt.date | None
    done_on: dt.date | None

    @property
    def is_open(self) -> bool:
        return self.done_on is None

    def overdue(self, today: dt.date) -> bool:
        return self.done_on is None and self.due_on is not None and self.due_on < today


@dataclass(frozen=True)
class MeetingInfo:
    uuid: str
    date: dt.date
    type: str
    attendees: str
    discussion: str
    duration_minutes: int
    pupil_uuids: tuple[str, ...]
    actions: tuple[ActionInfo, ...]


@dataclass(frozen=True)
class ConsultationInfo:
    uuid: str
    date: dt.date
    staff_advised: str
    topic: str
    pupil_uuid: str | None
    duration_minutes: int
    by_staff_uuid: str
    function: int = 3


@dataclass(frozen=True)
class NewAction:
    """An action to add with a meeting: (text, owner, due_on) tuples are accepted too."""

    text: str
    owner: str = ""
    due_on: dt.date | None = None


_MEETING_FIELDS = ("date", "type", "attendees", "discussion", "duration_minutes", "pupil_uuids")


def _visible_pupils(session: Session, uuids: Iterable[str]) -> list[Pupil]:
    """The pupils for these uuids, each visible to the signed-in role, or NotFound."""
    wanted = list(dict.fromkeys(u for u in uuids if u))
    if not wanted:
        return []
    found = {p.uuid: p for p in mhst_scope(session, Pupil.select().where(Pupil.uuid.in_(wanted)))}
    if len(found) != len(wanted):
        raise NotFound("One of the pupils linked no longer exists or is not shared with you.")
    return [found[u] for u in wanted]


def _as_new_action(item: NewAction | Sequence) -> NewAction:
    if isinstance(item, NewAction):
        return item
    text, owner, due_on = (list(item) + ["", None])[:3]
    return NewAction(text, owner or "", due_on)


def _clean_action(p: Problems, action: NewAction, prefix: str = "") -> dict:
    return {
        "text": p.text(prefix + "text", action.text, "action", required=True, max_length=1000),
        "owner": p.text(prefix + "owner", action.owner, "action owner", max_length=200),
        "due_on": p.date(prefix + "due_on", action.due_on, "action due date", required=False),
    }


def _clean_meeting(session: Session, values: dict) -> tuple[dict, Problems]:
    p = Problems()
    kind = p.code("type", values.get("type") or "planning", LIAISON_TYPES, "meeting type")
    minutes = values.get("duration_minutes")
    out = {
        "date": p.date("date", values.get("date"), "meeting date", not_after=session.today()),
        "type": kind,
        "attendees": p.text("attendees", values.get("attendees"), "attendees", max_length=1000),
        "discussion": p.text("discussion", values.get("discussion"), "discussion", max_length=20_000),
        "duration_minutes": (liaison_minutes(kind or "planning") if minutes in (None, "") else
                             p.count("duration_minutes", minutes, "staff time in minutes", low=1, high=MAX_MINUTES)),
    }
    return out, p


def _action_info(a: LiaisonAction, meeting: LiaisonMeeting) -> ActionInfo:
    return ActionInfo(a.uuid, meeting.uuid, meeting.date, a.text, a.owner, a.due_on, a.done_on)


def _meeting_info(session: Session, m: LiaisonMeeting) -> MeetingInfo:
    pupils = mhst_scope(session, LiaisonPupil.select(Pupil.uuid).join(Pupil).where(LiaisonPupil.meeting == m))
    actions = LiaisonAction.select().where(LiaisonAction.meeting == m).order_by(LiaisonAction.id)
    return MeetingInfo(
        m.uuid, m.date, m.type, m.attendees, m.discussion, m.duration_minutes,
        tuple(uuid for (uuid,) in pupils.tuples()), tuple(_action_info(a, m) for a in actions),
    )


def _link_pupils(session: Session, meeting: LiaisonMeeting, pupils: list[Pupil]) -> None:
    if pupils:
        LiaisonPupil.insert_many(
            [{"meeting": meeting.id, "pupil": p.id, "created_by": session.actor.uuid, "updated_by": session.actor.uuid}
             for p in pupils]
        ).execute()


def _insert_action(session: Session, meeting: LiaisonMeeting, clean: dict) -> LiaisonAction:
    action = LiaisonAction(meeting=meeting, **clean)
    session.save(action, "liaison_action.create", f"meeting={meeting.uuid}", created=True)
    return action


def create_meeting(
    session: Session,
    *,
    date: dt.date,
    type: str = "planning",
    attendees: str = "",
    discussion: str = "",
    duration_minutes: int | None = None,
    pupil_uuids: Iterable[str] = (),
    actions: Iterable[NewAction | Sequence] = (),
) -> MeetingInfo:
    """A liaison note with its linked pupils and actions, in one transaction. ``duration_minutes``
    None = the meeting type's default staff time."""
    session.require(Action.LIAISON_WRITE)
    clean, p = _clean_meeting(session, dict(date=date, type=type, attendees=attendees, discussion=discussion,
                                            duration_minutes=duration_minutes))
    new_actions = [_clean_action(p, _as_new_action(a), f"actions[{i}].") for i, a in enumerate(actions)]
    p.raise_if_any()
    pupils = _visible_pupils(session, pupil_uuids)
    with session.transaction():
        meeting = LiaisonMeeting(**clean)
        session.stamp(meeting, created=True)
        meeting.save()
        _link_pupils(session, meeting, pupils)
        session.audit("liaison.create", "liaison_meeting", meeting.uuid, f"pupils={len(pupils)},actions={len(new_actions)}")
        for action in new_actions:
            _insert_action(session, meeting, action)
    return _meeting_info(session, meeting)


def _get_meeting(uuid: str) -> LiaisonMeeting:
    meeting = LiaisonMeeting.get_or_none(LiaisonMeeting.uuid == uuid)
    if meeting is None:
        raise NotFound("That liaison note no longer exists.")
    return meeting


def update_meeting(session: Session, meeting_uuid: str, **changes) -> MeetingInfo:
    """Change fields of a note; `pupil_uuids` replaces the links the signed-in role can see
    (an MHST practitioner's edit never drops links to pupils they cannot see)."""
    session.require(Action.LIAISON_WRITE)
    reject_unknown(changes, _MEETING_FIELDS, "A liaison note has no field {field!r}.")
    meeting = _get_meeting(meeting_uuid)
    current = {k: getattr(meeting, k) for k in _MEETING_FIELDS if k != "pupil_uuids"}
    current.update({k: v for k, v in changes.items() if k != "pupil_uuids"})
    clean, p = _clean_meeting(session, current)
    p.raise_if_any()
    pupils = _visible_pupils(session, changes["pupil_uuids"]) if "pupil_uuids" in changes else None
    with session.transaction():
        for key, value in clean.items():
            setattr(meeting, key, value)
        session.stamp(meeting)
        meeting.save()
        if pupils is not None:
            old = LiaisonPupil.delete().where(LiaisonPupil.meeting == meeting)
            if session.pupil_scoped:
                old = old.where(LiaisonPupil.pupil.in_(mhst_scope(session, Pupil.select(Pupil.id))))
            old.execute()
            _link_pupils(session, meeting, pupils)
        session.audit("liaison.update", "liaison_meeting", meeting.uuid, ",".join(sorted(changes)))
    return _meeting_info(session, meeting)


def get_meeting(session: Session, meeting_uuid: str) -> MeetingInfo:
    session.require(Action.LIAISON_READ)
    return _meeting_info(session, _get_meeting(meeting_uuid))


def list_meetings(
    session: Session, start: dt.date | None = None, end: dt.date | None = None, pupil_uuid: str | None = None
) -> list[MeetingInfo]:
    """Newest first; with `pupil_uuid`, only meetings that discussed that pupil."""
    session.require(Action.LIAISON_READ)
    query = LiaisonMeeting.select()
    if start:
        query = query.where(LiaisonMeeting.date >= start)
    if end:
        query = query.where(LiaisonMeeting.date <= end)
    if pupil_uuid:
        pupil = pupil_record(session, pupil_uuid)
        query = query.where(LiaisonMeeting.id.in_(LiaisonPupil.select(LiaisonPupil.meeting).where(LiaisonPupil.pupil == pupil)))
    return [_meeting_info(session, m) for m in query.order_by(LiaisonMeeting.date.desc(), LiaisonMeeting.id.desc())]


def add_action(session: Session, meeting_uuid: str, text: str, owner: str = "", due_on: dt.date | None = None) -> ActionInfo:
    session.require(Action.LIAISON_WRITE)
    meeting = _get_meeting(meeting_uuid)
    p = Problems()
    clean = _clean_action(p, NewAction(text, owner, due_on))
    p.raise_if_any()
    with session.transaction():
        action = _insert_action(session, meeting, clean)
    return _action_info(action, meeting)


def mark_action_done(session: Session, action_uuid: str, done_on: dt.date | None = None) -> ActionInfo:
    """Close an action (done_on defaults to today; not before its meeting, not in the future)."""
    session.require(Action.LIAISON_WRITE)
    action = LiaisonAction.get_or_none(LiaisonAction.uuid == action_uuid)
    if action is None:
        raise NotFound("That action no longer exists.")
    meeting = action.meeting
    p = Problems()
    day = p.date("done_on", done_on or session.today(), "date it was done", not_after=session.today())
    if day and day < meeting.date:
        p.add("done_on", f"The action cannot be done before its meeting ({meeting.date:%d/%m/%Y}).")
    p.raise_if_any()
    with session.transaction():
        action.done_on = day
        session.save(action, "liaison_action.done")
    return _action_info(action, meeting)


def open_actions(session: Session) -> list[ActionInfo]:
    """Every action not yet done, from any meeting: overdue first, then by due date (undated last)."""
    session.require(Action.LIAISON_READ)
    query = (
        LiaisonAction.select(LiaisonAction, LiaisonMeeting)
        .join(LiaisonMeeting)
        .where(LiaisonAction.done_on.is_null())
    )
    rows = [_action_info(a, a.meeting) for a in query]
    return sorted(rows, key=lambda a: (a.due_on is None, a.due_on or dt.date.max, a.meeting_date))


# -- staff consultations ------------------------------------------------------------
def _consultation_info(c: Consultation, pupil_uuid: str | None, by_uuid: str) -> ConsultationInfo:
    return ConsultationInfo(c.uuid, c.date, c.staff_advised, c.topic, pupil_uuid, c.duration_minutes, by_uuid)


def create_consultation(
    session: Session,
    *,
    date: dt.date,
    staff_advised: str,
    topic: str,
    pupil_uuid: str | None = None,
    duration_minutes: int = CONSULTATION_MINUTES,
) -> ConsultationInfo:
    """Advice given to a member of staff (function 3), recorded as given by the signed-in user."""
    session.require(Action.CONSULTATION_WRITE)
    p = Problems()
    day = p.date("date", date, "date", not_after=session.today())
    advised = p.text("staff_advised", staff_advised, "member of staff advised", required=True, max_length=200)
    text = p.text("topic", topic, "topic", required=True, max_length=4000)
    minutes = p.count("duration_minutes", duration_minutes, "staff time in minutes", low=1, high=MAX_MINUTES)
    p.raise_if_any()
    pupil = pupil_record(session, pupil_uuid) if pupil_uuid else None
    with session.transaction():
        by = Staff.get(Staff.uuid == session.actor.uuid)
        c = Consultation(date=day, staff_advised=advised, topic=text, pupil=pupil, duration_minutes=minutes, by_staff=by)
        session.save(c, "consultation.create", f"pupil={pupil.uuid}" if pupil else "", created=True)
    return _consultation_info(c, pupil.uuid if pupil else None, session.actor.uuid)


def list_consultations(
    session: Session, start: dt.date | None = None, end: dt.date | None = None, pupil_uuid: str | None = None
) -> list[ConsultationInfo]:
    """Newest first. MHST practitioners see consultations without a pupil or about shared pupils."""
    session.require(Action.SESSION_READ)
    query = (
        Consultation.select(Consultation, Pupil.uuid.alias("pupil_uuid"), Staff.uuid.alias("by_uuid"))
        .join(Pupil, on=(Consultation.pupil == Pupil.id), join_type=JOIN.LEFT_OUTER)
        .switch(Consultation)
        .join(Staff, on=(Consultation.by_staff == Staff.id))
    )
    if start:
        query = query.where(Consultation.date >= start)
    if end:
        query = query.where(Consultation.date <= end)
    if pupil_uuid:
        query = query.where(Consultation.pupil == pupil_record(session, pupil_uuid))
    query = mhst_scope(session, query, Consultation.pupil)
    rows = query.order_by(Consultation.date.desc(), Consultation.id.desc()).objects()
    return [_consultation_info(c, c.pupil_uuid, c.by_uuid) for c in rows]
