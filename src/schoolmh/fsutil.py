"""Every file SchoolMH writes goes through here.

- ``replace``: the one atomic rename. On Windows a rename fails with a sharing
  violation (WinError 5 or 32) while antivirus, the search indexer or a sync tool
  has the target open for a moment; it is retried for about a second with a short
  back-off, then reported as "vault busy" (FileBusy, which is also an OSError so
  callers that tolerate a failed write keep doing so).
- ``atomic_write_bytes``: temp file in the same folder (created 0600), fsync,
  rename, fsync the folder: a power cut leaves the old file or the new one.
- ``write_output`` / ``copy_output``: anything the user asked to have written
  (exports, reports, backups, recovery-key files, the window's save dialogs). Never
  inside the vault's data folder (an export named ``schoolmh.db`` would replace the
  database), never over an existing file unless the user said so (``--force``; the
  window's save dialog asks), always atomic.
- ``scratch_dir``: a temporary folder whose clean-up never turns finished work into a
  failure (Windows keeps a file that antivirus is scanning undeletable for a moment).
- ``make_private``: the data folder 0700 and its files 0600 on POSIX.
"""
from __future__ import annotations

import contextlib
import hashlib
import os
import shutil
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path

from schoolmh.errors import ValidationError, VaultBusy

REPLACE_RETRY_SECONDS = 1.0
# ERROR_ACCESS_DENIED, ERROR_SHARING_VIOLATION, ERROR_LOCK_VIOLATION: what Windows says while another
# process has the file open without FILE_SHARE_DELETE.
_SHARING_WINERRORS = frozenset({5, 32, 33})
WINDOWS_MAX_PATH = 260
PRIVATE_DIR_MODE = 0o700
PRIVATE_FILE_MODE = 0o600
SCRATCH_PREFIX = ".schoolmh-tmp-"
STALE_SCRATCH_SECONDS = 3600


class FileBusy(VaultBusy, PermissionError):
    """A rename kept failing because another program held the file: a VaultBusy with a user message."""


def _sharing_violation(exc: OSError) -> bool:
    return getattr(exc, "winerror", None) in _SHARING_WINERRORS


def replace(src: Path | str, dst: Path | str, *, timeout: float | None = None) -> None:
    """os.replace, retried while Windows reports the file as held by another process."""
    limit = REPLACE_RETRY_SECONDS if timeout is None else timeout
    deadline = time.monotonic() + limit
    delay = 0.01
    while True:
        try:
            os.replace(src, dst)
            return
        except PermissionError as exc:
            if not _sharing_violation(exc):
                raise
            if time.monotonic() + delay > deadline:
                raise FileBusy(
                    f"The vault is busy: another program (antivirus, the search indexer, a sync tool or another "
                    f"SchoolMH window) is holding {Path(dst).name}. Wait a moment and try again."
                ) from exc
            time.sleep(delay)
            delay = min(delay * 2, 0.2)


