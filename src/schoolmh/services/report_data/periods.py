"""The periods a governors' report may cover, their labels, and the period before.

A report covers **whole terms** (the school's own, services/terms.py: one term,
several in a row, or a school year) or **whole calendar months** (from the first
of a month to the end of a month). Nothing else: two reports whose dates differ
by a day or a week could be subtracted to show what happened in that day or week,
so such dates are refused with the reason (``report_period``). The previous period
follows the same rule: the same number of terms, or of months, just before.
"""
from __future__ import annotations

import datetime as dt

from schoolmh.errors import ValidationError
from schoolmh.services import terms
from schoolmh.services.terms import Period, Term

__all__ = ["MAX_DAYS", "WHY_WHOLE_PERIODS", "report_period", "previous_period", "in_period", "previous_phrase",
           "period_label"]

MAX_DAYS = 800  # a governors' report covers a term or a year, not a decade

WHY_WHOLE_PERIODS = ("A governors' report covers whole terms or whole calendar months, so that two reports "
                     "cannot be subtracted to show what happened in a few days.")


def _first_year(day: dt.date) -> int:
    return day.year if day.month >= 8 else day.year - 1


def _term_span(first: dt.date, last: dt.date) -> list[Term] | None:
    """The school's terms from the one starting on ``first`` to the one ending on ``last``, else None."""
    stored = terms.stored_dates()
    years = range(_first_year(first) - 1, _first_year(last) + 2)
    every = [t for y in years for t in terms.school_terms(y, stored)]
    starts = [i for i, t in enumerate(every) if t.first == first]
    ends = [j for j, t in enumerate(every) if t.last == last]
    if not starts or not ends or ends[0] < starts[0]:
        return None
    return every[starts[0]:ends[0] + 1]


def _months(first: dt.date, last: dt.date) -> int:
    return (last.year - first.year) * 12 + last.month - first.month + 1


def _label(span: list[Term]) -> str:
    if len(span) == 1:
        return f"{span[0].label} term"
    if len(span) == 3 and span[0].name == "autumn" and span[0].school_year == span[-1].school_year:
        return f"School year {span[0].academic_year}"
    return f"{span[0].label} to {span[-1].label} terms"


def report_period(first: dt.date, last: dt.date) -> Period:
    """The period a report may cover, labelled ("Autumn 2026 term", "School year 2026-27", "March 2026"),
    or a ValidationError saying why not."""
    if not isinstance(first, dt.date) or not isinstance(last, dt.date):
        raise ValidationError("Give the first and last day of the period.", "start")
    if last < first:
        raise ValidationError("The last day is before the first day.", "end")
    if (last - first).days > MAX_DAYS:
        raise ValidationError("A governors' report covers at most two years.", "end")
    span = _term_span(first, last)
    if span is not None:
        return Period(first, last, _label(span))
    months = terms.month_period(first, last)
    if months is not None:
        return months
    raise ValidationError(
        f"{WHY_WHOLE_PERIODS} Choose a term, or dates from the first of a month to the last day of a month "
        f"({first:%d/%m/%Y} to {last:%d/%m/%Y} is neither).", "start")


def period_label(first: dt.date, last: dt.date) -> str:
    return report_period(first, last).label


def previous_period(period: Period) -> Period:
    """The same number of terms (or of whole months) just before ``period``."""
    span = _term_span(period.first, period.last)
    if span is not None:
        before = [terms.previous(span[0])]
        while len(before) < len(span):
            before.insert(0, terms.previous(before[0]))
        return Period(before[0].first, before[-1].last, _label(before))
    n = _months(period.first, period.last)
    last = period.first - dt.timedelta(days=1)
    y, m = divmod(last.year * 12 + last.month - 1 - (n - 1), 12)
    first = dt.date(y, m + 1, 1)
    return terms.month_period(first, last) or Period(first, last, f"{first} to {last}")


def in_period(period: Period) -> str:
    """For sentences: "in the Autumn 2026 term", "in the 2026-27 school year", "in March 2026"."""
    if period.label.startswith("School year "):
        return f"in the {period.label.removeprefix('School year ')} school year"
    if period.label.endswith(" term") or period.label.endswith(" terms"):
        return f"in the {period.label}"
    return f"in {period.label}"


def previous_phrase(period: Period) -> str:
    """After "more than in": "the Summer 2026 term", "the 2025-26 school year", "February 2026"."""
    return in_period(period).removeprefix("in ")
