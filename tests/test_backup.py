"""Online backup while another process writes, and restore that never touches the live vault until verified."""
from __future__ import annotations

import hashlib
import json
import zipfile
from pathlib import Path

import pytest

from support import LEAD_PASSWORD, STAFF_PASSWORD, file_sha256, vault_copy
from schoolmh.db import backup as backuplib
from schoolmh.db.connection import DB_NAME, integrity_ok
from schoolmh.db import vault as vaultlib
from schoolmh.db.keyfile import KEYFILE_NAME, RECOVERY, KeyFile
from schoolmh.db.models import Staff
from schoolmh.db.models.records import Pupil
from schoolmh.errors import BackupError, PermissionDenied, WrongPassword, WrongRecoveryKey
from schoolmh.services import access, audit, users, vault_admin
from test_crash import Writer, check_vault

BULK = 6000  # pupils, so the database spans many backup steps (256 pages each)


@pytest.fixture(scope="module")
def template(tmp_path_factory):
    folder = tmp_path_factory.mktemp("backup") / "vault"
    setup = access.init_school(folder, "Oakfield Academy", "lead", "Alex Lead", LEAD_PASSWORD)
    s = setup.session
    users.add_user(s, "pat", "Pat Pastoral", "pastoral", STAFF_PASSWORD)
    with s.transaction():
        Pupil.insert_many(
            [{"legal_forename": f"Bulk{i}", "legal_surname": "Pupil" * 20, "year_group": 7, "search_text": "x" * 200}
             for i in range(BULK)]
        ).execute()
        s.audit("pupil.import", "pupil", "", f"rows={BULK}")
    s.close()
    return folder, setup.recovery_key


@pytest.fixture
def vault(template, tmp_path):
    folder, key = template
    return vault_copy(folder, tmp_path, "live"), key


def snapshot(folder: Path) -> dict[str, str]:
    """Every file in the folder and its SHA-256 (what a failed restore must leave exactly as it was)."""
    return {
        str(p.relative_to(folder)): file_sha256(p)
        for p in sorted(folder.rglob("*")) if p.is_file()
    }


def make_backup(folder: Path, out: Path) -> backuplib.BackupResult:
    s = access.sign_in(folder, "lead", LEAD_PASSWORD)
    try:
        return vault_admin.backup(s, out)
    finally:
        s.close()


# --- backup while a writer is busy ----------------------------------------------------------------
def test_backup_during_writes_restores_every_committed_row(vault, tmp_path):
    folder, key = vault
    writer = Writer(folder, "bk", pause=0.01)
    try:
        writer.wait_for(5)
        before = writer.committed()  # committed before the backup started
        out = tmp_path / "during.schoolmh-backup"
        result = make_backup(folder, out)
        assert result.integrity == "ok" and out.exists()
        writer.wait_for(len(before) + 3)  # the writer carried on throughout
    finally:
        writer.stop()
    for how in ("recovery", "password"):
        target = tmp_path / f"restored-{how}"
        if how == "recovery":
            vault_admin.restore(target, out, recovery_key=key)
        else:
            vault_admin.restore(target, out, username="lead", password=LEAD_PASSWORD)
        check_vault(target, before, tag="bk")
        s = access.sign_in(target, "lead", LEAD_PASSWORD)
        assert Pupil.select().where(Pupil.legal_forename.startswith("Bulk")).count() == BULK
        s.close()
    # the live vault, still being written to meanwhile, is fine too
    check_vault(folder, writer.committed(), tag="bk")


def test_backup_is_not_restarted_by_a_busy_writer(vault, tmp_path, monkeypatch):
    """Another process committing every few ms must not restart the copy (it used to, forever)."""
    folder, _ = vault
    monkeypatch.setattr(backuplib, "STEP_PAGES", 8)  # many small steps: many chances to be restarted
    writer = Writer(folder, "busy", pause=0.003)
    try:
        writer.wait_for(3)
        s = access.sign_in(folder, "lead", LEAD_PASSWORD)
        steps = []
        vault_admin.backup(s, tmp_path / "busy.zip", progress=lambda done, total: steps.append(done))
        s.close()
        running = writer.proc.poll() is None
    finally:
        writer.stop()
    assert running and len(steps) > 20
    assert steps == sorted(steps), "the copy went back to the start"


