"""Whole-school activities, the action plan and its coverage; liaison notes, actions and consultations."""
from __future__ import annotations

import datetime as dt

import pytest

from recordsb_helpers import TODAY, fix_today, open_vault
from support import LEAD_PASSWORD, STAFF_PASSWORD
from schoolmh.db.connection import database_proxy
from schoolmh.domain.codes import PRINCIPLES
from schoolmh.errors import NotFound, ValidationErrors
from schoolmh.services import access, activities, liaison, pupils


@pytest.fixture(scope="module")
def vault(tmp_path_factory):
    folder = tmp_path_factory.mktemp("vault")
    open_vault(folder, extra_staff=(("emhp", "mhst"),)).close()
    return folder


@pytest.fixture(scope="module")
def lead(vault):
    session = fix_today(access.sign_in(vault, "lead", LEAD_PASSWORD))
    yield session
    session.close()


def new_pupil(session, surname: str, shared: bool = False) -> str:
    uuid = pupils.create_pupil(session, legal_forename="Siân", legal_surname=surname, year_group=8).uuid
    if shared:
        pupils.share_with_mhst(session, uuid, True)
    return uuid


def test_activity_create_update_delete_and_range(lead):
    a = activities.create_activity(
        lead, title="Wellbeing assembly", start_on=dt.date(2026, 10, 1), principles="ethos; voice",
        category="assembly", reach_pupils=180, reach_staff=12,
    )
    assert a.principles == ("ethos", "voice") and a.function == 2 and a.rag == "green"
    a = activities.update_activity(lead, a.uuid, principles=["curriculum"], rag="amber", end_on=dt.date(2026, 10, 3))
    assert a.principles == ("curriculum",) and a.rag == "amber" and a.title == "Wellbeing assembly"
    in_autumn = activities.list_activities(lead, dt.date(2026, 10, 2), dt.date(2026, 12, 31))
    assert a.uuid in [x.uuid for x in in_autumn]  # overlaps
    assert a.uuid not in [x.uuid for x in activities.list_activities(lead, dt.date(2026, 10, 4), None)]
    activities.delete_activity(lead, a.uuid)
    with pytest.raises(NotFound):
        activities.get_activity(lead, a.uuid)


@pytest.mark.parametrize(
    "changes, field",
    [
        ({"principles": []}, "principles"),
        ({"principles": "kindness"}, "principles"),
        ({"reach_pupils": -1}, "reach_pupils"),
        ({"reach_staff": "lots"}, "reach_staff"),
        ({"title": " "}, "title"),
        ({"end_on": dt.date(2026, 1, 1)}, "end_on"),
        ({"rag": "purple"}, "rag"),
        ({"led_by": "aliens"}, "led_by"),
        ({"objective_uuid": "missing"}, "objective_uuid"),
    ],
)
def test_activity_validation_names_the_field(lead, changes, field):
    values = dict(title="Parent café", start_on=dt.date(2026, 2, 1), principles=["parents"])
    values.update(changes)
    before = len(activities.list_activities(lead))
    with pytest.raises(ValidationErrors) as err:
        activities.create_activity(lead, **values)
    assert field in [p.field for p in err.value.problems]
    assert len(activities.list_activities(lead)) == before


def test_coverage_includes_empty_principles_and_worst_rag(lead):
    obj = activities.create_objective(lead, principle="staff_dev", text="Train all tutors", owner="Deputy head", rag="green")
    activities.create_objective(lead, principle="staff_dev", text="Supervision for ELSAs", rag="red")
    activities.create_activity(
        lead, title="Tutor training", start_on=dt.date(2026, 3, 2), principles=["staff_dev", "identify"],
        category="staff_training", reach_staff=40, objective_uuid=obj.uuid,
    )
    activities.create_activity(lead, title="Screening", start_on=dt.date(2026, 3, 9), principles=["identify"], reach_pupils=150)
    cov = activities.coverage(lead, dt.date(2026, 1, 1), dt.date(2026, 3, 31))
    assert list(cov) == list(PRINCIPLES)
    assert cov["staff_dev"].activities == 1 and cov["staff_dev"].reach_staff == 40 and cov["staff_dev"].worst_rag == "red"
    assert cov["identify"].activities == 2 and cov["identify"].reach_pupils == 150 and cov["identify"].worst_rag is None
    assert cov["leadership"].activities == 0 and cov["leadership"].objectives == 0
    updated = activities.update_objective(lead, obj.uuid, rag="amber")
    assert updated.rag == "amber" and updated.owner == "Deputy head"
    assert [o.principle for o in activities.list_objectives(lead, "staff_dev")] == ["staff_dev", "staff_dev"]


