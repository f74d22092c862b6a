"""Subject access and portability: one pupil's complete record, or every record, as JSON.

One documented, versioned format (docs/EXPORT_FORMAT.md) serves both: a dict of flat
tables, each a list of objects keyed by `uuid` with links as `<thing>_uuid`, plus
computed scores, bands, change classifications and the gap. A pupil export is the
same format holding only that pupil's rows, so a successor system needs one reader.
Exports are built in memory and written only where the user chooses (the CLI uses
fsutil.atomic_write_bytes); every export is audited.

This module also holds the one CSV writer for anything SchoolMH writes as CSV: every
text cell passes through domain.mis.csv_safe so a name like "=HYPERLINK(...)"
cannot run as a formula when the file is opened in a spreadsheet.
"""
from __future__ import annotations

import csv
import datetime as dt
import io
import json
from collections.abc import Iterable, Sequence

from schoolmh import __version__
from schoolmh.db.models.base import utcnow
from schoolmh.db.models.core import AuditEntry, Staff
from schoolmh.db.models.records import (
    Activity,
    ActivityPrinciple,
    Consultation,
    Goal,
    GoalRating,
    LiaisonAction,
    LiaisonMeeting,
    LiaisonPupil,
    MeasureResult,
    Objective,
    PlanReview,
    Pupil,
    Referral,
    ReferralDecision,
    Session as SessionRow,
    SupportPlan,
)
from schoolmh.domain import instruments
from schoolmh.domain.codes import (
    ACTIVITY_CATEGORIES,
    ATTENDANCE,
    FUNCTIONS,
    LED_BY,
    LIAISON_TYPES,
    NATIONAL_FUNCTION_SHARE,
    PEOPLE_INVOLVED,
    PLAN_STATUSES,
    PRINCIPLES,
    RAG,
    REFERRAL_DECISIONS,
    REFERRAL_DESTINATIONS,
    SEN_PROVISION,
    SESSION_MODES,
    SESSION_TYPES,
    TIERS,
)
from schoolmh.domain.mis import csv_safe
from schoolmh.errors import NotFound
from schoolmh.services import gap, settings
from schoolmh.services.measures import age_on
from schoolmh.services.referrals import waiting_days
from schoolmh.services.permissions import Action
from schoolmh.services.session import Session

FORMAT = "schoolmh-export"
VERSION = 1

# Every table of the format, in the order written. Counting rows per table in the
# vault and in the JSON is how the round-trip test proves nothing was left out.
TABLES = (
    "staff", "pupils", "plans", "goals", "goal_ratings", "plan_reviews", "sessions", "measures", "referrals",
    "referral_decisions", "objectives", "activities", "liaison_meetings", "liaison_actions", "consultations",
)


# -- value conversion ------------------------------------------------------------------
def _iso(value):
    if isinstance(value, dt.datetime):
        return value.replace(tzinfo=None).isoformat(timespec="seconds") + "Z"
    if isinstance(value, dt.date):
        return value.isoformat()
    return value


def _meta(row) -> dict:
    return {
        "created_at": _iso(row.created_at), "created_by": row.created_by,
        "updated_at": _iso(row.updated_at), "updated_by": row.updated_by,
    }


# -- table builders (each takes a query already limited to the rows wanted) -------------
def _pupils(query) -> list[dict]:
    out = []
    for p in query.order_by(Pupil.id):
        out.append({
            "uuid": p.uuid, "upn": p.upn, "legal_forename": p.legal_forename, "legal_surname": p.legal_surname,
            "preferred_forename": p.preferred_forename, "preferred_surname": p.preferred_surname, "dob": _iso(p.dob),
            "sex": p.sex, "year_group": p.year_group, "tutor_group": p.tutor_group, "ethnicity": p.ethnicity,
            "sen_provision": p.sen_provision, "primary_need": p.primary_need, "first_language": p.first_language,
            "eal": p.eal, "fsm": p.fsm, "pupil_premium": p.pupil_premium, "looked_after": p.looked_after,
            "young_carer": p.young_carer, "service_child": p.service_child, "shared_with_mhst": p.shared_with_mhst,
            "left_on": _iso(p.left_on), **_meta(p),
        })
    return out


def _uuid_map(model, ids: Iterable[int]) -> dict[int, str]:
    ids = list(set(i for i in ids if i is not None))
    found: dict[int, str] = {}
    for start in range(0, len(ids), 900):  # SQLite's limit on bound parameters
        chunk = ids[start:start + 900]
        found.update(dict(model.select(model.id, model.uuid).where(model.id.in_(chunk)).tuples()))
    return found


