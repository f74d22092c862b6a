"""Rotating the vault's keys after a suspected compromise (vault_admin.rotate_keys, `schoolmh rotate-keys`).

One demo vault (a few dozen pupils, eight staff) is built per module, with a disabled
leaver, a remembered laptop and a backup made before any rotation; each test works
on its own copy. Crashes are simulated at each step of the rotation, and a real
kill -9 loop runs the rotation in a child process.
"""
from __future__ import annotations

import io
import os
import subprocess
import sys
import time

import pytest

from support import LEAD_PASSWORD, MemoryKeyring, file_sha256, keyring_backend, vault_copy
from schoolmh.cli import common
from schoolmh.cli import main as cli_main
from schoolmh.db import vault as vaultlib
from schoolmh.db.connection import DB_NAME, open_database
from schoolmh.db.keyfile import KEYFILE_NAME, KeyFile
from schoolmh.db.models import AuditEntry, Staff
from schoolmh.errors import DamagedDatabase, PermissionDenied, VaultBusy, WrongPassword, WrongRecoveryKey
from schoolmh.services import access, demo, users, vault_admin
from schoolmh.services.permissions import LEAD, PERMISSIONS, Action

PENDING = vaultlib.PENDING_KEYFILE_NAME
LEAVER = "pastoral3"
REMEMBERED = "pastoral1"


@pytest.fixture(scope="module")
def template(tmp_path_factory):
    """(folder, old recovery key, backup made before rotation, the keyring holding the remembered laptop)."""
    root = tmp_path_factory.mktemp("rotation")
    session, recovery = demo.create_demo_vault(root / "vault", 40, 1, LEAD_PASSWORD)
    ring = MemoryKeyring()
    try:
        users.disable(session, LEAVER)
        vault_admin.backup(session, root / "before.zip")
    finally:
        session.close()
    with keyring_backend(ring):  # a device slot is made by its own account (it wraps that account's signing key)
        remembered = access.sign_in(root / "vault", REMEMBERED, LEAD_PASSWORD)
        assert remembered.vault.remember_device(REMEMBERED)
        remembered.close()
    return root / "vault", recovery, root / "before.zip", ring


@pytest.fixture
def vault(template, tmp_path):
    folder, recovery, backup, ring = template
    copy = vault_copy(folder, tmp_path)
    own_ring = MemoryKeyring()
    own_ring.items = dict(ring.items)
    with keyring_backend(own_ring):
        yield copy, recovery, backup, own_ring


def table_counts(db) -> dict[str, int]:
    names = [r[0] for r in db.execute_sql(
        "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%'").fetchall()]
    return {name: db.execute_sql(f'SELECT count(*) FROM "{name}"').fetchone()[0] for name in names}


def vault_files(folder) -> dict[str, str]:
    """The key files and the audit head (the database's own bytes move with every sign-in and checkpoint)."""
    names = (KEYFILE_NAME, KEYFILE_NAME + ".bak", PENDING, vaultlib.AUDIT_HEAD_NAME)
    return {name: file_sha256(folder / name) for name in names if (folder / name).exists()}


