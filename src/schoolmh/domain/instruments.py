"""Outcome-measure instruments as data: scores only, never item wording.

Why this module looks the way it does
-------------------------------------
* Licences forbid reproducing most questionnaires' wording in software (SDQ:
  youthinmind allows no electronic versions; RCADS is distributed only by its
  authors). Staff fill in the paper form, then type the *scores* in here. Field
  labels are therefore generic ("Item 1", "Emotional symptoms", "Goal 1") and no
  item text appears anywhere in SchoolMH.
* Each instrument is one frozen :class:`Instrument` value in :data:`INSTRUMENTS`.
  Adding an instrument means adding data (fields, totals, bands, thresholds,
  source), never a new ``if code == ...`` branch. ``Instrument.__post_init__``
  checks the data hangs together so a typo fails at import, not in a report.
* Everything is pure (no database, no Qt, no clock) so the desktop app, the CLI,
  CSV import and the governors' report all score identically and tests are cheap.

Reliable change
---------------
"Reliable change" means the difference between two scores is bigger than the
instrument's own measurement error would plausibly produce (Jacobson & Truax,
1991: RCI = 1.96 x SD x sqrt(2 x (1 - reliability))). Each instrument carries a
threshold in *headline* units and where it came from (``reliable_change_source``);
a change at least that big, in the better direction, is a "reliable improvement".

Where no published threshold could be confirmed for an instrument and rater, the
value is *indicative* (``reliable_change_indicative``): worked out with the
Jacobson-Truax formula from published norms, and said to be so wherever it is
printed (the pupil summary adds "indicative" to the classification), so a guess
is never presented as a rule. ``reliable_change_source`` says which is which.
"""
from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass

from schoolmh.errors import ValidationError

__all__ = [
    "ANY_RATER",
    "RELIABLE_IMPROVEMENT",
    "NO_RELIABLE_CHANGE",
    "RELIABLE_DETERIORATION",
    "Field",
    "Total",
    "EntryForm",
    "Band",
    "BandSet",
    "Instrument",
    "Scored",
    "Change",
    "INSTRUMENTS",
    "RCADS25_ANXIETY_ITEMS",
    "RCADS25_DEPRESSION_ITEMS",
    "SWEMWBS_METRIC",
    "get_instrument",
    "field_codes",
    "score",
    "classify_change",
    "jacobson_truax_rci",
]

RELIABLE_IMPROVEMENT = "reliable improvement"
NO_RELIABLE_CHANGE = "no reliable change"
RELIABLE_DETERIORATION = "reliable deterioration"

ANY_RATER = "*"
"""Wildcard rater for thresholds and band sets that do not depend on who rated."""

_EPS = 1e-9  # float slack when comparing a change with a threshold or a band edge


# --------------------------------------------------------------------------- #
# Definition types (the "data" an instrument is made of)
# --------------------------------------------------------------------------- #
@dataclass(frozen=True)
class Field:
    """One number typed from the paper form: a subscale score, an item, a goal.

    ``code`` is stable: it is the CSV column name and the key stored in the vault,
    so never rename one once released. ``decimals`` is 0 for whole-number scores;
    ORS/CORS lines are measured to the nearest millimetre, hence 1 there.
    """

    code: str
    label: str
    min: float
    max: float
    required: bool = True
    decimals: int = 0


@dataclass(frozen=True)
class Total:
    """A named score derived from fields (or from totals listed before it).

    ``method`` is "sum" or "mean" (mean of the parts that were entered: GBO lets a
    pupil have one to three goals). ``conversion`` is an optional lookup table of
    (whole-number sum, converted score) pairs, used for SWEMWBS's Rasch metric.
    """

    code: str
    label: str
    parts: tuple[str, ...]
    method: str = "sum"
    conversion: tuple[tuple[int, float], ...] | None = None


@dataclass(frozen=True)
class EntryForm:
    """One accepted way of typing an instrument in.

    Most instruments have one. RCADS-25 has two (all 25 items, or the two subscale
    totals already added up on paper), and both must define the same totals so the
    rest of the app never needs to know which was used.
    """

    code: str
    description: str  # for messages, e.g. "all 25 item scores"
    fields: tuple[Field, ...]
    totals: tuple[Total, ...]


@dataclass(frozen=True)
class Band:
    """An inclusive score range with the label staff see, e.g. (14, 16, "slightly raised")."""

    low: float
    high: float
    label: str


@dataclass(frozen=True)
class BandSet:
    """Bands for the headline score that apply to some raters (and optionally ages).

    Bands differ by rater (SDQ parent/teacher/self) and, for the ORS, by age
    (adult and 13-17 cut-offs differ), so a set says which it applies to.
    """

    raters: tuple[str, ...]
    bands: tuple[Band, ...]
    min_age: int | None = None
    max_age: int | None = None

    def applies(self, rater: str, age: int | None) -> bool:
        if ANY_RATER not in self.raters and rater not in self.raters:
            return False
        if self.min_age is None and self.max_age is None:
            return True
        if age is None:  # an age-specific cut-off cannot be applied without an age
            return False
        if self.min_age is not None and age < self.min_age:
            return False
        return not (self.max_age is not None and age > self.max_age)


