"""`SchoolMH --selftest`: every check passes here, a failing check is reported and makes the exit non-zero."""
from __future__ import annotations

import os
import subprocess
import sys

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
