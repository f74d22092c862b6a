"""Pupils: validation, archive, MHST sharing and scope, listing speed, search folding, and the gap rule.

All names are fictional. Tests run against a real encrypted vault in tmp_path.
"""
from __future__ import annotations

import datetime as dt

import pytest

from schoolmh.db.models import AuditEntry
from schoolmh.db.models.records import Pupil, Referral, ReferralDecision, SupportPlan
from schoolmh.domain.upn import make_upn
from schoolmh.errors import NotFound, ValidationError, ValidationErrors
from schoolmh.services import gap, pupils
from schoolmh.services.gap import ReferralFact, gap_since
from schoolmh.services.text import fold, search_key, search_words

TODAY = dt.date.today()


def days_ago(n: int) -> dt.date:
    return TODAY - dt.timedelta(days=n)


def make(session, forename="Ottilie", surname="Quillfeather", year=8, **extra):
    fields = {"legal_forename": forename, "legal_surname": surname, "year_group": year, **extra}
    return pupils.create_pupil(session, **fields)


def actions(*names: str) -> list[str]:
    return [a for (a,) in AuditEntry.select(AuditEntry.action).order_by(AuditEntry.seq).tuples() if a in names]


# --- text folding --------------------------------------------------------------------------------
@pytest.mark.parametrize("text, folded", [
    ("Zoë", "zoe"), ("O'Connor", "oconnor"), ("O’Connor", "oconnor"), ("Siobhán", "siobhan"),
    ("Łukasz", "lukasz"), ("Søren", "soren"), ("STRAßE", "strasse"), ("Nguyễn", "nguyen"),
    ("Ayşe Öztürk", "ayse ozturk"), ("", ""),
])
def test_fold(text, folded):
    assert fold(text) == folded


def test_search_words_split_at_punctuation_and_drop_wildcards():
    assert search_words("Smith-Jones  d'Souza") == ["smith", "jones", "dsouza"]
    assert search_words("a_b%c") == ["a", "b", "c"]  # no LIKE wildcards ever reach a query
    assert search_key("Zoë", "", "7B") == " zoe 7b "


# --- create / update validation ----------------------------------------------------------------------
def test_create_requires_only_a_name_and_year_group(lead_session):
    p = pupils.create_pupil(lead_session, preferred_forename="Kofi", legal_surname="Mensah", year_group=7)
    assert p.display_name == "Kofi Mensah" and p.upn == "" and p.sen_provision == "N"
    with pytest.raises(ValidationErrors) as info:
        pupils.create_pupil(lead_session, legal_forename="", legal_surname="")
    fields = {pr.field for pr in info.value.problems}
    assert fields == {"legal_forename", "legal_surname", "year_group"}
    assert Pupil.select().count() == 1


def test_display_name_prefers_preferred_names(lead_session):
    p = make(lead_session, "Oluwaseun", "Adeyemi", preferred_forename="Seun", preferred_surname="Ade")
    assert p.display_name == "Seun Ade"
    assert pupils.display_name("Ama", "Owusu") == "Ama Owusu"


@pytest.mark.parametrize("field, value, message", [
    ("upn", "A999000000001", "check letter"),
    ("upn", "C99900000000", "13 characters"),
    ("dob", TODAY + dt.timedelta(days=1), "future"),
    ("dob", "31/02/2012", "not a date"),
    ("year_group", 15, "not possible"),
    ("year_group", "Year Q", "not a year group"),
    ("sen_provision", "X", "E (EHC plan)"),
    ("ethnicity", "ZZZZ", "DfE ethnicity"),
    ("primary_need", "XYZ", "primary need"),
    ("legal_surname", "x" * 101, "too long"),
    ("eal", "yes", "yes or no"),
    ("nickname", "Bob", "not a pupil field"),
])
def test_bad_fields_are_named_and_nothing_is_written(lead_session, field, value, message):
    with pytest.raises(ValidationErrors) as info:
        make(lead_session, **{field: value})
    assert any(p.field == field and message in p.message for p in info.value.problems), info.value.problems
    assert Pupil.select().count() == 0