@dataclass(frozen=True)
class Instrument:
    """A complete, declarative definition of one outcome measure."""

    code: str
    name: str
    raters: tuple[str, ...]
    forms: tuple[EntryForm, ...]
    headline: str
    higher_is_better: bool
    reliable_change: tuple[tuple[str, float], ...]  # (rater or ANY_RATER, threshold in headline units)
    headline_range: tuple[float, float]
    source: str
    reliable_change_source: str
    bands: tuple[BandSet, ...] = ()
    reliable_change_indicative: tuple[str, ...] = ()  # raters (or ANY_RATER) with no published threshold
    min_age: int | None = None
    max_age: int | None = None
    age_note: str = ""

    def __post_init__(self) -> None:
        """Refuse inconsistent data at import time: a bad definition must never reach a report."""
        problems: list[str] = []
        if not self.raters:
            problems.append("no raters")
        if not self.forms:
            problems.append("no entry forms")
        rc_keys = {r for r, _ in self.reliable_change}
        for rater in self.raters:
            if rater not in rc_keys and ANY_RATER not in rc_keys:
                problems.append(f"no reliable-change threshold for rater {rater!r}")
        for key in rc_keys - set(self.raters) - {ANY_RATER}:
            problems.append(f"reliable-change threshold for unknown rater {key!r}")
        for key in set(self.reliable_change_indicative) - set(self.raters) - {ANY_RATER}:
            problems.append(f"indicative reliable change for unknown rater {key!r}")
        for band_set in self.bands:
            for key in set(band_set.raters) - set(self.raters) - {ANY_RATER}:
                problems.append(f"bands for unknown rater {key!r}")
            for band in band_set.bands:
                if band.low > band.high:
                    problems.append(f"band {band.label!r} has low > high")
        total_codes: tuple[str, ...] | None = None
        for form in self.forms:
            fields = {f.code: f for f in form.fields}
            if len(fields) != len(form.fields):
                problems.append(f"form {form.code!r} repeats a field code")
            seen: set[str] = set()
            for total in form.totals:
                for part in total.parts:
                    if part not in seen and part not in fields:
                        problems.append(f"total {total.code!r} uses unknown part {part!r}")
                    elif (
                        total.method == "sum"
                        and part not in seen
                        and not fields[part].required
                    ):
                        problems.append(f"sum {total.code!r} uses optional field {part!r}")
                if total.method not in ("sum", "mean"):
                    problems.append(f"total {total.code!r} has unknown method {total.method!r}")
                if total.conversion is not None:
                    lo = sum(int(fields[p].min) for p in total.parts if p in fields)
                    hi = sum(int(fields[p].max) for p in total.parts if p in fields)
                    keys = {k for k, _ in total.conversion}
                    if keys != set(range(lo, hi + 1)):
                        problems.append(f"conversion for {total.code!r} does not cover {lo}..{hi}")
                seen.add(total.code)
            codes = tuple(t.code for t in form.totals)
            if self.headline not in codes:
                problems.append(f"form {form.code!r} lacks headline total {self.headline!r}")
            if total_codes is not None and set(codes) != set(total_codes):
                problems.append(f"form {form.code!r} defines different totals")
            total_codes = codes
        if problems:
            raise ValueError(f"instrument {self.code}: " + "; ".join(problems))

    # -- convenience views over the data ----------------------------------- #
    @property
    def fields(self) -> tuple[Field, ...]:
        """Every field of every entry form, in declaration order, without repeats."""
        out: dict[str, Field] = {}
        for form in self.forms:
            for f in form.fields:
                out.setdefault(f.code, f)
        return tuple(out.values())

    @property
    def total_codes(self) -> tuple[str, ...]:
        return tuple(t.code for t in self.forms[0].totals)

    def total_label(self, code: str) -> str:
        for total in self.forms[0].totals:
            if total.code == code:
                return total.label
        raise KeyError(code)

    def reliable_change_for(self, rater: str) -> float:
        """The reliable-change threshold (headline units) for this rater."""
        table = dict(self.reliable_change)
        if rater in table:
            return float(table[rater])
        return float(table[ANY_RATER])

    def reliable_change_is_indicative(self, rater: str) -> bool:
        """True when this rater's threshold is not a published value (see the module docstring)."""
        return rater in self.reliable_change_indicative or ANY_RATER in self.reliable_change_indicative

    def bands_for(self, rater: str, age: int | None = None) -> tuple[Band, ...] | None:
        """The headline bands for this rater (and age, where bands depend on age), if any."""
        for band_set in self.bands:
            if band_set.applies(rater, age):
                return band_set.bands
        return None


@dataclass(frozen=True)
class Scored:
    """One completed measure, validated and scored.

    ``values`` are the cleaned numbers that were entered (the only thing worth
    storing: totals can always be recomputed), ``totals`` every derived score,
    ``headline`` the total used for change, ``band`` its category label where the
    instrument has bands. Treat the dicts as read-only.
    """

    instrument_code: str
    rater: str
    form: str
    values: dict[str, int | float]
    totals: dict[str, int | float]
    headline: float
    band: str | None


