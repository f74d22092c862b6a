"""'Remember me' secrets stay on this laptop: keyring's Windows backend is asked for local-machine
persistence (its default, enterprise, roams with a roaming profile to every laptop the account uses).

keyring's real WinVaultKeyring code runs; only the Win32 credential API under it is simulated."""
from __future__ import annotations

import pytest

from schoolmh.db import vault as vaultlib
from schoolmh.db.device_keyring import local_keyring
from support import LEAD_PASSWORD, keyring_backend
from winvault_sim import CRED_PERSIST_ENTERPRISE, CRED_PERSIST_LOCAL_MACHINE, CredentialManager, win_vault_keyring


@pytest.fixture
def manager():
    return CredentialManager()


@pytest.fixture
def windows_keyring(manager, monkeypatch):
    with keyring_backend(win_vault_keyring(manager, monkeypatch)) as backend:
        yield backend


def test_the_simulated_backend_roams_by_default(manager, monkeypatch):
    """The risk itself: keyring's Windows backend, used as it comes, writes enterprise (roaming) credentials."""
    backend = win_vault_keyring(manager, monkeypatch)
    backend.set_password("SchoolMH", "someone", "secret")
    assert manager.credentials["SchoolMH"]["Persist"] == CRED_PERSIST_ENTERPRISE


def test_remember_me_writes_a_local_machine_credential(windows_keyring, manager, recovery_key, vault_dir):
    opened = vaultlib.unlock_with_password(vault_dir, "lead", LEAD_PASSWORD)
    try:
        assert opened.remember_device("lead")
    finally:
        opened.close()
    (credential,) = manager.credentials.values()
    assert credential["Persist"] == CRED_PERSIST_LOCAL_MACHINE
    # …and the laptop that stored it is remembered: the secret unlocks the vault
    remembered = vaultlib.unlock_with_device(vault_dir, "lead")
    assert remembered is not None
    remembered.close()


def test_a_second_remembered_account_keeps_both_local(windows_keyring, manager, recovery_key, vault_dir):
    """keyring moves the first credential to a compound name when a second one shares the service: still local."""
    opened = vaultlib.unlock_with_password(vault_dir, "lead", LEAD_PASSWORD)
    try:
        assert opened.remember_device("lead")
        local_keyring().set_password(vaultlib.KEYRING_SERVICE, "another account", "x")
    finally:
        opened.close()
    assert len(manager.credentials) == 2
    assert {c["Persist"] for c in manager.credentials.values()} == {CRED_PERSIST_LOCAL_MACHINE}


def test_other_backends_are_left_as_they_are():
    from support import MemoryKeyring

    with keyring_backend(MemoryKeyring()) as backend:
        assert local_keyring() is backend and not hasattr(backend, "persist")