def test_codes_normalised(lead_session):
    p = make(lead_session, upn=" c999000000001 ", ethnicity="wbri", sen_provision="k", primary_need="semh",
             sex="female", year_group="Y9", dob="14/02/2012")
    assert (p.upn, p.ethnicity, p.sen_provision, p.primary_need, p.sex, p.year_group, p.dob) == (
        make_upn(1), "WBRI", "K", "SEMH", "F", 9, dt.date(2012, 2, 14))
    # an extended ethnicity code rolls up to its main code
    assert make(lead_session, "Dara", "Nowak", ethnicity="WEEU").ethnicity == "WOTH"


def test_upn_is_unique(lead_session):
    make(lead_session, upn=make_upn(5))
    with pytest.raises(ValidationError, match="already has the UPN"):
        make(lead_session, "Other", "Pupil", upn=make_upn(5))
    other = make(lead_session, "Other", "Pupil")
    with pytest.raises(ValidationError, match="already has the UPN"):
        pupils.update_pupil(lead_session, other.uuid, upn=make_upn(5))


def test_temporary_upn_accepted(lead_session):
    from schoolmh.domain.upn import upn_check_letter
    temp = upn_check_letter("99900000001A") + "99900000001A"
    assert make(lead_session, upn=temp).upn == temp


def test_update_changes_only_given_fields_and_audits_field_names(lead_session):
    p = make(lead_session, dob=dt.date(2012, 5, 1), tutor_group="8C")
    updated = pupils.update_pupil(lead_session, p.uuid, tutor_group="8D", fsm=True)
    assert (updated.tutor_group, updated.fsm, updated.dob) == ("8D", True, dt.date(2012, 5, 1))
    entry = AuditEntry.select().where(AuditEntry.action == "pupil.update").get()
    assert entry.object_uuid == p.uuid and entry.detail == "fields=fsm,tutor_group"
    # a no-op update writes nothing
    pupils.update_pupil(lead_session, p.uuid, tutor_group="8D")
    assert AuditEntry.select().where(AuditEntry.action == "pupil.update").count() == 1
    # removing the only surname is refused
    with pytest.raises(ValidationErrors):
        pupils.update_pupil(lead_session, p.uuid, legal_surname="")


def test_audit_detail_never_holds_names(lead_session):
    p = make(lead_session, "Zsófia", "Horváth")
    pupils.update_pupil(lead_session, p.uuid, preferred_forename="Zsofi")
    for (detail,) in AuditEntry.select(AuditEntry.detail).tuples():
        assert "Zs" not in detail and "Horv" not in detail


def test_get_pupil_is_audited_as_a_view(lead_session):
    p = make(lead_session)
    detail = pupils.get_pupil(lead_session, p.uuid)
    assert detail.legal_surname == "Quillfeather" and detail.created_by == lead_session.actor.uuid
    assert actions("pupil.view") == ["pupil.view"]
    with pytest.raises(NotFound):
        pupils.get_pupil(lead_session, "0" * 32)


def test_view_is_audited_once_per_signed_in_session(lead_session, vault_dir):
    from schoolmh.services import access
    from support import LEAD_PASSWORD
    p, other = make(lead_session), make(lead_session, "Other", "Pupil")
    pupils.get_pupil(lead_session, p.uuid)
    pupils.get_pupil(lead_session, p.uuid)  # e.g. the record page reloading after a change
    assert actions("pupil.view") == ["pupil.view"]
    pupils.get_pupil(lead_session, other.uuid)  # a different pupil is a new view
    assert AuditEntry.select().where(AuditEntry.action == "pupil.view").count() == 2
    lead_session.close()  # lock / sign out
    again = access.sign_in(vault_dir, "lead", LEAD_PASSWORD)
    try:
        pupils.get_pupil(again, p.uuid)
        pupils.get_pupil(again, p.uuid)
        views = list(AuditEntry.select().where(AuditEntry.action == "pupil.view").order_by(AuditEntry.seq))
        assert [v.object_uuid for v in views] == [p.uuid, other.uuid, p.uuid]
    finally:
        again.close()


