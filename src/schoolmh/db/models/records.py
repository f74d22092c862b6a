"""Domain records: pupils, plans, sessions, measures, referrals, whole school, liaison.

History is kept by adding dated rows (reviews, ratings, measure results), not by
overwriting. Codes (tier, function, principle …) are stable strings defined in
schoolmh.domain.codes; the database never stores display names.
"""
from __future__ import annotations

from peewee import (
    BooleanField,
    CharField,
    DateField,
    FloatField,
    ForeignKeyField,
    IntegerField,
    TextField,
)

from schoolmh.db.models.base import BaseModel
from schoolmh.db.models.core import Staff


class Pupil(BaseModel):
    upn = CharField(max_length=13, null=True, unique=True)
    legal_forename = CharField(default="")
    legal_surname = CharField(default="")
    preferred_forename = CharField(default="")
    preferred_surname = CharField(default="")
    dob = DateField(null=True)
    sex = CharField(max_length=16, default="")
    year_group = IntegerField(null=True)
    tutor_group = CharField(max_length=32, default="")
    ethnicity = CharField(max_length=8, default="")  # DfE main code
    sen_provision = CharField(max_length=1, default="N")  # E / K / N
    primary_need = CharField(max_length=8, default="")
    first_language = CharField(max_length=64, default="")
    eal = BooleanField(default=False)
    fsm = BooleanField(default=False)
    pupil_premium = BooleanField(default=False)
    looked_after = BooleanField(default=False)
    young_carer = BooleanField(default=False)
    service_child = BooleanField(default=False)
    shared_with_mhst = BooleanField(default=False, index=True)
    left_on = DateField(null=True, index=True)  # archived: left the school
    # casefolded, accent-stripped names, UPN and tutor group: "zoe" finds "Zoë"
    search_text = TextField(default="")


class SupportPlan(BaseModel):
    pupil = ForeignKeyField(Pupil, backref="plans", on_delete="CASCADE")
    presenting_needs = TextField(default="")
    strategies = TextField(default="")
    people_involved = TextField(default="")  # comma-separated codes: pupil, parent, staff, mhst, other
    tier = CharField(max_length=16)  # universal | targeted | mhst | specialist
    start_date = DateField()
    review_date = DateField(null=True, index=True)
    status = CharField(max_length=16, default="open", index=True)  # open | closed
    closed_on = DateField(null=True)
    outcome = TextField(default="")  # closing outcome


class Goal(BaseModel):
    plan = ForeignKeyField(SupportPlan, backref="goals", on_delete="CASCADE")
    position = IntegerField()  # 1..3
    description = TextField()


class PlanReview(BaseModel):
    plan = ForeignKeyField(SupportPlan, backref="reviews", on_delete="CASCADE")
    review_date = DateField()
    notes = TextField(default="")
    next_review_date = DateField(null=True)


class Session(BaseModel):
    """A contact. Function 1 sessions have a pupil; function 2/3 contacts may not."""

    pupil = ForeignKeyField(Pupil, backref="sessions", null=True, on_delete="CASCADE")
    date = DateField(index=True)
    duration_minutes = IntegerField(default=30)
    staff = ForeignKeyField(Staff, backref="sessions")
    function = IntegerField(default=1)  # 1 direct, 2 whole school, 3 advice and liaison
    type = CharField(max_length=16, default="one_to_one")  # one_to_one | group | parent | consultation
    mode = CharField(max_length=16, default="in_person")  # in_person | video | phone | group
    attendance = CharField(max_length=24, default="attended")
    note = TextField(default="")


class GoalRating(BaseModel):
    goal = ForeignKeyField(Goal, backref="ratings", on_delete="CASCADE")
    session = ForeignKeyField(Session, backref="goal_ratings", null=True, on_delete="CASCADE")
    date = DateField()
    rating = IntegerField()  # 0..10


class MeasureResult(BaseModel):
    pupil = ForeignKeyField(Pupil, backref="measures", on_delete="CASCADE")
    session = ForeignKeyField(Session, backref="measures", null=True, on_delete="SET NULL")
    date = DateField(index=True)
    instrument = CharField(max_length=16, index=True)
    rater = CharField(max_length=16)
    values_json = TextField()  # {field code: score}; scores only, never item wording
    headline = FloatField()  # cached from the instrument definition at save time
    band = CharField(max_length=32, default="")


