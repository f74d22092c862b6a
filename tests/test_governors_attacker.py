"""Plays the outside reviewer of issue 10: from the printed values of real governors' reports (read back from
the PDF), enumerate every combination of exact counts consistent with them and check that no hidden count has
only one possible value; over several demo schools, every term of the demo year, the school year, and pairs of
adjacent allowed ranges (differencing). tests/attacker.py holds the reader and the solver."""
from __future__ import annotations

import datetime as dt

import pytest
from attacker import System, pdf_text, read_report, report_system, share_problems

from schoolmh.domain import suppression as sup
from schoolmh.domain.codes import REFERRAL_DECISIONS, REFERRAL_DESTINATIONS, TIERS
from schoolmh.reports.governors import governors_pdf_from_data
from schoolmh.services import demo, terms
from schoolmh.services.report_data import governors_report_data
from schoolmh.services.report_data.values import NO_PLAN_LABEL
from schoolmh.services.terms import Period

PRODUCED = dt.date(2026, 11, 20)
SEEDS = (1, 2, 3)
D = dt.date


def month(y: int, m: int, to_m: int | None = None) -> Period:
    last_m = to_m or m
    nxt = D(y + (last_m == 12), last_m % 12 + 1, 1)
    return Period(D(y, m, 1), nxt - dt.timedelta(days=1), "")


@pytest.fixture(scope="module", params=SEEDS)
def school(request, tmp_path_factory):
    session, _ = demo.create_demo_vault(tmp_path_factory.mktemp(f"demo{request.param}") / "vault", 80,
                                        request.param, "demo password that is long")
    reports: dict[tuple, tuple[str, object]] = {}

    def report(period: Period):
        key = (period.first, period.last)
        if key not in reports:  # what governors_pdf does, keeping the exact figures for the check
            data = governors_report_data(session, period, as_of=min(period.last, PRODUCED))
            reports[key] = (pdf_text(governors_pdf_from_data(data, PRODUCED)), data)
        return reports[key]

    yield session, report
    session.close()


def truth(data) -> dict[str, int]:
    """The exact counts behind each variable of the attacker's system."""
    t = {"supported": data.pupils_supported, "roll": data.roll, "in_gap": data.in_gap}
    labels = {**TIERS, "none": NO_PLAN_LABEL}
    for row in data.supported_by_tier:
        t[f"tier:{labels[row.code]}"] = row.count
    for o in data.outcomes:
        t.update({f"outcome:{o.code}:paired": o.paired, f"outcome:{o.code}:improved": o.improved,
                  f"outcome:{o.code}:no_change": o.no_change, f"outcome:{o.code}:deteriorated": o.deteriorated})
    ref = data.referrals
    t["referrals:total"] = ref.total
    for j, dec in enumerate(ref.decisions):
        t[f"referrals:Total:{REFERRAL_DECISIONS[dec]}"] = sum(row[j] for row in ref.cells)
    for dest, row in zip(ref.destinations, ref.cells):
        label = REFERRAL_DESTINATIONS[dest]
        t[f"referrals:{label}:Total"] = sum(row)
        for dec, n in zip(ref.decisions, row):
            t[f"referrals:{label}:{REFERRAL_DECISIONS[dec]}"] = n
    for band in data.gap_bands:
        t[f"gap:{band.label}"] = band.count
    for g in data.groups:
        t[f"group:{g.label}:on_roll"] = g.on_roll
        t[f"group:{g.label}:supported"] = g.supported
    return t


def attack(text: str, data) -> list[str]:
    """Hidden counts the printed report pins to one value (should be none)."""
    printed = read_report(text)
    system = report_system(printed)
    exact = truth(data)
    known = {name: exact[name] for name in system.names}
    assert system.holds(known), "the attacker's reading of the report must fit the real counts"
    assert share_problems(printed) == []
    return [f"{name} = {known[name]}" for name in system.hidden() if not system.other_value_possible(name, known[name])]


def demo_periods() -> list[Period]:
    autumn, spring, summer = terms.school_terms(2025)
    return [autumn, spring, summer, terms.get_term("autumn", 2026), terms.school_year(2025)]


def test_no_hidden_count_is_recoverable_from_one_report(school):
    session, report = school
    for period in demo_periods():
        text, data = report(period)
        printed = read_report(text)
        assert printed.scalars["supported"] is not None and printed.scalars["roll"] is not None
        hidden = report_system(printed).hidden()
        assert hidden, f"{period}: a demo report always has small numbers to hide"
        assert attack(text, data) == [], period


