"""Key slots: recovery, leavers, replacing the recovery key, tampering, moving slots, remember-me.

Each way into the vault is one AES-GCM-wrapped copy of the data key. These tests
change the key file the way a careless or hostile person could and check that
only the intended secrets open the vault.
"""
from __future__ import annotations

import json
from pathlib import Path

import keyring.backends.fail
import pytest

from support import LEAD_PASSWORD, STAFF_PASSWORD, MemoryKeyring, file_sha256, keyring_backend, school_vault, vault_copy
from schoolmh.db import crypto
from schoolmh.db import vault as vaultlib
from schoolmh.db.connection import DB_NAME
from schoolmh.db.keyfile import DEVICE, KEYFILE_NAME, RECOVERY, USER, user_label
from schoolmh.db.models import AuditEntry
from schoolmh.errors import ValidationError, WrongPassword, WrongRecoveryKey
from schoolmh.services import access, settings, users, vault_admin

NEW_PASSWORD = "a fresh password for monday"


@pytest.fixture(scope="module")
def template(tmp_path_factory):
    return school_vault(tmp_path_factory.mktemp("keyslots") / "vault", ("pat", "Pat Pastoral", "pastoral", STAFF_PASSWORD),
                        ("lead2", "Lee Deputy", "lead", STAFF_PASSWORD))


@pytest.fixture
def vault(template, tmp_path):
    folder, key = template
    return vault_copy(folder, tmp_path), key


def keyfile_json(folder: Path) -> dict:
    return json.loads((folder / KEYFILE_NAME).read_text())


def write_keyfile_json(folder: Path, data: dict) -> None:
    (folder / KEYFILE_NAME).write_text(json.dumps(data))


def slot_for(data: dict, kind: str, label: str = "") -> dict:
    return next(s for s in data["slots"] if s["kind"] == kind and (not label or s["label"] == label))


def flip_bit_b64(text: str, byte: int = 0, bit: int = 0) -> str:
    raw = bytearray(crypto.b64d(text))
    raw[byte] ^= 1 << bit
    return crypto.b64e(bytes(raw))


# --- recovery ------------------------------------------------------------------------------------
def test_recovery_key_resets_forgotten_password(vault):
    folder, key = vault
    s = access.recover(folder, key, "lead", NEW_PASSWORD)
    assert s.actor.username == "lead"
    assert AuditEntry.select().where(AuditEntry.action == "password.recover").count() == 1
    s.close()
    with pytest.raises(WrongPassword):
        access.sign_in(folder, "lead", LEAD_PASSWORD)
    s = access.sign_in(folder, "lead", NEW_PASSWORD)
    assert not access.login_required_change(s)
    s.close()
    # the recovery key itself keeps working (it is replaced only on purpose), and so do colleagues
    access.recover(folder, key, "pat", "pat's new password here").close()
    access.sign_in(folder, "lead2", STAFF_PASSWORD).close()


def test_recovery_key_is_forgiving_about_typing(vault):
    folder, key = vault
    typed = key.lower().replace("-", " ").replace("0", "o").replace("1", "l")
    access.recover(folder, "  " + typed + " ", "lead", NEW_PASSWORD).close()


def test_recover_unknown_account_changes_nothing(vault):
    folder, key = vault
    before = (file_sha256(folder / DB_NAME), file_sha256(folder / KEYFILE_NAME))
    with pytest.raises(ValidationError) as err:
        access.recover(folder, key, "nobody", NEW_PASSWORD)
    assert "no account called" in err.value.message
    assert (file_sha256(folder / DB_NAME), file_sha256(folder / KEYFILE_NAME)) == before


