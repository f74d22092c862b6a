"""The figures behind the governors' report, and the record behind a pupil summary.

A package with a file per part; ``from schoolmh.services.report_data import ...``
keeps working for everything listed here:

* values.py: the report's figures as frozen values (no field can hold a name);
* periods.py: which periods a report may cover (whole terms or whole months) and
  the period before;
* queries.py: the set-based queries and the definitions they implement;
* governors.py: ``governors_report_data`` puts them together;
* printable.py: what may be printed, through the small-number rules;
* pupil_summary.py: one pupil's record for the pupil summary PDF.
"""
from schoolmh.services.figures import NO_PLAN
from schoolmh.services.report_data.governors import governors_report_data
from schoolmh.services.report_data.periods import (
    MAX_DAYS,
    WHY_WHOLE_PERIODS,
    in_period,
    period_label,
    previous_period,
    report_period,
)
from schoolmh.services.report_data.printable import FUNCTION_COUNTS, FunctionRow, GroupRow, OutcomeRow, Printable
from schoolmh.services.report_data.pupil_summary import (
    GoalEntry,
    MeasureChange,
    MeasureEntry,
    MentionEntry,
    PlanEntry,
    PupilSummaryData,
    ReferralEntry,
    ReviewEntry,
    SessionEntry,
    pupil_summary_data,
)
from schoolmh.services.report_data.values import (
    ETHNIC_GROUPS,
    FAIRNESS_GROUPS,
    GAP_BANDS,
    CountRow,
    FunctionTime,
    GovernorsReportData,
    GroupReach,
    InstrumentOutcome,
    KeyFigures,
    PrincipleFigures,
    ReferralTable,
    ethnic_group,
)

__all__ = [
    "NO_PLAN", "GAP_BANDS", "FAIRNESS_GROUPS", "ETHNIC_GROUPS", "MAX_DAYS", "WHY_WHOLE_PERIODS",
    "CountRow", "FunctionTime", "InstrumentOutcome", "ReferralTable", "PrincipleFigures", "GroupReach",
    "KeyFigures", "GovernorsReportData", "Printable", "OutcomeRow", "FunctionRow", "GroupRow", "FUNCTION_COUNTS",
    "governors_report_data", "report_period", "period_label", "previous_period", "in_period", "ethnic_group",
    "GoalEntry", "ReviewEntry", "PlanEntry", "SessionEntry", "MeasureEntry", "MeasureChange", "ReferralEntry",
    "MentionEntry", "PupilSummaryData", "pupil_summary_data",
]