@dataclass(frozen=True)
class Change:
    """First-to-latest change on the headline score and its reliable-change verdict.

    ``delta`` is latest minus first in headline units (so for the SDQ a negative
    delta is good). ``improvement`` is True if the score moved in the better
    direction by any amount, False if it moved the worse way, None if unchanged;
    only ``classification`` says whether the move was big enough to count.
    """

    instrument_code: str
    rater: str
    first: float
    latest: float
    delta: float
    threshold: float
    higher_is_better: bool
    improvement: bool | None
    classification: str
    indicative: bool = False  # the threshold is not a published value: say so where it is shown

    @property
    def reliable(self) -> bool:
        return self.classification != NO_RELIABLE_CHANGE


# --------------------------------------------------------------------------- #
# Helpers for writing definitions compactly
# --------------------------------------------------------------------------- #
def _items(n: int, low: int, high: int) -> tuple[Field, ...]:
    return tuple(Field(f"i{k}", f"Item {k}", low, high) for k in range(1, n + 1))


def _item_codes(numbers: tuple[int, ...] | range) -> tuple[str, ...]:
    return tuple(f"i{k}" for k in numbers)


# --------------------------------------------------------------------------- #
# SDQ
# --------------------------------------------------------------------------- #
_SDQ_FIELDS = (
    Field("emotional", "Emotional symptoms", 0, 10),
    Field("conduct", "Conduct problems", 0, 10),
    Field("hyperactivity", "Hyperactivity", 0, 10),
    Field("peer", "Peer problems", 0, 10),
    Field("prosocial", "Prosocial behaviour", 0, 10),
)

SDQ = Instrument(
    code="SDQ",
    name="Strengths and Difficulties Questionnaire",
    raters=("parent", "teacher", "self"),
    forms=(
        EntryForm(
            "subscales",
            "the five subscale scores",
            _SDQ_FIELDS,
            (
                Total("total_difficulties", "Total difficulties",
                      ("emotional", "conduct", "hyperactivity", "peer")),
                Total("externalising", "Externalising", ("conduct", "hyperactivity")),
                Total("internalising", "Internalising", ("emotional", "peer")),
            ),
        ),
    ),
    headline="total_difficulties",
    higher_is_better=False,
    # Parent 8: the reliable-change value for parent-rated total difficulties used in
    # CORC / CYP IAPT outcome reporting (Wolpert et al. 2015, a study of parent-rated
    # SDQ change in CAMHS), so a school's parent-rated figures compare with MHST/CAMHS.
    # Teacher and self: no published reliable-change threshold was found, so these are
    # INDICATIVE, the Jacobson & Truax (1991) RCI from the British norms (Goodman 2001:
    # total difficulties Cronbach alpha .87 teacher, .80 self; SD about 5.9 teacher,
    # 5.2 self): jacobson_truax_rci(5.9, .87) = 5.9 -> 6, jacobson_truax_rci(5.2, .80)
    # = 6.4 -> 7, rounded up to whole points (scores are whole numbers) so the call is
    # never more generous than the formula. Replace them if CORC or youthinmind
    # publish teacher or self values.
    reliable_change=(("parent", 8), ("teacher", 6), ("self", 7)),
    reliable_change_indicative=("teacher", "self"),
    reliable_change_source=(
        "Parent 8 (published): Wolpert M, Gorzig A, Deighton J, Fugard AJB, Newman R, Ford T (2015) "
        "Comparison of indices of clinically meaningful change in child and adolescent mental health "
        "services: difference scores, reliable change, crossing clinical thresholds and 'added value'. "
        "Child and Adolescent Mental Health 20(2):94-101 (parent-rated SDQ; as used in CORC reporting). "
        "Teacher 6 and self 7 (indicative, no published threshold found): Jacobson NS, Truax P (1991) "
        "J Consult Clin Psychol 59(1):12-19, RCI = 1.96 x SD x sqrt(2 x (1 - alpha)) with the British "
        "norms of Goodman R (2001) Psychometric properties of the Strengths and Difficulties "
        "Questionnaire, J Am Acad Child Adolesc Psychiatry 40(11):1337-1345 (teacher alpha .87, SD 5.9; "
        "self alpha .80, SD 5.2), rounded up."
    ),
    headline_range=(0, 40),
    # Four-band categorisation of total difficulties, youthinmind "Scoring the SDQ"
    # (sdqinfo.org). Subscale bands are deliberately not added (DOMAIN.md: check
    # them on sdqinfo first).
    bands=(
        BandSet(("parent",), (
            Band(0, 13, "close to average"),
            Band(14, 16, "slightly raised"),
            Band(17, 19, "high"),
            Band(20, 40, "very high"),
        )),
        BandSet(("teacher",), (
            Band(0, 11, "close to average"),
            Band(12, 15, "slightly raised"),
            Band(16, 18, "high"),
            Band(19, 40, "very high"),
        )),
        BandSet(("self",), (
            Band(0, 14, "close to average"),
            Band(15, 17, "slightly raised"),
            Band(18, 19, "high"),
            Band(20, 40, "very high"),
        )),
    ),
    min_age=2,
    max_age=17,
    age_note="Parent and teacher versions for ages 2-17 (4-17 in most schools); self-report for ages 11-17.",
    source=(
        "Goodman R (1997) The Strengths and Difficulties Questionnaire: a research note. "
        "J Child Psychol Psychiatry 38(5):581-586. Owner: youthinmind Ltd, https://www.sdqinfo.org/ "
        "(bands: 'Scoring the SDQ', four-band categorisation)."
    ),
)