def test_backup_contents_and_manifest(vault, tmp_path):
    folder, _ = vault
    progress = []
    s = access.sign_in(folder, "lead", LEAD_PASSWORD)
    result = vault_admin.backup(s, tmp_path / "b.zip", progress=lambda done, total: progress.append((done, total)))
    head = audit.head()
    s.close()
    assert progress and progress[-1][0] == progress[-1][1]
    with zipfile.ZipFile(result.path) as archive:
        names = set(archive.namelist())
        manifest = json.loads(archive.read("manifest.json"))
        assert names == {"manifest.json", DB_NAME, KEYFILE_NAME}
        for part in (DB_NAME, KEYFILE_NAME):
            assert hashlib.sha256(archive.read(part)).hexdigest() == manifest["parts"][part]
        assert archive.read(KEYFILE_NAME) == (folder / KEYFILE_NAME).read_bytes()
        assert archive.read(DB_NAME)[:16] != b"SQLite format 3\0"  # encrypted
    assert manifest["format"] == 1 and manifest["schema_version"] >= 1
    assert manifest["audit_head"] == {"seq": head[0], "hash": head[1]}
    text = json.dumps(manifest)
    for word in ("Oakfield", "Alex", "lead", "Pat"):
        assert word not in text


def test_restore_replaces_live_vault_and_keeps_the_old_files(vault, tmp_path):
    folder, key = vault
    out = tmp_path / "b.zip"
    make_backup(folder, out)
    s = access.sign_in(folder, "lead", LEAD_PASSWORD)
    users.add_user(s, "late", "Late Starter", "pastoral", STAFF_PASSWORD)  # made after the backup
    s.close()
    old_files = snapshot(folder)
    result = vault_admin.restore(folder, out, recovery_key=key)
    assert result.replaced_folder is not None and result.replaced_folder.parent == folder
    kept = snapshot(result.replaced_folder)
    assert kept[DB_NAME] == old_files[DB_NAME]  # the records kept, byte for byte
    # ...but no password or device slot stays aside, where a later revocation could not reach it.
    kept_keys = [KeyFile.load(p) for p in result.replaced_folder.glob(KEYFILE_NAME + "*")]
    assert kept_keys and all({slot.kind for slot in k.slots} == {RECOVERY} for k in kept_keys)
    with pytest.raises(WrongPassword):
        vaultlib.unlock_with_password(result.replaced_folder, "late", STAFF_PASSWORD)
    old = vaultlib.unlock_with_recovery(result.replaced_folder, key)  # the old vault's recovery key still does
    assert Staff.get_or_none(Staff.username == "late") is not None
    old.close()
    with pytest.raises(WrongPassword):
        access.sign_in(folder, "late", STAFF_PASSWORD)  # the restored vault predates the account
    s = access.sign_in(folder, "pat", STAFF_PASSWORD)
    assert integrity_ok(s.db) and vault_admin.verify_audit is not None
    s.close()
    s = access.sign_in(folder, "lead", LEAD_PASSWORD)
    assert vault_admin.verify_audit(s).ok
    s.close()
    assert not [p for p in folder.iterdir() if p.name.startswith(".schoolmh-")]


def test_restore_needs_the_password_as_it_was(vault, tmp_path):
    folder, _ = vault
    out = tmp_path / "b.zip"
    make_backup(folder, out)
    s = access.sign_in(folder, "lead", LEAD_PASSWORD)
    users.set_password(s, "lead", "changed after the backup")
    s.close()
    target = tmp_path / "elsewhere"
    with pytest.raises(WrongPassword):
        vault_admin.restore(target, out, username="lead", password="changed after the backup")
    vault_admin.restore(target, out, username="lead", password=LEAD_PASSWORD)