def test_import_activities_all_or_nothing(lead):
    good = (
        "title,start_on,end_on,principles,category,audience,reach_pupils,reach_staff,reach_parents,led_by,rag,notes\n"
        "Year 7 drop-in,01/10/2025,,targeted;parents,workshop,Year 7,30,2,10,MHST,green,\n"
        "=HYPERLINK(\"x\"),2025-11-05,2025-11-06,Student voice,voice,School council,12,,,school,Amber,ok\n"
    ).encode("utf-8")
    before = len(activities.list_activities(lead))
    bad = good + b"Broken,31/02/2025,,voice,,,x,,,,,\n"
    result = activities.import_activities(lead, bad)
    assert not result.ok and len(activities.list_activities(lead)) == before
    messages = [str(e) for e in result.errors]
    assert any(m.startswith("row 4, column start_on:") for m in messages)
    assert any(m.startswith("row 4, column reach_pupils:") for m in messages)
    assert activities.import_activities(lead, good, dry_run=True).added == 2
    assert len(activities.list_activities(lead)) == before
    result = activities.import_activities(lead, good)
    assert result.ok and result.added == 2
    rows = {a.title: a for a in activities.list_activities(lead, dt.date(2025, 9, 1), dt.date(2025, 12, 31))}
    assert rows["Year 7 drop-in"].led_by == "mhst" and rows["Year 7 drop-in"].principles == ("targeted", "parents")
    assert rows['=HYPERLINK("x")'].principles == ("voice",) and rows['=HYPERLINK("x")'].rag == "amber"
    assert not activities.import_activities(lead, b"\xff\xfe\x00garbage").ok
    assert not activities.import_activities(lead, b"").ok
    assert [str(e) for e in activities.import_activities(lead, b"title,when\n").errors][0].startswith("row 1, column when:")


def test_meeting_actions_stay_open_until_done(lead):
    pupil = new_pupil(lead, "Kowalski")
    m = liaison.create_meeting(
        lead, date=dt.date(2026, 11, 2), type="case_discussion", attendees="EMHP, SENCo", discussion="Cases",
        pupil_uuids=[pupil], actions=[("Call parent", "SENCo", dt.date(2026, 11, 9)), liaison.NewAction("Book room")],
    )
    assert m.pupil_uuids == (pupil,) and len(m.actions) == 2
    extra = liaison.add_action(lead, m.uuid, "Send leaflet", "EMHP", dt.date(2026, 11, 30))
    open_now = [a.uuid for a in liaison.open_actions(lead)]
    assert open_now == [m.actions[0].uuid, extra.uuid, m.actions[1].uuid]  # by due date, undated last
    assert m.actions[0].overdue(TODAY)
    with pytest.raises(ValidationErrors):
        liaison.mark_action_done(lead, extra.uuid, dt.date(2026, 11, 1))  # before the meeting
    liaison.mark_action_done(lead, m.actions[0].uuid, dt.date(2026, 11, 8))
    assert m.actions[0].uuid not in [a.uuid for a in liaison.open_actions(lead)]
    updated = liaison.update_meeting(lead, m.uuid, discussion="Cases reviewed", pupil_uuids=[])
    assert updated.pupil_uuids == () and updated.discussion == "Cases reviewed"
    assert [x.uuid for x in liaison.list_meetings(lead, dt.date(2026, 11, 1), dt.date(2026, 11, 30))] == [m.uuid]
    with pytest.raises(ValidationErrors):
        liaison.create_meeting(lead, date=TODAY + dt.timedelta(days=3))
    with pytest.raises(ValidationErrors):
        liaison.create_meeting(lead, date=TODAY, type="party")


def test_consultations(lead):
    pupil = new_pupil(lead, "Adeyemi")
    c = liaison.create_consultation(lead, date=dt.date(2026, 11, 3), staff_advised="Form tutor 9B", topic="Exam stress", pupil_uuid=pupil)
    assert c.function == 3 and c.pupil_uuid == pupil and c.duration_minutes == 20
    assert c.uuid in [x.uuid for x in liaison.list_consultations(lead, pupil_uuid=pupil)]
    with pytest.raises(ValidationErrors):
        liaison.create_consultation(lead, date=dt.date(2026, 11, 3), staff_advised="", topic="")


