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
    report_period,
)
from schoolmh.services.terms import Period

TERM = Period(TERM_START, TERM_END, "")


@pytest.fixture(scope="module")
def school(tmp_path_factory):
    s = School(tmp_path_factory.mktemp("reportdata") / "vault")
    yield s
    s.close()


@pytest.fixture(scope="module")
def data(school) -> GovernorsReportData:
    return governors_report_data(school.session, TERM, as_of=TERM_END)


def test_support_figures(data):
    assert data.period.label == "Autumn 2025 term"
    assert data.school == "Oakfield Academy"
    assert data.pupils_supported == 12
    tiers = {r.code: r.count for r in data.supported_by_tier}
    assert tiers == {"universal": 0, "targeted": 9, "mhst": 3, "specialist": 0, "none": 0}
    assert (data.new_plans, data.closed_plans, data.open_plans_at_end) == (12, 2, 10)
    assert (data.sessions_delivered, data.sessions_dna, data.sessions_cancelled_family) == (24, 5, 0)
    assert data.sessions_planned == 29
    minutes = {f.function: f.minutes for f in data.function_time}
    # 24 attended x 45 min; one 120-minute whole-school session + five activities at their category's default
    # staff time (policy 60, two lessons 60, staff training 90, screening 60); liaison meetings at their type's
    # default (case discussion 45, two planning 60) + 2 consultations x 20
    assert minutes == {1: 1080, 2: 120 + 330, 3: 165 + 40}
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
    assert (data.referrals_pending, data.longest_wait_days) == (0, None)
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
    assert (prev.period.first, prev.period.last, prev.period.label) == (PREV_START, PREV_END, "Summer 2025 term")
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
    # percentages: from the printed figures, both at least 10, never across a line with a hidden cell
    assert (p.sessions_delivered, p.sessions_planned, p.attendance_rate) == ("25", "30", "83%")  # 24 of 29 exactly
    sdq = p.outcome_rows[0]
    assert (sdq.paired, sdq.counts) == ("10", ("10", "fewer than 8", "fewer than 8"))  # 12 = 8 + 2 + 2
    assert sdq.shares == (None, None, None)  # the row has hidden cells: no share from it at all
    assert p.outcome_rows[1].counts is None  # RCADS: 3 paired, too few
    rows = {r.label: (r.label, r.on_roll, r.roll_share, r.supported, r.supported_share) for r in p.group_rows}
    assert {r.label for r in p.group_rows if r.too_small} == {
        "English as an additional language", "Looked-after children", "Young carers", "SEND: EHC plan (E)",
        "Ethnicity: Black", "Ethnicity: not obtained or refused"}
    assert rows["English as an additional language"][2:] == (None, None, None)  # group of 5: not broken down
    assert rows["Free school meals"][1:] == ("15", "38%", "10", "100%")  # 15 of 40; 10 of 10, as printed
    # the ethnic groups add up to the roll; two are hidden (6 and 4), so no share of roll for any of them,
    # and Black and not-obtained are too small to break down, so no share of those supported either
    assert rows["Ethnicity: White"][1:] == ("20", None, "10", None)
    assert rows["Ethnicity: Black"][1:] == ("fewer than 8", None, None, None)
    comparison = {r[0]: r for r in p.comparison_rows}
    assert comparison["Attendance rate"] == ("Attendance rate", "83%", sup.NOT_SHOWN)  # 5 of 6: too few
    assert comparison["Pupils supported directly"][1:] == ("10", "fewer than 8")


def test_percentages_are_the_printed_figures_own():
    """Every share printed anywhere equals the share of the printed counts beside it."""
    from schoolmh.services.report_data.values import GroupReach, InstrumentOutcome

    assert sup.share(sup.suppress_count(23), sup.suppress_count(37)) == "71%"  # 25 of 35 printed, not 62% exactly
    row = InstrumentOutcome("SDQ", "SDQ", 40, 23, 9, 8)
    line = sup.suppress_table([[23, 9, 8]], row_totals=True, col_totals=False)[0]
    assert line == ["25", "10", "10", "40"]
    from schoolmh.services.report_data.printable import _outcome_rows

    class D:
        outcomes = (row,)
    [printed] = _outcome_rows(D)  # type: ignore[arg-type]
    assert printed.shares == ("63%", "25%", "25%")  # 25/40, 10/40, 10/40: not 58% / 23% / 20% from 23/9/8
    assert printed.cell(0) == "25 (63%)"
    assert GroupReach  # imported for the reader: groups use the same rule (see test_printable_applies_every_rule)


