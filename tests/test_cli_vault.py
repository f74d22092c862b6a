"""The headless vault commands: exit codes, one-line errors on stderr, no tracebacks, secrets never in argv.

Most run in-process through schoolmh.cli.main (fast); two run as real processes.
"""
from __future__ import annotations

import os
import subprocess
import sys
import zipfile

import pytest

from support import LEAD_PASSWORD, one_line_error
from schoolmh.db.crypto import parse_recovery_key
from schoolmh.services import access

NEW = "a different long password"


@pytest.fixture
def school(tmp_path, cli):
    """An initialised vault: (data dir, recovery key file)."""
    data, keyfile = tmp_path / "data", tmp_path / "recovery.txt"
    code, out, err = cli(
        "init", "--data-dir", data, "--school", "Oakfield Academy", "--admin", "lead",
        "--admin-name", "Alex Lead", "--recovery-key-file", keyfile, env={"SCHOOLMH_PASSWORD": LEAD_PASSWORD},
    )
    assert code == 0, err
    return data, keyfile


def lead_env(**extra: str) -> dict[str, str]:
    return {"SCHOOLMH_PASSWORD": LEAD_PASSWORD, **extra}


# --- init ---------------------------------------------------------------------------------------
def test_init_writes_the_recovery_key_file(school, cli):
    data, keyfile = school
    text = keyfile.read_text()
    key = next(line for line in text.splitlines() if parse_recovery_key(line))
    if os.name == "posix":
        assert keyfile.stat().st_mode & 0o077 == 0  # readable by its owner only
    assert cli("unlock-check", "--data-dir", data, env=lead_env())[0] == 0
    assert key


def test_init_password_from_stdin(tmp_path, cli):
    code, out, err = cli(
        "init", "--data-dir", tmp_path / "d", "--school", "Oakfield", "--admin", "lead",
        "--recovery-key-file", tmp_path / "k.txt", "--password-stdin", stdin=LEAD_PASSWORD + "\n",
    )
    assert code == 0, err
    assert cli("unlock-check", "--data-dir", tmp_path / "d", "--password-stdin", stdin=LEAD_PASSWORD + "\n")[0] == 0


@pytest.mark.parametrize(
    "case,expect",
    [
        ("again", "already a SchoolMH vault"),
        ("weak", "at least 12 characters"),
        ("no password", "No password given"),
        ("bad user name", "user name is 2"),
    ],
)
def test_init_failures(school, tmp_path, cli, case, expect):
    data, _ = school
    target = data if case == "again" else tmp_path / "other"
    env = {} if case == "no password" else {"SCHOOLMH_PASSWORD": "short" if case == "weak" else LEAD_PASSWORD}
    admin = "x" if case == "bad user name" else "lead"
    code, out, err = cli(
        "init", "--data-dir", target, "--school", "S", "--admin", admin, "--recovery-key-file", tmp_path / "k2.txt", env=env
    )
    assert code == 2
    assert expect in one_line_error(err)
    assert not (tmp_path / "k2.txt").exists()


# --- users --------------------------------------------------------------------------------------
def test_users_add_generates_a_password_shown_once(school, cli):
    data, _ = school
    code, out, err = cli("users", "add", "pat", "--name", "Pat Pastoral", "--role", "pastoral", "--data-dir", data, env=lead_env())
    assert code == 0, err
    line = next(line for line in out.splitlines() if "shown once" in line)
    generated = line.rsplit(": ", 1)[1].strip()
    assert len(generated) >= 12
    s = access.sign_in(data, "pat", generated)
    assert access.login_required_change(s)
    s.close()
    code, out, err = cli("users", "list", "--data-dir", data, env=lead_env())
    assert code == 0 and "pat" in out and "Pat Pastoral" in out and generated not in out


def test_users_add_with_a_chosen_password(school, cli):
    data, _ = school
    code, out, err = cli(
        "users", "add", "hana", "--name", "Hana Head", "--role", "head", "--data-dir", data,
        env=lead_env(SCHOOLMH_NEW_PASSWORD="head teacher password"),
    )
    assert code == 0 and "shown once" not in out
    assert cli("unlock-check", "--data-dir", data, "--user", "hana", env={"SCHOOLMH_PASSWORD": "head teacher password"})[0] == 0


