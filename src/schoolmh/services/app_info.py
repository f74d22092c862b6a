"""What the window needs to know before anyone signs in: where the vault is, whether it exists,
whether this laptop remembers an account, and whether an OS keyring works.

Kept apart from `access` so the UI can ask these questions without reaching into `db/`.
"""
from __future__ import annotations

import os
from pathlib import Path

__all__ = [
    "default_data_dir", "vault_exists", "device_remembered", "any_device_remembered", "keyring_available",
    "unlock_wait_seconds", "folder_refusal", "synced_folder", "remember_data_dir",
]


def default_data_dir() -> Path:
    """$SCHOOLMH_DATA_DIR, else the per-user local (non-roaming) data folder."""
    from schoolmh.db.vault import default_data_dir as _default

    return _default()


# The vault's two files (db.keyfile.KEYFILE_NAME, db.connection.DB_NAME; a test keeps them equal).
# Named here so the window can decide "set-up or unlock" without loading the crypto and database
# modules before its first paint.
VAULT_FILES = ("vault.keys", "schoolmh.db")
LOCK_FILE_NAME = "schoolmh.lock"  # db.instance_lock.LOCK_NAME (a test keeps them equal)


def vault_exists(data_dir: Path) -> bool:
    """The same test as db.vault.vault_exists: either vault file is present."""
    return any((Path(data_dir) / name).exists() for name in VAULT_FILES)


def device_remembered(data_dir: Path, username: str) -> bool:
    """True when this vault's key file holds a "remember me" slot for the account (no secret is read)."""
    from schoolmh.db.vault import device_remembered as _remembered
    from schoolmh.errors import ValidationError
    from schoolmh.services.users import normalise_username

    try:
        name = normalise_username(username)
    except ValidationError:
        return False
    return _remembered(Path(data_dir), name)


def any_device_remembered(data_dir: Path) -> bool:
    """True when any account is remembered on some laptop, which means the lead allows it."""
    from schoolmh.db.keyfile import DEVICE
    from schoolmh.db.vault import load_keyfile

    try:
        return any(slot.kind == DEVICE for slot in load_keyfile(Path(data_dir)).slots)
    except Exception:
        return False


def keyring_available() -> bool:
    """True when a real OS keyring backend is present (not keyring's "fail" or "null" placeholders)."""
    try:
        import keyring

        backend = keyring.get_keyring()
    except Exception:
        return False
    module = type(backend).__module__
    if module.endswith((".fail", ".null")):
        return False
    chained = getattr(backend, "backends", None)
    if chained is not None and not chained:
        return False
    return getattr(backend, "priority", 1) > 0


def unlock_wait_seconds(data_dir: Path) -> float:
    """Seconds left before another unlock attempt is allowed after repeated failures (0 when none)."""
    from schoolmh.db.vault import AttemptLog

    try:
        return AttemptLog.load(Path(data_dir)).remaining_wait()
    except Exception:
        return 0.0


def folder_refusal(data_dir: Path) -> str | None:
    """Why the vault may not live in this folder (cloud-synced or network), or None when it may."""
    from schoolmh.db.location import check_location
    from schoolmh.errors import UnsafeLocation

    try:
        check_location(data_dir)
    except UnsafeLocation as exc:
        return exc.message
    return None


def synced_folder(folder: Path) -> str | None:
    """What makes a folder synced or networked (for warning before a secret is saved there), or None."""
    from schoolmh.db.location import CLOUD, find_problem

    finding = find_problem(os.path.realpath(folder))
    if finding is None:
        return None
    return ("a cloud-synced folder" if finding.kind == CLOUD else "a network folder") + f" ({finding.how})"


def remember_data_dir(data_dir: Path) -> None:
    """Use this folder for the vault from now on (chosen at set-up instead of a refused default)."""
    from schoolmh.db.location import remember_data_dir as _remember

    _remember(Path(data_dir))
