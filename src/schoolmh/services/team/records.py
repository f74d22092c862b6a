"""Records as they travel: every synced table, its columns, and links carried as UUIDs.

Values travel exactly as SQLite stores them (text dates, 0/1 booleans), so a record
applied on another laptop is byte-for-byte the same row; only foreign keys change form,
from this vault's integer ids to the linked record's UUID (`<field>_uuid`).
"""
from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from functools import cache

from peewee import ForeignKeyField

from schoolmh.db.connection import database_proxy as db
from schoolmh.db.models import all_models
from schoolmh.db.team_schema import synced_tables

CHUNK = 900  # SQLite's limit on bound parameters, with room to spare
# Per-laptop columns that never travel (the time someone last signed in *here*).
LOCAL_COLUMNS = {"staff": {"last_login_at"}}


@dataclass(frozen=True)
class Link:
    column: str  # e.g. "pupil_id"
    key: str  # e.g. "pupil_uuid"
    table: str  # the linked table
    nullable: bool


@dataclass(frozen=True)
class TableInfo:
    name: str
    order: int  # parents before children
    plain: tuple[str, ...]  # columns travelling as they are (uuid first)
    links: tuple[Link, ...]


@cache
def tables() -> dict[str, TableInfo]:
    wanted = set(synced_tables())
    out: dict[str, TableInfo] = {}
    for order, model in enumerate(m for m in all_models() if m._meta.table_name in wanted):
        name = model._meta.table_name
        plain, links = ["uuid"], []
        for field in model._meta.sorted_fields:
            if field.name == "id" or field.column_name == "uuid" or field.column_name in LOCAL_COLUMNS.get(name, ()):
                continue
            if isinstance(field, ForeignKeyField):
                links.append(Link(field.column_name, field.name + "_uuid", field.rel_model._meta.table_name, field.null))
            else:
                plain.append(field.column_name)
        out[name] = TableInfo(name, order, tuple(plain), tuple(links))
    return out


def chunks(items: list, size: int = CHUNK) -> Iterable[list]:
    for start in range(0, len(items), size):
        yield items[start:start + size]


def uuid_map(table: str, ids: Iterable[int]) -> dict[int, str]:
    ids = sorted({i for i in ids if i is not None})
    found: dict[int, str] = {}
    for part in chunks(ids):
        sql = f'SELECT id, uuid FROM "{table}" WHERE id IN ({",".join("?" * len(part))})'
        found.update(db.execute_sql(sql, part).fetchall())
    return found


def id_map(table: str, uuids: Iterable[str]) -> dict[str, int]:
    uuids = sorted(set(u for u in uuids if u))
    found: dict[str, int] = {}
    for part in chunks(uuids):
        sql = f'SELECT uuid, id FROM "{table}" WHERE uuid IN ({",".join("?" * len(part))})'
        found.update(db.execute_sql(sql, part).fetchall())
    return found


def read_rows(table: str, uuids: list[str]) -> dict[str, dict]:
    """The travelling form of each row that still exists: {uuid: {column or link key: value}}."""
    info = tables()[table]
    columns = list(info.plain) + [link.column for link in info.links]
    raw: list[tuple] = []
    for part in chunks(uuids):
        sql = f'SELECT {", ".join(columns)} FROM "{table}" WHERE uuid IN ({",".join("?" * len(part))})'
        raw.extend(db.execute_sql(sql, part).fetchall())
    n = len(info.plain)
    maps = {link.column: uuid_map(link.table, (r[n + i] for r in raw)) for i, link in enumerate(info.links)}
    out = {}
    for r in raw:
        fields = dict(zip(info.plain, r[:n]))
        for i, link in enumerate(info.links):
            fields[link.key] = maps[link.column].get(r[n + i]) if r[n + i] is not None else None
        out[fields["uuid"]] = fields
    return out


def exists(table: str, uuid: str) -> int | None:
    row = db.execute_sql(f'SELECT id FROM "{table}" WHERE uuid = ?', (uuid,)).fetchone()
    return row[0] if row else None


