"""Periods and the school's terms: one value (first day, last day, label) for "the dates a figure covers".

A :class:`Period` is what the report data, the figures, the dashboard and the
activities page pass around instead of start/end pairs. A :class:`Term` is a
Period that is one of the school's terms.

Terms are the school's own, set per school year in Admin -> Settings (or
``schoolmh terms set``) and stored in the vault's settings. A school year with no
dates set uses the DfE school census convention, so every day of the year is in a
term:

* autumn = 1 August - 31 December
* spring = 1 January - Easter Sunday
* summer = Easter Monday - 31 July

Easter comes from python-dateutil (``dateutil.easter.easter``, the Western
Gregorian computus), not a hand table. A school year is named "2026-27": it runs
from autumn 2026 to summer 2027. A term is named by its term and the calendar year
it falls in ("Autumn 2026", "Spring 2027"), which is never ambiguous because each
term lies within one calendar year.

School-set terms may leave holidays between terms; a day in a holiday belongs to
no term, and "this term" on such a day is the term that ended last.
"""
from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass

from dateutil.easter import easter

from schoolmh.errors import ValidationError

__all__ = [
    "TERMS", "TERM_NAMES", "Period", "Term", "school_year_name", "parse_school_year", "census_default",
    "school_terms", "stored_dates", "get_term", "term_dates", "current_term", "exact_term", "previous_term", "previous",
    "school_year", "academic_year_dates", "month_period", "check_term_dates", "TermDates",
]

TERMS = ("autumn", "spring", "summer")
TERM_NAMES = {"autumn": "Autumn", "spring": "Spring", "summer": "Summer"}


@dataclass(frozen=True)
class Period:
    """Inclusive dates with the label a reader sees ("Autumn 2026", "March 2026", ...)."""

    first: dt.date
    last: dt.date
    label: str

    def contains(self, day: dt.date) -> bool:
        return self.first <= day <= self.last

    @property
    def days(self) -> int:
        return (self.last - self.first).days + 1

    # Older callers say start/end; the fields are first/last.
    @property
    def start(self) -> dt.date:
        return self.first

    @property
    def end(self) -> dt.date:
        return self.last


@dataclass(frozen=True)
class Term(Period):
    name: str  # autumn | spring | summer
    school_year: int  # first calendar year of the school year: 2026 for 2026-27
    from_settings: bool = False  # False: the DfE census default

    @property
    def year(self) -> int:
        """The calendar year the term falls in."""
        return self.school_year if self.name == "autumn" else self.school_year + 1

    @property
    def academic_year(self) -> str:
        return school_year_name(self.school_year)


# {school year name: {term: (first, last)}} as stored in the settings
TermDates = dict[str, dict[str, tuple[dt.date, dt.date]]]


def school_year_name(first_year: int) -> str:
    """2026 -> "2026-27"."""
    return f"{first_year}-{(first_year + 1) % 100:02d}"


_SCHOOL_YEAR = re.compile(r"^\s*(\d{4})\s*[-/–]\s*(\d{2}|\d{4})\s*$")


def parse_school_year(text: str | int) -> int:
    """ "2026-27" (or "2026/27", "2026-2027") -> 2026. A bare calendar year is refused: say which school year."""
    m = _SCHOOL_YEAR.match(str(text))
    if m:
        first, second = int(m.group(1)), int(m.group(2))
        if (len(m.group(2)) == 2 and second == (first + 1) % 100) or second == first + 1:
            if 1900 <= first <= 2200:
                return first
    raise ValidationError(
        f"{str(text).strip()!r} is not a school year: write it as 2026-27 (autumn 2026 to summer 2027).", "year")


def census_default(first_year: int) -> dict[str, tuple[dt.date, dt.date]]:
    """The DfE school census term dates for the school year starting in ``first_year``."""
    sunday = easter(first_year + 1)
    return {
        "autumn": (dt.date(first_year, 8, 1), dt.date(first_year, 12, 31)),
        "spring": (dt.date(first_year + 1, 1, 1), sunday),
        "summer": (sunday + dt.timedelta(days=1), dt.date(first_year + 1, 7, 31)),
    }


