"""Issue 11, played as a colleague with an account and the vault's files would play it.

Items 1 (bound slots, and the format-1 key file upgrade), 2 (revocation leaves no copy),
6 (one-time passwords) and 7 (password strength). Every attack here edits vault.keys
or copies files inside the data folder, as anyone who can reach the folder can.
"""
from __future__ import annotations

import io
import json
import math
import re
import secrets
import shutil
import sys
import uuid
from pathlib import Path

import pytest

from support import LEAD_PASSWORD, STAFF_PASSWORD, MemoryKeyring, keyring_backend, school_vault, vault_copy
from schoolmh.cli import common
from schoolmh.cli import main as cli_main
from schoolmh.db import crypto
from schoolmh.db import vault as vaultlib
from schoolmh.db.connection import DB_NAME, database_proxy, open_database
from schoolmh.db.keyfile import KEYFILE_NAME, LEGACY_FORMAT, RECOVERY, USER, user_label
from schoolmh.db.migrations import MIGRATIONS, schema_version
from schoolmh.db.models import AuditEntry, Setting, Staff
from schoolmh.errors import ValidationError, WrongPassword, WrongRecoveryKey
from schoolmh.services import access, audit, passwords, settings, users, vault_admin
from schoolmh.services.access import AccountDisabled

PAT_PASSWORD = "pastoral password one"


@pytest.fixture(scope="module")
def template(tmp_path_factory):
    return school_vault(tmp_path_factory.mktemp("insider") / "vault", ("pat", "Pat Pastoral", "pastoral", PAT_PASSWORD),
                        ("hana", "Hana Head", "head", STAFF_PASSWORD))


@pytest.fixture
def vault(template, tmp_path):
    folder, key = template
    return vault_copy(folder, tmp_path), key


def keyfile_json(folder: Path, name: str = KEYFILE_NAME) -> dict:
    return json.loads((folder / name).read_text())


def write_keyfile_json(folder: Path, data: dict) -> None:
    (folder / KEYFILE_NAME).write_text(json.dumps(data))


def user_slot(data: dict, username: str) -> dict:
    label = user_label(data["vault_id"], username)
    return next(s for s in data["slots"] if s["kind"] == USER and s["label"] == label)


def run_cli(monkeypatch, capsys, *args, env: dict[str, str]):
    for name in ("SCHOOLMH_PASSWORD", "SCHOOLMH_NEW_PASSWORD", "SCHOOLMH_USER", "SCHOOLMH_DATA_DIR"):
        monkeypatch.delenv(name, raising=False)
    with monkeypatch.context() as m:
        for k, v in env.items():
            m.setenv(k, v)
        m.setattr(sys, "stdin", io.StringIO(""))
        m.setattr(common, "_stdin_lines", None)
        code = cli_main([str(a) for a in args])
    out, err = capsys.readouterr()
    return code, out, err


# --- item 1: a slot's label, owner and kind are bound -----------------------------------
@pytest.mark.parametrize("field", ["label", "owner"])
def test_swapping_slot_labels_does_not_sign_the_pastoral_in_as_the_lead(vault, field, monkeypatch, capsys):
    folder, _ = vault
    data = keyfile_json(folder)
    lead, pat = user_slot(data, "lead"), user_slot(data, "pat")
    lead[field], pat[field] = pat[field], lead[field]
    write_keyfile_json(folder, data)

    with pytest.raises(WrongPassword):
        access.sign_in(folder, "lead", PAT_PASSWORD)
    with pytest.raises(WrongPassword):
        access.sign_in(folder, None, PAT_PASSWORD)  # the default account (the lead made at set-up)
    (folder / vaultlib.ATTEMPTS_NAME).unlink(missing_ok=True)
    code, out, err = run_cli(monkeypatch, capsys, "unlock-check", "--data-dir", folder, "--user", "lead",
                             env={"SCHOOLMH_PASSWORD": PAT_PASSWORD})
    assert code != 0 and "opens the vault" not in out and "do not match" in err


