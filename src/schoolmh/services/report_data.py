"""The figures behind the governors' report, and the record behind a pupil summary.

Governors' report: anonymous by construction
--------------------------------------------
``governors_report_data`` returns a :class:`GovernorsReportData`: a frozen tree
of ints, floats, dates, stable codes and fixed labels. It has no field that
could hold a name, a UPN, a date of birth or note text, and it is built from
set-based queries that never select those columns. The PDF (reports/governors.py)
is laid out from it alone, so the report cannot identify a child by accident.

The raw figures are exact (so they can be tested); what may be *printed* is
``data.printable()``: every count passed through schoolmh.domain.suppression
(counts 1-7 as "fewer than 8", others rounded to the nearest 5, secondary
suppression on tables printed with totals, no breakdown of a group under 10,
percentages only with a denominator of at least 10). The plain-English summary
is written from the printed values only, so it cannot reveal more than the
tables do ("more than last term" compares rounded figures). Every count goes
through the rule, events (activities, meetings) as well as people, so a reader
never has to ask which figures were treated; minutes are not counts, so a share
of time needs only a total of at least 10 minutes.

Definitions (where the issue was silent, the choice is written here once; pupils supported,
tiers, attendance and time by function are computed by services/figures.py, as the dashboard's are):

* **pupils supported**: distinct pupils with an *attended* function-1 session
  in the dates. Their **tier** is that of their support plan that overlaps the
  dates (the latest started, if several); "No support plan" otherwise.
* **sessions delivered**: attended function-1 sessions with a pupil.
  **Attendance rate**: attended / (attended + did not attend + cancelled by the
  pupil or family); sessions the school cancelled do not count against pupils.
* **time by function**: minutes of attended sessions by their function, plus
  liaison meetings and staff consultations as function 3 (advice and
  liaison), as the dashboard counts it. Whole-school activities record reach,
  not minutes, so they add none.
* **outcomes**: per instrument, pupils with a result in the dates and an
  earlier one (from any date up to the end): first-ever vs latest, same rater
  (a pupil rated by several raters is counted once, with the rater whose first
  result is earliest). Classified by domain.instruments.classify_change.
* **referrals**: sent in the dates; the decision as known at ``as_of`` (a
  decision recorded after it counts as pending). **Median wait**: sent to
  decision, for referrals decided (accepted, not accepted or signposted) in the
  dates; shown only when at least 10 were decided.
* **the gap** (services/gap.py's rule) as at ``as_of`` = the end of the dates,
  or today while they are still running, among pupils still on roll.
* **on roll**: pupils who had not left before the first day (``left_on`` empty
  or on/after ``start``), so every supported pupil is on the roll.
* **previous period**: the previous term when the dates are exactly a term
  (services/terms.py), the previous academic year for 1 September to 31
  August, otherwise the same number of days just before.
"""
from __future__ import annotations

import datetime as dt
import statistics
from collections import Counter, defaultdict
from dataclasses import dataclass, field

from peewee import JOIN

from schoolmh.db.models.core import Staff
from schoolmh.db.models.records import (
    Consultation,
    Goal,
    GoalRating,
    LiaisonAction,
    LiaisonMeeting,
    LiaisonPupil,
    MeasureResult,
    PlanReview,
    Pupil,
    Referral,
    Session as SessionRow,
    SupportPlan,
)
from schoolmh.domain import suppression as sup
from schoolmh.domain.codes import (
    ATTENDANCE,
    FUNCTIONS,
    LIAISON_TYPES,
    NATIONAL_FUNCTION_SHARE,
    PEOPLE_INVOLVED,
    PLAN_STATUSES,
    PRINCIPLE_SHORT,
    PRINCIPLES,
    REFERRAL_DECISIONS,
    REFERRAL_DESTINATIONS,
    SEN_PROVISION,
    SESSION_MODES,
    SESSION_TYPES,
    TIERS,
)
from schoolmh.domain.instruments import (
    NO_RELIABLE_CHANGE,
    RELIABLE_DETERIORATION,
    RELIABLE_IMPROVEMENT,
    Scored,
    classify_change,
    get_instrument,
)
from schoolmh.domain.mis import ETHNICITY_EXTENDED_CODES, ETHNICITY_MAIN_CODES
from schoolmh.errors import ValidationError
from schoolmh.services import activities as activities_service
from schoolmh.services import figures
from schoolmh.services import settings as settings_service
from schoolmh.services import terms
from schoolmh.services.figures import NO_PLAN
from schoolmh.services.gap import ReferralFact, gap_since, referral_facts
from schoolmh.services.permissions import Action
from schoolmh.services.referrals import waiting_days
from schoolmh.services.session import Session

__all__ = [
    "NO_PLAN",
    "GAP_BANDS",
    "FAIRNESS_GROUPS",
    "ETHNIC_GROUPS",
    "CountRow",
    "FunctionTime",
    "InstrumentOutcome",
    "ReferralTable",
    "PrincipleFigures",
    "GroupReach",
    "KeyFigures",
    "GovernorsReportData",
    "Printable",
    "governors_report_data",
    "period_label",
    "previous_period",
    "ethnic_group",
    "PupilSummaryData",
    "pupil_summary_data",
]

NO_PLAN_LABEL = "No support plan"
MAX_DAYS = 800  # a governors' report covers a term or a year, not a decade

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


