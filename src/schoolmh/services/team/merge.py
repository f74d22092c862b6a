"""Applying received changes: the merge rules of docs/TEAM.md, in one place.

Every record has a version (hlc, laptop id) and the version it was edited from (its base).
* A tombstone (deletion or erasure) always applies and is never undone: a later upsert of
  the same record, or of anything linked to it, is dropped.
* An upsert newer than ours applies. If it was not made from our version (its base is
  older than ours), both were changed since they last exchanged: ours is kept as a
  conflict to review. An upsert older than ours is dropped, and kept as a conflict when
  ours was not made from it. Winner by (hlc, laptop id): the same on every laptop.
* Append-only records are only ever created, so they never meet either case.
* The same pupil (same UPN, or same legal name and date of birth without UPN) or the same
  staff user name arriving under a second UUID is merged: the smaller UUID survives,
  everything linked to the other is re-pointed, the other UUID becomes an alias, audited.
  Erasing either copy erases the merged record; the laptop that erased it sends tombstones
  under the other UUIDs too, for laptops that never made that merge (spread_erasures).
* A change whose linked record has not arrived yet waits in team_pending and is retried.
Run with team_state.applying set, so the capture triggers leave these writes alone.
"""
from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, field

from schoolmh.db.connection import database_proxy as db
from schoolmh.services import audit
from schoolmh.services.team import records, state

# Columns that say who/when, not what: two copies differing only here are not a conflict.
STAMP_COLUMNS = {"uuid", "created_at", "updated_at", "created_by", "updated_by", "search_text"}
IDENTITY_TABLES = ("pupil", "staff")
UNIQUE_COLUMN = {"pupil": "upn", "staff": "username"}


def placeholder(table: str, uuid: str) -> str | None:
    """A value for the unique column while two copies are folded together (UPNs may be empty; user names not)."""
    return None if table == "pupil" else f"~merging~{uuid}"


@dataclass
class Applied:
    applied: int = 0
    skipped: int = 0
    conflicts: int = 0
    waiting: int = 0
    merged: list[tuple[str, str, str]] = field(default_factory=list)  # (table, survivor, alias)


@dataclass(frozen=True)
class Meta:
    hlc: int
    laptop: str
    deleted: bool
    dirty: bool
    base: tuple[int, str]
    mhst: bool

    @property
    def version(self) -> tuple[int, str]:
        return (self.hlc, self.laptop)


def meta(table: str, uuid: str) -> Meta | None:
    row = db.execute_sql(
        "SELECT hlc, laptop, deleted, dirty, base_hlc, base_laptop, mhst FROM team_change WHERE tbl = ? AND uuid = ?",
        (table, uuid),
    ).fetchone()
    return Meta(row[0], row[1], bool(row[2]), bool(row[3]), (row[4], row[5]), bool(row[6])) if row else None


def set_meta(table: str, uuid: str, version: tuple[int, str], base: tuple[int, str], deleted: bool, mhst: bool,
             dirty: bool = False) -> None:
    db.execute_sql(
        "INSERT INTO team_change (tbl, uuid, hlc, laptop, deleted, dirty, base_hlc, base_laptop, mhst) "
        "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT (tbl, uuid) DO UPDATE SET hlc = excluded.hlc, "
        "laptop = excluded.laptop, deleted = excluded.deleted, dirty = excluded.dirty, base_hlc = excluded.base_hlc, "
        "base_laptop = excluded.base_laptop, mhst = max(team_change.mhst, excluded.mhst)",
        (table, uuid, version[0], version[1], int(deleted), int(dirty), base[0], base[1], int(mhst)),
    )


def alias(uuid: str | None) -> str | None:
    seen = set()
    while uuid is not None and uuid not in seen:
        seen.add(uuid)
        row = db.execute_sql("SELECT new_uuid FROM team_alias WHERE old_uuid = ?", (uuid,)).fetchone()
        if row is None:
            return uuid
        uuid = row[0]
    return uuid


def conflict_id(table: str, uuid: str, loser: tuple[int, str]) -> str:
    return hashlib.sha256(f"{table}|{uuid}|{loser[0]}|{loser[1]}".encode()).hexdigest()[:32]


