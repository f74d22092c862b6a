"""What the governors' report may print: every figure through the small-number rules.

The PDF (reports/governors.py) and the Reports page preview are laid out from
``printable(data)`` alone, and the tests compare the PDF with it. The rules are
domain/suppression.py's, applied so they survive arithmetic:

* counts through ``suppress_count`` / ``suppress_table`` (secondary suppression
  wherever a table prints totals, including the outcomes row, whose total is the
  number of pupils with paired scores, and the ethnicity block, whose totals are
  the roll and the pupils supported);
* every percentage from the printed counts (``sup.share``), only where both are at
  least 10 and the row or column it is taken across has no hidden cell;
* the summary is written from the printed values only ("about 10", never "fewer
  than 10" beside a rounded 10), so it cannot reveal more than the tables do.

Time is not a count of people: hours by function are printed to the nearest hour,
and shares of time are worked out from those printed hours once at least 10 hours
are recorded.
"""
from __future__ import annotations

from dataclasses import dataclass, replace

from schoolmh.domain import suppression as sup
from schoolmh.domain.codes import NATIONAL_FUNCTION_SHARE, PRINCIPLE_SHORT, PRINCIPLES, REFERRAL_DECISIONS, \
    REFERRAL_DESTINATIONS
from schoolmh.services.figures import FUNCTION_COUNTS
from schoolmh.services.report_data.periods import in_period, previous_phrase
from schoolmh.services.report_data.values import GovernorsReportData, KeyFigures

__all__ = ["Printable", "OutcomeRow", "FunctionRow", "GroupRow", "printable", "FUNCTION_COUNTS"]



@dataclass(frozen=True)
class OutcomeRow:
    name: str
    paired: str  # "under 10" when too few to report
    counts: tuple[str, str, str] | None  # improved, no change, deteriorated; None: too few to report
    shares: tuple[str | None, str | None, str | None]  # only when no cell of the row is hidden

    def cell(self, i: int) -> str:
        """A count with its share, as the table prints it: "15 (60%)", "fewer than 8"."""
        if self.counts is None:
            return sup.NOT_SHOWN
        share = self.shares[i]
        return f"{self.counts[i]} ({share})" if share else self.counts[i]


@dataclass(frozen=True)
class FunctionRow:
    function: int
    label: str  # "1. Direct support"
    hours: int  # minutes to the nearest hour
    share: str | None  # of the printed hours; None under 10 hours in all
    national_share: int


@dataclass(frozen=True)
class GroupRow:
    """One group of the reach and fairness table; None = not shown."""

    label: str
    on_roll: str
    roll_share: str | None
    supported: str | None
    supported_share: str | None
    too_small: bool  # fewer than 10 on roll: not broken down at all


@dataclass(frozen=True)
class Printable:
    pupils_supported: str
    tier_rows: tuple[tuple[str, str], ...] | None  # None: fewer than 10 supported, no breakdown
    tier_total: str
    new_plans: str
    closed_plans: str
    open_plans_at_end: str
    sessions_delivered: str
    sessions_planned: str
    attendance_rate: str | None
    function_rows: tuple[FunctionRow, ...]
    function_hours: int  # the printed hours added up
    outcome_rows: tuple[OutcomeRow, ...]
    referral_header: tuple[str, ...]
    referral_rows: tuple[tuple[str, ...], ...] | None  # services then "Total"; None: fewer than 10
    referrals_made: str
    median_wait: str | None
    referrals_pending: str
    longest_wait: str | None  # "about 45 days"; None when nobody is waiting
    in_gap: str
    gap_rows: tuple[tuple[str, str], ...] | None  # bands then "Total"; None: fewer than 10 in the gap
    principle_rows: tuple[tuple[str, str, str, str, str, str], ...]  # name, activities, 3 reach, rag
    principles_without_activity: tuple[str, ...]  # short names
    roll: str
    group_rows: tuple[GroupRow, ...]
    supported_broken_down: bool
    liaison_rows: tuple[tuple[str, str], ...]
    comparison_rows: tuple[tuple[str, str, str], ...] | None  # None: no previous data
    previous_label: str
    summary: tuple[str, ...]

    @property
    def function_shares(self) -> tuple[tuple[str, str | None, int], ...]:
        return tuple((f.label, f.share, f.national_share) for f in self.function_rows)


