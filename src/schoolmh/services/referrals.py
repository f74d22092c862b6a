"""Referrals to other services, their decisions, waiting times and the pupils in the gap.

Waiting time is the days from sending a referral to its decision, or to today
while it is pending. Who is "in the gap" is decided in one place,
schoolmh.services.gap; this module only adds what a list needs (name, which
services said no).

Referring a pupil to the MHST shares the pupil with the MHST
(`Pupil.shared_with_mhst = True`): the practitioners who will work with the
pupil must be able to see them. The share is audited ("pupil.share_mhst") in the
same transaction and is not undone by a later decision; the lead or pastoral
staff can unshare through the pupil record.
"""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from schoolmh.db.models.records import Pupil, Referral
from schoolmh.domain.codes import REFERRAL_DECISIONS, REFERRAL_DESTINATIONS
from schoolmh.errors import NotFound, ValidationError
from schoolmh.services import gap
from schoolmh.services.fieldcheck import Problems
from schoolmh.services.permissions import Action
from schoolmh.services.pupils import mhst_scope, pupil_name, pupil_record
from schoolmh.services.session import Session

DECIDED = tuple(code for code in REFERRAL_DECISIONS if code != "pending")


@dataclass(frozen=True)
class ReferralInfo:
    uuid: str
    pupil_uuid: str
    destination: str
    sent_on: dt.date
    decision: str
    decision_on: dt.date | None
    reason: str
    next_step: str
    waiting_days: int  # sent → decision, or sent → today while pending

    @property
    def pending(self) -> bool:
        return self.decision == "pending"


@dataclass(frozen=True)
class GapPupil:
    """A pupil in the gap, for a list the user can open (by uuid)."""

    pupil_uuid: str
    display_name: str
    since: dt.date  # sent date of the first not-accepted referral of the current run
    days_waiting: int
    not_accepted_by: tuple[str, ...]  # destination codes that did not accept, oldest first


def waiting_days(sent_on: dt.date, decision_on: dt.date | None, today: dt.date) -> int:
    """Days from sending to the decision; to today while there is none. Never negative."""
    return max(0, ((decision_on or today) - sent_on).days)


def _info(r: Referral, pupil_uuid: str, today: dt.date) -> ReferralInfo:
    return ReferralInfo(
        r.uuid, pupil_uuid, r.destination, r.sent_on, r.decision, r.decision_on, r.reason, r.next_step,
        waiting_days(r.sent_on, r.decision_on, today),
    )


def create_referral(
    session: Session, pupil_uuid: str, destination: str, sent_on: dt.date, reason: str = "", next_step: str = ""
) -> ReferralInfo:
    """Record a referral sent (pending). An MHST referral also shares the pupil with the MHST."""
    session.require(Action.REFERRAL_WRITE)
    pupil = pupil_record(session, pupil_uuid)
    p = Problems()
    dest = p.code("destination", destination, REFERRAL_DESTINATIONS, "service referred to")
    day = p.date("sent_on", sent_on, "date sent", not_after=session.today())
    clean_reason = p.text("reason", reason, "reason for referral", max_length=2000)
    step = p.text("next_step", next_step, "next step", max_length=2000)
    p.raise_if_any()
    with session.transaction():
        r = Referral(pupil=pupil, destination=dest, sent_on=day, reason=clean_reason, next_step=step)
        session.save(r, "referral.create", f"pupil={pupil.uuid},destination={dest}", created=True)
        if dest == "mhst" and not pupil.shared_with_mhst:
            Pupil.update(shared_with_mhst=True, updated_by=session.actor.uuid, updated_at=r.updated_at).where(
                Pupil.id == pupil.id
            ).execute()
            session.audit("pupil.share_mhst", "pupil", pupil.uuid, "referral to mhst")
    return _info(r, pupil.uuid, session.today())


def _get(session: Session, referral_uuid: str) -> tuple[Referral, Pupil]:
    query = Referral.select(Referral, Pupil).join(Pupil).where(Referral.uuid == str(referral_uuid or ""))
    r = mhst_scope(session, query).first()
    if r is None:
        raise NotFound("That referral does not exist or is not shared with you.")
    return r, r.pupil