def _differs(a: dict, b: dict) -> bool:
    return any(a.get(k) != b.get(k) for k in set(a) | set(b) if k not in STAMP_COLUMNS)


def record_conflict(table: str, uuid: str, loser: tuple[int, str], fields: dict, *, resolved: bool = False,
                    dirty: bool = True, found: int = 0) -> str:
    cid = conflict_id(table, uuid, loser)
    db.execute_sql(
        "INSERT INTO team_conflict (id, tbl, uuid, loser_hlc, loser_laptop, fields, found_hlc, resolved, dirty) "
        "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT (id) DO UPDATE SET resolved = max(resolved, excluded.resolved), "
        "fields = CASE WHEN team_conflict.fields = '' THEN excluded.fields ELSE team_conflict.fields END",
        (cid, table, uuid, loser[0], loser[1], json.dumps(fields, sort_keys=True), found, int(resolved), int(dirty)),
    )
    return cid


class Merger:
    """Applies one laptop's changes; `scope` is this laptop's, `via_mhst` whether they came in an MHST stream."""

    def __init__(self, scope: str, actor: str | None, result: Applied | None = None) -> None:
        self.scope = scope
        self.actor = actor
        self.result = result or Applied()
        # Most vaults never merged a duplicate: then no UUID is an alias, and a bundle's thousands
        # of look-ups are skipped. Only _merge_duplicate adds aliases while applying.
        self.any_alias = True

    def _alias(self, uuid: str | None) -> str | None:
        return alias(uuid) if self.any_alias else uuid

    # -- entry point ---------------------------------------------------------------------------
    def apply_all(self, changes: list[dict], via_mhst: bool) -> Applied:
        info = records.tables()
        self.any_alias = db.execute_sql("SELECT 1 FROM team_alias LIMIT 1").fetchone() is not None
        stamps = [c["h"] for c in changes if "h" in c]
        if stamps:
            state.receive(max(stamps))  # once per bundle: the clock passes everything in it
        upserts = sorted((c for c in changes if "t" in c and not c.get("d") and not c.get("w")),
                         key=lambda c: (info[c["t"]].order, c["h"]))
        tombstones = sorted((c for c in changes if "t" in c and c.get("d")), key=lambda c: -info[c["t"]].order)
        for c in upserts:
            self.apply_record(c, via_mhst)
        for c in tombstones:
            self.apply_tombstone(c)
        for c in changes:
            if c.get("w"):
                self.withdraw(c["t"], c["u"])
            elif "c" in c:
                self.apply_conflict(c["c"])
        self.retry_pending(via_mhst)
        return self.result

    # -- one record -------------------------------------------------------------------------------
    def apply_tombstone(self, c: dict) -> None:
        table, uuid = c["t"], self._alias(c["u"])
        version = (c["h"], c["l"])
        local = meta(table, uuid)
        if local is not None and local.deleted and local.version >= version:
            self.result.skipped += 1
            return
        # Erased here under a copy's UUID that was merged into a live record: the erasure is the
        # merged record's, and laptops that never made this merge hold it under its own UUID.
        relay = uuid != c["u"] and records.exists(table, uuid) is not None
        records.delete_row(table, uuid)  # children go by cascade; the apply trigger marks them deleted
        mhst = bool(c.get("m")) or bool(local and local.mhst)
        if relay:
            set_meta(table, uuid, (state.tick(), state.laptop_id()), (0, ""), True, mhst, dirty=True)
            set_meta(table, c["u"], version, (0, ""), True, mhst)
        else:
            set_meta(table, uuid, max(version, local.version) if local else version, (0, ""), True, mhst)
        self._forget_about(table, uuid)
        self.result.applied += 1

    def apply_record(self, c: dict, via_mhst: bool) -> bool:
        """True when the change is settled (applied, dropped or kept as a conflict); False when it waits."""
        table = c["t"]
        fields = dict(c["f"])
        uuid = self._alias(c["u"])
        fields["uuid"] = uuid
        version, base = (c["h"], c["l"]), tuple(c.get("b") or (0, ""))
        mhst = via_mhst or bool(c.get("m"))
        local = meta(table, uuid)
        # Sent under a copy's UUID that was merged here: the sender may not know the surviving UUID
        # yet, so a survivor still waiting to be sent from here stays waiting.
        keep_dirty = c["u"] != uuid and local is not None and local.dirty
        if local is not None and local.deleted:
            self.result.skipped += 1  # a tombstone is never undone
            return True
        if local is not None and local.version == version:
            if mhst and not local.mhst:
                db.execute_sql("UPDATE team_change SET mhst = 1 WHERE tbl = ? AND uuid = ?", (table, uuid))
            self.result.skipped += 1
            return True
        link_ids = self._resolve_links(table, fields)
        if link_ids is None:
            self._park(c)
            return False
        if link_ids == "deleted":
            set_meta(table, uuid, version, base, True, mhst)  # its parent was erased: so is it
            self.result.skipped += 1
            return True
        if table in IDENTITY_TABLES:
            other = records.local_pupil_with_identity(fields) if table == "pupil" else self._staff_named(fields)
            if other is not None:
                self._merge_duplicate(table, c, fields, link_ids, other, mhst)
                return True
        exists = records.exists(table, uuid) is not None
        if local is None or not exists:
            records.write_row(table, fields, link_ids)
            set_meta(table, uuid, version, base, False, mhst)
            self.result.applied += 1
            return True
        if version > local.version:
            if base < local.version:  # made without seeing ours: ours becomes the conflict
                current = records.read_rows(table, [uuid]).get(uuid)
                if current and _differs(current, fields):
                    record_conflict(table, uuid, local.version, current, found=c["h"])
                    self.result.conflicts += 1
            records.write_row(table, fields, link_ids)
            set_meta(table, uuid, version, base, False, mhst, dirty=keep_dirty)
            self.result.applied += 1
        else:
            if local.base < version:  # ours was made without seeing this one: it is the conflict
                current = records.read_rows(table, [uuid]).get(uuid)
                if current is None or _differs(current, fields):
                    record_conflict(table, uuid, version, fields, found=c["h"])
                    self.result.conflicts += 1
            self.result.skipped += 1
        return True

    def _resolve_links(self, table: str, fields: dict):
        """{column: id}, None when a linked record has not arrived yet, "deleted" when one was erased."""
        out: dict[str, int | None] = {}
        for link in records.tables()[table].links:
            target = fields.get(link.key)
            if target is None:
                out[link.column] = None
                continue
            target = self._alias(target)
            fields[link.key] = target
            found = records.exists(link.table, target)
            if found is not None:
                out[link.column] = found
                continue
            target_meta = meta(link.table, target)
            if target_meta is not None and target_meta.deleted:
                if link.nullable and table in ("measure_result", "activity", "goal_rating"):
                    out[link.column] = None  # ON DELETE SET NULL / optional link: keep the record
                    continue
                return "deleted"
            if link.nullable and self.scope == "mhst":
                out[link.column] = None  # linked to something outside this laptop's scope
                continue
            return None
        return out

    # -- waiting for a linked record ---------------------------------------------------------------
    def _park(self, c: dict) -> None:
        db.execute_sql(
            "INSERT INTO team_pending (tbl, uuid, hlc, laptop, change) VALUES (?, ?, ?, ?, ?) ON CONFLICT DO NOTHING",
            (c["t"], c["u"], c["h"], c["l"], json.dumps(c)),
        )
        self.result.waiting += 1

    def retry_pending(self, via_mhst: bool) -> None:
        """Retry waiting changes until a pass settles none (each settled one may unblock others)."""
        while True:
            rows = db.execute_sql("SELECT tbl, uuid, hlc, laptop, change FROM team_pending ORDER BY hlc").fetchall()
            progress = False
            for table, uuid, stamp, laptop, text in rows:
                db.execute_sql("DELETE FROM team_pending WHERE tbl = ? AND uuid = ? AND hlc = ? AND laptop = ?",
                               (table, uuid, stamp, laptop))
                progress = self.apply_record(json.loads(text), via_mhst or self.scope == "mhst") or progress
            if not progress:
                self.result.waiting = db.execute_sql("SELECT count(*) FROM team_pending").fetchone()[0]
                return

    # -- duplicates --------------------------------------------------------------------------------
    @staticmethod
    def _staff_named(fields: dict) -> str | None:
        row = db.execute_sql("SELECT uuid FROM staff WHERE username = ? AND uuid != ?",
                             (fields.get("username"), fields["uuid"])).fetchone()
        return row[0] if row else None

    def _merge_duplicate(self, table: str, c: dict, fields: dict, link_ids: dict, other: str, mhst: bool) -> None:
        """The incoming record is a second copy of `other`: insert it aside, then fold the two together."""
        unique = UNIQUE_COLUMN[table]
        records.write_row(table, dict(fields, **{unique: placeholder(table, fields["uuid"])}), link_ids)
        set_meta(table, fields["uuid"], (c["h"], c["l"]), tuple(c.get("b") or (0, "")), False, mhst)
        survivor, gone = min(fields["uuid"], other), max(fields["uuid"], other)
        self.any_alias = True
        merge_into(table, survivor, gone, self.actor, self.result, held=(fields["uuid"], fields.get(unique)))

    # -- withdrawal from an MHST-scope laptop ----------------------------------------------------------
    def withdraw(self, table: str, uuid: str) -> None:
        if self.scope != "mhst":
            return
        uuid = alias(uuid)
        state.set_applying(2)
        try:
            records.delete_row(table, uuid)
            db.execute_sql("DELETE FROM team_change WHERE tbl = ? AND uuid = ?", (table, uuid))
        finally:
            state.set_applying(1)
        self._forget_about(table, uuid)
        self.result.applied += 1

    # -- conflicts travelling ---------------------------------------------------------------------------
    def apply_conflict(self, data: dict) -> None:
        table, uuid = data["tbl"], alias(data["uuid"])
        target = meta(table, uuid)
        if target is not None and target.deleted:
            return
        record_conflict(table, uuid, (data["loser_hlc"], data["loser_laptop"]), data["fields"],
                        resolved=bool(data.get("resolved")), dirty=False)

    @staticmethod
    def _forget_about(table: str, uuid: str) -> None:
        """An erased or withdrawn record leaves nothing behind: no conflict copy, nothing waiting."""
        db.execute_sql("DELETE FROM team_conflict WHERE tbl = ? AND uuid = ?", (table, uuid))
        db.execute_sql("DELETE FROM team_pending WHERE tbl = ? AND uuid = ?", (table, uuid))


