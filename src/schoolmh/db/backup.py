"""Online backup and verified restore of the vault.

A backup is a zip holding an encrypted copy of the database (SQLite's online
backup API, so the app may keep writing), the key file, and a manifest with no
identifiers: format, times, versions, the audit head and SHA-256 of each part.
The zip itself needs no encryption: the database is encrypted and the key file
holds only wrapped keys, so the recovery key opens it on another laptop.

The archive is built and checked in a scratch folder beside the live database
(a local disk, where SQLite's WAL works), then copied out to where the user chose
and read back. Unpacking one is bounded: a hostile archive (a zip bomb, a huge
manifest) is refused before it costs disk or memory.
"""
from __future__ import annotations

import contextlib
import datetime as dt
import hashlib
import json
import os
import shutil
import zipfile
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from sqlcipher3 import dbapi2 as sqlcipher

from schoolmh import __version__
from schoolmh.db.connection import DB_NAME, RawKeyCipherDatabase, integrity_ok, open_database
from schoolmh.db.keyfile import KEYFILE_NAME, KeyFile
from schoolmh.errors import BackupError, DamagedDatabase
from schoolmh import fsutil

MANIFEST = "manifest.json"
AUDIT_HEAD = "audit.head"
BACKUP_FORMAT = 1
BACKUP_SCRATCH = ".schoolmh-backup-"
# Bounds for unpacking a backup someone handed us (SchoolMH's own are far below them).
MAX_MANIFEST_BYTES = 64 * 1024
PART_LIMITS = {DB_NAME: 64 * 1024**3, KEYFILE_NAME: 1024 * 1024}
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
    *,
    overwrite: bool = False,
) -> BackupResult:
    """Build and verify the archive beside the live database (a local disk, where WAL works), then
    copy it out to `out` (a USB stick, a share, OneDrive: anywhere but the data folder) and check the
    copy's SHA-256 against the archive's."""
    data_dir = Path(db.database).parent
    out = fsutil.check_output(out, data_dir, overwrite=overwrite, create_folder=True)
    with fsutil.scratch_dir(data_dir, BACKUP_SCRATCH) as tmp:
        copy = tmp / DB_NAME
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
            "parts": {DB_NAME: fsutil.sha256_file(copy), KEYFILE_NAME: hashlib.sha256(keys).hexdigest()},
        }
        archive_path = tmp / "backup.zip"
        with zipfile.ZipFile(archive_path, "w", compression=zipfile.ZIP_STORED) as archive:
            archive.writestr(MANIFEST, json.dumps(manifest, indent=1, sort_keys=True))
            archive.write(copy, DB_NAME)
            archive.writestr(KEYFILE_NAME, keys)
        copy.unlink()  # only the archive is copied out; free the space first
        fsutil.copy_output(archive_path, out, data_dir, overwrite=overwrite, create_folder=True)
    return BackupResult(out, out.stat().st_size, "ok", audit_head[0])


def read_manifest(archive_path: Path) -> dict:
    try:
        with zipfile.ZipFile(fsutil.os_path(archive_path)) as archive:
            return _read_manifest(archive)
    except FileNotFoundError:
        raise BackupError(f"There is no backup file at {archive_path}.") from None
    except BackupError:
        raise
    except Exception:
        raise BackupError("That file is not a SchoolMH backup, or it is damaged.") from None


def _read_manifest(archive: zipfile.ZipFile) -> dict:
    info = archive.getinfo(MANIFEST)
    if info.file_size > MAX_MANIFEST_BYTES:
        raise BackupError("That file is not a SchoolMH backup: its manifest is far too large.")
    with archive.open(info) as handle:
        raw = handle.read(MAX_MANIFEST_BYTES + 1)
    if len(raw) > MAX_MANIFEST_BYTES:
        raise BackupError("That file is not a SchoolMH backup: its manifest is far too large.")
    manifest = json.loads(raw)
    if not isinstance(manifest, dict) or not isinstance(manifest.get("parts"), dict):
        raise ValueError("manifest")
    return manifest


def _check_member(info: zipfile.ZipInfo, limit: int) -> None:
    """SchoolMH stores its parts uncompressed (the database is encrypted, so it would not shrink): a
    part that claims to unpack to much more than it occupies, or past `limit`, is hostile (a zip bomb)."""
    if info.file_size > limit or info.file_size > info.compress_size * 11 // 10 + 64 * 1024:
        raise BackupError(
            f"That file is not a SchoolMH backup: its {info.filename} would unpack to "
            f"{info.file_size // (1024 * 1024):,} MB from {max(1, info.compress_size // 1024):,} KB. Nothing was restored.")


