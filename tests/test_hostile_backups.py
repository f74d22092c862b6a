"""Hostile backups cost bounded resources (issue 11 item 9).

Played as someone handing the lead a crafted backup file: a zip bomb, a giant manifest, a key
file that asks for ruinous Argon2 settings, and guessing passwords through restore instead of
the unlock screen.
"""
from __future__ import annotations

import hashlib
import json
import zipfile
from pathlib import Path

import pytest

from support import LEAD_PASSWORD, file_sha256
from schoolmh.db import backup as backuplib
from schoolmh.db import crypto
from schoolmh.db import vault as vaultlib
from schoolmh.db.connection import DB_NAME
from schoolmh.db.keyfile import KEYFILE_NAME
from schoolmh.errors import BackupError, LockedOut, WrongPassword
from schoolmh.services import access, vault_admin


@pytest.fixture(scope="module")
def genuine(tmp_path_factory):
    """A real vault and a real backup of it: (live folder template, backup file, recovery key)."""
    root = tmp_path_factory.mktemp("hostile")
    folder = root / "vault"
    setup = access.init_school(folder, "Oakfield Academy", "lead", "Alex Lead", LEAD_PASSWORD)
    out = root / "genuine.schoolmh-backup"
    vault_admin.backup(setup.session, out)
    setup.session.close()
    return folder, out, setup.recovery_key


def parts(archive: Path) -> dict[str, bytes]:
    with zipfile.ZipFile(archive) as z:
        return {name: z.read(name) for name in z.namelist()}


def rebuild(target: Path, members: dict[str, bytes], compress: dict[str, int] | None = None) -> Path:
    with zipfile.ZipFile(target, "w") as z:
        for name, data in members.items():
            z.writestr(name, data, compress_type=(compress or {}).get(name, zipfile.ZIP_STORED))
    return target


def state(folder: Path) -> dict[str, str]:
    return {p.name: file_sha256(p) for p in sorted(folder.iterdir()) if p.is_file()}


def test_a_zip_bomb_is_refused_before_it_is_unpacked(genuine, tmp_path, monkeypatch):
    _folder, out, key = genuine
    members = parts(out)
    bomb = b"\0" * (64 * 1024 * 1024)  # 64 MB of zeros deflates to about 64 KB
    members[DB_NAME] = bomb
    manifest = json.loads(members[backuplib.MANIFEST])
    manifest["parts"][DB_NAME] = hashlib.sha256(bomb).hexdigest()  # even a "consistent" manifest
    members[backuplib.MANIFEST] = json.dumps(manifest).encode()
    crafted = rebuild(tmp_path / "bomb.zip", members, {DB_NAME: zipfile.ZIP_DEFLATED})
    assert crafted.stat().st_size < 1024 * 1024
    written = []
    real_unpack = backuplib._unpack
    monkeypatch.setattr(backuplib, "_unpack", lambda *a: written.append(a[1].filename) or real_unpack(*a))
    target = tmp_path / "restore-here"
    with pytest.raises(BackupError) as refused:
        vault_admin.restore(target, crafted, recovery_key=key)
    assert "would unpack to 64 MB" in refused.value.message
    assert written == []  # not one byte of it was written
    assert not [p for p in target.iterdir() if p.name != vaultlib.ATTEMPTS_NAME]


def test_a_part_longer_than_it_declares_is_cut_off(genuine, tmp_path):
    """The header says 1 KB; what comes out is counted and stopped at what was declared."""
    _folder, out, _key = genuine
    info = zipfile.ZipInfo(KEYFILE_NAME)
    info.file_size = 1024
    with zipfile.ZipFile(out) as z:
        data = z.read(KEYFILE_NAME)
    fake = type("FakeArchive", (), {"open": lambda self, i: __import__("io").BytesIO(data * 4)})()
    with pytest.raises(BackupError) as refused:
        backuplib._unpack(fake, info, tmp_path / "k")
    assert "larger than it says" in refused.value.message
    assert (tmp_path / "k").stat().st_size <= 1024 + (1 << 20)