# --- the whole rotation ---------------------------------------------------------------------------
def test_rotation_keeps_every_row_and_reissues_every_way_in(vault):
    folder, old_recovery, _backup, ring = vault
    session = access.sign_in(folder, "lead", LEAD_PASSWORD)
    before = table_counts(session.db)
    old_dek = session.vault.dek
    assert any(s.kind == "device" for s in session.vault.keyfile.slots)

    result = vault_admin.rotate_keys(session, LEAD_PASSWORD)

    assert session.vault.dek != old_dek
    after = table_counts(session.db)
    # the rotation's own row, and a signing key registered for each account given a new password and the recovery key
    assert after.pop("audit_entry") == before.pop("audit_entry") + 1 + len(result.new_passwords) + 1
    assert after.pop("audit_signature") == before.pop("audit_signature") + 1  # one transaction, signed by the lead
    assert after.pop("setting") <= before.pop("setting") + 1  # recovery_sheet_confirmed = False
    assert after == before and sum(after.values()) > 500
    assert session.db.execute_sql("PRAGMA integrity_check").fetchone()[0] == "ok"
    assert vault_admin.verify_audit(session).ok
    row = AuditEntry.select().where(AuditEntry.action == "vault.rotate").get()
    assert row.actor == session.actor.uuid and row.detail == "accounts=7"  # no names, a count

    others = {s.username for s in Staff.select().where(Staff.active & (Staff.username != "lead"))}
    assert set(result.new_passwords) == others and LEAVER not in result.new_passwords
    assert all(s.must_change_password == (s.username in others) for s in Staff.select().where(Staff.active))
    assert result.recovery_key not in repr(result) and not any(p in repr(result) for p in result.new_passwords.values())
    session.close()

    # The files: no pending key file; .bak is the new key file; no device slot; keyring entry gone.
    assert not (folder / PENDING).exists()
    assert (folder / (KEYFILE_NAME + ".bak")).read_bytes() == (folder / KEYFILE_NAME).read_bytes()
    keyfile = KeyFile.load(folder / KEYFILE_NAME)
    assert [s.kind for s in keyfile.slots].count("user") == len(others) + 1
    assert not any(s.kind == "device" for s in keyfile.slots) and not ring.items
    assert vaultlib.unlock_with_device(folder, REMEMBERED) is None
    with pytest.raises(DamagedDatabase):  # the old data key opens nothing here any more
        open_database(folder / DB_NAME, old_dek)

    # Old secrets are refused; new ones work.
    with pytest.raises(WrongRecoveryKey):
        vaultlib.unlock_with_recovery(folder, old_recovery)
    with pytest.raises(WrongPassword):
        access.sign_in(folder, "pastoral2", LEAD_PASSWORD)
    for name, password in result.new_passwords.items():
        signed_in = access.sign_in(folder, name, password)
        assert access.login_required_change(signed_in)
        signed_in.close()
    vaultlib.unlock_with_recovery(folder, result.recovery_key).close()
    lead = access.sign_in(folder, "lead", LEAD_PASSWORD)
    assert not access.login_required_change(lead)
    assert vault_admin.verify_audit(lead).ok
    lead.close()


def test_backup_made_before_rotation_restores_with_the_old_credentials(vault, tmp_path):
    folder, old_recovery, backup, _ring = vault
    session = access.sign_in(folder, "lead", LEAD_PASSWORD)
    result = vault_admin.rotate_keys(session, LEAD_PASSWORD)
    vault_admin.backup(session, tmp_path / "after.zip")  # same session, new key
    session.close()
    vault_admin.restore(tmp_path / "restored-after", tmp_path / "after.zip", recovery_key=result.recovery_key)
    with pytest.raises(WrongRecoveryKey):
        vault_admin.restore(tmp_path / "refused", tmp_path / "after.zip", recovery_key=old_recovery)
    for credentials in ({"recovery_key": old_recovery}, {"username": "lead", "password": LEAD_PASSWORD}):
        target = tmp_path / ("restored-" + next(iter(credentials)))
        vault_admin.restore(target, backup, **credentials)
        vaultlib.unlock_with_recovery(target, old_recovery).close()
        # The staff's passwords of that day open it too.
        access.sign_in(target, "pastoral2", LEAD_PASSWORD).close()


def test_wrong_lead_password_changes_nothing(vault):
    folder = vault[0]
    session = access.sign_in(folder, "lead", LEAD_PASSWORD)
    files = vault_files(folder)
    with pytest.raises(WrongPassword):
        vault_admin.rotate_keys(session, "not the lead's password at all")
    session.close()
    assert vault_files(folder) == files


@pytest.mark.parametrize("name", ["pastoral2", "head", "mhst1"])
def test_only_a_lead_may_rotate(vault, name):
    assert PERMISSIONS[Action.VAULT_ROTATE] == frozenset({LEAD})
    folder = vault[0]
    session = access.sign_in(folder, name, LEAD_PASSWORD)
    files = vault_files(folder)
    with pytest.raises(PermissionDenied):
        vault_admin.rotate_keys(session, LEAD_PASSWORD)
    session.close()
    assert vault_files(folder) == files


