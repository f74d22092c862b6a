"""Tables and change-capture triggers for several laptops sharing one school (services/team).

Kept in db/ because the migration ladder creates them; the rules that use them live in
services/team. Change capture is done by SQLite triggers, not by columns on every model
and not by hooks in every service: whatever writes a synced table (a service, an import,
an erasure's cascade) leaves a row in `team_change` in the same transaction, stamped with
the laptop's hybrid logical clock. The triggers do nothing until this laptop joins a team
(no `team_state` row), and nothing while a received bundle is being applied (`applying`).
"""
from __future__ import annotations

from schoolmh.db.connection import RawKeyCipherDatabase

# The packed hybrid logical clock: (milliseconds since 1970 << 16) | counter. A local event
# takes max(previous + 1, now << 16): Kulkarni et al.'s l/c pair in one sortable integer.
NOW_PACKED_SQL = "(CAST((julianday('now') - 2440587.5) * 86400000 AS INTEGER) << 16)"

# Staff: only the fields every laptop shares (sign_key: the account's public signing key, when the
# vault has it); last_login_at is per laptop.
STAFF_SYNCED_COLUMNS = ("username", "full_name", "role", "active", "must_change_password", "sign_key")

TABLES_SQL = (
    """CREATE TABLE IF NOT EXISTS team_state (
        id INTEGER PRIMARY KEY CHECK (id = 1),
        team_id TEXT NOT NULL, laptop_id TEXT NOT NULL, laptop_name TEXT NOT NULL, scope TEXT NOT NULL,
        folder TEXT NOT NULL, hlc INTEGER NOT NULL DEFAULT 0, applying INTEGER NOT NULL DEFAULT 0,
        sign_key TEXT NOT NULL, box_key TEXT NOT NULL, removed INTEGER NOT NULL DEFAULT 0,
        last_ok_at TEXT NOT NULL DEFAULT '', last_fail_at TEXT NOT NULL DEFAULT '')""",
    """CREATE TABLE IF NOT EXISTS team_change (
        tbl TEXT NOT NULL, uuid TEXT NOT NULL, hlc INTEGER NOT NULL, laptop TEXT NOT NULL,
        deleted INTEGER NOT NULL DEFAULT 0, dirty INTEGER NOT NULL DEFAULT 0,
        base_hlc INTEGER NOT NULL DEFAULT 0, base_laptop TEXT NOT NULL DEFAULT '',
        mhst INTEGER NOT NULL DEFAULT 0, PRIMARY KEY (tbl, uuid))""",
    "CREATE INDEX IF NOT EXISTS team_change_dirty ON team_change (dirty) WHERE dirty = 1",
    """CREATE TABLE IF NOT EXISTS team_laptop (
        laptop_id TEXT PRIMARY KEY, name TEXT NOT NULL, scope TEXT NOT NULL,
        sign_pub TEXT NOT NULL, box_pub TEXT NOT NULL, added_hlc INTEGER NOT NULL DEFAULT 0,
        removed INTEGER NOT NULL DEFAULT 0, cutoff TEXT NOT NULL DEFAULT '{}', last_bundle_at TEXT NOT NULL DEFAULT '')""",
    """CREATE TABLE IF NOT EXISTS team_key (
        scope TEXT NOT NULL, key_id TEXT NOT NULL, key TEXT NOT NULL, hlc INTEGER NOT NULL, laptop TEXT NOT NULL,
        PRIMARY KEY (scope, key_id))""",
    """CREATE TABLE IF NOT EXISTS team_chain (
        laptop TEXT NOT NULL, stream TEXT NOT NULL, seq INTEGER NOT NULL, hash TEXT NOT NULL,
        PRIMARY KEY (laptop, stream))""",
    """CREATE TABLE IF NOT EXISTS team_seen (
        hash TEXT PRIMARY KEY, laptop TEXT NOT NULL, stream TEXT NOT NULL, seq INTEGER NOT NULL, state TEXT NOT NULL)""",
    """CREATE TABLE IF NOT EXISTS team_file (
        name TEXT PRIMARY KEY, size INTEGER NOT NULL, mtime_ns INTEGER NOT NULL, hash TEXT NOT NULL)""",
    """CREATE TABLE IF NOT EXISTS team_pending (
        tbl TEXT NOT NULL, uuid TEXT NOT NULL, hlc INTEGER NOT NULL, laptop TEXT NOT NULL, change TEXT NOT NULL,
        PRIMARY KEY (tbl, uuid, hlc, laptop))""",
    """CREATE TABLE IF NOT EXISTS team_conflict (
        id TEXT PRIMARY KEY, tbl TEXT NOT NULL, uuid TEXT NOT NULL, loser_hlc INTEGER NOT NULL,
        loser_laptop TEXT NOT NULL, fields TEXT NOT NULL, found_hlc INTEGER NOT NULL DEFAULT 0,
        resolved INTEGER NOT NULL DEFAULT 0, dirty INTEGER NOT NULL DEFAULT 0)""",
    """CREATE TABLE IF NOT EXISTS team_alias (old_uuid TEXT PRIMARY KEY, new_uuid TEXT NOT NULL)""",
    """CREATE TABLE IF NOT EXISTS team_slot (
        label TEXT PRIMARY KEY, slot_id TEXT NOT NULL, hlc INTEGER NOT NULL, laptop TEXT NOT NULL,
        deleted INTEGER NOT NULL DEFAULT 0, dirty INTEGER NOT NULL DEFAULT 0)""",
    """CREATE TABLE IF NOT EXISTS team_problem (
        hash TEXT PRIMARY KEY, file TEXT NOT NULL, message TEXT NOT NULL, at TEXT NOT NULL)""",
)


