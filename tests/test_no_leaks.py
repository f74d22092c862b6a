"""Planted-name scan: nothing readable about pupils or staff is ever written outside the encrypted database.

Unique made-up names are planted in the school name, staff accounts and pupils; the
vault is then worked hard (records, sign-ins, a failed sign-in, password change,
backup, restore, audit verify, a CLI bug that quotes a name). Every byte of every
file under the data folder, the log folder and the temp folder is searched for each
planted word in UTF-8 and UTF-16 (either byte order), as typed and casefolded, while
the vault is open (WAL present) and after it is closed.
"""
from __future__ import annotations

import io
import sys
import tempfile
from pathlib import Path

import pytest

from support import LEAD_PASSWORD, STAFF_PASSWORD
from schoolmh.errors import WrongPassword
from schoolmh.logs import log_dir
from schoolmh.services import access, settings, users, vault_admin

SCHOOL = "Quibblethorpe Academy"
STAFF = "Zqxwyvette Plumtreeworth"
LEAD = "Ombrogast Fenwickle"
PUPILS = [("Xanthippa", "Vorblewick"), ("Jolyonne", "Brackenfudge"), ("Zoë", "Ngwenyamaq")]
USERNAME = "zqxw.plumtree"
WORDS = ["Quibblethorpe", "Zqxwyvette", "Plumtreeworth", "Ombrogast", "Fenwickle", USERNAME] + [
    w for pair in PUPILS for w in pair if len(w) > 4
]


def needles() -> list[bytes]:
    out = set()
    for word in WORDS:
        for form in {word, word.casefold(), word.upper()}:
            for encoding in ("utf-8", "utf-16-le", "utf-16-be"):
                out.add(form.encode(encoding))
    return sorted(out)


def scan(*folders: Path) -> tuple[list[str], int]:
    """(leaks as 'file: word', number of files read)."""
    leaks, count = [], 0
    patterns = needles()
    for folder in folders:
        for path in sorted(Path(folder).rglob("*")):
            if not path.is_file():
                continue
            data = path.read_bytes()
            count += 1
            for needle in patterns:
                if needle in data:
                    leaks.append(f"{path.relative_to(folder)}: {needle!r}")
    return leaks, count


@pytest.fixture
def temp_dir(tmp_path, monkeypatch):
    """A private temp folder (SQLite and Python both honour TMPDIR) so it can be scanned too."""
    folder = tmp_path / "tmp"
    folder.mkdir()
    monkeypatch.setenv("TMPDIR", str(folder))
    monkeypatch.setenv("SQLITE_TMPDIR", str(folder))
    monkeypatch.setattr(tempfile, "tempdir", str(folder))
    return folder


def write_records(session) -> None:
    from schoolmh.services import pupils

    made = []
    for i, (forename, surname) in enumerate(PUPILS):
        made.append(pupils.create_pupil(session, legal_forename=forename, legal_surname=surname,
                                        preferred_forename=forename[:3], year_group=7 + i))
    pupils.update_pupil(session, made[0].uuid, tutor_group="7Q")
    pupils.get_pupil(session, made[1].uuid)
    pupils.search_pupils(session, PUPILS[0][1][:5])
    pupils.archive_pupil(session, made[2].uuid)


def test_planted_names_never_leave_the_database(tmp_path, temp_dir, monkeypatch, capsys):
    data = tmp_path / "data"
    setup = access.init_school(data, SCHOOL, "lead", LEAD, LEAD_PASSWORD)
    s = setup.session
    users.add_user(s, USERNAME, STAFF, "pastoral", STAFF_PASSWORD)
    settings.update(s, local_authority="Quibblethorpe Borough", school_urn="999999")
    write_records(s)
    # while open: WAL and SHM exist and hold fresh pages
    assert (data / "schoolmh.db-wal").exists()
    leaks, files = scan(data, tmp_path / "backups", log_dir(), temp_dir)
    assert not leaks, leaks
    vault_admin.backup(s, tmp_path / "backups" / "first.zip")  # never inside the data folder
    vault_admin.verify_audit(s)
    s.close()

    with pytest.raises(WrongPassword):
        access.sign_in(data, USERNAME, "not the password at all")
    s = access.sign_in(data, USERNAME, STAFF_PASSWORD)
    users.set_password(s, USERNAME, "a new password for zqxw")  # key file rewritten, .bak kept
    write_records(s)  # as a pastoral colleague this time
    s.close()
    vault_admin.restore(data, tmp_path / "backups" / "first.zip", recovery_key=setup.recovery_key)  # replaced-*/
    s = access.recover(data, setup.recovery_key, USERNAME, "recovered password 123")
    s.close()

    # a bug whose exception message quotes names, through the CLI
    from schoolmh.cli import common
    from schoolmh.cli import main as cli_main

    def broken(session, *a, **k):
        raise ValueError(f"cannot list {STAFF} at {SCHOOL} ({PUPILS[0][0]} {PUPILS[0][1]})")

    monkeypatch.setattr(users, "list_users", broken)
    monkeypatch.setenv("SCHOOLMH_PASSWORD", LEAD_PASSWORD)
    monkeypatch.setattr(sys, "stdin", io.StringIO(""))
    monkeypatch.setattr(common, "_stdin_lines", None)
    assert cli_main(["users", "list", "--data-dir", str(data)]) == 70
    err = capsys.readouterr().err
    assert "ValueError" not in err and STAFF not in err
    assert (log_dir() / "schoolmh.log").read_text().count("ValueError") == 1

    # open again (WAL present) and after closing
    s = access.sign_in(data, "lead", LEAD_PASSWORD)
    leaks, _ = scan(data, log_dir(), temp_dir)
    assert not leaks, leaks
    s.close()
    leaks, files = scan(data, tmp_path / "backups", log_dir(), temp_dir)
    assert not leaks, leaks
    names = {p.name for folder in (data, tmp_path / "backups") for p in folder.rglob("*") if p.is_file()}
    # the scan really covered every kind of file the app writes
    for expected in ("schoolmh.db", "vault.keys", "vault.keys.bak", "audit.head", "unlock-attempts.json", "first.zip"):
        assert expected in names, names
    assert any(p.name.startswith("replaced-") for p in data.iterdir())
    assert files >= 10


def test_scan_would_find_a_leak(tmp_path):
    """The scanner itself works: a name written in clear, in either encoding, is found."""
    (tmp_path / "a.txt").write_bytes(f"hello {PUPILS[0][1].lower()}".encode("utf-8"))
    (tmp_path / "b.txt").write_bytes(STAFF.encode("utf-16-le"))
    leaks, files = scan(tmp_path)
    assert files == 2 and len(leaks) >= 2


def test_database_files_are_encrypted(tmp_path):
    data = tmp_path / "data"
    setup = access.init_school(data, SCHOOL, "lead", LEAD, LEAD_PASSWORD)
    assert not (data / "schoolmh.db").read_bytes().startswith(b"SQLite format 3")
    wal = data / "schoolmh.db-wal"
    if wal.exists() and wal.stat().st_size > 32:
        assert b"CREATE TABLE" not in wal.read_bytes()
    setup.session.close()
