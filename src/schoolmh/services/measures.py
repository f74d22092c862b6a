"""Outcome measures: scores typed in from the paper form, scored by schoolmh.domain.instruments.

Only the entered values are authoritative (``values_json``); the headline score
and band are cached at save time so lists and reports need not rescore, and
totals are recomputed when read, so a corrected instrument definition shows
corrected totals. No questionnaire wording is stored anywhere (licences).

Change is measured first to latest for each instrument *and rater*: a parent's
and a teacher's SDQ are different measurements and are never compared.
"""
from __future__ import annotations

import datetime as dt
import json
from dataclasses import dataclass

from peewee import JOIN

from schoolmh.db.models.records import MeasureResult, Pupil, Session as SessionRow
from schoolmh.domain import instruments as inst
from schoolmh.errors import NotFound, ValidationError
from schoolmh.services.fieldcheck import to_date
from schoolmh.services.permissions import Action
from schoolmh.services.pupils import mhst_scope, pupil_record
from schoolmh.services.session import Session

__all__ = [
    "MeasureInfo",
    "ChangeInfo",
    "FieldInfo",
    "InstrumentInfo",
    "record_measure",
    "delete_measure",
    "list_measures",
    "change_summary",
    "instrument_catalogue",
    "csv_columns",
    "age_on",
    "score_for_pupil",
    "store_result",
]


@dataclass(frozen=True)
class MeasureInfo:
    uuid: str
    pupil_uuid: str
    date: dt.date
    instrument: str  # code, e.g. "SDQ"
    rater: str
    values: dict[str, int | float]  # field code -> score, as entered
    totals: dict[str, int | float]  # every derived score
    headline: float
    band: str  # "" where the instrument has no bands for this rater/age
    session_uuid: str | None


@dataclass(frozen=True)
class ChangeInfo:
    instrument: str
    instrument_name: str
    rater: str
    count: int  # how many results for this instrument and rater
    first_date: dt.date
    first_headline: float
    latest_date: dt.date
    latest_headline: float
    delta: float  # latest - first (for the SDQ, negative is better)
    threshold: float
    higher_is_better: bool
    classification: str  # reliable improvement | no reliable change | reliable deterioration


@dataclass(frozen=True)
class FieldInfo:
    code: str  # also the CSV column name
    label: str
    min: float
    max: float
    required: bool
    decimals: int


@dataclass(frozen=True)
class InstrumentInfo:
    code: str
    name: str
    raters: tuple[str, ...]
    fields: tuple[FieldInfo, ...]
    forms: tuple[str, ...]  # descriptions of the accepted ways to enter it (RCADS: items or subscales)
    headline: str  # label of the headline score
    higher_is_better: bool
    min_age: int | None
    max_age: int | None
    age_note: str
    source: str


def age_on(dob: dt.date | None, day: dt.date) -> int | None:
    """Whole years of age on ``day`` (None without a date of birth)."""
    if dob is None:
        return None
    return day.year - dob.year - ((day.month, day.day) < (dob.month, dob.day))


def score_for_pupil(pupil: Pupil, instrument: str, rater: str, values: dict, day: dt.date) -> inst.Scored:
    """Score with the pupil's age on the day (some bands, e.g. ORS, depend on age)."""
    return inst.score(instrument, rater, values or {}, age=age_on(pupil.dob, day))


def _date(value, today: dt.date) -> dt.date:
    day = to_date(value, "date") or today
    if day > today:
        raise ValidationError("A measure cannot be dated in the future.", "date")
    return day


def store_result(session: Session, pupil: Pupil, scored: inst.Scored, day: dt.date,
           session_row: SessionRow | None) -> MeasureResult:
    """Write one scored result (inside the caller's transaction) and audit it."""
    row = MeasureResult(
        pupil=pupil, session=session_row, date=day, instrument=scored.instrument_code,
        rater=scored.rater, values_json=json.dumps(scored.values, separators=(",", ":")),
        headline=scored.headline, band=scored.band or "",
    )
    session.stamp(row, created=True)
    row.save(force_insert=True)
    session.audit("measure.create", "measure", row.uuid, f"pupil={pupil.uuid};instrument={scored.instrument_code}")
    return row


def record_measure(session: Session, pupil_uuid: str, instrument: str, rater: str, values: dict,
                   date: dt.date | None = None, session_uuid: str | None = None) -> MeasureInfo:
    """Validate, score and store one completed measure. Raises ValidationError naming the field."""
    session.require(Action.MEASURE_WRITE)
    pupil = pupil_record(session, pupil_uuid)
    day = _date(date, session.today())
    scored = score_for_pupil(pupil, instrument, rater, values, day)
    session_row = None
    if session_uuid:
        session_row = SessionRow.get_or_none(SessionRow.uuid == session_uuid)
        if session_row is None or session_row.pupil_id != pupil.id:
            raise ValidationError("That session is not one of this pupil's.", "session")
    with session.transaction():
        row = store_result(session, pupil, scored, day, session_row)
    return _info(row, pupil.uuid, session_uuid)


