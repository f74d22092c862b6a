"""Proving the current password again from inside a session (before changing it): vault and service."""
from __future__ import annotations

from schoolmh.db.models import AuditEntry
from schoolmh.services import access, users
from support import LEAD_PASSWORD, STAFF_PASSWORD, add_staff


def test_vault_checks_a_password_against_the_accounts_slot_without_writing(lead_session, vault_dir):
    add_staff(lead_session, "p.worker", "pastoral")
    vault = lead_session.vault
    keyfile_before = vault.keyfile_path.read_bytes()
    audit_before = AuditEntry.select().count()
    assert vault.check_password("lead", LEAD_PASSWORD)
    assert not vault.check_password("lead", LEAD_PASSWORD.upper())
    assert not vault.check_password("lead", STAFF_PASSWORD)  # someone else's password
    assert vault.check_password("p.worker", STAFF_PASSWORD)
    assert not vault.check_password("nobody", LEAD_PASSWORD)
    assert vault.keyfile_path.read_bytes() == keyfile_before and AuditEntry.select().count() == audit_before
    assert not lead_session.db.is_closed()


def test_verify_password_is_the_signed_in_users_current_password(lead_session, vault_dir):
    assert users.verify_password(lead_session, LEAD_PASSWORD)
    assert not users.verify_password(lead_session, "")
    assert not users.verify_password(lead_session, "not the password at all")
    users.set_password(lead_session, "lead", "a brand new passphrase")
    assert not users.verify_password(lead_session, LEAD_PASSWORD)
    assert users.verify_password(lead_session, "a brand new passphrase")

    add_staff(lead_session, "p.worker", "pastoral")
    lead_session.close()
    worker = access.sign_in(vault_dir, "p.worker", STAFF_PASSWORD)
    try:
        assert users.verify_password(worker, STAFF_PASSWORD)
        assert not users.verify_password(worker, "a brand new passphrase")  # the lead's
    finally:
        worker.close()


def test_wrong_current_passwords_back_off_like_sign_in(lead_session):
    import pytest

    from schoolmh.errors import LockedOut

    for _ in range(3):
        assert not users.verify_password(lead_session, "a wrong guess here")
    with pytest.raises(LockedOut):
        users.verify_password(lead_session, LEAD_PASSWORD)
