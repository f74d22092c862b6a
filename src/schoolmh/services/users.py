"""Staff accounts: each lives in the database and has its own key slot in the key file."""
from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass

from schoolmh.db import signing
from schoolmh.db.models import Staff
from schoolmh.errors import NotFound, PermissionDenied, ValidationError
from schoolmh.services import audit
from schoolmh.services.passwords import check_password, generate_password, password_inputs
from schoolmh.services.permissions import LEAD, ROLES, Action
from schoolmh.services.session import Session

_USERNAME = re.compile(r"^[a-z0-9][a-z0-9._-]{1,62}$")


def normalise_username(username: str) -> str:
    name = (username or "").strip().casefold()
    if not _USERNAME.match(name):
        raise ValidationError(
            "A user name is 2–63 letters, digits, dots, dashes or underscores (for example j.smith).", "username"
        )
    return name


@dataclass(frozen=True)
class StaffInfo:
    uuid: str
    username: str
    full_name: str
    role: str
    active: bool
    must_change_password: bool
    last_login_at: dt.datetime | None
    has_key_slot: bool


@dataclass(frozen=True)
class NewAccount:
    info: StaffInfo
    generated_password: str | None  # shown once when SchoolMH chose it


def _info(session: Session, s: Staff) -> StaffInfo:
    return StaffInfo(
        s.uuid, s.username, s.full_name, s.role, s.active, s.must_change_password, s.last_login_at,
        session.vault.has_user_slot(s.username),
    )


def list_users(session: Session) -> list[StaffInfo]:
    session.require(Action.USERS_MANAGE)
    return [_info(session, s) for s in Staff.select().order_by(Staff.full_name)]


def staff_names(session: Session) -> dict[str, str]:
    """uuid → full name, for showing who recorded something; every role may see colleagues' names."""
    return {s.uuid: s.full_name for s in Staff.select(Staff.uuid, Staff.full_name)}


def _get(username: str) -> Staff:
    staff = Staff.get_or_none(Staff.username == normalise_username(username))
    if staff is None:
        raise NotFound(f"There is no account called {username!r}.")
    return staff


def _check_role(role: str) -> None:
    if role not in ROLES:
        raise ValidationError(f"Role must be one of: {', '.join(ROLES)}.", "role")


def add_user(session: Session, username: str, full_name: str, role: str, password: str | None = None) -> NewAccount:
    session.require(Action.USERS_MANAGE)
    username = normalise_username(username)
    _check_role(role)
    if not full_name.strip():
        raise ValidationError("Enter the person's full name.", "full_name")
    if Staff.get_or_none(Staff.username == username):
        raise ValidationError(f"There is already an account called {username}.", "username")
    generated = None
    if password is None:
        password = generated = generate_password()
    else:
        check_password(password, password_inputs(username, full_name))
    with session.transaction():
        staff = Staff(username=username, full_name=full_name.strip(), role=role, must_change_password=generated is not None)
        session.save(staff, "staff.create", f"role={role}", created=True)
        # The slot is written inside the transaction: if it fails the account row rolls back.
        session.vault.set_password(username, password, owner=staff.uuid, seed=_new_signing_key(session, staff))
    return NewAccount(_info(session, staff), generated)


def _new_signing_key(session: Session, staff: Staff) -> bytes:
    """A new Ed25519 key for `staff`, introduced to the audit trail by the signed-in lead (issue 11).

    Inside the caller's transaction; the seed goes only into the account's new key slot.
    """
    seed = signing.new_seed()
    public = signing.public_key(seed)
    staff.sign_key = public
    Staff.update(sign_key=public).where(Staff.uuid == staff.uuid).execute()
    audit.register_key(session.actor.uuid, "staff", staff.uuid, public)
    return seed


def set_password(session: Session, username: str, new_password: str) -> None:
    """Anyone may change their own; the lead may set anyone's. Rewrites one key slot, nothing else."""
    staff = _get(username)
    own = staff.uuid == session.actor.uuid
    if not own:
        session.require(Action.USERS_MANAGE)
    check_password(new_password, password_inputs(staff.username, staff.full_name))
    with session.transaction():
        staff.must_change_password = not own
        session.save(staff, "password.set", "self" if own else "by lead", object_type="staff")
        # Your own change keeps your signing key; a lead's reset gives the account a new one
        # (the lead cannot open the old), so a copy of the old slot signs nothing that verifies.
        seed = session.signer.seed if own else _new_signing_key(session, staff)
        session.vault.set_password(staff.username, new_password, owner=staff.uuid, seed=seed)
        session.vault.forget_device(staff.username)


def verify_password(session: Session, password: str) -> bool:
    """True when `password` is the signed-in user's current password (checked against their key slot).

    Asked before someone changes their own password, so a laptop left unlocked is not
    enough to take over the account. Nothing is written; no second connection is opened.
    """
    if not password:
        return False
    return session.vault.check_password(session.actor.username, password)


def set_role(session: Session, username: str, role: str) -> None:
    session.require(Action.USERS_MANAGE)
    _check_role(role)
    staff = _get(username)
    if staff.role == LEAD and role != LEAD:
        _keep_one_lead(staff)
    with session.transaction():
        old = staff.role
        staff.role = role
        session.save(staff, "staff.role", f"{old}->{role}")


def _keep_one_lead(leaving: Staff) -> None:
    others = Staff.select().where((Staff.role == LEAD) & Staff.active & (Staff.id != leaving.id)).count()
    if not others:
        raise PermissionDenied("The vault must keep at least one active lead account.")


def disable(session: Session, username: str) -> None:
    """A leaver: the account stays (their records keep their author) but its key slot is removed."""
    session.require(Action.USERS_MANAGE)
    staff = _get(username)
    if staff.uuid == session.actor.uuid:
        raise PermissionDenied("You cannot disable your own account.")
    if staff.role == LEAD:
        _keep_one_lead(staff)
    with session.transaction():
        staff.active = False
        session.save(staff, "staff.disable")
        session.vault.remove_user(staff.username)


def enable(session: Session, username: str, new_password: str) -> None:
    session.require(Action.USERS_MANAGE)
    staff = _get(username)
    check_password(new_password, password_inputs(staff.username, staff.full_name))
    with session.transaction():
        staff.active = True
        staff.must_change_password = True
        session.save(staff, "staff.enable")
        session.vault.set_password(staff.username, new_password, owner=staff.uuid, seed=_new_signing_key(session, staff))


def lead_count(session: Session) -> int:
    return Staff.select().where((Staff.role == LEAD) & Staff.active).count()