# --------------------------------------------------------------------------- #
# RCADS-25
# --------------------------------------------------------------------------- #
# Item -> subscale mapping of the RCADS-25 (child form). Source: UCLA Child FIRST
# RCADS-25 scoring (Ebesutani et al. 2012). Cross-checked with two independent
# published scoring descriptions, which agree (one omits item 22 from anxiety,
# but then lists only 14 anxiety items, so that is a typo). We assume the parent
# form (RCADS-25-P) numbers its items the same way; CHECK against the paper form.
# This table is the only place the mapping lives: correct it here if needed.
RCADS25_DEPRESSION_ITEMS: tuple[int, ...] = (1, 4, 8, 10, 13, 15, 16, 19, 21, 24)
RCADS25_ANXIETY_ITEMS: tuple[int, ...] = (2, 3, 5, 6, 7, 9, 11, 12, 14, 17, 18, 20, 22, 23, 25)
if sorted(RCADS25_DEPRESSION_ITEMS + RCADS25_ANXIETY_ITEMS) != list(range(1, 26)):
    raise ValueError("RCADS-25 item mapping must use items 1-25 exactly once")

RCADS25 = Instrument(
    code="RCADS25",
    name="Revised Child Anxiety and Depression Scale (25-item)",
    raters=("child", "parent"),
    forms=(
        EntryForm(
            "items",
            "all 25 item scores",
            _items(25, 0, 3),
            (
                Total("anxiety", "Anxiety", _item_codes(RCADS25_ANXIETY_ITEMS)),
                Total("depression", "Depression", _item_codes(RCADS25_DEPRESSION_ITEMS)),
                Total("total", "Total", ("anxiety", "depression")),
            ),
        ),
        EntryForm(
            "subscales",
            "the two subscale totals (anxiety and depression)",
            (
                Field("anxiety", "Anxiety (total of 15 items)", 0, 45),
                Field("depression", "Depression (total of 10 items)", 0, 30),
            ),
            (
                Total("anxiety", "Anxiety", ("anxiety",)),
                Total("depression", "Depression", ("depression",)),
                Total("total", "Total", ("anxiety", "depression")),
            ),
        ),
    ),
    headline="total",
    higher_is_better=False,
    # INDICATIVE: no published reliable-change threshold for the RCADS-25 raw total
    # was found (CYP IAPT/CORC guidance works in T-scores, which need the authors'
    # norm tables, not shipped). 10 points is the Jacobson & Truax RCI for a raw-total
    # SD of about 11-12 and alpha of about .91-.92 (jacobson_truax_rci(12, .91) = 10.0),
    # the range reported for RCADS-25 totals (Ebesutani et al. 2012), rounded up.
    reliable_change=((ANY_RATER, 10),),
    reliable_change_indicative=(ANY_RATER,),
    reliable_change_source=(
        "Indicative, no published threshold for the raw total found: Jacobson NS, Truax P (1991) "
        "J Consult Clin Psychol 59(1):12-19, RCI = 1.96 x SD x sqrt(2 x (1 - alpha)) with SD about "
        "11-12 and alpha about .91-.92 for the RCADS-25 total (Ebesutani et al. 2012, Psychological "
        "Assessment 24(4):833-845), rounded up to 10."
    ),
    headline_range=(0, 75),
    min_age=8,
    max_age=18,
    age_note="Ages 8-18 (child self-report or parent/carer report). Raw scores only: no T-scores.",
    source=(
        "Ebesutani C, Reise SP, Chorpita BF, Ale C, Regan J, Young J, Higa-McMillan C, Weisz JR (2012) "
        "The Revised Child Anxiety and Depression Scale-Short Version: scale reduction via exploratory "
        "bifactor modeling of the broad anxiety factor. Psychological Assessment 24(4):833-845. "
        "Distributed by UCLA Child FIRST, https://www.childfirst.ucla.edu/resources/"
    ),
)