def _all_uuids(model) -> dict[int, str]:
    return dict(model.select(model.id, model.uuid).tuples())


class _Builder:
    """Fills the tables for a set of pupils (or all), resolving ids to uuids once per table."""

    def __init__(self, pupil_filter: list[int] | None) -> None:
        self.pupil_filter = pupil_filter  # None = every pupil (and pupil-less records)
        self.pupil_uuid = _all_uuids(Pupil) if pupil_filter is None else _uuid_map(Pupil, pupil_filter)
        self.staff_uuid = _all_uuids(Staff)

    def _for_pupils(self, query, field):
        return query if self.pupil_filter is None else query.where(field.in_(self.pupil_filter))

    def build(self, tables: dict) -> None:
        plans = list(self._for_pupils(SupportPlan.select(), SupportPlan.pupil).order_by(SupportPlan.id))
        plan_uuid = {p.id: p.uuid for p in plans}
        tables["plans"] = [{
            "uuid": p.uuid, "pupil_uuid": self.pupil_uuid[p.pupil_id], "tier": p.tier,
            "presenting_needs": p.presenting_needs, "strategies": p.strategies,
            "people_involved": [c for c in p.people_involved.split(",") if c],
            "start_date": _iso(p.start_date), "review_date": _iso(p.review_date), "status": p.status,
            "closed_on": _iso(p.closed_on), "outcome": p.outcome, **_meta(p),
        } for p in plans]
        goals = list(Goal.select().where(Goal.plan.in_(list(plan_uuid))).order_by(Goal.id)) if plan_uuid else []
        goal_uuid = {g.id: g.uuid for g in goals}
        tables["goals"] = [{
            "uuid": g.uuid, "plan_uuid": plan_uuid[g.plan_id], "position": g.position, "description": g.description,
            **_meta(g),
        } for g in goals]
        sessions = list(self._session_query().order_by(SessionRow.date, SessionRow.id))
        session_uuid = {s.id: s.uuid for s in sessions}
        tables["sessions"] = [{
            "uuid": s.uuid, "pupil_uuid": self.pupil_uuid.get(s.pupil_id) if s.pupil_id else None,
            "date": _iso(s.date), "duration_minutes": s.duration_minutes, "staff_uuid": self.staff_uuid.get(s.staff_id),
            "function": s.function, "type": s.type, "mode": s.mode, "attendance": s.attendance, "note": s.note,
            **_meta(s),
        } for s in sessions]
        ratings = []
        goal_ids = list(goal_uuid)
        for start in range(0, len(goal_ids), 900):
            ratings.extend(GoalRating.select().where(GoalRating.goal.in_(goal_ids[start:start + 900])))
        extra_sessions = _uuid_map(SessionRow, [r.session_id for r in ratings if r.session_id not in session_uuid])
        tables["goal_ratings"] = [{
            "uuid": r.uuid, "goal_uuid": goal_uuid[r.goal_id],
            "session_uuid": session_uuid.get(r.session_id) or extra_sessions.get(r.session_id),
            "date": _iso(r.date), "rating": r.rating, **_meta(r),
        } for r in sorted(ratings, key=lambda r: r.id)]
        reviews = list(PlanReview.select().where(PlanReview.plan.in_(list(plan_uuid))).order_by(PlanReview.id)) if plan_uuid else []
        tables["plan_reviews"] = [{
            "uuid": r.uuid, "plan_uuid": plan_uuid[r.plan_id], "review_date": _iso(r.review_date), "notes": r.notes,
            "next_review_date": _iso(r.next_review_date), **_meta(r),
        } for r in reviews]
        tables["measures"], tables["measure_changes"] = self._measures(session_uuid)
        today = dt.date.today()
        referrals = list(self._for_pupils(Referral.select(), Referral.pupil).order_by(Referral.id))
        tables["referrals"] = [{
            "uuid": r.uuid, "pupil_uuid": self.pupil_uuid[r.pupil_id], "destination": r.destination,
            "sent_on": _iso(r.sent_on), "decision": r.decision, "decision_on": _iso(r.decision_on),
            "reason": r.reason, "next_step": r.next_step,
            "waiting_days": waiting_days(r.sent_on, r.decision_on, today), **_meta(r),
        } for r in referrals]
        referral_uuid = {r.id: r.uuid for r in referrals}
        ids = list(referral_uuid)
        decisions = []
        for start in range(0, len(ids), 900):  # SQLite's limit on bound parameters
            decisions.extend(ReferralDecision.select().where(ReferralDecision.referral.in_(ids[start:start + 900])))
        tables["referral_decisions"] = [{
            "uuid": d.uuid, "referral_uuid": referral_uuid[d.referral_id], "decision": d.decision,
            "decided_on": _iso(d.decided_on), "reason": d.reason, "next_step": d.next_step, **_meta(d),
        } for d in sorted(decisions, key=lambda d: (d.referral_id, d.decided_on, d.id))]
        gaps = gap.gap_map(self.pupil_filter)
        tables["gap"] = [
            {"pupil_uuid": self.pupil_uuid[pid], "since": _iso(since), "days_waiting": (today - since).days}
            for pid, since in sorted(gaps.items()) if pid in self.pupil_uuid
        ]
        self._liaison(tables)
        consultations = Consultation.select().order_by(Consultation.id)
        if self.pupil_filter is not None:
            consultations = consultations.where(Consultation.pupil.in_(self.pupil_filter))
        tables["consultations"] = [{
            "uuid": c.uuid, "date": _iso(c.date), "staff_advised": c.staff_advised, "topic": c.topic,
            "pupil_uuid": self.pupil_uuid.get(c.pupil_id) if c.pupil_id else None,
            "duration_minutes": c.duration_minutes, "by_staff_uuid": self.staff_uuid.get(c.by_staff_id),
            "function": 3, **_meta(c),
        } for c in consultations]

    def _session_query(self):
        query = SessionRow.select()
        if self.pupil_filter is not None:
            query = query.where(SessionRow.pupil.in_(self.pupil_filter))
        return query

    def _measures(self, session_uuid: dict[int, str]) -> tuple[list[dict], list[dict]]:
        rows = list(self._for_pupils(MeasureResult.select(), MeasureResult.pupil).order_by(MeasureResult.date, MeasureResult.id))
        dobs = dict(
            self._for_pupils(Pupil.select(Pupil.id, Pupil.dob), Pupil.id).tuples()
        )
        extra_sessions = _uuid_map(SessionRow, [m.session_id for m in rows if m.session_id and m.session_id not in session_uuid])
        out: list[dict] = []
        series: dict[tuple[int, str, str], list[tuple[MeasureResult, instruments.Scored]]] = {}
        for m in rows:
            values = json.loads(m.values_json)
            entry = {
                "uuid": m.uuid, "pupil_uuid": self.pupil_uuid[m.pupil_id],
                "session_uuid": (session_uuid.get(m.session_id) or extra_sessions.get(m.session_id)) if m.session_id else None,
                "date": _iso(m.date), "instrument": m.instrument, "rater": m.rater, "values": values, **_meta(m),
            }
            try:
                scored = instruments.score(m.instrument, m.rater, values, age=age_on(dobs.get(m.pupil_id), m.date))
            except Exception:  # a stored result an updated definition no longer accepts: keep what was saved
                entry.update(totals=None, headline=m.headline, band=m.band or None, scoring="as stored")
            else:
                entry.update(totals=scored.totals, headline=scored.headline, band=scored.band, scoring="computed")
                series.setdefault((m.pupil_id, scored.instrument_code, scored.rater), []).append((m, scored))
            out.append(entry)
        changes = []
        for (pupil_id, code, rater), items in series.items():
            if len(items) < 2:
                continue
            (first_row, first), (last_row, latest) = items[0], items[-1]
            change = instruments.classify_change(code, rater, first, latest)
            changes.append({
                "pupil_uuid": self.pupil_uuid[pupil_id], "instrument": code, "rater": rater,
                "first_measure_uuid": first_row.uuid, "latest_measure_uuid": last_row.uuid,
                "first_date": _iso(first_row.date), "latest_date": _iso(last_row.date),
                "first": change.first, "latest": change.latest, "delta": change.delta, "threshold": change.threshold,
                "higher_is_better": change.higher_is_better, "classification": change.classification,
            })
        return out, changes

    def _liaison(self, tables: dict) -> None:
        meetings = LiaisonMeeting.select().order_by(LiaisonMeeting.date, LiaisonMeeting.id)
        links = LiaisonPupil.select(LiaisonPupil.meeting, LiaisonPupil.pupil)
        if self.pupil_filter is not None:
            links = links.where(LiaisonPupil.pupil.in_(self.pupil_filter))
            meetings = meetings.where(LiaisonMeeting.id.in_(
                LiaisonPupil.select(LiaisonPupil.meeting).where(LiaisonPupil.pupil.in_(self.pupil_filter))
            ))
        linked: dict[int, list[str]] = {}
        for meeting_id, pupil_id in links.tuples():
            if pupil_id in self.pupil_uuid:
                linked.setdefault(meeting_id, []).append(self.pupil_uuid[pupil_id])
        meetings = list(meetings)
        tables["liaison_meetings"] = [{
            "uuid": m.uuid, "date": _iso(m.date), "type": m.type, "attendees": m.attendees,
            "discussion": m.discussion, "duration_minutes": m.duration_minutes, "function": 3,
            "pupil_uuids": linked.get(m.id, []), **_meta(m),
        } for m in meetings]
        meeting_uuid = {m.id: m.uuid for m in meetings}
        actions = LiaisonAction.select().where(LiaisonAction.meeting.in_(list(meeting_uuid))).order_by(LiaisonAction.id) if meeting_uuid else []
        tables["liaison_actions"] = [{
            "uuid": a.uuid, "meeting_uuid": meeting_uuid[a.meeting_id], "text": a.text, "owner": a.owner,
            "due_on": _iso(a.due_on), "done_on": _iso(a.done_on), **_meta(a),
        } for a in actions]


