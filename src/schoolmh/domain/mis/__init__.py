"""Reading pupil lists exported from a school MIS (SIMS, Arbor, Bromcom): CSV or XLSX.

Pure Python, no database and no Qt, so that the import service, the command line and
the import wizard all share one parser and one set of error messages.

How a file is read
------------------
1. Bytes: refuse anything over ``MAX_FILE_BYTES``. ``.xlsx``/``.xlsm`` (or any file
   that starts like a ZIP archive) is read with openpyxl in read-only, data-only mode;
   anything else is CSV, decoded as UTF-8 (with or without BOM), else Windows-1252,
   which is what Excel on a school PC saves as "CSV" and still what SIMS emits.
2. Header: the first non-blank row in which the usual headers (``CANONICAL_FIELDS``,
   matched ignoring case, spaces and punctuation) plus the user's mapping give a name
   and a year group. Looking a few rows down tolerates a report title above the table.
3. Rows: each value is parsed by its field's rule; every problem becomes a ``RowError``
   naming the spreadsheet row (header = row 1 when it is the first line) and the file's
   own column header, so staff can find it in Excel. Rows with any error are left out
   of ``ParsedFile.rows``: the import is all or nothing.

Nothing here raises on bad *content*: an unreadable or hostile file yields a
``ParsedFile`` whose ``errors`` explain why. Only a bad *mapping* argument (a typo in
``--map``) raises ``ValidationError``, because that is the caller's input, not the file.

Every cell is cleaned as it is read (``cells.clean_cell``: control and bidirectional
override characters removed), then stored as given (stripped). Anything that later
writes user text into a CSV must pass it through ``csv_safe``.

The package, one module per part: ``fields`` (what is imported, usual headers,
limits), ``dfe_codes`` (DfE census code sets, with their source), ``values`` (one
cell into one value), ``mapping`` (which column is which field), ``reading`` (bytes
into rows into pupils), ``results`` (what comes back), ``cells`` (cleaning and
CSV safety). Import from ``schoolmh.domain.mis``.
"""
from __future__ import annotations

from .cells import clean_cell, clean_cells, csv_safe
from .dfe_codes import (
    ETHNICITY_EXTENDED_CODES,
    ETHNICITY_MAIN_CODES,
    LEGACY_PRIMARY_NEED,
    LEGACY_SEN_PROVISION,
    PRIMARY_NEED_CODES,
    SEN_PROVISION_CODES,
    ethnicity_main_code,
)
from .fields import (
    CANONICAL_FIELDS,
    HEADER_SEARCH_ROWS,
    IGNORE,
    MAX_COLUMNS,
    MAX_DATA_ROWS,
    MAX_FILE_BYTES,
    MAX_TEXT_LENGTH,
    MAX_XLSX_UNPACKED_BYTES,
    FieldSpec,
    _key,
)
from .mapping import guess_mapping, parse_map_option, validate_mapping
from .reading import format_errors, read_mis_bytes, read_mis_file
from .results import ParsedFile, PupilRow, RowError
from .values import code_in_cell, parse_coded

__all__ = [
    "MAX_FILE_BYTES",
    "MAX_DATA_ROWS",
    "MAX_COLUMNS",
    "MAX_XLSX_UNPACKED_BYTES",
    "MAX_TEXT_LENGTH",
    "HEADER_SEARCH_ROWS",
    "IGNORE",
    "FieldSpec",
    "CANONICAL_FIELDS",
    "ETHNICITY_MAIN_CODES",
    "ETHNICITY_EXTENDED_CODES",
    "PRIMARY_NEED_CODES",
    "SEN_PROVISION_CODES",
    "LEGACY_SEN_PROVISION",
    "LEGACY_PRIMARY_NEED",
    "ethnicity_main_code",
    "PupilRow",
    "RowError",
    "ParsedFile",
    "read_mis_file",
    "read_mis_bytes",
    "guess_mapping",
    "validate_mapping",
    "parse_map_option",
    "parse_coded",
    "code_in_cell",
    "format_errors",
    "clean_cell",
    "clean_cells",
    "csv_safe",
]