# --- crashes and failures at each step ------------------------------------------------------------
def test_failed_rekey_leaves_the_old_keys_working(vault):
    """Step 2 fails before its commit (another process holds the write lock): nothing changes."""
    folder, old_recovery, _backup, _ring = vault
    session = access.sign_in(folder, "lead", LEAD_PASSWORD)
    keys_before = file_sha256(folder / KEYFILE_NAME)
    other = open_database(folder / DB_NAME, session.vault.dek)
    other.execute_sql("BEGIN IMMEDIATE")
    session.db.execute_sql("PRAGMA busy_timeout = 50")
    try:
        with pytest.raises(VaultBusy):
            vault_admin.rotate_keys(session, LEAD_PASSWORD)
    finally:
        other.execute_sql("ROLLBACK")
        other.close()
    assert not (folder / PENDING).exists()
    assert file_sha256(folder / KEYFILE_NAME) == keys_before
    # The session carries on under the old key: it reads, writes and verifies.
    users.set_role(session, "pastoral2", "head")
    assert vault_admin.verify_audit(session).ok
    assert not AuditEntry.select().where(AuditEntry.action == "vault.rotate").exists()
    session.close()
    vaultlib.unlock_with_recovery(folder, old_recovery).close()
    access.sign_in(folder, "mhst1", LEAD_PASSWORD).close()


def test_crash_between_rekey_and_replacing_the_key_file_is_finished_at_unlock(vault, monkeypatch):
    """Step 3 never happens: vault.keys's data key no longer opens the database, .next's does."""
    folder, old_recovery, _backup, _ring = vault
    session = access.sign_in(folder, "lead", LEAD_PASSWORD)
    before = table_counts(session.db)

    def crash(*_args, **_kwargs):
        raise OSError("power cut")

    monkeypatch.setattr(vaultlib, "promote_keyfile", crash)
    with pytest.raises(OSError):
        vault_admin.rotate_keys(session, LEAD_PASSWORD)
    session.close()
    monkeypatch.undo()
    assert (folder / PENDING).exists()

    # Credentials that only vault.keys knows say what happened and change nothing.
    files = vault_files(folder)
    for attempt in (lambda: vaultlib.unlock_with_recovery(folder, old_recovery),
                    lambda: access.sign_in(folder, "pastoral2", LEAD_PASSWORD)):
        with pytest.raises(DamagedDatabase, match="keys were being replaced"):
            attempt()
    assert vaultlib.unlock_with_device(folder, REMEMBERED) is None  # the laptop falls back to the password
    assert vault_files(folder) == files

    # The lead's password finishes the rotation.
    session = access.sign_in(folder, "lead", LEAD_PASSWORD)
    assert not (folder / PENDING).exists()
    assert KeyFile.load(folder / KEYFILE_NAME).to_bytes() == KeyFile.load(folder / (KEYFILE_NAME + ".bak")).to_bytes()
    after = table_counts(session.db)
    # The rotation was recorded under the new key before vault.keys was to be replaced (its row, a
    # signing key for each other account and for the recovery key), then the sign-in.
    others = Staff.select().where(Staff.active & (Staff.username != "lead")).count()
    assert after.pop("audit_entry") == before.pop("audit_entry") + 1 + others + 1 + 1
    assert after.pop("audit_signature") == before.pop("audit_signature") + 2
    assert after.pop("setting") <= before.pop("setting") + 1  # recovery_sheet_confirmed = False
    assert after == before
    assert session.db.execute_sql("PRAGMA integrity_check").fetchone()[0] == "ok"
    assert vault_admin.verify_audit(session).ok
    session.close()
    access.sign_in(folder, "lead", LEAD_PASSWORD).close()


def test_crash_after_writing_the_new_key_file_leaves_the_old_keys(vault):
    """Step 1 done, step 2 never started: vault.keys still opens; a .next an hour old is tidied."""
    folder, old_recovery, _backup, _ring = vault
    (folder / PENDING).write_bytes((folder / KEYFILE_NAME).read_bytes())
    access.sign_in(folder, "lead", LEAD_PASSWORD).close()
    assert (folder / PENDING).exists()  # young: perhaps another window is rotating right now
    old = time.time() - vaultlib.STALE_PENDING_SECONDS - 5
    os.utime(folder / PENDING, (old, old))
    vaultlib.unlock_with_recovery(folder, old_recovery).close()
    assert not (folder / PENDING).exists()


