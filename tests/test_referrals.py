"""Referrals: decisions, waiting times, MHST sharing, and the gap rule as the lists show it."""
from __future__ import annotations

import datetime as dt

import pytest

from recordsb_helpers import TODAY, open_vault
from schoolmh.db.models.records import Pupil
from schoolmh.errors import NotFound, ValidationErrors
from schoolmh.services import pupils, referrals


@pytest.fixture(scope="module")
def lead(tmp_path_factory):
    session = open_vault(tmp_path_factory.mktemp("vault"))  # a fixed "today" so waiting days are exact
    yield session
    session.close()


def new_pupil(session, surname: str, **fields) -> str:
    return pupils.create_pupil(session, legal_forename="Zoë", legal_surname=surname, year_group=9, **fields).uuid


def test_waiting_days_sent_to_decision_or_today(lead):
    pupil = new_pupil(lead, "Okafor")
    r = referrals.create_referral(lead, pupil, "camhs", dt.date(2026, 10, 1), reason="low mood")
    assert r.pending and r.waiting_days == 53  # 1 Oct → 23 Nov 2026
    assert r.uuid in [x.uuid for x in referrals.pending_referrals(lead)]
    r = referrals.record_decision(lead, r.uuid, "accepted", dt.date(2026, 10, 15))
    assert r.waiting_days == 14 and r.decision == "accepted" and r.reason == "low mood"
    assert r.uuid not in [x.uuid for x in referrals.pending_referrals(lead)]
    assert referrals.waiting_days(dt.date(2026, 1, 1), None, dt.date(2026, 1, 1)) == 0


def test_decision_rules(lead):
    pupil = new_pupil(lead, "Nowak")
    r = referrals.create_referral(lead, pupil, "early_help", dt.date(2026, 9, 10))
    with pytest.raises(ValidationErrors) as err:
        referrals.record_decision(lead, r.uuid, "not_accepted", dt.date(2026, 9, 20))
    assert err.value.field == "reason"
    with pytest.raises(ValidationErrors) as err:
        referrals.record_decision(lead, r.uuid, "accepted", dt.date(2026, 9, 1))
    assert err.value.field == "decision_on"
    with pytest.raises(ValidationErrors):
        referrals.record_decision(lead, r.uuid, "maybe", dt.date(2026, 9, 20))
    with pytest.raises(ValidationErrors) as err:
        referrals.create_referral(lead, pupil, "hogwarts", dt.date(2026, 9, 10))
    assert err.value.field == "destination"
    with pytest.raises(ValidationErrors):
        referrals.create_referral(lead, pupil, "gp", TODAY + dt.timedelta(days=1))
    with pytest.raises(NotFound):
        referrals.create_referral(lead, "nope", "gp", TODAY)
    assert referrals.get_referral(lead, r.uuid).pending  # nothing changed


def test_mhst_referral_shares_the_pupil(lead):
    pupil = new_pupil(lead, "Murphy")
    assert not Pupil.get(Pupil.uuid == pupil).shared_with_mhst
    referrals.create_referral(lead, pupil, "mhst", dt.date(2026, 11, 1))
    assert Pupil.get(Pupil.uuid == pupil).shared_with_mhst


def gap_uuids(session):
    return {g.pupil_uuid: g for g in referrals.gap_pupils(session)}


def test_gap_rule_cases(lead):
    pupil = new_pupil(lead, "O'Connor", preferred_forename="Zo")
    mhst = referrals.create_referral(lead, pupil, "mhst", dt.date(2026, 9, 1))
    referrals.record_decision(lead, mhst.uuid, "not_accepted", dt.date(2026, 9, 8), reason="above remit")
    camhs = referrals.create_referral(lead, pupil, "camhs", dt.date(2026, 9, 10))
    # pending: someone may yet take the pupil on, so not in the gap
    assert pupil not in gap_uuids(lead)
    referrals.record_decision(lead, camhs.uuid, "not_accepted", dt.date(2026, 10, 1), reason="below threshold")
    g = gap_uuids(lead)[pupil]
    assert g.display_name == "Zo O'Connor"
    assert g.since == dt.date(2026, 9, 1) and g.days_waiting == 83  # 1 Sep → 23 Nov 2026
    assert g.not_accepted_by == ("mhst", "camhs")
    # later accepted → out of the gap
    vol = referrals.create_referral(lead, pupil, "voluntary", dt.date(2026, 10, 5))
    referrals.record_decision(lead, vol.uuid, "accepted", dt.date(2026, 10, 20))
    assert pupil not in gap_uuids(lead)


def test_lists_filter(lead):
    pupil = new_pupil(lead, "Chen")
    r = referrals.create_referral(lead, pupil, "school_nurse", dt.date(2026, 11, 2))
    assert [x.uuid for x in referrals.list_referrals(lead, pupil_uuid=pupil)] == [r.uuid]
    assert all(x.decision == "accepted" for x in referrals.list_referrals(lead, decision="accepted"))