def _capture_sql(table: str, event: str, row: str, deleted: int, columns: tuple[str, ...] = ()) -> str:
    of = f" OF {', '.join(columns)}" if columns and event == "UPDATE" else ""
    return f"""CREATE TRIGGER IF NOT EXISTS team_capture_{event.lower()}_{table} AFTER {event}{of} ON "{table}"
    WHEN EXISTS (SELECT 1 FROM team_state WHERE id = 1 AND applying = 0)
    BEGIN
      UPDATE team_state SET hlc = max(hlc + 1, {NOW_PACKED_SQL}) WHERE id = 1;
      INSERT INTO team_change (tbl, uuid, hlc, laptop, deleted, dirty, base_hlc, base_laptop)
        SELECT '{table}', {row}.uuid, hlc, laptop_id, {deleted}, 1, 0, '' FROM team_state WHERE id = 1
        ON CONFLICT (tbl, uuid) DO UPDATE SET
          base_hlc = CASE WHEN team_change.dirty THEN team_change.base_hlc ELSE team_change.hlc END,
          base_laptop = CASE WHEN team_change.dirty THEN team_change.base_laptop ELSE team_change.laptop END,
          hlc = excluded.hlc, laptop = excluded.laptop, deleted = {deleted}, dirty = 1;
    END"""


def _apply_delete_sql(table: str) -> str:
    """While applying (1): a row deleted by a received tombstone's cascade is remembered as deleted,
    so a late change to it is not applied. While withdrawing a record from an MHST-scope laptop (2):
    it is forgotten altogether, so it can be received again if the pupil is shared again."""
    return f"""CREATE TRIGGER IF NOT EXISTS team_apply_delete_{table} AFTER DELETE ON "{table}"
    WHEN EXISTS (SELECT 1 FROM team_state WHERE id = 1 AND applying != 0)
    BEGIN
      INSERT INTO team_change (tbl, uuid, hlc, laptop, deleted, dirty)
        SELECT '{table}', OLD.uuid, 0, '', 1, 0 FROM team_state WHERE id = 1 AND applying = 1
        ON CONFLICT (tbl, uuid) DO UPDATE SET deleted = 1, dirty = 0;
      DELETE FROM team_change WHERE tbl = '{table}' AND uuid = OLD.uuid
        AND EXISTS (SELECT 1 FROM team_state WHERE id = 1 AND applying = 2);
    END"""


def synced_tables() -> list[str]:
    """Every table of records that travels between laptops: the ones whose rows carry a UUID
    (BaseModel). Settings and the audit trail (rows and signatures) stay on each laptop."""
    from schoolmh.db.models import all_models
    from schoolmh.db.models.base import BaseModel

    return [m._meta.table_name for m in all_models() if issubclass(m, BaseModel)]


def create_team_schema(db: RawKeyCipherDatabase) -> None:
    """Idempotent: IF NOT EXISTS throughout, so a vault that already has any of it is fine."""
    for sql in TABLES_SQL:
        db.execute_sql(sql)
    for table in synced_tables():
        present = {c.name for c in db.get_columns("staff")} if table == "staff" else set()
        columns = tuple(c for c in STAFF_SYNCED_COLUMNS if c in present)
        db.execute_sql(_capture_sql(table, "INSERT", "NEW", 0))
        db.execute_sql(_capture_sql(table, "UPDATE", "NEW", 0, columns))
        db.execute_sql(_capture_sql(table, "DELETE", "OLD", 1))
        db.execute_sql(_apply_delete_sql(table))
