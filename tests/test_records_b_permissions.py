"""Role x action, table-driven: every action the referral, activity, liaison, dashboard, export,
retention and demo-facing services check, against who may, written out by hand below (MAY), not
read from services.permissions.PERMISSIONS (the table under test)."""
from __future__ import annotations

import datetime as dt

import pytest

from recordsb_helpers import TODAY, fix_today, open_vault
from support import LEAD_PASSWORD, STAFF_PASSWORD
from schoolmh.errors import PermissionDenied, SchoolMHError
from schoolmh.services import (
    access, activities, dashboard, export, liaison, pupils, referrals, retention,
)
from schoolmh.services.permissions import ROLES, Action

D = dt.date(2026, 11, 2)
CSV = b"title,start_on,principles\nAssembly,02/11/2026,ethos\n"

EVERYONE = {"lead", "pastoral", "head", "mhst"}
CASEWORK = {"lead", "pastoral", "mhst"}
# Who may, by hand (SECURITY.md): liaison and consultations are the lead's and the MHST's; exports,
# imports, erasure and the action plan the lead's alone; the head reads but writes no casework.
MAY = {
    Action.REFERRAL_WRITE: CASEWORK,
    Action.REFERRAL_READ: EVERYONE,
    Action.ACTIVITY_WRITE: CASEWORK,
    Action.ACTIVITY_READ: EVERYONE,
    Action.ACTION_PLAN_WRITE: {"lead"},
    Action.LIAISON_WRITE: {"lead", "mhst"},
    Action.LIAISON_READ: {"lead", "mhst"},
    Action.CONSULTATION_WRITE: {"lead", "mhst"},
    Action.SESSION_READ: CASEWORK,
    Action.DASHBOARD_READ: EVERYONE,
    Action.EXPORT_PUPIL: {"lead"},
    Action.EXPORT_ALL: {"lead"},
    Action.IMPORT_RECORDS: {"lead"},
    Action.PUPIL_ERASE: {"lead"},
}

# (action checked, label, call(session, ctx))
CALLS = [
    (Action.REFERRAL_WRITE, "create_referral", lambda s, c: referrals.create_referral(s, c["pupil"], "gp", D)),
    (Action.REFERRAL_WRITE, "record_decision", lambda s, c: referrals.record_decision(s, c["referral"], "accepted", D)),
    (Action.REFERRAL_READ, "list_referrals", lambda s, c: referrals.list_referrals(s)),
    (Action.REFERRAL_READ, "pending_referrals", lambda s, c: referrals.pending_referrals(s)),
    (Action.REFERRAL_READ, "gap_pupils", lambda s, c: referrals.gap_pupils(s)),
    (Action.ACTIVITY_WRITE, "create_activity",
     lambda s, c: activities.create_activity(s, title="Assembly", start_on=D, principles=["ethos"])),
    (Action.ACTIVITY_WRITE, "update_activity", lambda s, c: activities.update_activity(s, c["activity"], rag="amber")),
    (Action.ACTIVITY_READ, "list_activities", lambda s, c: activities.list_activities(s)),
    (Action.ACTIVITY_READ, "coverage", lambda s, c: activities.coverage(s, D, D)),
    (Action.ACTIVITY_READ, "list_objectives", lambda s, c: activities.list_objectives(s)),
    (Action.ACTION_PLAN_WRITE, "create_objective",
     lambda s, c: activities.create_objective(s, principle="voice", text="Pupil survey each term")),
    (Action.ACTION_PLAN_WRITE, "update_objective", lambda s, c: activities.update_objective(s, c["objective"], rag="green")),
    (Action.LIAISON_WRITE, "create_meeting", lambda s, c: liaison.create_meeting(s, date=D, pupil_uuids=[c["pupil"]])),
    (Action.LIAISON_WRITE, "update_meeting", lambda s, c: liaison.update_meeting(s, c["meeting"], discussion="Updated")),
    (Action.LIAISON_WRITE, "add_action", lambda s, c: liaison.add_action(s, c["meeting"], "Phone parent")),
    (Action.LIAISON_WRITE, "mark_action_done", lambda s, c: liaison.mark_action_done(s, c["action"], TODAY)),
    (Action.LIAISON_READ, "list_meetings", lambda s, c: liaison.list_meetings(s)),
    (Action.LIAISON_READ, "open_actions", lambda s, c: liaison.open_actions(s)),
    (Action.CONSULTATION_WRITE, "create_consultation",
     lambda s, c: liaison.create_consultation(s, date=D, staff_advised="Tutor", topic="Worry", pupil_uuid=c["pupil"])),
    (Action.SESSION_READ, "list_consultations", lambda s, c: liaison.list_consultations(s)),
    (Action.DASHBOARD_READ, "dashboard_figures", lambda s, c: dashboard.dashboard_figures(s)),
    (Action.EXPORT_PUPIL, "export_pupil", lambda s, c: export.export_pupil(s, c["pupil"])),
    (Action.EXPORT_ALL, "export_all", lambda s, c: export.export_all(s)),
    (Action.IMPORT_RECORDS, "import_activities", lambda s, c: activities.import_activities(s, CSV)),
    (Action.PUPIL_ERASE, "due_for_erasure", lambda s, c: retention.due_for_erasure(s)),
    (Action.PUPIL_ERASE, "erase_pupil", lambda s, c: retention.erase_pupil(s, c["leaver"])),
    (Action.ACTIVITY_WRITE, "delete_activity", lambda s, c: activities.delete_activity(s, c["activity"])),
]