def check_term_dates(first_year: int, dates: dict[str, tuple[dt.date, dt.date]]) -> None:
    """Raise a ValidationError naming the term and why, unless the three terms fit the school year in order."""
    name = school_year_name(first_year)
    low, high = dt.date(first_year, 8, 1), dt.date(first_year + 1, 7, 31)
    missing = [t for t in TERMS if t not in dates]
    if missing:
        raise ValidationError(f"Give the first and last day of every term of {name} ({', '.join(missing)} missing).",
                              missing[0])
    before = None
    for t in TERMS:
        first, last = dates[t]
        if last < first:
            raise ValidationError(f"The {t} term of {name} ends before it starts.", t)
        if first < low or last > high:
            raise ValidationError(f"The {t} term of {name} must lie between 1 August {first_year} and "
                                  f"31 July {first_year + 1} (the school year the census uses).", t)
        if first.year != last.year:
            raise ValidationError(f"The {t} term of {name} must not run over New Year.", t)
        if before is not None and first <= before:
            raise ValidationError(f"The {t} term of {name} must start after the term before it ends.", t)
        before = last


def stored_dates() -> TermDates:
    """The school's term dates from the settings (read once per call, so a caller looping over years reads once)."""
    from schoolmh.services import settings

    return settings.term_dates()


def school_terms(first_year: int, stored: TermDates | None = None) -> tuple[Term, Term, Term]:
    """The school year's three terms: the school's dates if set, else the census default."""
    stored = stored_dates() if stored is None else stored
    own = stored.get(school_year_name(first_year))
    dates = own or census_default(first_year)
    return tuple(
        Term(dates[t][0], dates[t][1], f"{TERM_NAMES[t]} {first_year if t == 'autumn' else first_year + 1}",
             t, first_year, bool(own))
        for t in TERMS
    )  # type: ignore[return-value]


def _check_name(term: str) -> str:
    name = str(term or "").strip().lower()
    if name not in TERMS:
        raise ValidationError("The term must be autumn, spring or summer.", "term")
    return name


def get_term(term: str, year: int) -> Term:
    """``term`` of the calendar ``year`` it falls in: ("spring", 2027) is spring of 2026-27."""
    name = _check_name(term)
    if isinstance(year, bool) or not isinstance(year, int) or not 1900 <= year <= 2200:
        raise ValidationError("Give the term's calendar year, for example 2026.", "year")
    first_year = year if name == "autumn" else year - 1
    return school_terms(first_year)[TERMS.index(name)]


def term_dates(term: str, year: int) -> tuple[dt.date, dt.date]:
    t = get_term(term, year)
    return t.first, t.last


def _first_year_of(day: dt.date) -> int:
    """The school year a day falls in, by the census year boundary (1 August)."""
    return day.year if day.month >= 8 else day.year - 1


def current_term(today: dt.date) -> Term:
    """The term containing ``today``; in a holiday between school-set terms, the term that ended last."""
    stored = stored_dates()
    first_year = _first_year_of(today)
    candidates = [*school_terms(first_year - 1, stored), *school_terms(first_year, stored)]
    started = [t for t in candidates if t.first <= today]
    return started[-1] if started else candidates[0]


def exact_term(first: dt.date, last: dt.date) -> Term | None:
    """The term whose first and last days are exactly these dates, else None."""
    for t in school_terms(_first_year_of(first)):
        if (t.first, t.last) == (first, last):
            return t
    return None


def previous(term: Term) -> Term:
    """The term before ``term`` (summer of the year before for an autumn term)."""
    i = TERMS.index(term.name)
    if i == 0:
        return school_terms(term.school_year - 1)[2]
    return school_terms(term.school_year)[i - 1]


def previous_term(term: str, year: int) -> Term:
    """The term before ``term`` of calendar ``year`` (see get_term)."""
    return previous(get_term(term, year))


def school_year(first_year: int) -> Period:
    """The whole school year: the first day of autumn to the last day of summer."""
    autumn, _, summer = school_terms(first_year)
    return Period(autumn.first, summer.last, f"School year {school_year_name(first_year)}")


def academic_year_dates(today: dt.date) -> tuple[dt.date, dt.date]:
    """First and last day of the school year containing ``today``."""
    y = school_year(current_term(today).school_year)
    return y.first, y.last


def month_period(first: dt.date, last: dt.date) -> Period | None:
    """The dates as whole calendar months ("March 2026", "January to March 2026"), else None."""
    if first.day != 1 or (last + dt.timedelta(days=1)).day != 1 or last < first:
        return None
    a, b = f"{first:%B} {first.year}", f"{last:%B} {last.year}"
    if (first.year, first.month) == (last.year, last.month):
        return Period(first, last, a)
    if first.year == last.year:
        return Period(first, last, f"{first:%B} to {b}")
    return Period(first, last, f"{a} to {b}")
