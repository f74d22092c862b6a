"""Dashboard figures against a hand-computed school: the 52/24/23 split, attendance, tiers, lists."""
from __future__ import annotations

import datetime as dt

import pytest

from recordsb_helpers import TODAY, full_record, open_vault
from schoolmh.errors import ValidationError
from schoolmh.services import activities, dashboard, liaison, plans, pupils, sessions, terms


@pytest.fixture(scope="module")
def school(tmp_path_factory):
    s = open_vault(tmp_path_factory.mktemp("vault"))
    yield s
    s.close()


def pupil(s, name):
    return pupils.create_pupil(s, legal_forename="Łukasz", legal_surname=name, year_group=10).uuid


def test_function_split_and_attendance_by_hand(school):
    s = school
    a, b, c, d = (pupil(s, n) for n in ("Adeyemi", "Brown", "Chen", "Dube"))
    plans.create_plan(s, a, "mhst", start_date=dt.date(2026, 9, 1), review_date=dt.date(2026, 11, 1))
    plans.create_plan(s, b, "targeted", start_date=dt.date(2026, 9, 1))
    plans.create_plan(s, d, "specialist", start_date=dt.date(2026, 9, 1))
    rec = sessions.record_session
    # Function 1 (in the autumn 2026 term): A 3 x 60 attended (+1 DNA), B 4 x 50 (+1 cancelled by school),
    # C 2 x 70 (+1 cancelled by the family), D only a DNA.  Minutes: 180 + 200 + 140 = 520.
    for day in (7, 14, 21):
        rec(s, a, date=dt.date(2026, 9, day), duration_minutes=60)
    rec(s, a, date=dt.date(2026, 9, 28), duration_minutes=60, attendance="dna")
    for day in (8, 15, 22, 29):
        rec(s, b, date=dt.date(2026, 9, day), duration_minutes=50)
    rec(s, b, date=dt.date(2026, 10, 6), duration_minutes=50, attendance="cancelled_school")
    for day in (9, 16):
        rec(s, c, date=dt.date(2026, 10, day), duration_minutes=70)
    rec(s, c, date=dt.date(2026, 10, 23), duration_minutes=70, attendance="cancelled_family")
    rec(s, d, date=dt.date(2026, 10, 2), attendance="dna")
    rec(s, a, date=dt.date(2026, 7, 31), duration_minutes=30)  # summer term (census default): outside the range
    # Function 2: 3 sessions x 60 + an assembly's 60 minutes of staff time = 240.
    # Function 3: a 90-minute contact + liaison 60 + 30 + a 50-minute consultation = 230.
    for day in (1, 2, 3):
        rec(s, None, date=dt.date(2026, 10, day), duration_minutes=60, function=2, type="group", mode="group")
    rec(s, None, date=dt.date(2026, 11, 2), duration_minutes=90, function=3, type="consultation")
    liaison.create_meeting(s, date=dt.date(2026, 10, 1), duration_minutes=60)
    liaison.create_meeting(s, date=dt.date(2026, 11, 5), duration_minutes=30, actions=[("Book room", "Lead", None)])
    liaison.create_consultation(s, date=dt.date(2026, 11, 6), staff_advised="Tutor", topic="Advice", duration_minutes=50)
    activities.create_activity(s, title="Assembly", start_on=dt.date(2026, 10, 5), principles=["ethos", "voice"],
                               category="assembly", staff_minutes=60)

    f = dashboard.dashboard_figures(s)
    # this term by the DfE census default (no term dates set): autumn is 1 August - 31 December
    assert (f.period.first, f.period.last, f.label) == (dt.date(2026, 8, 1), dt.date(2026, 12, 31), "Autumn 2026")
    assert f.minutes_by_function == {1: 520, 2: 240, 3: 230}
    # 520/990 = 52.52% ; 240/990 = 24.24% ; 230/990 = 23.23%  (national 52/24/23)
    assert f.share_by_function == {1: 52.5, 2: 24.2, 3: 23.2}
    assert f.national_share == {1: 52, 2: 24, 3: 23}
    assert f.sessions_by_function == {1: 9, 2: 3, 3: 1}
    # attended 9 / (9 + DNA 2 + cancelled by family 1) = 75.0%; cancelled by school left out
    assert (f.attended, f.missed, f.cancelled_by_school, f.attendance_rate) == (9, 3, 1, 75.0)
    assert f.supported_by_tier == {"universal": 0, "targeted": 1, "mhst": 1, "specialist": 0, "none": 1}
    assert f.supported_total == 3
    assert [(p.pupil_uuid, p.days_overdue) for p in f.plans_due] == [(a, 22)]  # due 1 Nov, today 23 Nov
    assert f.open_action_count == 1 and [x.text for x in f.open_actions] == ["Book room"]
    assert f.activities_by_principle["ethos"] == 1 and f.activities_total == 1
    assert "leadership" in f.principles_without_activity


def test_lists_and_other_ranges(school):
    rec = full_record(school, "O'Connor", 77)
    f = dashboard.dashboard_figures(school, dt.date(2026, 10, 1), dt.date(2026, 10, 31))
    assert f.label == "01/10/2026 – 31/10/2026"
    assert rec.pupil in [g.pupil_uuid for g in f.gap]
    gap = next(g for g in f.gap if g.pupil_uuid == rec.pupil)
    assert gap.days_waiting == (TODAY - dt.date(2026, 9, 1)).days and gap.display_name == "Zoë O'Connor"
    assert f.referrals_pending == ()
    empty = dashboard.dashboard_figures(school, dt.date(2020, 1, 1), dt.date(2020, 3, 31))
    assert empty.share_by_function == {1: None, 2: None, 3: None} and empty.attendance_rate is None
    assert empty.supported_total == 0
    with pytest.raises(ValidationError):
        dashboard.dashboard_figures(school, dt.date(2026, 1, 1), None)


def test_function_shares_pure():
    assert dashboard.function_shares({1: 52, 2: 24, 3: 24}) == {1: 52.0, 2: 24.0, 3: 24.0}
    assert dashboard.function_shares({1: 1, 2: 0, 3: 2}) == {1: 33.3, 2: 0.0, 3: 66.7}


def test_activity_staff_time_is_function_2_time(school):
    """A school that records its whole-school work as activities is not shown at 0% for function 2."""
    period = terms.Period(dt.date(2030, 3, 1), dt.date(2030, 3, 31), "March 2030")
    assert dashboard.dashboard_figures(school, period).minutes_by_function == {1: 0, 2: 0, 3: 0}
    activities.create_activity(school, title="Staff training", start_on=dt.date(2030, 3, 4), principles=["staff_dev"],
                               category="staff_training")  # default staff time for training: 90 minutes
    activities.create_activity(school, title="Year 9 lesson", start_on=dt.date(2030, 3, 5), principles=["curriculum"],
                               category="lesson", staff_minutes=50)
    f = dashboard.dashboard_figures(school, period)
    assert f.minutes_by_function == {1: 0, 2: 140, 3: 0}
    assert f.share_by_function == {1: 0.0, 2: 100.0, 3: 0.0}
    assert "2: Whole-school activities' staff time" in dashboard.function_caption()