def _hours(minutes: int) -> int:
    return (minutes + 30) // 60


def _function_rows(d: GovernorsReportData) -> tuple[FunctionRow, ...]:
    hours = {f.function: _hours(f.minutes) for f in d.function_time}
    total = sum(hours.values())
    return tuple(
        FunctionRow(f.function, f"{f.function}. {f.label}", hours[f.function],
                    f"{(200 * hours[f.function] + total) // (2 * total)}%" if total >= sup.MIN_GROUP else None,
                    f.national_share)
        for f in d.function_time
    )


def _outcome_rows(d: GovernorsReportData) -> tuple[OutcomeRow, ...]:
    rows = []
    for o in d.outcomes:
        if not o.reportable:
            rows.append(OutcomeRow(o.instrument_name, f"under {sup.MIN_GROUP}", None, (None, None, None)))
            continue
        # one row whose total is the pupils with paired scores: secondary suppression applies
        line = sup.suppress_table([[o.improved, o.no_change, o.deteriorated]], row_totals=True, col_totals=False)[0]
        counts, paired = (line[0], line[1], line[2]), line[3]
        hidden = any(sup.is_hidden(c) for c in line)
        shares = tuple(sup.share(c, paired, line_hidden=hidden) for c in counts)
        rows.append(OutcomeRow(o.instrument_name, paired, counts, shares))  # type: ignore[arg-type]
    return tuple(rows)


def _group_rows(d: GovernorsReportData) -> tuple[GroupRow, ...]:
    sc = sup.suppress_count
    broken = sup.may_break_down(d.pupils_supported)
    roll, supported_total = sc(d.roll), sc(d.pupils_supported)
    rows: list[GroupRow] = []
    flags = [g for g in d.groups if not g.code.startswith("eth:")]
    ethnic = [g for g in d.groups if g.code.startswith("eth:")]
    for g in flags:  # each flag is its own line (in the group or not): only its own cell can hide it
        if g.on_roll and not sup.may_break_down(g.on_roll):
            rows.append(GroupRow(g.label, sc(g.on_roll), None, None, None, True))
            continue
        on_roll = sc(g.on_roll)
        supported = sc(g.supported) if broken else None
        rows.append(GroupRow(g.label, on_roll, sup.share(on_roll, roll), supported,
                             sup.share(supported, supported_total) if broken else None, False))
    # the ethnic groups add up to the roll and to the pupils supported: one table with those totals
    # (a group with nobody on roll has nobody supported: its "0" hides nothing)
    small = {(i, 1) for i, g in enumerate(ethnic) if g.on_roll and (not sup.may_break_down(g.on_roll) or not broken)}
    grid = sup.suppress_table([[g.on_roll, g.supported] for g in ethnic], row_totals=False, col_totals=True,
                              not_shown=small)
    roll_line_hidden = any(sup.is_hidden(r[0]) for r in grid)
    supported_line_hidden = any(sup.is_hidden(r[1]) or r[1] == sup.NOT_SHOWN for r in grid)
    for i, g in enumerate(ethnic):
        on_roll, supported = grid[i]
        too_small = bool(g.on_roll) and not sup.may_break_down(g.on_roll)
        roll_share = None if too_small else sup.share(on_roll, roll, line_hidden=roll_line_hidden)
        if (i, 1) in small:
            rows.append(GroupRow(g.label, on_roll, roll_share, None, None, too_small))
            continue
        rows.append(GroupRow(g.label, on_roll, roll_share, supported,
                             sup.share(supported, supported_total, line_hidden=supported_line_hidden), False))
    return tuple(rows)


