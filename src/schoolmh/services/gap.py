"""The gap: pupils not accepted by one service and not (yet) taken on by another.

DOMAIN.md: pupils whose needs are too complex for the MHST's mild-to-moderate
remit but below CAMHS thresholds fall between services. The rule lives here, in
one function (``gap_since``), so the pupil list, the dashboard, the governors'
report and the export all agree on who is in the gap.

The rule
--------
Look at a pupil's referrals in the order their outcome became known (the
decision date, or the date sent when no decision date was recorded):

* **withdrawn** referrals are ignored: the school took them back, no service
  judged the pupil's need;
* a **pending** referral (one still awaiting a decision) means someone may yet
  take the pupil on, so the pupil is *waiting*, not in the gap;
* an **accepted** referral closes any gap before it;
* **not accepted** referrals decided after the last accepted one open the gap;
* **signposted** neither opens nor closes it: being pointed elsewhere is not a
  refusal on its own, but it is not support either, so a pupil refused by the
  MHST and then signposted by CAMHS stays in the gap.

So a pupil is in the gap when at least one referral was not accepted after
their last accepted referral (or they never had one accepted) and nothing is
pending. Days waiting count from the *sent* date of the first not-accepted
referral in that run, because the wait started when the school first asked
for help, not when the answer came.

Ties: an accepted and a not-accepted outcome on the same day count the
accepted one as later (the pupil is being supported).
"""
from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass
from typing import NamedTuple

from schoolmh.services.permissions import Action

__all__ = ["ReferralFact", "GapInfo", "gap_since", "pupils_in_gap", "gap_map"]


class ReferralFact(NamedTuple):
    """The three facts about a referral the gap rule needs."""

    sent_on: dt.date
    decision: str  # pending | accepted | not_accepted | signposted | withdrawn
    decision_on: dt.date | None = None


@dataclass(frozen=True)
class GapInfo:
    pupil_uuid: str
    since: dt.date  # sent date of the first not-accepted referral in the current run
    days_waiting: int


def gap_since(referrals: Iterable[ReferralFact]) -> dt.date | None:
    """The date the pupil's current gap started, or None if they are not in the gap.

    Pure: takes the pupil's referrals in any order. See the module docstring.
    """
    facts = [r for r in referrals if r.decision != "withdrawn"]
    if any(r.decision == "pending" for r in facts):
        return None
    # accepted sorts after not_accepted on the same day (rank 1 > 0)
    rank = {"not_accepted": 0, "signposted": 0, "accepted": 1}
    ordered = sorted(
        (r for r in facts if r.decision in rank),
        key=lambda r: (r.decision_on or r.sent_on, rank[r.decision]),
    )
    run: list[ReferralFact] = []
    for r in ordered:
        if r.decision == "accepted":
            run = []
        elif r.decision == "not_accepted":
            run.append(r)
    if not run:
        return None
    return min(r.sent_on for r in run)


def gap_map(pupil_ids: Iterable[int] | None = None) -> dict[int, dt.date]:
    """{pupil database id: gap start} for pupils in the gap. No permission check: services only.

    One query over the referral table (no per-pupil queries), so the pupil list
    can show the flag for a whole school cheaply. ``pupil_ids`` limits the pupils
    considered (None = all).
    """
    from schoolmh.db.models.records import Referral

    query = Referral.select(Referral.pupil, Referral.sent_on, Referral.decision, Referral.decision_on)
    if pupil_ids is not None:
        ids = list(pupil_ids)
        if not ids:
            return {}
        query = query.where(Referral.pupil.in_(ids))
    by_pupil: dict[int, list[ReferralFact]] = {}
    for pupil_id, sent_on, decision, decision_on in query.tuples():
        by_pupil.setdefault(pupil_id, []).append(ReferralFact(sent_on, decision, decision_on))
    result: dict[int, dt.date] = {}
    for pupil_id, facts in by_pupil.items():
        since = gap_since(facts)
        if since is not None:
            result[pupil_id] = since
    return result


def pupils_in_gap(session, *, include_left: bool = False) -> list[GapInfo]:
    """Every pupil (visible to this user) currently in the gap, longest wait first."""
    from schoolmh.db.models.records import Pupil
    from schoolmh.services.pupils import mhst_scope  # pupils imports this module

    session.require(Action.REFERRAL_READ)
    query = Pupil.select(Pupil.id, Pupil.uuid)
    if not include_left:
        query = query.where(Pupil.left_on.is_null())
    uuids = dict(mhst_scope(session, query).tuples())
    today = session.today()
    gaps = gap_map(uuids.keys() if len(uuids) < 900 else None)
    found = [
        GapInfo(uuids[pid], since, (today - since).days)
        for pid, since in gaps.items()
        if pid in uuids
    ]
    return sorted(found, key=lambda g: (-g.days_waiting, g.pupil_uuid))
