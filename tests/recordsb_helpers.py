"""Shared set-up for the records-B tests: a vault per module and a pupil with every kind of record.

Everything goes through the services, as the app does.
"""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from support import LEAD_PASSWORD, add_staff
from schoolmh.db.connection import database_proxy
from schoolmh.domain.upn import make_upn
from schoolmh.services import access, activities, liaison, measures, plans, pupils, referrals, sessions

TODAY = dt.date(2026, 11, 23)  # a fixed "today" (autumn term 2026) so day counts are exact


def open_vault(folder, *, extra_staff: tuple[tuple[str, str], ...] = ()):
    """A new vault with the lead signed in and today fixed; extra (username, role) accounts added."""
    setup = access.init_school(folder, "Oakfield Academy", "lead", "Alex Lead", LEAD_PASSWORD)
    for username, role in extra_staff:
        add_staff(setup.session, username, role)
    return fix_today(setup.session)


def fix_today(session):
    session.today = lambda: TODAY
    return session


def point_models_at(session) -> None:
    """Signing in another account re-points the model proxy; this points it back."""
    database_proxy.initialize(session.db)


@dataclass
class FullRecord:
    pupil: str
    plan: str
    goals: tuple[str, ...]
    sessions: tuple[str, ...]
    measures: tuple[str, ...]
    referrals: tuple[str, ...]
    meeting: str
    action: str
    consultation: str


def full_record(session, surname: str, n: int, *, forename: str = "Zoë") -> FullRecord:
    """One pupil with a plan (2 goals, a review), 3 sessions (ratings, a measure), SDQ x2,
    two refused referrals (in the gap), a liaison meeting with an action, and a consultation."""
    pupil = pupils.create_pupil(
        session, upn=make_upn(n), legal_forename=forename, legal_surname=surname, dob=dt.date(2012, 5, 17),
        year_group=9, sex="F", ethnicity="WBRI", fsm=True,
    ).uuid
    plan = plans.create_plan(
        session, pupil, "mhst", presenting_needs="Worry about school", goals=["Sleep better", "Join a club"],
        strategies="CBT", people_involved=["pupil", "parent"], start_date=dt.date(2026, 9, 7),
        review_date=dt.date(2026, 10, 5),
    )
    goals = tuple(g.uuid for g in plan.goals)
    plans.add_review(session, plan.uuid, dt.date(2026, 10, 5), "Going well", dt.date(2026, 11, 2))
    s1 = sessions.record_session(
        session, pupil, date=dt.date(2026, 9, 14), duration_minutes=45, note="First session",
        goal_ratings={goals[0]: 2, goals[1]: 3},
        measures=[("SDQ", "self", {"emotional": 8, "conduct": 3, "hyperactivity": 5, "peer": 4, "prosocial": 7})],
    ).uuid
    s2 = sessions.record_session(session, pupil, date=dt.date(2026, 10, 12), attendance="dna").uuid
    s3 = sessions.record_session(session, pupil, date=dt.date(2026, 11, 9), goal_ratings={goals[0]: 6}).uuid
    m2 = measures.record_measure(
        session, pupil, "SDQ", "self", {"emotional": 4, "conduct": 2, "hyperactivity": 4, "peer": 2, "prosocial": 8},
        date=dt.date(2026, 11, 9),
    ).uuid
    first_measure = sessions.get_session(session, s1).measure_uuids[0]
    r1 = referrals.create_referral(session, pupil, "mhst", dt.date(2026, 9, 1), reason="anxiety")
    referrals.record_decision(session, r1.uuid, "not_accepted", dt.date(2026, 9, 8), reason="above remit")
    r2 = referrals.create_referral(session, pupil, "camhs", dt.date(2026, 9, 10))
    referrals.record_decision(session, r2.uuid, "not_accepted", dt.date(2026, 10, 1), reason="below threshold")
    meeting = liaison.create_meeting(
        session, date=dt.date(2026, 10, 20), type="case_discussion", attendees="EMHP, lead",
        discussion="Discussed next steps", duration_minutes=30, pupil_uuids=[pupil],
        actions=[("Call parent", "Lead", dt.date(2026, 10, 27))],
    )
    consultation = liaison.create_consultation(
        session, date=dt.date(2026, 10, 21), staff_advised="Form tutor", topic="Exam worry", pupil_uuid=pupil,
    )
    return FullRecord(
        pupil, plan.uuid, goals, (s1, s2, s3), (first_measure, m2), (r1.uuid, r2.uuid), meeting.uuid,
        meeting.actions[0].uuid, consultation.uuid,
    )


def an_activity(session):
    return activities.create_activity(
        session, title="Kindness week", start_on=dt.date(2026, 10, 5), end_on=dt.date(2026, 10, 9),
        principles=["ethos", "voice"], category="assembly", reach_pupils=600, reach_staff=40,
    )
