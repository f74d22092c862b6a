"""Setting up a vault and signing in: the only places a Session is made."""
from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from schoolmh.db import signing
from schoolmh.db import vault as vaultlib
from schoolmh.db.keyfile import user_label
from schoolmh.db.models import AuditEntry, Staff
from schoolmh.db.models.base import new_uuid, utcnow
from schoolmh.errors import ValidationError, WrongPassword
from schoolmh.services import audit, settings
from schoolmh.services.passwords import check_password, password_inputs
from schoolmh.services.permissions import LEAD
from schoolmh.services.session import Actor, Session
from schoolmh.services.users import normalise_username


class AccountDisabled(ValidationError):
    """The recovery key was used for a disabled account: re-enabling it must be asked for (issue 11)."""


@dataclass(frozen=True)
class SetUp:
    session: Session
    recovery_key: str


def _actor(staff: Staff) -> Actor:
    return Actor(uuid=staff.uuid, username=staff.username, full_name=staff.full_name, role=staff.role)


def init_school(data_dir: Path, school_name: str, username: str, full_name: str, password: str, *, demo: bool = False) -> SetUp:
    """Create the vault, the lead's account and the recovery key (returned once, never stored in clear)."""
    username = normalise_username(username)
    school_name = school_name.strip()
    if not school_name:
        raise ValidationError("Enter the school's name.", "school")
    if not full_name.strip():
        full_name = username
    check_password(password, [school_name, username, full_name])
    owner = new_uuid()
    vault, recovery = vaultlib.create_vault(data_dir, username, password, owner)
    try:
        with vault.db.atomic():
            staff = Staff.create(uuid=owner, username=username, full_name=full_name.strip(), role=LEAD,
                                 last_login_at=utcnow(), sign_key=vault.signer.public)
            staff.created_by = staff.updated_by = staff.uuid
            staff.save()
            settings.write_raw(school_name=school_name, is_demo=demo)
            audit.append(staff.uuid, "vault.create", "staff", staff.uuid, "role=lead")
            audit.register_key(staff.uuid, "staff", staff.uuid, vault.signer.public)
            audit.register_key(staff.uuid, audit.RECOVERY, vault.keyfile.vault_id, vault.keyfile.recovery_public_key())
            audit.sign_head(vault.keyfile.vault_id, vault.signer)
        vault.write_audit_head(*audit.head())
        audit.advance_anchor(vault.anchor_key)
    except Exception:
        vault.close()
        raise
    return SetUp(Session(vault, _actor(staff)), recovery)


def _account_for(vault: vaultlib.OpenVault, username: str | None) -> Staff | None:
    """The account whose slot opened the vault: the staff UUID bound into the slot (format 2).

    A format-1 slot (not yet upgraded) only has its label, a hash of the user name.
    Either way the account's user name must give the slot's label, and match `username` if given.
    """
    if vault.owner:
        staff = Staff.get_or_none(Staff.uuid == vault.owner)
    else:
        staff = next((s for s in Staff.select() if user_label(vault.keyfile.vault_id, s.username) == vault.user_label), None)
    if staff is None or user_label(vault.keyfile.vault_id, staff.username) != vault.user_label:
        return None
    if username and staff.username != normalise_username(username):
        return None
    return staff


def _upgrade_slot(session: Session, staff: Staff) -> None:
    """A format-1 slot opened the vault: re-wrap it bound to this account, with a signing key of its own.

    Inside the sign-in's transaction; the first account to upgrade marks where signing begins.
    """
    vault = session.vault
    if vault.signer is not None:
        return
    signer = vault.upgrade_slot(staff.uuid)
    if not audit.signing_started():
        audit.append(staff.uuid, audit.SIGNING_START, "vault", vault.keyfile.vault_id)
    audit.register_key(staff.uuid, "staff", staff.uuid, signer.public)
    Staff.update(sign_key=signer.public).where(Staff.id == staff.id).execute()


def _register_rotated_keys(session: Session) -> None:
    """A rotation stopped after re-encrypting and before recording; the lead who made it finishes it.

    Only reached when this lead's password opened the rotation's own new key file, so the
    keys in it are the ones that rotation made.
    """
    keyfile = session.vault.keyfile
    for owner, public in keyfile.public_keys().items():
        updated = Staff.update(sign_key=public).where((Staff.uuid == owner) & (Staff.sign_key != public)).execute()
        if updated:
            audit.register_key(session.actor.uuid, "staff", owner, public)
    recovery = keyfile.recovery_public_key()
    last = (AuditEntry.select(AuditEntry.detail)
            .where((AuditEntry.action == audit.KEY_REGISTER) & (AuditEntry.object_type == audit.RECOVERY))
            .order_by(AuditEntry.seq.desc()).first())
    if last is None or last.detail != recovery:
        audit.register_key(session.actor.uuid, audit.RECOVERY, keyfile.vault_id, recovery)


