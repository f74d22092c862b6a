"""Support plans (goals, reviews, closure, due list) and sessions (one call, one transaction, notes hidden
from the head), plus the sessions CSV import. All names fictional."""
from __future__ import annotations

import datetime as dt

import pytest

from support import LEAD_PASSWORD, add_staff
from schoolmh import cli
from schoolmh.db.models import AuditEntry
from schoolmh.db.models.records import GoalRating, MeasureResult, Session as SessionRow
from schoolmh.domain.upn import make_upn
from schoolmh.errors import NotFound, ValidationError, ValidationErrors
from schoolmh.services import access, plans, pupils, records_import, sessions
from schoolmh.services.pupil_import import FileRejected

TODAY = dt.date.today()


def days_ago(n: int) -> dt.date:
    return TODAY - dt.timedelta(days=n)


def new_pupil(session, n=1, **extra):
    return pupils.create_pupil(session, legal_forename="Priya", legal_surname=f"Sharma{n}", year_group=9,
                               upn=make_upn(n), **extra)


def sdq(e, c, h, p, pro=7):
    return {"emotional": e, "conduct": c, "hyperactivity": h, "peer": p, "prosocial": pro}


# --- plans ----------------------------------------------------------------------------------------------
def test_plan_lifecycle(lead_session):
    p = new_pupil(lead_session)
    plan = plans.create_plan(lead_session, p.uuid, "mhst", "low mood", ["Sleep better", "Go to lessons"],
                             strategies="CBT", people_involved=["pupil", "parent", "mhst"],
                             start_date=days_ago(60), review_date=days_ago(1))
    assert (plan.tier, plan.status, plan.people_involved) == ("mhst", "open", ("pupil", "parent", "mhst"))
    assert [g.description for g in plan.goals] == ["Sleep better", "Go to lessons"]
    assert plan.due_for_review and plan.pupil_name == "Priya Sharma1"
    assert [d.uuid for d in plans.plans_due_for_review(lead_session)] == [plan.uuid]
    assert pupils.list_pupils(lead_session)[0].open_plan_tier == "mhst"

    with pytest.raises(ValidationError, match="already has an open support plan"):
        plans.create_plan(lead_session, p.uuid, "targeted")

    reviewed = plans.add_review(lead_session, plan.uuid, TODAY, "Going well", days_ago(-42))
    assert reviewed.review_date == days_ago(-42) and not reviewed.due_for_review
    assert [(r.review_date, r.notes) for r in reviewed.reviews] == [(TODAY, "Going well")]
    assert plans.plans_due_for_review(lead_session) == []
    assert [d.uuid for d in plans.plans_due_for_review(lead_session, on=days_ago(-50))] == [plan.uuid]

    updated = plans.update_plan(lead_session, plan.uuid, tier="targeted", strategies="CBT and check-ins")
    assert updated.tier == "targeted"
    closed = plans.close_plan(lead_session, plan.uuid, TODAY, "Goals met")
    assert (closed.status, closed.closed_on, closed.outcome) == ("closed", TODAY, "Goals met")
    assert plans.current_plan(lead_session, p.uuid) is None
    assert plans.plans_due_for_review(lead_session, on=days_ago(-50)) == []
    second = plans.create_plan(lead_session, p.uuid, "universal")
    assert [x.uuid for x in plans.list_plans(lead_session, p.uuid)] == [second.uuid, plan.uuid]
    with pytest.raises(ValidationError, match="another open plan"):
        plans.reopen_plan(lead_session, plan.uuid)
    assert [a for (a,) in AuditEntry.select(AuditEntry.action).where(AuditEntry.action.startswith("plan.")).tuples()] \
        == ["plan.create", "plan.review", "plan.update", "plan.close", "plan.create"]


@pytest.mark.parametrize("kwargs, field", [
    (dict(tier="intensive"), "tier"),
    (dict(tier="mhst", goals=["a", "b", "c", "d"]), "goals"),
    (dict(tier="mhst", people_involved=["neighbour"]), "people_involved"),
    (dict(tier="mhst", start_date=days_ago(-1)), "start_date"),
    (dict(tier="mhst", start_date=days_ago(5), review_date=days_ago(10)), "review_date"),
])
def test_plan_validation(lead_session, kwargs, field):
    p = new_pupil(lead_session)
    with pytest.raises(ValidationError) as info:
        plans.create_plan(lead_session, p.uuid, **kwargs)
    fields = [pr.field for pr in info.value.problems] if isinstance(info.value, ValidationErrors) else [info.value.field]
    assert field in fields
    assert plans.list_plans(lead_session, p.uuid) == []


