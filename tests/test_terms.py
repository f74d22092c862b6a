"""The school's own terms: the DfE census default (Easter from python-dateutil), term dates set in the settings
(service and CLI), and every "this term" using them (dashboard, governors' report, CLI --term/--year)."""
from __future__ import annotations

import datetime as dt

import pytest
from recordsb_helpers import TODAY, fix_today, open_vault
from support import LEAD_PASSWORD, STAFF_PASSWORD

from schoolmh.cli import main as cli_main
from schoolmh.db.models import AuditEntry
from schoolmh.errors import PermissionDenied, ValidationError
from schoolmh.services import access, dashboard, settings, terms
from schoolmh.services.report_data import previous_period, report_period

D = dt.date


@pytest.fixture(scope="module")
def vault(tmp_path_factory):
    folder = tmp_path_factory.mktemp("terms") / "vault"
    open_vault(folder, extra_staff=(("pat", "pastoral"),)).close()
    return folder


@pytest.fixture
def school(vault):
    """The lead signed in (today fixed at 23 November 2026)."""
    s = fix_today(access.sign_in(vault, "lead", LEAD_PASSWORD))
    yield s
    if s.is_open:
        s.close()


def test_census_default_with_easter_in_april(school):
    # Easter Sunday 2026 is 5 April: spring 2026 runs to it, summer starts on Easter Monday
    autumn, spring, summer = terms.school_terms(2025)
    assert (autumn.first, autumn.last) == (D(2025, 8, 1), D(2025, 12, 31))
    assert (spring.first, spring.last) == (D(2026, 1, 1), D(2026, 4, 5))
    assert (summer.first, summer.last) == (D(2026, 4, 6), D(2026, 7, 31))
    assert not autumn.from_settings and spring.label == "Spring 2026" and spring.academic_year == "2025-26"
    # an early-April session is in spring in 2026 (the old fixed 31 March boundary put it in summer)
    assert terms.current_term(D(2026, 4, 2)).name == "spring"


def test_census_default_with_easter_in_march(school):
    # Easter Sunday 2027 is 28 March: early-April sessions are in the summer term
    _, spring, summer = terms.school_terms(2026)
    assert spring.last == D(2027, 3, 28) and summer.first == D(2027, 3, 29)
    assert terms.current_term(D(2027, 4, 2)).label == "Summer 2027"
    assert terms.current_term(D(2027, 3, 28)).label == "Spring 2027"
    # 2024: Easter Sunday 31 March
    assert terms.term_dates("spring", 2024) == (D(2024, 1, 1), D(2024, 3, 31))


def test_every_day_is_in_exactly_one_default_term(school):
    day = D(2025, 8, 1)
    while day <= D(2027, 7, 31):
        t = terms.current_term(day)
        assert t.contains(day), day
        day += dt.timedelta(days=1)
    assert terms.previous(terms.get_term("autumn", 2026)).label == "Summer 2026"
    assert terms.previous_term("spring", 2027).label == "Autumn 2026"
    assert terms.school_year(2026) == terms.Period(D(2026, 8, 1), D(2027, 7, 31), "School year 2026-27")


def test_school_years_are_named_2026_27(school):
    assert terms.parse_school_year("2026-27") == 2026
    assert terms.parse_school_year("2026/27") == terms.parse_school_year("2026-2027") == 2026
    for bad in ("2026", "2026-28", "26-27", "next year"):
        with pytest.raises(ValidationError, match="2026-27"):
            terms.parse_school_year(bad)


def test_term_dates_from_the_settings(school):
    own = {"autumn": (D(2026, 9, 3), D(2026, 12, 18)), "spring": (D(2027, 1, 5), D(2027, 3, 26)),
           "summer": (D(2027, 4, 12), D(2027, 7, 21))}
    settings.set_term_dates(school, "2026-27", own)
    autumn, spring, summer = terms.school_terms(2026)
    assert [(t.first, t.last) for t in (autumn, spring, summer)] == list(own.values())
    assert all(t.from_settings for t in (autumn, spring, summer))
    assert terms.school_terms(2027)[0].from_settings is False  # other years keep the census default
    # a day in a holiday belongs to no term; "this term" is then the term that ended last
    assert terms.current_term(D(2026, 12, 23)).label == "Autumn 2026"
    assert terms.current_term(D(2026, 8, 20)).label == "Summer 2026"  # 2025-26: census default, to 31 July
    assert terms.current_term(D(2027, 4, 1)).label == "Spring 2027"
    # the dashboard's "this term" (today is 23 November 2026) uses them
    f = dashboard.dashboard_figures(school)
    assert (f.period.first, f.period.last, f.label) == (D(2026, 9, 3), D(2026, 12, 18), "Autumn 2026")
    # and the governors' report: the school's terms are whole terms; the census autumn is no longer one
    assert report_period(D(2026, 9, 3), D(2026, 12, 18)).label == "Autumn 2026 term"
    assert previous_period(report_period(D(2027, 1, 5), D(2027, 3, 26))).label == "Autumn 2026 term"
    assert report_period(D(2026, 9, 3), D(2027, 7, 21)).label == "School year 2026-27"
    with pytest.raises(ValidationError):
        report_period(D(2026, 8, 1), D(2026, 12, 18))
    entry = AuditEntry.select().where(AuditEntry.action == "settings.update").order_by(AuditEntry.seq.desc()).first()
    assert entry.detail == "term_dates=2026-27"
    assert settings.clear_term_dates(school, "2026-27") and not settings.clear_term_dates(school, "2026-27")
    assert terms.current_term(TODAY).first == D(2026, 8, 1)


