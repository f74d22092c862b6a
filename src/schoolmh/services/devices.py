"""'Remember me on this laptop': a device key slot whose secret lives in the OS keyring.

Only when the lead allows it (settings.remember_me_allowed) and a keyring works.
The keyring never holds the only copy of anything: losing it just means typing
the password again.
"""
from __future__ import annotations

from schoolmh.errors import ValidationError
from schoolmh.services import settings
from schoolmh.services.app_info import keyring_available
from schoolmh.services.session import Session

__all__ = ["remember_allowed", "remember_this_device", "forget_this_device", "is_remembered"]


def remember_allowed(session: Session) -> bool:
    """Whether the "Remember me" choice may be offered to this session's user."""
    return settings.load(session).remember_me_allowed and keyring_available()


def is_remembered(session: Session) -> bool:
    from schoolmh.services.app_info import device_remembered

    return device_remembered(session.vault.data_dir, session.actor.username)


def remember_this_device(session: Session) -> None:
    """Add a device slot for the signed-in account; raises ValidationError when not allowed or no keyring."""
    if not settings.load(session).remember_me_allowed:
        raise ValidationError("Your lead has not allowed “Remember me on this laptop”.", "remember")
    if not keyring_available() or not session.vault.remember_device(session.actor.username):
        raise ValidationError(
            "This laptop has no working password store (keyring), so SchoolMH cannot remember you. "
            "Your password still works as before.",
            "remember",
        )
    session.audit("device.remember", "staff", session.actor.uuid)


def forget_this_device(session: Session) -> None:
    """Remove this account's device slot and its keyring entry (harmless when there is none)."""
    was = is_remembered(session)
    session.vault.forget_device(session.actor.username)
    if was:
        session.audit("device.forget", "staff", session.actor.uuid)