# --------------------------------------------------------------------------- #
# Goal Based Outcomes
# --------------------------------------------------------------------------- #
GBO = Instrument(
    code="GBO",
    name="Goal Based Outcomes",
    raters=("self", "parent"),
    forms=(
        EntryForm(
            "goals",
            "one to three goal ratings",
            (
                Field("goal1", "Goal 1", 0, 10),
                Field("goal2", "Goal 2", 0, 10, required=False),
                Field("goal3", "Goal 3", 0, 10, required=False),
            ),
            (Total("mean", "Mean goal rating", ("goal1", "goal2", "goal3"), method="mean"),),
        ),
    ),
    headline="mean",
    higher_is_better=True,
    # Change of 3 or more on a goal is treated as reliable (Edbrooke-Childs et al.
    # 2015 derived an RCI of about 2.45, i.e. 3 whole points). The headline is the
    # mean of the goals rated, and we classify change on that mean with the same
    # threshold of 3: one summary per pupil, as CORC reports GBO. A pupil whose
    # goals changed between first and latest rating is compared on whatever goals
    # were rated each time; per-goal change can be read from Scored.values.
    reliable_change=((ANY_RATER, 3),),
    reliable_change_source=(
        "Edbrooke-Childs J, Jacob J, Law D, Deighton J, Wolpert M (2015) Interpreting standardized and "
        "idiographic outcome measures in CAMHS: what does change mean and how does it relate to "
        "functioning and experience? Child and Adolescent Mental Health 20(3):142-148 (RCI 2.45, i.e. 3 points)."
    ),
    headline_range=(0, 10),
    age_note="Any age; goals are rated by the young person or, for younger children, a parent/carer.",
    source=(
        "Law D, Jacob J (2015) Goals and Goal Based Outcomes (GBOs): some useful information, 3rd ed. "
        "CAMHS Press. https://www.goals-in-therapy.com/"
    ),
)

# --------------------------------------------------------------------------- #
# ORS and CORS
# --------------------------------------------------------------------------- #
_ORS_CLINICAL = "clinical range"
_ORS_NON_CLINICAL = "non-clinical range"

ORS = Instrument(
    code="ORS",
    name="Outcome Rating Scale",
    raters=("self",),
    forms=(
        EntryForm(
            "scales",
            "the four scale scores",
            (
                Field("individually", "Individually", 0, 10, decimals=1),
                Field("interpersonally", "Interpersonally", 0, 10, decimals=1),
                Field("socially", "Socially", 0, 10, decimals=1),
                Field("overall", "Overall", 0, 10, decimals=1),
            ),
            (Total("total", "Total", ("individually", "interpersonally", "socially", "overall")),),
        ),
    ),
    headline="total",
    higher_is_better=True,
    reliable_change=((ANY_RATER, 5),),
    reliable_change_source="Miller SD et al. (2003), Journal of Brief Therapy 2(2):91-100: reliable change 5 points.",
    headline_range=(0, 40),
    # Clinical cut-off: 25 for adults (Miller et al. 2003), 28 for 13-17 year olds
    # (Duncan et al. 2006). Below the cut-off = clinical range. With no age given,
    # no band is shown rather than guessing which cut-off applies.
    bands=(
        BandSet(("self",), (Band(0, 27.9, _ORS_CLINICAL), Band(28, 40, _ORS_NON_CLINICAL)),
                min_age=13, max_age=17),
        BandSet(("self",), (Band(0, 24.9, _ORS_CLINICAL), Band(25, 40, _ORS_NON_CLINICAL)),
                min_age=18),
    ),
    min_age=13,
    age_note="Ages 13 and over (cut-off 28 for 13-17, 25 for adults); use the CORS for ages 6-12.",
    source=(
        "Miller SD, Duncan BL, Brown J, Sparks JA, Claud DA (2003) The Outcome Rating Scale: a preliminary "
        "study of the reliability, validity, and feasibility of a brief visual analog measure. Journal of "
        "Brief Therapy 2(2):91-100; adolescent cut-off: Duncan BL, Sparks JA, Miller SD, Bohanske RT, "
        "Claud DA (2006) Giving youth a voice. Journal of Brief Therapy 5(2):71-88. "
        "Owner: https://www.scottdmiller.com/"
    ),
)

CORS = Instrument(
    code="CORS",
    name="Child Outcome Rating Scale",
    raters=("self", "parent"),
    forms=(
        EntryForm(
            "scales",
            "the four scale scores",
            (
                Field("me", "Me", 0, 10, decimals=1),
                Field("family", "Family", 0, 10, decimals=1),
                Field("school", "School", 0, 10, decimals=1),
                Field("everything", "Everything", 0, 10, decimals=1),
            ),
            (Total("total", "Total", ("me", "family", "school", "everything")),),
        ),
    ),
    headline="total",
    higher_is_better=True,
    reliable_change=((ANY_RATER, 5),),
    # INDICATIVE: the 5 points is the ORS value (Miller et al. 2003); a CORS-specific
    # threshold from Duncan et al. (2006) could not be confirmed (some materials for
    # children quote 6), so the classification is marked indicative.
    reliable_change_indicative=(ANY_RATER,),
    reliable_change_source=(
        "Indicative: 5 points as published for the ORS (Miller et al. 2003, Journal of Brief Therapy "
        "2(2):91-100); no CORS-specific value could be confirmed (Duncan et al. 2006, Journal of Brief "
        "Therapy 5(2):71-88; some materials for children quote 6)."
    ),
    headline_range=(0, 40),
    bands=(BandSet(("self", "parent"), (Band(0, 31.9, _ORS_CLINICAL), Band(32, 40, _ORS_NON_CLINICAL))),),
    min_age=6,
    max_age=12,
    age_note="Ages 6-12 (cut-off 32); a parent/carer may complete it about the child.",
    source=(
        "Duncan BL, Sparks JA, Miller SD, Bohanske RT, Claud DA (2006) Giving youth a voice: a preliminary "
        "study of the reliability and validity of a brief outcome measure for children, adolescents, and "
        "caretakers. Journal of Brief Therapy 5(2):71-88. Owner: https://www.scottdmiller.com/"
    ),
)