# --------------------------------------------------------------------------- #
# Values: figures only
# --------------------------------------------------------------------------- #
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
    """The figures compared term on term."""

    label: str
    start: dt.date
    end: dt.date
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
    period_label: str
    start: dt.date
    end: dt.date
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
                                             or self.in_gap or self.outcomes)

    def printable(self) -> Printable:
        """The report as it may be printed: every figure through the suppression rule."""
        return _printable(self)


# --------------------------------------------------------------------------- #
# The printable view (what the PDF shows; tests compare the PDF with it)
# --------------------------------------------------------------------------- #
@dataclass(frozen=True)
class Printable:
    pupils_supported: str
    tier_rows: tuple[tuple[str, str], ...] | None  # None: fewer than 10 supported, no breakdown
    tier_total: str
    new_plans: str
    closed_plans: str
    open_plans_at_end: str
    sessions_delivered: str
    attendance_rate: str | None
    function_shares: tuple[tuple[str, str | None, int], ...]  # label, share, national share
    function_hours: str
    # name, paired ("under 10" when too few), then shares (None when too few to report)
    outcome_rows: tuple[tuple[str, str, str | None, str | None, str | None], ...]
    referral_header: tuple[str, ...]
    referral_rows: tuple[tuple[str, ...], ...] | None  # services then "Total"; None: fewer than 10
    referrals_made: str
    median_wait: str | None
    in_gap: str
    gap_rows: tuple[tuple[str, str], ...] | None  # bands then "Total"; None: fewer than 10 in the gap
    principle_rows: tuple[tuple[str, str, str, str, str, str], ...]  # name, activities, 3 reach, rag
    principles_without_activity: tuple[str, ...]  # short names
    roll: str
    # label, on roll, share of roll, supported, share of supported; None = not broken down
    group_rows: tuple[tuple[str, str, str | None, str | None, str | None], ...]
    supported_broken_down: bool
    liaison_rows: tuple[tuple[str, str], ...]
    comparison_rows: tuple[tuple[str, str, str], ...] | None  # None: no previous data
    previous_label: str
    summary: tuple[str, ...]


def _share(numerator: int, denominator: int) -> str:
    """A percentage as printed: "42%", "fewer than 8" where the count itself is hidden, "—" where the
    denominator is under 10."""
    pct = sup.percentage(numerator, denominator)
    if pct is not None:
        return pct
    if sup.may_break_down(denominator) and 0 < numerator < sup.MIN_SHOWN:
        return sup.PRIMARY
    return sup.NOT_SHOWN


def _time_share(minutes: int, total: int) -> str | None:
    """Share of recorded time: minutes are not people, so only the denominator rule applies."""
    if total < sup.MIN_GROUP:
        return None
    return f"{(200 * minutes + total) // (2 * total)}%"


def _printable(d: GovernorsReportData) -> Printable:
    sc = sup.suppress_count
    # support: tiers as a one-column table with a total row (secondary suppression)
    tier_rows = None
    if sup.may_break_down(d.pupils_supported):
        grid = sup.suppress_table([[r.count] for r in d.supported_by_tier], row_totals=False,
                                  col_totals=True)
        tier_rows = tuple((r.label, grid[i][0]) for i, r in enumerate(d.supported_by_tier))
        tier_total = grid[-1][0]
    else:
        tier_total = sc(d.pupils_supported)
    total_minutes = d.function_minutes
    function_shares = tuple(
        (f"{f.function}. {f.label}", _time_share(f.minutes, total_minutes), f.national_share)
        for f in d.function_time
    )
    outcome_rows = tuple(
        (o.instrument_name, sc(o.paired) if o.reportable else f"under {sup.MIN_GROUP}",
         _share(o.improved, o.paired) if o.reportable else None,
         _share(o.no_change, o.paired) if o.reportable else None,
         _share(o.deteriorated, o.paired) if o.reportable else None)
        for o in d.outcomes
    )
    ref = d.referrals
    # decisions nobody received are left out (zeros are never hidden, so this changes no other cell)
    keep = [j for j in range(len(ref.decisions)) if any(row[j] for row in ref.cells)]
    header = ("Service", *(REFERRAL_DECISIONS[ref.decisions[j]] for j in keep), "Total")
    referral_rows = None
    if sup.may_break_down(ref.total):
        grid = sup.suppress_table([[row[j] for j in keep] for row in ref.cells], row_totals=True,
                                  col_totals=True)
        labels = [REFERRAL_DESTINATIONS[c] for c in ref.destinations] + ["Total"]
        referral_rows = tuple((labels[i], *grid[i]) for i in range(len(grid)))
    gap_rows = None
    if sup.may_break_down(d.in_gap):
        grid = sup.suppress_table([[b.count] for b in d.gap_bands], row_totals=False, col_totals=True)
        gap_rows = tuple((b.label, grid[i][0]) for i, b in enumerate(d.gap_bands)) + (("Total", grid[-1][0]),)
    principle_rows = tuple(
        (p.short_name, sc(p.activities), sc(p.reach_pupils), sc(p.reach_staff), sc(p.reach_parents), p.rag)
        for p in d.principles
    )
    broken = sup.may_break_down(d.pupils_supported)
    group_rows = []
    for g in d.groups:
        if not sup.may_break_down(g.on_roll):
            group_rows.append((g.label, sc(g.on_roll), None, None, None))
            continue
        group_rows.append((
            g.label,
            sc(g.on_roll),
            _share(g.on_roll, d.roll),
            sc(g.supported) if broken else None,
            _share(g.supported, d.pupils_supported) if broken else None,
        ))
    liaison_rows = (
        ("MHST liaison meetings", sc(d.liaison_meetings)),
        ("Staff consultations (advice to staff)", sc(d.consultations)),
        ("Open liaison actions at the end of the period", sc(d.open_actions)),
        ("Staff training activities", sc(d.staff_training)),
    )
    cur, prev = d.current, d.previous
    comparison_rows = None
    if prev is not None and prev.has_data:
        comparison_rows = tuple(
            (label, f(cur), f(prev)) for label, f in _COMPARISON
        )
    p = Printable(
        pupils_supported=sc(d.pupils_supported),
        tier_rows=tier_rows,
        tier_total=tier_total,
        new_plans=sc(d.new_plans),
        closed_plans=sc(d.closed_plans),
        open_plans_at_end=sc(d.open_plans_at_end),
        sessions_delivered=sc(d.sessions_delivered),
        attendance_rate=sup.percentage(d.sessions_delivered, d.sessions_planned),
        function_shares=function_shares,
        function_hours=sc(round(total_minutes / 60)),
        outcome_rows=outcome_rows,
        referral_header=header,
        referral_rows=referral_rows,
        referrals_made=sc(ref.total),
        median_wait=None if d.median_wait_days is None else _days(d.median_wait_days),
        in_gap=sc(d.in_gap),
        gap_rows=gap_rows,
        principle_rows=principle_rows,
        principles_without_activity=tuple(PRINCIPLE_SHORT[c] for c in d.principles_without_activity),
        roll=sc(d.roll),
        group_rows=tuple(group_rows),
        supported_broken_down=broken,
        liaison_rows=liaison_rows,
        comparison_rows=comparison_rows,
        previous_label=prev.label if prev else "",
        summary=(),
    )
    return _with_summary(p, d)


