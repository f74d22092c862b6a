"""Helpers shared by test modules (import as `from support import ...`).

Kept out of conftest.py because tests/ui/ has a conftest of its own and both
would be imported under the one module name "conftest".
"""
from __future__ import annotations

import hashlib
import shutil
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import keyring
import keyring.errors
from keyring.backend import KeyringBackend

from schoolmh.services import users

LEAD_PASSWORD = "correct horse battery staple"
STAFF_PASSWORD = "another long passphrase"


def add_staff(session, username: str, role: str, name: str | None = None):
    return users.add_user(session, username, name or username.title(), role, STAFF_PASSWORD)


def vault_copy(template: Path, tmp_path: Path, name: str = "vault") -> Path:
    """A test's own copy of a module's template vault, so the vault is built once per module."""
    copy = tmp_path / name
    shutil.copytree(template, copy)
    return copy


def file_sha256(path: Path) -> str:
    """SHA-256 of a file, to show that a refused or failed action left it byte for byte as it was."""
    return hashlib.sha256(path.read_bytes()).hexdigest()


class MemoryKeyring(KeyringBackend):
    """A keyring that lives in a dict: the 'OS password store' for tests."""

    priority = 1

    def __init__(self) -> None:
        super().__init__()
        self.items: dict[tuple[str, str], str] = {}

    def set_password(self, service: str, username: str, password: str) -> None:
        self.items[(service, username)] = password

    def get_password(self, service: str, username: str) -> str | None:
        return self.items.get((service, username))

    def delete_password(self, service: str, username: str) -> None:
        if self.items.pop((service, username), None) is None:
            raise keyring.errors.PasswordDeleteError("not found")


@contextmanager
def keyring_backend(backend: KeyringBackend) -> Iterator[KeyringBackend]:
    """Use `backend` as the OS keyring inside the block, then put the previous one back."""
    previous = keyring.get_keyring()
    keyring.set_keyring(backend)
    try:
        yield backend
    finally:
        keyring.set_keyring(previous)
