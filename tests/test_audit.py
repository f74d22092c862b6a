"""The hash-chained audit trail: verify names the row that was edited, inserted or deleted.

Tampering is done the way someone holding the data key would: open the database,
drop the append-only triggers and change rows with raw SQL, even recomputing
hashes where that helps the attacker.
"""
from __future__ import annotations

import datetime as dt
import json

import pytest

from support import LEAD_PASSWORD, vault_copy
from schoolmh.db.backup import AUDIT_HEAD
from schoolmh.db.models import AuditEntry
from schoolmh.services import access, audit, settings, users, vault_admin

ROWS = 8  # audit rows in the template (set-up, accounts, settings, sign-ins)


@pytest.fixture(scope="module")
def template(tmp_path_factory):
    folder = tmp_path_factory.mktemp("audit") / "vault"
    setup = access.init_school(folder, "Oakfield Academy", "lead", "Alex Lead", LEAD_PASSWORD)
    s = setup.session
    users.add_user(s, "pat", "Pat Pastoral", "pastoral", "pastoral password 1")
    users.add_user(s, "hana", "Hana Head", "head", "head teacher password")
    settings.update(s, autolock_minutes=20)
    users.set_role(s, "hana", "pastoral")
    s.close()
    s = access.sign_in(folder, "lead", LEAD_PASSWORD)
    settings.update(s, school_urn="100001")
    s.close()
    s = access.sign_in(folder, "lead", LEAD_PASSWORD)
    n = AuditEntry.select().count()
    s.close()
    return folder, n


@pytest.fixture
def session(template, tmp_path):
    folder, _ = template
    s = access.sign_in(vault_copy(folder, tmp_path), "lead", LEAD_PASSWORD)
    yield s
    if s.is_open:
        s.close()


def raw(session, sql: str, *params) -> None:
    """The attacker's tools: triggers off, then any SQL."""
    session.db.execute_sql("DROP TRIGGER IF EXISTS audit_entry_no_update")
    session.db.execute_sql("DROP TRIGGER IF EXISTS audit_entry_no_delete")
    session.db.execute_sql(sql, params)


def rows(session) -> list[tuple]:
    return list(AuditEntry.select().order_by(AuditEntry.seq).tuples())


def last_seq(session) -> int:
    return audit.head()[0]


def forge(seq: int, prev_hash: str, action: str = "pupil.view", actor: str = "") -> tuple:
    at = dt.datetime(2025, 1, 6, 9, 0, 0)
    digest = audit.chain_hash(prev_hash, audit._canonical(seq, at, actor, action, "pupil", "f" * 32, ""))
    return (seq, at, actor, action, "pupil", "f" * 32, "", prev_hash, digest)


def insert_row(session, row: tuple) -> None:
    raw(
        session,
        "INSERT INTO audit_entry (seq, at, actor, action, object_type, object_uuid, detail, prev_hash, hash) "
        "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
        row[0], row[1].isoformat(sep=" "), *row[2:],
    )


def renumber(session, from_seq: int, delta: int) -> None:
    """Shift seq of rows >= from_seq by delta, highest first (or lowest first) so keys never collide."""
    order = "DESC" if delta > 0 else "ASC"
    for (seq,) in session.db.execute_sql(f"SELECT seq FROM audit_entry WHERE seq >= ? ORDER BY seq {order}", (from_seq,)).fetchall():
        raw(session, "UPDATE audit_entry SET seq = ? WHERE seq = ?", seq + delta, seq)


def check(session):
    return vault_admin.verify_audit(session)


# --- untouched -----------------------------------------------------------------------------------
def test_intact_chain_verifies(session, template):
    result = check(session)
    assert result.ok and result.rows == template[1] + 1  # + this sign-in
    assert check(session).ok  # verifying appends its own row and still verifies


def test_triggers_refuse_update_and_delete(session):
    import peewee

    with pytest.raises(peewee.DatabaseError):
        AuditEntry.update(detail="x").where(AuditEntry.seq == 1).execute()
    with pytest.raises(peewee.DatabaseError):
        AuditEntry.delete().where(AuditEntry.seq == 1).execute()
    assert check(session).ok


