"""Issue 11 items 3 (signed audit) and 4 (rollback), played by a colleague who holds the data key.

The pastoral account's own password opens its slot, so they hold the data key and can
open schoolmh.db with any SQLCipher tool, drop the triggers, rewrite the chain, MAC a new
audit.head, and put older files back. Signatures and the anchor outside the data folder
are what is left to catch them.
"""
from __future__ import annotations

import json
import shutil
import uuid

import pytest

from support import LEAD_PASSWORD, STAFF_PASSWORD, MemoryKeyring, keyring_backend, vault_copy
from schoolmh.db import anchor as anchorlib
from schoolmh.db import crypto, signing
from schoolmh.db import vault as vaultlib
from schoolmh.db.connection import DB_NAME
from schoolmh.db.keyfile import KEYFILE_NAME, USER, user_label
from schoolmh.db.models import AuditEntry, AuditSignature, Staff
from schoolmh.db.models.base import utcnow
from schoolmh.services import access, audit, settings, users, vault_admin

PAT_PASSWORD = "pastoral password one"


@pytest.fixture(scope="module")
def template(tmp_path_factory):
    """lead writes, then pat writes, then lead writes again (so pat's rows sit between the lead's)."""
    folder = tmp_path_factory.mktemp("insider-audit") / "vault"
    setup = access.init_school(folder, "Oakfield Academy", "lead", "Alex Lead", LEAD_PASSWORD)
    users.add_user(setup.session, "pat", "Pat Pastoral", "pastoral", PAT_PASSWORD)
    setup.session.close()
    s = access.sign_in(folder, "pat", PAT_PASSWORD)
    s.audit("pupil.view", "pupil", uuid.uuid4().hex)
    s.audit("pupil.view", "pupil", uuid.uuid4().hex)
    s.close()
    s = access.sign_in(folder, "lead", LEAD_PASSWORD)
    settings.update(s, autolock_minutes=15)
    s.close()
    return folder


@pytest.fixture
def vault(template, tmp_path):
    return vault_copy(template, tmp_path)


def verify_as_lead(folder):
    s = access.sign_in(folder, "lead", LEAD_PASSWORD)
    try:
        return vault_admin.verify_audit(s)
    finally:
        s.close()


def forget_anchor(folder):
    """As if on another laptop (or the colleague cleared this one's): only the signatures are left."""
    keyfile = vaultlib.load_keyfile(folder)
    path = anchorlib.config_dir() / "anchors" / f"{anchorlib.key_for(keyfile.vault_id, folder)}.json"
    path.unlink(missing_ok=True)


class Insider:
    """pat with the data key from their own slot, editing the database directly."""

    def __init__(self, folder):
        self.vault = vaultlib.unlock_with_password(folder, "pat", PAT_PASSWORD)
        self.db = self.vault.db
        self.vault_id = self.vault.keyfile.vault_id
        self.pat = Staff.get(Staff.username == "pat").uuid
        self.lead = Staff.get(Staff.username == "lead").uuid
        for sql in ("DROP TRIGGER audit_entry_no_update", "DROP TRIGGER audit_entry_no_delete",
                    "DROP TRIGGER audit_signature_no_update", "DROP TRIGGER audit_signature_no_delete"):
            self.db.execute_sql(sql)

    def rows(self):
        return list(AuditEntry.select().order_by(AuditEntry.seq).dicts())

    def rewrite(self, rows, resign: bool):
        """Put `rows` back as a fresh chain; old signatures follow their row (now over other hashes),
        and with `resign` pat signs every transaction end again with their own key."""
        old_sigs = {s.seq: s for s in AuditSignature.select()}
        AuditEntry.delete().execute()
        AuditSignature.delete().execute()
        prev = audit.GENESIS
        for seq, row in enumerate(rows, start=1):
            digest = audit.chain_hash(prev, audit._canonical(seq, row["at"], row["actor"], row["action"],
                                                              row["object_type"], row["object_uuid"], row["detail"]))
            AuditEntry.insert(dict(row, seq=seq, prev_hash=prev, hash=digest)).execute()
            sig = old_sigs.get(row["seq"])
            if sig is not None:
                signature = (self.vault.signer.sign(audit.signed_message(self.vault_id, seq, digest)) if resign
                             else sig.signature)
                public = self.vault.signer.public if resign else sig.public_key
                AuditSignature.insert(seq=seq, public_key=public, signature=signature).execute()
            prev = digest

    def append(self, actor, action, object_type, object_uuid, detail, signer: signing.Signer | None = None):
        seq, digest = audit.append(actor, action, object_type, object_uuid, detail)
        signer = signer or self.vault.signer
        AuditSignature.insert(seq=seq, public_key=signer.public,
                              signature=signer.sign(audit.signed_message(self.vault_id, seq, digest))).execute()

    def done(self):
        """Re-MAC audit.head with the data key (they hold it) and leave."""
        self.vault.write_audit_head(*audit.head())
        self.vault.close()