def test_head_file_reads_under_either_key_during_a_rotation(vault):
    """The audit head is MAC'd under both keys from before the rekey until the key file is replaced."""
    folder = vault[0]
    session = access.sign_in(folder, "lead", LEAD_PASSWORD)
    heads = session.vault.read_audit_heads()
    new_dek = os.urandom(32)
    session.vault._write_head_file(heads[0], None, next_dek=new_dek)
    assert session.vault.read_audit_heads() == heads[:1]
    old_dek, session.vault.dek = session.vault.dek, new_dek
    assert session.vault.read_audit_heads() == heads[:1]
    session.vault.dek = os.urandom(32)  # a key that is neither: refused
    with pytest.raises(ValueError):
        session.vault.read_audit_heads()
    session.vault.dek = old_dek
    session.close()


_CHILD = """
import sys
from schoolmh.services import access, vault_admin
session = access.sign_in(sys.argv[1], "lead", sys.argv[2])
print("go", flush=True)
vault_admin.rotate_keys(session, sys.argv[2])
session.close()
print("done", flush=True)
"""


def test_kill_during_rotation_always_leaves_the_lead_a_way_in(template, tmp_path):
    """kill -9 at random moments of a real rotation: the lead's password opens every time, with every row."""
    folder, _recovery, _backup, _ring = template
    with open_vault_counts(folder) as expected:
        pass
    env = dict(os.environ, SCHOOLMH_TEST_FAST_KDF="1")

    def start(copy):
        child = subprocess.Popen([sys.executable, "-c", _CHILD, str(copy), LEAD_PASSWORD],
                                 stdout=subprocess.PIPE, text=True, env=env)
        assert child.stdout.readline().strip() == "go"
        return child, time.perf_counter()

    child, began = start(vault_copy(folder, tmp_path, "timed"))  # how long one rotation takes here
    assert child.stdout.readline().strip() == "done"
    took = time.perf_counter() - began
    child.wait()
    child.stdout.close()
    outcomes = set()
    for i in range(6):
        copy = vault_copy(folder, tmp_path, f"v{i}")
        child, _ = start(copy)
        time.sleep(took * i / 5)  # from at once to about when it would finish
        child.kill()
        child.wait()
        child.stdout.close()
        pending = (copy / PENDING).exists()
        session = access.sign_in(copy, "lead", LEAD_PASSWORD)
        counts = table_counts(session.db)
        assert counts.pop("audit_entry") >= expected["audit_entry"]
        assert counts.pop("setting") >= expected["setting"]
        assert counts.pop("audit_signature") >= expected["audit_signature"]
        assert counts == {k: v for k, v in expected.items() if k not in ("audit_entry", "setting", "audit_signature")}
        assert session.db.execute_sql("PRAGMA integrity_check").fetchone()[0] == "ok"
        assert vault_admin.verify_audit(session).ok
        outcomes.add((pending, AuditEntry.select().where(AuditEntry.action == "vault.rotate").exists()))
        session.close()
    print(f"one rotation {took * 1000:.0f} ms; (.next left, rotation recorded) after the kills:", sorted(outcomes))


class open_vault_counts:
    """Row counts of a vault, read with the lead's password in a context (closed afterwards)."""

    def __init__(self, folder) -> None:
        self.folder = folder

    def __enter__(self) -> dict[str, int]:
        self.session = access.sign_in(self.folder, "lead", LEAD_PASSWORD)
        return table_counts(self.session.db)

    def __exit__(self, *exc) -> None:
        self.session.close()