def _days(value: float) -> str:
    n = int(value) if float(value).is_integer() else value
    return f"{n} days" if n != 1 else "1 day"


def _attendance(k: KeyFigures) -> str:
    return sup.percentage(k.sessions_delivered, k.sessions_planned) or sup.NOT_SHOWN


_COMPARISON = (
    ("Pupils supported directly", lambda k: sup.suppress_count(k.pupils_supported)),
    ("Sessions delivered", lambda k: sup.suppress_count(k.sessions_delivered)),
    ("Attendance rate", _attendance),
    ("New support plans", lambda k: sup.suppress_count(k.new_plans)),
    ("Referrals made", lambda k: sup.suppress_count(k.referrals_made)),
    ("Pupils in the gap at the end", lambda k: sup.suppress_count(k.in_gap)),
    ("Whole-school activities", lambda k: sup.suppress_count(k.activities)),
)


# --------------------------------------------------------------------------- #
# The plain-English summary (from printed values only)
# --------------------------------------------------------------------------- #
def _order(text: str) -> int:
    """Comparable size of a printed count: "fewer than 8" sits between 0 and 10."""
    if text == sup.PRIMARY:
        return 4
    return int(text)


def _cap(text: str) -> str:
    return text[:1].upper() + text[1:]


def _pupils(text: str) -> str:
    return "no pupils" if text == "0" else f"{text} pupils"


_WORDS = ("none", "one", "two", "three", "four", "five", "six", "seven", "eight")


def _of(share: str | None) -> str:
    """A share for a sentence: "fewer than 8" reads "fewer than 8 of them"."""
    return f"{share} of them" if share == sup.PRIMARY else share or sup.NOT_SHOWN


def _join(words: list[str]) -> str:
    if len(words) <= 1:
        return "".join(words)
    return ", ".join(words[:-1]) + " and " + words[-1]