# --- item 3: signatures -------------------------------------------------------------------
def test_deleting_own_rows_and_rebuilding_the_chain_is_named(vault):
    forget_anchor(vault)
    insider = Insider(vault)
    rows = [r for r in insider.rows() if not (r["actor"] == insider.pat and r["action"] == "pupil.view")]
    insider.rewrite(rows, resign=False)
    insider.done()
    result = verify_as_lead(vault)
    assert not result.ok and "signature does not match" in result.problem


def test_rebuilding_the_chain_and_re_signing_everything_names_the_forger(vault):
    forget_anchor(vault)
    insider = Insider(vault)
    rows = [r for r in insider.rows() if not (r["actor"] == insider.pat and r["action"] == "pupil.view")]
    insider.rewrite(rows, resign=True)
    insider.done()
    result = verify_as_lead(vault)
    assert not result.ok
    assert "signed with Pat Pastoral (pat)'s key before that key was given to them" in result.problem


def test_forging_a_row_as_the_lead_is_named(vault):
    forget_anchor(vault)
    insider = Insider(vault)
    insider.append(insider.lead, "staff.role", "staff", insider.pat, "pastoral->lead")
    insider.done()
    result = verify_as_lead(vault)
    assert not result.ok and "Alex Lead (lead)) carries no signature of theirs: the next is Pat Pastoral (pat)'s" in result.problem


def test_promoting_oneself_in_own_name_is_named(vault):
    forget_anchor(vault)
    insider = Insider(vault)
    insider.append(insider.pat, "staff.role", "staff", insider.pat, "pastoral->lead")
    insider.done()
    result = verify_as_lead(vault)
    assert not result.ok and "changes a role or an account but was signed by Pat Pastoral (pat), who is not a lead" in result.problem


def test_a_key_made_up_for_the_lead_is_named(vault):
    forget_anchor(vault)
    insider = Insider(vault)
    fake = signing.Signer(signing.new_seed())
    insider.append(insider.pat, audit.KEY_REGISTER, "staff", insider.lead, fake.public)
    insider.append(insider.lead, "staff.create", "staff", uuid.uuid4().hex, "role=lead", signer=fake)
    insider.done()
    result = verify_as_lead(vault)
    assert not result.ok and "gives Alex Lead (lead) a new signing key without a lead's signature" in result.problem


def test_removing_every_signature_is_named(vault):
    forget_anchor(vault)
    insider = Insider(vault)
    AuditSignature.delete().execute()
    insider.done()
    result = verify_as_lead(vault)
    assert not result.ok and "Pat Pastoral (pat)) carries no signature of theirs" in result.problem


def test_a_slot_minted_for_the_lead_signs_in_but_its_rows_are_named(vault):
    """The data key lets pat make a genuine-looking slot for the lead with a password of their own.

    The app then lets them in as the lead (roles are enforced by the app, not by encryption), but
    nothing they write verifies: their key is not the one the trail registered for the lead."""
    forget_anchor(vault)
    insider = Insider(vault)
    keyfile = insider.vault.keyfile
    kdf = crypto.new_password_params()
    kek = crypto.derive_password_key("pat's own lead password", kdf)
    lead_uuid = insider.lead
    minted = keyfile.make_slot(USER, kek, kdf, insider.vault.dek, signing.new_seed(),
                               user_label(keyfile.vault_id, "lead"), lead_uuid)
    keyfile.with_slot(minted).save(vault / KEYFILE_NAME)
    insider.done()
    s = access.sign_in(vault, "lead", "pat's own lead password")
    users.add_user(s, "backdoor", "Back Door", "lead", "a backdoor lead password")
    s.close()
    s = access.sign_in(vault, "backdoor", "a backdoor lead password")
    result = vault_admin.verify_audit(s)
    s.close()
    assert not result.ok and "belongs to no account" in result.problem


def test_rotation_and_the_recovery_route_keep_every_signature_verifiable(vault, tmp_path):
    s = access.sign_in(vault, "lead", LEAD_PASSWORD)
    backup = vault_admin.backup(s, tmp_path / "before.zip")
    result = vault_admin.rotate_keys(s, LEAD_PASSWORD)
    s.close()
    s = access.sign_in(vault, "pat", result.new_passwords["pat"])
    users.set_password(s, "pat", "pat chose this one later")
    s.audit("pupil.view", "pupil", uuid.uuid4().hex)
    s.close()
    s = access.recover(vault, result.recovery_key, "lead", "the lead forgot and reset")
    s.audit("pupil.view", "pupil", uuid.uuid4().hex)
    check = vault_admin.verify_audit(s)
    s.close()
    assert check.ok, check.problem
    assert backup.path.exists()


# --- item 4: rollback ------------------------------------------------------------------------
def _older_copy(folder, into):
    into.mkdir()
    for name in (DB_NAME, "audit.head"):
        shutil.copy(folder / name, into / name)


