"""What this laptop has to send: the change-capture table read into each stream's changes.

The triggers (db/team_schema.py) mark every created, edited or deleted record `dirty` with
a fresh clock stamp and the version it was edited from. Writing a bundle reads those rows
(a row no longer there travels as a tombstone), and for the MHST stream adds every record
that entered the MHST scope since it was last sent (a pupil newly shared: their whole
record) and withdraws those that left it. Conflicts found here travel too, so every laptop
lists the same ones.
"""
from __future__ import annotations

import json
from dataclasses import dataclass, field

from schoolmh.db.connection import database_proxy as db
from schoolmh.services.team import records
from schoolmh.services.team.state import TeamState


@dataclass
class Outgoing:
    streams: dict[str, list[dict]] = field(default_factory=dict)
    max_hlc: int = 0
    sent_mhst: list[tuple[str, str]] = field(default_factory=list)
    withdrawn: list[tuple[str, str]] = field(default_factory=list)

    @property
    def empty(self) -> bool:
        return not any(self.streams.values())


def dirty_count() -> int:
    rows = db.execute_sql("SELECT count(*) FROM team_change WHERE dirty = 1").fetchone()[0]
    return rows + db.execute_sql("SELECT count(*) FROM team_conflict WHERE dirty = 1").fetchone()[0]


def _dirty_rows() -> list[tuple]:
    return db.execute_sql(
        "SELECT tbl, uuid, hlc, laptop, deleted, base_hlc, base_laptop, mhst FROM team_change WHERE dirty = 1"
    ).fetchall()


def _record_changes(keys: list[tuple[str, str]], metas: dict[tuple[str, str], tuple]) -> dict[tuple[str, str], dict]:
    by_table: dict[str, list[str]] = {}
    for table, uuid in keys:
        by_table.setdefault(table, []).append(uuid)
    out: dict[tuple[str, str], dict] = {}
    for table, uuids in by_table.items():
        rows = records.read_rows(table, uuids)
        for uuid in uuids:
            stamp, laptop, deleted, base_hlc, base_laptop, _ = metas[(table, uuid)]
            change = {"t": table, "u": uuid, "h": stamp, "l": laptop}
            if deleted or uuid not in rows:
                change["d"] = 1
            else:
                change.update(b=[base_hlc, base_laptop], f=rows[uuid])
            out[(table, uuid)] = change
    return out


def collect(st: TeamState) -> Outgoing:
    """Call inside the transaction that will clear the dirty marks (mark_sent)."""
    out = Outgoing()
    dirty = _dirty_rows()
    metas = {(r[0], r[1]): r[2:] for r in dirty}
    conflicts = db.execute_sql(
        "SELECT id, tbl, uuid, loser_hlc, loser_laptop, fields, resolved FROM team_conflict WHERE dirty = 1"
    ).fetchall()
    if not dirty and not conflicts:
        return out
    out.max_hlc = max([m[0] for m in metas.values()] + [0])
    changes = _record_changes(list(metas), metas)
    conflict_changes = [
        {"c": {"id": c[0], "tbl": c[1], "uuid": c[2], "loser_hlc": c[3], "loser_laptop": c[4],
               "fields": json.loads(c[5]), "resolved": c[6]}} for c in conflicts
    ]
    if st.scope == "mhst":
        out.streams["mhst"] = list(changes.values()) + conflict_changes
        return out
    scope = records.mhst_scope()
    in_scope = {(t, u) for t, uuids in scope.items() for u in uuids}
    mhst_stream: list[dict] = []
    # Every record in scope that was never sent in the MHST stream (a pupil newly shared) goes now.
    unsent = db.execute_sql("SELECT tbl, uuid, hlc, laptop, deleted, base_hlc, base_laptop, mhst FROM team_change "
                            "WHERE mhst = 0 AND deleted = 0").fetchall()
    extra = {(r[0], r[1]): r[2:] for r in unsent if (r[0], r[1]) in in_scope and (r[0], r[1]) not in metas}
    extra_changes = _record_changes(list(extra), extra)
    for key, change in changes.items():
        was_sent = bool(metas[key][5])
        if change.get("d"):
            if was_sent:
                mhst_stream.append(change)
        elif key in in_scope:
            mhst_stream.append(change)
            out.sent_mhst.append(key)
        elif was_sent:
            mhst_stream.append({"t": key[0], "u": key[1], "w": 1})
            out.withdrawn.append(key)
    for key, change in extra_changes.items():
        mhst_stream.append(change)
        out.sent_mhst.append(key)
    # Records that left the scope without being edited themselves (their pupil was unshared).
    for table, uuid in db.execute_sql("SELECT tbl, uuid FROM team_change WHERE mhst = 1 AND deleted = 0 AND dirty = 0").fetchall():
        if (table, uuid) not in in_scope and table in scope:
            mhst_stream.append({"t": table, "u": uuid, "w": 1})
            out.withdrawn.append((table, uuid))
    sent = set(out.sent_mhst)
    for change in changes.values():
        key = (change["t"], change["u"])
        change["m"] = 1 if key in sent or (change.get("d") and metas[key][5]) else 0
    out.streams["school"] = list(changes.values()) + conflict_changes
    mhst_stream += [c for c in conflict_changes if (c["c"]["tbl"], c["c"]["uuid"]) in in_scope]
    if mhst_stream:
        out.streams["mhst"] = mhst_stream
    return out


def mark_sent(out: Outgoing) -> None:
    db.execute_sql("UPDATE team_change SET dirty = 0 WHERE dirty = 1")
    db.execute_sql("UPDATE team_conflict SET dirty = 0 WHERE dirty = 1")
    for part in records.chunks(out.sent_mhst, 400):
        for table, uuid in part:
            db.execute_sql("UPDATE team_change SET mhst = 1 WHERE tbl = ? AND uuid = ?", (table, uuid))
    for table, uuid in out.withdrawn:
        db.execute_sql("UPDATE team_change SET mhst = 0 WHERE tbl = ? AND uuid = ?", (table, uuid))


def mark_everything_changed(laptop_id: str, stamp: int) -> int:
    """Team set-up: every record already in the vault is this laptop's change, so the first bundle holds the school."""
    total = 0
    for table in records.tables():
        total += db.execute_sql(
            f"INSERT INTO team_change (tbl, uuid, hlc, laptop, deleted, dirty) SELECT '{table}', uuid, ?, ?, 0, 1 "
            f'FROM "{table}" WHERE true ON CONFLICT (tbl, uuid) DO NOTHING',
            (stamp, laptop_id),
        ).rowcount
    return total