def write_row(table: str, fields: dict, link_ids: dict[str, int | None]) -> None:
    """Insert or update one row from its travelling form; `link_ids` holds the resolved foreign keys."""
    info = tables()[table]
    values = {c: fields.get(c) for c in info.plain}
    values.update({link.column: link_ids.get(link.column) for link in info.links})
    existing = exists(table, fields["uuid"])
    if existing is None:
        cols = list(values)
        db.execute_sql(
            f'INSERT INTO "{table}" ({", ".join(cols)}) VALUES ({", ".join("?" * len(cols))})', [values[c] for c in cols]
        )
    else:
        cols = [c for c in values if c != "uuid"]
        db.execute_sql(
            f'UPDATE "{table}" SET {", ".join(f"{c} = ?" for c in cols)} WHERE id = ?', [values[c] for c in cols] + [existing]
        )


def delete_row(table: str, uuid: str) -> bool:
    """Deleting a parent deletes its children too (the schema's ON DELETE CASCADE), as on the laptop that did it."""
    return db.execute_sql(f'DELETE FROM "{table}" WHERE uuid = ?', (uuid,)).rowcount > 0


# -- the MHST scope ------------------------------------------------------------------------------
def mhst_scope() -> dict[str, set[str]]:
    """UUIDs of every record an MHST-scope laptop may hold: pupils shared with the MHST and
    everything recorded about them, the liaison meetings and actions, staff accounts (names of
    colleagues, needed for links), and an MHST practitioner's own pupil-less contacts.
    Whole-school planning (objectives, activities) stays on the school's laptops."""
    shared = "SELECT id FROM pupil WHERE shared_with_mhst = 1"
    mhst_staff = "SELECT id FROM staff WHERE role = 'mhst'"
    plans = f"SELECT id FROM support_plan WHERE pupil_id IN ({shared})"
    goals = f"SELECT id FROM goal WHERE plan_id IN ({plans})"
    queries = {
        "staff": "SELECT uuid FROM staff",
        "pupil": "SELECT uuid FROM pupil WHERE shared_with_mhst = 1",
        "support_plan": f"SELECT uuid FROM support_plan WHERE pupil_id IN ({shared})",
        "goal": f"SELECT uuid FROM goal WHERE plan_id IN ({plans})",
        "plan_review": f"SELECT uuid FROM plan_review WHERE plan_id IN ({plans})",
        "session": f"SELECT uuid FROM session WHERE pupil_id IN ({shared}) OR (pupil_id IS NULL AND staff_id IN ({mhst_staff}))",
        "goal_rating": f"SELECT uuid FROM goal_rating WHERE goal_id IN ({goals})",
        "measure_result": f"SELECT uuid FROM measure_result WHERE pupil_id IN ({shared})",
        "referral": f"SELECT uuid FROM referral WHERE pupil_id IN ({shared})",
        "referral_decision": f"SELECT uuid FROM referral_decision WHERE referral_id IN "
                             f"(SELECT id FROM referral WHERE pupil_id IN ({shared}))",
        "liaison_meeting": "SELECT uuid FROM liaison_meeting",
        "liaison_pupil": f"SELECT uuid FROM liaison_pupil WHERE pupil_id IN ({shared})",
        "liaison_action": "SELECT uuid FROM liaison_action",
        "consultation": f"SELECT uuid FROM consultation WHERE pupil_id IN ({shared}) "
                        f"OR (pupil_id IS NULL AND by_staff_id IN ({mhst_staff}))",
    }
    return {table: {r[0] for r in db.execute_sql(sql).fetchall()} for table, sql in queries.items()}


def pupil_identity(fields: dict) -> tuple:
    """The same pupil typed on two laptops: the same UPN, or without UPNs the same legal name and date of birth."""
    if fields.get("upn"):
        return ("upn", fields["upn"])
    if fields.get("dob") and (fields.get("legal_forename") or fields.get("legal_surname")):
        return ("name", (fields.get("legal_forename") or "").casefold().strip(),
                (fields.get("legal_surname") or "").casefold().strip(), fields["dob"])
    return ()


def local_pupil_with_identity(fields: dict) -> str | None:
    key = pupil_identity(fields)
    if not key:
        return None
    if key[0] == "upn":
        row = db.execute_sql("SELECT uuid FROM pupil WHERE upn = ? AND uuid != ?", (key[1], fields["uuid"])).fetchone()
        return row[0] if row else None
    rows = db.execute_sql(
        "SELECT uuid, legal_forename, legal_surname FROM pupil WHERE upn IS NULL AND dob = ? AND uuid != ?",
        (key[3], fields["uuid"]),
    ).fetchall()
    for uuid, forename, surname in rows:
        if ((forename or "").casefold().strip(), (surname or "").casefold().strip()) == key[1:3]:
            return uuid
    return None