def test_replacing_recovery_key_retires_the_old_one(vault):
    folder, old = vault
    s = access.sign_in(folder, "lead", LEAD_PASSWORD)
    new = vault_admin.replace_recovery_key(s)
    s.close()
    assert new != old and crypto.parse_recovery_key(new)
    assert len([sl for sl in keyfile_json(folder)["slots"] if sl["kind"] == RECOVERY]) == 1
    with pytest.raises(WrongRecoveryKey) as err:
        access.recover(folder, old, "lead", NEW_PASSWORD)
    assert "replaced by a newer one" in err.value.message
    access.recover(folder, new, "lead", NEW_PASSWORD).close()


# --- leavers and password changes ----------------------------------------------------------------
def test_disabled_account_slot_no_longer_unlocks(vault):
    folder, _ = vault
    s = access.sign_in(folder, "lead", LEAD_PASSWORD)
    users.disable(s, "pat")
    info = {u.username: u for u in users.list_users(s)}
    assert not info["pat"].active and not info["pat"].has_key_slot
    s.close()
    data = keyfile_json(folder)
    assert not any(sl["label"] == user_label(data["vault_id"], "pat") for sl in data["slots"])
    with pytest.raises(WrongPassword):
        access.sign_in(folder, "pat", STAFF_PASSWORD)
    # re-enabling gives a new slot with a new password (old one stays dead)
    s = access.sign_in(folder, "lead", LEAD_PASSWORD)
    users.enable(s, "pat", "welcome back pat 2025")
    s.close()
    with pytest.raises(WrongPassword):
        access.sign_in(folder, "pat", STAFF_PASSWORD)
    s = access.sign_in(folder, "pat", "welcome back pat 2025")
    assert access.login_required_change(s)
    s.close()


def test_password_change_rewraps_one_slot_only(vault):
    folder, _ = vault
    before = {sl["id"]: sl for sl in keyfile_json(folder)["slots"]}
    s = access.sign_in(folder, "pat", STAFF_PASSWORD)
    users.set_password(s, "pat", NEW_PASSWORD)
    s.close()
    after = {sl["id"]: sl for sl in keyfile_json(folder)["slots"]}
    changed = set(before) ^ set(after)
    assert len(changed) == 2  # pat's old slot went, pat's new slot came
    assert all(before[i] == after[i] for i in set(before) & set(after))
    assert (folder / (KEYFILE_NAME + ".bak")).exists()  # previous key file kept
    with pytest.raises(WrongPassword):
        access.sign_in(folder, "pat", STAFF_PASSWORD)
    access.sign_in(folder, "pat", NEW_PASSWORD).close()


def test_password_is_nfc_normalised(vault):
    folder, _ = vault
    composed, decomposed = "caf\u00e9 au lait please", "cafe\u0301 au lait please"
    s = access.sign_in(folder, "lead", LEAD_PASSWORD)
    users.set_password(s, "lead", composed)
    s.close()
    access.sign_in(folder, "lead", decomposed).close()


# --- tampering -----------------------------------------------------------------------------------
@pytest.mark.parametrize("part", ["wrapped", "nonce", "salt", "memory", "time_cost", "slot id", "kind"])
def test_tampered_user_slot_fails(vault, part):
    folder, _ = vault
    data = keyfile_json(folder)
    slot = slot_for(data, USER, user_label(data["vault_id"], "lead"))
    if part == "wrapped":
        slot["wrapped"] = flip_bit_b64(slot["wrapped"], byte=5, bit=3)
    elif part == "nonce":
        slot["nonce"] = flip_bit_b64(slot["nonce"], byte=11, bit=7)
    elif part == "salt":
        slot["kdf"]["salt"] = flip_bit_b64(slot["kdf"]["salt"])
    elif part == "memory":
        slot["kdf"]["memory_kib"] = slot["kdf"]["memory_kib"] // 2  # a cheaper slot to brute-force
    elif part == "time_cost":
        slot["kdf"]["time_cost"] = slot["kdf"]["time_cost"] + 1
    elif part == "slot id":
        slot["id"] = "0" * 32
    elif part == "kind":
        slot["kind"] = DEVICE
    write_keyfile_json(folder, data)
    with pytest.raises(WrongPassword):
        access.sign_in(folder, "lead", LEAD_PASSWORD)
    access.sign_in(folder, "pat", STAFF_PASSWORD).close()  # other slots unaffected