# --------------------------------------------------------------------------- #
# WEMWBS and SWEMWBS
# --------------------------------------------------------------------------- #
WEMWBS = Instrument(
    code="WEMWBS",
    name="Warwick-Edinburgh Mental Wellbeing Scale",
    raters=("self",),
    forms=(EntryForm("items", "all 14 item scores", _items(14, 1, 5),
                     (Total("total", "Total", _item_codes(range(1, 15))),)),),
    headline="total",
    higher_is_better=True,
    # Maheswaran et al. (2012) report a standard error of measurement of 2.4-3.1
    # points; the individual-level threshold 2.77 x SEM (= 1.96 x sqrt(2) x SEM, the
    # Jacobson-Truax criterion) is therefore about 6.6-8.6. We use 8, the top of
    # the "3 to 8 points" range Warwick's practice guidance quotes, so a change is
    # only called reliable when it clears measurement error for an individual.
    reliable_change=((ANY_RATER, 8),),
    reliable_change_source=(
        "Maheswaran H, Weich S, Powell J, Stewart-Brown S (2012) Evaluating the responsiveness of the "
        "Warwick Edinburgh Mental Well-Being Scale (WEMWBS): group and individual level analysis. Health "
        "and Quality of Life Outcomes 10:156 (SEM 2.4-3.1; 2.77 x SEM ~ 8 points)."
    ),
    headline_range=(14, 70),
    min_age=13,
    age_note="Ages 13 and over (validated with secondary school students).",
    source=(
        "Tennant R, Hiller L, Fishwick R, Platt S, Joseph S, Weich S, Parkinson J, Secker J, Stewart-Brown S "
        "(2007) The Warwick-Edinburgh Mental Well-being Scale (WEMWBS): development and UK validation. "
        "Health and Quality of Life Outcomes 5:63; Clarke A et al. (2011) BMC Public Health 11:487 (ages 13-16). "
        "Owners: University of Warwick, University of Edinburgh, NHS Health Scotland; "
        "https://warwick.ac.uk/fac/sci/med/research/platform/wemwbs/"
    ),
)

# SWEMWBS raw score (7-35) -> metric score, the Rasch conversion table published
# by Warwick Medical School (WEMWBS "Collect, score, analyse and interpret":
# https://warwick.ac.uk/fac/sci/med/research/platform/wemwbs/using/howto/).
SWEMWBS_METRIC: tuple[tuple[int, float], ...] = (
    (7, 7.00), (8, 9.51), (9, 11.25), (10, 12.40), (11, 13.33), (12, 14.08), (13, 14.75),
    (14, 15.32), (15, 15.84), (16, 16.36), (17, 16.88), (18, 17.43), (19, 17.98), (20, 18.59),
    (21, 19.25), (22, 19.98), (23, 20.73), (24, 21.54), (25, 22.35), (26, 23.21), (27, 24.11),
    (28, 25.03), (29, 26.02), (30, 27.03), (31, 28.13), (32, 29.31), (33, 30.70), (34, 32.55),
    (35, 35.00),
)

SWEMWBS = Instrument(
    code="SWEMWBS",
    name="Short Warwick-Edinburgh Mental Wellbeing Scale",
    raters=("self",),
    forms=(
        EntryForm(
            "items",
            "all 7 item scores",
            _items(7, 1, 5),
            (
                Total("raw", "Raw score", _item_codes(range(1, 8))),
                Total("metric", "Metric score", _item_codes(range(1, 8)), conversion=SWEMWBS_METRIC),
            ),
        ),
    ),
    headline="metric",
    higher_is_better=True,
    # Shah et al. (2018): 2.77 x SEM = 2.87 metric points (the Jacobson-Truax
    # individual criterion); "a change of between 1 and 3 points" is meaningful.
    # We round 2.87 up to 3 so the reliable call is never more generous than the paper.
    reliable_change=((ANY_RATER, 3),),
    reliable_change_source=(
        "Shah N, Cader M, Andrews WP, Wijesekera D, Stewart-Brown SL (2018) Responsiveness of the Short "
        "Warwick Edinburgh Mental Well-Being Scale (SWEMWBS): evaluation a clinical sample. Health and "
        "Quality of Life Outcomes 16:239 (2.77 x SEM = 2.87 points, rounded up to 3)."
    ),
    headline_range=(7, 35),
    min_age=13,
    age_note="Use only with young people aged 13 and over.",
    source=(
        "Stewart-Brown S, Tennant A, Tennant R, Platt S, Parkinson J, Weich S (2009) Internal construct "
        "validity of the Warwick-Edinburgh Mental Well-being Scale (WEMWBS): a Rasch analysis using data "
        "from the Scottish Health Education Population Survey. Health and Quality of Life Outcomes 7:15. "
        "Raw-to-metric conversion table: Warwick Medical School, "
        "https://warwick.ac.uk/fac/sci/med/research/platform/wemwbs/using/howto/"
    ),
)