def _days(value: float) -> str:
    n = int(value) if float(value).is_integer() else value
    return f"{n} days" if n != 1 else "1 day"


def _attendance(k: KeyFigures) -> str:
    return sup.share(sup.suppress_count(k.sessions_delivered), sup.suppress_count(k.sessions_planned)) \
        or sup.NOT_SHOWN


_COMPARISON = (
    ("Pupils supported directly", lambda k: sup.suppress_count(k.pupils_supported)),
    ("Sessions delivered", lambda k: sup.suppress_count(k.sessions_delivered)),
    ("Sessions planned (not cancelled by the school)", lambda k: sup.suppress_count(k.sessions_planned)),
    ("Attendance rate", _attendance),
    ("New support plans", lambda k: sup.suppress_count(k.new_plans)),
    ("Referrals made", lambda k: sup.suppress_count(k.referrals_made)),
    ("Pupils in the gap at the end", lambda k: sup.suppress_count(k.in_gap)),
    ("Whole-school activities", lambda k: sup.suppress_count(k.activities)),
)


def printable(d: GovernorsReportData) -> Printable:
    sc = sup.suppress_count
    tier_rows = None
    if sup.may_break_down(d.pupils_supported):
        grid = sup.suppress_table([[r.count] for r in d.supported_by_tier], row_totals=False, col_totals=True)
        tier_rows = tuple((r.label, grid[i][0]) for i, r in enumerate(d.supported_by_tier))
        tier_total = grid[-1][0]
    else:
        tier_total = sc(d.pupils_supported)
    functions = _function_rows(d)
    ref = d.referrals
    # decisions nobody received are left out (zeros are never hidden, so this changes no other cell)
    keep = [j for j in range(len(ref.decisions)) if any(row[j] for row in ref.cells)]
    header = ("Service", *(REFERRAL_DECISIONS[ref.decisions[j]] for j in keep), "Total")
    referral_rows = None
    if sup.may_break_down(ref.total):
        grid = sup.suppress_table([[row[j] for j in keep] for row in ref.cells], row_totals=True, col_totals=True)
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
    liaison_rows = (
        ("MHST liaison meetings", sc(d.liaison_meetings)),
        ("Staff consultations (advice to staff)", sc(d.consultations)),
        ("Open liaison actions at the end of the period", sc(d.open_actions)),
        ("Staff training activities", sc(d.staff_training)),
    )
    cur, prev = d.current, d.previous
    comparison_rows = None
    if prev is not None and prev.has_data:
        comparison_rows = tuple((label, f(cur), f(prev)) for label, f in _COMPARISON)
    delivered, planned = sc(d.sessions_delivered), sc(d.sessions_planned)
    p = Printable(
        pupils_supported=sc(d.pupils_supported),
        tier_rows=tier_rows,
        tier_total=tier_total,
        new_plans=sc(d.new_plans),
        closed_plans=sc(d.closed_plans),
        open_plans_at_end=sc(d.open_plans_at_end),
        sessions_delivered=delivered,
        sessions_planned=planned,
        attendance_rate=sup.share(delivered, planned),
        function_rows=functions,
        function_hours=sum(f.hours for f in functions),
        outcome_rows=_outcome_rows(d),
        referral_header=header,
        referral_rows=referral_rows,
        referrals_made=sc(ref.total),
        median_wait=None if d.median_wait_days is None else _days(d.median_wait_days),
        referrals_pending=sc(d.referrals_pending),
        longest_wait=None if d.longest_wait_days is None else f"{sup.in_words(sc(d.longest_wait_days))} days",
        in_gap=sc(d.in_gap),
        gap_rows=gap_rows,
        principle_rows=principle_rows,
        principles_without_activity=tuple(PRINCIPLE_SHORT[c] for c in d.principles_without_activity),
        roll=sc(d.roll),
        group_rows=_group_rows(d),
        supported_broken_down=sup.may_break_down(d.pupils_supported),
        liaison_rows=liaison_rows,
        comparison_rows=comparison_rows,
        previous_label=prev.period.label if prev else "",
        summary=(),
    )
    return replace(p, summary=_summary(p, d))


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
    return "no pupils" if text == "0" else f"{sup.in_words(text)} pupils"


