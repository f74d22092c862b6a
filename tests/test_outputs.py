"""Outputs cannot destroy the vault (issue 11 item 5), and files are private (item 8).

Played as a user with the CLI: every command that writes a file is pointed at the vault's own
files, at an existing file, through a symbolic link; the vault must be byte for byte as it was.
"""
from __future__ import annotations

import os
import stat

import pytest

from support import file_sha256, one_line_error
from schoolmh import fsutil
from schoolmh.db.connection import DB_NAME
from schoolmh.db.keyfile import KEYFILE_NAME
from schoolmh.services import access
from test_cli_vault import lead_env, school  # noqa: F401 - fixtures

POSIX = pytest.mark.skipif(os.name != "posix", reason="POSIX permission bits")


def vault_files(data) -> dict[str, str]:
    return {p.name: file_sha256(p) for p in sorted(data.iterdir()) if p.is_file() and p.name != "unlock-attempts.json"}


@pytest.mark.parametrize(
    "command",
    [
        ["export", "all", "--out", "{data}/schoolmh.db"],
        ["export", "all", "--out", "{data}/schoolmh.db", "--force"],
        ["backup", "--out", "{data}/vault.keys", "--force"],
        ["backup", "--out", "{data}/backups/monday.schoolmh-backup"],
        ["report", "governors", "--term", "autumn", "--year", "2026", "--out", "{data}/audit.head", "--force"],
        ["rotate-keys", "--recovery-key-file", "{data}/vault.keys.bak", "--force"],
    ],
    ids=["export over the database", "export --force over the database", "backup over the key file",
         "backup into a subfolder", "report over the audit head", "rotate-keys key file into the vault"],
)
def test_no_output_lands_in_the_data_folder(school, cli, command):  # noqa: F811
    data, _ = school
    before = vault_files(data)
    args = [part.format(data=data) for part in command]
    code, out, err = cli(*args, "--data-dir", data, env=lead_env())
    assert code == 2 and "inside the vault's data folder" in one_line_error(err)
    assert vault_files(data) == before
    assert not (data / "backups").exists()
    assert cli("unlock-check", "--data-dir", data, env=lead_env())[0] == 0


def test_a_link_into_the_data_folder_is_refused(school, cli, tmp_path):  # noqa: F811
    data, _ = school
    before = vault_files(data)
    link = tmp_path / "innocent.json"
    folder_link = tmp_path / "exports"
    try:
        link.symlink_to(data / DB_NAME)
        folder_link.symlink_to(data, target_is_directory=True)
    except OSError:
        pytest.skip("this account may not make symbolic links (Windows without developer mode)")
    for target in (link, folder_link / "all.json"):
        code, _out, err = cli("export", "all", "--out", target, "--force", "--data-dir", data, env=lead_env())
        assert code == 2 and "inside the vault's data folder" in one_line_error(err)
    assert vault_files(data) == before


def test_init_refuses_a_recovery_key_file_in_the_new_vault_before_creating_it(tmp_path, cli):  # noqa: F811
    data = tmp_path / "data"
    data.mkdir()
    code, _out, err = cli("init", "--data-dir", data, "--school", "Oakfield", "--admin", "lead",
                          "--recovery-key-file", data / "key.txt", env=lead_env())
    assert code == 2 and "inside the vault's data folder" in one_line_error(err)
    assert list(data.iterdir()) == []  # no vault made whose key went nowhere


def test_an_existing_file_is_replaced_only_with_force(school, cli, tmp_path):  # noqa: F811
    data, _ = school
    precious = tmp_path / "minutes.json"
    precious.write_text("governors' minutes")
    code, _out, err = cli("export", "all", "--out", precious, "--data-dir", data, env=lead_env())
    assert code == 2 and "already exists" in one_line_error(err) and "--force" in err
    assert precious.read_text() == "governors' minutes"
    code, _out, err = cli("export", "all", "--out", precious, "--force", "--data-dir", data, env=lead_env())
    assert code == 0, err
    assert precious.read_text().startswith("{")
    for command in (["backup", "--out", precious], ["report", "governors", "--term", "autumn", "--year", "2026",
                                                     "--out", precious]):
        before = file_sha256(precious)
        code, _out, err = cli(*command, "--data-dir", data, env=lead_env())
        assert code == 2 and "already exists" in one_line_error(err)
        assert file_sha256(precious) == before


def test_force_replaces_atomically_and_leaves_a_hard_link_alone(school, cli, tmp_path):  # noqa: F811
    """--force renames a new file over the name: a hard link to the vault's file elsewhere keeps its bytes."""
    data, _ = school
    keys = file_sha256(data / KEYFILE_NAME)
    link = tmp_path / "linked.json"
    os.link(data / KEYFILE_NAME, link)
    code, _out, err = cli("export", "all", "--out", link, "--force", "--data-dir", data, env=lead_env())
    assert code == 0, err
    assert file_sha256(data / KEYFILE_NAME) == keys and link.read_text().startswith("{")
    assert not [p for p in tmp_path.iterdir() if p.name.endswith(".tmp")]


def test_window_and_cli_share_one_output_helper(tmp_path):
    """fsutil.write_output is what the CLI and the window's save dialogs call."""
    data = tmp_path / "data"
    data.mkdir()
    (data / DB_NAME).write_bytes(b"vault")
    with pytest.raises(Exception) as refused:
        fsutil.write_output(data / DB_NAME, b"{}", data, overwrite=True)
    assert "inside the vault's data folder" in str(refused.value)
    assert (data / DB_NAME).read_bytes() == b"vault"
    target = fsutil.write_output(tmp_path / "report.pdf", b"%PDF", data)
    assert target.read_bytes() == b"%PDF"


# --- item 8: modes --------------------------------------------------------------------------------
@POSIX
def test_data_folder_and_files_are_private(tmp_path, monkeypatch, cli):  # noqa: F811
    monkeypatch.setattr(os, "umask", os.umask)  # restored after
    old = os.umask(0o022)
    try:
        data = tmp_path / "data"
        setup = access.init_school(data, "Oakfield", "lead", "Alex Lead", "correct horse battery staple")
        setup.session.close()
        session = access.sign_in(data, "lead", "correct horse battery staple")  # WAL and SHM exist now
        try:
            assert stat.S_IMODE(data.stat().st_mode) == 0o700
            names = {p.name for p in data.iterdir()}
            assert {DB_NAME, KEYFILE_NAME, DB_NAME + "-wal", DB_NAME + "-shm"} <= names
            for path in data.iterdir():
                if path.is_file():
                    assert stat.S_IMODE(path.stat().st_mode) == 0o600, path.name
            from schoolmh.services import vault_admin

            result = vault_admin.backup(session, tmp_path / "out" / "b.schoolmh-backup")
            assert stat.S_IMODE(result.path.stat().st_mode) == 0o600
        finally:
            session.close()
    finally:
        os.umask(old)
