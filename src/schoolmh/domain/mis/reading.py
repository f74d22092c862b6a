"""Reading an MIS export's bytes (CSV or XLSX) into rows of text, and those rows into pupils."""
from __future__ import annotations

import codecs
import csv
import datetime as dt
import io
import warnings
import zipfile
from pathlib import Path
from typing import Mapping, Sequence

from schoolmh.errors import ValidationError

from .cells import clean_cells
from .fields import (
    _FORENAME_FIELDS,
    _SURNAME_FIELDS,
    HEADER_SEARCH_ROWS,
    MAX_COLUMNS,
    MAX_DATA_ROWS,
    MAX_FILE_BYTES,
    MAX_XLSX_UNPACKED_BYTES,
)
from .mapping import _join, _missing_required, _resolve_mapping, validate_mapping
from .results import ParsedFile, PupilRow, RowError, _FieldError, _FileProblem
from .values import PARSERS as _PARSERS

__all__ = ["read_mis_bytes", "read_mis_file", "format_errors"]


_Table = list[tuple[int, list[str]]]  # (spreadsheet row number, cells) for non-blank rows


def _cell_text(value: object) -> str:
    """One XLSX cell as the text a CSV export would have shown (dates as ISO)."""
    if value is None:
        return ""
    if isinstance(value, str):
        return value
    if isinstance(value, bool):
        return "TRUE" if value else "FALSE"
    if isinstance(value, dt.datetime):
        return value.date().isoformat()
    if isinstance(value, (dt.date, dt.time)):
        return value.isoformat()
    if isinstance(value, float) and value.is_integer() and abs(value) < 1e15:
        return str(int(value))
    return str(value)


def _add_row(table: _Table, row_number: int, cells: list[str]) -> None:
    """Keep a non-blank row, every cell cleaned (cells.clean_cell); enforce the row limit while reading.

    Blank rows count towards the limit too: a sheet of millions of empty rows costs as much
    to read as one of data (issue 11 item 9)."""
    if row_number > MAX_DATA_ROWS + HEADER_SEARCH_ROWS + 1:
        raise _FileProblem(
            f"The file has more than {MAX_DATA_ROWS:,} rows. Export only the pupils on roll."
        )
    cells = clean_cells(cells[:MAX_COLUMNS])
    for cell in cells:
        if cell.strip():
            break
    else:
        return
    if len(table) > MAX_DATA_ROWS + HEADER_SEARCH_ROWS:
        raise _FileProblem(
            f"The file has more than {MAX_DATA_ROWS:,} rows. Export only the pupils on roll."
        )
    table.append((row_number, cells))


def _decode(data: bytes) -> str:
    """UTF-8 (BOM or not), UTF-16 with BOM (Excel "Unicode text"), else Windows-1252."""
    if data.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        try:
            return data.decode("utf-16")
        except UnicodeDecodeError:
            raise _FileProblem("The file claims to be UTF-16 text but is damaged.") from None
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError:
        # cp1252 leaves five bytes undefined; a replacement character there is visible
        # in the preview, which beats refusing an otherwise good SIMS export.
        return data.decode("cp1252", errors="replace")


def _delimiter(text: str) -> str:
    """Comma unless the first line clearly uses semicolons or tabs (European Excel)."""
    for line in io.StringIO(text):
        if line.strip():
            counts = {d: line.count(d) for d in (",", ";", "\t")}
            best = max(counts, key=lambda d: counts[d])
            return best if counts[best] > counts[","] else ","
    return ","


def _csv_rows(data: bytes) -> _Table:
    text = _decode(data)
    if "\x00" in text:
        raise _FileProblem(
            "This file is not a CSV file (it contains binary data). "
            "Export the pupil list from the MIS as CSV or XLSX."
        )
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=_delimiter(text))
    table: _Table = []
    row_number = 0
    while True:
        try:
            record = next(reader)
        except StopIteration:
            break
        except csv.Error:
            raise _FileProblem(
                "this row could not be read as CSV (a cell is far too long, or a quote "
                "is not closed). Check the export.",
                row=row_number + 1,
            ) from None
        row_number += 1
        _add_row(table, row_number, record)
    return table