def _put_back(copy, folder):
    for name in (DB_NAME + "-wal", DB_NAME + "-shm"):
        (folder / name).unlink(missing_ok=True)
    for name in (DB_NAME, "audit.head"):
        shutil.copy(copy / name, folder / name)


def test_putting_back_an_older_database_is_named_at_unlock_and_by_audit_verify(vault, tmp_path, monkeypatch, capsys):
    access.sign_in(vault, "lead", LEAD_PASSWORD).close()  # this laptop has seen the vault
    older = tmp_path / "older"
    _older_copy(vault, older)  # copied while the app is closed: no password needed
    s = access.sign_in(vault, "lead", LEAD_PASSWORD)
    users.disable(s, "pat")  # what the copy will undo
    s.close()
    _put_back(older, vault)

    s = access.sign_in(vault, "lead", LEAD_PASSWORD)
    assert s.rollback_warning and "older than this laptop last saw it" in s.rollback_warning
    assert Staff.get(Staff.username == "pat").active  # the disabled account is back ...
    assert vault_admin.handover_warning(s) == s.rollback_warning  # ... and the window's banner says so
    result = vault_admin.verify_audit(s)
    s.close()
    assert not result.ok and "older than this laptop last saw it" in result.problem
    s = access.sign_in(vault, "lead", LEAD_PASSWORD)  # it does not wear off
    assert s.rollback_warning
    s.close()

    from schoolmh.cli import main as cli_main

    monkeypatch.setenv("SCHOOLMH_PASSWORD", LEAD_PASSWORD)
    code = cli_main(["audit", "verify", "--data-dir", str(vault), "--user", "lead"])
    err = capsys.readouterr().err
    assert code == 1 and "warning: This vault" in err and "this laptop last saw" in err


def test_a_rewritten_chain_of_the_same_length_is_named(vault, tmp_path):
    access.sign_in(vault, "lead", LEAD_PASSWORD).close()  # this laptop has seen the vault
    insider = Insider(vault)
    rows = insider.rows()
    rows[-1] = dict(rows[-1], detail="autolock_minutes,school_name")
    insider.rewrite(rows, resign=False)
    insider.done()
    s = access.sign_in(vault, "lead", LEAD_PASSWORD)
    assert s.rollback_warning and "not the one this laptop last saw" in s.rollback_warning
    s.close()


def test_restore_through_schoolmh_moves_the_anchor_on(vault, tmp_path):
    s = access.sign_in(vault, "lead", LEAD_PASSWORD)
    vault_admin.backup(s, tmp_path / "b.zip")
    users.disable(s, "pat")
    s.close()
    vault_admin.restore(vault, tmp_path / "b.zip", username="lead", password=LEAD_PASSWORD)
    s = access.sign_in(vault, "lead", LEAD_PASSWORD)
    assert s.rollback_warning is None
    result = vault_admin.verify_audit(s)
    s.close()
    assert result.ok, result.problem


def test_the_anchor_lives_in_the_keyring_when_one_works(vault, tmp_path, monkeypatch):
    monkeypatch.delenv(anchorlib.CONFIG_ENV)
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "xdg"))
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    older = tmp_path / "older"
    _older_copy(vault, older)
    with keyring_backend(MemoryKeyring()) as ring:
        s = access.sign_in(vault, "lead", LEAD_PASSWORD)
        users.disable(s, "pat")
        s.close()
        ((service, account), value), = [(k, v) for k, v in ring.items.items() if k[0] == anchorlib.KEYRING_SERVICE]
        assert account.startswith(vaultlib.load_keyfile(vault).vault_id) and json.loads(value)["seq"] > 0
        # removing the config folder's copy does not take the anchor back
        shutil.rmtree(anchorlib.config_dir())
        _put_back(older, vault)
        s = access.sign_in(vault, "lead", LEAD_PASSWORD)
        assert s.rollback_warning
        s.close()


def test_a_disabled_colleague_writing_with_an_old_copy_of_the_key_file_is_named(vault, tmp_path):
    """Item 2 says what revocation cannot undo (copies made before); item 3 names what such a copy writes."""
    forget_anchor(vault)
    shutil.copy(vault / KEYFILE_NAME, tmp_path / "pat-kept-this.keys")
    s = access.sign_in(vault, "lead", LEAD_PASSWORD)
    users.disable(s, "pat")
    s.close()
    live = (vault / KEYFILE_NAME).read_bytes()
    shutil.copy(tmp_path / "pat-kept-this.keys", vault / KEYFILE_NAME)
    insider = Insider(vault)  # the old slot still opens the data key: only Rotate all keys changes that
    insider.append(insider.pat, "pupil.view", "pupil", uuid.uuid4().hex, "")
    insider.done()
    (vault / KEYFILE_NAME).write_bytes(live)
    result = verify_as_lead(vault)
    assert not result.ok and "signed by Pat Pastoral (pat) after that account was disabled" in result.problem