def test_find_by_upn(lead_session):
    p = make(lead_session, upn=make_upn(77))
    assert pupils.find_by_upn(lead_session, make_upn(77).lower()).uuid == p.uuid
    assert pupils.find_by_upn(lead_session, make_upn(78)) is None


# --- archive and sharing ----------------------------------------------------------------------------------
def test_archive_and_unarchive(lead_session):
    p = make(lead_session)
    with pytest.raises(ValidationError, match="future"):
        pupils.archive_pupil(lead_session, p.uuid, TODAY + dt.timedelta(days=3))
    left = pupils.archive_pupil(lead_session, p.uuid, days_ago(2))
    assert left.left_on == days_ago(2)
    assert pupils.list_pupils(lead_session) == []
    assert [s.uuid for s in pupils.list_pupils(lead_session, include_left=True)] == [p.uuid]
    assert pupils.search_pupils(lead_session, "quill") == []
    assert len(pupils.search_pupils(lead_session, "quill", include_left=True)) == 1
    assert pupils.unarchive_pupil(lead_session, p.uuid).left_on is None
    assert actions("pupil.archive", "pupil.unarchive") == ["pupil.archive", "pupil.unarchive"]


def test_mhst_sees_only_shared_pupils(lead_session, sign_in_as):
    shared = make(lead_session, "Amara", "Okafor")
    hidden = make(lead_session, "Chidi", "Nwosu")
    pupils.share_with_mhst(lead_session, shared.uuid, True)
    assert AuditEntry.select().where(AuditEntry.action == "pupil.share_mhst").get().detail == "shared=1"
    mhst = sign_in_as("mhst")
    assert [s.uuid for s in pupils.list_pupils(mhst)] == [shared.uuid]
    assert pupils.search_pupils(mhst, "nwosu") == []
    with pytest.raises(NotFound) as info:
        pupils.get_pupil(mhst, hidden.uuid)
    assert "Chidi" not in info.value.message
    assert pupils.get_pupil(mhst, shared.uuid).display_name == "Amara Okafor"


# --- list speed -------------------------------------------------------------------------------------------
def test_list_2000_pupils_with_plans_and_gaps(lead_session):
    """2,000 pupils with plans and referrals list correctly (how fast: bench/bench_vault.py)."""
    rows = [dict(uuid=f"{n:032x}", legal_forename=f"Forename{n}", legal_surname=f"Surname{n}",
                 year_group=7 + n % 5, upn=make_upn(n), search_text=f" forename{n} surname{n} ")
            for n in range(2000)]
    with lead_session.db.atomic():
        for i in range(0, 2000, 200):
            Pupil.insert_many(rows[i:i + 200]).execute()
        ids = [pid for (pid,) in Pupil.select(Pupil.id).tuples()]
        SupportPlan.insert_many([dict(uuid=f"p{n:031x}", pupil=pid, tier="targeted", start_date=TODAY)
                                 for n, pid in enumerate(ids[:300])]).execute()
        for k, service in enumerate(gap.GAP_SERVICES):  # refused by both: in the gap
            Referral.insert_many([dict(uuid=f"r{k}{n:030x}", pupil=pid, destination=service, sent_on=days_ago(30),
                                       decision="not_accepted", decision_on=days_ago(10))
                                  for n, pid in enumerate(ids[:100])]).execute()
        ReferralDecision.insert_many([dict(uuid=f"d{n:031x}", referral=rid, decision="not_accepted",
                                           decided_on=days_ago(10), reason="below threshold")
                                      for n, (rid,) in enumerate(Referral.select(Referral.id).tuples())]).execute()
    listed = pupils.list_pupils(lead_session)
    assert len(listed) == 2000
    assert sum(s.has_open_plan for s in listed) == 300 and sum(s.in_gap for s in listed) == 100
    assert [p.legal_surname for p in pupils.search_pupils(lead_session, "surname1999")] == ["Surname1999"]