def purge_deleted() -> None:
    """Conflict copies and waiting changes of records deleted here (a local erasure) go too."""
    db.execute_sql(
        "DELETE FROM team_conflict WHERE EXISTS (SELECT 1 FROM team_change m WHERE m.tbl = team_conflict.tbl "
        "AND m.uuid = team_conflict.uuid AND m.deleted = 1)"
    )
    db.execute_sql(
        "DELETE FROM team_pending WHERE EXISTS (SELECT 1 FROM team_change m WHERE m.tbl = team_pending.tbl "
        "AND m.uuid = team_pending.uuid AND m.deleted = 1)"
    )


def spread_erasures() -> int:
    """An erased record that absorbed copies (team_alias) is erased under each copy's UUID too.

    A laptop that never made a merge knows the pupil only by the copy's UUID; without these
    tombstones it would keep the copy while the laptops that merged erased it. Each copy's
    tombstone is this laptop's change (sent once: afterwards the copy is marked deleted here).
    """
    rows = db.execute_sql(
        "SELECT m.tbl, a.old_uuid, m.mhst FROM team_alias a JOIN team_change m ON m.uuid = a.new_uuid AND m.deleted = 1 "
        "LEFT JOIN team_change g ON g.tbl = m.tbl AND g.uuid = a.old_uuid WHERE g.uuid IS NULL OR g.deleted = 0"
    ).fetchall()
    if rows:
        version = (state.tick(), state.laptop_id())
        for table, uuid, mhst in rows:
            set_meta(table, uuid, version, (0, ""), True, bool(mhst), dirty=True)
    return len(rows)