def _with_summary(p: Printable, d: GovernorsReportData) -> Printable:
    from dataclasses import replace

    s: list[str] = []
    if not d.has_activity:
        s.append(
            f"No direct support, referrals, support plans or whole-school activity were recorded "
            f"{_in_period(d.start, d.end)}, so there is nothing to report for this period."
        )
        s.append("If work did take place, check that its sessions, referrals and activities have been "
                 "entered in SchoolMH with dates in this period.")
    else:
        sentence = f"{_cap(_pupils(p.pupils_supported))} received direct support {_in_period(d.start, d.end)}"
        if p.sessions_delivered != "0":
            sentence += f", with {p.sessions_delivered} sessions delivered"
            if p.attendance_rate:
                sentence += f" and {p.attendance_rate} attendance"
        if p.comparison_rows is not None:
            before = _previous_phrase(d.previous.start, d.previous.end) if d.previous else ""
            prev_text = sup.suppress_count(d.previous.pupils_supported) if d.previous else "0"
            now, then = _order(p.pupils_supported), _order(prev_text)
            if now > then:
                sentence += f"; more than in {before} ({prev_text})"
            elif now < then:
                sentence += f"; fewer than in {before} ({prev_text})"
            else:
                sentence += f"; about the same as in {before}"
        s.append(sentence + ".")

        reportable = [(o, row) for o, row in zip(d.outcomes, p.outcome_rows) if o.reportable]
        if reportable:
            o, row = max(reportable, key=lambda pair: (pair[0].paired, pair[0].code))
            s.append(f"Of the {row[1]} pupils with a repeated {o.code} score, {_of(row[2])} showed a reliable "
                     f"improvement and {_of(row[4])} a reliable deterioration.")
        elif d.outcomes:
            s.append("Too few pupils had repeated outcome measures to report outcomes "
                     f"(at least {sup.MIN_GROUP} are needed for any one questionnaire).")
        else:
            s.append("No outcome measures were repeated in this period.")

        if p.referrals_made == "0":
            access = "No referrals were made to other services"
        else:
            access = f"{_cap(p.referrals_made)} referrals were made to other services"
            if p.median_wait:
                access += f", with a median wait of {p.median_wait} for a decision"
        if d.in_gap:
            access += (f"; {p.in_gap} pupils were in the gap (not accepted by any service and not "
                       "waiting for a decision) at the end of the period.")
        else:
            access += "; no pupil was in the gap at the end of the period."
        s.append(access)

    empty = list(p.principles_without_activity)
    if not empty:
        s.append("Whole-school activity covered all eight principles.")
    elif len(empty) == len(PRINCIPLES):
        s.append("No whole-school activity was recorded against any of the eight principles.")
    else:
        s.append(f"Whole-school activity covered {_WORDS[len(PRINCIPLES) - len(empty)]} of the eight principles; "
                 f"nothing was recorded for {_join(empty)}.")
    if d.has_activity:
        direct = next((share for label, share, _ in p.function_shares if label.startswith("1.")), None)
        if direct is not None:
            s.append(f"Direct support took {direct} of the recorded time (nationally "
                     f"{NATIONAL_FUNCTION_SHARE[1]}%).")
    return replace(p, summary=tuple(s[:5]))


# --------------------------------------------------------------------------- #
# Periods
# --------------------------------------------------------------------------- #
def _academic_year(start: dt.date, end: dt.date) -> str | None:
    """"2025/26" when the dates are exactly 1 September to 31 August of the next year."""
    if (start, end) == terms.academic_year_dates(start):
        return f"{start.year}/{end.year % 100:02d}"
    return None


def _describe(start: dt.date, end: dt.date, term: str, year: str, dates: str) -> str:
    """The template for this kind of period: ``term`` ({name} = "Autumn 2026") when the dates are a
    term, ``year`` ({name} = "2025/26") when they are an academic year, else ``dates`` ({start}, {end})."""
    t = terms.exact_term(start, end)
    if t is not None:
        return term.format(name=t.label)
    name = _academic_year(start, end)
    if name is not None:
        return year.format(name=name)
    return dates.format(start=_long(start), end=_long(end))


def _in_period(start: dt.date, end: dt.date) -> str:
    """"in the Autumn 2026 term" or "between 1 March 2026 and 31 May 2026", for sentences."""
    return _describe(start, end, "in the {name} term", "in the {name} academic year", "between {start} and {end}")


def _previous_phrase(start: dt.date, end: dt.date) -> str:
    """"the Summer 2026 term", or "the period before" for other dates (after "more than in")."""
    return _describe(start, end, "the {name} term", "the {name} academic year", "the period before")


def period_label(start: dt.date, end: dt.date) -> str:
    """"Autumn 2026 term", "Academic year 2025/26", else "1 March 2026 to 31 May 2026"."""
    return _describe(start, end, "{name} term", "Academic year {name}", "{start} to {end}")


def _long(d: dt.date) -> str:
    return f"{d.day} {d.strftime('%B')} {d.year}"


def previous_period(start: dt.date, end: dt.date) -> tuple[dt.date, dt.date]:
    """The previous term (or academic year) when the dates are one, else the same number of days just before."""
    t = terms.exact_term(start, end)
    if t is not None:
        p = terms.previous_term(t.name, t.year)
        return p.start, p.end
    if _academic_year(start, end) is not None:
        return dt.date(start.year - 1, 9, 1), dt.date(start.year, 8, 31)
    days = (end - start).days + 1
    return start - dt.timedelta(days=days), start - dt.timedelta(days=1)


def _check_dates(start: dt.date, end: dt.date) -> None:
    if not isinstance(start, dt.date) or not isinstance(end, dt.date):
        raise ValidationError("Give the first and last day of the period.", "start")
    if end < start:
        raise ValidationError("The last day is before the first day.", "end")
    if (end - start).days > MAX_DAYS:
        raise ValidationError("A governors' report covers at most two years.", "end")


# --------------------------------------------------------------------------- #
# Queries (set-based; none selects a name, UPN, date of birth or free text)
# --------------------------------------------------------------------------- #
def _count(query) -> int:
    return int(query.count())


def _new_plans(start: dt.date, end: dt.date) -> int:
    return _count(SupportPlan.select().where(SupportPlan.start_date.between(start, end)))


def _referral_facts(as_of: dt.date, pupil_id: int | None = None):
    """(pupil id, destination, ReferralFact as known at as_of) for referrals sent by then (decision history: gap.py)."""
    facts = referral_facts(as_of, None if pupil_id is None else [pupil_id])
    for pid, theirs in facts.items():
        for fact in theirs:
            yield pid, fact.destination, fact


