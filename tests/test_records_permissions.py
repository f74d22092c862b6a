"""Permission matrix for the record services: every action they check, for all four roles.

The expected outcome is written out by hand below (MAY), not read from
services.permissions.PERMISSIONS (the table under test): the test fails if a service
checks the wrong action, forgets to check, or the table grants a role too much.
Each case runs a real call on a real vault holding a pupil shared with the MHST.
"""
from __future__ import annotations

import datetime as dt

import pytest

from schoolmh.domain.upn import make_upn
from schoolmh.errors import PermissionDenied
from schoolmh.services import gap, measures, plans, pupil_import, pupils, records_import, sessions
from schoolmh.services.permissions import ROLES, Action

TODAY = dt.date.today()

EVERYONE = {"lead", "pastoral", "head", "mhst"}
CASEWORK = {"lead", "pastoral", "mhst"}  # the head reads, but does not write, casework
# Who may, by hand (SECURITY.md): only the lead imports; the head and MHST do not edit pupils.
MAY = {
    Action.PUPIL_READ: EVERYONE,
    Action.PUPIL_WRITE: {"lead", "pastoral"},
    Action.PUPIL_SHARE_MHST: {"lead", "pastoral"},
    Action.PUPIL_IMPORT: {"lead"},
    Action.PLAN_READ: EVERYONE,
    Action.PLAN_WRITE: CASEWORK,
    Action.SESSION_READ: CASEWORK,  # session notes are case notes: not the head
    Action.SESSION_WRITE: CASEWORK,
    Action.MEASURE_READ: EVERYONE,
    Action.MEASURE_WRITE: CASEWORK,
    Action.REFERRAL_READ: EVERYONE,
    Action.IMPORT_RECORDS: {"lead"},
}


def _mis_file(ctx):
    path = ctx["tmp"] / "mis.csv"
    path.write_text(f"UPN,Surname,Forename,Year\n{make_upn(1)},Mensah,Kofi,9\n", encoding="utf-8")
    return path


def _sessions_file(ctx):
    path = ctx["tmp"] / "sessions.csv"
    path.write_text(f"upn,date\n{make_upn(1)},{TODAY.isoformat()}\n", encoding="utf-8")
    return path


# (action, what the call does, call(session, ctx)); every call is valid and repeatable when allowed.
CASES = [
    (Action.PUPIL_READ, "list pupils", lambda s, c: pupils.list_pupils(s)),
    (Action.PUPIL_READ, "view a pupil", lambda s, c: pupils.get_pupil(s, c["pupil"])),
    (Action.PUPIL_READ, "search pupils", lambda s, c: pupils.search_pupils(s, "mensah")),
    (Action.PUPIL_READ, "list sessions", lambda s, c: sessions.list_sessions(s, c["pupil"])),
    (Action.PUPIL_WRITE, "create a pupil", lambda s, c: pupils.create_pupil(
        s, legal_forename="Ama", legal_surname="Owusu", year_group=7)),
    (Action.PUPIL_WRITE, "edit a pupil", lambda s, c: pupils.update_pupil(s, c["pupil"], tutor_group="9X")),
    (Action.PUPIL_WRITE, "archive a pupil", lambda s, c: pupils.unarchive_pupil(s, c["pupil"])),
    (Action.PUPIL_SHARE_MHST, "share with the MHST", lambda s, c: pupils.share_with_mhst(s, c["pupil"], True)),
    (Action.PUPIL_IMPORT, "preview an MIS import", lambda s, c: pupil_import.preview_import(s, _mis_file(c))),
    (Action.PUPIL_IMPORT, "apply an MIS import", lambda s, c: pupil_import.apply_import(
        s, _mis_file(c), mark_left=False)),
    (Action.PLAN_READ, "list plans", lambda s, c: plans.list_plans(s, c["pupil"])),
    (Action.PLAN_READ, "plans due", lambda s, c: plans.plans_due_for_review(s)),
    (Action.PLAN_WRITE, "edit a plan", lambda s, c: plans.update_plan(s, c["plan"], strategies="Check-ins")),
    (Action.PLAN_WRITE, "set goals", lambda s, c: plans.set_goals(s, c["plan"], ["Calmer"])),
    (Action.SESSION_WRITE, "record a session", lambda s, c: sessions.record_session(s, c["pupil"])),
    (Action.SESSION_WRITE, "edit a session", lambda s, c: sessions.update_session(s, c["session"], note="Edited")),
    (Action.MEASURE_READ, "list measures", lambda s, c: measures.list_measures(s, c["pupil"])),
    (Action.MEASURE_READ, "change summary", lambda s, c: measures.change_summary(s, c["pupil"])),
    (Action.MEASURE_WRITE, "record a measure", lambda s, c: measures.record_measure(
        s, c["pupil"], "GBO", "self", {"goal1": 5})),
    (Action.REFERRAL_READ, "pupils in the gap", lambda s, c: gap.pupils_in_gap(s)),
    (Action.IMPORT_RECORDS, "import sessions", lambda s, c: records_import.import_sessions_csv(
        s, _sessions_file(c), dry_run=True)),
]


@pytest.mark.parametrize("role", ROLES)
@pytest.mark.parametrize("action, what, call", CASES, ids=[c[1] for c in CASES])
def test_permission_matrix(lead_session, sign_in_as, tmp_path, role, action, what, call):
    p = pupils.create_pupil(lead_session, legal_forename="Kofi", legal_surname="Mensah", year_group=9,
                            upn=make_upn(1))
    pupils.share_with_mhst(lead_session, p.uuid, True)
    plan = plans.create_plan(lead_session, p.uuid, "mhst", goals=["Calmer"])
    recorded = sessions.record_session(lead_session, p.uuid, note="Case note")
    ctx = {"pupil": p.uuid, "plan": plan.uuid, "session": recorded.uuid, "tmp": tmp_path}
    session = sign_in_as(role)
    if role in MAY[action]:
        call(session, ctx)
    else:
        with pytest.raises(PermissionDenied) as info:
            call(session, ctx)
        assert info.value.message.startswith(f"Your role ({session.actor.role_name}) cannot")


@pytest.mark.parametrize("role", ROLES)
def test_session_notes_follow_session_read(lead_session, sign_in_as, role):
    p = pupils.create_pupil(lead_session, legal_forename="Kofi", legal_surname="Mensah", year_group=9)
    pupils.share_with_mhst(lead_session, p.uuid, True)
    sessions.record_session(lead_session, p.uuid, note="Case note")
    session = sign_in_as(role)
    (listed,) = sessions.list_sessions(session, p.uuid)
    can_read = role in MAY[Action.SESSION_READ]
    assert (listed.note, listed.note_hidden) == (("Case note", False) if can_read else ("", True))


def test_every_action_the_record_services_check_is_in_the_matrix():
    covered = {action for action, _, _ in CASES} | {Action.SESSION_READ}
    used = {Action.PUPIL_READ, Action.PUPIL_WRITE, Action.PUPIL_SHARE_MHST, Action.PUPIL_IMPORT, Action.PLAN_READ,
            Action.PLAN_WRITE, Action.SESSION_READ, Action.SESSION_WRITE, Action.MEASURE_READ, Action.MEASURE_WRITE,
            Action.REFERRAL_READ, Action.IMPORT_RECORDS}
    assert used <= covered