class Referral(BaseModel):
    """What the referral was sent for (reason, next step: never overwritten by a decision).

    `decision`/`decision_on` mirror the latest ReferralDecision (or "pending"/None when
    there is none); services.referrals writes both in one transaction so lists and
    figures can filter on the current outcome without reading the history.
    """

    pupil = ForeignKeyField(Pupil, backref="referrals", on_delete="CASCADE")
    destination = CharField(max_length=24)  # mhst | camhs | early_help | school_nurse | ed_psych | voluntary | gp | other
    sent_on = DateField(index=True)
    decision = CharField(max_length=16, default="pending")  # pending | accepted | not_accepted | signposted | withdrawn
    decision_on = DateField(null=True)
    reason = TextField(default="")  # why the school referred
    next_step = TextField(default="")  # what the school planned when it referred


class ReferralDecision(BaseModel):
    """One dated answer from the service (or the school withdrawing it): history, never overwritten."""

    referral = ForeignKeyField(Referral, backref="decisions", on_delete="CASCADE")
    decision = CharField(max_length=16)  # accepted | not_accepted | signposted | withdrawn
    decided_on = DateField(index=True)
    reason = TextField(default="")  # e.g. "above remit", "below threshold"
    next_step = TextField(default="")


class Objective(BaseModel):
    """The school's action plan: objectives per principle."""

    principle = CharField(max_length=16, index=True)
    text = TextField()
    owner = CharField(default="")
    due_on = DateField(null=True)
    rag = CharField(max_length=8, default="amber")  # red | amber | green


class Activity(BaseModel):
    title = CharField()
    start_on = DateField(index=True)
    end_on = DateField(null=True)
    category = CharField(max_length=24, default="other")  # e.g. assembly, workshop, staff_training, voice, parents, other
    audience = TextField(default="")  # e.g. "Years 7-9", "staff", "parents"
    reach_pupils = IntegerField(default=0)
    reach_staff = IntegerField(default=0)
    reach_parents = IntegerField(default=0)
    staff_minutes = IntegerField(default=0)  # staff time, counted as function 2 (domain/staff_time.py)
    led_by = CharField(max_length=16, default="school")  # school | mhst | external
    function = IntegerField(default=2)
    notes = TextField(default="")
    rag = CharField(max_length=8, default="green")
    objective = ForeignKeyField(Objective, backref="activities", null=True, on_delete="SET NULL")


class ActivityPrinciple(BaseModel):
    activity = ForeignKeyField(Activity, backref="principle_links", on_delete="CASCADE")
    principle = CharField(max_length=16, index=True)


class LiaisonMeeting(BaseModel):
    date = DateField(index=True)
    type = CharField(max_length=24, default="planning")  # supervision | case_discussion | planning
    attendees = TextField(default="")
    discussion = TextField(default="")
    duration_minutes = IntegerField(default=60)


class LiaisonPupil(BaseModel):
    meeting = ForeignKeyField(LiaisonMeeting, backref="pupil_links", on_delete="CASCADE")
    pupil = ForeignKeyField(Pupil, backref="liaison_links", on_delete="CASCADE")


class LiaisonAction(BaseModel):
    meeting = ForeignKeyField(LiaisonMeeting, backref="actions", on_delete="CASCADE")
    text = TextField()
    owner = CharField(default="")
    due_on = DateField(null=True)
    done_on = DateField(null=True, index=True)


class Consultation(BaseModel):
    """Function 3: advice to a member of staff."""

    date = DateField(index=True)
    staff_advised = CharField()
    topic = TextField()
    pupil = ForeignKeyField(Pupil, backref="consultations", null=True, on_delete="CASCADE")
    duration_minutes = IntegerField(default=20)
    by_staff = ForeignKeyField(Staff, backref="consultations")


MODELS = [
    Pupil,
    SupportPlan,
    Goal,
    PlanReview,
    Session,
    GoalRating,
    MeasureResult,
    Referral,
    ReferralDecision,
    Objective,
    Activity,
    ActivityPrinciple,
    LiaisonMeeting,
    LiaisonPupil,
    LiaisonAction,
    Consultation,
]
