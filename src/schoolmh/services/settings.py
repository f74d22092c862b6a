"""School-wide settings stored inside the encrypted vault (never in QSettings or the registry)."""
from __future__ import annotations

import datetime as dt
import json
from dataclasses import dataclass, field, fields, replace

from schoolmh.db.models import Setting
from schoolmh.errors import ValidationError
from schoolmh.services.permissions import Action
from schoolmh.services.session import Session


@dataclass(frozen=True)
class Settings:
    school_name: str = ""
    school_urn: str = ""
    local_authority: str = ""
    autolock_minutes: int = 10
    remember_me_allowed: bool = False
    # Retention: pupil support records are commonly kept until the pupil's 25th birthday.
    retention_until_age: int = 25
    is_demo: bool = False
    recovery_sheet_confirmed: bool = False
    # The school's own term dates: {"2026-27": {"autumn": ["2026-09-03", "2026-12-18"], ...}}; a school year
    # not listed uses the DfE census default (services/terms.py). Changed only through set_term_dates.
    term_dates: dict = field(default_factory=dict)
    # The "backup overdue" reminder (services/backup_status.py): after this many days without one.
    backup_overdue_days: int = 7
    last_backup_on: str = ""  # ISO date of the last verified backup (written by the backup itself)
    last_backup_place: str = ""  # the folder it went to


def load(session: Session | None = None) -> Settings:
    """Readable by every signed-in role: the window needs auto-lock and the school name."""
    values = {row.key: json.loads(row.value) for row in Setting.select()}
    known = {f.name for f in fields(Settings)}
    return Settings(**{k: v for k, v in values.items() if k in known})


def _validate(s: Settings) -> None:
    if not 1 <= int(s.autolock_minutes) <= 240:
        raise ValidationError("Auto-lock must be between 1 and 240 minutes.", "autolock_minutes")
    if not 18 <= int(s.retention_until_age) <= 100:
        raise ValidationError("Retention must run to an age between 18 and 100.", "retention_until_age")
    if not 1 <= int(s.backup_overdue_days) <= 365:
        raise ValidationError("The backup reminder must come after 1 to 365 days.", "backup_overdue_days")
    if len(s.school_name) > 200:
        raise ValidationError("The school name is too long (200 characters at most).", "school_name")


def write_raw(**changes) -> None:
    """For set-up only (no session exists yet); callers hold the transaction."""
    for key, value in changes.items():
        Setting.insert(key=key, value=json.dumps(value)).on_conflict_replace().execute()


def update(session: Session, **changes) -> Settings:
    session.require(Action.SETTINGS_MANAGE)
    current = load()
    unknown = set(changes) - {f.name for f in fields(Settings)} | ({"term_dates"} & set(changes))
    if unknown:
        raise ValidationError(f"Unknown setting: {', '.join(sorted(unknown))}.")
    new = replace(current, **changes)
    _validate(new)
    with session.transaction():
        write_raw(**changes)
        session.audit("settings.update", "settings", "", ",".join(sorted(changes)))
    if "remember_me_allowed" in changes and not new.remember_me_allowed:
        session.vault.forget_all_devices()
    return new


def term_dates() -> dict[str, dict[str, tuple[dt.date, dt.date]]]:
    """The school's term dates by school year ("2026-27"), as dates. No permission check: every figure needs them."""
    out: dict[str, dict[str, tuple[dt.date, dt.date]]] = {}
    for year, terms in (load().term_dates or {}).items():
        try:
            out[year] = {t: (dt.date.fromisoformat(a), dt.date.fromisoformat(b)) for t, (a, b) in terms.items()}
        except (TypeError, ValueError):
            continue  # written by hand outside SchoolMH: the census default applies
    return out


def set_term_dates(session: Session, school_year: str, dates: dict[str, tuple[dt.date, dt.date]]) -> None:
    """Set the first and last day of autumn, spring and summer for one school year ("2026-27")."""
    from schoolmh.services import terms

    session.require(Action.SETTINGS_MANAGE)
    first_year = terms.parse_school_year(school_year)
    terms.check_term_dates(first_year, dates)
    name = terms.school_year_name(first_year)
    stored = dict(load().term_dates or {})
    stored[name] = {t: [dates[t][0].isoformat(), dates[t][1].isoformat()] for t in terms.TERMS}
    with session.transaction():
        write_raw(term_dates=stored)
        session.audit("settings.update", "settings", "", f"term_dates={name}")


def clear_term_dates(session: Session, school_year: str) -> bool:
    """Go back to the census default for one school year; False when none were set."""
    from schoolmh.services import terms

    session.require(Action.SETTINGS_MANAGE)
    name = terms.school_year_name(terms.parse_school_year(school_year))
    stored = dict(load().term_dates or {})
    if name not in stored:
        return False
    del stored[name]
    with session.transaction():
        write_raw(term_dates=stored)
        session.audit("settings.update", "settings", "", f"term_dates={name},cleared")
    return True