def test_goals_keep_ratings_and_cannot_lose_them(lead_session):
    p = new_pupil(lead_session)
    plan = plans.create_plan(lead_session, p.uuid, "targeted", goals=["Feel calmer", "Sleep"], start_date=days_ago(30))
    g1, g2 = plan.goals
    sessions.record_session(lead_session, p.uuid, date=days_ago(20), goal_ratings={g1.uuid: 2, g2.uuid: 5})
    sessions.record_session(lead_session, p.uuid, date=days_ago(2), goal_ratings={g1.uuid: 7})
    plan = plans.get_plan(lead_session, plan.uuid)
    first = plan.goals[0]
    assert (first.ratings, first.first_rating, first.latest_rating, first.change) == (2, 2, 7, 5)
    assert (first.first_rated_on, first.latest_rated_on) == (days_ago(20), days_ago(2))
    assert plan.goals[1].change is None
    plan = plans.set_goals(lead_session, plan.uuid, ["Feel calmer in class", "Sleep", "See friends"])
    assert [g.description for g in plan.goals] == ["Feel calmer in class", "Sleep", "See friends"]
    assert plan.goals[0].uuid == g1.uuid and plan.goals[0].ratings == 2
    with pytest.raises(ValidationError, match="Goal 2 has ratings"):
        plans.set_goals(lead_session, plan.uuid, ["Feel calmer in class"])
    assert len(plans.set_goals(lead_session, plan.uuid, ["Feel calmer in class", "Sleep"]).goals) == 2


# --- sessions -------------------------------------------------------------------------------------------
def test_record_session_with_defaults(lead_session):
    p = new_pupil(lead_session)
    info = sessions.record_session(lead_session, p.uuid, note="Talked about exams")
    assert (info.date, info.duration_minutes, info.mode, info.attendance, info.function, info.type) == (
        TODAY, 30, "in_person", "attended", 1, "one_to_one")
    assert info.staff_uuid == lead_session.actor.uuid and info.staff_name == "Alex Lead"
    assert info.note == "Talked about exams" and not info.note_hidden
    defaults = sessions.quick_session_defaults(lead_session)
    assert defaults["date"] == TODAY and defaults["staff_uuid"] == lead_session.actor.uuid
    entry = AuditEntry.select().where(AuditEntry.action == "session.create").get()
    assert entry.object_uuid == info.uuid and "Talked" not in entry.detail


@pytest.mark.parametrize("kwargs, field", [
    (dict(function=1, pupil=False), "pupil"),
    (dict(duration_minutes=0), "duration_minutes"),
    (dict(duration_minutes=601), "duration_minutes"),
    (dict(function=4), "function"),
    (dict(type="walk"), "type"),
    (dict(mode="carrier pigeon"), "mode"),
    (dict(attendance="late"), "attendance"),
    (dict(date=days_ago(-1)), "date"),
    (dict(note="x" * 5001), "note"),
    (dict(staff_uuid="f" * 32), "staff"),
])
def test_session_validation(lead_session, kwargs, field):
    p = new_pupil(lead_session)
    with_pupil = kwargs.pop("pupil", True)
    with pytest.raises(ValidationError) as info:
        sessions.record_session(lead_session, p.uuid if with_pupil else None, **kwargs)
    fields = [pr.field for pr in info.value.problems] if isinstance(info.value, ValidationErrors) else [info.value.field]
    assert field in fields
    assert SessionRow.select().count() == 0


def test_contact_without_pupil_and_display_names_accepted(lead_session):
    info = sessions.record_session(lead_session, None, function=3, type="consultation", mode="Phone",
                                   attendance="Did not attend", duration_minutes="15")
    assert (info.pupil_uuid, info.function, info.mode, info.attendance, info.duration_minutes) == (
        None, 3, "phone", "dna", 15)