@pytest.fixture(scope="module")
def school(tmp_path_factory):
    folder = tmp_path_factory.mktemp("vault")
    lead = open_vault(folder, extra_staff=tuple((f"{r}1", r) for r in ROLES if r != "lead"))
    ctx = {}
    ctx["pupil"] = pupils.create_pupil(lead, legal_forename="Ngozi", legal_surname="Okafor", year_group=9).uuid
    referrals.create_referral(lead, ctx["pupil"], "mhst", dt.date(2026, 9, 1))  # shares the pupil with the MHST
    lead.close()
    return folder, ctx


def fresh_records(lead, ctx) -> dict:
    """Records each role's run may change or delete, so every role meets the same starting point."""
    ctx = dict(ctx)
    ctx["referral"] = referrals.create_referral(lead, ctx["pupil"], "camhs", dt.date(2026, 10, 1)).uuid
    ctx["activity"] = activities.create_activity(lead, title="Drop-in", start_on=D, principles=["targeted"]).uuid
    ctx["objective"] = activities.create_objective(lead, principle="ethos", text="Charter").uuid
    meeting = liaison.create_meeting(lead, date=D, actions=[("Send leaflet", "Lead", None)])
    ctx["meeting"], ctx["action"] = meeting.uuid, meeting.actions[0].uuid
    leaver = pupils.create_pupil(lead, legal_forename="Dmitri", legal_surname="Ivanov", year_group=11).uuid
    pupils.archive_pupil(lead, leaver, dt.date(2019, 7, 19))
    ctx["leaver"] = leaver
    return ctx


def test_every_action_used_has_its_expectation_written_out():
    assert {action for action, _, _ in CALLS} <= set(MAY)


@pytest.mark.parametrize("role", ROLES)
def test_role_matrix(school, role):
    folder, base = school
    lead = fix_today(access.sign_in(folder, "lead", LEAD_PASSWORD))
    ctx = fresh_records(lead, base)
    lead.close()
    username, password = ("lead", LEAD_PASSWORD) if role == "lead" else (f"{role}1", STAFF_PASSWORD)
    session = fix_today(access.sign_in(folder, username, password))
    wrong = []
    try:
        for action, label, call in CALLS:
            expected = role in MAY[action]
            try:
                call(session, ctx)
                allowed = True
            except PermissionDenied:
                allowed = False
            except SchoolMHError as exc:  # allowed, but the call itself was refused for another reason
                raise AssertionError(f"{role} {label}: {exc.message}") from None
            if allowed != expected:
                wrong.append(f"{label}: {'allowed' if allowed else 'denied'}, table says {'allowed' if expected else 'denied'}")
    finally:
        session.close()
    assert not wrong, f"{role}: " + "; ".join(wrong)
