"""What leaves a laptop, and what an MHST practitioner's laptop may hold.

* Planted-name scan: everything in the team folder (bundles, the marker) and the enrolment
  file, read as bytes, holds no pupil's name, UPN or note text in UTF-8 or UTF-16.
* An MHST-scope laptop's vault, and every bundle it can decrypt, holds no pupil who is not
  shared with the MHST; it never holds the whole-school key. A pupil shared later arrives
  with their whole record; a pupil no longer shared is withdrawn.
* Accounts: a password changed on one laptop signs in on another; the MHST laptop gets
  only the accounts allowed there.
* The migration adds the team tables to a vault made before them.
"""
from __future__ import annotations

import datetime as dt
import json

import pytest

from schoolmh.db.connection import database_proxy as db
from schoolmh.domain.upn import make_upn
from schoolmh.errors import WrongPassword
from schoolmh.services import access, pupils, sessions, team, users
from schoolmh.services.team import bundle, records, state
from support import LEAD_PASSWORD, STAFF_PASSWORD
from team_support import add_and_join, start_team

SHARED_NAME, HIDDEN_NAME, NOTE = "Quennevillex", "Zarkowskiy", "Talked about exam pressure at Brookvale"


def _variants(text: str) -> list[bytes]:
    return [text.encode("utf-8"), text.encode("utf-16-le"), text.encode("utf-16-be"), text.lower().encode("utf-8")]


@pytest.fixture
def school(tmp_path):
    lead, folder = start_team(tmp_path)
    with lead as s:
        shared = pupils.create_pupil(s, legal_forename="Shared", legal_surname=SHARED_NAME, dob=dt.date(2011, 2, 3),
                                     year_group=8, upn=make_upn(501))
        hidden = pupils.create_pupil(s, legal_forename="Hidden", legal_surname=HIDDEN_NAME, dob=dt.date(2011, 4, 5),
                                     year_group=8, upn=make_upn(502))
        pupils.share_with_mhst(s, shared.uuid, True)
        sessions.record_session(s, shared.uuid, date=dt.date.today(), note=NOTE)
        sessions.record_session(s, hidden.uuid, date=dt.date.today(), note=NOTE + " (hidden)")
    lead.sync()
    yield lead, folder, shared.uuid, hidden.uuid
    lead.close()


def test_planted_names_are_nowhere_readable_in_the_team_folder(school, tmp_path):
    lead, folder, _, _ = school
    mhst = add_and_join(tmp_path, lead, "MHST laptop", "mhst", "mhst1", STAFF_PASSWORD)
    mhst.sync()
    lead.sync()
    files = [p for p in folder.rglob("*") if p.is_file()] + list(tmp_path.glob("*.smhjoin"))
    assert len(files) >= 5
    planted = [SHARED_NAME, HIDDEN_NAME, NOTE, make_upn(501), make_upn(502), "Shared", "Hidden"]
    for path in files:
        data = path.read_bytes()
        for text in planted:
            for form in _variants(text):
                assert form not in data, f"{text!r} readable in {path.name}"
    mhst.close()


def test_mhst_laptop_holds_only_shared_pupils(school, tmp_path):
    lead, folder, shared, hidden = school
    mhst = add_and_join(tmp_path, lead, "MHST laptop", "mhst", "mhst1", STAFF_PASSWORD)
    with mhst:
        assert {r[0] for r in db.execute_sql("SELECT uuid FROM pupil")} == {shared}
        notes = {r[0] for r in db.execute_sql("SELECT note FROM session")}
        assert notes == {NOTE}
        assert {r[0] for r in db.execute_sql("SELECT DISTINCT scope FROM team_key")} == {"mhst"}
        # Everything this laptop can decrypt in the folder: no pupil outside its scope.
        readable = 0
        for path in folder.glob("laptops/*/*.smhb"):
            parsed = bundle.parse(path.read_bytes())
            key_id = parsed.header.get("key_id")
            if parsed.stream == "control" or state.key(parsed.stream, key_id) is not None:
                text = json.dumps(bundle.open_body(parsed, state.key(parsed.stream, key_id)))
                readable += 1
                assert hidden not in text and HIDDEN_NAME not in text
        assert readable >= 2
    mhst.close()


def test_sharing_later_sends_the_whole_record_and_unsharing_withdraws_it(school, tmp_path):
    lead, folder, shared, hidden = school
    mhst = add_and_join(tmp_path, lead, "MHST laptop", "mhst", "mhst1", STAFF_PASSWORD)
    with lead as s:
        pupils.share_with_mhst(s, hidden, True)
    lead.sync()
    mhst.sync()
    with mhst:
        assert records.exists("pupil", hidden)
        assert db.execute_sql("SELECT count(*) FROM session").fetchone()[0] == 2
    with lead as s:
        pupils.share_with_mhst(s, hidden, False)
    lead.sync()
    mhst.sync()
    with mhst:
        assert not records.exists("pupil", hidden)
        assert db.execute_sql("SELECT count(*) FROM session").fetchone()[0] == 1
    mhst.close()


