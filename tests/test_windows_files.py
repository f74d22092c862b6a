"""Windows file behaviour, simulated here (issue 14 items 1-4).

- a rename that fails with a sharing violation (antivirus, the indexer) for a while, or for good;
- a restore whose rename fails at each step in turn: the live vault must come out exactly as it was;
- a restore while the window (or another process) holds the vault's lock;
- a temporary folder that cannot be removed because a file in it is still held;
- a backup to a slow/remote destination: built and checked locally, copied out, read back;
- paths past 260 characters.
"""
from __future__ import annotations

import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

import pytest

from support import LEAD_PASSWORD, STAFF_PASSWORD, file_sha256, vault_copy
from schoolmh import fsutil
from schoolmh.db import backup as backuplib
from schoolmh.db import vault as vaultlib
from schoolmh.db.connection import DB_NAME
from schoolmh.db.instance_lock import LOCK_NAME, InstanceLock, lock_path
from schoolmh.db.models.records import Pupil
from schoolmh.errors import BackupError, SchoolMHError, ValidationError, VaultBusy
from schoolmh.services import access, users, vault_admin


def held(times: int | None, winerror: int = 32, only=None):
    """An os.replace that fails like Windows while another process has the file open: the first
    `times` calls (None: every call) matching `only(src, dst)`."""
    real = os.replace
    calls = {"n": 0, "failed": 0}

    def fake(src, dst, *a, **k):
        if only is None or only(Path(src), Path(dst)):
            calls["n"] += 1
            if times is None or calls["failed"] < times:
                calls["failed"] += 1
                exc = PermissionError(13, "The process cannot access the file because it is being used by another process")
                exc.winerror = winerror
                raise exc
        return real(src, dst, *a, **k)

    return fake, calls


@pytest.fixture(scope="module")
def template(tmp_path_factory):
    folder = tmp_path_factory.mktemp("win") / "vault"
    setup = access.init_school(folder, "Oakfield Academy", "lead", "Alex Lead", LEAD_PASSWORD)
    users.add_user(setup.session, "pat", "Pat Pastoral", "pastoral", STAFF_PASSWORD)
    setup.session.close()
    return folder, setup.recovery_key


@pytest.fixture
def vault(template, tmp_path):
    folder, key = template
    return vault_copy(folder, tmp_path, "live"), key


def live_state(folder: Path) -> dict[str, str]:
    """The live vault's own files (not the lock, not the attempt counter)."""
    return {p.name: file_sha256(p) for p in sorted(folder.iterdir())
            if p.is_file() and p.name not in (LOCK_NAME, vaultlib.ATTEMPTS_NAME)}


def pupil_count(folder: Path) -> int:
    s = access.sign_in(folder, "lead", LEAD_PASSWORD)
    try:
        return Pupil.select().count()
    finally:
        s.close()


def add_pupil(session, name="Ada") -> None:
    with session.transaction():
        Pupil.create(legal_forename=name, legal_surname="Lovelace", year_group=7, search_text=name.lower())
        session.audit("pupil.create", "pupil", "", "test")


# --- 14.1: a held file is retried, then "vault busy" -----------------------------------------------
def test_a_save_survives_a_target_held_for_a_moment(vault, monkeypatch):
    folder, _ = vault
    s = access.sign_in(folder, "lead", LEAD_PASSWORD)
    fake, calls = held(3, only=lambda src, dst: dst.name == "audit.head")
    monkeypatch.setattr(os, "replace", fake)
    try:
        add_pupil(s)  # audit.head is replaced twice per save; the first three tries are refused
    finally:
        monkeypatch.undo()
        s.close()
    assert calls["failed"] == 3 and calls["n"] >= 4
    assert pupil_count(folder) == 1
    s = access.sign_in(folder, "lead", LEAD_PASSWORD)
    assert vault_admin.verify_audit(s).ok
    s.close()


def test_a_target_held_for_good_is_vault_busy_and_nothing_is_saved(vault, monkeypatch):
    folder, _ = vault
    monkeypatch.setattr(fsutil, "REPLACE_RETRY_SECONDS", 0.2)
    s = access.sign_in(folder, "lead", LEAD_PASSWORD)
    fake, calls = held(None, winerror=5, only=lambda src, dst: dst.name == "audit.head")
    monkeypatch.setattr(os, "replace", fake)
    started = time.monotonic()
    try:
        with pytest.raises(VaultBusy) as busy:
            add_pupil(s)
    finally:
        monkeypatch.undo()
        s.close()
    assert "busy" in busy.value.message and "audit.head" in busy.value.message
    assert calls["n"] > 2 and time.monotonic() - started < 5  # retried with back-off, then gave up
    assert pupil_count(folder) == 0
    assert not list(folder.glob("*.tmp"))