def test_audit_rows_hold_no_names(session):
    # A key registration's detail is a random public key in base64, which now and then spells "Pat" or "lead"
    # by chance: it is checked to be exactly a signing key, then left out of the search for words.
    from schoolmh.db.models import Staff

    keys = {s.sign_key for s in Staff.select()} | {session.vault.keyfile.recovery_public_key()}
    registered = [r for r in rows(session) if r[3] == audit.KEY_REGISTER]
    assert registered and all(r[6] in keys for r in registered)
    text = json.dumps([list(map(str, r)) for r in rows(session) if r[3] != audit.KEY_REGISTER])
    for word in ("Alex", "Pat", "Hana", "Oakfield", "lead", "pat", "hana"):
        assert word not in text.replace("role=lead", "").replace("->pastoral", "").replace("pastoral->", "").replace(
            "role=pastoral", ""
        ).replace("signin", "")


# --- edited --------------------------------------------------------------------------------------
@pytest.mark.parametrize("column,value", [("detail", "role=lead"), ("action", "staff.delete"), ("actor", "e" * 32), ("at", "2020-01-01 00:00:00")])
def test_edited_row_is_named(session, column, value):
    raw(session, f"UPDATE audit_entry SET {column} = ? WHERE seq = 3", value)
    result = check(session)
    assert not result.ok and result.first_bad_seq == 3
    assert "row 3" in result.problem and "edited" in result.problem


def test_edited_row_with_rehashed_chain_is_caught_by_the_recorded_end(session):
    """An attacker who recomputes every later hash still cannot match the MAC'd head beside the vault."""
    raw(session, "UPDATE audit_entry SET detail = 'role=head' WHERE seq = 2")
    prev = None
    for r in rows(session):
        seq, at, actor, action, otype, ouuid, detail, prev_hash, digest = r
        at = dt.datetime.fromisoformat(at) if isinstance(at, str) else at
        if prev is not None:
            prev_hash = prev
        new = audit.chain_hash(prev_hash, audit._canonical(seq, at, actor, action, otype, ouuid, detail))
        raw(session, "UPDATE audit_entry SET prev_hash = ?, hash = ? WHERE seq = ?", prev_hash, new, seq)
        prev = new
    result = check(session)
    assert not result.ok
    assert f"row {last_seq(session) - 1}" in result.problem or "recorded end" in result.problem


# --- deleted -------------------------------------------------------------------------------------
def test_deleted_row_is_named(session):
    raw(session, "DELETE FROM audit_entry WHERE seq = 4")
    result = check(session)
    assert not result.ok and result.first_bad_seq == 4
    assert "row 4 deleted" in result.problem


def test_deleted_rows_are_named(session):
    raw(session, "DELETE FROM audit_entry WHERE seq IN (3, 4, 5)")
    result = check(session)
    assert not result.ok and result.first_bad_seq == 3 and "rows 3–5 deleted" in result.problem


def test_deleted_and_renumbered_row_is_named(session):
    raw(session, "DELETE FROM audit_entry WHERE seq = 4")
    renumber(session, 5, -1)
    result = check(session)
    assert not result.ok and result.first_bad_seq == 4
    assert "row 4" in result.problem and "deleted" in result.problem


def test_deleted_first_row_is_named(session):
    raw(session, "DELETE FROM audit_entry WHERE seq = 1")
    result = check(session)
    assert not result.ok and result.first_bad_seq == 1 and "row 1 deleted" in result.problem


# --- inserted ------------------------------------------------------------------------------------
def test_inserted_row_in_the_middle_is_named(session):
    """Renumber rows 4.. up by one and slip a well-formed, correctly chained row in at 4."""
    before = {r[0]: r for r in rows(session)}
    renumber(session, 4, +1)
    insert_row(session, forge(4, before[3][8]))
    result = check(session)
    assert not result.ok and result.first_bad_seq == 4
    assert "row 4" in result.problem and "inserted" in result.problem


def test_inserted_duplicate_seq_below_the_chain_is_named(session):
    insert_row(session, forge(0, audit.GENESIS))
    result = check(session)
    assert not result.ok and result.first_bad_seq == 0 and "inserted" in result.problem


def test_appended_row_is_named(session):
    """A correctly chained row added at the end: only the recorded end of the chain can tell."""
    seq, digest = audit.head()
    insert_row(session, forge(seq + 1, digest))
    result = check(session)
    assert not result.ok and result.first_bad_seq == seq + 1
    assert f"after {seq}" in result.problem and "outside SchoolMH" in result.problem


