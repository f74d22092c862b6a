"""Moving a school's spreadsheets in: sessions and outcome-measure CSV files, all or nothing.

Both formats are plain CSV, read by services.csv_rows like the activities import
(UTF-8 with or without BOM, UTF-16 with BOM, or Windows-1252 as Excel saves it;
header row first; header names matched ignoring case, spaces and hyphens). Every
row is checked before anything is written; any problem rejects the whole file
with ``row N, column C: why`` lines (``FileRejected``, the same as the pupil
import) and nothing changes.

Re-importing is safe: a row identical to a record already in the vault (same
pupil, date and every other value) is counted as "already recorded" and not
added again, so importing the same file twice does not double anyone's sessions.

Sessions (``schoolmh import sessions FILE.csv``), columns:

  upn               pupil's UPN; required for function 1, blank for a contact with no pupil
  date              dd/mm/yyyy or yyyy-mm-dd; not in the future (required)
  duration_minutes  1-600 (default 30)
  function          1 direct support, 2 whole school, 3 advice and liaison (default 1)
  type              one_to_one, group, parent, consultation (default one_to_one)
  mode              in_person, video, phone, group (default in_person)
  attendance        attended, dna, cancelled_school, cancelled_family (default attended)
  staff_username    the SchoolMH user name of who saw the pupil (default: whoever imports)
  note              short note (optional)

Only ``date`` must be a column; a missing column takes its default. The coded
columns (function, type, mode, attendance, and a measure's instrument) also take
"code - description" as a spreadsheet may show it ("1 - Direct support").
Control and bidirectional-override characters are removed from every cell as the
file is read (services.csv_rows).

Measures (``schoolmh import measures FILE.csv``): ``upn,date,instrument,rater``
then one column per score, named as ``schoolmh measures list`` prints them
(e.g. SDQ: emotional,conduct,hyperactivity,peer,prosocial). One file may mix
instruments: each row fills in its own instrument's columns and leaves the
others blank. Instrument codes: SDQ, RCADS25, GBO, ORS, CORS, WEMWBS, SWEMWBS.
"""
from __future__ import annotations

import datetime as dt
import json
from collections import Counter
from dataclasses import dataclass
from pathlib import Path

from schoolmh.db.models import Staff
from schoolmh.db.models.records import MeasureResult, Pupil
from schoolmh.db.models.records import Session as SessionRow
from schoolmh.domain import instruments as inst
from schoolmh.domain.codes import ATTENDANCE, FUNCTIONS, SESSION_MODES, SESSION_TYPES
from schoolmh.domain.mis import RowError, code_in_cell
from schoolmh.domain.upn import validate_upn
from schoolmh.errors import ValidationError, ValidationErrors
from schoolmh.services import measures as measures_service
from schoolmh.services.csv_rows import read_csv
from schoolmh.services.fieldcheck import parse_date
from schoolmh.services.permissions import Action
from schoolmh.services.pupil_import import FileRejected
from schoolmh.services.session import Session
from schoolmh.services.sessions import clean_session_fields

__all__ = [
    "SESSION_COLUMNS",
    "MEASURE_BASE_COLUMNS",
    "RecordsImportSummary",
    "import_sessions_csv",
    "import_measures_csv",
]

SESSION_COLUMNS = ("upn", "date", "duration_minutes", "function", "type", "mode", "attendance",
                   "staff_username", "note")
SESSION_DEFAULTS = {"duration_minutes": "30", "function": "1", "type": "one_to_one", "mode": "in_person",
                    "attendance": "attended"}
MEASURE_BASE_COLUMNS = ("upn", "date", "instrument", "rater")
_SESSION_CODES = {"function": [str(k) for k in FUNCTIONS], "type": SESSION_TYPES, "mode": SESSION_MODES,
                  "attendance": ATTENDANCE}


@dataclass(frozen=True)
class RecordsImportSummary:
    rows: int
    imported: int
    already_recorded: int
    dry_run: bool = False

    def line(self, what: str) -> str:
        prefix = "Dry run (nothing written): " if self.dry_run else ""
        verb = "would import" if self.dry_run else "imported"
        return (f"{prefix}{verb} {self.imported} {what}, {self.already_recorded} already recorded "
                f"(of {self.rows} rows).")