def test_users_set_password_and_disable(school, cli):
    data, _ = school
    env = lead_env(SCHOOLMH_NEW_PASSWORD="pastoral password 1")
    assert cli("users", "add", "pat", "--name", "Pat", "--role", "pastoral", "--data-dir", data, env=env)[0] == 0
    # lead's password and the new one, one per stdin line
    code, out, err = cli(
        "users", "set-password", "pat", "--data-dir", data, "--password-stdin",
        stdin=f"{LEAD_PASSWORD}\npat's brand new password\n",
    )
    assert code == 0, err
    assert cli("unlock-check", "--data-dir", data, "--user", "pat", env={"SCHOOLMH_PASSWORD": "pat's brand new password"})[0] == 0
    assert cli("users", "disable", "pat", "--data-dir", data, env=lead_env())[0] == 0
    code, out, err = cli("unlock-check", "--data-dir", data, "--user", "pat", env={"SCHOOLMH_PASSWORD": "pat's brand new password"})
    assert code == 2 and "do not match" in one_line_error(err)
    code, out, err = cli("users", "list", "--data-dir", data, env=lead_env())
    assert "disabled" in out


def test_users_commands_refused_for_other_roles(school, cli):
    data, _ = school
    env = lead_env(SCHOOLMH_NEW_PASSWORD="pastoral password 1")
    cli("users", "add", "pat", "--name", "Pat", "--role", "pastoral", "--data-dir", data, env=env)
    code, out, err = cli("users", "list", "--data-dir", data, "--user", "pat", env={"SCHOOLMH_PASSWORD": "pastoral password 1"})
    assert code == 2 and "cannot manage staff accounts" in one_line_error(err)
    code, out, err = cli("backup", "--out", data.parent / "b.zip", "--data-dir", data, env={"SCHOOLMH_USER": "pat", "SCHOOLMH_PASSWORD": "pastoral password 1"})
    assert code == 2 and "cannot make backups" in one_line_error(err)


# --- unlock-check and recover -------------------------------------------------------------------
def test_unlock_check_exit_codes(school, tmp_path, cli):
    data, _ = school
    code, out, err = cli("unlock-check", "--data-dir", data, env=lead_env())
    assert code == 0 and "opens the vault" in out and "Last sign-in" in out
    code, out, err = cli("unlock-check", "--data-dir", data, env={"SCHOOLMH_PASSWORD": "wrong wrong wrong"})
    assert code == 2 and "do not match" in one_line_error(err)
    code, out, err = cli("unlock-check", "--data-dir", data)
    assert code == 2 and "No password given" in one_line_error(err)
    code, out, err = cli("unlock-check", "--data-dir", tmp_path / "nowhere", env=lead_env())
    assert code == 2 and "no SchoolMH vault" in one_line_error(err)
    (data / "vault.keys").write_text("{broken")
    code, out, err = cli("unlock-check", "--data-dir", data, env=lead_env())
    assert code == 2 and "key file is damaged" in one_line_error(err)


def test_data_dir_and_user_from_environment(school, cli):
    data, _ = school
    assert cli("unlock-check", env=lead_env(SCHOOLMH_DATA_DIR=str(data), SCHOOLMH_USER="lead"))[0] == 0


def test_recover(school, tmp_path, cli):
    data, keyfile = school
    code, out, err = cli("recover", "--data-dir", data, "--recovery-key-file", keyfile, "--user", "lead", env={"SCHOOLMH_PASSWORD": NEW})
    assert code == 0, err
    assert cli("unlock-check", "--data-dir", data, env=lead_env())[0] == 2
    assert cli("unlock-check", "--data-dir", data, env={"SCHOOLMH_PASSWORD": NEW})[0] == 0
    wrong = tmp_path / "wrong.txt"
    wrong.write_text("ABCD-EFGH-JKMN-PQRS-TVWX-YZ01-23")
    code, out, err = cli("recover", "--data-dir", data, "--recovery-key-file", wrong, "--user", "lead", env={"SCHOOLMH_PASSWORD": NEW})
    assert code == 2 and "recovery key" in one_line_error(err)
    code, out, err = cli("recover", "--data-dir", data, "--recovery-key-file", tmp_path / "missing.txt", "--user", "lead", env={"SCHOOLMH_PASSWORD": NEW})
    assert code == 2 and "Cannot read the recovery key file" in one_line_error(err)
    code, out, err = cli("recover", "--data-dir", data, "--recovery-key-file", keyfile, env={"SCHOOLMH_PASSWORD": NEW})
    assert code == 2 and "--user" in one_line_error(err)


