"""Set-based queries behind the governors' report; none selects a name, UPN, date of birth or free text.

Definitions (where the issue was silent, the choice is written here once; pupils
supported, tiers, attendance and time by function are computed by
services/figures.py, as the dashboard's are):

* **outcomes**: per instrument, pupils with a result in the period and an
  earlier one (from any date up to its last day): first-ever vs latest, same
  rater (a pupil rated by several raters is counted once, with the rater whose
  first result is earliest). Classified by domain.instruments.classify_change.
* **referrals**: sent in the period; the decision as known at ``as_of`` (a
  decision recorded after it counts as pending). **Median wait**: sent to
  decision, for referrals decided (accepted, not accepted or signposted) in the
  period; shown only when at least 10 were decided.
* **pending referrals**: every referral sent by ``as_of`` (in the period or
  before) still waiting for a decision at ``as_of``, and the longest of those
  waits in days.
* **the gap** (services/gap.py's rule) as at ``as_of``, among pupils still on roll.
* **on roll**: pupils who had not left before the first day, so every supported
  pupil is on the roll.
"""
from __future__ import annotations

import datetime as dt
import statistics
from collections import Counter, defaultdict
from collections.abc import Iterator

from schoolmh.db.models.records import MeasureResult, Pupil, Referral, SupportPlan
from schoolmh.domain import suppression as sup
from schoolmh.domain.codes import FUNCTIONS, NATIONAL_FUNCTION_SHARE, REFERRAL_DECISIONS, REFERRAL_DESTINATIONS, TIERS
from schoolmh.domain.instruments import (
    INSTRUMENTS,
    NO_RELIABLE_CHANGE,
    RELIABLE_DETERIORATION,
    RELIABLE_IMPROVEMENT,
    Scored,
    classify_change,
    get_instrument,
)
from schoolmh.errors import ValidationError
from schoolmh.services import activities as activities_service
from schoolmh.services import figures
from schoolmh.services.figures import NO_PLAN
from schoolmh.services.gap import ReferralFact, gap_since, referral_facts
from schoolmh.services.referrals import waiting_days
from schoolmh.services.report_data.values import (
    ETHNIC_GROUPS,
    FAIRNESS_GROUPS,
    GAP_BANDS,
    NO_PLAN_LABEL,
    CountRow,
    FunctionTime,
    GroupReach,
    InstrumentOutcome,
    KeyFigures,
    ReferralTable,
    ethnic_group,
)
from schoolmh.services.terms import Period

DECIDED = ("accepted", "not_accepted", "signposted")


def count(query) -> int:
    return int(query.count())


def new_plans(period: Period) -> int:
    return count(SupportPlan.select().where(SupportPlan.start_date.between(period.first, period.last)))


def referral_facts_at(as_of: dt.date, pupil_id: int | None = None) -> Iterator[tuple[int, str, ReferralFact]]:
    """(pupil id, destination, ReferralFact as known at as_of) for referrals sent by then (decision history:
    services/gap.py)."""
    facts = referral_facts(as_of, None if pupil_id is None else [pupil_id])
    for pid, theirs in facts.items():
        for fact in theirs:
            yield pid, fact.destination, fact


def gap(as_of: dt.date) -> dict[int, int]:
    """{pupil id: days waiting} for pupils on roll in the gap at as_of."""
    by_pupil: dict[int, list[ReferralFact]] = defaultdict(list)
    for pid, _, fact in referral_facts_at(as_of):
        by_pupil[pid].append(fact)
    if not by_pupil:
        return {}
    on_roll = {pid for (pid,) in Pupil.select(Pupil.id).where(
        Pupil.left_on.is_null() | (Pupil.left_on > as_of)).tuples()}
    out: dict[int, int] = {}
    for pid, facts in by_pupil.items():
        since = gap_since(facts)
        if since is not None and pid in on_roll:
            out[pid] = max(0, (as_of - since).days)
    return out


def pending(as_of: dt.date) -> tuple[int, int | None]:
    """(referrals waiting for a decision at as_of, the longest wait in days or None)."""
    waits = [waiting_days(fact.sent_on, None, as_of) for _, _, fact in referral_facts_at(as_of)
             if fact.decision == "pending"]
    return len(waits), (max(waits) if waits else None)


def key_figures(period: Period, as_of: dt.date) -> KeyFigures:
    att = figures.attendance(period)
    return KeyFigures(
        period=period,
        pupils_supported=len(figures.supported_pupil_ids(period)),
        sessions_delivered=att.attended,
        sessions_planned=att.planned,
        new_plans=new_plans(period),
        referrals_made=count(Referral.select().where(Referral.sent_on.between(period.first, period.last))),
        in_gap=len(gap(as_of)),
        activities=activities_service.count_in_range(period),
    )


def tiers(supported: set[int], period: Period) -> tuple[CountRow, ...]:
    counts = figures.supported_by_tier(supported, period)
    labels = {**TIERS, NO_PLAN: NO_PLAN_LABEL}
    return tuple(CountRow(code, labels[code], n) for code, n in counts.items())


def function_time(period: Period) -> tuple[FunctionTime, ...]:
    _, minutes = figures.function_time(period)
    return tuple(FunctionTime(f, label, minutes[f], NATIONAL_FUNCTION_SHARE[f]) for f, label in FUNCTIONS.items())