def test_a_posix_permission_error_is_not_retried(tmp_path, monkeypatch):
    fake, calls = held(None, winerror=None)  # EACCES on Linux: a real permission problem, not a passing hold
    monkeypatch.setattr(os, "replace", fake)
    with pytest.raises(PermissionError) as refused:
        fsutil.atomic_write_bytes(tmp_path / "x", b"data")
    assert not isinstance(refused.value, VaultBusy) and calls["n"] == 1


# --- 14.2: restore is one step, whatever rename fails ------------------------------------------------
def swap_calls(folder: Path):
    """Only the renames of the swap itself (into or out of the live folder)."""
    return lambda src, dst: src.parent == folder or dst.parent == folder


def test_restore_rolls_back_whichever_rename_fails(template, tmp_path, monkeypatch):
    folder0, key = template
    backup_file = tmp_path / "b.schoolmh-backup"
    probe = vault_copy(folder0, tmp_path, "probe")
    s = access.sign_in(probe, "lead", LEAD_PASSWORD)
    vault_admin.backup(s, backup_file)
    s.close()
    fake, calls = held(0, only=swap_calls(probe))
    monkeypatch.setattr(os, "replace", fake)
    vault_admin.restore(probe, backup_file, recovery_key=key)
    monkeypatch.undo()
    steps = calls["n"]
    assert steps >= 6  # db, -wal/-shm when present, vault.keys(.bak), audit.head out; three in

    for step in range(1, steps + 1):
        live = vault_copy(folder0, tmp_path, f"live{step}")
        s = access.sign_in(live, "lead", LEAD_PASSWORD)
        add_pupil(s, f"Step{step}")  # so the live vault differs from the backup
        s.close()
        before = live_state(live)
        n = {"i": 0}

        def fail_at(src, dst, *a, _live=live, _step=step, **k):
            if swap_calls(_live)(Path(src), Path(dst)):
                n["i"] += 1
                if n["i"] == _step:
                    raise PermissionError(13, f"simulated: rename {step} refused")
            return real_replace(src, dst, *a, **k)

        real_replace = os.replace
        monkeypatch.setattr(os, "replace", fail_at)
        with pytest.raises(BackupError) as failed:
            vault_admin.restore(live, backup_file, recovery_key=key)
        monkeypatch.undo()
        assert "not changed" in failed.value.message, step
        assert live_state(live) == before, step
        assert not [p for p in live.iterdir() if p.name.startswith("replaced-")], step
        assert pupil_count(live) == 1, step  # the live vault, not the backup
        s = access.sign_in(live, "lead", LEAD_PASSWORD)
        assert vault_admin.verify_audit(s).ok, step
        s.close()


def test_an_open_database_that_cannot_be_renamed_leaves_everything_in_place(vault, tmp_path, monkeypatch):
    """Windows will not rename a database another process has open: the swap stops before anything moved."""
    folder, key = vault
    backup_file = tmp_path / "b.schoolmh-backup"
    s = access.sign_in(folder, "lead", LEAD_PASSWORD)
    vault_admin.backup(s, backup_file)
    add_pupil(s)
    s.close()
    before = live_state(folder)
    monkeypatch.setattr(fsutil, "REPLACE_RETRY_SECONDS", 0.1)
    fake, calls = held(None, only=lambda src, dst: src == folder / DB_NAME)
    monkeypatch.setattr(os, "replace", fake)
    with pytest.raises(BackupError) as failed:
        vault_admin.restore(folder, backup_file, recovery_key=key)
    monkeypatch.undo()
    assert "another program is holding" in failed.value.message and "not changed" in failed.value.message
    assert live_state(folder) == before
    assert pupil_count(folder) == 1


HOLD_WITH_QT = """
import sys, time
from PySide6.QtCore import QLockFile
lock = QLockFile(sys.argv[1]); lock.setStaleLockTime(0)
print("held" if lock.tryLock(0) else "refused", flush=True)
sys.stdin.readline()
"""