# --- checking ---------------------------------------------------------------------------------------------
def _parse_date(text: str, today: dt.date) -> dt.date:
    """A CSV date: dd/mm/yyyy or yyyy-mm-dd (a spreadsheet's "2025-02-03 00:00:00" too), from 2000 to today."""
    text = text.strip()
    if not text:
        raise ValidationError("a date is required", "date")
    value = parse_date(text) or parse_date(text[:10])
    if value is None:
        raise ValidationError(f"“{text[:30]}” is not a date: use dd/mm/yyyy", "date")
    if value > today:
        raise ValidationError(f"{value:%d/%m/%Y} is in the future", "date")
    if value.year < 2000:
        raise ValidationError(f"{value:%d/%m/%Y} is too early", "date")
    return value


def _pupils_by_upn() -> dict[str, Pupil]:
    return {p.upn: p for p in Pupil.select(Pupil.id, Pupil.uuid, Pupil.upn, Pupil.dob).where(Pupil.upn.is_null(False))}


def _lookup_pupil(text: str, pupils: dict[str, Pupil]) -> Pupil:
    try:
        upn = validate_upn(text)
    except ValidationError as exc:
        raise ValidationError(exc.message.rstrip("."), "upn") from None
    pupil = pupils.get(upn)
    if pupil is None:
        raise ValidationError(f"no pupil with UPN {upn} is recorded (import the pupil list first)", "upn")
    return pupil


def _messages(exc: ValidationError) -> list[tuple[str, str]]:
    if isinstance(exc, ValidationErrors):
        return [(p.field, p.message.rstrip(".")) for p in exc.problems]
    return [(exc.field or "", exc.message.rstrip("."))]


# --- sessions ---------------------------------------------------------------------------------------------
def import_sessions_csv(session: Session, path: str | Path, *, dry_run: bool = False) -> RecordsImportSummary:
    """Import a sessions CSV (columns in the module docstring): every row or none."""
    session.require(Action.IMPORT_RECORDS)
    table = read_csv(path)
    errors = table.header_problems(SESSION_COLUMNS, ("date",), "a sessions file")
    if errors:
        raise FileRejected(errors, "sessions file")
    today = session.today()
    pupils = _pupils_by_upn()
    staff = {s.username: s for s in Staff.select(Staff.id, Staff.uuid, Staff.username)}
    me = Staff.get(Staff.uuid == session.actor.uuid)
    planned: list[tuple[int, dict]] = []
    for row in table.rows:
        number = row.number
        raw = {**SESSION_DEFAULTS, **{k: v for k, v in row.values.items() if v}}
        raw.update({k: code_in_cell(raw[k], codes) for k, codes in _SESSION_CODES.items() if k in raw})
        row_errors: list[RowError] = []
        fields = {k: raw.get(k, "") for k in ("date", "duration_minutes", "function", "type", "mode",
                                              "attendance", "note")}
        try:
            fields["date"] = _parse_date(fields["date"], today)
        except ValidationError as exc:
            row_errors.append(table.row_error(number, "date", exc.message))
            fields.pop("date")
        try:
            values = clean_session_fields(fields, today)
        except ValidationError as exc:
            values = {}
            row_errors.extend(table.row_error(number, f, m) for f, m in _messages(exc))
        pupil = None
        if raw.get("upn"):
            try:
                pupil = _lookup_pupil(raw["upn"], pupils)
            except ValidationError as exc:
                row_errors.append(table.row_error(number, "upn", exc.message))
        elif values.get("function") == 1:
            row_errors.append(table.row_error(number, "upn", "direct support (function 1) needs the pupil's UPN"))
        who = me
        if raw.get("staff_username"):
            who = staff.get(raw["staff_username"].casefold())
            if who is None:
                row_errors.append(table.row_error(number, "staff_username",
                                           f"no SchoolMH user is called “{raw['staff_username'][:30]}”"))
        if row_errors:
            errors.extend(row_errors)
            continue
        planned.append((number, {**values, "pupil": pupil.id if pupil else None, "staff": who.id}))
    if errors:
        raise FileRejected(errors, "sessions file")

    def key(v: dict) -> tuple:
        return (v["pupil"], v["date"], v["staff"], v["function"], v["type"], v["mode"], v["attendance"],
                v["duration_minutes"], v["note"])

    with session.transaction():
        dates = [v["date"] for _, v in planned]
        existing: Counter = Counter()
        if dates:
            for row in (SessionRow.select(SessionRow.pupil, SessionRow.date, SessionRow.staff, SessionRow.function,
                                          SessionRow.type, SessionRow.mode, SessionRow.attendance,
                                          SessionRow.duration_minutes, SessionRow.note)
                        .where(SessionRow.date.between(min(dates), max(dates))).tuples()):
                existing[row] += 1
        to_add = []
        for _, v in planned:
            k = key(v)
            if existing[k] > 0:
                existing[k] -= 1
            else:
                to_add.append(v)
        summary = RecordsImportSummary(len(planned), len(to_add), len(planned) - len(to_add), dry_run)
        if dry_run:
            return summary
        for v in to_add:
            row = SessionRow(**v)
            session.stamp(row, created=True)
            row.save(force_insert=True)
            session.audit("session.create", "session", row.uuid, "via=import")
        session.audit("session.import", "session", "",
                      f"rows={summary.rows};imported={summary.imported};already={summary.already_recorded}")
    return summary


