"""Retention: who is due for review, and erasure that leaves no row (and no plaintext) about the pupil."""
from __future__ import annotations

import datetime as dt

import pytest

from recordsb_helpers import full_record, open_vault
from schoolmh.db.models.core import AuditEntry
from schoolmh.errors import ValidationError
from schoolmh.services import liaison, pupils, retention, settings, vault_admin

SURNAME = "Qwertzuiopsky"  # planted: must not survive erasure anywhere


@pytest.fixture(scope="module")
def school(tmp_path_factory):
    folder = tmp_path_factory.mktemp("vault")
    s = open_vault(folder)
    yield s, folder
    s.close()


def test_due_dates():
    assert retention.due_date(dt.date(2001, 3, 4), dt.date(2019, 7, 20), 25) == (dt.date(2026, 3, 4), "birthday")
    assert retention.due_date(dt.date(2004, 2, 29), dt.date(2020, 7, 20), 25) == (dt.date(2029, 3, 1), "birthday")
    assert retention.due_date(None, dt.date(2019, 7, 20), 25) == (dt.date(2026, 7, 20), "left")


def test_due_for_erasure_lists_leavers_past_retention(school):
    s, _ = school
    old = pupils.create_pupil(s, legal_forename="Aisha", legal_surname="Khan", dob=dt.date(2001, 9, 1), year_group=11).uuid
    young = pupils.create_pupil(s, legal_forename="Mateusz", legal_surname="Nowak", dob=dt.date(2008, 9, 1), year_group=11).uuid
    no_dob = pupils.create_pupil(s, legal_forename="Priya", legal_surname="Shah", year_group=11).uuid
    on_roll = pupils.create_pupil(s, legal_forename="Dmitri", legal_surname="Ivanov", dob=dt.date(1990, 1, 1), year_group=11).uuid
    for uuid, left in ((old, dt.date(2018, 7, 20)), (young, dt.date(2025, 7, 20)), (no_dob, dt.date(2019, 7, 19))):
        pupils.archive_pupil(s, uuid, left)
    due = {d.pupil_uuid: d for d in retention.due_for_erasure(s)}
    assert set(due) == {old, no_dob} and on_roll not in due and young not in due
    assert due[old].due_on == dt.date(2026, 9, 1) and due[old].rule == "birthday"
    assert due[no_dob].due_on == dt.date(2026, 7, 19) and due[no_dob].rule == "left"
    settings.update(s, retention_until_age=30)
    assert set(d.pupil_uuid for d in retention.due_for_erasure(s)) == {no_dob}
    settings.update(s, retention_until_age=25)


def test_erase_removes_every_row_and_the_name_from_disk(school):
    s, folder = school
    other = full_record(s, "Keepme", 500)
    rec = full_record(s, SURNAME, 501)
    shared_meeting = liaison.create_meeting(s, date=dt.date(2026, 11, 3), pupil_uuids=[rec.pupil, other.pupil])
    with pytest.raises(ValidationError):
        retention.erase_pupil(s, rec.pupil)  # still on roll
    pupils.archive_pupil(s, rec.pupil, dt.date(2026, 11, 20))
    result = retention.erase_pupil(s, rec.pupil)
    assert result.counts["pupils"] == 1 and result.counts["sessions"] == 3 and result.counts["measures"] == 2
    assert result.counts["plans"] == 1 and result.counts["goals"] == 2 and result.counts["goal_ratings"] == 3
    assert result.counts["referrals"] == 2 and result.counts["consultations"] == 1 and result.counts["liaison_links"] == 2

    # SQL: nothing references the pupil (every table, every text column), other pupils untouched
    db = s.db
    for (table,) in db.execute_sql("SELECT name FROM sqlite_master WHERE type='table'").fetchall():
        columns = [row[1] for row in db.execute_sql(f'PRAGMA table_info("{table}")').fetchall()]
        for column in columns:
            hits = db.execute_sql(
                f'SELECT count(*) FROM "{table}" WHERE CAST("{column}" AS TEXT) LIKE ? OR CAST("{column}" AS TEXT) LIKE ?',
                (f"%{SURNAME}%", f"%{SURNAME.lower()}%"),
            ).fetchone()[0]
            assert hits == 0, (table, column)
    assert liaison.get_meeting(s, shared_meeting.uuid).pupil_uuids == (other.pupil,)
    assert len(liaison.get_meeting(s, other.meeting).pupil_uuids) == 1
    assert pupils.get_pupil(s, other.pupil).legal_surname == "Keepme"

    # the audit entry carries counts, not identifiers, and the chain still verifies
    entry = AuditEntry.select().where(AuditEntry.action == "pupil.erase").get()
    assert entry.object_uuid == "" and rec.pupil not in entry.detail and SURNAME not in entry.detail
    assert "sessions=3" in entry.detail
    assert vault_admin.verify_audit(s).ok

    # raw bytes: the planted surname is in no file of the vault folder (the DB is encrypted anyway)
    for path in folder.rglob("*"):
        if path.is_file():
            data = path.read_bytes()
            assert SURNAME.encode() not in data and SURNAME.lower().encode() not in data, path
