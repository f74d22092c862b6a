"""The team folder: where each laptop writes its own bundles and reads everyone else's.

Layout: `<folder>/schoolmh-team.json` (the team's id, written once by the first laptop; no
secrets) and `<folder>/laptops/<laptop id>/<seq>-<stream>-<hash>.smhb`. A laptop writes
only inside its own sub-folder and never changes a file once written.

Sync tools leave other things behind: half-copied files under temporary names, and
conflict copies ("name (1).smhb", "name-LAPTOP.smhb", Syncthing's "name.sync-conflict-…").
Temporary names are skipped; every other file that looks like a bundle is read, and a copy
is recognised by its content hash, never by its name, so it is never applied twice.
"""
from __future__ import annotations

import json
import os
from dataclasses import dataclass
from pathlib import Path

from schoolmh.fsutil import atomic_write_bytes

MARKER = "schoolmh-team.json"
LAPTOPS = "laptops"
CLAIM = "joined.json"  # in a laptop's sub-folder: its enrolment file has been used
_TEMP_ENDINGS = (".tmp", ".temp", ".part", ".partial", ".crdownload", ".download", ".!sync", ".!qb", "~")
_TEMP_STARTS = (".", "~$", "~")


@dataclass(frozen=True)
class Candidate:
    path: Path
    name: str  # relative to the team folder, for the file index and messages
    size: int
    mtime_ns: int


class FolderUnreachable(Exception):
    pass


def laptop_dir(folder: Path, laptop_id: str) -> Path:
    return Path(folder) / LAPTOPS / laptop_id


def is_candidate(file_name: str) -> bool:
    lower = file_name.lower()
    if lower.startswith(_TEMP_STARTS) or lower.endswith(_TEMP_ENDINGS):
        return False
    return ".smhb" in lower


def write_marker(folder: Path, team_id: str) -> None:
    path = Path(folder) / MARKER
    if not path.exists():
        atomic_write_bytes(path, json.dumps({"format": "schoolmh-team", "team": team_id}).encode())


class AlreadyClaimed(Exception):
    """Another vault already joined as this laptop (its enrolment file was used before)."""

    def __init__(self, when: str) -> None:
        super().__init__(when)
        self.when = when


def claim(folder: Path, laptop_id: str, when: str) -> Path:
    """Take the laptop identity in an enrolment file for this vault, once.

    Without a server nothing can stop a file being copied, but a laptop identity used twice
    would write two different chains under one name. The claim is created with O_EXCL, so two
    joins on one network share cannot both win; a synced cloud folder only learns of an
    earlier claim once it has synced (the second laptop's bundles are then refused as
    rewritten, and the Team page names them).
    """
    directory = laptop_dir(folder, laptop_id)
    directory.mkdir(parents=True, exist_ok=True)
    path = directory / CLAIM
    if any(is_candidate(entry.name) for entry in os.scandir(directory)):
        raise AlreadyClaimed(_claimed_when(path))
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o644)
    except FileExistsError:
        raise AlreadyClaimed(_claimed_when(path)) from None
    with os.fdopen(fd, "w", encoding="utf-8") as handle:
        json.dump({"joined": when}, handle)
        handle.flush()
        os.fsync(handle.fileno())
    return path


def _claimed_when(path: Path) -> str:
    try:
        return str(json.loads(path.read_text(encoding="utf-8"))["joined"])
    except (OSError, ValueError, KeyError, TypeError):
        return ""


def read_marker(folder: Path) -> str | None:
    try:
        return str(json.loads((Path(folder) / MARKER).read_text())["team"])
    except (OSError, ValueError, KeyError, TypeError):
        return None


def check_reachable(folder: Path) -> None:
    if not Path(folder).is_dir():
        raise FolderUnreachable(f"The team folder {folder} cannot be reached.")


def scan(folder: Path) -> list[Candidate]:
    """Every complete-looking bundle file under laptops/, whoever's folder it sits in."""
    root = Path(folder) / LAPTOPS
    check_reachable(folder)
    found: list[Candidate] = []
    try:
        subdirs = [e for e in os.scandir(root) if e.is_dir()] if root.is_dir() else []
    except OSError as exc:
        raise FolderUnreachable(f"The team folder {folder} cannot be read ({exc.strerror}).") from None
    for sub in subdirs:
        try:
            entries = list(os.scandir(sub.path))
        except OSError:
            continue
        for entry in entries:
            if not is_candidate(entry.name) or not entry.is_file():
                continue
            st = entry.stat()
            found.append(Candidate(Path(entry.path), f"{sub.name}/{entry.name}", st.st_size, st.st_mtime_ns))
    return sorted(found, key=lambda c: c.name)
