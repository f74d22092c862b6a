"""The hash-chained audit trail: who did what, when, to which record (by UUID only).

Each row's hash is SHA-256 over the previous row's hash and its own canonical
content. SQL triggers refuse UPDATE and DELETE; the latest (seq, hash) is also
kept, MAC'd, beside the vault and in each backup manifest, so a truncated chain
is caught too.
"""
from __future__ import annotations

import datetime as dt
import hashlib
import json
from dataclasses import dataclass

from schoolmh.db.models import AuditEntry
from schoolmh.db.models.base import utcnow

GENESIS = "0" * 64


def _canonical(seq: int, at: dt.datetime, actor: str | None, action: str, object_type: str, object_uuid: str, detail: str) -> bytes:
    return json.dumps(
        [seq, at.isoformat(timespec="seconds"), actor or "", action, object_type, object_uuid, detail],
        separators=(",", ":"),
        ensure_ascii=False,
    ).encode("utf-8")


def chain_hash(prev_hash: str, canonical: bytes) -> str:
    return hashlib.sha256(prev_hash.encode("ascii") + canonical).hexdigest()


def head() -> tuple[int, str]:
    row = AuditEntry.select(AuditEntry.seq, AuditEntry.hash).order_by(AuditEntry.seq.desc()).first()
    return (row.seq, row.hash) if row else (0, GENESIS)


def append(actor: str | None, action: str, object_type: str = "", object_uuid: str = "", detail: str = "") -> tuple[int, str]:
    """Call inside the transaction of the change it records, so both land or neither does."""
    prev_seq, prev_hash = head()
    seq = prev_seq + 1
    at = utcnow()
    digest = chain_hash(prev_hash, _canonical(seq, at, actor, action, object_type, object_uuid, detail))
    AuditEntry.insert(
        seq=seq, at=at, actor=actor, action=action, object_type=object_type,
        object_uuid=object_uuid, detail=detail, prev_hash=prev_hash, hash=digest,
    ).execute()
    return seq, digest


def append_many(actor: str | None, entries: list[tuple[str, str, str, str]]) -> tuple[int, str]:
    """Append (action, object_type, object_uuid, detail) rows in order: the same chain as
    calling ``append`` for each, but one head read and chunked inserts, so a 2,000-pupil
    import can audit every pupil without taking seconds. Same transaction rule as ``append``.
    """
    prev_seq, prev_hash = head()
    at = utcnow()
    rows = []
    for action, object_type, object_uuid, detail in entries:
        prev_seq += 1
        digest = chain_hash(prev_hash, _canonical(prev_seq, at, actor, action, object_type, object_uuid, detail))
        rows.append(dict(seq=prev_seq, at=at, actor=actor, action=action, object_type=object_type,
                         object_uuid=object_uuid, detail=detail, prev_hash=prev_hash, hash=digest))
        prev_hash = digest
    for start in range(0, len(rows), 500):
        AuditEntry.insert_many(rows[start:start + 500]).execute()
    return prev_seq, prev_hash


@dataclass(frozen=True)
class VerifyResult:
    ok: bool
    rows: int
    problem: str = ""
    first_bad_seq: int | None = None


def verify(recorded_head: tuple[int, str] | None) -> VerifyResult:
    """Walk the chain; name the first row that was edited, inserted or deleted, or a cut-off end."""
    expected_prev, expected_seq, count = GENESIS, 1, 0
    before_prev: str | None = None  # hash of the row before the previous one: spots a row slipped in
    head_seq, head_hash = recorded_head if recorded_head is not None else (0, GENESIS)
    hash_at_head = GENESIS if head_seq == 0 else None
    query = AuditEntry.select().order_by(AuditEntry.seq).tuples().iterator()
    for seq, at, actor, action, object_type, object_uuid, detail, prev_hash, digest in query:
        count += 1
        if isinstance(at, str):
            at = dt.datetime.fromisoformat(at)
        recomputed = chain_hash(prev_hash, _canonical(seq, at, actor, action, object_type, object_uuid, detail))
        if seq > expected_seq:
            missing = f"row {expected_seq}" if seq == expected_seq + 1 else f"rows {expected_seq}–{seq - 1}"
            return VerifyResult(False, count, f"Audit {missing} deleted (the chain jumps to row {seq}).", expected_seq)
        if seq < expected_seq:
            return VerifyResult(False, count, f"Audit row {seq} is out of order: a row was inserted.", seq)
        if prev_hash != expected_prev:
            if before_prev is not None and prev_hash == before_prev:
                return VerifyResult(
                    False, count,
                    f"Audit row {seq - 1} was inserted: row {seq} was written straight after row {seq - 2}.", seq - 1,
                )
            return VerifyResult(
                False, count,
                f"Audit row {seq} does not follow row {seq - 1}: a row was deleted before it, "
                f"or row {seq - 1} was edited.", seq,
            )
        if recomputed != digest:
            return VerifyResult(False, count, f"Audit row {seq} was edited after it was written.", seq)
        before_prev, expected_prev, expected_seq = expected_prev, digest, seq + 1
        if seq == head_seq:
            hash_at_head = digest
    last_seq = expected_seq - 1
    if recorded_head is not None:
        if last_seq < head_seq:
            return VerifyResult(False, count, f"The audit trail was cut short: rows after {last_seq} (to {head_seq}) are missing.", last_seq + 1)
        if hash_at_head != head_hash:
            return VerifyResult(
                False, count,
                f"Audit row {head_seq} does not match the recorded end of the chain: the trail was rewritten.", head_seq,
            )
        if last_seq > head_seq:
            return VerifyResult(False, count, f"Audit rows after {head_seq} were added outside SchoolMH.", head_seq + 1)
    return VerifyResult(True, count)


@dataclass(frozen=True)
class AuditRow:
    seq: int
    at: dt.datetime
    actor: str | None
    action: str
    object_type: str
    object_uuid: str
    detail: str


def rows_for(object_uuids: list[str], limit: int = 500) -> list[AuditRow]:
    query = (
        AuditEntry.select()
        .where(AuditEntry.object_uuid.in_(object_uuids))
        .order_by(AuditEntry.seq.desc())
        .limit(limit)
    )
    return [AuditRow(r.seq, r.at, r.actor, r.action, r.object_type, r.object_uuid, r.detail) for r in query]