INSTRUMENTS: dict[str, Instrument] = {
    inst.code: inst for inst in (SDQ, RCADS25, GBO, ORS, CORS, WEMWBS, SWEMWBS)
}
"""Every instrument SchoolMH knows, keyed by its stable code."""


# --------------------------------------------------------------------------- #
# Public functions
# --------------------------------------------------------------------------- #
def _normalise_code(code: str) -> str:
    # CSV files and people write "rcads-25" or "RCADS 25"; the stored code is "RCADS25".
    return "".join(ch for ch in str(code).upper() if ch not in " -_")


def get_instrument(code: str) -> Instrument:
    """The instrument for ``code`` (case, spaces and hyphens ignored).

    Raises ValidationError (field "instrument") for an unknown code, because the
    code usually comes from a person or a CSV file, not from our own code.
    """
    inst = INSTRUMENTS.get(_normalise_code(code))
    if inst is None:
        known = ", ".join(INSTRUMENTS)
        raise ValidationError(
            f"'{code}' is not a questionnaire SchoolMH knows. Use one of: {known}.", field="instrument"
        )
    return inst


def field_codes(instrument_code: str) -> list[str]:
    """The score columns for ``instrument_code``, in form order.

    A measures CSV has the columns ``upn,date,instrument,rater`` followed by these.
    For the RCADS-25 that is the 25 items and then the two subscale totals: a row
    fills in one group or the other.
    """
    return [f.code for f in get_instrument(instrument_code).fields]


def _fmt(value: float) -> str:
    """Show 12 as "12" and 7.5 as "7.5" in messages staff read."""
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return f"{value:g}" if isinstance(value, float) else str(value)


def _join_or(words: list[str] | tuple[str, ...]) -> str:
    words = list(words)
    if len(words) <= 1:
        return "".join(words)
    return ", ".join(words[:-1]) + " or " + words[-1]


def _check_rater(inst: Instrument, rater: str) -> str:
    clean = str(rater).strip().lower() if rater is not None else ""
    if clean not in inst.raters:
        shown = clean or "(blank)"
        raise ValidationError(
            f"{inst.code} cannot be completed by '{shown}'. Choose {_join_or(inst.raters)}.", field="rater"
        )
    return clean


def _parse_value(f: Field, raw: object) -> int | float:
    """Turn one typed value into a number, or raise a message naming the field."""
    if isinstance(raw, bool):
        raise ValidationError(f"{f.label}: '{raw}' is not a number", field=f.code)
    if isinstance(raw, str):
        text = raw.strip()
        try:
            number: float = float(text)
        except ValueError:
            raise ValidationError(f"{f.label}: '{text}' is not a number", field=f.code) from None
        shown = text
    elif isinstance(raw, (int, float)):
        number = float(raw)
        shown = _fmt(raw)
    else:
        raise ValidationError(f"{f.label}: '{raw}' is not a number", field=f.code)
    if math.isnan(number) or math.isinf(number):
        raise ValidationError(f"{f.label}: '{shown}' is not a number", field=f.code)
    if f.decimals == 0:
        if not number.is_integer():
            raise ValidationError(f"{f.label}: {shown} is not a whole number", field=f.code)
    else:
        scaled = number * 10**f.decimals
        if abs(scaled - round(scaled)) > 1e-6:
            raise ValidationError(
                f"{f.label}: {shown} has more than {f.decimals} decimal place"
                f"{'s' if f.decimals > 1 else ''}",
                field=f.code,
            )
    if number < f.min or number > f.max:
        raise ValidationError(
            f"{f.label}: {shown} is out of range ({_fmt(float(f.min))}–{_fmt(float(f.max))})", field=f.code
        )
    if f.decimals == 0:
        return int(number)
    return round(number, f.decimals)


def _choose_form(inst: Instrument, given: set[str]) -> EntryForm:
    """Pick the entry form the given fields belong to (RCADS-25: items or subscale totals)."""
    candidates = [form for form in inst.forms if given <= {f.code for f in form.fields}]
    if candidates:
        # With nothing entered, or a subset of several forms, prefer the one most filled in.
        return max(candidates, key=lambda form: len(given & {f.code for f in form.fields}))
    # Some fields from one form, some from another.
    choices = " or ".join(form.description for form in inst.forms)
    best = max(inst.forms, key=lambda form: len(given & {f.code for f in form.fields}))
    stray = sorted(given - {f.code for f in best.fields})
    raise ValidationError(
        f"{inst.code}: enter either {choices}, not a mix of both.", field=stray[0] if stray else None
    )


def _compute_totals(form: EntryForm, values: Mapping[str, int | float]) -> dict[str, int | float]:
    totals: dict[str, int | float] = {}
    for total in form.totals:
        parts: list[int | float] = []
        for part in total.parts:
            if part in totals:  # an earlier total wins over a field of the same name
                parts.append(totals[part])
            elif part in values:
                parts.append(values[part])
        result: int | float
        if total.method == "mean":
            result = round(sum(parts) / len(parts), 6)
        else:
            result = sum(parts)
            if isinstance(result, float):
                result = round(result, 6)  # 7.3 + 8.1 + ... without float noise
        if total.conversion is not None:
            result = dict(total.conversion)[int(result)]
        totals[total.code] = result
    return totals