# --- measures ---------------------------------------------------------------------------------------------
def _all_field_codes() -> set[str]:
    return {f.code for i in inst.INSTRUMENTS.values() for f in i.fields}


def import_measures_csv(session: Session, path: str | Path, *, dry_run: bool = False) -> RecordsImportSummary:
    """Import an outcome-measures CSV (upn,date,instrument,rater + score columns): every row or none."""
    session.require(Action.IMPORT_RECORDS)
    table = read_csv(path)
    score_columns = _all_field_codes()
    errors = table.header_problems({*MEASURE_BASE_COLUMNS, *score_columns}, MEASURE_BASE_COLUMNS, "a measures file")
    if errors:
        raise FileRejected(errors, "measures file")
    today = session.today()
    pupils = _pupils_by_upn()
    column_set = set(table.keys)
    planned: list[tuple[Pupil, dt.date, inst.Scored]] = []
    for row in table.rows:
        number, raw = row.number, row.values
        row_errors: list[RowError] = []
        pupil = day = None
        try:
            pupil = _lookup_pupil(raw.get("upn", ""), pupils) if raw.get("upn") else None
            if pupil is None:
                row_errors.append(table.row_error(number, "upn", "the pupil's UPN is required"))
        except ValidationError as exc:
            row_errors.append(table.row_error(number, "upn", exc.message))
        try:
            day = _parse_date(raw.get("date", ""), today)
        except ValidationError as exc:
            row_errors.append(table.row_error(number, "date", exc.message))
        values = {k: raw[k] for k in table.keys if k in score_columns and raw.get(k)}
        try:
            instrument = inst.get_instrument(code_in_cell(raw.get("instrument", ""), inst.INSTRUMENTS) or "(blank)")
            scored = inst.score(instrument.code, raw.get("rater", ""), values,
                                age=measures_service.age_on(pupil.dob, day) if pupil and day else None)
        except ValidationError as exc:
            column = exc.field if exc.field in column_set else ("instrument" if exc.field == "instrument"
                                                                  else "rater" if exc.field == "rater" else "")
            row_errors.append(table.row_error(number, column, exc.message.rstrip(".")))
            scored = None
        if row_errors:
            errors.extend(row_errors)
            continue
        planned.append((pupil, day, scored))
    if errors:
        raise FileRejected(errors, "measures file")

    with session.transaction():
        existing: Counter = Counter()
        if planned:
            dates = [d for _, d, _ in planned]
            for pid, day, code, rater, values_json in (
                MeasureResult.select(MeasureResult.pupil, MeasureResult.date, MeasureResult.instrument,
                                     MeasureResult.rater, MeasureResult.values_json)
                .where(MeasureResult.date.between(min(dates), max(dates))).tuples()
            ):
                existing[(pid, day, code, rater, values_json)] += 1
        to_add = []
        for pupil, day, scored in planned:
            k = (pupil.id, day, scored.instrument_code, scored.rater,
                 json.dumps(scored.values, separators=(",", ":")))
            if existing[k] > 0:
                existing[k] -= 1
            else:
                to_add.append((pupil, day, scored))
        summary = RecordsImportSummary(len(planned), len(to_add), len(planned) - len(to_add), dry_run)
        if dry_run:
            return summary
        for pupil, day, scored in to_add:
            measures_service.store_result(session, pupil, scored, day, None)
        session.audit("measure.import", "measure", "",
                      f"rows={summary.rows};imported={summary.imported};already={summary.already_recorded}")
    return summary
