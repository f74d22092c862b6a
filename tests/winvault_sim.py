"""keyring's real Windows backend (WinVaultKeyring) over an in-memory Credential Manager.

The keyring code that runs on a school laptop is loaded as it is; only win32cred and pywintypes,
the Win32 API it calls, are replaced, so a test can see the Persist value each CredWrite asked for.
"""
from __future__ import annotations

import importlib.util
import sys
import types
from pathlib import Path

import keyring.backends

CRED_TYPE_GENERIC = 1
CRED_PERSIST_SESSION, CRED_PERSIST_LOCAL_MACHINE, CRED_PERSIST_ENTERPRISE = 1, 2, 3


class CredentialManager:
    """The Windows Credential Manager's generic credentials, keyed by target name."""

    def __init__(self) -> None:
        self.credentials: dict[str, dict] = {}

    def module(self) -> types.ModuleType:
        win32cred = types.ModuleType("win32cred")
        win32cred.CRED_TYPE_GENERIC = CRED_TYPE_GENERIC
        win32cred.CRED_PERSIST_SESSION = CRED_PERSIST_SESSION
        win32cred.CRED_PERSIST_LOCAL_MACHINE = CRED_PERSIST_LOCAL_MACHINE
        win32cred.CRED_PERSIST_ENTERPRISE = CRED_PERSIST_ENTERPRISE
        win32cred.CredWrite = self.write
        win32cred.CredRead = self.read
        win32cred.CredDelete = self.delete
        return win32cred

    def write(self, credential: dict, flags: int) -> None:
        stored = dict(credential)
        stored["CredentialBlob"] = credential["CredentialBlob"].encode("utf-16-le")  # as CredRead returns it
        self.credentials[credential["TargetName"]] = stored

    def read(self, Type: int, TargetName: str) -> dict:  # noqa: N803 - the Win32 names
        if TargetName not in self.credentials:
            raise PyWinError(1168, "CredRead", "Element not found.")
        return dict(self.credentials[TargetName])

    def delete(self, Type: int, TargetName: str) -> None:  # noqa: N803
        if self.credentials.pop(TargetName, None) is None:
            raise PyWinError(1168, "CredDelete", "Element not found.")


class PyWinError(Exception):
    def __init__(self, winerror: int, funcname: str, strerror: str) -> None:
        super().__init__(winerror, funcname, strerror)
        self.winerror, self.funcname, self.strerror = winerror, funcname, strerror


def win_vault_keyring(manager: CredentialManager, monkeypatch):
    """A WinVaultKeyring instance from keyring's own source, calling `manager` instead of Windows."""
    pywintypes = types.ModuleType("pywintypes")
    pywintypes.error = PyWinError
    monkeypatch.setitem(sys.modules, "pywintypes", pywintypes)
    monkeypatch.setitem(sys.modules, "win32cred", manager.module())
    monkeypatch.setitem(sys.modules, "win32ctypes", None)  # keyring tries pywin32-ctypes first
    source = Path(keyring.backends.__file__).with_name("Windows.py")
    spec = importlib.util.spec_from_file_location("keyring.backends.Windows_simulated", source)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    assert not module.missing_deps, "keyring's Windows backend did not accept the simulated Win32 API"
    return module.WinVaultKeyring()
