"""The rollback anchor: the furthest audit chain position this laptop has seen, kept outside the data folder.

Putting back an older schoolmh.db with its matching audit.head (no password needed) makes
a chain that verifies on its own. The anchor remembers (seq, hash) of the latest row this
laptop saw, keyed by the vault's id and its data folder (`key_for`: a backup restored into a
second folder is a copy with a history of its own), where the data folder's files cannot take it back:
- the OS keyring (Windows Credential Manager, macOS Keychain, Secret Service on Linux) where
  one works, service "SchoolMH rollback anchor", account = the key;
- always also a small file in the per-user config folder (platformdirs.user_config_dir:
  %LOCALAPPDATA%\\SchoolMH on Windows, ~/Library/Application Support/SchoolMH on macOS,
  ~/.config/SchoolMH on Linux), anchors/<key>.json.
Reading takes the furthest of the two, so deleting one does not move it back. Only
`advance` (after each commit, never backwards) and `reset` (a restore through SchoolMH) write it.

SCHOOLMH_CONFIG_DIR points the file elsewhere and leaves the keyring out (tests, portable use).
"""
from __future__ import annotations

import datetime as dt
import hashlib
import json
import os
import re
from dataclasses import dataclass
from pathlib import Path

from schoolmh.fsutil import atomic_write_bytes

CONFIG_ENV = "SCHOOLMH_CONFIG_DIR"
KEYRING_SERVICE = "SchoolMH rollback anchor"
_KEY = re.compile(r"^[0-9a-f]{32}-[0-9a-f]{16}$")


def key_for(vault_id: str, data_dir: Path) -> str:
    """The anchor's name: the vault id and a hash of the folder's full path (no path in clear)."""
    folder = hashlib.sha256(str(Path(data_dir).resolve()).encode("utf-8")).hexdigest()[:16]
    return f"{vault_id}-{folder}"


@dataclass(frozen=True)
class Anchor:
    seq: int
    digest: str
    seen_at: str  # ISO time (UTC) it was recorded

    def to_json(self) -> str:
        return json.dumps({"seq": self.seq, "hash": self.digest, "seen_at": self.seen_at})

    @classmethod
    def from_json(cls, text: str | None) -> "Anchor | None":
        try:
            data = json.loads(text or "")
            return cls(int(data["seq"]), str(data["hash"]), str(data.get("seen_at", "")))
        except Exception:
            return None


def config_dir() -> Path:
    env = os.environ.get(CONFIG_ENV)
    if env:
        return Path(env)
    import platformdirs

    return Path(platformdirs.user_config_dir("SchoolMH", appauthor=False, roaming=False))


def _use_keyring() -> bool:
    return not os.environ.get(CONFIG_ENV)


def _file(key: str) -> Path:
    if not _KEY.match(key):
        raise ValueError("anchor key")
    return config_dir() / "anchors" / f"{key}.json"


def _read_keyring(key: str) -> Anchor | None:
    if not _use_keyring():
        return None
    try:
        from schoolmh.db.device_keyring import local_keyring

        return Anchor.from_json(local_keyring().get_password(KEYRING_SERVICE, key))
    except Exception:
        return None


def _read_file(key: str) -> Anchor | None:
    try:
        return Anchor.from_json(_file(key).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None


def load(key: str) -> Anchor | None:
    """The furthest position this laptop recorded for the vault; None if it never saw it."""
    found = [a for a in (_read_keyring(key), _read_file(key)) if a is not None]
    return max(found, key=lambda a: a.seq) if found else None


def _write(key: str, anchor: Anchor) -> None:
    text = anchor.to_json()
    if _use_keyring():
        try:
            from schoolmh.db.device_keyring import local_keyring  # what *this* laptop saw: never roams

            local_keyring().set_password(KEYRING_SERVICE, key, text)
        except Exception:
            pass  # no working keyring: the file holds it
    try:
        path = _file(key)
        path.parent.mkdir(parents=True, exist_ok=True)
        atomic_write_bytes(path, text.encode("utf-8"))
    except (OSError, ValueError):
        pass  # a read-only profile must not stop anyone working; the check just has less to go on


def _now() -> str:
    return dt.datetime.now(dt.timezone.utc).isoformat(timespec="seconds")


def advance(key: str, seq: int, digest: str) -> None:
    """After a commit (or at sign-in): move the anchor on, never back."""
    current = load(key)
    if current is None or seq > current.seq:
        _write(key, Anchor(seq, digest, _now()))


def reset(key: str, seq: int, digest: str) -> None:
    """A restore through SchoolMH: the restored chain's end becomes what this laptop has seen."""
    _write(key, Anchor(seq, digest, _now()))