# --- the command -----------------------------------------------------------------------------------
def test_cli_rotate_keys(vault, tmp_path, monkeypatch, capsys):
    folder, old_recovery, _backup, _ring = vault
    key_file = tmp_path / "new-recovery.txt"
    for name in ("SCHOOLMH_PASSWORD", "SCHOOLMH_USER", "SCHOOLMH_DATA_DIR"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setattr(sys, "stdin", io.StringIO(LEAD_PASSWORD + "\n"))
    monkeypatch.setattr(common, "_stdin_lines", None)
    code = cli_main(["rotate-keys", "--data-dir", str(folder), "--password-stdin", "--recovery-key-file", str(key_file)])
    out, err = capsys.readouterr()
    assert code == 0, err
    assert LEAD_PASSWORD not in out
    new_key = next(line for line in key_file.read_text().splitlines() if vaultlib.crypto.parse_recovery_key(line))
    assert new_key not in out
    vaultlib.unlock_with_recovery(folder, new_key).close()
    with pytest.raises(WrongRecoveryKey):
        vaultlib.unlock_with_recovery(folder, old_recovery)
    lines = [line.split() for line in out.splitlines() if line.startswith("  ")]
    assert {parts[0] for parts in lines} == {"lead2", "pastoral1", "pastoral2", "head", "mhst1", "mhst2"}
    name, password = lines[0]
    access.sign_in(folder, name, password).close()

    # An existing file is refused before anything changes.
    files = vault_files(folder)
    monkeypatch.setattr(sys, "stdin", io.StringIO(LEAD_PASSWORD + "\n"))
    monkeypatch.setattr(common, "_stdin_lines", None)
    code = cli_main(["rotate-keys", "--data-dir", str(folder), "--password-stdin", "--recovery-key-file", str(key_file)])
    out, err = capsys.readouterr()
    assert code != 0 and "already exists" in err and "Traceback" not in err
    assert vault_files(folder) == files


# --- the Admin → Vault button ------------------------------------------------------------------------
def test_admin_vault_button_shows_the_new_secrets_once(qtbot, lead_session, vault_dir, monkeypatch):
    from schoolmh.services import settings
    from schoolmh.ui import ops
    from schoolmh.ui.context import AppContext
    from schoolmh.ui.pages import admin
    from schoolmh.ui.recovery import NewRecoveryKeyDialog

    added = users.add_user(lead_session, "pastoral1", "Pat Pastoral", "pastoral")
    ctx = AppContext(vault_dir)
    ctx.session = lead_session
    tab = admin.VaultTab(ctx)
    qtbot.addWidget(tab)
    tab.show()
    shown: list[list[str]] = []  # the texts of each one-time-passwords dialog
    monkeypatch.setattr(admin.OneTimePasswordsDialog, "exec",
                        lambda self: shown.append([label.text() for label in self.findChildren(admin.QLabel)]) or 0)
    asked = []  # issue 13.1: the click used to skip both questions and say "That is not your password"
    monkeypatch.setattr(admin, "confirm", lambda *a, **k: asked.append(a[1]) or True)
    monkeypatch.setattr(admin.QInputDialog, "getText", lambda *a, **k: asked.append(a[1]) or (LEAD_PASSWORD, True))
    qtbot.mouseClick(tab.rotate_button, admin.Qt.MouseButton.LeftButton)
    assert asked == ["Rotate all keys", "Rotate all keys"]  # the warning, then the password
    qtbot.waitUntil(lambda: ops.running() == 0 and tab.findChild(NewRecoveryKeyDialog) is not None, timeout=10000)
    assert len(shown) == 1
    dialog = tab.findChild(NewRecoveryKeyDialog)
    key = dialog.panel.key
    assert "Every key was replaced" in tab.result.toPlainText()
    assert not settings.load().recovery_sheet_confirmed
    dialog.panel.stored.setChecked(True)
    dialog.close_button.click()
    assert settings.load().recovery_sheet_confirmed
    ctx.session = None
    lead_session.close()
    vaultlib.unlock_with_recovery(vault_dir, key).close()
    with pytest.raises(WrongPassword):
        access.sign_in(vault_dir, "pastoral1", added.generated_password)
    one_time = next(text for text in shown[0] if text not in ("pastoral1:",) and len(text) < 40)
    signed_in = access.sign_in(vault_dir, "pastoral1", one_time)
    assert access.login_required_change(signed_in)
    signed_in.close()
