"""The schema-version ladder, run on open.

Each step runs in one transaction with the version bump, so a failure rolls the
database back to exactly what it was (SQLite DDL is transactional). Before the
first step on an existing database, an online backup copy is taken beside it.
"""
from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from schoolmh.db.connection import RawKeyCipherDatabase
from schoolmh.db.models import all_models
from schoolmh.errors import MigrationFailed

AUDIT_TRIGGERS = (
    """CREATE TRIGGER IF NOT EXISTS audit_entry_no_update BEFORE UPDATE ON audit_entry
       BEGIN SELECT RAISE(ABORT, 'the audit trail is append-only'); END""",
    """CREATE TRIGGER IF NOT EXISTS audit_entry_no_delete BEFORE DELETE ON audit_entry
       BEGIN SELECT RAISE(ABORT, 'the audit trail is append-only'); END""",
)


def _v1_initial(db: RawKeyCipherDatabase) -> None:
    db.create_tables(all_models())
    for sql in AUDIT_TRIGGERS:
        db.execute_sql(sql)


AUDIT_SIGNATURE_TRIGGERS = (
    """CREATE TRIGGER IF NOT EXISTS audit_signature_no_update BEFORE UPDATE ON audit_signature
       BEGIN SELECT RAISE(ABORT, 'the audit trail is append-only'); END""",
    """CREATE TRIGGER IF NOT EXISTS audit_signature_no_delete BEFORE DELETE ON audit_signature
       BEGIN SELECT RAISE(ABORT, 'the audit trail is append-only'); END""",
)


def _audit_signatures(db: RawKeyCipherDatabase) -> None:
    """Issue 11: staff.sign_key and the audit_signature table (v1 already makes both on a new vault)."""
    from schoolmh.db.models import AuditSignature

    if "sign_key" not in {c.name for c in db.get_columns("staff")}:
        db.execute_sql("ALTER TABLE staff ADD COLUMN sign_key VARCHAR(64) NOT NULL DEFAULT ''")
    db.create_tables([AuditSignature], safe=True)
    for sql in AUDIT_SIGNATURE_TRIGGERS:
        db.execute_sql(sql)


def _referral_decision_history(db: RawKeyCipherDatabase) -> None:
    """Referral decisions become dated history (issue 13.4). Idempotent: a vault whose v1
    already made the table is left alone. Each decided referral gets one history row from
    what it holds; for "not accepted" its reason is taken as the refusal's reason, because
    the old decision form wrote the refusal reason over it (and required one)."""
    from schoolmh.db.models.records import ReferralDecision

    if db.table_exists(ReferralDecision._meta.table_name):
        return
    db.create_tables([ReferralDecision])
    db.execute_sql(
        "INSERT INTO referral_decision (uuid, created_at, updated_at, created_by, updated_by, referral_id, decision,"
        " decided_on, reason, next_step)"
        " SELECT lower(hex(randomblob(16))), updated_at, updated_at, updated_by, updated_by, id, decision,"
        " coalesce(decision_on, sent_on), CASE WHEN decision = 'not_accepted' THEN reason ELSE '' END, ''"
        " FROM referral WHERE decision != 'pending'"
    )


def _activity_staff_minutes(db: RawKeyCipherDatabase) -> None:
    """Whole-school activities get a staff-time field; existing ones get their category's default
    (domain/staff_time.py) so past whole-school work counts as function 2 time. Idempotent."""
    from schoolmh.domain.staff_time import ACTIVITY_MINUTES, activity_minutes

    columns = {c.name for c in db.get_columns("activity")}
    if "staff_minutes" in columns:
        return
    db.execute_sql("ALTER TABLE activity ADD COLUMN staff_minutes INTEGER NOT NULL DEFAULT 0")
    for category in ACTIVITY_MINUTES:
        db.execute_sql("UPDATE activity SET staff_minutes = ? WHERE category = ?", (ACTIVITY_MINUTES[category], category))
    db.execute_sql("UPDATE activity SET staff_minutes = ? WHERE staff_minutes = 0", (activity_minutes("other"),))


def _team_tables(db: RawKeyCipherDatabase) -> None:
    """Several laptops (issue 12): sync tables and change-capture triggers; idempotent."""
    from schoolmh.db.team_schema import create_team_schema

    create_team_schema(db)


MIGRATIONS: list[Callable[[RawKeyCipherDatabase], None]] = [
    _v1_initial, _referral_decision_history, _audit_signatures, _activity_staff_minutes, _team_tables,
]
SCHEMA_VERSION = len(MIGRATIONS)


def schema_version(db: RawKeyCipherDatabase) -> int:
    return int(db.execute_sql("PRAGMA user_version").fetchone()[0])


def migrate(db: RawKeyCipherDatabase, pre_migration_copy: Path | None = None) -> int:
    """Bring the schema up to date; returns the number of steps run."""
    current = schema_version(db)
    if current > SCHEMA_VERSION:
        raise MigrationFailed(
            "This vault was written by a newer version of SchoolMH. Install the newer version to open it."
        )
    if current == SCHEMA_VERSION:
        return 0
    if current > 0 and pre_migration_copy is not None:
        from schoolmh.db.backup import online_copy

        online_copy(db, pre_migration_copy)
    for version in range(current + 1, SCHEMA_VERSION + 1):
        try:
            with db.atomic():
                MIGRATIONS[version - 1](db)
                db.execute_sql(f"PRAGMA user_version = {version}")
        except Exception as exc:
            raise MigrationFailed(
                f"Updating the vault to version {version} failed; it has been left exactly as it was."
            ) from exc
    return SCHEMA_VERSION - current