def test_a_copy_of_the_pastoral_slot_relabelled_as_the_lead_opens_nothing(vault):
    folder, _ = vault
    data = keyfile_json(folder)
    forged = dict(user_slot(data, "pat"), label=user_slot(data, "lead")["label"], id=uuid.uuid4().hex)
    data["slots"] = [s for s in data["slots"] if s is not user_slot(data, "lead")] + [forged]
    write_keyfile_json(folder, data)
    with pytest.raises(WrongPassword):
        access.sign_in(folder, "lead", PAT_PASSWORD)


def _legacy_slot(vault_id: str, kind: str, kek: bytes, kdf: crypto.KdfParams, dek: bytes, label: str = "") -> dict:
    """A slot exactly as format 1 wrote it: the data key alone, the label outside the associated data."""
    slot_id = uuid.uuid4().hex
    nonce, wrapped = crypto.wrap(kek, dek, crypto.associated_data(LEGACY_FORMAT, vault_id, slot_id, kind, kdf))
    return {"id": slot_id, "kind": kind, "label": label, "kdf": kdf.to_json(), "nonce": nonce, "wrapped": wrapped}


def make_format1_vault(folder: Path) -> str:
    """A vault as the previous version made it: key file format 1, schema 1, an unsigned audit trail.

    Returns its recovery key. Accounts: lead (LEAD_PASSWORD), pat (PAT_PASSWORD, pastoral).
    """
    folder.mkdir(parents=True)
    dek = secrets.token_bytes(32)
    vault_id = uuid.uuid4().hex
    db = open_database(folder / DB_NAME, dek, must_exist=False)
    database_proxy.initialize(db)
    with db.atomic():
        MIGRATIONS[0](db)
        lead = Staff.create(username="lead", full_name="Alex Lead", role="lead")
        pat = Staff.create(username="pat", full_name="Pat Pastoral", role="pastoral")
        Setting.insert(key="school_name", value=json.dumps("Oakfield Academy")).execute()
        audit.append(lead.uuid, "vault.create", "staff", lead.uuid, "role=lead")
        audit.append(lead.uuid, "staff.create", "staff", pat.uuid, "role=pastoral")
        audit.append(pat.uuid, "signin", "staff", pat.uuid, "password")
        # what v1 made then: no signature table, no signing key column
        db.execute_sql("DROP TABLE audit_signature")
        db.execute_sql("ALTER TABLE staff DROP COLUMN sign_key")
        db.execute_sql("PRAGMA user_version = 1")
    head = audit.head()
    db.close()
    recovery = crypto.new_recovery_key()
    slots = []
    for name, password in (("lead", LEAD_PASSWORD), ("pat", PAT_PASSWORD)):
        kdf = crypto.new_password_params()
        slots.append(_legacy_slot(vault_id, USER, crypto.derive_password_key(password, kdf), kdf, dek,
                                  user_label(vault_id, name)))
    kdf = crypto.new_hkdf_params()
    kek = crypto.derive_hkdf_key(crypto.parse_recovery_key(recovery).encode(), kdf, b"schoolmh recovery")
    slots.append(_legacy_slot(vault_id, RECOVERY, kek, kdf, dek))
    (folder / KEYFILE_NAME).write_text(json.dumps(
        {"format": 1, "vault_id": vault_id, "default_label": user_label(vault_id, "lead"), "slots": slots}
    ))
    shutil.copy(folder / KEYFILE_NAME, folder / (KEYFILE_NAME + ".bak"))
    keyfile = vaultlib.KeyFile.load(folder / KEYFILE_NAME)
    opened = vaultlib.OpenVault(data_dir=folder, db=db, dek=dek, keyfile=keyfile, how="created")
    opened.write_audit_head(*head)
    return recovery