def test_restore_refuses_while_a_window_holds_the_vault(vault, tmp_path):
    """Another process holding the window's QLockFile on the vault: the CLI's restore changes nothing."""
    folder, key = vault
    backup_file = tmp_path / "b.schoolmh-backup"
    s = access.sign_in(folder, "lead", LEAD_PASSWORD)
    vault_admin.backup(s, backup_file)
    s.close()
    before = live_state(folder)
    window = subprocess.Popen([sys.executable, "-c", HOLD_WITH_QT, str(lock_path(folder))],
                              stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
    try:
        assert window.stdout.readline().strip() == "held"
        with pytest.raises(VaultBusy) as busy:
            vault_admin.restore(folder, backup_file, recovery_key=key)
        assert "SchoolMH is open on this vault" in busy.value.message
        assert live_state(folder) == before
    finally:
        window.communicate("\n", timeout=30)
    vault_admin.restore(folder, backup_file, recovery_key=key)  # the window closed: now it goes ahead
    assert not lock_path(folder).exists()


def test_the_windows_own_lock_lets_its_restore_through_and_keeps_others_out(vault, tmp_path, qapp):
    from PySide6.QtCore import QLockFile

    folder, key = vault
    backup_file = tmp_path / "b.schoolmh-backup"
    s = access.sign_in(folder, "lead", LEAD_PASSWORD)
    vault_admin.backup(s, backup_file)
    s.close()
    window_lock = QLockFile(str(lock_path(folder)))
    window_lock.setStaleLockTime(0)
    assert window_lock.tryLock(0)
    try:
        vault_admin.restore(folder, backup_file, recovery_key=key)  # this process is the window
        assert lock_path(folder).exists()  # still the window's
        other = QLockFile(str(lock_path(folder)))
        assert not other.tryLock(0)
    finally:
        window_lock.unlock()


def test_a_lock_left_by_a_crashed_process_is_taken_over(vault, tmp_path):
    folder, _ = vault
    code = ("import os, sys; from pathlib import Path; from schoolmh.db.instance_lock import InstanceLock; "
            "InstanceLock(Path(sys.argv[1])).acquire(); os._exit(0)")
    subprocess.run([sys.executable, "-c", code, str(folder)], check=True)
    assert lock_path(folder).exists()  # it died holding it
    lock = InstanceLock(folder)
    lock.acquire()
    lock.release()
    assert not lock_path(folder).exists()


# --- 14.3: clean-up that fails does not fail the work ----------------------------------------------------
def test_a_held_temporary_file_does_not_fail_a_finished_backup_or_restore(vault, tmp_path, monkeypatch):
    folder, key = vault
    real_rmtree = shutil.rmtree

    def held_rmtree(path, *a, **k):
        if Path(path).name.startswith((".schoolmh-backup-", ".schoolmh-restore-")):
            raise PermissionError(13, "simulated: a file in it is still being scanned")
        return real_rmtree(path, *a, **k)

    monkeypatch.setattr(shutil, "rmtree", held_rmtree)
    s = access.sign_in(folder, "lead", LEAD_PASSWORD)
    result = vault_admin.backup(s, tmp_path / "b.schoolmh-backup")
    s.close()
    assert result.integrity == "ok" and result.path.exists()
    restored = vault_admin.restore(folder, result.path, recovery_key=key)
    assert restored.audit_rows > 0
    leftovers = [p for p in folder.iterdir() if p.name.startswith(".schoolmh-")]
    assert len(leftovers) == 2  # left for later, not reported as a failure
    monkeypatch.undo()
    old = time.time() - 2 * fsutil.STALE_SCRATCH_SECONDS
    for p in leftovers:
        os.utime(p, (old, old))
    s = access.sign_in(folder, "lead", LEAD_PASSWORD)
    vault_admin.backup(s, tmp_path / "c.schoolmh-backup")  # the next one tidies them
    s.close()
    assert not [p for p in folder.iterdir() if p.name.startswith(".schoolmh-")]


# --- 14.4: build locally, copy out, re-check -----------------------------------------------------------
def test_backup_is_built_beside_the_vault_and_only_the_archive_goes_out(vault, tmp_path, monkeypatch):
    folder, key = vault
    destination = tmp_path / "usb"
    destination.mkdir()
    built_in = []
    real_copy = backuplib.online_copy

    def spy(db, dest, progress=None):
        built_in.append(Path(dest).parent.parent)
        return real_copy(db, dest, progress)

    monkeypatch.setattr(backuplib, "online_copy", spy)
    s = access.sign_in(folder, "lead", LEAD_PASSWORD)
    result = vault_admin.backup(s, destination / "b.schoolmh-backup")
    s.close()
    assert built_in == [folder]  # the WAL-mode check ran on the local disk, not the stick
    assert [p.name for p in destination.iterdir()] == ["b.schoolmh-backup"]
    vault_admin.restore(tmp_path / "elsewhere", result.path, recovery_key=key)


def test_a_copy_that_does_not_read_back_the_same_is_not_a_backup(vault, tmp_path, monkeypatch):
    folder, _ = vault
    real = shutil.copyfileobj

    def flaky_stick(src, dst, length=0):
        real(src, dst, length)
        if not str(getattr(src, "name", "")).endswith("backup.zip"):  # only the copy out to the stick
            return
        dst.seek(100)
        dst.write(b"\0" * 16)  # a bad sector

    monkeypatch.setattr(shutil, "copyfileobj", flaky_stick)
    s = access.sign_in(folder, "lead", LEAD_PASSWORD)
    try:
        with pytest.raises(ValidationError) as failed:
            vault_admin.backup(s, tmp_path / "usb" / "b.schoolmh-backup")
    finally:
        s.close()
    assert "did not read back the same" in failed.value.message
    assert list((tmp_path / "usb").iterdir()) == []


def test_paths_past_260_characters(vault, tmp_path):
    folder, key = vault
    deep = tmp_path
    while len(str(deep)) < 300:
        deep = deep / ("a-long-folder-name-for-a-school-share-" + str(len(str(deep))))
    Path(fsutil.os_path(deep)).mkdir(parents=True)  # the \\?\ form on Windows, as SchoolMH uses
    target = deep / "SchoolMH backup 2026-12-03.schoolmh-backup"
    assert len(str(target)) > 300
    s = access.sign_in(folder, "lead", LEAD_PASSWORD)
    try:
        result = vault_admin.backup(s, target)
        assert result.path.exists()
        with pytest.raises(ValidationError) as too_long:  # a single name past the file system's limit
            vault_admin.backup(s, deep / ("x" * 300 + ".schoolmh-backup"))
    finally:
        s.close()
    assert "too long" in too_long.value.message
    vault_admin.restore(tmp_path / "restored", target, recovery_key=key)


def test_windows_long_path_form():
    long = "C:\\Users\\pat\\" + "\\".join(["folder" * 5] * 10) + "\\b.schoolmh-backup"
    assert fsutil.os_path(long, nt=True) == "\\\\?\\" + long
    unc = "\\\\server\\share\\" + "x" * 300
    assert fsutil.os_path(unc, nt=True) == "\\\\?\\UNC\\server\\share\\" + "x" * 300
    assert fsutil.os_path("C:\\short\\b.zip", nt=True) == "C:\\short\\b.zip"
    assert fsutil.os_path(long, nt=False) == long


def test_every_rename_goes_through_the_one_helper():
    """No module calls os.replace/os.rename directly: each would miss the retry."""
    root = Path(fsutil.__file__).parent
    offenders = [
        str(p.relative_to(root)) for p in root.rglob("*.py")
        if p.name != "fsutil.py" and ("os.replace(" in p.read_text() or "os.rename(" in p.read_text())
    ]
    assert offenders == []


def test_vault_busy_is_a_user_message_and_still_an_os_error():
    """Callers that tolerate a failed write (the attempt counter) keep doing so; the rest show the message."""
    assert issubclass(fsutil.FileBusy, SchoolMHError) and issubclass(fsutil.FileBusy, OSError)


def test_cli_restore_with_a_window_open_is_one_line_and_changes_nothing(vault, tmp_path, capsys):
    from schoolmh.cli import main as cli_main

    folder, key = vault
    backup_file = tmp_path / "b.schoolmh-backup"
    s = access.sign_in(folder, "lead", LEAD_PASSWORD)
    vault_admin.backup(s, backup_file)
    s.close()
    key_file = tmp_path / "key.txt"
    key_file.write_text(key)
    before = live_state(folder)
    window = subprocess.Popen([sys.executable, "-c", HOLD_WITH_QT, str(lock_path(folder))],
                              stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
    try:
        assert window.stdout.readline().strip() == "held"
        code = cli_main(["restore", str(backup_file), "--recovery-key-file", str(key_file), "--data-dir", str(folder)])
    finally:
        window.communicate("\n", timeout=30)
    err = capsys.readouterr().err
    assert code == 2 and err.count("\n") == 1 and "SchoolMH is open on this vault" in err
    assert live_state(folder) == before
