"""Setting up a vault and signing in: the only places a Session is made."""
from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from schoolmh.db import vault as vaultlib
from schoolmh.db.keyfile import user_label
from schoolmh.db.models import Staff
from schoolmh.db.models.base import utcnow
from schoolmh.errors import ValidationError, WrongPassword
from schoolmh.services import audit, settings
from schoolmh.services.passwords import check_password
from schoolmh.services.permissions import LEAD
from schoolmh.services.session import Actor, Session
from schoolmh.services.users import normalise_username


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
    check_password(password)
    vault, recovery = vaultlib.create_vault(data_dir, username, password)
    try:
        with vault.db.atomic():
            staff = Staff.create(username=username, full_name=full_name.strip(), role=LEAD, last_login_at=utcnow())
            staff.created_by = staff.updated_by = staff.uuid
            staff.save()
            settings.write_raw(school_name=school_name, is_demo=demo)
            audit.append(staff.uuid, "vault.create", "staff", staff.uuid, "role=lead")
        vault.write_audit_head(*audit.head())
    except Exception:
        vault.close()
        raise
    return SetUp(Session(vault, _actor(staff)), recovery)


def _session_for(vault: vaultlib.OpenVault, username: str | None) -> Session:
    """Find the account whose slot opened the vault; record the sign-in and keep the previous time."""
    staff = None
    if username:
        staff = Staff.get_or_none(Staff.username == normalise_username(username))
    else:
        for candidate in Staff.select():
            if user_label(vault.keyfile.vault_id, candidate.username) == vault.user_label:
                staff = candidate
                break
    if staff is None or not staff.active:
        vault.close()
        raise WrongPassword("That user name and password do not match.")
    previous = staff.last_login_at
    session = Session(vault, _actor(staff), previous)
    with session.transaction():
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


def recover(data_dir: Path, recovery_key: str, username: str, new_password: str) -> Session:
    """The recovery route: the key opens the vault and sets a new password for any account."""
    check_password(new_password)
    vault = vaultlib.unlock_with_recovery(data_dir, recovery_key)
    staff = Staff.get_or_none(Staff.username == normalise_username(username))
    if staff is None:
        vault.close()
        raise ValidationError(f"There is no account called {username!r} in this vault.", "user")
    vault.set_password(staff.username, new_password)
    vault.forget_device(staff.username)
    session = Session(vault, _actor(staff), staff.last_login_at)
    with session.transaction():
        Staff.update(active=True, must_change_password=False, last_login_at=utcnow()).where(Staff.id == staff.id).execute()
        session.audit("password.recover", "staff", staff.uuid, "recovery key")
    return session


def login_required_change(session: Session) -> bool:
    staff = Staff.get(Staff.uuid == session.actor.uuid)
    return bool(staff.must_change_password)
