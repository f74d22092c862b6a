"""The governors' report figures: exact figures, the printed (suppressed) view, the summary, anonymity."""
from __future__ import annotations

import dataclasses
import datetime as dt
import re

import pytest
from report_seed import PREV_END, PREV_START, TERM_END, TERM_START, School

from schoolmh.domain import suppression as sup
from schoolmh.errors import PermissionDenied, ValidationError
from schoolmh.services.report_data import (
    GovernorsReportData,
    ethnic_group,
    governors_report_data,
    period_label,
    previous_period,
)


@pytest.fixture(scope="module")
def school(tmp_path_factory):
    s = School(tmp_path_factory.mktemp("reportdata") / "vault")
    yield s
    s.close()


@pytest.fixture(scope="module")
def data(school) -> GovernorsReportData:
    return governors_report_data(school.session, TERM_START, TERM_END, as_of=TERM_END)


def test_support_figures(data):
    assert data.period_label == "Autumn 2025 term"
    assert data.school == "Oakfield Academy"
    assert data.pupils_supported == 12
    tiers = {r.code: r.count for r in data.supported_by_tier}
    assert tiers == {"universal": 0, "targeted": 9, "mhst": 3, "specialist": 0, "none": 0}
    assert (data.new_plans, data.closed_plans, data.open_plans_at_end) == (12, 2, 10)
    assert (data.sessions_delivered, data.sessions_dna, data.sessions_cancelled_family) == (24, 5, 0)
    assert data.sessions_planned == 29
    minutes = {f.function: f.minutes for f in data.function_time}
    # 24 attended x 45 min; one whole-school session; 3 liaison meetings x 60 + 2 consultations x 20
    assert minutes == {1: 1080, 2: 120, 3: 220}
    assert [f.national_share for f in data.function_time] == [52, 24, 23]


def test_outcomes_access_and_whole_school(data):
    sdq, rcads = data.outcomes
    assert (sdq.code, sdq.paired, sdq.improved, sdq.no_change, sdq.deteriorated) == ("SDQ", 12, 8, 2, 2)
    assert (rcads.code, rcads.paired, rcads.reportable) == ("RCADS25", 3, False)
    ref = data.referrals
    assert ref.destinations == ("mhst", "camhs", "early_help")
    cells = {dest: dict(zip(ref.decisions, row)) for dest, row in zip(ref.destinations, ref.cells)}
    assert cells["mhst"]["accepted"] == 8 and cells["mhst"]["not_accepted"] == 2
    assert cells["camhs"]["accepted"] == 3 and cells["camhs"]["not_accepted"] == 9
    assert cells["early_help"]["signposted"] == 9
    assert ref.total == 31
    # decided in the term: every autumn referral (7, 14, 21, 30 or 40 days)
    assert data.referrals_decided == 31 and data.median_wait_days == 14.0
    assert data.in_gap == 10
    assert {b.code: b.count for b in data.gap_bands} == {"under_4_weeks": 0, "4_to_12_weeks": 0, "over_12_weeks": 10}
    by_code = {p.code: p for p in data.principles}
    assert len(by_code) == 8
    assert by_code["curriculum"].activities == 2 and by_code["curriculum"].reach_pupils == 240
    assert by_code["curriculum"].rag == "red"  # worst of red and green
    assert by_code["voice"].rag == "none"
    assert data.principles_without_activity == ("ethos", "voice", "parents")
    assert (data.liaison_meetings, data.consultations, data.open_actions, data.staff_training) == (3, 2, 2, 1)


def test_reach_groups(data):
    groups = {g.code: (g.on_roll, g.supported) for g in data.groups}
    assert data.roll == 40
    assert groups["fsm"] == (15, 12)
    assert groups["eal"] == (5, 5)
    assert groups["send_e"] == (3, 3) and groups["send_k"] == (12, 9)
    assert groups["eth:White"] == (20, 12) and groups["eth:Asian"] == (10, 0) and groups["eth:"] == (4, 0)


def test_previous_term(data):
    prev = data.previous
    assert (prev.start, prev.end, prev.label) == (PREV_START, PREV_END, "Summer 2025 term")
    assert (prev.pupils_supported, prev.sessions_delivered, prev.sessions_planned) == (5, 5, 6)
    assert (prev.referrals_made, prev.in_gap) == (1, 1)


def test_printable_applies_every_rule(data):
    p = data.printable()
    assert p.pupils_supported == "10"  # 12 rounds to 10
    assert dict(p.tier_rows)["MHST"] == "fewer than 8"  # 3
    assert dict(p.tier_rows)["Targeted (in school)"] == sup.SECONDARY  # else 10 - 3 would give it away
    assert p.tier_total == "10"
    # referral table: exactly the suppression module's answer, with secondary suppression in it
    expected = sup.suppress_table([[8, 2, 0], [3, 9, 0], [0, 0, 9]])
    assert p.referral_header == ("Service", "Accepted", "Not accepted", "Signposted", "Total")
    assert [list(r[1:]) for r in p.referral_rows] == expected
    assert sum(row.count(sup.SECONDARY) for row in p.referral_rows) >= 2
    # percentages: only with a denominator of 10 or more, never of a hidden count
    assert p.attendance_rate == "83%"  # 24 of 29
    sdq = p.outcome_rows[0]
    assert sdq[1:] == ("10", "67%", "fewer than 8", "fewer than 8")
    assert p.outcome_rows[1][2:] == (None, None, None)  # RCADS: 3 paired, too few
    rows = {r[0]: r for r in p.group_rows}
    assert rows["English as an additional language"][2:] == (None, None, None)  # group of 5: not broken down
    assert rows["Free school meals"][1:] == ("15", "38%", "10", "100%")
    comparison = {r[0]: r for r in p.comparison_rows}
    assert comparison["Attendance rate"] == ("Attendance rate", "83%", sup.NOT_SHOWN)  # 5 of 6: denominator < 10
    assert comparison["Pupils supported directly"][1:] == ("10", "fewer than 8")