def test_password_change_reaches_other_laptops_and_accounts_follow_scope(school, tmp_path):
    lead, folder, _, _ = school
    office = add_and_join(tmp_path, lead, "Pastoral office")
    mhst = add_and_join(tmp_path, lead, "MHST laptop", "mhst", "mhst1", STAFF_PASSWORD)
    with lead as s:
        users.set_password(s, "pastoral1", "a brand new passphrase here")
    lead.sync()
    office.sync()
    mhst.sync()
    office.close()
    mhst.close()
    again = access.sign_in(office.data_dir, "pastoral1", "a brand new passphrase here")
    again.close()
    with pytest.raises(WrongPassword):
        access.sign_in(office.data_dir, "pastoral1", STAFF_PASSWORD)
    with pytest.raises(WrongPassword):  # a pastoral account is not allowed on the MHST laptop
        access.sign_in(mhst.data_dir, "pastoral1", "a brand new passphrase here")
    access.sign_in(mhst.data_dir, "mhst1", STAFF_PASSWORD).close()


def test_wrong_code_and_wrong_password_are_refused_before_anything_is_written(school, tmp_path):
    lead, folder, _, _ = school
    enrol = tmp_path / "new.smhjoin"
    with lead as s:
        code = team.add_laptop(s, "New laptop", "school", enrol)
    assert len(code.replace("-", "")) == 18
    with pytest.raises(team.TeamError, match="mistyped"):
        team.join(tmp_path / "new", enrol, code[:-1] + ("0" if code[-1] != "0" else "1"), "lead", LEAD_PASSWORD)
    with pytest.raises(WrongPassword):
        team.join(tmp_path / "new", enrol, code, "lead", "not the password at all")
    assert not (tmp_path / "new").exists()
    team.join(tmp_path / "new", enrol, code, "lead", LEAD_PASSWORD).close()


def test_migration_adds_team_tables_to_an_older_vault(tmp_path):
    from schoolmh.db import migrations

    setup = access.init_school(tmp_path / "v", "Old School", "lead", "Alex Lead", LEAD_PASSWORD)
    db_ = setup.session.vault.db
    for name in [r[0] for r in db_.execute_sql("SELECT name FROM sqlite_master WHERE type = 'trigger' AND name LIKE 'team_%'")]:
        db_.execute_sql(f"DROP TRIGGER {name}")
    for name in [r[0] for r in db_.execute_sql("SELECT name FROM sqlite_master WHERE type = 'table' AND name LIKE 'team_%'")]:
        db_.execute_sql(f"DROP TABLE {name}")
    db_.execute_sql("PRAGMA user_version = 1")
    setup.session.close()
    session = access.sign_in(tmp_path / "v", "lead", LEAD_PASSWORD)
    assert migrations.schema_version(session.db) == migrations.SCHEMA_VERSION
    assert session.db.execute_sql("SELECT count(*) FROM sqlite_master WHERE name = 'team_change'").fetchone()[0] == 1
    from schoolmh.db.team_schema import create_team_schema

    create_team_schema(session.db)  # idempotent: running it again changes nothing
    session.close()


def test_joined_laptops_audit_trail_verifies_with_signatures(school, tmp_path):
    from schoolmh.services import vault_admin

    lead, folder, _, _ = school
    office = add_and_join(tmp_path, lead, "Pastoral office")
    with lead as s:
        users.set_password(s, "pastoral1", "a brand new passphrase here")
    lead.sync()
    office.sync()
    with office as s:
        assert vault_admin.verify_audit(s).ok, vault_admin.verify_audit(s).problem
        result = vault_admin.verify_signatures(s)
        assert result.ok, result.problem
    office.close()


def test_same_user_name_added_on_two_laptops_becomes_one_account_that_signs_in_everywhere(school, tmp_path):
    lead, folder, _, _ = school
    office = add_and_join(tmp_path, lead, "Pastoral office")
    with lead as s:
        users.add_user(s, "jo", "Jo One", "pastoral", "first long passphrase here")
    with office as s:
        users.add_user(s, "jo", "Jo Two", "pastoral", "second long passphrase here")
    for _ in range(3):
        lead.sync()
        office.sync()
    accounts = []
    for laptop in (lead, office):
        with laptop:
            accounts.append(db.execute_sql("SELECT uuid, full_name FROM staff WHERE username = 'jo'").fetchall())
    assert accounts[0] == accounts[1] and len(accounts[0]) == 1
    with lead:  # the copy not kept is listed for the lead (its name differs)
        assert db.execute_sql("SELECT count(*) FROM team_conflict WHERE tbl = 'staff'").fetchone()[0] == 1
    lead.close()
    office.close()
    # One password (the surviving account's) opens both laptops; the other copy's stops working.
    works = [pw for pw in ("first long passphrase here", "second long passphrase here")
             if _signs_in(lead.data_dir, "jo", pw) and _signs_in(office.data_dir, "jo", pw)]
    assert len(works) == 1


def _signs_in(data_dir, username, password) -> bool:
    try:
        access.sign_in(data_dir, username, password).close()
        return True
    except WrongPassword:
        return False