def _gap(as_of: dt.date) -> dict[int, int]:
    """{pupil id: days waiting} for pupils on roll in the gap at as_of."""
    by_pupil: dict[int, list[ReferralFact]] = defaultdict(list)
    for pid, _, fact in _referral_facts(as_of):
        by_pupil[pid].append(fact)
    if not by_pupil:
        return {}
    on_roll = {pid for (pid,) in Pupil.select(Pupil.id).where(
        Pupil.left_on.is_null() | (Pupil.left_on > as_of)).tuples()}
    out: dict[int, int] = {}
    for pid, facts in by_pupil.items():
        since = gap_since(facts)
        if since is not None and pid in on_roll:
            out[pid] = max(0, (as_of - since).days)
    return out


def _key_figures(start: dt.date, end: dt.date, as_of: dt.date) -> KeyFigures:
    att = figures.attendance(start, end)
    referrals = _count(Referral.select().where(Referral.sent_on.between(start, end)))
    return KeyFigures(
        label=period_label(start, end),
        start=start,
        end=end,
        pupils_supported=len(figures.supported_pupil_ids(start, end)),
        sessions_delivered=att.attended,
        sessions_planned=att.planned,
        new_plans=_new_plans(start, end),
        referrals_made=referrals,
        in_gap=len(_gap(as_of)),
        activities=activities_service.count_in_range(start, end),
    )


def _tiers(supported: set[int], start: dt.date, end: dt.date) -> tuple[CountRow, ...]:
    counts = figures.supported_by_tier(supported, start, end)
    labels = {**TIERS, NO_PLAN: NO_PLAN_LABEL}
    return tuple(CountRow(code, labels[code], n) for code, n in counts.items())


def _function_time(start: dt.date, end: dt.date) -> tuple[FunctionTime, ...]:
    _, minutes = figures.function_time(start, end)
    return tuple(FunctionTime(f, label, minutes[f], NATIONAL_FUNCTION_SHARE[f]) for f, label in FUNCTIONS.items())




def _scored(code: str, rater: str, headline: float) -> Scored:
    return Scored(code, rater, "", {}, {}, float(headline), None)


def _outcomes(start: dt.date, end: dt.date) -> tuple[InstrumentOutcome, ...]:
    measured = (MeasureResult.select(MeasureResult.pupil).distinct()
                .where(MeasureResult.date.between(start, end)))
    q = (MeasureResult.select(MeasureResult.pupil, MeasureResult.instrument, MeasureResult.rater,
                              MeasureResult.date, MeasureResult.headline)
         .where(MeasureResult.pupil.in_(measured), MeasureResult.date <= end)
         .order_by(MeasureResult.date, MeasureResult.id))
    # (instrument, pupil, rater) -> [(date, headline)] in date order
    series: dict[tuple[str, int, str], list[tuple[dt.date, float]]] = defaultdict(list)
    names: dict[str, str] = {}
    for pid, code, rater, day, headline in q.tuples():
        try:
            inst = get_instrument(code)
        except ValidationError:
            continue  # an instrument no longer defined: nothing to classify against
        names[inst.code] = inst.name
        series[(inst.code, pid, rater)].append((day, headline))
    seen_in_range: set[str] = set()
    # per instrument and pupil, the rater whose first result is earliest, among usable pairs
    best: dict[tuple[str, int], tuple[dt.date, int, str]] = {}
    for (code, pid, rater), points in series.items():
        if any(start <= day <= end for day, _ in points):
            seen_in_range.add(code)
        latest_in_range = [p for p in points if start <= p[0] <= end]
        if len(points) < 2 or not latest_in_range:
            continue
        inst = get_instrument(code)
        order = inst.raters.index(rater) if rater in inst.raters else 99
        key = (points[0][0], order, rater)
        if (code, pid) not in best or key < best[(code, pid)]:
            best[(code, pid)] = key
    tallies: dict[str, Counter] = defaultdict(Counter)
    for (code, pid), (_, _, rater) in best.items():
        points = series[(code, pid, rater)]
        try:
            change = classify_change(code, rater, _scored(code, rater, points[0][1]),
                                     _scored(code, rater, points[-1][1]))
        except ValidationError:
            continue  # a rater the instrument does not know
        tallies[code][change.classification] += 1
    out = []
    for code in sorted(seen_in_range, key=lambda c: list(_instrument_order()).index(c)
                       if c in _instrument_order() else 99):
        t = tallies.get(code, Counter())
        paired = sum(t.values())
        out.append(InstrumentOutcome(code, names[code], paired, t[RELIABLE_IMPROVEMENT],
                                     t[NO_RELIABLE_CHANGE], t[RELIABLE_DETERIORATION]))
    return tuple(out)


def _instrument_order() -> tuple[str, ...]:
    from schoolmh.domain.instruments import INSTRUMENTS

    return tuple(INSTRUMENTS)