def _staff(query) -> list[dict]:
    """Accounts without any key material (key slots live in the key file, never exported)."""
    return [{
        "uuid": s.uuid, "username": s.username, "full_name": s.full_name, "role": s.role, "active": s.active,
        "last_login_at": _iso(s.last_login_at), **_meta(s),
    } for s in query.order_by(Staff.id)]


def _objectives() -> list[dict]:
    return [{
        "uuid": o.uuid, "principle": o.principle, "text": o.text, "owner": o.owner, "due_on": _iso(o.due_on),
        "rag": o.rag, **_meta(o),
    } for o in Objective.select().order_by(Objective.id)]


def _activities() -> list[dict]:
    principles: dict[int, list[str]] = {}
    for activity_id, code in ActivityPrinciple.select(ActivityPrinciple.activity, ActivityPrinciple.principle).order_by(ActivityPrinciple.id).tuples():
        principles.setdefault(activity_id, []).append(code)
    objective_uuid = _all_uuids(Objective)
    return [{
        "uuid": a.uuid, "title": a.title, "start_on": _iso(a.start_on), "end_on": _iso(a.end_on),
        "principles": principles.get(a.id, []), "category": a.category, "audience": a.audience,
        "reach_pupils": a.reach_pupils, "reach_staff": a.reach_staff, "reach_parents": a.reach_parents,
        "staff_minutes": a.staff_minutes, "led_by": a.led_by, "function": a.function, "notes": a.notes, "rag": a.rag,
        "objective_uuid": objective_uuid.get(a.objective_id) if a.objective_id else None, **_meta(a),
    } for a in Activity.select().order_by(Activity.id)]


