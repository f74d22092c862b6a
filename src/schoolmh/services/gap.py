"""The gap: pupils the MHST and specialist services (CAMHS) have both not taken on.

DOMAIN.md: pupils whose needs are too complex for the MHST's mild-to-moderate
remit but below CAMHS thresholds fall between services. The rule lives here, in
one function (``gap_since``), so the pupil list, the dashboard, the governors'
report and the export all agree on who is in the gap.

The rule
--------
Each referral counts with its *current* outcome: the latest entry of its dated
decision history (``ReferralDecision``) known at the date asked about, or
"pending" when it has none yet. Its outcome date is that entry's date.

A pupil is **in the gap** when

* their latest MHST referral outcome and their latest CAMHS referral outcome are
  both **not accepted**, in either order. The MHST asking to step a pupil up
  ("above remit") after taking them on is a later "not accepted" entry on the
  MHST referral, so it counts the same way;
* and **nothing is pending**: a referral still awaiting an answer (to anyone)
  means someone may yet take the pupil on, so they are *waiting*, not in the gap;
* and **nothing was accepted since** the later of those two refusals (by any
  service: the pupil is being supported). An acceptance on the same day as the
  refusal counts as later.

Withdrawn referrals are ignored (the school took them back; no service judged
the pupil's need). **Signposted** is neither a refusal nor an acceptance: being
pointed elsewhere does not put a pupil in the gap (an MHST refusal and a CAMHS
signpost is not the gap) and does not take them out of it. A refusal by any other
service (school nurse, early help …) is shown on the record as "not accepted" but
is not the gap on its own.

Days waiting count from the *sent* date of the first of the two refused
referrals, because the wait started when the school first asked for help.
"""
from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass
from typing import NamedTuple

from schoolmh.services.permissions import Action

__all__ = ["ReferralFact", "GapInfo", "gap_since", "referral_facts", "pupils_in_gap", "gap_map", "GAP_SERVICES"]

GAP_SERVICES = ("mhst", "camhs")  # the two services whose refusals, together, are the gap


class ReferralFact(NamedTuple):
    """What the gap rule needs to know about one referral."""

    destination: str  # mhst | camhs | school_nurse | …
    sent_on: dt.date
    decision: str  # pending | accepted | not_accepted | signposted | withdrawn (the current outcome)
    decision_on: dt.date | None = None

    @property
    def known_on(self) -> dt.date:
        return self.decision_on or self.sent_on


@dataclass(frozen=True)
class GapInfo:
    pupil_uuid: str
    since: dt.date  # sent date of the first of the two refused referrals
    days_waiting: int


def _latest_refusal(facts: list[ReferralFact], destination: str) -> ReferralFact | None:
    """The destination's referral whose outcome came last, if that outcome is "not accepted"."""
    theirs = [f for f in facts if f.destination == destination and f.decision != "signposted"]
    if not theirs:
        return None
    latest = max(theirs, key=lambda f: f.known_on)
    return latest if latest.decision == "not_accepted" else None


def gap_since(referrals: Iterable[ReferralFact]) -> dt.date | None:
    """The date the pupil's wait started if they are in the gap, else None.

    Pure: takes the pupil's referrals in any order. See the module docstring.
    """
    facts = [r for r in referrals if r.decision != "withdrawn"]
    if any(r.decision == "pending" for r in facts):
        return None
    refused = [_latest_refusal(facts, d) for d in GAP_SERVICES]
    if any(r is None for r in refused):
        return None
    opened = max(r.known_on for r in refused)
    if any(f.decision == "accepted" and f.known_on >= opened for f in facts):
        return None
    return min(r.sent_on for r in refused)


def referral_facts(as_of: dt.date | None = None, pupil_ids: Iterable[int] | None = None) -> dict[int, list[ReferralFact]]:
    """{pupil id: their referrals as known at ``as_of``} from the decision history.

    No permission check: services only. Referrals sent after ``as_of`` are left
    out and decisions dated after it are not yet known (None = everything). Two
    queries whatever the number of pupils, so the pupil list can flag a whole school.
    """
    from schoolmh.db.models.records import Referral, ReferralDecision

    referrals = Referral.select(Referral.id, Referral.pupil, Referral.destination, Referral.sent_on)
    decisions = (ReferralDecision.select(ReferralDecision.referral, ReferralDecision.decision,
                                         ReferralDecision.decided_on)
                 .order_by(ReferralDecision.decided_on, ReferralDecision.id))
    if as_of is not None:
        referrals = referrals.where(Referral.sent_on <= as_of)
        decisions = decisions.where(ReferralDecision.decided_on <= as_of)
    if pupil_ids is not None:
        ids = list(pupil_ids)
        if not ids:
            return {}
        if len(ids) < 900:  # SQLite's bound-parameter limit; above it, read all and filter
            referrals = referrals.where(Referral.pupil.in_(ids))
            decisions = decisions.join(Referral).where(Referral.pupil.in_(ids))
        wanted = set(ids)
    else:
        wanted = None
    current: dict[int, tuple[str, dt.date]] = {}
    for referral_id, decision, decided_on in decisions.tuples():
        current[referral_id] = (decision, decided_on)  # ordered by date: the last one wins
    out: dict[int, list[ReferralFact]] = {}
    for referral_id, pupil_id, destination, sent_on in referrals.tuples():
        if wanted is not None and pupil_id not in wanted:
            continue
        decision, decided_on = current.get(referral_id, ("pending", None))
        out.setdefault(pupil_id, []).append(ReferralFact(destination, sent_on, decision, decided_on))
    return out


def gap_map(pupil_ids: Iterable[int] | None = None, as_of: dt.date | None = None) -> dict[int, dt.date]:
    """{pupil database id: the date their wait started} for pupils in the gap. No permission check: services only."""
    result: dict[int, dt.date] = {}
    for pupil_id, facts in referral_facts(as_of, pupil_ids).items():
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
    gaps = gap_map(uuids.keys())
    found = [GapInfo(uuids[pid], since, (today - since).days) for pid, since in gaps.items() if pid in uuids]
    return sorted(found, key=lambda g: (-g.days_waiting, g.pupil_uuid))
