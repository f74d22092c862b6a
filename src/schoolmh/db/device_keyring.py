"""The OS keyring for "remember me" device secrets, set to keep them on this computer only.

keyring's Windows backend stores credentials with CRED_PERSIST_ENTERPRISE by default: with a
roaming profile the secret follows the account to every laptop it signs in to, and a device
slot would then unlock the vault from a machine that was never remembered. Local-machine
persistence keeps it on the one laptop. Other backends (macOS Keychain, Secret Service) keep
their items on the machine already and have no such setting.
"""
from __future__ import annotations

LOCAL_MACHINE = "local machine"  # keyring's name for win32cred.CRED_PERSIST_LOCAL_MACHINE


def local_keyring():
    """keyring's backend for this machine, with local-machine persistence wherever it has the setting."""
    import keyring

    backend = keyring.get_keyring()
    for each in getattr(backend, "backends", None) or [backend]:  # a ChainerBackend holds several
        if hasattr(type(each), "persist"):  # WinVaultKeyring's Persistence descriptor
            each.persist = LOCAL_MACHINE
    return backend


def verify_local_persistence(backend, service: str, account: str) -> str | None:
    """Raise unless Windows stored the credential with local-machine persistence; None where that cannot be asked.

    Read back with CredRead, so the self-test proves the setting reached the credential itself.
    """
    resolve = getattr(backend, "_resolve_credential", None)
    if resolve is None:
        return None
    credential = resolve(service, account)
    value = credential.get("Persist") if credential else None
    if value is None:
        return None
    names = {1: "session", 2: LOCAL_MACHINE, 3: "enterprise"}  # win32cred.CRED_PERSIST_*
    name = names.get(int(value), str(value))
    if name != LOCAL_MACHINE:
        raise RuntimeError(f"the keyring stored the secret with {name} persistence, not {LOCAL_MACHINE}")
    return f"{name} persistence"
