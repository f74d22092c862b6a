"""Collecting every problem in a form before anything is written, and reading dates.

A form (or an import row) is checked field by field; each bad field adds a
FieldProblem naming it, and `raise_if_any()` raises one ValidationErrors listing
them all, so a member of staff can fix everything in one go and nothing is half
saved. Used by the referral, activity and liaison services.

Every service reads a date the same way (``parse_date``: a date, "2026-03-01" or
"01/03/2026"), through ``Problems.date`` or, where one bad field stops the call,
``to_date``.
"""
from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterable, Mapping

from schoolmh.errors import FieldProblem, ValidationError, ValidationErrors

_DMY = re.compile(r"^\s*(\d{1,2})/(\d{1,2})/(\d{4})\s*$")


class Problems:
    def __init__(self) -> None:
        self.items: list[FieldProblem] = []

    def add(self, field: str, message: str) -> None:
        self.items.append(FieldProblem(field, message))

    def __bool__(self) -> bool:
        return bool(self.items)

    def raise_if_any(self) -> None:
        if self.items:
            raise ValidationErrors(list(self.items))

    # -- typed readers: return a clean value, or None after recording a problem ----
    def date(self, field: str, value: object, label: str, *, required: bool = True, not_after: dt.date | None = None) -> dt.date | None:
        """A date from a date object, an ISO string or dd/mm/yyyy (the forms staff type)."""
        if value is None or (isinstance(value, str) and not value.strip()):
            if required:
                self.add(field, f"Enter the {label}.")
            return None
        day = parse_date(value)
        if day is None:
            self.add(field, f"The {label} {value!s} is not a date (use dd/mm/yyyy).")
            return None
        if not_after is not None and day > not_after:
            self.add(field, f"The {label} {day:%d/%m/%Y} is in the future.")
            return None
        return day

    def text(self, field: str, value: object, label: str, *, required: bool = False, max_length: int = 2000) -> str:
        text = "" if value is None else str(value).strip()
        if required and not text:
            self.add(field, f"Enter the {label}.")
        elif len(text) > max_length:
            self.add(field, f"The {label} is too long ({max_length} characters at most).")
        return text

    def code(self, field: str, value: object, allowed: Mapping, label: str) -> str | None:
        text = "" if value is None else str(value).strip().lower()
        if text in allowed:
            return text
        names = ", ".join(str(k) for k in allowed)
        self.add(field, f"The {label} must be one of: {names}.")
        return None

    def count(self, field: str, value: object, label: str, *, low: int = 0, high: int = 100_000) -> int | None:
        """A whole number in range (reach counts, minutes); "12" from a form or CSV is accepted."""
        if isinstance(value, bool):
            value = None
        number: int | None = None
        if isinstance(value, int):
            number = value
        elif isinstance(value, str) and value.strip().lstrip("+").isdigit():
            number = int(value.strip())
        elif isinstance(value, float) and value.is_integer():
            number = int(value)
        if number is None or not low <= number <= high:
            self.add(field, f"The {label} must be a whole number from {low} to {high}.")
            return None
        return number


def parse_date(value: object) -> dt.date | None:
    """date / datetime / "2026-03-01" / "01/03/2026" → date; anything else → None."""
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, dt.date):
        return value
    if not isinstance(value, str):
        return None
    text = value.strip()
    match = _DMY.match(text)
    try:
        if match:
            d, m, y = (int(g) for g in match.groups())
            return dt.date(y, m, d)
        return dt.date.fromisoformat(text)
    except ValueError:
        return None


def to_date(value: object, field: str, *, required: str | None = None) -> dt.date | None:
    """``parse_date`` for one field: None when blank (or ValidationError(``required``) when that
    message is given), ValidationError naming ``field`` when the value is not a date."""
    if value is None or (isinstance(value, str) and not value.strip()):
        if required:
            raise ValidationError(required, field)
        return None
    day = parse_date(value)
    if day is None:
        raise ValidationError(f"'{value}' is not a date: use dd/mm/yyyy.", field)
    return day


def code_for(value: object, table: Mapping[str, str]) -> str | None:
    """The code staff meant: the code itself or its display name, ignoring case (and spaces or
    hyphens for underscores: "in person", "In-Person" -> in_person); None when it is neither."""
    text = "" if value is None else str(value).strip()
    if text in table:
        return text
    key = text.casefold().replace(" ", "_").replace("-", "_")
    for code, name in table.items():
        if key == code.casefold() or text.casefold() == str(name).casefold():
            return code
    return None


def reject_unknown(fields: Iterable[str], allowed: Iterable[str], message: str) -> None:
    """ValidationError for the first of ``fields`` (alphabetically) that is not ``allowed``;
    ``message`` names it as {field!r}, e.g. "An activity has no field {field!r}."."""
    unknown = sorted(set(fields) - set(allowed))
    if unknown:
        raise ValidationError(message.format(field=unknown[0]), unknown[0])


def codes_list(value: object) -> list[str]:
    """"voice; parents" or ["voice", "parents"] → ["voice", "parents"] (lower-cased, no blanks, no repeats)."""
    if isinstance(value, str):
        parts: Iterable[object] = re.split(r"[;,]", value)
    elif value is None:
        parts = []
    else:
        parts = value  # type: ignore[assignment]
    out: list[str] = []
    for part in parts:
        code = str(part).strip().lower()
        if code and code not in out:
            out.append(code)
    return out