def _unpack(archive: zipfile.ZipFile, info: zipfile.ZipInfo, target: Path) -> None:
    """Copy one part out, counting what actually comes out against what the header declared."""
    written = 0
    with archive.open(info) as src, open(target, "wb") as dst:
        while True:
            chunk = src.read(1 << 20)
            if not chunk:
                break
            written += len(chunk)
            if written > info.file_size:
                raise BackupError(f"The backup's {info.filename} is larger than it says: the file is damaged.")
            dst.write(chunk)
    if written != info.file_size:
        raise BackupError(f"The backup's {info.filename} is shorter than it says: the file is damaged.")


def extract_backup(archive_path: Path, into: Path) -> dict:
    """Unpack into an empty folder, bounded (see _check_member), and check each part's SHA-256 against the manifest."""
    manifest = read_manifest(archive_path)
    try:
        with zipfile.ZipFile(fsutil.os_path(archive_path)) as archive:
            infos = {name: archive.getinfo(name) for name in PART_LIMITS}
            for name, info in infos.items():
                _check_member(info, PART_LIMITS[name])
            needed = sum(info.file_size for info in infos.values())
            free = shutil.disk_usage(into).free
            if needed > free:
                raise BackupError(
                    f"There is not enough free space to restore this backup ({needed // (1024 * 1024):,} MB needed, "
                    f"{free // (1024 * 1024):,} MB free). Nothing was restored.")
            for name, info in infos.items():
                target = into / name
                _unpack(archive, info, target)
                if fsutil.sha256_file(target) != manifest["parts"][name]:
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


def _live_names(data_dir: Path) -> list[str]:
    """The live vault's files, the database first: on Windows it is the one an open connection pins,
    so a swap that cannot happen fails before anything has moved."""
    names = [n for n in os.listdir(data_dir) if n.startswith(DB_NAME) or n.startswith(KEYFILE_NAME) or n == AUDIT_HEAD]
    return sorted(names, key=lambda n: (n != DB_NAME, not n.startswith(DB_NAME), n))


def swap_into_place(restored: Path, data_dir: Path) -> Path | None:
    """Move the live files aside (kept) and the verified copy in, as one step: if any rename fails
    (Windows: a file held open), every rename already done is undone, in reverse, and BackupError
    says the vault here was not changed. Returns the folder the old files went to.

    Afterwards every key file kept aside is cut down to its recovery slot (see keep_aside_safely).
    """
    live = _live_names(data_dir)
    aside = None
    done: list[tuple[Path, Path]] = []
    try:
        if live:
            stamp = dt.datetime.now().strftime("%Y%m%d-%H%M%S")
            aside = data_dir / f"replaced-{stamp}"
            aside.mkdir(parents=True, exist_ok=True)
            for name in live:
                fsutil.replace(data_dir / name, aside / name)
                done.append((data_dir / name, aside / name))
        for name in (DB_NAME, KEYFILE_NAME, AUDIT_HEAD):
            if (restored / name).exists():
                fsutil.replace(restored / name, data_dir / name)
                done.append((restored / name, data_dir / name))
    except OSError as exc:
        stuck = _undo(done)
        if stuck:
            raise BackupError(
                "The restore could not finish and could not be fully undone. Do not use SchoolMH until the files "
                f"are put back: move {', '.join(stuck)} back into {data_dir}.") from None
        if aside is not None:
            with contextlib.suppress(OSError):
                aside.rmdir()
        busy = "; another program is holding the vault's files (close other SchoolMH windows, wait for antivirus)"
        raise BackupError(
            f"The backup verified but could not be put in place{busy if isinstance(exc, PermissionError) else ''}. "
            "The vault here was not changed.") from None
    fsutil.fsync_dir(data_dir)
    if aside is not None:
        keep_aside_safely(aside)
    return aside


def _undo(done: list[tuple[Path, Path]]) -> list[str]:
    """Reverse the renames done so far; the names of any that could not be reversed."""
    stuck = []
    for source, target in reversed(done):
        try:
            fsutil.replace(target, source)
        except OSError:
            stuck.append(str(target))
    return stuck


def keep_aside_safely(aside: Path) -> None:
    """The replaced vault's key files keep only their recovery slot.

    The old database is kept (a restore never loses records), but a password or device slot in a
    file the app no longer maintains could never be revoked: a colleague disabled after the
    restore would keep a way into everything the replaced database holds. The old vault's
    recovery key still opens it; deleting the folder removes that way in too. A key file that
    does not parse is kept as it was (it opens nothing that parses).
    """
    from dataclasses import replace as with_fields

    from schoolmh.db.keyfile import RECOVERY

    for path in sorted(aside.glob(KEYFILE_NAME + "*")):
        try:
            keyfile = KeyFile.load(path)
        except Exception:
            continue
        kept = tuple(slot for slot in keyfile.slots if slot.kind == RECOVERY)
        if kept == tuple(keyfile.slots):
            continue
        try:
            fsutil.atomic_write_bytes(path, with_fields(keyfile, slots=kept).to_bytes())
        except OSError:  # the restore itself has succeeded: never keep the slots, at worst lose this copy
            with contextlib.suppress(OSError):
                path.unlink()