def test_a_format1_vault_is_upgraded_at_each_accounts_next_unlock(tmp_path):
    folder = tmp_path / "old"
    recovery = make_format1_vault(folder)
    assert keyfile_json(folder)["format"] == 1

    s = access.sign_in(folder, "lead", LEAD_PASSWORD)
    assert schema_version(s.db) == len(MIGRATIONS)
    data = keyfile_json(folder)
    assert data["format"] == 2
    assert user_slot(data, "lead")["v"] == 2 and user_slot(data, "lead")["owner"] == s.actor.uuid
    assert user_slot(data, "pat")["v"] == 1  # pat has not signed in since
    assert Staff.get(Staff.username == "lead").sign_key == s.signer.public == user_slot(data, "lead")["sign_pub"]
    assert keyfile_json(folder, KEYFILE_NAME + ".bak") == data
    assert vault_admin.verify_audit(s).ok
    s.close()

    s = access.sign_in(folder, "pat", PAT_PASSWORD)
    assert user_slot(keyfile_json(folder), "pat")["v"] == 2
    s.close()
    s = access.recover(folder, recovery, "pat", PAT_PASSWORD)  # the format-1 recovery slot is upgraded too
    assert next(sl for sl in keyfile_json(folder)["slots"] if sl["kind"] == RECOVERY)["v"] == 2
    s.close()
    s = access.sign_in(folder, "lead", LEAD_PASSWORD)
    result = vault_admin.verify_audit(s)
    assert result.ok, result.problem
    starts = AuditEntry.select().where(AuditEntry.action == audit.SIGNING_START).count()
    s.close()
    assert starts == 1

    # and now the slots are bound: the label swap of item 1 no longer works
    data = keyfile_json(folder)
    lead, pat = user_slot(data, "lead"), user_slot(data, "pat")
    lead["label"], pat["label"] = pat["label"], lead["label"]
    write_keyfile_json(folder, data)
    with pytest.raises(WrongPassword):
        access.sign_in(folder, "lead", PAT_PASSWORD)


# --- item 2: revocation leaves no copy ------------------------------------------------------
def _disable(folder, _key):
    s = access.sign_in(folder, "lead", LEAD_PASSWORD)
    users.disable(s, "pat")
    s.close()


def _reset(folder, _key):
    s = access.sign_in(folder, "lead", LEAD_PASSWORD)
    users.set_password(s, "pat", "a reset password from the lead")
    s.close()


@pytest.mark.parametrize("revoke", [_disable, _reset], ids=["users disable", "password reset"])
def test_a_revoked_password_opens_nothing_from_vault_keys_bak(vault, revoke):
    folder, key = vault
    revoke(folder, key)
    # the colleague puts the backup key file back in place, or reads it with their own tools
    for name in (KEYFILE_NAME + ".bak", KEYFILE_NAME):
        shutil.copy(folder / name, folder / "try.keys")
        shutil.copy(folder / "try.keys", folder / KEYFILE_NAME)
        (folder / vaultlib.ATTEMPTS_NAME).unlink(missing_ok=True)
        with pytest.raises(WrongPassword):
            vaultlib.unlock_with_password(folder, "pat", PAT_PASSWORD)


def test_a_replaced_recovery_key_opens_nothing_from_vault_keys_bak(vault):
    folder, old_key = vault
    s = access.sign_in(folder, "lead", LEAD_PASSWORD)
    vault_admin.replace_recovery_key(s)
    s.close()
    shutil.copy(folder / (KEYFILE_NAME + ".bak"), folder / KEYFILE_NAME)
    with pytest.raises(WrongRecoveryKey):
        vaultlib.unlock_with_recovery(folder, old_key)


def test_a_forgotten_laptop_leaves_no_device_slot_in_vault_keys_bak(vault):
    folder, _ = vault
    s = access.sign_in(folder, "lead", LEAD_PASSWORD)
    settings.update(s, remember_me_allowed=True)
    s.close()
    with keyring_backend(MemoryKeyring()) as ring:
        s = access.sign_in(folder, "pat", PAT_PASSWORD)
        assert s.vault.remember_device("pat")
        secret = dict(ring.items)  # the colleague copies the keyring entry too
        from schoolmh.services import devices

        devices.forget_this_device(s)
        s.close()
        ring.items.update(secret)
        for name in (KEYFILE_NAME, KEYFILE_NAME + ".bak"):
            assert not any(sl["kind"] == "device" for sl in keyfile_json(folder, name)["slots"])
        shutil.copy(folder / (KEYFILE_NAME + ".bak"), folder / KEYFILE_NAME)
        assert vaultlib.unlock_with_device(folder, "pat") is None


def test_an_old_bak_is_replaced_at_the_next_unlock(vault):
    """A vault from before this version may hold a revoked slot in .bak: the next unlock overwrites it."""
    folder, _ = vault
    (folder / (KEYFILE_NAME + ".bak")).write_text("{}")
    access.sign_in(folder, "lead", LEAD_PASSWORD).close()
    assert (folder / (KEYFILE_NAME + ".bak")).read_bytes() == (folder / KEYFILE_NAME).read_bytes()