def test_mhst_scope_when_linking_pupils(vault, lead):
    hidden = new_pupil(lead, "Hidden")
    shared = new_pupil(lead, "Shared", shared=True)
    m = liaison.create_meeting(lead, date=dt.date(2026, 11, 10), pupil_uuids=[hidden, shared])
    c = liaison.create_consultation(lead, date=dt.date(2026, 11, 10), staff_advised="Tutor", topic="x", pupil_uuid=hidden)
    mhst = access.sign_in(vault, "emhp", STAFF_PASSWORD)  # the model proxy now points at this connection
    try:
        assert liaison.get_meeting(mhst, m.uuid).pupil_uuids == (shared,)
        with pytest.raises(NotFound):
            liaison.create_meeting(mhst, date=dt.date(2026, 11, 10), pupil_uuids=[hidden])
        liaison.update_meeting(mhst, m.uuid, pupil_uuids=[])  # drops only what they can see
        assert c.uuid not in [x.uuid for x in liaison.list_consultations(mhst)]
    finally:
        mhst.close()
        database_proxy.initialize(lead.db)
    assert liaison.get_meeting(lead, m.uuid).pupil_uuids == (hidden,)



def test_staff_time_defaults_from_the_type_and_imports(lead):
    from schoolmh.domain.staff_time import activity_minutes, liaison_minutes

    a = activities.create_activity(lead, title="Assembly on sleep", start_on=dt.date(2026, 1, 12),
                                   principles=["curriculum"], category="assembly")
    assert a.staff_minutes == activity_minutes("assembly") == 30
    assert activities.update_activity(lead, a.uuid, staff_minutes=45).staff_minutes == 45
    with pytest.raises(ValidationErrors) as err:
        activities.update_activity(lead, a.uuid, staff_minutes=601)
    assert err.value.problems[0].field == "staff_minutes" and "from 0 to 600" in err.value.problems[0].message
    m = liaison.create_meeting(lead, date=dt.date(2026, 1, 13), type="case_discussion")
    assert m.duration_minutes == liaison_minutes("case_discussion") == 45
    assert liaison.create_meeting(lead, date=dt.date(2026, 1, 13), type="planning", duration_minutes=25
                                  ).duration_minutes == 25
    # the CSV import: a staff_minutes column, blank = the category's default; a bad value names its row
    data = ("title,start_on,principles,category,staff_minutes\n"
            "Staff training,2026-01-14,staff_dev,staff_training,\n"
            "Parents' workshop,2026-01-15,parents,parents,40\n").encode("utf-8")
    assert activities.import_activities(lead, data + b"Lesson,2026-01-16,curriculum,lesson,lots\n").errors[0] \
        .__str__().startswith("row 4, column staff_minutes:")
    assert activities.import_activities(lead, data).ok
    rows = {x.title: x for x in activities.list_activities(lead, dt.date(2026, 1, 14), dt.date(2026, 1, 15))}
    assert rows["Staff training"].staff_minutes == 90 and rows["Parents' workshop"].staff_minutes == 40


def test_a_vault_made_before_staff_time_gets_the_field_and_the_defaults(tmp_path):
    """The migration step on a vault whose activity table has no staff_minutes column: added, existing
    activities get their category's default; running it again changes nothing."""
    from schoolmh.db import migrations

    folder = tmp_path / "old"
    s = open_vault(folder)
    activities.create_activity(s, title="Old lesson", start_on=dt.date(2025, 10, 1), principles=["curriculum"],
                               category="lesson", staff_minutes=5)
    activities.create_activity(s, title="Old assembly", start_on=dt.date(2025, 10, 2), principles=["ethos"],
                               category="assembly")
    step = migrations.MIGRATIONS.index(migrations._activity_staff_minutes)
    s.db.execute_sql("ALTER TABLE activity DROP COLUMN staff_minutes")
    s.db.execute_sql(f"PRAGMA user_version = {step}")
    s.close()
    s = access.sign_in(folder, "lead", LEAD_PASSWORD)
    try:
        assert migrations.schema_version(s.db) == migrations.SCHEMA_VERSION
        rows = {a.title: a.staff_minutes for a in activities.list_activities(s)}
        assert rows == {"Old lesson": 60, "Old assembly": 30}
        migrations._activity_staff_minutes(s.db)  # idempotent
        assert {a.title: a.staff_minutes for a in activities.list_activities(s)} == rows
    finally:
        s.close()
