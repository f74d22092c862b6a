"""Reading and writing this laptop's team tables (db/team_schema.py): one place for their SQL."""
from __future__ import annotations

import json
from dataclasses import dataclass

from schoolmh.db.connection import database_proxy as db
from schoolmh.services.team import hlc


@dataclass(frozen=True)
class TeamState:
    team_id: str
    laptop_id: str
    laptop_name: str
    scope: str  # "school" | "mhst"
    folder: str
    hlc: int
    sign_key: str  # Ed25519 private key (base64): stays in this vault
    box_key: str  # X25519 private key (base64): stays in this vault
    removed: bool
    last_ok_at: str
    last_fail_at: str


@dataclass(frozen=True)
class Laptop:
    laptop_id: str
    name: str
    scope: str
    sign_pub: str
    box_pub: str
    removed: bool
    cutoff: dict  # stream -> last sequence number accepted from a removed laptop
    last_bundle_at: str


def load() -> TeamState | None:
    row = db.execute_sql(
        "SELECT team_id, laptop_id, laptop_name, scope, folder, hlc, sign_key, box_key, removed, last_ok_at, "
        "last_fail_at FROM team_state WHERE id = 1"
    ).fetchone()
    if row is None:
        return None
    return TeamState(*row[:8], bool(row[8]), row[9], row[10])


def create(team_id: str, laptop_id: str, name: str, scope: str, folder: str, sign_key: str, box_key: str) -> None:
    db.execute_sql(
        "INSERT INTO team_state (id, team_id, laptop_id, laptop_name, scope, folder, hlc, sign_key, box_key) "
        "VALUES (1, ?, ?, ?, ?, ?, ?, ?, ?)",
        (team_id, laptop_id, name, scope, folder, hlc.physical_now(), sign_key, box_key),
    )


def set_folder(folder: str) -> None:
    db.execute_sql("UPDATE team_state SET folder = ? WHERE id = 1", (folder,))


def set_applying(on: bool) -> None:
    """While on, the capture triggers leave received changes alone (they are not this laptop's)."""
    db.execute_sql("UPDATE team_state SET applying = ? WHERE id = 1", (1 if on else 0,))


def tick() -> int:
    current = db.execute_sql("SELECT hlc FROM team_state WHERE id = 1").fetchone()[0]
    new = hlc.tick(current)
    db.execute_sql("UPDATE team_state SET hlc = ? WHERE id = 1", (new,))
    return new


def laptop_id() -> str:
    return db.execute_sql("SELECT laptop_id FROM team_state WHERE id = 1").fetchone()[0]


def receive(remote: int) -> None:
    current = db.execute_sql("SELECT hlc FROM team_state WHERE id = 1").fetchone()[0]
    db.execute_sql("UPDATE team_state SET hlc = ? WHERE id = 1", (hlc.receive(current, remote),))


def mark_reachable(ok: bool, at: str) -> None:
    """A success clears the failure; a failure keeps the time the folder was first missed ("since …")."""
    if ok:
        db.execute_sql("UPDATE team_state SET last_ok_at = ?, last_fail_at = '' WHERE id = 1", (at,))
    else:
        db.execute_sql("UPDATE team_state SET last_fail_at = CASE WHEN last_fail_at = '' THEN ? ELSE last_fail_at END "
                       "WHERE id = 1", (at,))


def mark_removed() -> None:
    db.execute_sql("UPDATE team_state SET removed = 1 WHERE id = 1")


# -- laptops ------------------------------------------------------------------------------
def laptops() -> dict[str, Laptop]:
    rows = db.execute_sql(
        "SELECT laptop_id, name, scope, sign_pub, box_pub, removed, cutoff, last_bundle_at FROM team_laptop"
    ).fetchall()
    return {r[0]: Laptop(r[0], r[1], r[2], r[3], r[4], bool(r[5]), json.loads(r[6]), r[7]) for r in rows}


def add_laptop(laptop_id: str, name: str, scope: str, sign_pub: str, box_pub: str, added_hlc: int) -> None:
    db.execute_sql(
        "INSERT INTO team_laptop (laptop_id, name, scope, sign_pub, box_pub, added_hlc) VALUES (?, ?, ?, ?, ?, ?) "
        "ON CONFLICT (laptop_id) DO NOTHING",
        (laptop_id, name, scope, sign_pub, box_pub, added_hlc),
    )


def remove_laptop(laptop_id: str, cutoff: dict) -> None:
    """Idempotent; with two removals of the same laptop the lower cut-off per stream stands."""
    row = db.execute_sql("SELECT removed, cutoff FROM team_laptop WHERE laptop_id = ?", (laptop_id,)).fetchone()
    if row is None:
        return
    merged = dict(cutoff)
    if row[0]:
        old = json.loads(row[1])
        merged = {s: min(old.get(s, n), n) for s, n in cutoff.items()} | {s: n for s, n in old.items() if s not in cutoff}
    db.execute_sql("UPDATE team_laptop SET removed = 1, cutoff = ? WHERE laptop_id = ?", (json.dumps(merged), laptop_id))


