"""Importing the pupil list from the school's MIS (SIMS, Arbor, Bromcom): preview, then all or nothing.

Parsing and cell-level checks live in ``schoolmh.domain.mis`` (shared with the
import wizard); this module decides what the file means for the vault:

* **Matching.** A row with a UPN updates the pupil with that UPN (left pupils
  included: a pupil who reappears is back on roll). If no pupil has that UPN,
  a pupil recorded *without* a UPN but with the same legal surname, forename and
  date of birth is updated and gets the UPN (someone typed them in by hand
  before the export). A row without a UPN matches on surname, forename and date
  of birth. Otherwise the row is a new pupil. Matching never guesses: a row that
  fits two recorded pupils, or two rows that would update one pupil, is an error.
* **Only the file's columns change.** A column missing from the file leaves that
  field as it was; a blank cell in a column that *is* there clears it (the MIS is
  the source of truth), except the UPN, which a blank cell never removes.
* **Left the school.** When the file carries UPNs, a pupil on roll whose UPN is
  not in the file has left: the import marks them ``left_on = today`` (their
  records stay; retention decides when they go). Pupils recorded without a UPN
  are never marked, because their absence proves nothing. Pass
  ``mark_left=False`` (CLI ``--keep-missing``) for a partial export, say one year
  group, which would otherwise mark everyone else as left.
* **All or nothing.** Every row is checked before anything is written, and the
  whole import is one transaction: any error means nothing changed.

The counts a preview shows are computed by the same function the import runs
(``_plan``), inside the import's own transaction, so they cannot disagree.
"""
from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from schoolmh.db.models.base import new_uuid, utcnow
from schoolmh.db.models.records import Pupil
from schoolmh.domain.mis import ParsedFile, PupilRow, RowError, format_errors, read_mis_file
from schoolmh.errors import ValidationError
from schoolmh.services import audit
from schoolmh.services.permissions import Action
from schoolmh.services.pupils import PUPIL_FIELDS, pupil_search_text
from schoolmh.services.session import Session
from schoolmh.services.text import fold

__all__ = ["FileRejected", "ImportPreview", "ImportSummary", "read_file", "preview_import", "apply_import"]

Progress = Callable[[int, int], None]
"""progress(done, total): called as rows are written, for a progress bar."""

_CHUNK = 200  # rows per INSERT: 200 x 26 columns stays far below SQLite's variable limit


class FileRejected(ValidationError):
    """A file failed validation; nothing was written. ``errors`` are row-numbered (domain.mis.RowError).

    One problem makes a one-line message ("Nothing was imported: row 2, column upn: why. Fix it
    ..."); several make a summary line followed by one line per problem (format_errors).
    """

    def __init__(self, errors: list[RowError], what: str = "file") -> None:
        count = len(errors)
        if count == 1:
            message = f"Nothing was imported: {str(errors[0]).rstrip('.')}. Fix it and import the whole file again."
        else:
            message = (f"Nothing was imported: the {what} has {count} problems. "
                       "Fix them and import the whole file again.\n" + format_errors(errors))
        super().__init__(message, "file")
        self.errors = errors


@dataclass(frozen=True)
class ImportPreview:
    """What importing this file would do. The counts are meaningful only when ``ok``."""

    file_name: str
    headers: tuple[str, ...]
    mapping: dict[str, str]  # their header -> canonical field (domain.mis.CANONICAL_FIELDS)
    rows: int  # valid data rows
    errors: tuple[RowError, ...]
    added: int
    updated: int
    unchanged: int
    left_the_school: int
    sample: tuple[tuple[str, ...], ...]  # the first rows as text, for a preview table
    parsed: ParsedFile = field(repr=False, compare=False)  # pass to apply_import to avoid re-reading

    @property
    def ok(self) -> bool:
        return not self.errors

    def line(self) -> str:
        return (f"Added {self.added}, updated {self.updated}, unchanged {self.unchanged}, "
                f"marked left {self.left_the_school}.")


@dataclass(frozen=True)
class ImportSummary:
    added: int
    updated: int
    unchanged: int
    marked_left: int
    rows: int

    def line(self) -> str:
        return (f"Added {self.added}, updated {self.updated}, unchanged {self.unchanged}, "
                f"marked left {self.marked_left}.")


# --- the plan: what a file means for the vault ----------------------------------------------------
@dataclass
class _Plan:
    inserts: list[dict] = field(default_factory=list)
    updates: list[tuple[int, str, dict]] = field(default_factory=list)  # (id, uuid, changes)
    unchanged: int = 0
    leavers: list[tuple[int, str]] = field(default_factory=list)  # (id, uuid)
    errors: list[RowError] = field(default_factory=list)