@pytest.mark.parametrize("dates, message", [
    ({"autumn": (D(2026, 12, 18), D(2026, 9, 3))}, "autumn term of 2026-27 ends before it starts"),
    ({"spring": (D(2026, 12, 1), D(2027, 3, 26))}, "must not run over New Year"),
    ({"spring": (D(2026, 12, 10), D(2026, 12, 20))}, "spring term of 2026-27 must start after"),
    ({"summer": (D(2027, 4, 12), D(2027, 8, 20))}, "between 1 August 2026 and 31 July 2027"),
])
def test_bad_term_dates_are_refused_and_change_nothing(school, dates, message):
    good = {"autumn": (D(2026, 9, 3), D(2026, 12, 18)), "spring": (D(2027, 1, 5), D(2027, 3, 26)),
            "summer": (D(2027, 4, 12), D(2027, 7, 21))}
    with pytest.raises(ValidationError, match=message):
        settings.set_term_dates(school, "2026-27", {**good, **dates})
    assert "2026-27" not in settings.term_dates()


def test_only_leads_set_term_dates(vault):
    other = access.sign_in(vault, "pat", STAFF_PASSWORD)
    try:
        with pytest.raises(PermissionDenied):
            settings.set_term_dates(other, "2026-27", {})
        with pytest.raises(PermissionDenied):
            settings.clear_term_dates(other, "2026-27")
    finally:
        other.close()


def test_cli_terms_set_list_unset(vault, monkeypatch, capsys):
    monkeypatch.setenv("SCHOOLMH_PASSWORD", LEAD_PASSWORD)
    base = ["--data-dir", str(vault)]
    assert cli_main(["terms", "set", "2027-28", *base, "--autumn", "2027-09-02", "2027-12-17",
                     "--spring", "2028-01-04", "2028-03-24", "--summer", "2028-04-10", "2028-07-20"]) == 0
    assert "Autumn 2027: 02/09/2027 to 17/12/2027" in capsys.readouterr().out
    assert cli_main(["terms", "list", *base, "--year", "2027-28"]) == 0
    listed = capsys.readouterr().out
    assert "2027-28 (the school's dates)" in listed and "Summer 2028: 10/04/2028 to 20/07/2028" in listed
    assert cli_main(["terms", "list", *base, "--year", "2028-29"]) == 0
    assert "2028-29 (DfE census default)" in capsys.readouterr().out
    # refused with one line and nothing changed: a summer into August, and a calendar year
    assert cli_main(["terms", "set", "2027-28", *base, "--autumn", "2027-09-02", "2027-12-17",
                     "--spring", "2028-01-04", "2028-03-24", "--summer", "2028-04-10", "2028-08-20"]) == 2
    assert "31 July 2028" in capsys.readouterr().err
    assert cli_main(["terms", "set", "2027", *base, "--autumn", "2027-09-02", "2027-12-17",
                     "--spring", "2028-01-04", "2028-03-24", "--summer", "2028-04-10", "2028-07-20"]) == 2
    assert "write it as 2026-27" in capsys.readouterr().err
    # the dashboard command's --term/--year use them
    assert cli_main(["dashboard", *base, "--term", "spring", "--year", "2027-28"]) == 0
    assert capsys.readouterr().out.startswith("Spring 2028:")
    assert cli_main(["terms", "unset", "2027-28", *base]) == 0
    assert "census default" in capsys.readouterr().out
    assert cli_main(["terms", "list", *base, "--year", "2027-28"]) == 0
    assert "2027-28 (DfE census default)" in capsys.readouterr().out