def _session_for(vault: vaultlib.OpenVault, username: str | None) -> Session:
    """Find the account whose slot opened the vault; record the sign-in and keep the previous time."""
    staff = _account_for(vault, username)
    if staff is None or not staff.active:
        vault.close()
        raise WrongPassword("That user name and password do not match.")
    previous = staff.last_login_at
    session = Session(vault, _actor(staff), previous)
    session.rollback_warning = audit.rollback_problem(vault.anchor_key)
    with session.transaction():
        _upgrade_slot(session, staff)
        if vault.finished_rotation and staff.role == LEAD:
            _register_rotated_keys(session)
        Staff.update(last_login_at=utcnow()).where(Staff.id == staff.id).execute()
        session.audit("signin", "staff", staff.uuid, vault.how)
    return session


def sign_in(data_dir: Path, username: str | None, password: str) -> Session:
    """username None signs in as the default account (the lead created at set-up)."""
    vault = vaultlib.unlock_with_password(data_dir, normalise_username(username) if username else None, password)
    return _session_for(vault, username)


def sign_in_remembered(data_dir: Path, username: str) -> Session | None:
    """None when this laptop does not remember the account or the lead no longer allows it."""
    vault = vaultlib.unlock_with_device(data_dir, normalise_username(username))
    if vault is None:
        return None
    if not settings.load().remember_me_allowed:
        vault.forget_device(normalise_username(username))
        vault.close()
        return None
    return _session_for(vault, username)


def recover(data_dir: Path, recovery_key: str, username: str, new_password: str, *, enable: bool = False) -> Session:
    """The recovery route: the key opens the vault and sets a new password for any account.

    A disabled account is re-enabled only when `enable` says so (AccountDisabled otherwise,
    nothing changed): a leaver's account must not come back by accident. What this route
    writes is signed with the recovery key's own signing key; the account gets a new one.
    """
    check_password(new_password, [username])
    vault = vaultlib.unlock_with_recovery(data_dir, recovery_key)
    try:
        staff = Staff.get_or_none(Staff.username == normalise_username(username))
        if staff is None:
            raise ValidationError(f"There is no account called {username!r} in this vault.", "user")
        if not staff.active and not enable:
            raise AccountDisabled(
                f"The account {staff.username} is disabled. Setting a new password would enable it again: "
                "confirm that it should be enabled (from the command line, add --enable).", "enable",
            )
        check_password(new_password, password_inputs(staff.username, staff.full_name))
    except Exception:
        vault.close()
        raise
    legacy_recovery = vault.signer is None
    if legacy_recovery:
        vault.upgrade_slot("")
    seed = signing.new_seed()
    public = signing.public_key(seed)
    vault.set_password(staff.username, new_password, owner=staff.uuid, seed=seed)
    vault.forget_device(staff.username)
    session = Session(vault, _actor(staff), staff.last_login_at)
    session.rollback_warning = audit.rollback_problem(vault.anchor_key)
    with session.transaction():  # signed by the recovery key
        if legacy_recovery:
            if not audit.signing_started():
                audit.append(None, audit.SIGNING_START, "vault", vault.keyfile.vault_id)
            audit.register_key(None, audit.RECOVERY, vault.keyfile.vault_id, vault.signer.public)
        Staff.update(active=True, must_change_password=False, last_login_at=utcnow(), sign_key=public).where(
            Staff.id == staff.id
        ).execute()
        session.audit("password.recover", "staff", staff.uuid, "recovery key" + (", enabled" if not staff.active else ""))
        audit.register_key(staff.uuid, "staff", staff.uuid, public)
    # From here on the session writes as the account, with its new key.
    vault.signer, vault.slot = signing.Signer(seed), vault.keyfile.user_slot(staff.username)
    vault.user_label = vault.slot.label
    return session


def login_required_change(session: Session) -> bool:
    staff = Staff.get(Staff.uuid == session.actor.uuid)
    return bool(staff.must_change_password)