# --- failures change nothing ----------------------------------------------------------------------
def _damage(archive: Path, how: str) -> None:
    if how == "truncated":
        archive.write_bytes(archive.read_bytes()[: archive.stat().st_size // 2])
    elif how == "not a zip":
        archive.write_bytes(b"hello, this is a spreadsheet")
    elif how in ("db part", "key part"):
        name = DB_NAME if how == "db part" else KEYFILE_NAME
        with zipfile.ZipFile(archive) as z:
            parts = {n: z.read(n) for n in z.namelist()}
        data = bytearray(parts[name])
        data[len(data) // 2] ^= 0xFF
        parts[name] = bytes(data)
        with zipfile.ZipFile(archive, "w") as z:
            for n, b in parts.items():
                z.writestr(n, b)
    elif how in ("db part, manifest updated", "manifest head"):
        with zipfile.ZipFile(archive) as z:
            parts = {n: z.read(n) for n in z.namelist()}
        manifest = json.loads(parts["manifest.json"])
        if how == "manifest head":
            manifest["audit_head"]["seq"] -= 1
        else:
            data = bytearray(parts[DB_NAME])
            data[len(data) // 2] ^= 0xFF
            parts[DB_NAME] = bytes(data)
            manifest["parts"][DB_NAME] = hashlib.sha256(parts[DB_NAME]).hexdigest()
        parts["manifest.json"] = json.dumps(manifest).encode()
        with zipfile.ZipFile(archive, "w") as z:
            for n, b in parts.items():
                z.writestr(n, b)


@pytest.mark.parametrize(
    "how", ["truncated", "not a zip", "db part", "key part", "db part, manifest updated", "manifest head"]
)
def test_damaged_backup_changes_nothing(vault, tmp_path, how):
    folder, key = vault
    out = tmp_path / "b.zip"
    make_backup(folder, out)
    _damage(out, how)
    before = snapshot(folder)
    with pytest.raises((BackupError, WrongRecoveryKey)) as err:
        vault_admin.restore(folder, out, recovery_key=key)
    assert err.value.message and "\n" not in err.value.message
    assert snapshot(folder) == before
    access.sign_in(folder, "lead", LEAD_PASSWORD).close()


def test_missing_backup_file(vault, tmp_path):
    folder, key = vault
    before = snapshot(folder)
    with pytest.raises(BackupError) as err:
        vault_admin.restore(folder, tmp_path / "nope.zip", recovery_key=key)
    assert "no backup file" in err.value.message
    assert snapshot(folder) == before


@pytest.mark.parametrize("who", ["wrong password", "wrong key", "not a lead"])
def test_restore_refused_changes_nothing(vault, tmp_path, who):
    folder, _ = vault
    out = tmp_path / "b.zip"
    make_backup(folder, out)
    before = snapshot(folder)
    with pytest.raises((WrongPassword, WrongRecoveryKey, PermissionDenied)):
        if who == "wrong password":
            vault_admin.restore(folder, out, username="lead", password="not the password at all")
        elif who == "wrong key":
            from schoolmh.db.crypto import new_recovery_key

            vault_admin.restore(folder, out, recovery_key=new_recovery_key())
        else:
            vault_admin.restore(folder, out, username="pat", password=STAFF_PASSWORD)
    after = snapshot(folder)
    # A wrong guess counts towards the live vault's unlock back-off (the only file that changes).
    assert (vaultlib.ATTEMPTS_NAME in after) == (who != "not a lead")
    after.pop(vaultlib.ATTEMPTS_NAME, None)
    assert after == before


def test_live_files_stay_in_place_until_the_copy_is_verified(vault, tmp_path, monkeypatch):
    folder, key = vault
    out = tmp_path / "b.zip"
    make_backup(folder, out)
    before = snapshot(folder)
    seen = {}
    real_verify = backuplib.verify_restored

    def spy(restored, dek):
        seen["live at verification"] = snapshot(folder)  # nothing moved yet
        real_verify(restored, dek)
        raise BackupError("simulated: the copy failed its integrity check")

    monkeypatch.setattr(backuplib, "verify_restored", spy)
    with pytest.raises(BackupError):
        vault_admin.restore(folder, out, recovery_key=key)
    assert {k: v for k, v in seen["live at verification"].items() if not k.startswith(".schoolmh-") and k != "schoolmh.lock"} == before
    assert snapshot(folder) == before


def test_backup_of_a_vault_restored_elsewhere_opens_on_another_laptop(vault, tmp_path):
    """Restore with the recovery key into a fresh folder, then back that up and restore again."""
    folder, key = vault
    first = tmp_path / "first.zip"
    make_backup(folder, first)
    laptop = tmp_path / "laptop2"
    vault_admin.restore(laptop, first, recovery_key=key)
    second = tmp_path / "second.zip"
    make_backup(laptop, second)
    laptop3 = tmp_path / "laptop3"
    vault_admin.restore(laptop3, second, recovery_key=key)
    s = access.sign_in(laptop3, "pat", STAFF_PASSWORD)
    s.close()