def test_tampered_vault_id_fails_every_slot(vault):
    folder, key = vault
    data = keyfile_json(folder)
    data["vault_id"] = data["vault_id"][:-1] + ("0" if data["vault_id"][-1] != "0" else "1")
    write_keyfile_json(folder, data)
    with pytest.raises(WrongPassword):
        access.sign_in(folder, "lead", LEAD_PASSWORD)
    with pytest.raises(WrongRecoveryKey):
        access.recover(folder, key, "lead", NEW_PASSWORD)


def test_tampered_recovery_slot_fails(vault):
    folder, key = vault
    data = keyfile_json(folder)
    slot = slot_for(data, RECOVERY)
    slot["wrapped"] = flip_bit_b64(slot["wrapped"], byte=40)  # inside the GCM tag
    write_keyfile_json(folder, data)
    with pytest.raises(WrongRecoveryKey):
        access.recover(folder, key, "lead", NEW_PASSWORD)


def test_slot_moved_from_another_vault_fails(vault, tmp_path):
    """Same user name, same password, same role: a slot from vault A still cannot open vault B."""
    folder_b, key_b = vault
    folder_a = tmp_path / "other"
    setup = access.init_school(folder_a, "Other School", "lead", "Alex Lead", LEAD_PASSWORD)
    key_a = setup.recovery_key
    setup.session.close()
    a, b = keyfile_json(folder_a), keyfile_json(folder_b)
    label_b = user_label(b["vault_id"], "lead")
    moved = dict(slot_for(a, USER, user_label(a["vault_id"], "lead")), label=label_b)
    b["slots"] = [s for s in b["slots"] if not (s["kind"] == USER and s["label"] == label_b)] + [moved]
    recovery_a = slot_for(a, RECOVERY)
    b["slots"] = [s for s in b["slots"] if s["kind"] != RECOVERY] + [recovery_a]
    write_keyfile_json(folder_b, b)
    with pytest.raises(WrongPassword):
        access.sign_in(folder_b, "lead", LEAD_PASSWORD)
    with pytest.raises(WrongRecoveryKey):
        access.recover(folder_b, key_a, "lead", NEW_PASSWORD)
    with pytest.raises(WrongRecoveryKey):
        access.recover(folder_b, key_b, "lead", NEW_PASSWORD)  # its own slot was replaced
    (folder_b / vaultlib.ATTEMPTS_NAME).unlink()  # three failures above started the back-off
    access.sign_in(folder_b, "pat", STAFF_PASSWORD).close()


def test_key_file_names_nobody(vault):
    folder, _ = vault
    text = (folder / KEYFILE_NAME).read_text()
    for word in ("lead", "pat", "Alex", "Pastoral", "Oakfield"):
        assert word not in text


# --- remember me on this laptop (keyring) ---------------------------------------------------------
@pytest.fixture
def memory_keyring():
    with keyring_backend(MemoryKeyring()) as backend:
        yield backend


@pytest.fixture
def no_keyring():
    with keyring_backend(keyring.backends.fail.Keyring()):
        yield


def _allow_remember(folder: Path, allowed: bool = True) -> None:
    s = access.sign_in(folder, "lead", LEAD_PASSWORD)
    settings.update(s, remember_me_allowed=allowed)
    s.close()