ADDITIVE = ("delivered", "planned", "new_plans", "closed_plans", "meetings", "consultations", "referrals_made")
ADDITIVE_EXACT = {
    "delivered": lambda d: d.sessions_delivered, "planned": lambda d: d.sessions_planned,
    "new_plans": lambda d: d.new_plans, "closed_plans": lambda d: d.closed_plans,
    "meetings": lambda d: d.liaison_meetings, "consultations": lambda d: d.consultations,
    "referrals_made": lambda d: d.referrals.total,
}


def _difference_pins(small_text: str, big_text: str, small_exact: int, big_exact: int,
                     part_text: str | None = None) -> bool:
    """big = small + part, each printed (part only when ``part_text`` is given): is a small part pinned?"""
    s = System()
    a, b = s.var("small", small_text), s.var("big", big_text)
    c = s.var("part", part_text) if part_text is not None else s.var("part")
    s.add_sum([a, c], b)
    part = big_exact - small_exact
    assert s.holds({"small": small_exact, "big": big_exact, "part": part})
    return 0 < part < sup.MIN_SHOWN and not s.other_value_possible("part", part)


def test_adjacent_ranges_cannot_be_subtracted(school):
    """Two allowed ranges that differ by a slice: the slice's count keeps two or more possible values."""
    session, report = school
    _, spring, summer = terms.school_terms(2025)
    jan, feb, jan_feb, jan_mar, apr_jul = month(2026, 1), month(2026, 2), month(2026, 1, 2), month(2026, 1, 3), \
        month(2026, 4, 7)
    # months next to each other and their union; the census spring term against January-March (a slice from
    # 1 April to Easter Sunday), and summer against April-July (the same slice from the other side)
    triples = [(jan, jan_feb, feb), (feb, jan_feb, jan)]
    pairs = [(jan_mar, spring), (summer, apr_jul)]
    pinned = []
    for small, big, part in triples:
        (ts, ds), (tb, db), (tp, _) = report(small), report(big), report(part)
        ps, pb, pp = (read_report(t).scalars for t in (ts, tb, tp))
        for key in ADDITIVE:
            if _difference_pins(ps[key], pb[key], ADDITIVE_EXACT[key](ds), ADDITIVE_EXACT[key](db), pp[key]):
                pinned.append((small, big, key))
    for small, big in pairs:
        assert small.first == big.first or small.last == big.last
        (ts, ds), (tb, db) = report(small), report(big)
        ps, pb = read_report(ts).scalars, read_report(tb).scalars
        for key in ADDITIVE:
            if _difference_pins(ps[key], pb[key], ADDITIVE_EXACT[key](ds), ADDITIVE_EXACT[key](db)):
                pinned.append((small, big, key))
    assert pinned == []


# --------------------------------------------------------------------------- #
# The attacker is not toothless: it recovers what the old report printed
# --------------------------------------------------------------------------- #
def test_the_attacker_catches_a_share_of_exact_counts():
    """The outcomes row as printed before issue 10: 30 paired, fewer than 8 improved, 79% no reliable change
    (23 of 29 exactly), 0% deteriorated. The share is not the share of the printed figures: flagged."""
    from attacker import Printed

    old = Printed({"roll": "300"}, {}, {"SDQ": ("30", "fewer than 8", "23 (79%)", "0")}, [], {}, {}, {})
    assert share_problems(old) == ["outcome SDQ: 79% beside 23 of 30"]


def test_the_solver_recovers_a_cell_from_exact_totals():
    """Without rounding, one hidden cell beside a printed total is recovered: the solver says so."""
    s = System()
    parts = [s.var("a", sup.PRIMARY), s.var("b", "20", rounded=False)]
    s.add_sum(parts, s.var("total", "23", rounded=False))
    assert s.holds({"a": 3, "b": 20, "total": 23}) and not s.other_value_possible("a", 3)
    # with the report's rounding the same cell keeps several values
    r = System()
    r.add_sum([r.var("a", sup.PRIMARY), r.var("b", "20")], r.var("total", "25"))
    assert r.other_value_possible("a", 3)


def test_pending_referrals_are_a_suppressed_count(school):
    session, report = school
    text, data = report(terms.get_term("autumn", 2026))
    printed = read_report(text)
    assert data.referrals_pending > 0  # the demo keeps some waiting
    assert printed.scalars["pending"] == sup.suppress_count(data.referrals_pending)
    assert f"the longest had waited {sup.in_words(sup.suppress_count(data.longest_wait_days))} days" in text