# --- search ---------------------------------------------------------------------------------------------
@pytest.fixture
def school(lead_session):
    made = {
        "zoe": make(lead_session, "Zoë", "O'Connor", 7, tutor_group="7B", upn=make_upn(101)),
        "seun": make(lead_session, "Oluwaseun", "Adeyemi", 9, preferred_forename="Seun", tutor_group="9A",
                     upn=make_upn(102)),
        "siobhan": make(lead_session, "Siobhán", "Ní Bhriain", 7, tutor_group="7C"),
        "joanna": make(lead_session, "Joanna", "Smith-Jones", 10, tutor_group="10A"),
        "anna": make(lead_session, "Anna", "Lévy", 11, tutor_group="11B"),
    }
    return lead_session, made


@pytest.mark.parametrize("query, expected", [
    ("zoe", ["zoe"]), ("ZOË", ["zoe"]), ("oconnor", ["zoe"]), ("o'connor", ["zoe"]), ("O’Connor", ["zoe"]),
    ("connor", ["zoe"]), ("seun", ["seun"]), ("oluwaseun", ["seun"]), ("siobhan ni", ["siobhan"]),
    ("smith jones", ["joanna"]), ("smith-jones", ["joanna"]), ("levy", ["anna"]),
    ("7", ["siobhan", "zoe"]), ("Y7", ["siobhan", "zoe"]), ("year 7", ["siobhan", "zoe"]),
    ("yr 9", ["seun"]), ("7b", ["zoe"]), ("year 10a", ["joanna"]), ("y7 zoe", ["zoe"]), ("10a", ["joanna"]),
    (make_upn(102), ["seun"]), (make_upn(102)[-6:], ["seun"]), ("nobody", []), ("", []),
])
def test_search(school, query, expected):
    session, made = school
    found = pupils.search_pupils(session, query)
    by_uuid = {p.uuid: k for k, p in made.items()}
    assert sorted(by_uuid[s.uuid] for s in found) == sorted(expected)


def test_search_ranks_word_starts_first_and_limits(school):
    session, made = school
    found = pupils.search_pupils(session, "ann")  # "Anna" (word start) before "Joanna" (inside)
    assert [s.uuid for s in found] == [made["anna"].uuid, made["joanna"].uuid]
    assert len(pupils.search_pupils(session, "a", limit=2)) == 2


def test_search_text_follows_edits(school):
    session, made = school
    pupils.update_pupil(session, made["anna"].uuid, preferred_forename="Annie")
    assert [s.uuid for s in pupils.search_pupils(session, "annie")] == [made["anna"].uuid]


# --- the gap rule (services/gap.py) -------------------------------------------------------------------------
def fact(dest, sent, decision, decided=None):
    return ReferralFact(dest, days_ago(sent), decision, days_ago(decided) if decided is not None else None)