def test_summary_uses_only_printed_values(data):
    summary = data.summary
    assert 3 <= len(summary) <= 5
    assert summary == data.printable().summary
    text = " ".join(summary)
    assert "About 10 pupils received direct support in the Autumn 2025 term" in text
    assert "more than in the Summer 2025 term (fewer than 8)" in text
    assert "about 10 showed a reliable improvement and fewer than 8 a reliable deterioration" in text
    assert "Ethos and environment, Student voice and Parents and carers" in text
    assert "about 10 pupils were in the gap" in text
    # never "fewer than 10" (or any "fewer than N" but 8) beside a rounded figure
    assert not re.search(r"fewer than (?!8\b)\d", text)
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
    data = governors_report_data(school.session, Period(dt.date(2024, 1, 1), dt.date(2024, 3, 31), ""))
    assert not data.has_activity and data.pupils_supported == 0 and data.outcomes == ()
    p = data.printable()
    assert p.tier_rows is None and p.referral_rows is None and p.comparison_rows is None
    assert "nothing to report" in p.summary[0]
    assert all(share is None for _, share, _ in p.function_shares)


def test_periods_are_whole_terms_or_whole_months(school):
    # census default: spring 2026 ends on Easter Sunday (5 April 2026), spring 2027 on 28 March 2027
    assert period_label(dt.date(2026, 1, 1), dt.date(2026, 4, 5)) == "Spring 2026 term"
    assert period_label(dt.date(2026, 1, 1), dt.date(2026, 3, 31)) == "January to March 2026"
    assert period_label(dt.date(2026, 3, 1), dt.date(2026, 3, 31)) == "March 2026"
    assert period_label(dt.date(2025, 12, 1), dt.date(2026, 1, 31)) == "December 2025 to January 2026"
    assert period_label(dt.date(2025, 8, 1), dt.date(2026, 7, 31)) == "School year 2025-26"
    assert period_label(dt.date(2025, 8, 1), dt.date(2026, 4, 5)) == "Autumn 2025 to Spring 2026 terms"
    spring = report_period(dt.date(2026, 1, 1), dt.date(2026, 4, 5))
    assert previous_period(spring) == Period(dt.date(2025, 8, 1), dt.date(2025, 12, 31), "Autumn 2025 term")
    year = report_period(dt.date(2025, 8, 1), dt.date(2026, 7, 31))
    assert (previous_period(year).first, previous_period(year).last) == (dt.date(2024, 8, 1), dt.date(2025, 7, 31))
    three = report_period(dt.date(2026, 1, 1), dt.date(2026, 3, 31))
    assert previous_period(three) == Period(dt.date(2025, 10, 1), dt.date(2025, 12, 31), "October to December 2025")
    # anything else is refused, saying why: two reports a day apart could be subtracted
    for first, last in ((dt.date(2026, 1, 5), dt.date(2026, 3, 27)), (dt.date(2026, 1, 1), dt.date(2026, 1, 30)),
                        (dt.date(2026, 1, 2), dt.date(2026, 1, 31)), (dt.date(2026, 1, 1), dt.date(2026, 4, 4))):
        with pytest.raises(ValidationError, match="whole terms or whole calendar months"):
            report_period(first, last)
        with pytest.raises(ValidationError, match="subtracted"):
            governors_report_data(school.session, Period(first, last, ""))
    assert [ethnic_group(c) for c in ("WBRI", "WROM", "AKPA", "MWBC", "CHNE", "OOTH", "REFU", "", "XXXX")] == [
        "White", "White", "Asian", "Mixed", "Chinese", "Other", "", "", ""]


def test_bad_dates_refused(school):
    with pytest.raises(ValidationError):
        governors_report_data(school.session, Period(TERM_END, TERM_START, ""))


def test_permissions(school):
    with school.as_role("pastoral") as s:
        with pytest.raises(PermissionDenied):
            governors_report_data(s, TERM)
    with school.as_role("mhst") as s:
        with pytest.raises(PermissionDenied):
            governors_report_data(s, TERM)
    with school.as_role("head") as s:
        assert governors_report_data(s, TERM).pupils_supported == 12


def test_same_definitions_as_the_dashboard(school, data):
    """The governors' report and the dashboard agree on supported pupils, tiers, time and attendance."""
    from schoolmh.services.dashboard import dashboard_figures

    dash = dashboard_figures(school.session, TERM)
    assert dash.supported_total == data.pupils_supported
    assert dash.supported_by_tier == {r.code: r.count for r in data.supported_by_tier}
    assert dash.minutes_by_function == {f.function: f.minutes for f in data.function_time}
    assert (dash.attended, dash.missed) == (data.sessions_delivered, data.sessions_dna + data.sessions_cancelled_family)
    assert dash.principles_without_activity == data.principles_without_activity


def test_a_large_group_is_never_called_under_10(school):
    """Summer 2025: 5 pupils supported, so nobody supported is broken down by group; White (20 on roll) and Asian
    (10) are still groups of 10 or more, and say so (the attacker test found them labelled "Under 10")."""
    p = governors_report_data(school.session, Period(PREV_START, PREV_END, "")).printable()
    rows = {r.label: r for r in p.group_rows}
    assert not rows["Ethnicity: White"].too_small and rows["Ethnicity: White"].supported is None
    assert not rows["Free school meals"].too_small and rows["Free school meals"].roll_share == "38%"
    assert rows["Ethnicity: Black"].too_small
