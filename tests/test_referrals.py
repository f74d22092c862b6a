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


# --- decision history, withdrawing, deleting (issue 13.4) -----------------------------------------------
def test_a_decision_keeps_what_the_referral_was_sent_for(lead):
    pupil = new_pupil(lead, "Adeyemi")
    r = referrals.create_referral(lead, pupil, "mhst", dt.date(2026, 9, 1), reason="Panic attacks in class",
                                  next_step="Wait for the MHST triage call")
    referrals.record_decision(lead, r.uuid, "accepted", dt.date(2026, 9, 8), next_step="First session booked")
    later = referrals.record_decision(lead, r.uuid, "not_accepted", dt.date(2026, 11, 2),
                                      reason="Above remit: asking to step up", next_step="Refer to CAMHS")
    assert (later.reason, later.next_step) == ("Panic attacks in class", "Wait for the MHST triage call")
    assert later.decision == "not_accepted" and later.decision_on == dt.date(2026, 11, 2)
    assert [(d.decision, d.decided_on, d.reason, d.next_step) for d in later.decisions] == [
        ("accepted", dt.date(2026, 9, 8), "", "First session booked"),
        ("not_accepted", dt.date(2026, 11, 2), "Above remit: asking to step up", "Refer to CAMHS"),
    ]
    # an entry dated before the latest goes into its place in the history; the current outcome stays the latest
    back = referrals.record_decision(lead, r.uuid, "signposted", dt.date(2026, 9, 5), reason="Also: Kooth")
    assert [d.decided_on for d in back.decisions] == [dt.date(2026, 9, 5), dt.date(2026, 9, 8), dt.date(2026, 11, 2)]
    assert back.decision == "not_accepted"
    listed = next(x for x in referrals.list_referrals(lead, pupil_uuid=pupil) if x.uuid == r.uuid)
    assert listed.decisions == back.decisions and listed.reason == "Panic attacks in class"


def test_blank_destination_and_decision_are_refused_by_name(lead):
    pupil = new_pupil(lead, "Blank")
    with pytest.raises(ValidationErrors) as err:
        referrals.create_referral(lead, pupil, None, dt.date(2026, 9, 1))
    assert err.value.field == "destination" and "Choose" in err.value.message
    assert referrals.list_referrals(lead, pupil_uuid=pupil) == []
    r = referrals.create_referral(lead, pupil, "gp", dt.date(2026, 9, 1))
    with pytest.raises(ValidationErrors) as err:
        referrals.record_decision(lead, r.uuid, "", dt.date(2026, 9, 2))
    assert err.value.field == "decision"
    assert referrals.get_referral(lead, r.uuid).decisions == ()


def test_withdrawn_referral_stays_on_the_record(lead):
    pupil = new_pupil(lead, "Withdrawn")
    r = referrals.create_referral(lead, pupil, "camhs", dt.date(2026, 11, 1))
    w = referrals.withdraw_referral(lead, r.uuid, reason="Made by mistake")
    assert w.decision == "withdrawn" and w.decision_on == TODAY and w.latest.reason == "Made by mistake"
    assert r.uuid not in [x.uuid for x in referrals.pending_referrals(lead)]


def _actions(session, *names):
    from schoolmh.db.models import AuditEntry

    return [(a, d) for a, d in AuditEntry.select(AuditEntry.action, AuditEntry.detail).order_by(AuditEntry.seq).tuples()
            if a in names]


def test_lead_deletes_a_mistaken_mhst_referral_and_may_unshare(lead):
    from schoolmh.db.models.records import ReferralDecision

    pupil = new_pupil(lead, "Mistake")
    r = referrals.create_referral(lead, pupil, "mhst", dt.date(2026, 11, 1))
    referrals.record_decision(lead, r.uuid, "accepted", dt.date(2026, 11, 3))
    assert referrals.deletion_preview(lead, r.uuid).unshares_pupil
    referrals.delete_referral(lead, r.uuid, unshare_pupil=True)
    assert referrals.list_referrals(lead, pupil_uuid=pupil) == []
    assert ReferralDecision.select().where(ReferralDecision.referral_id.not_in(
        [x for (x,) in referrals.Referral.select(referrals.Referral.id).tuples()])).count() == 0
    assert not Pupil.get(Pupil.uuid == pupil).shared_with_mhst
    assert _actions(lead, "referral.delete")[-1][1] == f"referral={r.uuid},destination=mhst"
    assert _actions(lead, "pupil.share_mhst")[-1][1] == "shared=0,referral deleted"
    with pytest.raises(NotFound):
        referrals.get_referral(lead, r.uuid)


def test_deleting_keeps_a_share_the_referral_did_not_make_alone(lead):
    pupil = new_pupil(lead, "Shared")
    pupils.share_with_mhst(lead, pupil, True)  # shared by hand first
    r = referrals.create_referral(lead, pupil, "mhst", dt.date(2026, 11, 1))
    assert not referrals.deletion_preview(lead, r.uuid).unshares_pupil
    referrals.delete_referral(lead, r.uuid, unshare_pupil=True)  # asked for, but not this referral's share
    assert Pupil.get(Pupil.uuid == pupil).shared_with_mhst
    other = new_pupil(lead, "TwoMhst")
    first = referrals.create_referral(lead, other, "mhst", dt.date(2026, 10, 1))
    referrals.create_referral(lead, other, "mhst", dt.date(2026, 11, 1))
    assert not referrals.deletion_preview(lead, first.uuid).unshares_pupil  # another MHST referral remains
    referrals.delete_referral(lead, first.uuid)  # not asked: the share stays
    assert Pupil.get(Pupil.uuid == other).shared_with_mhst