_WORDS = ("none", "one", "two", "three", "four", "five", "six", "seven", "eight")


def _join(words: list[str]) -> str:
    if len(words) <= 1:
        return "".join(words)
    return ", ".join(words[:-1]) + " and " + words[-1]


def _count_with_share(count: str, share: str | None) -> str:
    return f"{sup.in_words(count)} ({share})" if share else sup.in_words(count)


def _summary(p: Printable, d: GovernorsReportData) -> tuple[str, ...]:
    s: list[str] = []
    if not d.has_activity:
        s.append(
            f"No direct support, referrals, support plans or whole-school activity were recorded "
            f"{in_period(d.period)}, so there is nothing to report for this period."
        )
        s.append("If work did take place, check that its sessions, referrals and activities have been "
                 "entered in SchoolMH with dates in this period.")
    else:
        sentence = f"{_cap(_pupils(p.pupils_supported))} received direct support {in_period(d.period)}"
        if p.sessions_delivered != "0":
            sentence += f", with {sup.in_words(p.sessions_delivered)} sessions delivered"
            if p.attendance_rate:
                sentence += f" and {p.attendance_rate} attendance"
        if p.comparison_rows is not None and d.previous is not None:
            before = previous_phrase(d.previous.period)
            prev_text = sup.suppress_count(d.previous.pupils_supported)
            now, then = _order(p.pupils_supported), _order(prev_text)
            if now > then:
                sentence += f"; more than in {before} ({sup.in_words(prev_text)})"
            elif now < then:
                sentence += f"; fewer than in {before} ({sup.in_words(prev_text)})"
            else:
                sentence += f"; about the same as in {before}"
        s.append(sentence + ".")

        reportable = [(o, row) for o, row in zip(d.outcomes, p.outcome_rows) if row.counts is not None]
        if reportable:
            o, row = max(reportable, key=lambda pair: (pair[0].paired, pair[0].code))
            assert row.counts is not None
            s.append(f"Of {sup.in_words(row.paired)} pupils with a repeated {o.code} score, "
                     f"{_count_with_share(row.counts[0], row.shares[0])} showed a reliable improvement and "
                     f"{_count_with_share(row.counts[2], row.shares[2])} a reliable deterioration.")
        elif d.outcomes:
            s.append("Too few pupils had repeated outcome measures to report outcomes "
                     f"(at least {sup.MIN_GROUP} are needed for any one questionnaire).")
        else:
            s.append("No outcome measures were repeated in this period.")

        if p.referrals_made == "0":
            access = "No referrals were made to other services"
        else:
            access = f"{_cap(sup.in_words(p.referrals_made))} referrals were made to other services"
            if p.median_wait:
                access += f", with a median wait of {p.median_wait} for a decision"
        if p.referrals_pending != "0":
            access += (f"; {sup.in_words(p.referrals_pending)} were waiting for a decision at the end of the "
                       f"period (the longest for {p.longest_wait})")
        if d.in_gap:
            access += (f"; {sup.in_words(p.in_gap)} pupils were in the gap (not accepted by both the MHST and "
                       "specialist services, and not waiting for a decision) at the end of the period.")
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
        direct = next((f.share for f in p.function_rows if f.function == 1), None)
        if direct is not None:
            s.append(f"Direct support took {direct} of the recorded staff time (the MHSTs' national figure is "
                     f"{NATIONAL_FUNCTION_SHARE[1]}%).")
    return tuple(s[:5])
