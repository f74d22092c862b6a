"""The governors' report as values: figures only (ints, dates, stable codes, fixed labels).

No field could hold a name, a UPN, a date of birth or note text. The exact
figures live here (so they can be tested); what may be printed is
``GovernorsReportData.printable()`` (report_data/printable.py).
"""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from schoolmh.domain import suppression as sup
from schoolmh.domain.mis import ETHNICITY_EXTENDED_CODES, ETHNICITY_MAIN_CODES
from schoolmh.services.terms import Period

if TYPE_CHECKING:
    from schoolmh.services.report_data.printable import Printable

NO_PLAN_LABEL = "No support plan"

# (code, label, lowest days, highest days or None)
GAP_BANDS: tuple[tuple[str, str, int, int | None], ...] = (
    ("under_4_weeks", "Under 4 weeks", 0, 27),
    ("4_to_12_weeks", "4 to 12 weeks", 28, 84),
    ("over_12_weeks", "Over 12 weeks", 85, None),
)

# Groups of pupils for reach and fairness: code -> label (flags first, then ethnicity).
FAIRNESS_GROUPS: dict[str, str] = {
    "send_e": "SEND: EHC plan (E)",
    "send_k": "SEND: SEN support (K)",
    "fsm": "Free school meals",
    "eal": "English as an additional language",
    "looked_after": "Looked-after children",
    "young_carer": "Young carers",
}
ETHNIC_GROUPS: dict[str, str] = {
    "White": "Ethnicity: White",
    "Mixed": "Ethnicity: Mixed",
    "Asian": "Ethnicity: Asian",
    "Black": "Ethnicity: Black",
    "Chinese": "Ethnicity: Chinese",
    "Other": "Ethnicity: any other group",
    "": "Ethnicity: not obtained or refused",
}


def ethnic_group(code: str) -> str:
    """The DfE main group ("White", "Mixed", ...; "" = not obtained/refused) of a main or extended code."""
    code = (code or "").strip().upper()
    if code in ETHNICITY_EXTENDED_CODES:
        code = ETHNICITY_EXTENDED_CODES[code][0]
    return ETHNICITY_MAIN_CODES.get(code, ("", ""))[0]


@dataclass(frozen=True)
class CountRow:
    code: str
    label: str
    count: int


@dataclass(frozen=True)
class FunctionTime:
    function: int
    label: str
    minutes: int
    national_share: int  # percent


@dataclass(frozen=True)
class InstrumentOutcome:
    code: str
    instrument_name: str
    paired: int
    improved: int
    no_change: int
    deteriorated: int

    @property
    def reportable(self) -> bool:
        return sup.may_break_down(self.paired)


@dataclass(frozen=True)
class ReferralTable:
    """Referrals sent in the dates: rows = destinations with any, columns = decisions."""

    destinations: tuple[str, ...]  # codes (REFERRAL_DESTINATIONS)
    decisions: tuple[str, ...]  # codes (REFERRAL_DECISIONS), all of them, in order
    cells: tuple[tuple[int, ...], ...]

    @property
    def total(self) -> int:
        return sum(sum(r) for r in self.cells)


@dataclass(frozen=True)
class PrincipleFigures:
    code: str
    short_name: str
    activities: int
    reach_pupils: int
    reach_staff: int
    reach_parents: int
    rag: str  # red | amber | green | none (no objective in the action plan)


@dataclass(frozen=True)
class GroupReach:
    code: str
    label: str
    on_roll: int
    supported: int


@dataclass(frozen=True)
class KeyFigures:
    """The figures compared period on period."""

    period: Period
    pupils_supported: int
    sessions_delivered: int
    sessions_planned: int  # attended + did not attend + cancelled by pupil/family
    new_plans: int
    referrals_made: int
    in_gap: int
    activities: int

    @property
    def has_data(self) -> bool:
        return any((self.pupils_supported, self.sessions_planned, self.new_plans, self.referrals_made,
                    self.activities))


@dataclass(frozen=True)
class GovernorsReportData:
    school: str
    period: Period
    as_of: dt.date
    # support
    pupils_supported: int
    supported_by_tier: tuple[CountRow, ...]  # every tier, then "No support plan"
    new_plans: int
    closed_plans: int
    open_plans_at_end: int
    sessions_delivered: int
    sessions_dna: int
    sessions_cancelled_family: int
    sessions_cancelled_school: int
    function_time: tuple[FunctionTime, ...]
    # outcomes
    outcomes: tuple[InstrumentOutcome, ...]
    # access
    referrals: ReferralTable
    referrals_decided: int  # decided in the dates (the median's denominator)
    median_wait_days: float | None  # None when fewer than 10 were decided
    referrals_pending: int  # waiting for a decision at as_of (sent at any time)
    longest_wait_days: int | None  # the longest of those waits; None when none is waiting
    in_gap: int
    gap_bands: tuple[CountRow, ...]
    # whole school
    principles: tuple[PrincipleFigures, ...]
    activities: int
    # reach and fairness
    roll: int
    groups: tuple[GroupReach, ...]
    # liaison and staff
    liaison_meetings: int
    consultations: int
    open_actions: int
    staff_training: int
    # comparison
    current: KeyFigures
    previous: KeyFigures | None
    summary: tuple[str, ...] = field(default=())

    @property
    def sessions_planned(self) -> int:
        return self.sessions_delivered + self.sessions_dna + self.sessions_cancelled_family

    @property
    def function_minutes(self) -> int:
        return sum(f.minutes for f in self.function_time)

    @property
    def principles_without_activity(self) -> tuple[str, ...]:
        return tuple(p.code for p in self.principles if p.activities == 0)

    @property
    def has_activity(self) -> bool:
        return self.current.has_data or bool(self.liaison_meetings or self.consultations
                                             or self.in_gap or self.outcomes or self.referrals_pending)

    def printable(self) -> Printable:
        """The report as it may be printed: every figure through the suppression rule."""
        from schoolmh.services.report_data.printable import printable

        return printable(self)
