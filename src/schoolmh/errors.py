"""One exception family whose messages are written for school staff, not programmers.

Anything that can reach a user (window or command line) is a SchoolMHError; its
`message` is shown as is. Anything else is a bug: the UI and CLI show a plain
"nothing was saved" line and log the detail without identifiers.
"""
from __future__ import annotations

from dataclasses import dataclass


class SchoolMHError(Exception):
    """Base class: `message` is safe and meaningful to show to a user."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


class ValidationError(SchoolMHError):
    """Bad input; nothing was written. `field` names the input at fault, when there is one."""

    def __init__(self, message: str, field: str | None = None) -> None:
        super().__init__(message)
        self.field = field


@dataclass(frozen=True)
class FieldProblem:
    field: str
    message: str


class ValidationErrors(ValidationError):
    """Several problems found at once (a form, an import file); nothing was written."""

    def __init__(self, problems: list[FieldProblem], summary: str | None = None) -> None:
        text = summary or "; ".join(f"{p.field}: {p.message}" for p in problems)
        super().__init__(text, problems[0].field if problems else None)
        self.problems = problems


class PermissionDenied(SchoolMHError):
    """The signed-in role may not do this (see services/permissions.py)."""


class NotFound(SchoolMHError):
    pass


# --- vault -----------------------------------------------------------------
class VaultError(SchoolMHError):
    """Something about opening or changing the encrypted vault; nothing was changed."""


class VaultMissing(VaultError):
    pass


class DatabaseMissing(VaultMissing):
    """The key file is there but the database file is not."""


class KeyFileMissing(VaultMissing):
    """The database is there but its key file (the wrapped data key) is not."""


class VaultExists(VaultError):
    pass


class WrongPassword(VaultError):
    """Deliberately does not say whether the user name or the password was wrong."""


class WrongRecoveryKey(VaultError):
    pass


class DamagedKeyFile(VaultError):
    pass


class DamagedDatabase(VaultError):
    pass


class VaultBusy(VaultError):
    """Another SchoolMH process held the write lock for longer than the busy timeout; nothing was saved."""


class UnsafeLocation(VaultError):
    """The live database may not sit in a cloud-synced or network folder."""


class LockedOut(VaultError):
    """Too many failed attempts: wait `seconds` before trying again."""

    def __init__(self, message: str, seconds: float) -> None:
        super().__init__(message)
        self.seconds = seconds


class MigrationFailed(VaultError):
    pass


class BackupError(SchoolMHError):
    pass