_EXISTING_COLUMNS = (Pupil.id, Pupil.uuid, Pupil.left_on, *(getattr(Pupil, f) for f in PUPIL_FIELDS))


def _name_key(values) -> tuple[str, str, dt.date | None] | None:
    """Surname, forename (legal, else preferred) and date of birth, folded; None without a name."""
    get = values.get if isinstance(values, dict) else lambda k: getattr(values, k)
    surname = fold(get("legal_surname") or get("preferred_surname") or "").strip()
    forename = fold(get("legal_forename") or get("preferred_forename") or "").strip()
    if not surname or not forename:
        return None
    return surname, forename, get("dob")


def _plan(parsed: ParsedFile, mark_left: bool) -> _Plan:
    plan = _Plan()
    present = [f for f in PUPIL_FIELDS if f in parsed.present_fields]
    header_of = {name: header for header, name in parsed.mapping.items()}
    upn_column = header_of.get("upn", "UPN")
    name_column = header_of.get("legal_surname") or header_of.get("preferred_surname") or ""

    existing: dict[int, dict] = {}
    by_upn: dict[str, int] = {}
    by_name: dict[tuple, list[int]] = {}
    for values in Pupil.select(*_EXISTING_COLUMNS).dicts():
        existing[values["id"]] = values
        if values["upn"]:
            by_upn[values["upn"]] = values["id"]
        key = _name_key(values)
        if key is not None:
            by_name.setdefault(key, []).append(values["id"])

    claimed: dict[int, int] = {}  # pupil id -> row number that matched it
    matches: list[tuple[PupilRow, int | None]] = []

    def claim(row: PupilRow, pid: int, column: str) -> int | None:
        if pid in claimed:
            plan.errors.append(RowError(row.row_number, column,
                                        f"this is the same pupil as row {claimed[pid]} "
                                        "(same name and date of birth); give each row its UPN"))
            return None
        claimed[pid] = row.row_number
        return pid

    # Pass 1: UPNs, which are certain. Pass 2: names and dates of birth for the rest.
    pending: list[PupilRow] = []
    for row in parsed.rows:
        pid = by_upn.get(row.upn) if row.upn else None
        if pid is not None:
            claimed[pid] = row.row_number
            matches.append((row, pid))
        else:
            pending.append(row)
    first_without_upn: dict[tuple, int] = {}
    for row in pending:
        key = _name_key(row)
        if not row.upn and key is not None:
            # Two rows with no UPN and the same name and date of birth cannot be told
            # apart next time: usually a row pasted twice. Refuse rather than duplicate.
            if key in first_without_upn:
                plan.errors.append(RowError(
                    row.row_number, name_column,
                    f"same name and date of birth as row {first_without_upn[key]} and no UPN; "
                    "remove the repeated row or add the UPNs"))
                continue
            first_without_upn[key] = row.row_number
        candidates = [pid for pid in by_name.get(key, []) if pid not in claimed] if key else []
        if row.upn:  # a new UPN only adopts a pupil recorded without one
            candidates = [pid for pid in candidates if not existing[pid]["upn"]]
        if len(candidates) > 1:
            plan.errors.append(RowError(
                row.row_number, upn_column if row.upn else name_column,
                f"matches {len(candidates)} pupils already recorded with the same name and date of "
                "birth; add their UPNs in SchoolMH or the export so each row finds one pupil"))
            continue
        if candidates:
            pid = claim(row, candidates[0], name_column)
            if pid is None:
                continue
            matches.append((row, pid))
        else:
            matches.append((row, None))

    for row, pid in matches:
        if pid is None:
            values = {f: getattr(row, f) for f in PUPIL_FIELDS}
            values["upn"] = row.upn or None
            values["search_text"] = pupil_search_text(values)
            values["uuid"] = new_uuid()
            plan.inserts.append(values)
            continue
        old = existing[pid]
        changes = {f: getattr(row, f) for f in present if f != "upn" and getattr(row, f) != old[f]}
        if row.upn and row.upn != old["upn"]:
            changes["upn"] = row.upn
        if old["left_on"] is not None:
            changes["left_on"] = None  # back on roll
        if changes:
            merged = {**old, **changes}
            changes["search_text"] = pupil_search_text(merged)
            plan.updates.append((pid, old["uuid"], changes))
        else:
            plan.unchanged += 1

    if mark_left and any(row.upn for row in parsed.rows):
        plan.leavers = [
            (pid, values["uuid"]) for pid, values in existing.items()
            if values["upn"] and values["left_on"] is None and pid not in claimed
        ]
    plan.errors.sort(key=lambda e: e.row)
    return plan


