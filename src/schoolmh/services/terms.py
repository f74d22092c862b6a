"""English school terms, as fixed calendar blocks the dashboard and reports can agree on.

Schools set their own term dates (and Easter moves), so SchoolMH does not try to
know them. It uses one simple convention that covers every day of the year, so
every session falls in exactly one term and "this term" never has a hole:

* ``autumn`` of ``year`` = 1 September – 31 December of ``year``
* ``spring`` of ``year`` = 1 January – 31 March of ``year``
* ``summer`` of ``year`` = 1 April – 31 August of ``year`` (summer holiday included)

``year`` is always the *calendar* year the term falls in, so ``--term autumn --year
2026`` means September–December 2026, and the academic year 2025/26 is autumn 2025,
spring 2026 and summer 2026. Pure functions: no database, no clock.
"""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from schoolmh.errors import ValidationError

TERMS = ("autumn", "spring", "summer")
TERM_NAMES = {"autumn": "Autumn", "spring": "Spring", "summer": "Summer"}

# (first month, first day), (last month, last day) within the calendar year
_BOUNDS = {
    "autumn": ((9, 1), (12, 31)),
    "spring": ((1, 1), (3, 31)),
    "summer": ((4, 1), (8, 31)),
}


@dataclass(frozen=True)
class Term:
    name: str  # autumn | spring | summer
    year: int  # calendar year the term falls in
    start: dt.date
    end: dt.date  # inclusive

    @property
    def label(self) -> str:
        return f"{TERM_NAMES[self.name]} {self.year}"

    @property
    def academic_year(self) -> str:
        """e.g. "2025/26" for autumn 2025, spring 2026 and summer 2026."""
        first = self.year if self.name == "autumn" else self.year - 1
        return f"{first}/{(first + 1) % 100:02d}"

    def contains(self, day: dt.date) -> bool:
        return self.start <= day <= self.end


def _check(term: str, year: int) -> str:
    name = str(term or "").strip().lower()
    if name not in _BOUNDS:
        raise ValidationError("The term must be autumn, spring or summer.", "term")
    if isinstance(year, bool) or not isinstance(year, int) or not 1900 <= year <= 2200:
        raise ValidationError("Give the term's calendar year, for example 2026.", "year")
    return name


def term_dates(term: str, year: int) -> tuple[dt.date, dt.date]:
    """First and last day (inclusive) of ``term`` in calendar ``year``."""
    return get_term(term, year).start, get_term(term, year).end


def get_term(term: str, year: int) -> Term:
    name = _check(term, year)
    (m1, d1), (m2, d2) = _BOUNDS[name]
    return Term(name, year, dt.date(year, m1, d1), dt.date(year, m2, d2))


def current_term(today: dt.date) -> Term:
    """The term containing ``today``."""
    if today.month >= 9:
        return get_term("autumn", today.year)
    if today.month <= 3:
        return get_term("spring", today.year)
    return get_term("summer", today.year)


def exact_term(start: dt.date, end: dt.date) -> Term | None:
    """The term whose first and last days are exactly these dates, else None."""
    term = current_term(start)
    return term if (term.start, term.end) == (start, end) else None


def previous_term(term: str, year: int) -> Term:
    """The term before: spring → autumn of the year before, summer → spring, autumn → summer."""
    name = _check(term, year)
    if name == "spring":
        return get_term("autumn", year - 1)
    if name == "summer":
        return get_term("spring", year)
    return get_term("summer", year)


def academic_year_dates(today: dt.date) -> tuple[dt.date, dt.date]:
    """1 September – 31 August of the academic year containing ``today``."""
    first = today.year if today.month >= 9 else today.year - 1
    return dt.date(first, 9, 1), dt.date(first + 1, 8, 31)