def test_session_ratings_and_measures_are_one_transaction(lead_session):
    p = new_pupil(lead_session, dob=dt.date(2010, 5, 5))
    plan = plans.create_plan(lead_session, p.uuid, "mhst", goals=["Worry less"])
    goal = plan.goals[0].uuid
    with pytest.raises(ValidationError) as info:  # the second measure is bad: nothing at all is saved
        sessions.record_session(lead_session, p.uuid, goal_ratings={goal: 4},
                                measures=[("SDQ", "self", sdq(5, 2, 3, 1)), ("SDQ", "self", sdq(11, 2, 3, 1))])
    assert info.value.field == "measure2.emotional" and "out of range" in info.value.message
    assert (SessionRow.select().count(), GoalRating.select().count(), MeasureResult.select().count()) == (0, 0, 0)
    with pytest.raises(ValidationError, match="rate it from 0 to 10"):
        sessions.record_session(lead_session, p.uuid, goal_ratings={goal: 11})
    with pytest.raises(ValidationError, match="attended"):
        sessions.record_session(lead_session, p.uuid, attendance="dna", goal_ratings={goal: 4})
    other = new_pupil(lead_session, 2)
    with pytest.raises(ValidationError, match="not one of this pupil's goals"):
        sessions.record_session(lead_session, other.uuid, goal_ratings={goal: 4})
    info = sessions.record_session(lead_session, p.uuid, goal_ratings={goal: 4},
                                   measures=[("SDQ", "self", sdq(5, 2, 3, 1)), ("GBO", "self", {"goal1": 4})])
    assert info.goal_ratings == ((goal, 4),) and len(info.measure_uuids) == 2
    assert MeasureResult.select().where(MeasureResult.session.is_null(False)).count() == 2


def test_update_and_delete_session(lead_session):
    p = new_pupil(lead_session)
    goal = plans.create_plan(lead_session, p.uuid, "targeted", goals=["Calm"], start_date=days_ago(9)).goals[0].uuid
    info = sessions.record_session(lead_session, p.uuid, goal_ratings={goal: 5},
                                   measures=[("GBO", "self", {"goal1": 5})])
    changed = sessions.update_session(lead_session, info.uuid, duration_minutes=45, date=days_ago(3), note="Better")
    assert (changed.duration_minutes, changed.date, changed.note) == (45, days_ago(3), "Better")
    assert GoalRating.get().date == days_ago(3)
    with pytest.raises(ValidationError, match="must stay 'attended'"):
        sessions.update_session(lead_session, info.uuid, attendance="dna")
    with pytest.raises(ValidationError):
        sessions.update_session(lead_session, info.uuid, pupil_uuid="x")
    sessions.delete_session(lead_session, info.uuid)
    assert SessionRow.select().count() == 0 and GoalRating.select().count() == 0
    assert MeasureResult.select().count() == 1  # the measure stays, unlinked
    with pytest.raises(NotFound):
        sessions.get_session(lead_session, info.uuid)
    detail = [d for (d,) in AuditEntry.select(AuditEntry.detail).where(AuditEntry.action == "session.update").tuples()]
    assert detail == ["fields=date,duration_minutes,note"]


def test_head_sees_sessions_but_not_notes(lead_session, sign_in_as):
    p = new_pupil(lead_session)
    sessions.record_session(lead_session, p.uuid, note="Private worries")
    sessions.record_session(lead_session, None, function=2, type="group", note="Assembly prep",
                            date=days_ago(40))
    head = sign_in_as("head")
    listed = sessions.list_sessions(head)
    assert len(listed) == 2 and all(s.note == "" and s.note_hidden for s in listed)
    assert len(sessions.list_sessions(head, start=days_ago(10))) == 1
    assert len(sessions.list_sessions(head, pupil_uuid=p.uuid, end=days_ago(10))) == 0
    with pytest.raises(Exception, match="cannot record sessions"):
        sessions.record_session(head, p.uuid)


def test_mhst_sees_sessions_of_shared_pupils_only(lead_session, sign_in_as):
    shared, private = new_pupil(lead_session, 1), new_pupil(lead_session, 2)
    pupils.share_with_mhst(lead_session, shared.uuid, True)
    s1 = sessions.record_session(lead_session, shared.uuid, note="ok")
    s2 = sessions.record_session(lead_session, private.uuid, note="not for the MHST")
    mhst = sign_in_as("mhst")
    assert [s.uuid for s in sessions.list_sessions(mhst)] == [s1.uuid]
    assert sessions.list_sessions(mhst)[0].note == "ok"
    with pytest.raises(NotFound):
        sessions.get_session(mhst, s2.uuid)
    with pytest.raises(NotFound):
        sessions.record_session(mhst, private.uuid)
    assert sessions.record_session(mhst, shared.uuid).staff_name == "Mhst1"