def fsync_dir(path: Path) -> None:
    if os.name == "nt":  # directories cannot be opened for fsync on Windows; rename is durable there
        return
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def atomic_write_bytes(path: Path, data: bytes, keep_backup: bool = False) -> None:
    """Write to a temp file in the same folder, fsync, optionally keep the old file as .bak, rename, fsync the folder."""
    path = Path(path)
    fd, tmp = tempfile.mkstemp(prefix=path.name + ".", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
            handle.flush()
            os.fsync(handle.fileno())
        if keep_backup and path.exists():
            backup = path.with_name(path.name + ".bak")
            shutil.copy2(path, backup)
            with open(backup, "rb+") as handle:
                os.fsync(handle.fileno())
        replace(tmp, path)
        fsync_dir(path.parent)
    except BaseException:
        try:
            os.unlink(tmp)
        except FileNotFoundError:
            pass
        raise


# --- long paths -----------------------------------------------------------------------------------
def os_path(path: Path | str, *, nt: bool | None = None) -> str:
    """The path to hand to the OS: on Windows, past 260 characters, the extended form (\\\\?\\C:\\… or
    \\\\?\\UNC\\server\\share\\…) that works without the LongPathsEnabled policy."""
    nt = os.name == "nt" if nt is None else nt
    text = str(path)
    if not nt or len(text) < WINDOWS_MAX_PATH or text.startswith("\\\\?\\"):
        return text
    text = os.path.abspath(text) if os.name == "nt" else text
    if text.startswith("\\\\"):
        return "\\\\?\\UNC\\" + text[2:]
    return "\\\\?\\" + text


def _too_long(exc: OSError) -> bool:
    import errno

    return exc.errno == errno.ENAMETOOLONG or getattr(exc, "winerror", None) in (3, 206)


# --- outputs the user asked for ---------------------------------------------------------------------
def _canonical(path: Path) -> Path:
    """Symbolic links followed and case folded where the file system ignores case (Windows)."""
    return Path(os.path.normcase(os.path.realpath(path)))


def is_inside(path: Path | str, folder: Path | str) -> bool:
    target, root = _canonical(Path(path)), _canonical(Path(folder))
    return target == root or root in target.parents


def check_output(path: Path | str, data_dir: Path | str | None, *, overwrite: bool = False,
                 field: str = "out", create_folder: bool = False) -> Path:
    """Where a user-chosen file will go, checked before any work is done.

    Refused: inside the vault's data folder (an export or backup named like a vault file would
    replace it), a folder, a folder that does not exist, and an existing file unless
    `overwrite` (the CLI's --force; the window's save dialog has asked).
    """
    target = Path(path)
    try:
        inside = data_dir is not None and is_inside(target, data_dir)
        if inside:
            raise ValidationError(
                f"{target} is inside the vault's data folder ({data_dir}). Save it somewhere else: "
                "a file written there could replace the vault.", field)
        if target.is_dir():
            raise ValidationError(f"{target} is a folder: give a file name.", field)
        if create_folder:
            target.parent.mkdir(parents=True, exist_ok=True)
        if not target.parent.is_dir():
            raise ValidationError(f"The folder {target.parent} does not exist.", field)
        if target.exists() and not overwrite:
            raise ValidationError(
                f"{target} already exists. Choose another name, or add --force to replace it.", field)
    except OSError as exc:  # a name too long for the file system, a drive that went away
        raise _output_error(target, exc, field) from None
    return target


def _output_error(target: Path, exc: OSError, field: str) -> ValidationError:
    if isinstance(exc, FileBusy):
        return exc  # type: ignore[return-value]  # already a message for the user
    if _too_long(exc) or max((len(part) for part in target.parts), default=0) > 255:
        return ValidationError(
            f"The path {target} is too long for this computer ({len(str(target))} characters). "
            "Choose a folder nearer the top of the drive or a shorter file name.", field)
    return ValidationError(f"Cannot write {target}: {exc.strerror or exc}.", field)


def write_output(path: Path | str, data: bytes, data_dir: Path | str | None, *, overwrite: bool = False,
                 field: str = "out") -> Path:
    """check_output, then an atomic write (readable by the owner only)."""
    target = check_output(path, data_dir, overwrite=overwrite, field=field)
    try:
        atomic_write_bytes(Path(os_path(target)), data)
    except OSError as exc:
        raise _output_error(target, exc, field) from None
    return target


def sha256_file(path: Path | str) -> str:
    digest = hashlib.sha256()
    with open(os_path(path), "rb") as handle:
        for chunk in iter(lambda: handle.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()


def copy_output(source: Path | str, path: Path | str, data_dir: Path | str | None, *, overwrite: bool = False,
                field: str = "out", expected_sha256: str | None = None, create_folder: bool = False) -> Path:
    """Copy a finished file out (a backup to a USB stick or share): temp file beside the target, fsync,
    read back and compare its SHA-256 (a flaky stick or share fails here, not at restore), rename."""
    target = check_output(path, data_dir, overwrite=overwrite, field=field, create_folder=create_folder)
    expected = expected_sha256 or sha256_file(source)
    long_target = Path(os_path(target))
    tmp = None
    try:
        fd, tmp = tempfile.mkstemp(prefix=".schoolmh-", suffix=".tmp", dir=os_path(target.parent))
        with os.fdopen(fd, "wb") as out, open(os_path(source), "rb") as src:
            shutil.copyfileobj(src, out, 1 << 20)
            out.flush()
            os.fsync(out.fileno())
        if sha256_file(tmp) != expected:
            raise ValidationError(
                f"The copy written to {target.parent} did not read back the same: the drive may be failing "
                "or full. Nothing was saved there; try another drive.", field)
        replace(tmp, long_target)
        tmp = None
        fsync_dir(Path(os_path(target.parent)))
    except OSError as exc:
        raise _output_error(target, exc, field) from None
    finally:
        if tmp is not None:
            with contextlib.suppress(OSError):
                os.unlink(tmp)
    return target


# --- temporary folders ------------------------------------------------------------------------------
def remove_tree(path: Path, timeout: float = 1.0) -> bool:
    """Remove a folder, retrying briefly while a file in it is held; False (and left) if it stays."""
    deadline = time.monotonic() + timeout
    delay = 0.02
    while True:
        try:
            shutil.rmtree(path)
            return True
        except FileNotFoundError:
            return True
        except OSError:
            if time.monotonic() + delay > deadline:
                return False
            time.sleep(delay)
            delay = min(delay * 2, 0.2)


@contextlib.contextmanager
def scratch_dir(parent: Path, prefix: str = SCRATCH_PREFIX) -> Iterator[Path]:
    """A private temporary folder under `parent`. A clean-up that fails (a file still held by antivirus)
    leaves the folder to remove_stale_scratch rather than failing the work that used it."""
    parent = Path(parent)
    tidy_stale_scratch(parent)
    path = Path(tempfile.mkdtemp(prefix=prefix, dir=parent))
    try:
        yield path
    finally:
        remove_tree(path)  # if it stays, tidy_stale_scratch removes it at a later backup or restore


def tidy_stale_scratch(parent: Path, prefix: str = ".schoolmh-") -> None:
    """Folders left by an earlier scratch_dir (any kind) whose clean-up failed, or a crash, once an hour old."""
    now = time.time()
    try:
        candidates = [p for p in Path(parent).iterdir() if p.name.startswith(prefix) and p.is_dir()]
    except OSError:
        return
    for folder in candidates:
        try:
            if now - folder.stat().st_mtime > STALE_SCRATCH_SECONDS:
                remove_tree(folder, timeout=0)
        except OSError:
            pass


# --- permissions --------------------------------------------------------------------------------------
def make_private(folder: Path | str) -> None:
    """POSIX: the data folder 0700, every file in it 0600, and folders kept aside (replaced-…) 0700.

    SQLite creates the -wal and -shm files with the database file's mode, so they follow. On
    Windows nothing is changed: the default data folder is under the user's %LOCALAPPDATA%, whose
    ACL already gives only that user (and administrators/SYSTEM) access.
    """
    if os.name != "posix":
        return
    folder = Path(folder)
    _chmod(folder, PRIVATE_DIR_MODE)
    try:
        entries = list(folder.iterdir())
    except OSError:
        return
    for entry in entries:
        if entry.is_symlink():
            continue
        if entry.is_dir():
            _chmod(entry, PRIVATE_DIR_MODE)
            for inner in entry.rglob("*"):
                if not inner.is_symlink():
                    _chmod(inner, PRIVATE_DIR_MODE if inner.is_dir() else PRIVATE_FILE_MODE)
        else:
            _chmod(entry, PRIVATE_FILE_MODE)


def _chmod(path: Path, mode: int) -> None:
    try:
        if (path.stat().st_mode & 0o777) != mode:
            os.chmod(path, mode)
    except OSError:
        pass  # not ours (another user's file) or gone: nothing to tighten
