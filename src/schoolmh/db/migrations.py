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


def _team_tables(db: RawKeyCipherDatabase) -> None:
    """Several laptops (issue 12): sync tables and change-capture triggers; idempotent."""
    from schoolmh.db.team_schema import create_team_schema

    create_team_schema(db)


MIGRATIONS: list[Callable[[RawKeyCipherDatabase], None]] = [_v1_initial, _team_tables]
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
