"""Every core action × every role, against the real services: the lead may, the others get PermissionDenied.

Core actions: staff accounts, settings, backup, restore, the recovery key and the
audit trail. The expected policy is written out here, independently of
services/permissions.py, so an accidental edit to the table is caught. A refused
call changes nothing (no audit row, no key-file change).
"""
from __future__ import annotations

import pytest

from support import LEAD_PASSWORD, STAFF_PASSWORD, school_vault
from support import file_sha256, vault_copy
from schoolmh.db.keyfile import KEYFILE_NAME
from schoolmh.db.models import AuditEntry
from schoolmh.errors import PermissionDenied
from schoolmh.services import access, settings, users, vault_admin
from schoolmh.services.permissions import LEAD, PERMISSIONS, ROLES, Action, allowed, assert_table_complete

ACCOUNTS = {"lead": "lead", "pastoral": "pastoral1", "head": "head1", "mhst": "mhst1"}
PASSWORDS = {"lead": LEAD_PASSWORD}

# The policy (SECURITY.md): administration is the lead's alone.
EXPECTED = {
    Action.USERS_MANAGE: {LEAD},
    Action.SETTINGS_MANAGE: {LEAD},
    Action.BACKUP: {LEAD},
    Action.RESTORE: {LEAD},
    Action.RECOVERY_KEY_REPLACE: {LEAD},
    Action.AUDIT_VERIFY: {LEAD},
    Action.AUDIT_READ: {LEAD},
}

# name → (action it needs, the call)
CALLS = {
    "list accounts": (Action.USERS_MANAGE, lambda s, tmp: users.list_users(s)),
    "add an account": (Action.USERS_MANAGE, lambda s, tmp: users.add_user(s, "newbie", "New Person", "pastoral")),
    "change a role": (Action.USERS_MANAGE, lambda s, tmp: users.set_role(s, "spare", "head")),
    "disable an account": (Action.USERS_MANAGE, lambda s, tmp: users.disable(s, "spare")),
    "enable an account": (Action.USERS_MANAGE, lambda s, tmp: users.enable(s, "spare", "a new start 2025")),
    "set someone's password": (
        Action.USERS_MANAGE, lambda s, tmp: users.set_password(s, "spare", "reset by someone else")),
    "change settings": (Action.SETTINGS_MANAGE, lambda s, tmp: settings.update(s, autolock_minutes=12)),
    "back up": (Action.BACKUP, lambda s, tmp: vault_admin.backup(s, tmp / "b.zip")),
    "replace the recovery key": (Action.RECOVERY_KEY_REPLACE, lambda s, tmp: vault_admin.replace_recovery_key(s)),
    "verify the audit trail": (Action.AUDIT_VERIFY, lambda s, tmp: vault_admin.verify_audit(s)),
    "read the audit trail": (Action.AUDIT_READ, lambda s, tmp: vault_admin.audit_rows(s, [s.actor.uuid])),
}


@pytest.fixture(scope="module")
def template(tmp_path_factory):
    staff = [(name, name.title(), role, STAFF_PASSWORD) for role, name in ACCOUNTS.items() if role != "lead"]
    return school_vault(tmp_path_factory.mktemp("perm") / "vault", *staff, ("spare", "Sam Spare", "pastoral", STAFF_PASSWORD))


@pytest.fixture
def vault(template, tmp_path):
    folder, key = template
    return vault_copy(folder, tmp_path), key


def sign_in(folder, role):
    return access.sign_in(folder, ACCOUNTS[role], PASSWORDS.get(role, STAFF_PASSWORD))


def test_table_complete_and_core_policy_as_documented():
    assert_table_complete()
    for action, roles in EXPECTED.items():
        assert set(PERMISSIONS[action]) == roles, action
    assert set(ROLES) == {"lead", "pastoral", "head", "mhst"}


@pytest.mark.parametrize("role", ROLES)
@pytest.mark.parametrize("call", list(CALLS))
def test_core_action_by_role(vault, tmp_path, role, call):
    folder, _ = vault
    action, fn = CALLS[call]
    s = sign_in(folder, role)
    try:
        if role in EXPECTED[action]:
            assert allowed(role, action) and s.can(action)
            fn(s, tmp_path)
        else:
            assert not allowed(role, action) and not s.can(action)
            audit_rows = AuditEntry.select().count()
            keys = file_sha256(folder / KEYFILE_NAME)
            with pytest.raises(PermissionDenied) as err:
                fn(s, tmp_path)
            assert s.actor.role_name in err.value.message
            assert AuditEntry.select().count() == audit_rows
            assert file_sha256(folder / KEYFILE_NAME) == keys
            assert not (tmp_path / "b.zip").exists()
    finally:
        s.close()


@pytest.mark.parametrize("role", ROLES)
def test_restore_by_role(vault, tmp_path, role):
    """Restoring with a password needs a lead's password; the recovery key (held by the lead) always may."""
    folder, key = vault
    s = sign_in(folder, "lead")
    archive = tmp_path / "b.zip"
    vault_admin.backup(s, archive)
    s.close()
    target = tmp_path / "restored"
    kwargs = {"username": ACCOUNTS[role], "password": PASSWORDS.get(role, STAFF_PASSWORD)}
    if role in EXPECTED[Action.RESTORE]:
        vault_admin.restore(target, archive, **kwargs)
        sign_in(target, role).close()
    else:
        with pytest.raises(PermissionDenied):
            vault_admin.restore(target, archive, **kwargs)
        assert not (target / KEYFILE_NAME).exists()
    vault_admin.restore(tmp_path / f"by-key-{role}", archive, recovery_key=key)


@pytest.mark.parametrize("role", ROLES)
def test_everyone_may_change_their_own_password(vault, role):
    folder, _ = vault
    s = sign_in(folder, role)
    users.set_password(s, ACCOUNTS[role], "my own new password")
    s.close()
    s = access.sign_in(folder, ACCOUNTS[role], "my own new password")
    assert not access.login_required_change(s)
    s.close()


def test_lead_setting_a_password_forces_a_change(vault):
    folder, _ = vault
    s = sign_in(folder, "lead")
    users.set_password(s, "spare", "temporary password 1")
    s.close()
    s = access.sign_in(folder, "spare", "temporary password 1")
    assert access.login_required_change(s)
    s.close()


def test_the_last_lead_cannot_be_removed_or_demoted(vault):
    folder, _ = vault
    s = sign_in(folder, "lead")
    with pytest.raises(PermissionDenied):
        users.disable(s, "lead")  # yourself
    with pytest.raises(PermissionDenied):
        users.set_role(s, "lead", "pastoral")
    users.add_user(s, "lead2", "Lee Deputy", "lead", STAFF_PASSWORD)
    users.set_role(s, "lead", "pastoral")  # now allowed: another lead exists
    s.close()
    s = access.sign_in(folder, "lead2", STAFF_PASSWORD)
    with pytest.raises(PermissionDenied):
        users.set_role(s, "lead2", "head")
    assert users.lead_count(s) == 1
    s.close()


def test_disabled_account_cannot_sign_in_even_with_its_old_session_password(vault):
    folder, _ = vault
    s = sign_in(folder, "lead")
    users.disable(s, "head1")
    s.close()
    from schoolmh.errors import WrongPassword

    with pytest.raises(WrongPassword):
        sign_in(folder, "head")
