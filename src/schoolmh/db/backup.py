"""Online backup and verified restore of the vault.

A backup is a zip holding an encrypted copy of the database (SQLite's online
backup API, so the app may keep writing), the key file, and a manifest with no
identifiers: format, times, versions, the audit head and SHA-256 of each part.
The zip itself needs no encryption: the database is encrypted and the key file
holds only wrapped keys, so the recovery key opens it on another laptop.
"""
from __future__ import annotations

import datetime as dt
import hashlib
import json
import os
import shutil
import tempfile
import zipfile
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from sqlcipher3 import dbapi2 as sqlcipher

from schoolmh import __version__
from schoolmh.db.connection import DB_NAME, RawKeyCipherDatabase, integrity_ok, open_database
from schoolmh.db.keyfile import KEYFILE_NAME, KeyFile
from schoolmh.errors import BackupError, DamagedDatabase
from schoolmh.fsutil import fsync_dir

MANIFEST = "manifest.json"
AUDIT_HEAD = "audit.head"
BACKUP_FORMAT = 1
STEP_PAGES = 256  # pages copied per backup step (progress is reported after each)
Progress = Callable[[int, int], None]


def _keyed(path: Path, dek_hex: str):
    conn = sqlcipher.connect(str(path), isolation_level=None, check_same_thread=False, timeout=5)
    conn.execute("PRAGMA cipher_log_level = NONE")
    conn.execute(f"PRAGMA key = \"x'{dek_hex}'\"")
    return conn


def online_copy(db: RawKeyCipherDatabase, dest: Path, progress: Progress | None = None) -> None:
    """Copy page by page into a new file keyed with the same data key.

    The copy is read through a connection of its own holding one read transaction
    for the whole copy: a fixed snapshot of what was committed when it began. In WAL
    mode that blocks no writer, and writes meanwhile (this app's or another
    process's) neither leak into the copy nor restart it; without the held snapshot
    SQLite restarts the copy after every outside write, and a large vault with a busy
    writer would never finish.
    """
    dest = Path(dest)
    if dest.exists():
        dest.unlink()
    source = _keyed(Path(db.database), db._dek_hex)
    try:
        source.execute("BEGIN")
        source.execute("SELECT count(*) FROM sqlite_master").fetchone()  # the snapshot starts here
        target = _keyed(dest, db._dek_hex)
        try:

            def _step(status: int, remaining: int, total: int) -> None:
                if progress:
                    progress(total - remaining, total)

            source.backup(target, pages=STEP_PAGES, progress=_step)
            target.execute("PRAGMA journal_mode = DELETE")
        finally:
            target.close()
        source.execute("COMMIT")
    finally:
        source.close()


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        for chunk in iter(lambda: handle.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()


@dataclass(frozen=True)
class BackupResult:
    path: Path
    size_bytes: int
    integrity: str
    audit_head: int


def write_backup(
    db: RawKeyCipherDatabase,
    dek: bytes,
    keyfile: KeyFile,
    schema_version: int,
    out: Path,
    progress: Progress | None = None,
) -> BackupResult:
    out = Path(out)
    out.parent.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(dir=out.parent, prefix=".schoolmh-backup-") as tmp:
        copy = Path(tmp) / DB_NAME
        online_copy(db, copy, progress)
        check = open_database(copy, dek)
        try:
            if not integrity_ok(check):
                raise BackupError("The backup copy failed its integrity check; no backup was written.")
            # The end of the chain as copied (another process may have written since this backup began).
            row = check.execute_sql("SELECT seq, hash FROM audit_entry ORDER BY seq DESC LIMIT 1").fetchone()
            audit_head = (int(row[0]), str(row[1])) if row else (0, "0" * 64)
        finally:
            check.close()
        keys = keyfile.to_bytes()
        manifest = {
            "format": BACKUP_FORMAT,
            "created": dt.datetime.now(dt.timezone.utc).isoformat(timespec="seconds"),
            "app_version": __version__,
            "schema_version": schema_version,
            "vault_id": keyfile.vault_id,
            "audit_head": {"seq": audit_head[0], "hash": audit_head[1]},
            "parts": {DB_NAME: _sha256(copy), KEYFILE_NAME: hashlib.sha256(keys).hexdigest()},
        }
        buffer_path = Path(tmp) / "backup.zip"
        with zipfile.ZipFile(buffer_path, "w", compression=zipfile.ZIP_STORED) as archive:
            archive.writestr(MANIFEST, json.dumps(manifest, indent=1, sort_keys=True))
            archive.write(copy, DB_NAME)
            archive.writestr(KEYFILE_NAME, keys)
        with open(buffer_path, "rb+") as handle:
            os.fsync(handle.fileno())
        os.replace(buffer_path, out)
        fsync_dir(out.parent)
    return BackupResult(out, out.stat().st_size, "ok", audit_head[0])


def read_manifest(archive_path: Path) -> dict:
    try:
        with zipfile.ZipFile(archive_path) as archive:
            return json.loads(archive.read(MANIFEST))
    except FileNotFoundError:
        raise BackupError(f"There is no backup file at {archive_path}.") from None
    except Exception:
        raise BackupError("That file is not a SchoolMH backup, or it is damaged.") from None


def extract_backup(archive_path: Path, into: Path) -> dict:
    """Unpack into an empty folder and check each part's SHA-256 against the manifest."""
    manifest = read_manifest(archive_path)
    try:
        with zipfile.ZipFile(archive_path) as archive:
            for name in (DB_NAME, KEYFILE_NAME):
                target = into / name
                with archive.open(name) as src, open(target, "wb") as dst:
                    shutil.copyfileobj(src, dst)
                if _sha256(target) != manifest["parts"][name]:
                    raise BackupError(f"The backup's {name} does not match its manifest: the file is damaged.")
    except BackupError:
        raise
    except Exception:
        raise BackupError("That backup file is damaged and cannot be restored.") from None
    return manifest


def verify_restored(folder: Path, dek: bytes) -> None:
    db = open_database(folder / DB_NAME, dek)
    try:
        if not integrity_ok(db):
            raise DamagedDatabase("The backup's database failed its integrity check; nothing was restored.")
    finally:
        db.close()


def swap_into_place(restored: Path, data_dir: Path) -> Path | None:
    """Move the live files aside (kept, never deleted) and the verified copy in. Returns where the old ones went."""
    live = [n for n in os.listdir(data_dir) if n.startswith(DB_NAME) or n.startswith(KEYFILE_NAME) or n == AUDIT_HEAD]
    aside = None
    if live:
        stamp = dt.datetime.now().strftime("%Y%m%d-%H%M%S")
        aside = data_dir / f"replaced-{stamp}"
        aside.mkdir(parents=True, exist_ok=True)
        for name in live:
            os.replace(data_dir / name, aside / name)
    for name in (DB_NAME, KEYFILE_NAME, AUDIT_HEAD):
        if (restored / name).exists():
            os.replace(restored / name, data_dir / name)
    fsync_dir(data_dir)
    return aside