def _code_lists() -> dict:
    """The code tables, so a reader can show names without SchoolMH."""
    return {
        "tiers": TIERS, "functions": {str(k): v for k, v in FUNCTIONS.items()},
        "national_function_share_percent": {str(k): v for k, v in NATIONAL_FUNCTION_SHARE.items()},
        "session_types": SESSION_TYPES, "session_modes": SESSION_MODES, "attendance": ATTENDANCE,
        "referral_destinations": REFERRAL_DESTINATIONS, "referral_decisions": REFERRAL_DECISIONS,
        "principles": PRINCIPLES, "rag": RAG, "led_by": LED_BY, "activity_categories": ACTIVITY_CATEGORIES,
        "liaison_types": LIAISON_TYPES, "plan_statuses": PLAN_STATUSES, "people_involved": PEOPLE_INVOLVED,
        "sen_provision": SEN_PROVISION,
        "instruments": {code: {"name": inst.name, "raters": list(inst.raters), "headline": inst.headline,
                               "higher_is_better": inst.higher_is_better, "source": inst.source}
                        for code, inst in instruments.INSTRUMENTS.items()},
    }


def _envelope(session: Session, scope: str) -> dict:
    s = settings.load()
    return {
        "format": FORMAT,
        "version": VERSION,
        "exported_at": _iso(utcnow()),
        "exported_by": {"uuid": session.actor.uuid, "username": session.actor.username, "role": session.actor.role},
        "software": f"SchoolMH {__version__}",
        "scope": scope,
        "school": {"name": s.school_name, "urn": s.school_urn, "local_authority": s.local_authority, "is_demo": s.is_demo},
        "code_lists": _code_lists(),
    }