def _xlsx_rows(data: bytes) -> _Table:
    not_xlsx = (
        "This file could not be opened as an Excel (XLSX) workbook. "
        "Export the pupil list from the MIS again as CSV or XLSX."
    )
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            unpacked = sum(info.file_size for info in archive.infolist())
    except Exception:  # zipfile raises many types on damaged input; all mean "not XLSX"
        raise _FileProblem(not_xlsx) from None
    if unpacked > MAX_XLSX_UNPACKED_BYTES:
        raise _FileProblem("This workbook is far larger than a pupil list. Export only the pupils.")

    import openpyxl  # lazy: ~0.1 s to import, and only the import wizard needs it

    table: _Table = []
    try:
        with warnings.catch_warnings():
            # openpyxl warns about styles/extensions it skips; irrelevant to values.
            warnings.simplefilter("ignore")
            workbook = openpyxl.load_workbook(
                io.BytesIO(data), read_only=True, data_only=True, keep_links=False
            )
            try:
                if not workbook.worksheets:
                    raise _FileProblem("The workbook has no worksheet.")
                sheet = workbook.worksheets[0]
                # Some exporters write a wrong <dimension>, which makes read-only mode
                # stop early; ignore it and read every row that is there.
                sheet.reset_dimensions()
                for row_number, values in enumerate(sheet.iter_rows(values_only=True), start=1):
                    _add_row(table, row_number, [_cell_text(v) for v in values[:MAX_COLUMNS]])
            finally:
                workbook.close()
    except _FileProblem:
        raise
    except Exception:  # openpyxl on a damaged or hostile file: any error means unreadable
        raise _FileProblem(not_xlsx) from None
    return table


def _kind(data: bytes, filename: str) -> str:
    suffix = Path(filename).suffix.lower()
    if data.startswith(b"PK\x03\x04") or suffix in (".xlsx", ".xlsm"):
        return "xlsx"
    if data.startswith(b"\xd0\xcf\x11\xe0"):  # OLE2: a real .xls (some ".xls" are text)
        return "xls"
    return "csv"


# --- rows of text into pupils -------------------------------------------------------------------
_INVALID = object()
"""Placeholder for a value that failed to parse: truthy, so no "required" error is added on top."""


def _file_error(message: str, row: int = 1, headers: list[str] | None = None) -> ParsedFile:
    return ParsedFile(headers or [], {}, [], [RowError(row, "", message)], [], [])


def _parse_table(table: _Table, user: dict[str, str]) -> ParsedFile:
    """Find the header, map columns, parse every row; collect all errors, not just the first.

    Reporting every bad cell at once lets the school fix its export in one pass.
    """
    if not table:
        return _file_error("The file is empty: no rows were found.")

    header_at = 0
    headers: list[str] = [c.strip() for c in table[0][1]]
    mapping, map_errors = _resolve_mapping(headers, user)
    missing = _missing_required(mapping)
    for position in range(1, min(HEADER_SEARCH_ROWS, len(table))):
        if not missing:
            break
        candidate = [c.strip() for c in table[position][1]]
        cand_mapping, cand_errors = _resolve_mapping(candidate, user)
        if not _missing_required(cand_mapping):
            header_at, headers, mapping, map_errors, missing = (
                position, candidate, cand_mapping, cand_errors, [])
    header_row = table[header_at][0]

    data_rows = table[header_at + 1:]
    if len(data_rows) > MAX_DATA_ROWS:
        return _file_error(
            f"The file has more than {MAX_DATA_ROWS:,} rows. Export only the pupils on roll.",
            headers=headers,
        )
    width = len(headers)
    for _, cells in data_rows:  # in place: these lists are ours, and files can be large
        if len(cells) < width:
            cells.extend([""] * (width - len(cells)))
        elif len(cells) > width:
            del cells[width:]
    raw_rows = [cells for _, cells in data_rows]
    raw_numbers = [number for number, _ in data_rows]

    if missing:
        shown = ", ".join(f"“{h}”" for h in headers if h) or "none"
        message = (
            f"No column was recognised for {_join(missing)}. "
            f"Columns found: {shown[:500]}. Rename the column in the export or map it "
            f"to a field (for example \"Their Header=year_group\")."
        )
        errors = [RowError(header_row, "", message)] + [
            RowError(header_row, e.column, e.message) for e in map_errors
        ]
        return ParsedFile(headers, mapping, [], errors, raw_rows, raw_numbers)

    column_of = {h: i for i, h in reversed(list(enumerate(headers)))}
    columns = [(name, column_of[header], header) for header, name in mapping.items()]
    header_for = {name: header for header, name in mapping.items()}
    forename_col = next((header_for[f] for f in _FORENAME_FIELDS if f in header_for), "")
    surname_col = next((header_for[f] for f in _SURNAME_FIELDS if f in header_for), "")

    errors: list[RowError] = [RowError(header_row, e.column, e.message) for e in map_errors]
    rows: list[PupilRow] = []
    first_seen_upn: dict[str, int] = {}

    for row_number, cells in data_rows:
        row_errors: list[RowError] = []
        values: dict[str, object] = {}
        for name, index, header in columns:
            text = cells[index].strip()  # rows were padded to the header's width above
            try:
                values[name] = _PARSERS[name](text)
            except _FieldError as exc:
                row_errors.append(RowError(row_number, header, exc.message))
                values[name] = _INVALID
        if not (values.get("legal_forename") or values.get("preferred_forename")):
            row_errors.append(RowError(row_number, forename_col,
                                       "a forename is required (legal or preferred)"))
        if not (values.get("legal_surname") or values.get("preferred_surname")):
            row_errors.append(RowError(row_number, surname_col,
                                       "a surname is required (legal or preferred)"))
        if values.get("year_group") is None:
            row_errors.append(RowError(row_number, header_for["year_group"],
                                       "a year group is required"))
        upn = values.get("upn")
        if isinstance(upn, str) and upn:
            first = first_seen_upn.get(upn)
            if first is None:
                first_seen_upn[upn] = row_number
            else:
                row_errors.append(RowError(row_number, header_for["upn"], f"duplicate of row {first}"))
        if row_errors:
            errors.extend(sorted(row_errors, key=lambda e: _column_order(e, column_of)))
            continue
        rows.append(PupilRow(row_number=row_number, **values))  # type: ignore[arg-type]
    return ParsedFile(headers, mapping, rows, errors, raw_rows, raw_numbers)