def _referrals(start: dt.date, end: dt.date, as_of: dt.date) -> tuple[ReferralTable, int, float | None]:
    grid: dict[str, Counter] = defaultdict(Counter)
    waits: list[int] = []
    for _, dest, fact in _referral_facts(as_of):
        if start <= fact.sent_on <= end:
            grid[dest][fact.decision] += 1
        if (fact.decision in ("accepted", "not_accepted", "signposted") and fact.decision_on is not None
                and start <= fact.decision_on <= end):
            waits.append(waiting_days(fact.sent_on, fact.decision_on, as_of))
    dests = tuple(c for c in REFERRAL_DESTINATIONS if c in grid) + tuple(
        sorted(c for c in grid if c not in REFERRAL_DESTINATIONS))
    decisions = tuple(REFERRAL_DECISIONS)
    cells = tuple(tuple(grid[dest][dec] for dec in decisions) for dest in dests)
    # unknown destination codes (none expected) are shown under "Other"
    if any(c not in REFERRAL_DESTINATIONS for c in dests):
        merged: dict[str, list[int]] = {}
        for dest, row in zip(dests, cells):
            key = dest if dest in REFERRAL_DESTINATIONS else "other"
            merged.setdefault(key, [0] * len(decisions))
            merged[key] = [a + b for a, b in zip(merged[key], row)]
        dests = tuple(c for c in REFERRAL_DESTINATIONS if c in merged)
        cells = tuple(tuple(merged[c]) for c in dests)
    median = float(statistics.median(waits)) if sup.may_break_down(len(waits)) else None
    return ReferralTable(dests, decisions, cells), len(waits), median


def _gap_bands(gap: dict[int, int]) -> tuple[CountRow, ...]:
    rows = []
    for code, label, low, high in GAP_BANDS:
        n = sum(1 for days in gap.values() if days >= low and (high is None or days <= high))
        rows.append(CountRow(code, label, n))
    return tuple(rows)


def _principles(session: Session, start: dt.date, end: dt.date) -> tuple[PrincipleFigures, ...]:
    cover = activities_service.coverage(session, start, end)
    return tuple(
        PrincipleFigures(c.principle, c.short_name, c.activities, c.reach_pupils, c.reach_staff,
                         c.reach_parents, c.worst_rag or "none")
        for c in cover.values()
    )


def _groups(supported: set[int], start: dt.date) -> tuple[int, tuple[GroupReach, ...]]:
    q = (Pupil.select(Pupil.id, Pupil.sen_provision, Pupil.fsm, Pupil.eal, Pupil.looked_after,
                      Pupil.young_carer, Pupil.ethnicity)
         .where(Pupil.left_on.is_null() | (Pupil.left_on >= start)))
    roll: Counter = Counter()
    sup_counts: Counter = Counter()
    total = 0
    for pid, sen, fsm_, eal_, cla, carer, eth in q.tuples():
        total += 1
        keys = []
        if sen == "E":
            keys.append("send_e")
        elif sen == "K":
            keys.append("send_k")
        for key, flag in (("fsm", fsm_), ("eal", eal_), ("looked_after", cla), ("young_carer", carer)):
            if flag:
                keys.append(key)
        keys.append("eth:" + ethnic_group(eth))
        for k in keys:
            roll[k] += 1
            if pid in supported:
                sup_counts[k] += 1
    groups = [GroupReach(code, label, roll[code], sup_counts[code]) for code, label in FAIRNESS_GROUPS.items()]
    groups += [GroupReach("eth:" + g, label, roll["eth:" + g], sup_counts["eth:" + g])
               for g, label in ETHNIC_GROUPS.items()]
    return total, tuple(groups)


def governors_report_data(session: Session, start: dt.date, end: dt.date, *,
                          as_of: dt.date | None = None) -> GovernorsReportData:
    """Every figure of the governors' report for the dates (inclusive). Figures only.

    ``as_of`` is the day the gap and referral decisions are judged at: by
    default the end of the dates, or today while they are still running.
    """
    session.require(Action.REPORT_GOVERNORS)
    _check_dates(start, end)
    if as_of is None:
        as_of = min(end, session.today())
    as_of = max(min(as_of, end), start)

    supported = figures.supported_pupil_ids(start, end)
    att = figures.attendance(start, end)
    referrals, decided, median = _referrals(start, end, as_of)
    gap = _gap(as_of)
    roll, groups = _groups(supported, start)
    n_activities = activities_service.count_in_range(start, end)
    current = KeyFigures(
        label=period_label(start, end), start=start, end=end, pupils_supported=len(supported),
        sessions_delivered=att.attended,
        sessions_planned=att.planned,
        new_plans=_new_plans(start, end), referrals_made=referrals.total, in_gap=len(gap),
        activities=n_activities,
    )
    p_start, p_end = previous_period(start, end)
    previous = _key_figures(p_start, p_end, p_end)
    open_actions = _count(
        LiaisonAction.select().join(LiaisonMeeting)
        .where(LiaisonMeeting.date <= end, LiaisonAction.done_on.is_null() | (LiaisonAction.done_on > end))
    )
    data = GovernorsReportData(
        school=settings_service.load().school_name,
        period_label=period_label(start, end),
        start=start,
        end=end,
        as_of=as_of,
        pupils_supported=len(supported),
        supported_by_tier=_tiers(supported, start, end),
        new_plans=current.new_plans,
        closed_plans=_count(SupportPlan.select().where(SupportPlan.status == "closed",
                                                       SupportPlan.closed_on.between(start, end))),
        open_plans_at_end=_count(SupportPlan.select().where(
            SupportPlan.start_date <= end,
            SupportPlan.closed_on.is_null() & (SupportPlan.status == "open") | (SupportPlan.closed_on > end))),
        sessions_delivered=att.attended,
        sessions_dna=att.dna,
        sessions_cancelled_family=att.cancelled_family,
        sessions_cancelled_school=att.cancelled_school,
        function_time=_function_time(start, end),
        outcomes=_outcomes(start, end),
        referrals=referrals,
        referrals_decided=decided,
        median_wait_days=median,
        in_gap=len(gap),
        gap_bands=_gap_bands(gap),
        principles=_principles(session, start, end),
        activities=n_activities,
        roll=roll,
        groups=groups,
        liaison_meetings=_count(LiaisonMeeting.select().where(LiaisonMeeting.date.between(start, end))),
        consultations=_count(Consultation.select().where(Consultation.date.between(start, end))),
        open_actions=open_actions,
        staff_training=activities_service.count_in_range(start, end, "staff_training"),
        current=current,
        previous=previous,
    )
    from dataclasses import replace

    return replace(data, summary=data.printable().summary)


