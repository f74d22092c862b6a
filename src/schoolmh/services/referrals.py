"""Referrals to other services, their dated decisions, waiting times and the pupils in the gap.

A referral keeps what it was sent for (reason, next step). Each answer from the
service is a dated ``ReferralDecision`` (decision, date, reason, next step) added
to its history, never written over an earlier one; the referral's current outcome
is its latest entry by date (mirrored on the referral row, in the same
transaction, so lists can filter on it). A referral made by mistake is withdrawn
(a history entry like any other), and a lead can delete one outright (audited).

Waiting time is the days from sending a referral to its current decision, or to
today while it is pending. Who is "in the gap" is decided in one place,
schoolmh.services.gap; this module only adds what a list needs (name, which
services said no).

Referring a pupil to the MHST shares the pupil with the MHST
(`Pupil.shared_with_mhst = True`): the practitioners who will work with the
pupil must be able to see them. The share is audited ("pupil.share_mhst",
detail "referral to mhst") in the same transaction and is not undone by a later
decision; the lead or pastoral staff can unshare through the pupil record, and
deleting the referral that alone shared a pupil can unshare them too.
"""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from schoolmh.db.models.core import AuditEntry
from schoolmh.db.models.records import Pupil, Referral, ReferralDecision
from schoolmh.domain.codes import REFERRAL_DECISIONS, REFERRAL_DESTINATIONS
from schoolmh.errors import NotFound, ValidationError
from schoolmh.services import gap
from schoolmh.services.fieldcheck import Problems
from schoolmh.services.permissions import Action
from schoolmh.services.pupils import mhst_scope, pupil_name, pupil_record
from schoolmh.services.session import Session

DECIDED = tuple(code for code in REFERRAL_DECISIONS if code != "pending")
SHARED_BY_REFERRAL = "referral to mhst"  # the audit detail of the share a referral to the MHST makes


@dataclass(frozen=True)
class DecisionInfo:
    """One dated answer in a referral's history."""

    uuid: str
    decision: str
    decided_on: dt.date
    reason: str
    next_step: str


@dataclass(frozen=True)
class ReferralInfo:
    uuid: str
    pupil_uuid: str
    destination: str
    sent_on: dt.date
    decision: str  # the current outcome: the latest history entry's, or "pending"
    decision_on: dt.date | None
    reason: str  # why the school referred (decisions never change it)
    next_step: str  # what the school planned when referring
    waiting_days: int  # sent → decision, or sent → today while pending
    decisions: tuple[DecisionInfo, ...] = ()  # the history, oldest first

    @property
    def pending(self) -> bool:
        return self.decision == "pending"

    @property
    def latest(self) -> DecisionInfo | None:
        return self.decisions[-1] if self.decisions else None


@dataclass(frozen=True)
class GapPupil:
    """A pupil in the gap, for a list the user can open (by uuid)."""

    pupil_uuid: str
    display_name: str
    since: dt.date  # sent date of the first of the two refused referrals
    days_waiting: int
    not_accepted_by: tuple[str, ...]  # destination codes that did not accept, oldest first


@dataclass(frozen=True)
class Deletion:
    """What deleting a referral would do, for the question the lead is asked first."""

    referral: ReferralInfo
    unshares_pupil: bool  # this referral alone shared the pupil with the MHST


def waiting_days(sent_on: dt.date, decision_on: dt.date | None, today: dt.date) -> int:
    """Days from sending to the decision; to today while there is none. Never negative."""
    return max(0, ((decision_on or today) - sent_on).days)


def _history(referral_ids: list[int]) -> dict[int, list[DecisionInfo]]:
    """{referral id: its decisions by date (then entry order)}; one query per 900 referrals."""
    out: dict[int, list[DecisionInfo]] = {}
    for start in range(0, len(referral_ids), 900):
        query = (ReferralDecision.select()
                 .where(ReferralDecision.referral.in_(referral_ids[start:start + 900]))
                 .order_by(ReferralDecision.decided_on, ReferralDecision.id))
        for d in query:
            out.setdefault(d.referral_id, []).append(DecisionInfo(d.uuid, d.decision, d.decided_on, d.reason, d.next_step))
    return out


def _info(r: Referral, pupil_uuid: str, today: dt.date, history: list[DecisionInfo] | None = None) -> ReferralInfo:
    if history is None:
        history = _history([r.id]).get(r.id, [])
    return ReferralInfo(
        r.uuid, pupil_uuid, r.destination, r.sent_on, r.decision, r.decision_on, r.reason, r.next_step,
        waiting_days(r.sent_on, r.decision_on, today), tuple(history),
    )


