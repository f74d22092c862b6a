"""CLI output is UTF-8 even where the console or a redirection says cp1252 (Windows' ANSI code page).

Real processes with PYTHONIOENCODING=cp1252, which is what Python picks for a redirected stdout on an
English Windows laptop: without the fix, listing a colleague called Nguyễn fails with UnicodeEncodeError.
"""
from __future__ import annotations

import os
import subprocess
import sys

from support import LEAD_PASSWORD

STAFF_NAME = "Łukasz Nguyễn"  # neither ł nor ễ exists in cp1252


def run(*args: str, tmp_path) -> subprocess.CompletedProcess[bytes]:
    env = dict(
        os.environ,
        PYTHONIOENCODING="cp1252",
        SCHOOLMH_PASSWORD=LEAD_PASSWORD,
        SCHOOLMH_LOG_DIR=str(tmp_path / "logs"),
        SCHOOLMH_TEST_FAST_KDF="1",
    )
    env.pop("SCHOOLMH_USER", None)
    return subprocess.run([sys.executable, "-m", "schoolmh", *args], capture_output=True, env=env, timeout=120)


def test_staff_names_print_through_a_cp1252_stdout(tmp_path):
    data = str(tmp_path / "vault")
    init = run("init", "--data-dir", data, "--school", "Oakfield Academy", "--admin", "lead",
               "--admin-name", STAFF_NAME, "--recovery-key-file", str(tmp_path / "key.txt"), tmp_path=tmp_path)
    assert init.returncode == 0, init.stderr.decode("utf-8", "replace")
    listed = run("users", "list", "--data-dir", data, tmp_path=tmp_path)
    assert listed.returncode == 0, listed.stderr.decode("utf-8", "replace")
    assert STAFF_NAME in listed.stdout.decode("utf-8")  # strict decode: the bytes are UTF-8
    assert listed.stderr == b""


def test_a_one_line_error_naming_a_file_prints_through_a_cp1252_stderr(tmp_path):
    data = str(tmp_path / "vault")
    assert run("init", "--data-dir", data, "--school", "Oakfield Academy", "--admin", "lead", "--admin-name", "Alex Lead",
               "--recovery-key-file", str(tmp_path / "key.txt"), tmp_path=tmp_path).returncode == 0
    missing = tmp_path / f"{STAFF_NAME} pupils.csv"
    proc = run("import", "pupils", str(missing), "--data-dir", data, tmp_path=tmp_path)
    err = proc.stderr.decode("utf-8")
    assert proc.returncode == 2, err
    assert err.count("\n") == 1 and err.startswith("schoolmh: ") and f"{STAFF_NAME} pupils.csv" in err
    assert "something went wrong" not in err