def test_remember_me_with_a_keyring(vault, memory_keyring):
    folder, _ = vault
    _allow_remember(folder)
    s = access.sign_in(folder, "pat", STAFF_PASSWORD)
    assert s.vault.remember_device("pat") is True
    s.close()
    assert vaultlib.device_remembered(folder, "pat") and not vaultlib.device_remembered(folder, "lead")
    # the keyring holds a random secret under a name that identifies nobody
    ((service, account), secret), = memory_keyring.items.items()
    assert service == vaultlib.KEYRING_SERVICE and "pat" not in account and len(crypto.b64d(secret)) == 32
    s = access.sign_in_remembered(folder, "Pat")
    assert s is not None and s.actor.username == "pat" and s.vault.how == "device"
    s.close()
    assert access.sign_in_remembered(folder, "lead") is None  # not remembered: type the password


def test_remember_me_survives_a_lost_or_changed_keyring(vault, memory_keyring):
    folder, _ = vault
    _allow_remember(folder)
    s = access.sign_in(folder, "pat", STAFF_PASSWORD)
    s.vault.remember_device("pat")
    s.close()
    ((entry, secret),) = memory_keyring.items.items()
    memory_keyring.items[entry] = crypto.b64e(b"\x01" * 32)  # replaced (another install, reset)
    assert access.sign_in_remembered(folder, "pat") is None
    memory_keyring.items.clear()  # gone (new laptop profile)
    assert access.sign_in_remembered(folder, "pat") is None
    access.sign_in(folder, "pat", STAFF_PASSWORD).close()  # the password always works


def test_password_change_forgets_the_device(vault, memory_keyring):
    folder, _ = vault
    _allow_remember(folder)
    s = access.sign_in(folder, "pat", STAFF_PASSWORD)
    s.vault.remember_device("pat")
    users.set_password(s, "pat", NEW_PASSWORD)
    s.close()
    assert not vaultlib.device_remembered(folder, "pat") and not memory_keyring.items
    assert access.sign_in_remembered(folder, "pat") is None


def test_lead_turning_remember_me_off_forgets_every_device(vault, memory_keyring):
    folder, _ = vault
    _allow_remember(folder)
    for name, pw in (("pat", STAFF_PASSWORD), ("lead2", STAFF_PASSWORD)):
        s = access.sign_in(folder, name, pw)
        s.vault.remember_device(name)
        s.close()
    _allow_remember(folder, False)
    assert not any(sl["kind"] == DEVICE for sl in keyfile_json(folder)["slots"])
    assert access.sign_in_remembered(folder, "pat") is None


def test_remembered_sign_in_refused_when_setting_off(vault, memory_keyring):
    """A device slot left over while the setting is off: not used, and forgotten on the spot."""
    folder, _ = vault
    _allow_remember(folder)
    s = access.sign_in(folder, "pat", STAFF_PASSWORD)
    s.vault.remember_device("pat")
    s.close()
    s = access.sign_in(folder, "lead", LEAD_PASSWORD)
    with s.transaction():
        settings.write_raw(remember_me_allowed=False)  # bypasses update(), which would forget devices itself
    s.close()
    assert access.sign_in_remembered(folder, "pat") is None
    assert not vaultlib.device_remembered(folder, "pat") and not memory_keyring.items


def test_no_keyring_backend_app_works(vault, no_keyring):
    folder, key = vault
    _allow_remember(folder)
    before = file_sha256(folder / KEYFILE_NAME)
    s = access.sign_in(folder, "pat", STAFF_PASSWORD)
    assert s.vault.remember_device("pat") is False
    s.vault.forget_device("pat")  # nothing to forget, nothing breaks
    s.close()
    assert file_sha256(folder / KEYFILE_NAME) == before  # no dangling device slot
    assert access.sign_in_remembered(folder, "pat") is None
    s = access.sign_in(folder, "pat", STAFF_PASSWORD)
    users.set_password(s, "pat", NEW_PASSWORD)  # forgets the device through the failing keyring
    s.close()
    access.recover(folder, key, "pat", STAFF_PASSWORD).close()
    s = access.sign_in(folder, "lead", LEAD_PASSWORD)
    settings.update(s, remember_me_allowed=False)
    s.close()