# --------------------------------------------------------------------------- #
# Pupil summary: one pupil's record, for the pupil summary PDF
# --------------------------------------------------------------------------- #
@dataclass(frozen=True)
class GoalEntry:
    position: int
    description: str
    ratings: tuple[tuple[dt.date, int], ...]


@dataclass(frozen=True)
class ReviewEntry:
    review_date: dt.date
    notes: str
    next_review_date: dt.date | None


@dataclass(frozen=True)
class PlanEntry:
    tier: str
    status: str
    start_date: dt.date
    review_date: dt.date | None
    closed_on: dt.date | None
    presenting_needs: str
    strategies: str
    people_involved: tuple[str, ...]  # labels
    outcome: str
    goals: tuple[GoalEntry, ...]
    reviews: tuple[ReviewEntry, ...]


@dataclass(frozen=True)
class SessionEntry:
    date: dt.date
    duration_minutes: int
    function: int
    type: str  # label
    mode: str  # label
    attendance: str  # label
    staff: str
    note: str | None  # None when the reader may not see session notes


@dataclass(frozen=True)
class MeasureEntry:
    date: dt.date
    instrument: str
    instrument_name: str
    rater: str
    headline: float
    band: str


@dataclass(frozen=True)
class MeasureChange:
    instrument: str
    rater: str
    first_date: dt.date
    first: float
    latest_date: dt.date
    latest: float
    delta: float
    classification: str


@dataclass(frozen=True)
class ReferralEntry:
    destination: str  # label
    sent_on: dt.date
    decision: str  # label
    decision_on: dt.date | None
    reason: str
    next_step: str


@dataclass(frozen=True)
class MentionEntry:
    date: dt.date
    kind: str  # "Liaison meeting: Case discussion", "Staff consultation"


@dataclass(frozen=True)
class PupilSummaryData:
    school: str
    pupil_uuid: str
    display_name: str
    legal_name: str
    preferred_name: str
    upn: str
    dob: dt.date | None
    sex: str
    year_group: int | None
    tutor_group: str
    ethnicity: str  # "WBRI: White British"
    sen_provision: str  # label
    primary_need: str
    first_language: str
    flags: tuple[str, ...]  # labels of the flags that are set
    shared_with_mhst: bool
    left_on: dt.date | None
    gap_since: dt.date | None
    plans: tuple[PlanEntry, ...]  # current (open) first, then past, newest first
    sessions: tuple[SessionEntry, ...]  # oldest first
    notes_included: bool
    measures: tuple[MeasureEntry, ...]  # oldest first
    changes: tuple[MeasureChange, ...]
    referrals: tuple[ReferralEntry, ...]
    mentions: tuple[MentionEntry, ...]


_FLAG_LABELS = (
    ("eal", "English as an additional language"),
    ("fsm", "Free school meals"),
    ("pupil_premium", "Pupil premium"),
    ("looked_after", "Looked after"),
    ("young_carer", "Young carer"),
    ("service_child", "Service child"),
)


def _full(fore: str, sur: str) -> str:
    return " ".join(x for x in (fore.strip(), sur.strip()) if x)


def _ethnicity_label(code: str) -> str:
    """"WBRI (White: British)"; an extended code is shown with its main group."""
    code = (code or "").strip().upper()
    if not code:
        return ""
    main = ETHNICITY_EXTENDED_CODES.get(code, (code, ""))[0]
    group, desc = ETHNICITY_MAIN_CODES.get(main, ("", ""))
    if code in ETHNICITY_EXTENDED_CODES:
        desc = ETHNICITY_EXTENDED_CODES[code][1]
    text = f"{group}: {desc}" if group and desc and desc != group else (desc or group)
    return f"{code} ({text})" if text else code


