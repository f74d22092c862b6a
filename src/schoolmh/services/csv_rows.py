"""Reading a CSV file saved from a spreadsheet: the one reader behind the records imports.

The sessions, measures and activities imports all read their files here, so they
accept the same files and point at problems the same way:

* **Encoding**: UTF-8 with or without a BOM, UTF-16 with a BOM, otherwise
  Windows-1252 (what Excel on a school PC saves).
* **Delimiter**: comma, semicolon or tab, whichever the header row uses most.
* **Header**: the first non-blank row. Names are matched ignoring case, spaces and
  hyphens ("Start on", "start-on" and "start_on" are one column).
* **Rows**: blank rows are skipped; every row keeps its spreadsheet row number.
* **Cells**, headers included, lose control and bidirectional-override characters
  (domain.mis.clean_cells, the same rule as the pupil import) before anything else
  reads them, so no imported text can carry them into the vault, a PDF or a terminal.
* **Problems** are domain.mis.RowError: ``row N, column C: why``, with C the
  header as the file spells it, so the message points at the cell staff see in
  Excel. A file that cannot be read at all raises FileRejected and nothing is
  imported; checking the rows, and keeping the import all or nothing, is the
  importer's job.
"""
from __future__ import annotations

import codecs
import csv
import io
import re
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

from schoolmh.domain.mis import RowError, clean_cells
from schoolmh.errors import ValidationError
from schoolmh.services.pupil_import import FileRejected

__all__ = ["MAX_BYTES", "MAX_ROWS", "CsvRow", "CsvTable", "column_key", "read_file_bytes", "parse_csv", "read_csv"]

MAX_BYTES = 20 * 1024 * 1024
MAX_ROWS = 100_000


@dataclass(frozen=True)
class CsvRow:
    number: int  # spreadsheet row number
    values: dict[str, str]  # column key -> cell, stripped ("" for a blank cell)


@dataclass(frozen=True)
class CsvTable:
    keys: tuple[str, ...]  # normalised header names ("" for a blank header cell)
    headers: tuple[str, ...]  # the header cells as written
    header_row: int
    rows: tuple[CsvRow, ...]

    def column(self, key: str) -> str:
        """The file's own header for a column key (the key itself when the file has no such column)."""
        for k, header in zip(self.keys, self.headers):
            if k == key and header:
                return header
        return key

    def row_error(self, number: int, key: str, message: str) -> RowError:
        return RowError(number, self.column(key) if key else "", message)

    def header_problems(self, allowed: Iterable[str], required: Iterable[str], what: str,
                        hint: str = "") -> list[RowError]:
        """Unknown, repeated and missing columns. ``what`` is "a sessions file" etc.; ``hint``
        is added to the unknown-column message (e.g. "; the columns are ...")."""
        allowed = set(allowed)
        errors: list[RowError] = []
        seen: set[str] = set()
        for key, header in zip(self.keys, self.headers):
            if not key:
                continue
            if key in seen:
                errors.append(RowError(self.header_row, header, "this column appears twice"))
            seen.add(key)
            if key not in allowed:
                errors.append(RowError(self.header_row, header, f"not a column of {what}{hint}"))
        for key in required:
            if key not in seen:
                errors.append(RowError(self.header_row, key, "this column is missing"))
        return errors


def column_key(header: str) -> str:
    return re.sub(r"[\s\-]+", "_", header.strip().casefold())


def read_file_bytes(path: str | Path) -> bytes:
    """The file's bytes. ValidationError if it cannot be opened, FileRejected if it is too large."""
    p = Path(path)
    try:
        if p.stat().st_size > MAX_BYTES:
            raise FileRejected([RowError(1, "", f"the file is larger than {MAX_BYTES // 1_048_576} MB")])
        return p.read_bytes()
    except OSError as exc:
        raise ValidationError(f"Could not open {p.name}: {exc.strerror or 'it could not be read'}.", "path") from None


def read_csv(path: str | Path) -> CsvTable:
    """Open and parse a CSV file (see the module docstring)."""
    return parse_csv(read_file_bytes(path))


def _decode(data: bytes) -> str:
    if data.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        try:
            return data.decode("utf-16")
        except UnicodeDecodeError:
            raise FileRejected([RowError(1, "", "the file claims to be UTF-16 text but is damaged")]) from None
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError:
        return data.decode("cp1252", errors="replace")


def parse_csv(data: bytes) -> CsvTable:
    """Header and rows of CSV bytes. Raises FileRejected when the bytes are not a readable CSV."""
    if len(data) > MAX_BYTES:
        raise FileRejected([RowError(1, "", f"the file is larger than {MAX_BYTES // 1_048_576} MB")])
    if data.startswith(b"PK\x03\x04") or data.startswith(b"\xd0\xcf\x11\xe0"):
        raise FileRejected([RowError(1, "", "this is a spreadsheet workbook: save it as CSV and import that")])
    text = _decode(data)
    if "\x00" in text:
        raise FileRejected([RowError(1, "", "this is not a CSV file (it contains binary data)")])
    first = next((line for line in io.StringIO(text) if line.strip()), "")
    delimiter = max((",", ";", "\t"), key=lambda d: (first.count(d), d == ","))
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)
    rows: list[tuple[int, list[str]]] = []
    number = 0
    try:
        for cells in reader:
            number += 1
            cells = clean_cells(cells)
            if any(c.strip() for c in cells):
                rows.append((number, cells))
                if len(rows) > MAX_ROWS + 1:
                    raise FileRejected([RowError(number, "", f"the file has more than {MAX_ROWS:,} rows")])
    except csv.Error:
        raise FileRejected([RowError(number + 1, "", "this row could not be read as CSV (a quote is not closed?)")]) \
            from None
    if not rows:
        raise FileRejected([RowError(1, "", "the file is empty")])
    header_row, header_cells = rows[0]
    headers = tuple(h.strip() for h in header_cells)
    keys = tuple(column_key(h) for h in headers)
    width = len(keys)
    body: list[CsvRow] = []
    too_wide: list[RowError] = []
    for number, cells in rows[1:]:
        if len(cells) > width and any(c.strip() for c in cells[width:]):
            too_wide.append(RowError(number, "", f"this row has {len(cells)} cells but the header has {width}"))
            continue
        padded = (cells + [""] * width)[:width]
        body.append(CsvRow(number, {k: c.strip() for k, c in zip(keys, padded) if k}))
    if too_wide:
        raise FileRejected(too_wide)
    return CsvTable(keys, headers, header_row, tuple(body))