def create_referral(
    session: Session, pupil_uuid: str, destination: str | None, sent_on: dt.date, reason: str = "", next_step: str = ""
) -> ReferralInfo:
    """Record a referral sent (pending). An MHST referral also shares the pupil with the MHST."""
    session.require(Action.REFERRAL_WRITE)
    pupil = pupil_record(session, pupil_uuid)
    p = Problems()
    if not destination:
        p.add("destination", "Choose the service the pupil was referred to.")
        dest = None
    else:
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
            session.audit("pupil.share_mhst", "pupil", pupil.uuid, SHARED_BY_REFERRAL)
    return _info(r, pupil.uuid, session.today(), [])


def _get(session: Session, referral_uuid: str) -> tuple[Referral, Pupil]:
    query = Referral.select(Referral, Pupil).join(Pupil).where(Referral.uuid == str(referral_uuid or ""))
    r = mhst_scope(session, query).first()
    if r is None:
        raise NotFound("That referral does not exist or is not shared with you.")
    return r, r.pupil


def record_decision(
    session: Session, referral_uuid: str, decision: str | None, decision_on: dt.date, reason: str = "",
    next_step: str = "",
) -> ReferralInfo:
    """Add the service's answer (or the school's withdrawal) to the referral's dated history.

    "not_accepted" needs the reason given (e.g. "above remit", "below threshold").
    The referral's own reason and next step (what it was sent for) are never changed.
    An MHST referral it accepted and later asks to step up gets a later "not_accepted" entry.
    """
    session.require(Action.REFERRAL_WRITE)
    r, pupil = _get(session, referral_uuid)
    p = Problems()
    if not decision:
        p.add("decision", "Choose the decision.")
        code = None
    else:
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
        entry = ReferralDecision(referral=r, decision=code, decided_on=day, reason=clean_reason, next_step=step)
        session.stamp(entry, created=True)
        entry.save()
        latest = (ReferralDecision.select().where(ReferralDecision.referral == r)
                  .order_by(ReferralDecision.decided_on.desc(), ReferralDecision.id.desc()).first())
        r.decision, r.decision_on = latest.decision, latest.decided_on
        session.save(r, "referral.decision", f"decision={code}")
    return _info(r, pupil.uuid, session.today())


def withdraw_referral(session: Session, referral_uuid: str, on: dt.date | None = None, reason: str = "") -> ReferralInfo:
    """The school takes a referral back (e.g. made by mistake): a "withdrawn" entry dated `on` (today)."""
    return record_decision(session, referral_uuid, "withdrawn", on or session.today(), reason)


def _shared_only_by(r: Referral, pupil: Pupil) -> bool:
    """True when this MHST referral is what shared the pupil: the pupil's latest share change came from
    a referral, and they have no other MHST referral."""
    if r.destination != "mhst" or not pupil.shared_with_mhst:
        return False
    others = Referral.select().where((Referral.pupil == pupil.id) & (Referral.destination == "mhst")
                                     & (Referral.id != r.id)).exists()
    if others:
        return False
    last_share = (AuditEntry.select(AuditEntry.detail)
                  .where((AuditEntry.object_uuid == pupil.uuid) & (AuditEntry.action == "pupil.share_mhst"))
                  .order_by(AuditEntry.seq.desc()).first())
    return last_share is not None and last_share.detail == SHARED_BY_REFERRAL


def deletion_preview(session: Session, referral_uuid: str) -> Deletion:
    """What `delete_referral` would do (the lead is asked before un-sharing the pupil)."""
    session.require(Action.REFERRAL_DELETE)
    r, pupil = _get(session, referral_uuid)
    return Deletion(_info(r, pupil.uuid, session.today()), _shared_only_by(r, pupil))


def delete_referral(session: Session, referral_uuid: str, *, unshare_pupil: bool = False) -> None:
    """Delete a referral made by mistake, with its decisions (lead only; audited).

    `unshare_pupil` also stops sharing the pupil with the MHST, only when this
    referral alone shared them (see `deletion_preview`); otherwise it is ignored.
    """
    session.require(Action.REFERRAL_DELETE)
    r, pupil = _get(session, referral_uuid)
    unshare = unshare_pupil and _shared_only_by(r, pupil)
    with session.transaction():
        ReferralDecision.delete().where(ReferralDecision.referral == r.id).execute()
        r.delete_instance()
        # filed under the pupil, so their record's history shows it once the referral is gone
        session.audit("referral.delete", "pupil", pupil.uuid, f"referral={r.uuid},destination={r.destination}")
        if unshare:
            pupil.shared_with_mhst = False
            session.save(pupil, "pupil.share_mhst", "shared=0,referral deleted")


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
    rows = list(query.order_by(Referral.sent_on.desc(), Referral.id.desc()).objects())
    history = _history([r.id for r in rows])
    return [_info(r, r.pupil_uuid, today, history.get(r.id, [])) for r in rows]


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