def touch_laptop(laptop_id: str, at: str) -> None:
    db.execute_sql("UPDATE team_laptop SET last_bundle_at = ? WHERE laptop_id = ?", (at, laptop_id))


# -- scope keys -----------------------------------------------------------------------------
def add_key(scope: str, key_id: str, key: str, stamp: int, laptop: str) -> None:
    db.execute_sql(
        "INSERT INTO team_key (scope, key_id, key, hlc, laptop) VALUES (?, ?, ?, ?, ?) ON CONFLICT DO NOTHING",
        (scope, key_id, key, stamp, laptop),
    )


def key(scope: str, key_id: str) -> str | None:
    row = db.execute_sql("SELECT key FROM team_key WHERE scope = ? AND key_id = ?", (scope, key_id)).fetchone()
    return row[0] if row else None


def current_key(scope: str) -> tuple[str, str] | None:
    """The newest key generation of a scope, by (clock, laptop): every laptop picks the same one."""
    row = db.execute_sql(
        "SELECT key_id, key FROM team_key WHERE scope = ? ORDER BY hlc DESC, laptop DESC LIMIT 1", (scope,)
    ).fetchone()
    return (row[0], row[1]) if row else None


def all_keys(scopes: tuple[str, ...]) -> list[dict]:
    marks = ",".join("?" * len(scopes))
    rows = db.execute_sql(f"SELECT scope, key_id, key, hlc, laptop FROM team_key WHERE scope IN ({marks})", scopes)
    return [dict(zip(("scope", "key_id", "key", "hlc", "laptop"), r)) for r in rows.fetchall()]


# -- chains -----------------------------------------------------------------------------------
def chain(laptop: str, stream: str) -> tuple[int, str]:
    row = db.execute_sql("SELECT seq, hash FROM team_chain WHERE laptop = ? AND stream = ?", (laptop, stream)).fetchone()
    return (row[0], row[1]) if row else (0, "")


def advance_chain(laptop: str, stream: str, seq: int, digest: str) -> None:
    db.execute_sql(
        "INSERT INTO team_chain (laptop, stream, seq, hash) VALUES (?, ?, ?, ?) "
        "ON CONFLICT (laptop, stream) DO UPDATE SET seq = excluded.seq, hash = excluded.hash",
        (laptop, stream, seq, digest),
    )


def mark_seen(digest: str, laptop: str, stream: str, seq: int, state: str) -> None:
    db.execute_sql(
        "INSERT INTO team_seen (hash, laptop, stream, seq, state) VALUES (?, ?, ?, ?, ?) "
        "ON CONFLICT (hash) DO UPDATE SET state = excluded.state",
        (digest, laptop, stream, seq, state),
    )


def is_own(digest: str) -> bool:
    """Whether a bundle with this hash is one this laptop wrote and committed."""
    return db.execute_sql("SELECT 1 FROM team_seen WHERE hash = ? AND state = 'own'", (digest,)).fetchone() is not None


def seen_states() -> dict[str, str]:
    return dict(db.execute_sql("SELECT hash, state FROM team_seen").fetchall())


def record_problem(digest: str, file: str, message: str, at: str) -> None:
    db.execute_sql(
        "INSERT INTO team_problem (hash, file, message, at) VALUES (?, ?, ?, ?) "
        "ON CONFLICT (hash) DO UPDATE SET message = excluded.message, file = excluded.file",
        (digest, file, message, at),
    )


def clear_problem(digest: str) -> None:
    db.execute_sql("DELETE FROM team_problem WHERE hash = ?", (digest,))


def problems() -> list[tuple[str, str, str]]:
    return db.execute_sql("SELECT file, message, at FROM team_problem ORDER BY at, file").fetchall()


# -- the file index (so an idle check hashes nothing) ------------------------------------------
def file_index() -> dict[str, tuple[int, int, str]]:
    return {r[0]: (r[1], r[2], r[3]) for r in db.execute_sql("SELECT name, size, mtime_ns, hash FROM team_file").fetchall()}


def index_file(name: str, size: int, mtime_ns: int, digest: str) -> None:
    db.execute_sql(
        "INSERT INTO team_file (name, size, mtime_ns, hash) VALUES (?, ?, ?, ?) ON CONFLICT (name) DO UPDATE SET "
        "size = excluded.size, mtime_ns = excluded.mtime_ns, hash = excluded.hash",
        (name, size, mtime_ns, digest),
    )
