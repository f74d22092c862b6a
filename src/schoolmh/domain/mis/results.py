"""What parsing an MIS export produces: valid pupils, row-numbered problems, and the file as read."""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

__all__ = ["PupilRow", "RowError", "ParsedFile"]


@dataclass(frozen=True, kw_only=True, slots=True)
class PupilRow:
    """One valid pupil from the file.

    Blank text is ``""`` and a blank date is ``None``. A field whose column was not in
    the file holds the same default; check ``ParsedFile.present_fields`` before letting
    a default overwrite something already recorded.
    """

    row_number: int
    year_group: int
    upn: str = ""
    legal_surname: str = ""
    legal_forename: str = ""
    preferred_forename: str = ""
    preferred_surname: str = ""
    dob: dt.date | None = None
    sex: str = ""
    tutor_group: str = ""
    ethnicity: str = ""
    sen_provision: str = "N"
    primary_need: str = ""
    first_language: str = ""
    eal: bool = False
    fsm: bool = False
    pupil_premium: bool = False
    looked_after: bool = False
    young_carer: bool = False
    service_child: bool = False

    @property
    def forename(self) -> str:
        """The name to greet the pupil by: preferred if given, else legal."""
        return self.preferred_forename or self.legal_forename

    @property
    def surname(self) -> str:
        return self.preferred_surname or self.legal_surname

    @property
    def display_name(self) -> str:
        return f"{self.forename} {self.surname}".strip()


@dataclass(frozen=True)
class RowError:
    """A problem in one cell (or, with ``column == ""``, in the file as a whole).

    ``row`` is the spreadsheet row number and ``column`` the file's own header text,
    so that the message points at the cell a member of staff sees in Excel.
    """

    row: int
    column: str
    message: str

    def __str__(self) -> str:
        if self.column:
            return f"row {self.row}, column {self.column}: {self.message}"
        return f"row {self.row}: {self.message}"


@dataclass(frozen=True)
class ParsedFile:
    """Everything the import wizard needs: what was found, what it means, what is wrong.

    ``raw_rows`` are the non-blank data rows as text, each padded or cut to the header's
    width, for a preview table; ``raw_row_numbers`` gives each one's spreadsheet row.
    """

    headers: list[str]
    mapping: dict[str, str]
    rows: list[PupilRow]
    errors: list[RowError]
    raw_rows: list[list[str]]
    raw_row_numbers: list[int] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        """True if the whole file can be imported (imports are all or nothing)."""
        return not self.errors

    @property
    def present_fields(self) -> frozenset[str]:
        """Canonical fields that have a column in this file."""
        return frozenset(self.mapping.values())


class _FieldError(Exception):
    """A cell's value is not acceptable; ``message`` completes "row N, column C: ..."."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


class _FileProblem(Exception):
    """The file as a whole cannot be read; becomes a single row-1 error."""

    def __init__(self, message: str, row: int = 1) -> None:
        super().__init__(message)
        self.message = message
        self.row = row