def _column_order(error: RowError, column_of: dict[str, int]) -> int:
    return column_of.get(error.column, -1)


# --- public entry points ---------------------------------------------------------------------------
def read_mis_bytes(
    data: bytes, filename: str, mapping: Mapping[str, str] | None = None
) -> ParsedFile:
    """Parse an MIS export held in memory; ``filename`` (its extension) picks CSV or XLSX.

    Never raises for anything in ``data``: problems come back in ``ParsedFile.errors``.
    Raises ValidationError only if ``mapping`` itself is invalid.
    """
    user = validate_mapping(mapping) if mapping else {}
    if len(data) > MAX_FILE_BYTES:
        return _file_error(
            f"The file is {len(data) / 1_048_576:.0f} MB; the limit is "
            f"{MAX_FILE_BYTES // 1_048_576} MB. Export only the pupils and columns needed."
        )
    try:
        kind = _kind(data, filename)
        if kind == "xls":
            return _file_error(
                "This is an old-style Excel file (.xls). Save it as .xlsx or CSV and try again."
            )
        table = _xlsx_rows(data) if kind == "xlsx" else _csv_rows(data)
    except _FileProblem as exc:
        return _file_error(exc.message, exc.row)
    return _parse_table(table, user)


def read_mis_file(path: str | Path, mapping: Mapping[str, str] | None = None) -> ParsedFile:
    """Parse an MIS export on disk. See ``read_mis_bytes``.

    Raises ValidationError if the file cannot be opened at all (missing, a folder,
    no permission); the size limit is checked before the file is read into memory.
    """
    user = validate_mapping(mapping) if mapping else {}
    p = Path(path)
    try:
        size = p.stat().st_size
        if size > MAX_FILE_BYTES:
            return _file_error(
                f"The file is {size / 1_048_576:.0f} MB; the limit is "
                f"{MAX_FILE_BYTES // 1_048_576} MB. Export only the pupils and columns needed."
            )
        data = p.read_bytes()
    except OSError as exc:
        reason = exc.strerror or "it could not be read"
        raise ValidationError(f"Could not open {p.name}: {reason}.", "path") from None
    return read_mis_bytes(data, p.name, user)


def format_errors(errors: Sequence[RowError], limit: int = 20) -> str:
    """The first ``limit`` errors, one per line, then how many more.

    A file with a systematic problem can have thousands; the first screenful is what
    someone needs to see the pattern and fix the export.
    """
    lines = [str(error) for error in errors[:limit]]
    rest = len(errors) - limit
    if rest > 0:
        lines.append(f"… and {rest} more error{'' if rest == 1 else 's'}")
    return "\n".join(lines)