# --- backup, restore, audit verify -------------------------------------------------------------
def test_backup_and_restore(school, tmp_path, cli):
    data, keyfile = school
    out_file = tmp_path / "backups" / "monday.zip"
    code, out, err = cli("backup", "--out", out_file, "--data-dir", data, env=lead_env())
    assert code == 0 and "integrity_check" in out, err
    assert zipfile.is_zipfile(out_file)
    code, out, err = cli("restore", out_file, "--data-dir", tmp_path / "laptop2", "--recovery-key-file", keyfile)
    assert code == 0, err
    code, out, err = cli("restore", out_file, "--data-dir", data, env=lead_env())
    assert code == 0 and "kept in" in out, err
    assert cli("unlock-check", "--data-dir", tmp_path / "laptop2", env=lead_env())[0] == 0
    code, out, err = cli("restore", tmp_path / "nope.zip", "--data-dir", data, env=lead_env())
    assert code == 2 and "no backup file" in one_line_error(err)
    (tmp_path / "junk.zip").write_bytes(b"not a zip")
    code, out, err = cli("restore", tmp_path / "junk.zip", "--data-dir", data, env=lead_env())
    assert code == 2 and "not a SchoolMH backup" in one_line_error(err)


def test_audit_verify(school, cli):
    data, _ = school
    code, out, err = cli("audit", "verify", "--data-dir", data, env=lead_env())
    assert code == 0 and "intact" in out
    s = access.sign_in(data, "lead", LEAD_PASSWORD)
    s.db.execute_sql("DROP TRIGGER audit_entry_no_update")
    s.db.execute_sql("UPDATE audit_entry SET detail = 'role=head' WHERE seq = 1")
    s.close()
    code, out, err = cli("audit", "verify", "--data-dir", data, env=lead_env())
    assert code == 1
    assert "row 1" in one_line_error(err) and "edited" in err


# --- failures: one line, no traceback, detail only in the log -----------------------------------
def test_unexpected_error_is_one_line_and_logged_without_detail(school, cli, monkeypatch, tmp_path):
    from schoolmh.logs import log_dir
    from schoolmh.services import users

    data, _ = school

    def broken(session):
        raise RuntimeError("bug while listing Zebedee Quirkfeather")

    monkeypatch.setattr(users, "list_users", broken)
    code, out, err = cli("users", "list", "--data-dir", data, env=lead_env())
    assert code == 70
    line = one_line_error(err)
    assert "Nothing was changed" in line and "Zebedee" not in line
    log = (log_dir() / "schoolmh.log").read_text()
    assert "RuntimeError" in log and "cli users" in log and "Zebedee" not in log


def test_usage_errors_exit_2(cli):
    code, out, err = cli("users", "add", "pat")
    assert code == 2 and "Traceback" not in err


def test_no_command_prints_help(cli):
    code, out, err = cli()
    assert code == 2 and "usage" in out.lower()


def test_secrets_are_never_arguments(cli):
    from schoolmh.cli import build_parser

    text = build_parser().format_help()
    for sub in ("init", "unlock-check", "recover", "backup", "restore"):
        code, out, err = cli(sub, "--help")
        assert "--password " not in out and "--password=" not in out
    assert "--password " not in text


# --- as real processes ---------------------------------------------------------------------------
def _run(*args, env=None, stdin=""):
    full = dict(os.environ, **(env or {}))
    for name in ("SCHOOLMH_PASSWORD", "SCHOOLMH_NEW_PASSWORD", "SCHOOLMH_USER"):
        if env is None or name not in env:
            full.pop(name, None)
    return subprocess.run(
        [sys.executable, "-m", "schoolmh", *map(str, args)], input=stdin, capture_output=True, text=True, env=full,
        timeout=60,
    )


def test_as_a_process_init_and_unlock_check(tmp_path):
    data = tmp_path / "d"
    proc = _run("init", "--data-dir", data, "--school", "Oakfield", "--admin", "lead", "--recovery-key-file",
                tmp_path / "k.txt", "--password-stdin", stdin=LEAD_PASSWORD + "\n")
    assert proc.returncode == 0, proc.stderr
    proc = _run("unlock-check", "--data-dir", data, "--password-stdin", stdin=LEAD_PASSWORD + "\n")
    assert proc.returncode == 0 and "opens the vault" in proc.stdout
    proc = _run("unlock-check", "--data-dir", data, env={"SCHOOLMH_PASSWORD": "nope nope nope"})
    assert proc.returncode == 2 and proc.stderr.count("\n") == 1 and "Traceback" not in proc.stderr


def test_as_a_process_version():
    proc = _run("--version")
    assert proc.returncode == 0 and "SchoolMH" in proc.stdout
