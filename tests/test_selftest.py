"""`SchoolMH --selftest`: every check passes here, a failing check is reported and makes the exit non-zero."""
from __future__ import annotations

import os
import subprocess
import sys

import pytest

from schoolmh import selftest


def test_selftest_passes_as_a_process():
    env = dict(os.environ, QT_QPA_PLATFORM="offscreen")
    proc = subprocess.run([sys.executable, "-m", "schoolmh", "--selftest"], capture_output=True, text=True, env=env, timeout=120)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    lines = proc.stdout.splitlines()
    checks = [line for line in lines[1:-1]]
    assert len(checks) == len(selftest.CHECKS)
    assert all(line.startswith("ok  ") for line in checks), proc.stdout
    for name, _ in selftest.CHECKS:
        assert any(line.startswith(f"ok  {name}: ") for line in checks)
    assert "SQLCipher 4." in proc.stdout and lines[-1] == "self-test passed"


def test_a_failing_check_is_reported_and_exits_non_zero(monkeypatch, capsys):
    def broken():
        raise RuntimeError("libsqlcipher missing from the bundle")

    monkeypatch.setattr(selftest, "CHECKS", [("sqlcipher", broken), ("keyring", selftest.check_keyring)])
    assert selftest.run_selftest() == 1
    out = capsys.readouterr().out.splitlines()
    assert out[1] == "FAIL sqlcipher: RuntimeError: libsqlcipher missing from the bundle"
    assert out[2].startswith("ok  keyring: ") and "FAILED: 1 of 2" in out[3]


def test_skipped_pdf_is_a_failure_only_in_a_built_app(monkeypatch, capsys):
    monkeypatch.setattr(selftest, "CHECKS", [("pdf", lambda: "skipped: not written yet")])
    assert selftest.run_selftest() == 0
    monkeypatch.setattr(sys, "frozen", True, raising=False)
    assert selftest.run_selftest() == 1
    assert "FAIL pdf: skipped" in capsys.readouterr().out


def test_gui_entry_point_routes_selftest(monkeypatch):
    from schoolmh import __main__ as entry

    monkeypatch.setattr(selftest, "run_selftest", lambda: 42)
    assert entry.main(["--selftest"]) == 42


# --- the real window system on Windows and macOS ---------------------------------------------------
def test_selftest_uses_the_real_platform_plugin_on_windows_and_macos():
    """qwindows and cocoa whatever QT_QPA_PLATFORM says (CI sets offscreen for the suite)."""
    assert selftest.qt_platform("win32", {"QT_QPA_PLATFORM": "offscreen"}) == "windows"
    assert selftest.qt_platform("darwin", {"QT_QPA_PLATFORM": "offscreen"}) == "cocoa"
    assert selftest.qt_platform("linux", {"QT_QPA_PLATFORM": "offscreen"}) == "offscreen"
    assert selftest.qt_platform("linux", {"DISPLAY": ":0"}) == ""  # a Linux desktop: Qt's own choice (xcb or wayland)
    assert selftest.qt_platform("linux", {}) == "offscreen"  # a build machine without a display


# --- keyring: a real set/get/delete round trip --------------------------------------------------------
def test_keyring_check_stores_reads_and_deletes():
    from support import MemoryKeyring, keyring_backend

    with keyring_backend(MemoryKeyring()) as ring:
        detail = selftest.check_keyring()
        assert detail == "set, get and delete with support.MemoryKeyring" and ring.items == {}


def test_keyring_check_on_windows_proves_local_machine_persistence(monkeypatch):
    from support import keyring_backend
    from winvault_sim import CredentialManager, win_vault_keyring

    manager = CredentialManager()
    with keyring_backend(win_vault_keyring(manager, monkeypatch)):
        detail = selftest.check_keyring()
    assert detail.endswith("WinVaultKeyring (local machine persistence)") and manager.credentials == {}


def test_keyring_check_fails_when_the_secret_does_not_come_back():
    from support import MemoryKeyring, keyring_backend

    class Forgetful(MemoryKeyring):
        def get_password(self, service, username):
            return None

    with keyring_backend(Forgetful()) as ring:
        with pytest.raises(RuntimeError, match="did not return the secret it stored"):
            selftest.check_keyring()
        assert ring.items == {}  # deleted even so