# --- sessions CSV import ------------------------------------------------------------------------------------
SESSION_HEADER = "upn,date,duration_minutes,function,type,mode,attendance,staff_username,note\n"


def test_sessions_csv_import_all_or_nothing_and_idempotent(lead_session, tmp_path):
    new_pupil(lead_session, 1)
    add_staff(lead_session, "pat", "pastoral", "Pat Mentor")
    f = tmp_path / "s.csv"
    f.write_text(SESSION_HEADER
                 + f"{make_upn(1)},03/02/2025,45,1,one_to_one,video,attended,pat,Exam worries\n"
                 + ",2025-02-04,60,2,group,in_person,attended,,Staff training\n"
                 + f"{make_upn(1)},05/02/2025,,,,,dna,,\n", encoding="utf-8")
    summary = records_import.import_sessions_csv(lead_session, f, dry_run=True)
    assert (summary.imported, summary.already_recorded) == (3, 0) and SessionRow.select().count() == 0
    summary = records_import.import_sessions_csv(lead_session, f)
    assert summary.line("sessions") == "imported 3 sessions, 0 already recorded (of 3 rows)."
    listed = sorted(sessions.list_sessions(lead_session), key=lambda s: s.date)
    assert [(s.date, s.duration_minutes, s.function, s.mode, s.attendance, s.staff_name) for s in listed] == [
        (dt.date(2025, 2, 3), 45, 1, "video", "attended", "Pat Mentor"),
        (dt.date(2025, 2, 4), 60, 2, "in_person", "attended", "Alex Lead"),
        (dt.date(2025, 2, 5), 30, 1, "in_person", "dna", "Alex Lead"),
    ]
    again = records_import.import_sessions_csv(lead_session, f)
    assert (again.imported, again.already_recorded) == (0, 3) and SessionRow.select().count() == 3

    bad = tmp_path / "bad.csv"
    bad.write_text(SESSION_HEADER
                   + f"{make_upn(1)},06/02/2025,45,1,one_to_one,video,attended,pat,fine\n"
                   + f"{make_upn(2)},07/02/2025,0,1,one_to_one,video,attended,nobody,\n"
                   + ",08/02/2099,30,1,,,,,\n", encoding="utf-8")
    with pytest.raises(FileRejected) as info:
        records_import.import_sessions_csv(lead_session, bad)
    text = info.value.message
    for expected in ("row 3, column duration_minutes:", "row 3, column upn: no pupil with UPN",
                     "row 3, column staff_username: no SchoolMH user", "row 4, column date:",
                     "row 4, column upn: direct support"):
        assert expected in text, text
    assert SessionRow.select().count() == 3

    extra = tmp_path / "extra.csv"
    extra.write_text("upn,date,mood\n", encoding="utf-8")
    with pytest.raises(FileRejected, match="row 1, column mood: not a column of a sessions file"):
        records_import.import_sessions_csv(lead_session, extra)


def test_cli_import_sessions(recovery_key, vault_dir, tmp_path, capsys, monkeypatch):
    monkeypatch.setenv("SCHOOLMH_PASSWORD", LEAD_PASSWORD)
    s = access.sign_in(vault_dir, None, LEAD_PASSWORD)
    new_pupil(s, 1)
    s.close()
    f = tmp_path / "s.csv"
    f.write_text(SESSION_HEADER + f"{make_upn(1)},03/02/2025,45,1,one_to_one,video,attended,,\n", encoding="cp1252")
    assert cli.main(["import", "sessions", str(f), "--data-dir", str(vault_dir), "--dry-run"]) == 0
    assert capsys.readouterr().out.startswith("Dry run (nothing written): would import 1 sessions")
    assert cli.main(["import", "sessions", str(f), "--data-dir", str(vault_dir)]) == 0
    f.write_text(SESSION_HEADER + "X,03/02/2025,45,1,one_to_one,video,attended,,\n", encoding="utf-8")
    assert cli.main(["import", "sessions", str(f), "--data-dir", str(vault_dir)]) == 2
    err = capsys.readouterr().err
    assert "row 2, column upn: UPN should be 13 characters long" in err
    s = access.sign_in(vault_dir, None, LEAD_PASSWORD)
    assert len(sessions.list_sessions(s)) == 1
    s.close()