def delete_measure(session: Session, measure_uuid: str) -> None:
    """Remove a result entered in error (audited; the audit keeps no scores)."""
    session.require(Action.MEASURE_WRITE)
    row = _measure_record(session, measure_uuid)
    with session.transaction():
        row.delete_instance()
        session.audit("measure.delete", "measure", measure_uuid, "")


def _measure_record(session: Session, measure_uuid: str) -> MeasureResult:
    query = MeasureResult.select(MeasureResult).join(Pupil).where(MeasureResult.uuid == measure_uuid)
    row = mhst_scope(session, query).first()
    if row is None:
        raise NotFound("That measure was not found.")
    return row


def _info(row: MeasureResult, pupil_uuid: str, session_uuid: str | None) -> MeasureInfo:
    values = json.loads(row.values_json)
    try:
        totals = dict(inst.score(row.instrument, row.rater, values).totals)
    except ValidationError:  # a definition changed since; show what was stored rather than fail
        totals = {}
    return MeasureInfo(row.uuid, pupil_uuid, row.date, row.instrument, row.rater, values, totals,
                       row.headline, row.band, session_uuid)


def _rows(pupil: Pupil) -> list[tuple[MeasureResult, str | None]]:
    query = (MeasureResult.select(MeasureResult, SessionRow.uuid.alias("session_uuid"))
             .join(SessionRow, join_type=JOIN.LEFT_OUTER, on=(MeasureResult.session == SessionRow.id))
             .where(MeasureResult.pupil == pupil)
             .order_by(MeasureResult.date, MeasureResult.id))
    return [(row, getattr(row, "session_uuid", None)) for row in query.objects()]


def list_measures(session: Session, pupil_uuid: str) -> list[MeasureInfo]:
    """A pupil's results, oldest first."""
    session.require(Action.MEASURE_READ)
    pupil = pupil_record(session, pupil_uuid)
    return [_info(row, pupil.uuid, suuid) for row, suuid in _rows(pupil)]


def change_summary(session: Session, pupil_uuid: str) -> list[ChangeInfo]:
    """First-to-latest change for each instrument and rater with at least two results.

    Classified by the instrument's reliable-change rule and direction (a fall in
    SDQ difficulties is an improvement; a rise in SWEMWBS is).
    """
    session.require(Action.MEASURE_READ)
    pupil = pupil_record(session, pupil_uuid)
    groups: dict[tuple[str, str], list[MeasureResult]] = {}
    for row, _ in _rows(pupil):
        groups.setdefault((row.instrument, row.rater), []).append(row)
    out = []
    for (code, rater), rows in groups.items():
        if len(rows) < 2:
            continue
        first, latest = rows[0], rows[-1]
        change = inst.classify_change(code, rater, _scored(first), _scored(latest))
        out.append(ChangeInfo(
            code, inst.get_instrument(code).name, rater, len(rows), first.date, first.headline,
            latest.date, latest.headline, change.delta, change.threshold, change.higher_is_better,
            change.classification,
        ))
    return sorted(out, key=lambda c: (c.instrument, c.rater))


def _scored(row: MeasureResult) -> inst.Scored:
    """The stored result as a Scored, using the cached headline (what was shown at the time)."""
    return inst.Scored(instrument_code=row.instrument, rater=row.rater, form="", values=json.loads(row.values_json),
                       totals={}, headline=row.headline, band=row.band or None)


# --- catalogue (no sign-in needed: it is the instruments' public definition) -----------------------
def instrument_catalogue() -> list[InstrumentInfo]:
    """Every instrument SchoolMH scores, for the entry form and `schoolmh measures list`."""
    out = []
    for code, i in inst.INSTRUMENTS.items():
        out.append(InstrumentInfo(
            code=code,
            name=i.name,
            raters=tuple(i.raters),
            fields=tuple(FieldInfo(f.code, f.label, f.min, f.max, f.required, f.decimals) for f in i.fields),
            forms=tuple(form.description for form in i.forms),
            headline=i.total_label(i.headline),
            higher_is_better=i.higher_is_better,
            min_age=i.min_age,
            max_age=i.max_age,
            age_note=i.age_note,
            source=i.source,
        ))
    return out


def csv_columns(instrument: str) -> list[str]:
    """The columns of a measures CSV row for this instrument: upn,date,instrument,rater + score fields."""
    return ["upn", "date", "instrument", "rater", *inst.field_codes(instrument)]