def test_summary_uses_only_printed_values(data):
    summary = data.summary
    assert 3 <= len(summary) <= 5
    assert summary == data.printable().summary
    text = " ".join(summary)
    assert "10 pupils received direct support in the Autumn 2025 term" in text
    assert "more than in the Summer 2025 term (fewer than 8)" in text
    assert "67% showed a reliable improvement" in text
    assert "Ethos and environment, Student voice and Parents and carers" in text
    assert "10 pupils were in the gap" in text
    # no count of 1-7 and no unrounded count anywhere in the sentences (days of waiting are not counts)
    for number in re.findall(r"(?<![\d.])\d+(?![\d%]| days)", text):
        n = int(number)
        assert n == 0 or n >= 8 and (n % 5 == 0 or n in (8, 2025, 52)), (number, text)


def test_anonymous_by_construction(school, data):
    """Every value in the figures is a number, date, code or fixed label: never a name or a UPN."""
    forbidden = {n.casefold() for n in school.seeded.names} | {u.casefold() for u in school.seeded.upns}
    leaves = []

    def walk(value):
        if dataclasses.is_dataclass(value):
            for f in dataclasses.fields(value):
                assert not re.search(r"name$|upn|dob|birth|note|text", f.name) or f.name in ("short_name", "instrument_name"), f.name
                walk(getattr(value, f.name))
        elif isinstance(value, (tuple, list)):
            for v in value:
                walk(v)
        else:
            leaves.append(value)

    walk(data)
    for v in leaves:
        assert v is None or isinstance(v, (int, float, str, dt.date)), type(v)
        if isinstance(v, str):
            for bad in forbidden:
                assert not re.search(rf"(?<!\w){re.escape(bad)}(?!\w)", v.casefold()), v


def test_empty_period_says_so(school):
    data = governors_report_data(school.session, dt.date(2024, 1, 1), dt.date(2024, 3, 31))
    assert not data.has_activity and data.pupils_supported == 0 and data.outcomes == ()
    p = data.printable()
    assert p.tier_rows is None and p.referral_rows is None and p.comparison_rows is None
    assert "nothing to report" in p.summary[0]
    assert all(share is None for _, share, _ in p.function_shares)


def test_periods_and_groups():
    assert period_label(dt.date(2026, 1, 1), dt.date(2026, 3, 31)) == "Spring 2026 term"
    assert period_label(dt.date(2026, 1, 5), dt.date(2026, 3, 27)) == "5 January 2026 to 27 March 2026"
    assert previous_period(dt.date(2026, 1, 1), dt.date(2026, 3, 31)) == (dt.date(2025, 9, 1), dt.date(2025, 12, 31))
    assert previous_period(dt.date(2026, 1, 11), dt.date(2026, 1, 20)) == (dt.date(2026, 1, 1), dt.date(2026, 1, 10))
    assert period_label(dt.date(2023, 9, 1), dt.date(2024, 8, 31)) == "Academic year 2023/24"
    assert previous_period(dt.date(2023, 9, 1), dt.date(2024, 8, 31)) == (dt.date(2022, 9, 1), dt.date(2023, 8, 31))
    assert [ethnic_group(c) for c in ("WBRI", "WROM", "AKPA", "MWBC", "CHNE", "OOTH", "REFU", "", "XXXX")] == [
        "White", "White", "Asian", "Mixed", "Chinese", "Other", "", "", ""]


def test_bad_dates_refused(school):
    with pytest.raises(ValidationError):
        governors_report_data(school.session, TERM_END, TERM_START)


def test_permissions(school):
    with school.as_role("pastoral") as s:
        with pytest.raises(PermissionDenied):
            governors_report_data(s, TERM_START, TERM_END)
    with school.as_role("mhst") as s:
        with pytest.raises(PermissionDenied):
            governors_report_data(s, TERM_START, TERM_END)
    with school.as_role("head") as s:
        assert governors_report_data(s, TERM_START, TERM_END).pupils_supported == 12


def test_same_definitions_as_the_dashboard(school, data):
    """The governors' report and the dashboard agree on supported pupils, tiers, time and attendance."""
    from schoolmh.services.dashboard import dashboard_figures

    dash = dashboard_figures(school.session, TERM_START, TERM_END)
    assert dash.supported_total == data.pupils_supported
    assert dash.supported_by_tier == {r.code: r.count for r in data.supported_by_tier}
    assert dash.minutes_by_function == {f.function: f.minutes for f in data.function_time}
    assert (dash.attended, dash.missed) == (data.sessions_delivered, data.sessions_dna + data.sessions_cancelled_family)
    assert dash.principles_without_activity == data.principles_without_activity