def score(
    instrument_code: str,
    rater: str,
    values: Mapping[str, object],
    *,
    age: int | None = None,
) -> Scored:
    """Validate the typed-in scores and compute totals, headline and band.

    ``values`` maps field codes to numbers (ints, floats, or numeric strings as
    read from a CSV); keys are matched case-insensitively and blank values (None
    or "") count as not entered, so optional fields (GBO goals 2 and 3) can be
    left empty. ``age`` (in whole years) is only needed where the band depends on
    age (ORS: cut-off 28 at 13-17, 25 for adults); without it that band is None.

    Raises ValidationError with ``field`` set to the offending field code (or
    "rater") and a message written for school staff.
    """
    inst = get_instrument(instrument_code)
    clean_rater = _check_rater(inst, rater)

    known = {f.code: f for f in inst.fields}
    given: dict[str, object] = {}
    for key, raw in values.items():
        code = str(key).strip().lower()
        if raw is None or (isinstance(raw, str) and not raw.strip()):
            continue
        if code not in known:
            raise ValidationError(
                f"'{key}' is not a score on the {inst.code}. Expected: {', '.join(known)}.", field=str(key)
            )
        if code in given:
            raise ValidationError(f"{known[code].label}: entered twice", field=code)
        given[code] = raw

    form = _choose_form(inst, set(given))
    missing = [f for f in form.fields if f.required and f.code not in given]
    if missing:
        first = missing[0]
        if len(missing) <= 3:
            names = ", ".join(f.label for f in missing)
        else:
            names = f"{first.label} and {len(missing) - 1} other scores"
        if len(inst.forms) > 1:
            message = f"{names}: missing. Enter " + " or ".join(fm.description for fm in inst.forms) + "."
        else:
            message = f"{names}: missing (enter a score from {_fmt(float(first.min))} to {_fmt(float(first.max))})"
        raise ValidationError(message, field=first.code)

    form_fields = {f.code: f for f in form.fields}
    cleaned = {code: _parse_value(form_fields[code], raw) for code, raw in given.items()}
    # Keep the form's field order so stored values and exports read naturally.
    cleaned = {f.code: cleaned[f.code] for f in form.fields if f.code in cleaned}

    totals = _compute_totals(form, cleaned)
    headline = float(totals[inst.headline])
    band_label: str | None = None
    bands = inst.bands_for(clean_rater, age)
    if bands:
        for band in bands:
            if band.low - _EPS <= headline <= band.high + _EPS:
                band_label = band.label
                break
    return Scored(
        instrument_code=inst.code,
        rater=clean_rater,
        form=form.code,
        values=cleaned,
        totals=totals,
        headline=headline,
        band=band_label,
    )


def classify_change(instrument_code: str, rater: str, first: Scored, latest: Scored) -> Change:
    """Compare the first and latest scores with the instrument's reliable-change rule.

    The direction comes from the instrument: for the SDQ or RCADS a *fall* of at
    least the threshold is a reliable improvement; for GBO, ORS/CORS and (S)WEMWBS
    a *rise* is. Both scores must be the same instrument and the same rater,
    because a parent's and a teacher's SDQ are not on the same footing.
    """
    inst = get_instrument(instrument_code)
    clean_rater = _check_rater(inst, rater)
    for which, scored in (("first", first), ("latest", latest)):
        if scored.instrument_code != inst.code:
            raise ValidationError(
                f"The {which} score is a {scored.instrument_code}, not a {inst.code}: "
                "change can only be measured on the same questionnaire.",
                field="instrument",
            )
        if scored.rater != clean_rater:
            raise ValidationError(
                f"The {which} {inst.code} was completed by {scored.rater}, not {clean_rater}: "
                "compare scores from the same kind of rater.",
                field="rater",
            )
    threshold = inst.reliable_change_for(clean_rater)
    delta = round(latest.headline - first.headline, 6)
    gain = delta if inst.higher_is_better else -delta
    if gain >= threshold - _EPS:
        classification = RELIABLE_IMPROVEMENT
    elif -gain >= threshold - _EPS:
        classification = RELIABLE_DETERIORATION
    else:
        classification = NO_RELIABLE_CHANGE
    improvement = None if gain == 0 else gain > 0
    return Change(
        instrument_code=inst.code,
        rater=clean_rater,
        first=first.headline,
        latest=latest.headline,
        delta=delta,
        threshold=threshold,
        higher_is_better=inst.higher_is_better,
        improvement=improvement,
        classification=classification,
        indicative=inst.reliable_change_is_indicative(clean_rater),
    )


def jacobson_truax_rci(sd: float, reliability: float) -> float:
    """The Jacobson & Truax (1991) reliable change index in score points: 1.96 x SD x sqrt(2 x (1 - r)).

    A change at least this big is unlikely (p < .05) to be measurement error alone.
    """
    return 1.96 * sd * math.sqrt(2 * (1 - reliability))