def test_only_a_lead_deletes_referrals(lead, tmp_path):
    from recordsb_helpers import point_models_at
    from schoolmh.errors import PermissionDenied
    from schoolmh.services import access
    from support import STAFF_PASSWORD

    other = open_vault(tmp_path / "v", extra_staff=(("pat", "pastoral"),))
    pupil = new_pupil(other, "Kept")
    r = referrals.create_referral(other, pupil, "gp", dt.date(2026, 11, 1))
    other.close()
    pat = access.sign_in(tmp_path / "v", "pat", STAFF_PASSWORD)
    try:
        with pytest.raises(PermissionDenied):
            referrals.delete_referral(pat, r.uuid)
        with pytest.raises(PermissionDenied):
            referrals.deletion_preview(pat, r.uuid)
        assert referrals.withdraw_referral(pat, r.uuid).decision == "withdrawn"  # pastoral may withdraw
    finally:
        pat.close()
        point_models_at(lead)


# --- the gap with the decision history (issue 10.4) -------------------------------------------------------
def test_gap_cases_from_the_issue(lead):
    def refer(pupil, dest, sent, decision=None, on=None, reason="below threshold"):
        r = referrals.create_referral(lead, pupil, dest, sent)
        if decision:
            referrals.record_decision(lead, r.uuid, decision, on, reason=reason)
        return r

    both = new_pupil(lead, "BothRefused")
    refer(both, "mhst", dt.date(2026, 9, 1), "not_accepted", dt.date(2026, 9, 8), "above remit")
    refer(both, "camhs", dt.date(2026, 9, 10), "not_accepted", dt.date(2026, 10, 1))
    nurse = new_pupil(lead, "NurseOnly")
    refer(nurse, "school_nurse", dt.date(2026, 9, 1), "not_accepted", dt.date(2026, 9, 8))
    signposted = new_pupil(lead, "Signposted")
    refer(signposted, "mhst", dt.date(2026, 9, 1), "not_accepted", dt.date(2026, 9, 8), "above remit")
    refer(signposted, "camhs", dt.date(2026, 9, 10), "signposted", dt.date(2026, 10, 1), "Kooth")
    accepted = new_pupil(lead, "AcceptedSince")
    refer(accepted, "camhs", dt.date(2026, 9, 1), "not_accepted", dt.date(2026, 9, 8))
    refer(accepted, "mhst", dt.date(2026, 9, 10), "not_accepted", dt.date(2026, 10, 1), "above remit")
    refer(accepted, "voluntary", dt.date(2026, 10, 5), "accepted", dt.date(2026, 10, 20))
    stepped_up = new_pupil(lead, "SteppedUp")  # the MHST took them on, then asked to step up; CAMHS said no
    m = refer(stepped_up, "mhst", dt.date(2026, 9, 1), "accepted", dt.date(2026, 9, 8))
    referrals.record_decision(lead, m.uuid, "not_accepted", dt.date(2026, 10, 15), reason="above remit: step up")
    refer(stepped_up, "camhs", dt.date(2026, 10, 16), "not_accepted", dt.date(2026, 11, 1))
    gaps = gap_uuids(lead)
    assert both in gaps and gaps[both].since == dt.date(2026, 9, 1)
    assert stepped_up in gaps and gaps[stepped_up].since == dt.date(2026, 9, 1)
    assert nurse not in gaps and signposted not in gaps and accepted not in gaps
    # the nurse's refusal is shown on the record as "not accepted"
    assert [r.decision for r in referrals.list_referrals(lead, pupil_uuid=nurse)] == ["not_accepted"]
    assert not pupils.get_pupil(lead, nurse).in_gap and pupils.get_pupil(lead, both).in_gap


def test_migration_makes_history_from_a_vault_without_it(lead, tmp_path):
    """A vault made before decision history (no referral_decision table, schema v1) opens with one
    history entry per decided referral, the refusal's reason carried over; opening again adds nothing."""
    from recordsb_helpers import point_models_at
    from schoolmh.db import migrations
    from schoolmh.db.models.records import ReferralDecision
    from schoolmh.services import access
    from support import LEAD_PASSWORD

    old = open_vault(tmp_path / "old")
    pupil = new_pupil(old, "Legacy")
    refused = referrals.create_referral(old, pupil, "camhs", dt.date(2026, 9, 1))
    pending = referrals.create_referral(old, pupil, "gp", dt.date(2026, 9, 2))
    db = old.db
    db.execute_sql("DROP TABLE referral_decision")  # as the old version wrote it: the decision on the row
    db.execute_sql("UPDATE referral SET decision='not_accepted', decision_on='2026-09-20', reason='below threshold'"
                   " WHERE uuid=?", (refused.uuid,))
    db.execute_sql("PRAGMA user_version = 1")
    old.close()
    for _ in range(2):
        s = access.sign_in(tmp_path / "old", "lead", LEAD_PASSWORD)
        try:
            assert migrations.schema_version(s.db) == migrations.SCHEMA_VERSION
            assert ReferralDecision.select().count() == 1
            r = referrals.get_referral(s, refused.uuid)
            assert [(d.decision, d.decided_on, d.reason) for d in r.decisions] == [
                ("not_accepted", dt.date(2026, 9, 20), "below threshold")]
            assert referrals.get_referral(s, pending.uuid).decisions == ()
        finally:
            s.close()
    point_models_at(lead)