def merge_into(table: str, survivor: str, gone: str, actor: str | None, result: Applied,
               held: tuple[str, object] | None = None) -> None:
    """Fold the copy `gone` into `survivor` (the smaller UUID, so every laptop picks the same one).

    The newer version's values are kept (the other is listed as a conflict when it differs),
    everything linked to `gone` is re-pointed, `gone` becomes an alias and is never sent as a
    deletion, and the merge is audited. Runs with the capture triggers paused.
    """
    m_s, m_g = meta(table, survivor), meta(table, gone)
    v_s = m_s.version if m_s else (0, "")
    v_g = m_g.version if m_g else (0, "")
    rows = records.read_rows(table, [survivor, gone])
    f_s, f_g = rows[survivor], rows[gone]
    unique = UNIQUE_COLUMN[table]
    if held is not None:  # the incoming copy's unique value, set aside while it was inserted
        f_s, f_g = [dict(f, **{unique: held[1]}) if u == held[0] else f for u, f in ((survivor, f_s), (gone, f_g))]
    winner, loser, loser_version = (f_g, f_s, v_s) if v_g > v_s else (f_s, f_g, v_g)
    winner = dict(winner, uuid=survivor)
    survivor_id, gone_id = records.exists(table, survivor), records.exists(table, gone)
    for row_id, uuid in ((gone_id, gone), (survivor_id, survivor)):
        db.execute_sql(f'UPDATE "{table}" SET {unique} = ? WHERE id = ?', (placeholder(table, uuid), row_id))
    for info in records.tables().values():
        for link in info.links:
            if link.table == table:
                db.execute_sql(f'UPDATE "{info.name}" SET {link.column} = ? WHERE {link.column} = ?', (survivor_id, gone_id))
    db.execute_sql(f'DELETE FROM "{table}" WHERE id = ?', (gone_id,))
    links = {link.column: records.exists(link.table, winner.get(link.key)) if winner.get(link.key) else None
             for link in records.tables()[table].links}
    records.write_row(table, winner, links)
    db.execute_sql("DELETE FROM team_change WHERE tbl = ? AND uuid = ?", (table, gone))
    # Still this laptop's to send if either copy was (a copy typed here and not yet sent).
    set_meta(table, survivor, max(v_s, v_g), (0, ""), False, bool((m_s and m_s.mhst) or (m_g and m_g.mhst)),
             dirty=bool((m_s and m_s.dirty) or (m_g and m_g.dirty)))
    db.execute_sql("INSERT INTO team_alias (old_uuid, new_uuid) VALUES (?, ?) ON CONFLICT DO NOTHING", (gone, survivor))
    db.execute_sql("UPDATE team_alias SET new_uuid = ? WHERE new_uuid = ?", (survivor, gone))
    for loser_hlc, loser_laptop, text, resolved, found in db.execute_sql(
        "SELECT loser_hlc, loser_laptop, fields, resolved, found_hlc FROM team_conflict WHERE tbl = ? AND uuid = ?",
        (table, gone),
    ).fetchall():  # a conflict's id names the record: re-made under the survivor's UUID, as other laptops make it
        record_conflict(table, survivor, (loser_hlc, loser_laptop), dict(json.loads(text), uuid=survivor),
                        resolved=bool(resolved), found=found)
    db.execute_sql("DELETE FROM team_conflict WHERE tbl = ? AND uuid = ?", (table, gone))
    if _differs(loser, winner):
        record_conflict(table, survivor, loser_version, dict(loser, uuid=survivor), found=max(v_s, v_g)[0])
        result.conflicts += 1
    audit.append(actor, f"team.merge_{table}", table, survivor, f"merged={gone}")
    result.merged.append((table, survivor, gone))
    result.applied += 1


def dedupe_pupils(actor: str | None, result: Applied | None = None) -> Applied:
    """Pupils without a UPN typed twice (on one laptop or arriving from two) with the same legal name and
    date of birth are one pupil: fold each group into its smallest UUID, as every laptop will."""
    result = result or Applied()
    groups: dict[tuple, list[str]] = {}
    for uuid, forename, surname, dob in db.execute_sql(
        "SELECT uuid, legal_forename, legal_surname, dob FROM pupil WHERE upn IS NULL AND dob IS NOT NULL"
    ).fetchall():
        key = records.pupil_identity({"legal_forename": forename, "legal_surname": surname, "dob": dob, "uuid": uuid})
        if key:
            groups.setdefault(key, []).append(uuid)
    for uuids in groups.values():
        uuids.sort()
        for gone in uuids[1:]:
            merge_into("pupil", uuids[0], gone, actor, result)
    return result