# --- public API --------------------------------------------------------------------------------------
def read_file(path: str | Path, mapping: dict[str, str] | None = None) -> ParsedFile:
    """Parse an MIS export (CSV or XLSX). Raises ValidationError only if the file cannot be opened."""
    return read_mis_file(path, mapping)


def preview_import(session: Session, path: str | Path | ParsedFile, mapping: dict[str, str] | None = None,
                   *, mark_left: bool = True) -> ImportPreview:
    """Read the file and say what importing it would do, without writing anything."""
    session.require(Action.PUPIL_IMPORT)
    parsed = path if isinstance(path, ParsedFile) else read_file(path, mapping)
    name = "" if isinstance(path, ParsedFile) else Path(path).name
    plan = _plan(parsed, mark_left)
    errors = sorted([*parsed.errors, *plan.errors], key=lambda e: e.row)
    return ImportPreview(
        file_name=name,
        headers=tuple(parsed.headers),
        mapping=dict(parsed.mapping),
        rows=len(parsed.rows),
        errors=tuple(errors),
        added=len(plan.inserts),
        updated=len(plan.updates),
        unchanged=plan.unchanged,
        left_the_school=len(plan.leavers),
        sample=tuple(tuple(r) for r in parsed.raw_rows[:20]),
        parsed=parsed,
    )


def apply_import(session: Session, path_or_parsed: str | Path | ParsedFile,
                 mapping: dict[str, str] | None = None, progress: Progress | None = None,
                 *, mark_left: bool = True) -> ImportSummary:
    """Import the whole file or nothing. Raises FileRejected (row-numbered) on any problem.

    One "pupil.import" audit entry records the counts, followed by one entry per
    added, changed or leaving pupil ("pupil.create"/"pupil.update"/"pupil.archive",
    detail "via=import"), so a subject access request shows when the MIS changed a
    pupil's record. They are chained in one batch (audit.append_many) to stay fast.
    """
    session.require(Action.PUPIL_IMPORT)
    parsed = (path_or_parsed if isinstance(path_or_parsed, ParsedFile)
              else read_file(path_or_parsed, mapping))
    if parsed.errors:
        raise FileRejected(list(parsed.errors))
    today = session.today()
    with session.transaction():
        plan = _plan(parsed, mark_left)
        if plan.errors:
            raise FileRejected(plan.errors)
        summary = ImportSummary(len(plan.inserts), len(plan.updates), plan.unchanged,
                                len(plan.leavers), len(parsed.rows))
        session.audit("pupil.import", "pupil", "",
                      f"rows={summary.rows};added={summary.added};updated={summary.updated};"
                      f"unchanged={summary.unchanged};left={summary.marked_left}")
        entries: list[tuple[str, str, str, str]] = []
        total = len(plan.inserts) + len(plan.updates) + len(plan.leavers)
        done = 0
        now = utcnow()
        me = session.actor.uuid
        for start in range(0, len(plan.inserts), _CHUNK):
            chunk = plan.inserts[start:start + _CHUNK]
            for values in chunk:
                values.update(created_at=now, updated_at=now, created_by=me, updated_by=me)
                entries.append(("pupil.create", "pupil", values["uuid"], "via=import"))
            Pupil.insert_many(chunk).execute()
            done += len(chunk)
            if progress:
                progress(done, total)
        for pid, uuid, changes in plan.updates:
            Pupil.update(**changes, updated_at=now, updated_by=me).where(Pupil.id == pid).execute()
            entries.append(("pupil.update", "pupil", uuid,
                            "via=import;fields=" + ",".join(sorted(k for k in changes if k != "search_text"))))
            done += 1
            if progress and done % _CHUNK == 0:
                progress(done, total)
        leaver_ids = [pid for pid, _ in plan.leavers]
        for start in range(0, len(leaver_ids), 500):
            Pupil.update(left_on=today, updated_at=now, updated_by=me).where(
                Pupil.id.in_(leaver_ids[start:start + 500])).execute()
        entries.extend(("pupil.archive", "pupil", uuid, "via=import") for _, uuid in plan.leavers)
        audit.append_many(me, entries)
    if progress:
        progress(total, total)
    return summary