def test_recover_asks_before_enabling_a_disabled_account(vault, monkeypatch, capsys, tmp_path):
    folder, key = vault
    _disable(folder, key)
    before = (folder / KEYFILE_NAME).read_bytes()
    with pytest.raises(AccountDisabled, match="disabled"):
        access.recover(folder, key, "pat", "a brand new password here")
    assert (folder / KEYFILE_NAME).read_bytes() == before  # nothing changed

    key_file = tmp_path / "recovery.txt"
    key_file.write_text(key)
    env = {"SCHOOLMH_PASSWORD": "a brand new password here"}
    code, out, err = run_cli(monkeypatch, capsys, "recover", "--data-dir", folder, "--user", "pat",
                             "--recovery-key-file", key_file, env=env)
    assert code == 2 and "--enable" in err and (folder / KEYFILE_NAME).read_bytes() == before
    code, out, err = run_cli(monkeypatch, capsys, "recover", "--data-dir", folder, "--user", "pat",
                             "--recovery-key-file", key_file, "--enable", env=env)
    assert code == 0 and "enabled" in out
    s = access.sign_in(folder, "pat", "a brand new password here")
    assert Staff.get(Staff.username == "pat").active
    s.close()
    s = access.sign_in(folder, "lead", LEAD_PASSWORD)
    result = vault_admin.verify_audit(s)  # the recovery route signs with the recovery key's own key
    assert result.ok, result.problem
    s.close()


# --- item 6: one-time passwords -------------------------------------------------------
def test_one_time_passwords_carry_at_least_64_bits():
    alphabet = set(passwords._OTP_ALPHABET)
    assert len(alphabet) == 32 and passwords.OTP_CHARS * math.log2(len(alphabet)) >= 64
    made = {passwords.generate_password() for _ in range(300)}
    assert len(made) == 300
    for p in made:
        assert re.fullmatch(r"[0-9a-z]{4}(-[0-9a-z]{4}){3}", p) and set(p.replace("-", "")) <= alphabet
    # every position uses the whole alphabet (not a short word list in disguise)
    assert set("".join(p.replace("-", "") for p in made)) == alphabet


def test_rotate_all_keys_hands_out_strong_one_time_passwords_that_must_be_changed(vault):
    folder, _ = vault
    s = access.sign_in(folder, "lead", LEAD_PASSWORD)
    result = vault_admin.rotate_keys(s, LEAD_PASSWORD)
    s.close()
    assert set(result.new_passwords) == {"pat", "hana"}
    for name, one_time in result.new_passwords.items():
        assert re.fullmatch(r"[0-9a-z]{4}(-[0-9a-z]{4}){3}", one_time)
        s = access.sign_in(folder, name, one_time)
        assert access.login_required_change(s)
        s.close()


# --- item 7: password strength ------------------------------------------------------
@pytest.mark.parametrize("weak", ["Oakfield2026!", "Welcome2026!", "abcabcabcabc", "oakfieldacademy", "PatPastoral2026"])
def test_guessable_passwords_are_refused_everywhere(vault, weak):
    folder, key = vault
    inputs = ["Oakfield Academy", "pat", "Pat Pastoral"]
    with pytest.raises(ValidationError):
        passwords.check_password(weak, inputs)
    assert passwords.strength(weak, inputs)[0] < passwords.MIN_SCORE  # the meter agrees with the check
    with pytest.raises(ValidationError):
        access.init_school(folder.parent / "new", "Oakfield Academy", "pat", "Pat Pastoral", weak)
    s = access.sign_in(folder, "pat", PAT_PASSWORD)
    with pytest.raises(ValidationError):
        users.set_password(s, "pat", weak)  # the school's name comes from the vault itself
    s.close()
    with pytest.raises(ValidationError):
        access.recover(folder, key, "pat", weak)


def test_short_passwords_still_refused_and_passphrases_accepted():
    with pytest.raises(ValidationError, match="12 characters"):
        passwords.check_password("Xq7#tP2!mW")
    passwords.check_password("correct horse battery staple", ["Oakfield Academy", "lead"])
    assert passwords.strength("correct horse battery staple")[0] >= passwords.MIN_SCORE