def pupil_summary_data(session: Session, pupil_uuid: str) -> PupilSummaryData:
    """One pupil's whole support record for a summary. Session notes only for roles that read them.

    Not audited here: the report that prints it records "export.pupil_summary".
    """
    session.require(Action.REPORT_PUPIL)
    from schoolmh.services.pupils import pupil_name, pupil_record

    p = pupil_record(session, pupil_uuid)
    with_notes = session.can(Action.SESSION_READ)

    plans = []
    plan_rows = list(SupportPlan.select().where(SupportPlan.pupil == p.id)
                     .order_by(SupportPlan.start_date.desc(), SupportPlan.id.desc()))
    plan_ids = [pl.id for pl in plan_rows]
    goals: dict[int, list[Goal]] = defaultdict(list)
    ratings: dict[int, list[tuple[dt.date, int]]] = defaultdict(list)
    reviews: dict[int, list[PlanReview]] = defaultdict(list)
    if plan_ids:
        for g in Goal.select().where(Goal.plan.in_(plan_ids)).order_by(Goal.position, Goal.id):
            goals[g.plan_id].append(g)
        goal_ids = [g.id for gs in goals.values() for g in gs]
        if goal_ids:
            for gid, day, rating in (GoalRating.select(GoalRating.goal, GoalRating.date, GoalRating.rating)
                                     .where(GoalRating.goal.in_(goal_ids))
                                     .order_by(GoalRating.date, GoalRating.id).tuples()):
                ratings[gid].append((day, rating))
        for r in (PlanReview.select().where(PlanReview.plan.in_(plan_ids))
                  .order_by(PlanReview.review_date, PlanReview.id)):
            reviews[r.plan_id].append(r)
    for pl in sorted(plan_rows, key=lambda x: x.status != "open"):
        people = tuple(PEOPLE_INVOLVED.get(c.strip(), c.strip())
                       for c in (pl.people_involved or "").split(",") if c.strip())
        plans.append(PlanEntry(
            tier=TIERS.get(pl.tier, pl.tier), status=PLAN_STATUSES.get(pl.status, pl.status),
            start_date=pl.start_date, review_date=pl.review_date, closed_on=pl.closed_on,
            presenting_needs=pl.presenting_needs, strategies=pl.strategies, people_involved=people,
            outcome=pl.outcome,
            goals=tuple(GoalEntry(g.position, g.description, tuple(ratings.get(g.id, ())))
                        for g in goals.get(pl.id, ())),
            reviews=tuple(ReviewEntry(r.review_date, r.notes, r.next_review_date)
                          for r in reviews.get(pl.id, ())),
        ))

    sessions = []
    q = (SessionRow.select(SessionRow, Staff.full_name.alias("staff_name"))
         .join(Staff, JOIN.LEFT_OUTER, on=(SessionRow.staff == Staff.id))
         .where(SessionRow.pupil == p.id).order_by(SessionRow.date, SessionRow.id))
    for s in q.objects():
        sessions.append(SessionEntry(
            s.date, s.duration_minutes, s.function, SESSION_TYPES.get(s.type, s.type),
            SESSION_MODES.get(s.mode, s.mode), ATTENDANCE.get(s.attendance, s.attendance),
            getattr(s, "staff_name", "") or "", s.note if with_notes else None,
        ))

    measures = []
    series: dict[tuple[str, str], list[MeasureEntry]] = defaultdict(list)
    for m in (MeasureResult.select().where(MeasureResult.pupil == p.id)
              .order_by(MeasureResult.date, MeasureResult.id)):
        try:
            inst = get_instrument(m.instrument)
            code, name = inst.code, inst.name
        except ValidationError:
            code, name = m.instrument, m.instrument
        entry = MeasureEntry(m.date, code, name, m.rater, float(m.headline), m.band or "")
        measures.append(entry)
        series[(code, m.rater)].append(entry)
    changes = []
    for (code, rater), points in series.items():
        if len(points) < 2:
            continue
        try:
            c = classify_change(code, rater, _scored(code, rater, points[0].headline),
                                _scored(code, rater, points[-1].headline))
        except ValidationError:
            continue
        changes.append(MeasureChange(code, rater, points[0].date, c.first, points[-1].date, c.latest,
                                     c.delta, c.classification))

    referrals = tuple(
        ReferralEntry(REFERRAL_DESTINATIONS.get(r.destination, r.destination), r.sent_on,
                      REFERRAL_DECISIONS.get(r.decision, r.decision), r.decision_on, r.reason, r.next_step)
        for r in Referral.select().where(Referral.pupil == p.id).order_by(Referral.sent_on, Referral.id)
    )
    mentions = [
        MentionEntry(day, "Liaison meeting: " + LIAISON_TYPES.get(kind, kind))
        for day, kind in (LiaisonMeeting.select(LiaisonMeeting.date, LiaisonMeeting.type)
                          .join(LiaisonPupil).where(LiaisonPupil.pupil == p.id).tuples())
    ]
    mentions += [MentionEntry(day, "Staff consultation")
                 for (day,) in Consultation.select(Consultation.date).where(Consultation.pupil == p.id).tuples()]
    mentions.sort(key=lambda m: (m.date, m.kind))

    since = gap_since([f for _, _, f in _referral_facts(session.today(), p.id)])
    return PupilSummaryData(
        school=settings_service.load().school_name,
        pupil_uuid=p.uuid,
        display_name=pupil_name(p),
        legal_name=_full(p.legal_forename, p.legal_surname),
        preferred_name=_full(p.preferred_forename, p.preferred_surname),
        upn=p.upn or "",
        dob=p.dob,
        sex=p.sex,
        year_group=p.year_group,
        tutor_group=p.tutor_group,
        ethnicity=_ethnicity_label(p.ethnicity),
        sen_provision=SEN_PROVISION.get(p.sen_provision, p.sen_provision),
        primary_need=p.primary_need,
        first_language=p.first_language,
        flags=tuple(label for key, label in _FLAG_LABELS if getattr(p, key)),
        shared_with_mhst=bool(p.shared_with_mhst),
        left_on=p.left_on,
        gap_since=since,
        plans=tuple(plans),
        sessions=tuple(sessions),
        notes_included=with_notes,
        measures=tuple(measures),
        changes=tuple(changes),
        referrals=referrals,
        mentions=tuple(mentions),
    )

