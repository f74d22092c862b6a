"""The vault's failure modes: each has its own error and message, and none of them changes a byte.

Also: KDF parameters at or above the floor, schema migrations (a failure leaves the
old database untouched; a newer database refuses to open), failed-unlock back-off,
and refusing synced folders. One vault is built per module and copied per test.
"""
from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from support import LEAD_PASSWORD, file_sha256, vault_copy
from schoolmh.db import crypto, migrations
from schoolmh.db import vault as vaultlib
from schoolmh.db.connection import DB_NAME
from schoolmh.db.keyfile import KEYFILE_NAME
from schoolmh.errors import (
    DamagedDatabase,
    DamagedKeyFile,
    LockedOut,
    MigrationFailed,
    UnsafeLocation,
    VaultError,
    VaultExists,
    VaultMissing,
    WrongPassword,
    WrongRecoveryKey,
)
from schoolmh.services import access, settings, users

PAGE = 4096


@pytest.fixture(scope="module")
def template(tmp_path_factory):
    """A closed vault with a colleague and some settings; tests get a fresh copy."""
    folder = tmp_path_factory.mktemp("template") / "vault"
    setup = access.init_school(folder, "Oakfield Academy", "lead", "Alex Lead", LEAD_PASSWORD)
    users.add_user(setup.session, "pat", "Pat Pastoral", "pastoral", "pastoral password 1")
    settings.update(setup.session, school_urn="123456", autolock_minutes=15)
    setup.session.close()
    return folder, setup.recovery_key


@pytest.fixture
def vault(template, tmp_path):
    folder, key = template
    return vault_copy(folder, tmp_path), key


def digests(folder: Path) -> dict[str, str]:
    """SHA-256 of the database and key file (the files that must never change on a failure)."""
    return {
        name: file_sha256(folder / name)
        for name in (DB_NAME, KEYFILE_NAME)
        if (folder / name).exists()
    }


def leftovers(folder: Path) -> set[str]:
    """Files a failed open may not leave behind (WAL/SHM of a connection that was not closed)."""
    return {p.name for p in folder.iterdir() if p.name.endswith(("-wal", "-shm", "-journal"))}


def assert_untouched(folder: Path, before: dict[str, str]) -> None:
    assert digests(folder) == before
    assert not leftovers(folder)


def flip(path: Path, offset: int, count: int = 8) -> None:
    data = bytearray(path.read_bytes())
    for i in range(offset, offset + count):
        data[i] ^= 0xFF
    path.write_bytes(bytes(data))


# --- each failure: its own class, its own message, nothing changed ----------------------------------
def test_right_password_opens(vault):
    folder, _ = vault
    s = access.sign_in(folder, "lead", LEAD_PASSWORD)
    assert s.actor.role == "lead" and settings.load().school_urn == "123456"
    s.close()


def test_wrong_password(vault):
    folder, _ = vault
    before = digests(folder)
    with pytest.raises(WrongPassword) as err:
        access.sign_in(folder, "lead", "not the right password")
    assert "user name and password do not match" in err.value.message
    assert_untouched(folder, before)


def test_unknown_user_is_the_same_message_as_wrong_password(vault):
    folder, _ = vault
    before = digests(folder)
    with pytest.raises(WrongPassword) as unknown:
        access.sign_in(folder, "nobody", LEAD_PASSWORD)
    with pytest.raises(WrongPassword) as wrong:
        access.sign_in(folder, "lead", "nope nope nope nope")
    assert unknown.value.message == wrong.value.message
    assert_untouched(folder, before)


def test_wrong_recovery_key(vault):
    folder, key = vault
    before = digests(folder)
    other = crypto.new_recovery_key()
    with pytest.raises(WrongRecoveryKey) as err:
        access.recover(folder, other, "lead", "a brand new password")
    assert "does not open this vault" in err.value.message
    with pytest.raises(WrongRecoveryKey) as typo:
        access.recover(folder, key[:-1] + ("0" if key[-1] != "0" else "1"), "lead", "a brand new password")
    assert "not a valid recovery key" in typo.value.message
    assert_untouched(folder, before)


