"""When the vault was last backed up, where to, and whether a backup is overdue.

The vault lives in one Windows account's local data folder and is lost when the
laptop is re-imaged, so a lead who has not made a backup for `backup_overdue_days`
(a setting, default 7) is told so in the window, with the last backup's date and
folder. Both are kept in the vault's own settings (encrypted, like every setting);
the folder is where the lead chose to save, never pupil data. With no backup yet,
the days count from the vault's creation (its first audit entry).
"""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from pathlib import Path

from schoolmh.db.models import AuditEntry
from schoolmh.services import settings
from schoolmh.services.permissions import Action
from schoolmh.services.session import Session


@dataclass(frozen=True)
class BackupOverdue:
    limit_days: int  # the setting
    days: int  # since the last backup (or since the vault was made, if never)
    last_on: dt.date | None  # None: never backed up
    place: str  # the folder the last backup went to ("" if never)

    def message(self) -> str:
        if self.last_on is None:
            return (f"Backup overdue: this vault has never been backed up ({self.days} days since it was set up). "
                    "Admin ▸ Vault ▸ Back up now, to a USB stick or the school's network.")
        return (f"Backup overdue: the last backup was {self.days} days ago, on {self.last_on:%d/%m/%Y}, to "
                f"{self.place}. Admin ▸ Vault ▸ Back up now.")


def record_backup(session: Session, out: Path) -> None:
    """After a verified backup: its date and folder, for the overdue reminder (the backup is audited already)."""
    with session.transaction():
        settings.write_raw(last_backup_on=session.today().isoformat(), last_backup_place=str(Path(out).parent))


def _created_on(session: Session) -> dt.date:
    first = AuditEntry.select(AuditEntry.at).order_by(AuditEntry.seq).first()
    if first is None or first.at is None:
        return session.today()
    at = first.at if first.at.tzinfo else first.at.replace(tzinfo=dt.timezone.utc)
    return at.astimezone().date()


def overdue(session: Session) -> BackupOverdue | None:
    """The reminder due now, for a role that makes backups (others cannot act on it); None otherwise."""
    if not session.can(Action.BACKUP):
        return None
    current = settings.load(session)
    last = dt.date.fromisoformat(current.last_backup_on) if current.last_backup_on else None
    days = (session.today() - (last or _created_on(session))).days
    if days < int(current.backup_overdue_days):
        return None
    return BackupOverdue(int(current.backup_overdue_days), days, last, current.last_backup_place if last else "")