def record_decision(
    session: Session, referral_uuid: str, decision: str, decision_on: dt.date, reason: str = "", next_step: str = ""
) -> ReferralInfo:
    """The service's answer. "not_accepted" needs the reason given (e.g. "above remit").

    A blank reason or next step keeps what was recorded when the referral was sent.
    """
    session.require(Action.REFERRAL_WRITE)
    r, pupil = _get(session, referral_uuid)
    p = Problems()
    code = p.code("decision", decision, dict.fromkeys(DECIDED), "decision")
    day = p.date("decision_on", decision_on, "decision date", not_after=session.today())
    if day and day < r.sent_on:
        p.add("decision_on", f"The decision date is before the referral was sent ({r.sent_on:%d/%m/%Y}).")
    clean_reason = p.text("reason", reason, "reason", max_length=2000)
    step = p.text("next_step", next_step, "next step", max_length=2000)
    if code == "not_accepted" and not clean_reason:
        p.add("reason", "Give the reason the referral was not accepted (for example 'above remit').")
    p.raise_if_any()
    with session.transaction():
        r.decision, r.decision_on = code, day
        if clean_reason:
            r.reason = clean_reason
        if step:
            r.next_step = step
        session.save(r, "referral.decision", f"decision={code}")
    return _info(r, pupil.uuid, session.today())


def get_referral(session: Session, referral_uuid: str) -> ReferralInfo:
    session.require(Action.REFERRAL_READ)
    r, pupil = _get(session, referral_uuid)
    return _info(r, pupil.uuid, session.today())


def list_referrals(session: Session, pupil_uuid: str | None = None, decision: str | None = None) -> list[ReferralInfo]:
    """Newest first; optionally one pupil's, or those with one decision code."""
    session.require(Action.REFERRAL_READ)
    if decision is not None and decision not in REFERRAL_DECISIONS:
        raise ValidationError(f"The decision must be one of: {', '.join(REFERRAL_DECISIONS)}.", "decision")
    query = Referral.select(Referral, Pupil.uuid.alias("pupil_uuid")).join(Pupil)
    if pupil_uuid is not None:
        query = query.where(Referral.pupil == pupil_record(session, pupil_uuid))
    if decision is not None:
        query = query.where(Referral.decision == decision)
    query = mhst_scope(session, query)
    today = session.today()
    rows = query.order_by(Referral.sent_on.desc(), Referral.id.desc()).objects()
    return [_info(r, r.pupil_uuid, today) for r in rows]


def pending_referrals(session: Session) -> list[ReferralInfo]:
    """Referrals still awaiting a decision, longest wait first."""
    rows = list_referrals(session, decision="pending")
    return sorted(rows, key=lambda r: (-r.waiting_days, r.uuid))


def gap_pupils(session: Session) -> list[GapPupil]:
    """Pupils on roll in the gap (rule: services.gap), longest wait first, with who said no."""
    gaps = gap.pupils_in_gap(session)
    if not gaps:
        return []
    uuids = [g.pupil_uuid for g in gaps]
    pupils = {p.uuid: p for p in Pupil.select().where(Pupil.uuid.in_(uuids))}
    refused: dict[str, list[str]] = {}
    query = (
        Referral.select(Pupil.uuid, Referral.destination, Referral.decision_on, Referral.sent_on)
        .join(Pupil)
        .where(Pupil.uuid.in_(uuids) & (Referral.decision == "not_accepted"))
        .order_by(Referral.sent_on, Referral.id)
    )
    since = {g.pupil_uuid: g.since for g in gaps}
    for uuid, destination, _decided, sent in query.tuples():
        if sent >= since[uuid] and destination not in refused.setdefault(uuid, []):
            refused[uuid].append(destination)
    return [
        GapPupil(g.pupil_uuid, pupil_name(pupils[g.pupil_uuid]), g.since, g.days_waiting, tuple(refused.get(g.pupil_uuid, ())))
        for g in gaps
    ]
