"""This laptop's outbox: bundles it has written and committed but not yet put in the team folder.

A bundle is written inside the transaction that clears its changes' "to send" marks. Writing
it straight into the team folder there made every exchange, even the one at lock, wait on the
folder (a hung network share froze the window). So the bundle goes to the outbox in the data
folder (local disk, atomic write, owner-only) under a *pending* name; once the transaction has
committed it takes its final name; `publish` then copies final bundles into this laptop's
folder in the team folder, checks the copy and removes them here. Publishing needs no key and
no database (a bundle is encrypted and signed already), so it runs on a worker thread, after
the vault is locked, and again at the next exchange.

Crash rules (docs/TEAM.md):
* before the commit: a pending file whose hash the vault does not know. Never published; the
  next write deletes it while holding the write lock (no other writer can be between writing
  its own pending file and committing), and its changes, still marked to send, go in the next
  bundle under the same number.
* after the commit, before the rename: a pending file the vault records as its own bundle;
  renamed by the next write or publication.
* while publishing: at worst a temporary name in the team folder (readers skip those) and the
  bundle still here, so it is published again; a copy already there is only checked.
"""
from __future__ import annotations

import json
import threading
from collections.abc import Callable, Iterable
from pathlib import Path

from schoolmh import fsutil
from schoolmh.services.team import bundle, folder

OUTBOX = "team-outbox"
PENDING = ".pending"
_HEADER_PREFIX = len(bundle.MAGIC) + 4
# One publication at a time in this process (the window's worker and the one started at lock).
_PUBLISHING = threading.Lock()


def path_for(data_dir: Path) -> Path:
    return Path(data_dir) / OUTBOX


def put_pending(outbox: Path, data: bytes, stream: str, seq: int) -> Path:
    """Write a bundle under its pending name; call inside the transaction that records it."""
    outbox.mkdir(mode=fsutil.PRIVATE_DIR_MODE, exist_ok=True)
    path = outbox / (bundle.file_name(stream, seq, bundle.digest_of(data)) + PENDING)
    fsutil.atomic_write_bytes(path, data)  # temp file created 0600, fsynced, renamed
    return path


def commit(paths: Iterable[Path]) -> None:
    """After the transaction committed: the pending files take their final names (publishable)."""
    paths = list(paths)
    for path in paths:
        fsutil.replace(path, path.with_name(path.name[: -len(PENDING)]))
    if paths:
        fsutil.fsync_dir(paths[0].parent)


def settle(outbox: Path, is_own: Callable[[str], bool], *, discard: bool) -> None:
    """Pending files left by a crash: those the vault committed (`is_own(hash)`) take their final names.

    With `discard` (only while holding the database's write lock), the others are deleted: their
    transaction never committed, so their changes are still marked to send.
    """
    if not outbox.is_dir():
        return
    done: list[Path] = []
    for path in sorted(outbox.glob("*" + PENDING)):
        if _committed(path, is_own):
            done.append(path)
        elif discard:
            path.unlink(missing_ok=True)
    if discard:
        for path in outbox.glob("*.tmp"):  # a write cut short before its rename
            path.unlink(missing_ok=True)
    if done:
        commit(done)


def waiting(outbox: Path) -> list[Path]:
    """Committed bundles not yet published, oldest number first."""
    if not outbox.is_dir():
        return []
    return sorted((p for p in outbox.iterdir() if p.name.endswith(bundle.SUFFIX)), key=lambda p: p.name)


def header(path: Path) -> dict:
    """A bundle's header, reading only the start of the file."""
    with open(path, "rb") as handle:
        start = handle.read(_HEADER_PREFIX)
        length = int.from_bytes(start[len(bundle.MAGIC):], "big")
        return json.loads(handle.read(length).decode("utf-8"))


def changes_waiting(outbox: Path, scope: str, is_own: Callable[[str], bool]) -> int:
    """How many changes committed bundles still carry to the team folder (the status bar's "to send").

    A whole-school laptop's MHST stream repeats changes of its school stream: counted once. A pending
    file counts when the vault committed it (a crash came before its rename)."""
    if not outbox.is_dir():
        return 0
    committed = waiting(outbox) + [p for p in outbox.glob("*" + PENDING) if _committed(p, is_own)]
    total = 0
    for path in committed:
        try:
            head = header(path)
        except (OSError, ValueError):
            continue
        if head.get("stream") in (scope, "control"):
            total += int(head.get("count", 0))
    return total


def _committed(path: Path, is_own: Callable[[str], bool]) -> bool:
    try:
        return is_own(bundle.digest_of(path.read_bytes()))
    except OSError:
        return False


def publish(outbox: Path, team_folder: Path, laptop_id: str) -> int:
    """Copy committed bundles into this laptop's folder in the team folder; each is checked, then removed here.

    No key and no database. Raises folder.FolderUnreachable when the team folder is not there, OSError
    when a copy fails (the bundle stays here for next time). Returns how many were published."""
    with _PUBLISHING:
        pending = waiting(outbox)
        if not pending:
            return 0
        folder.check_reachable(team_folder)
        target_dir = folder.laptop_dir(team_folder, laptop_id)
        target_dir.mkdir(parents=True, exist_ok=True)
        published = 0
        for path in pending:
            try:
                data = path.read_bytes()
            except FileNotFoundError:
                continue  # published meanwhile by another SchoolMH process
            digest = bundle.digest_of(data)
            target = target_dir / path.name
            if not _holds(target, digest):
                seq, stream = path.name.split("-")[:2]
                bundle.write(target_dir, data, stream, int(seq))  # temporary name, fsync, rename
                if not _holds(target, digest):
                    raise OSError(f"The copy of {path.name} in the team folder does not read back the same.")
            path.unlink(missing_ok=True)
            published += 1
        fsutil.fsync_dir(outbox)
        return published


def _holds(path: Path, digest: str) -> bool:
    try:
        return bundle.digest_of(path.read_bytes()) == digest
    except OSError:
        return False