@pytest.mark.parametrize("facts, since", [
    ([], None),
    ([fact("mhst", 60, "not_accepted", 50)], None),  # one refusal is not the gap
    ([fact("school_nurse", 60, "not_accepted", 50)], None),  # another service's refusal alone: not the gap
    ([fact("mhst", 60, "not_accepted", 50), fact("camhs", 40, "not_accepted", 20)], 60),  # above remit, below threshold
    ([fact("camhs", 60, "not_accepted", 50), fact("mhst", 40, "not_accepted", 20)], 60),  # either order
    ([fact("mhst", 60, "not_accepted", 50), fact("school_nurse", 40, "not_accepted", 20)], None),
    ([fact("mhst", 60, "not_accepted", 50), fact("camhs", 40, "pending")], None),  # waiting on CAMHS
    ([fact("mhst", 60, "not_accepted", 50), fact("camhs", 40, "not_accepted", 30),
      fact("gp", 20, "pending")], None),  # anything pending: waiting, not in the gap
    ([fact("mhst", 60, "not_accepted", 50), fact("camhs", 40, "not_accepted", 30),
      fact("voluntary", 25, "accepted", 20)], None),  # accepted since: supported
    ([fact("voluntary", 90, "accepted", 80), fact("mhst", 60, "not_accepted", 50),
      fact("camhs", 40, "not_accepted", 30)], 60),  # accepted long before: still in the gap
    ([fact("mhst", 60, "not_accepted", 50), fact("camhs", 40, "not_accepted", 30),
      fact("gp", 35, "accepted", 30)], None),  # accepted the same day: counts as later
    ([fact("mhst", 60, "not_accepted", 50), fact("camhs", 40, "signposted", 30)], None),  # signposted is not a refusal
    ([fact("mhst", 60, "not_accepted", 50), fact("camhs", 40, "not_accepted", 30),
      fact("early_help", 20, "signposted", 10)], 60),  # a later signpost does not take them out
    ([fact("mhst", 60, "not_accepted", 50), fact("camhs", 40, "withdrawn", 35)], None),  # withdrawn is ignored
    ([fact("mhst", 60, "not_accepted", 50), fact("camhs", 40, "not_accepted", 30),
      fact("camhs", 20, "withdrawn", 10)], 60),
    ([fact("mhst", 90, "not_accepted", 80), fact("mhst", 60, "accepted", 50),
      fact("camhs", 40, "not_accepted", 30)], None),  # the MHST's latest answer is accepted
    ([fact("mhst", 90, "not_accepted", 80), fact("camhs", 70, "not_accepted", 60),
      fact("camhs", 40, "accepted", 30), fact("camhs", 20, "not_accepted", 10)], 90),  # refused again after
    ([fact("mhst", 60, "not_accepted"), fact("camhs", 50, "not_accepted")], 60),  # no decision dates: sent dates
])
def test_gap_rule(facts, since):
    assert gap_since(facts) == (days_ago(since) if since is not None else None)


def test_gap_order_of_input_does_not_matter():
    facts = [fact("gp", 90, "accepted", 80), fact("camhs", 40, "not_accepted", 30), fact("mhst", 20, "not_accepted", 5)]
    assert gap_since(facts) == gap_since(list(reversed(facts))) == days_ago(40)


def test_gap_in_list_and_pupils_in_gap(lead_session, sign_in_as):
    waiting = make(lead_session, "Kwame", "Asante")
    fine = make(lead_session, "Ama", "Owusu")
    for p, decision in ((waiting, "not_accepted"), (fine, "accepted")):
        for service in gap.GAP_SERVICES:
            r = Referral.create(pupil=Pupil.get(Pupil.uuid == p.uuid), destination=service, sent_on=days_ago(45),
                                decision=decision, decision_on=days_ago(30))
            ReferralDecision.create(referral=r, decision=decision, decided_on=days_ago(30), reason="above remit")
    by_uuid = {s.uuid: s for s in pupils.list_pupils(lead_session)}
    assert by_uuid[waiting.uuid].in_gap and by_uuid[waiting.uuid].gap_days == 45
    assert not by_uuid[fine.uuid].in_gap and by_uuid[fine.uuid].gap_days is None
    assert pupils.get_pupil(lead_session, waiting.uuid).gap_days == 45
    found = gap.pupils_in_gap(lead_session)
    assert [(g.pupil_uuid, g.days_waiting, g.since) for g in found] == [(waiting.uuid, 45, days_ago(45))]
    pupils.archive_pupil(lead_session, waiting.uuid)
    assert gap.pupils_in_gap(lead_session) == []
    assert len(gap.pupils_in_gap(lead_session, include_left=True)) == 1
    pupils.unarchive_pupil(lead_session, waiting.uuid)
    mhst = sign_in_as("mhst")  # not shared with the MHST: not visible in their gap list
    assert gap.pupils_in_gap(mhst) == []