def test_a_giant_manifest_is_refused_without_reading_it(genuine, tmp_path):
    _folder, out, key = genuine
    members = parts(out)
    members[backuplib.MANIFEST] = b'{"parts": {}, "pad": "' + b"x" * (8 * 1024 * 1024) + b'"}'
    crafted = rebuild(tmp_path / "manifest.zip", members, {backuplib.MANIFEST: zipfile.ZIP_DEFLATED})
    with pytest.raises(BackupError) as refused:
        vault_admin.restore(tmp_path / "here", crafted, recovery_key=key)
    assert "manifest is far too large" in refused.value.message


@pytest.mark.parametrize("memory_mib,passes", [(1024, 32), (256, 20), (512, 3)])
def test_ruinous_argon2_settings_are_refused_before_any_key_derivation(genuine, tmp_path, monkeypatch, memory_mib,
                                                                        passes):
    folder, out, _key = genuine
    members = parts(out)
    keys = json.loads(members[KEYFILE_NAME])
    for slot in keys["slots"]:
        if slot["kdf"]["alg"] == "argon2id":
            slot["kdf"]["memory_kib"], slot["kdf"]["time_cost"] = memory_mib * 1024, passes
    members[KEYFILE_NAME] = json.dumps(keys).encode()
    manifest = json.loads(members[backuplib.MANIFEST])
    manifest["parts"][KEYFILE_NAME] = hashlib.sha256(members[KEYFILE_NAME]).hexdigest()
    members[backuplib.MANIFEST] = json.dumps(manifest).encode()
    crafted = rebuild(tmp_path / "slow.zip", members)

    def derive(*_a, **_k):
        raise AssertionError("a key was derived with the crafted settings")

    monkeypatch.setattr(crypto, "derive_password_key", derive)
    with pytest.raises(BackupError) as refused:
        vault_admin.restore(tmp_path / "here", crafted, username="lead", password=LEAD_PASSWORD)
    assert "far more work per password try" in refused.value.message


def test_guessing_through_restore_meets_the_unlock_back_off(genuine, tmp_path):
    folder, out, _key = genuine
    live = tmp_path / "live"
    import shutil

    shutil.copytree(folder, live)
    before = {k: v for k, v in state(live).items() if k != vaultlib.ATTEMPTS_NAME}
    for _ in range(vaultlib.FREE_ATTEMPTS):
        with pytest.raises(WrongPassword):
            vault_admin.restore(live, out, username="lead", password="guess number one two three")
    with pytest.raises(LockedOut):
        vault_admin.restore(live, out, username="lead", password=LEAD_PASSWORD)
    with pytest.raises(LockedOut):  # and the unlock screen waits just the same
        access.sign_in(live, "lead", LEAD_PASSWORD)
    assert {k: v for k, v in state(live).items() if k != vaultlib.ATTEMPTS_NAME} == before


def test_millions_of_blank_xlsx_rows_count_towards_the_row_limit(monkeypatch):
    """A workbook with a header and one cell a million rows down: read-only openpyxl yields every
    empty row in between. They count towards the limit, so reading stops at it."""
    import io

    import openpyxl

    from schoolmh.domain import mis

    monkeypatch.setattr(mis.reading, "MAX_DATA_ROWS", 1000)  # the same rule at a size a test can afford
    book = openpyxl.Workbook()
    sheet = book.active
    sheet.append(["UPN", "Legal Surname", "Legal Forename", "DOB", "Year"])
    sheet.cell(row=1_000_000, column=1, value="end")  # near Excel's last row
    buffer = io.BytesIO()
    book.save(buffer)
    seen = []
    real = mis.reading._add_row
    monkeypatch.setattr(mis.reading, "_add_row", lambda table, n, cells: seen.append(n) or real(table, n, cells))
    parsed = mis.read_mis_bytes(buffer.getvalue(), "pupils.xlsx")
    assert parsed.errors and "more than 1,000 rows" in parsed.errors[0].message
    assert max(seen) <= 1000 + mis.HEADER_SEARCH_ROWS + 2  # stopped at the limit, not after a million