def test_appended_garbage_row_is_named(session):
    seq, _ = audit.head()
    row = forge(seq + 1, "1" * 64)
    insert_row(session, row)
    result = check(session)
    assert not result.ok and result.first_bad_seq == seq + 1


# --- truncated -----------------------------------------------------------------------------------
def test_truncated_chain_is_caught(session):
    seq, _ = audit.head()
    raw(session, "DELETE FROM audit_entry WHERE seq > ?", seq - 2)
    result = check(session)
    assert not result.ok and result.first_bad_seq == seq - 1
    assert "cut short" in result.problem and f"after {seq - 2}" in result.problem


def test_truncated_chain_with_head_file_removed_is_caught(session):
    seq, _ = audit.head()
    raw(session, "DELETE FROM audit_entry WHERE seq > ?", seq - 2)
    (session.vault.data_dir / AUDIT_HEAD).unlink()
    result = check(session)
    assert not result.ok and "audit.head" in result.problem


def test_edited_head_file_is_caught(session):
    path = session.vault.data_dir / AUDIT_HEAD
    data = json.loads(path.read_text())
    seq, digest = data["head"].split(":")
    data["head"] = f"{int(seq) - 2}:{digest}"
    path.write_text(json.dumps(data))
    result = check(session)
    assert not result.ok and "tampered" in result.problem


def test_garbage_head_file_is_caught_not_crashed(session):
    (session.vault.data_dir / AUDIT_HEAD).write_bytes(b"\x00\xffnot json")
    result = check(session)
    assert not result.ok and "tampered" in result.problem


# --- rows_for (the history panel) ----------------------------------------------------------------
def test_rows_for_lists_newest_first(session):
    staff_uuid = session.actor.uuid
    found = audit.rows_for([staff_uuid])
    assert found and all(r.object_uuid == staff_uuid for r in found)
    assert [r.seq for r in found] == sorted((r.seq for r in found), reverse=True)


# --- evidence persists: later work never overwrites a broken trail's recorded end ------------------
@pytest.mark.parametrize("attack", ["truncate", "truncate and remove head", "append forged"])
def test_tampering_stays_detected_after_more_work(session, attack):
    folder = session.vault.data_dir
    seq, digest = audit.head()
    if attack == "append forged":
        insert_row(session, forge(seq + 1, digest))
    else:
        raw(session, "DELETE FROM audit_entry WHERE seq > ?", seq - 3)
    if attack == "truncate and remove head":
        (folder / AUDIT_HEAD).unlink()
    session.close()
    for _ in range(6):  # sign-ins and changes carry the chain past the recorded end
        s = access.sign_in(folder, "lead", LEAD_PASSWORD)
        settings.update(s, autolock_minutes=11)
        s.close()
    s = access.sign_in(folder, "lead", LEAD_PASSWORD)
    try:
        assert not check(s).ok
        assert not check(s).ok
    finally:
        s.close()


@pytest.mark.parametrize("commits", [False, True], ids=["crash before commit", "crash after commit"])
def test_crash_around_the_commit_is_not_tampering(session, commits):
    """Just before a commit the head file names both ends of the chain; a crash leaves either one."""

    class Crash(Exception):
        pass

    before = audit.head()
    try:
        with session.db.atomic("IMMEDIATE"):
            after = audit.append(session.actor.uuid, "settings.update", "settings", "", "autolock_minutes")
            audit.sign_head(session.vault.keyfile.vault_id, session.signer)  # as Session.transaction does
            assert session.vault.advance_audit_head(before, after)
            if not commits:
                raise Crash()  # the process dies: the transaction never commits
    except Crash:
        pass
    # (and when it did commit, the process died before settle_audit_head)
    assert session.vault.read_audit_heads() == [after, before]
    assert audit.head() == (after if commits else before)
    assert check(session).ok
    assert session.vault.read_audit_heads() == [audit.head()]  # the next change settles it


def test_rows_appended_directly_inside_a_transaction_keep_the_head(session):
    """A service may append audit rows itself (a bulk import): the recorded end still follows."""
    with session.transaction():
        for i in range(3):
            audit.append(session.actor.uuid, "pupil.create", "pupil", f"{i:032x}", "via=import")
    assert session.vault.read_audit_heads() == [audit.head()]
    assert check(session).ok