def _audit_rows(query) -> list[dict]:
    return [{
        "seq": a.seq, "at": _iso(a.at), "actor": a.actor, "action": a.action, "object_type": a.object_type,
        "object_uuid": a.object_uuid, "detail": a.detail, "prev_hash": a.prev_hash, "hash": a.hash,
    } for a in query.order_by(AuditEntry.seq)]


def _referenced_uuids(tables: dict) -> set[str]:
    found: set[str] = set()
    for name in TABLES:
        found.update(row["uuid"] for row in tables.get(name, []))
    return found


def export_pupil(session: Session, pupil_uuid: str) -> dict:
    """A subject access export: everything SchoolMH holds about one pupil, audited.

    Liaison meetings that discussed the pupil are included whole; they may mention
    other pupils, so the lead reviews (and redacts) before disclosing (docs/EXPORT_FORMAT.md).
    """
    session.require(Action.EXPORT_PUPIL)
    pupil = Pupil.get_or_none(Pupil.uuid == str(pupil_uuid or ""))
    if pupil is None:
        raise NotFound("That pupil was not found.")
    data = _envelope(session, "pupil")
    tables: dict = {"pupils": _pupils(Pupil.select().where(Pupil.id == pupil.id))}
    _Builder([pupil.id]).build(tables)
    authors = {u for name in TABLES for row in tables.get(name, []) for u in (row.get("created_by"), row.get("updated_by"))}
    authors.update(row.get("staff_uuid") for row in tables["sessions"])
    authors.update(row.get("by_staff_uuid") for row in tables["consultations"])
    tables["staff"] = _staff(Staff.select().where(Staff.uuid.in_([u for u in authors if u])))
    tables["objectives"], tables["activities"] = [], []
    with session.transaction():
        session.audit("export.pupil", "pupil", pupil.uuid, _counts_detail(tables))
    tables["audit"] = _audit_rows(AuditEntry.select().where(AuditEntry.object_uuid.in_(list(_referenced_uuids(tables)))))
    data.update({name: tables[name] for name in (*TABLES, "measure_changes", "gap", "audit")})
    return data


def export_all(session: Session) -> dict:
    """Every record of every kind, with computed scores, for a successor system (lead only)."""
    session.require(Action.EXPORT_ALL)
    data = _envelope(session, "all")
    tables: dict = {"pupils": _pupils(Pupil.select()), "staff": _staff(Staff.select())}
    _Builder(None).build(tables)
    tables["objectives"] = _objectives()
    tables["activities"] = _activities()
    tables["settings"] = {k: v for k, v in settings.load().__dict__.items()}
    with session.transaction():
        session.audit("export.all", "vault", session.vault.keyfile.vault_id, _counts_detail(tables))
    tables["audit"] = _audit_rows(AuditEntry.select())
    data.update({name: tables[name] for name in (*TABLES, "measure_changes", "gap", "settings", "audit")})
    return data


def _counts_detail(tables: dict) -> str:
    return ",".join(f"{name}={len(tables.get(name, []))}" for name in TABLES)


def to_json_bytes(data: dict) -> bytes:
    """UTF-8 JSON, names kept readable (Zoë, not Zo\\u00eb), stable key order within each record."""
    return json.dumps(data, ensure_ascii=False, indent=1).encode("utf-8")


# -- CSV writing ---------------------------------------------------------------------------
def csv_cell(value) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "Y" if value else "N"
    if isinstance(value, (dt.date, dt.datetime)):
        return _iso(value)
    if isinstance(value, (int, float)):
        return str(value)  # a number is data, not a formula: -1 stays -1
    return csv_safe(str(value))


def csv_bytes(header: Sequence[str], rows: Iterable[Sequence]) -> bytes:
    """The one CSV writer: UTF-8 with BOM (so Excel shows accents), CRLF, every cell through csv_safe."""
    buffer = io.StringIO(newline="")
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerow([csv_cell(h) for h in header])
    for row in rows:
        writer.writerow([csv_cell(v) for v in row])
    return buffer.getvalue().encode("utf-8-sig")