@pytest.mark.parametrize(
    "damage",
    ["truncate", "garbage", "empty", "bad base64", "short nonce", "absurd kdf cost", "not json object"],
)
def test_damaged_key_file(vault, damage):
    folder, key = vault
    path = folder / KEYFILE_NAME
    raw = path.read_bytes()
    if damage == "truncate":
        path.write_bytes(raw[: len(raw) // 2])
    elif damage == "garbage":
        path.write_bytes(bytes(range(256)) * 4)
    elif damage == "empty":
        path.write_bytes(b"")
    elif damage == "bad base64":
        path.write_bytes(raw.replace(b'"nonce": "', b'"nonce": "!!', 1))
    elif damage == "short nonce":
        import json

        data = json.loads(raw)
        data["slots"][0]["nonce"] = crypto.b64e(b"1234")
        path.write_bytes(json.dumps(data).encode())
    elif damage == "absurd kdf cost":
        import json

        data = json.loads(raw)
        for slot in data["slots"]:
            if slot["kdf"]["alg"] == "argon2id":
                slot["kdf"]["memory_kib"] = 2**40
        path.write_bytes(json.dumps(data).encode())
    elif damage == "not json object":
        path.write_bytes(b"[1, 2, 3]")
    before = digests(folder)
    with pytest.raises(DamagedKeyFile) as err:
        access.sign_in(folder, "lead", LEAD_PASSWORD)
    assert "key file is damaged" in err.value.message
    with pytest.raises(DamagedKeyFile):
        access.recover(folder, key, "lead", "a brand new password")
    assert_untouched(folder, before)


@pytest.mark.parametrize("where", ["first page", "a later page", "last page"])
def test_damaged_database(vault, where):
    folder, _ = vault
    db = folder / DB_NAME
    pages = db.stat().st_size // PAGE
    assert pages >= 3
    offset = {"first page": 200, "a later page": 2 * PAGE + 300, "last page": (pages - 1) * PAGE + 500}[where]
    flip(db, offset)
    before = digests(folder)
    with pytest.raises(DamagedDatabase) as err:
        access.sign_in(folder, "lead", LEAD_PASSWORD)
    assert "damaged" in err.value.message and "backup" in err.value.message
    assert_untouched(folder, before)


def test_missing_database(vault):
    folder, _ = vault
    (folder / DB_NAME).unlink()
    before = digests(folder)
    with pytest.raises(VaultMissing) as err:
        access.sign_in(folder, "lead", LEAD_PASSWORD)
    assert type(err.value).__name__ == "DatabaseMissing"
    assert "database file is missing" in err.value.message
    assert_untouched(folder, before)
    assert not (folder / DB_NAME).exists()  # never silently re-created empty


def test_missing_key_file(vault):
    folder, _ = vault
    (folder / KEYFILE_NAME).unlink()
    before = digests(folder)
    with pytest.raises(VaultMissing) as err:
        access.sign_in(folder, "lead", LEAD_PASSWORD)
    assert type(err.value).__name__ == "KeyFileMissing"
    assert "key file" in err.value.message and "vault.keys.bak" in err.value.message
    assert_untouched(folder, before)


def test_no_vault_at_all(tmp_path):
    with pytest.raises(VaultMissing) as err:
        access.sign_in(tmp_path / "nothing", "lead", LEAD_PASSWORD)
    assert "no SchoolMH vault" in err.value.message
    assert not (tmp_path / "nothing").exists()


def test_every_failure_has_its_own_class_and_message(vault, tmp_path):
    """Wrong password, wrong recovery key, damaged key file, damaged database, missing files."""
    folder, key = vault
    seen: dict[type, str] = {}

    def attempt(fn, *args):
        with pytest.raises(VaultError) as err:
            fn(*args)
        seen[type(err.value)] = err.value.message

    attempt(access.sign_in, folder, "lead", "wrong wrong wrong")
    attempt(access.recover, folder, crypto.new_recovery_key(), "lead", "a brand new password")
    for name, damage in ((KEYFILE_NAME, "keys"), (DB_NAME, "db"), ("missing-db", ""), ("missing-keys", "")):
        copy = tmp_path / f"c-{name}"
        shutil.copytree(folder, copy)
        (copy / vaultlib.ATTEMPTS_NAME).unlink(missing_ok=True)
        if damage == "keys":
            (copy / KEYFILE_NAME).write_bytes(b"{not json")
        elif damage == "db":
            flip(copy / DB_NAME, 2 * PAGE + 100)
        elif name == "missing-db":
            (copy / DB_NAME).unlink()
        else:
            (copy / KEYFILE_NAME).unlink()
        attempt(access.sign_in, copy, "lead", LEAD_PASSWORD)
    assert len(seen) == 6, seen
    assert len(set(seen.values())) == 6


def test_vault_exists_is_refused(vault):
    folder, _ = vault
    before = digests(folder)
    with pytest.raises(VaultExists):
        access.init_school(folder, "Other School", "lead", "Someone", "another good password")
    assert_untouched(folder, before)


@pytest.mark.parametrize("name", ["OneDrive - Oakfield", "Dropbox", "Google Drive"])
def test_synced_folder_refused(tmp_path, name):
    with pytest.raises(UnsafeLocation):
        access.init_school(tmp_path / name / "SchoolMH", "Oakfield", "lead", "Alex Lead", LEAD_PASSWORD)
    assert not (tmp_path / name).exists()


# --- KDF parameters ---------------------------------------------------------------------------
def test_production_kdf_params_at_or_above_floor(monkeypatch):
    monkeypatch.delenv(crypto.TEST_KDF_ENV, raising=False)
    params = crypto.new_password_params()
    assert params.alg == "argon2id"
    assert params.memory_kib >= 64 * 1024 and params.memory_kib >= crypto.ARGON2_FLOOR_MEMORY_KIB
    assert params.time_cost >= 3 and params.time_cost >= crypto.ARGON2_FLOOR_TIME_COST
    assert params.parallelism >= 1
    assert len(crypto.b64d(params.salt)) >= 16
    assert not params.below_floor()
    assert crypto.ARGON2_FLOOR_MEMORY_KIB >= 64 * 1024 and crypto.ARGON2_FLOOR_TIME_COST >= 3


def test_test_kdf_setting_makes_cheap_slots_only_when_set(monkeypatch):
    assert crypto.new_password_params().below_floor()  # the suite runs with the test setting
    monkeypatch.setenv(crypto.TEST_KDF_ENV, "yes")  # only exactly "1" counts
    assert not crypto.fast_kdf_for_tests()


def test_slot_below_floor_refused_without_test_setting(vault, monkeypatch):
    folder, _ = vault
    before = digests(folder)
    monkeypatch.delenv(crypto.TEST_KDF_ENV, raising=False)
    with pytest.raises(DamagedKeyFile) as err:
        access.sign_in(folder, "lead", LEAD_PASSWORD)
    assert "weaker settings" in err.value.message
    assert_untouched(folder, before)


# --- migrations ---------------------------------------------------------------------------------
def _rows(folder: Path) -> dict[str, int]:
    s = access.sign_in(folder, "lead", LEAD_PASSWORD)
    try:
        names = [r[0] for r in s.db.execute_sql("SELECT name FROM sqlite_master WHERE type='table' ORDER BY name")]
        return {n: s.db.execute_sql(f'SELECT count(*) FROM "{n}"').fetchone()[0] for n in names if n not in ("audit_entry", "audit_signature")}
    finally:
        s.close()


def test_failed_migration_leaves_database_untouched(vault, monkeypatch):
    folder, _ = vault
    rows_before = _rows(folder)
    (folder / vaultlib.ATTEMPTS_NAME).unlink(missing_ok=True)
    before = digests(folder)

    def v2_fails(db):
        db.execute_sql("CREATE TABLE half_done (x INTEGER)")
        db.execute_sql("UPDATE staff SET full_name = 'changed'")
        raise RuntimeError("disk full halfway through")

    current = len(migrations.MIGRATIONS)
    monkeypatch.setattr(migrations, "MIGRATIONS", [*migrations.MIGRATIONS, v2_fails])
    monkeypatch.setattr(migrations, "SCHEMA_VERSION", current + 1)
    with pytest.raises(MigrationFailed) as err:
        access.sign_in(folder, "lead", LEAD_PASSWORD)
    assert f"version {current + 1} failed" in err.value.message and "left exactly as it was" in err.value.message
    assert_untouched(folder, before)
    assert (folder / (DB_NAME + ".pre-migration")).exists()  # the safety copy taken before the first step
    monkeypatch.undo()
    assert _rows(folder) == rows_before
    s = access.sign_in(folder, "lead", LEAD_PASSWORD)
    assert migrations.schema_version(s.db) == current
    assert {u.full_name for u in users.list_users(s)} == {"Alex Lead", "Pat Pastoral"}
    s.close()


def test_successful_migration_runs_once(vault, monkeypatch):
    folder, _ = vault
    calls = []

    def v2_adds_column(db):
        calls.append(1)
        db.execute_sql("ALTER TABLE setting ADD COLUMN note TEXT DEFAULT ''")

    current = len(migrations.MIGRATIONS)
    monkeypatch.setattr(migrations, "MIGRATIONS", [*migrations.MIGRATIONS, v2_adds_column])
    monkeypatch.setattr(migrations, "SCHEMA_VERSION", current + 1)
    s = access.sign_in(folder, "lead", LEAD_PASSWORD)
    assert migrations.schema_version(s.db) == current + 1
    s.close()
    s = access.sign_in(folder, "lead", LEAD_PASSWORD)
    s.close()
    assert calls == [1]


def test_newer_database_refuses_to_open(vault):
    folder, _ = vault
    s = access.sign_in(folder, "lead", LEAD_PASSWORD)
    s.db.execute_sql("PRAGMA user_version = 99")
    s.close()
    before = digests(folder)
    with pytest.raises(MigrationFailed) as err:
        access.sign_in(folder, "lead", LEAD_PASSWORD)
    assert "newer version of SchoolMH" in err.value.message
    assert_untouched(folder, before)


# --- back-off -------------------------------------------------------------------------------------
def test_backoff_grows_and_persists(vault):
    folder, _ = vault
    for _ in range(vaultlib.FREE_ATTEMPTS):
        with pytest.raises(WrongPassword):
            access.sign_in(folder, "lead", "wrong wrong wrong")
    with pytest.raises(LockedOut) as first:
        access.sign_in(folder, "lead", LEAD_PASSWORD)  # even the right password waits
    assert first.value.seconds > 0 and "Try again in" in first.value.message
    # persisted beside the vault: a new process (a fresh AttemptLog) sees the same count
    log = vaultlib.AttemptLog.load(folder)
    assert log.failures == vaultlib.FREE_ATTEMPTS
    # after the wait, another failure makes the next wait longer
    log.last_failure -= first.value.seconds + 1
    log._save()
    with pytest.raises(WrongPassword):
        access.sign_in(folder, "lead", "still wrong still wrong")
    with pytest.raises(LockedOut) as second:
        access.sign_in(folder, "lead", LEAD_PASSWORD)
    assert second.value.seconds > first.value.seconds
    # success (after waiting) resets the count
    log = vaultlib.AttemptLog.load(folder)
    log.last_failure -= second.value.seconds + 1
    log._save()
    access.sign_in(folder, "lead", LEAD_PASSWORD).close()
    assert vaultlib.AttemptLog.load(folder).failures == 0


def test_backoff_schedule_is_capped():
    delays = [vaultlib.backoff_seconds(n) for n in range(30)]
    assert delays[: vaultlib.FREE_ATTEMPTS] == [0.0] * vaultlib.FREE_ATTEMPTS
    assert all(b >= a for a, b in zip(delays, delays[1:]))
    assert max(delays) == vaultlib.MAX_DELAY_SECONDS <= 300  # never locks the school out for long


def test_unreadable_attempt_log_does_not_lock_anyone_out(vault):
    folder, _ = vault
    (folder / vaultlib.ATTEMPTS_NAME).write_bytes(b"\x00garbage")
    access.sign_in(folder, "lead", LEAD_PASSWORD).close()


def test_last_login_shown_after_unlock(vault):
    folder, _ = vault
    s = access.sign_in(folder, "lead", LEAD_PASSWORD)
    first = s.previous_login
    s.close()
    s = access.sign_in(folder, "lead", LEAD_PASSWORD)
    assert s.previous_login is not None and (first is None or s.previous_login >= first)
    s.close()


def test_the_database_opens_with_the_raw_data_key(vault):
    """The data key is random, so SQLCipher's own passphrase KDF is skipped: the raw key opens it, and
    a wrong key does not (how fast it opens: bench/bench_vault.py)."""
    from schoolmh.db.connection import open_database

    folder, _ = vault
    s = access.sign_in(folder, "lead", LEAD_PASSWORD)
    dek = s.vault.dek
    s.close()
    db = open_database(folder / DB_NAME, dek)
    assert db.execute_sql("PRAGMA cipher_version").fetchone()[0].startswith("4")
    db.close()
    with pytest.raises(Exception):
        open_database(folder / DB_NAME, bytes(b ^ 0xFF for b in dek)).execute_sql("SELECT count(*) FROM sqlite_master")


def test_abandoned_temp_files_are_tidied(vault):
    """A crash mid atomic-write leaves a .tmp file; old ones go at the next unlock, fresh ones stay."""
    import os
    import time

    folder, _ = vault
    old = folder / "audit.head.abc123.tmp"
    fresh = folder / "vault.keys.def456.tmp"
    other = folder / "notes.txt.tmp"
    for path in (old, fresh, other):
        path.write_bytes(b"partial")
    os.utime(old, (time.time() - 3600, time.time() - 3600))
    os.utime(other, (time.time() - 3600, time.time() - 3600))
    access.sign_in(folder, "lead", LEAD_PASSWORD).close()
    assert not old.exists() and fresh.exists() and other.exists()


def test_busy_vault_is_a_clear_error_and_saves_nothing(vault):
    """Another process holding the write lock past the busy timeout: VaultBusy, not a crash."""
    from sqlcipher3 import dbapi2 as sqlcipher

    from schoolmh.errors import VaultBusy

    folder, _ = vault
    s = access.sign_in(folder, "lead", LEAD_PASSWORD)
    other = sqlcipher.connect(str(folder / DB_NAME), isolation_level=None)
    other.execute(f"PRAGMA key = \"x'{s.vault.dek.hex()}'\"")
    other.execute("BEGIN IMMEDIATE")
    try:
        s.db.execute_sql("PRAGMA busy_timeout = 50")
        with pytest.raises(VaultBusy) as err:
            settings.update(s, autolock_minutes=30)
        assert "Nothing was saved" in err.value.message
    finally:
        other.execute("ROLLBACK")
        other.close()
    assert settings.load().autolock_minutes == 15
    settings.update(s, autolock_minutes=30)
    assert settings.load().autolock_minutes == 30
    s.close()
