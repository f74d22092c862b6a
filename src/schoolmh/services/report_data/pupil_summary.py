"""The record behind a pupil summary PDF: one pupil's whole support record (identifiable, confidential).

Unlike the governors' report, this names the pupil: it is for the pupil's file,
a subject access request or a handover. Session notes are included only for roles
that may read them.
"""
from __future__ import annotations

import datetime as dt
from collections import defaultdict
from dataclasses import dataclass

from peewee import JOIN

from schoolmh.db.models.core import Staff
from schoolmh.db.models.records import (
    Consultation,
    Goal,
    GoalRating,
    LiaisonMeeting,
    LiaisonPupil,
    MeasureResult,
    PlanReview,
    Referral,
    Session as SessionRow,
    SupportPlan,
)
from schoolmh.domain.codes import (
    ATTENDANCE,
    LIAISON_TYPES,
    PEOPLE_INVOLVED,
    PLAN_STATUSES,
    REFERRAL_DECISIONS,
    REFERRAL_DESTINATIONS,
    SEN_PROVISION,
    SESSION_MODES,
    SESSION_TYPES,
    TIERS,
)
from schoolmh.domain.instruments import classify_change, get_instrument
from schoolmh.domain.mis import ETHNICITY_EXTENDED_CODES, ETHNICITY_MAIN_CODES
from schoolmh.errors import ValidationError
from schoolmh.services import settings as settings_service
from schoolmh.services.gap import gap_since
from schoolmh.services.permissions import Action
from schoolmh.services.report_data.queries import referral_facts_at as _referral_facts
from schoolmh.services.report_data.queries import scored as _scored
from schoolmh.services.session import Session

__all__ = ["GoalEntry", "ReviewEntry", "PlanEntry", "SessionEntry", "MeasureEntry", "MeasureChange",
           "ReferralEntry", "MentionEntry", "PupilSummaryData", "pupil_summary_data"]


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