def scored(code: str, rater: str, headline: float) -> Scored:
    return Scored(code, rater, "", {}, {}, float(headline), None)


def outcomes(period: Period) -> tuple[InstrumentOutcome, ...]:
    start, end = period.first, period.last
    measured = (MeasureResult.select(MeasureResult.pupil).distinct()
                .where(MeasureResult.date.between(start, end)))
    q = (MeasureResult.select(MeasureResult.pupil, MeasureResult.instrument, MeasureResult.rater,
                              MeasureResult.date, MeasureResult.headline)
         .where(MeasureResult.pupil.in_(measured), MeasureResult.date <= end)
         .order_by(MeasureResult.date, MeasureResult.id))
    # (instrument, pupil, rater) -> [(date, headline)] in date order
    series: dict[tuple[str, int, str], list[tuple[dt.date, float]]] = defaultdict(list)
    names: dict[str, str] = {}
    for pid, code, rater, day, headline in q.tuples():
        try:
            inst = get_instrument(code)
        except ValidationError:
            continue  # an instrument no longer defined: nothing to classify against
        names[inst.code] = inst.name
        series[(inst.code, pid, rater)].append((day, headline))
    seen_in_range: set[str] = set()
    # per instrument and pupil, the rater whose first result is earliest, among usable pairs
    best: dict[tuple[str, int], tuple[dt.date, int, str]] = {}
    for (code, pid, rater), points in series.items():
        if any(start <= day <= end for day, _ in points):
            seen_in_range.add(code)
        latest_in_range = [p for p in points if start <= p[0] <= end]
        if len(points) < 2 or not latest_in_range:
            continue
        inst = get_instrument(code)
        order = inst.raters.index(rater) if rater in inst.raters else 99
        key = (points[0][0], order, rater)
        if (code, pid) not in best or key < best[(code, pid)]:
            best[(code, pid)] = key
    tallies: dict[str, Counter] = defaultdict(Counter)
    for (code, pid), (_, _, rater) in best.items():
        points = series[(code, pid, rater)]
        try:
            change = classify_change(code, rater, scored(code, rater, points[0][1]),
                                     scored(code, rater, points[-1][1]))
        except ValidationError:
            continue  # a rater the instrument does not know
        tallies[code][change.classification] += 1
    order = list(INSTRUMENTS)
    out = []
    for code in sorted(seen_in_range, key=lambda c: order.index(c) if c in order else 99):
        t = tallies.get(code, Counter())
        out.append(InstrumentOutcome(code, names[code], sum(t.values()), t[RELIABLE_IMPROVEMENT],
                                     t[NO_RELIABLE_CHANGE], t[RELIABLE_DETERIORATION]))
    return tuple(out)


def referrals(period: Period, as_of: dt.date) -> tuple[ReferralTable, int, float | None]:
    grid: dict[str, Counter] = defaultdict(Counter)
    waits: list[int] = []
    for _, dest, fact in referral_facts_at(as_of):
        if period.contains(fact.sent_on):
            grid[dest if dest in REFERRAL_DESTINATIONS else "other"][fact.decision] += 1
        if fact.decision in DECIDED and fact.decision_on is not None and period.contains(fact.decision_on):
            waits.append(waiting_days(fact.sent_on, fact.decision_on, as_of))
    dests = tuple(c for c in REFERRAL_DESTINATIONS if c in grid)  # unknown codes (none expected) go under "Other"
    decisions = tuple(REFERRAL_DECISIONS)
    cells = tuple(tuple(grid[dest][dec] for dec in decisions) for dest in dests)
    median = float(statistics.median(waits)) if sup.may_break_down(len(waits)) else None
    return ReferralTable(dests, decisions, cells), len(waits), median


def gap_bands(in_gap: dict[int, int]) -> tuple[CountRow, ...]:
    rows = []
    for code, label, low, high in GAP_BANDS:
        n = sum(1 for days in in_gap.values() if days >= low and (high is None or days <= high))
        rows.append(CountRow(code, label, n))
    return tuple(rows)


def groups(supported: set[int], period: Period) -> tuple[int, tuple[GroupReach, ...]]:
    q = (Pupil.select(Pupil.id, Pupil.sen_provision, Pupil.fsm, Pupil.eal, Pupil.looked_after,
                      Pupil.young_carer, Pupil.ethnicity)
         .where(Pupil.left_on.is_null() | (Pupil.left_on >= period.first)))
    roll: Counter = Counter()
    sup_counts: Counter = Counter()
    total = 0
    for pid, sen, fsm_, eal_, cla, carer, eth in q.tuples():
        total += 1
        keys = []
        if sen == "E":
            keys.append("send_e")
        elif sen == "K":
            keys.append("send_k")
        for key, flag in (("fsm", fsm_), ("eal", eal_), ("looked_after", cla), ("young_carer", carer)):
            if flag:
                keys.append(key)
        keys.append("eth:" + ethnic_group(eth))
        for k in keys:
            roll[k] += 1
            if pid in supported:
                sup_counts[k] += 1
    out = [GroupReach(code, label, roll[code], sup_counts[code]) for code, label in FAIRNESS_GROUPS.items()]
    out += [GroupReach("eth:" + g, label, roll["eth:" + g], sup_counts["eth:" + g])
            for g, label in ETHNIC_GROUPS.items()]
    return total, tuple(out)
