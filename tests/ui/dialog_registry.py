"""Every dialog of the window, built over one seeded vault: for the keyboard tests (issue 13.2, 13.3, 13.7).

`school(folder)` seeds the vault through the services (fictional pupils only);
`DIALOGS` maps a name to a factory `(ctx, seeded) -> dialog`. RECORD dialogs make or
change a record and must save nothing from Space and Enter straight after opening;
CONFIRMATIONS were opened on a record the user chose and say what they do on their
button ("Mark as left", "Mark done", "Import"), so Enter confirms them.
"""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import pytest

from support import LEAD_PASSWORD
from schoolmh.domain.upn import make_upn
from schoolmh.services import access, activities, liaison, plans, pupils, referrals, sessions
from schoolmh.services.liaison import NewAction


# The keyboard tests build some 25 dialogs in a row; they run in processes of their own without cycle
# collection (tests/ui/no_cycle_gc.py, test_keyboard_walks.py).


@dataclass
class Seeded:
    session: object
    pupil: object
    plan: object
    referral: object
    session_row: object
    meeting: object


def school(folder) -> Seeded:
    s = access.init_school(folder, "Oakfield Academy", "lead", "Alex Lead", LEAD_PASSWORD).session
    today = s.today()
    pupil = pupils.create_pupil(s, upn=make_upn(3), legal_forename="Siobhán", legal_surname="Ní Bhriain", year_group=9)
    pupils.create_pupil(s, upn=make_upn(4), legal_forename="Kwame", legal_surname="Mensah", year_group=8)
    plan = plans.create_plan(s, pupil.uuid, "targeted", goals=["Feel calmer in tests"], start_date=today - dt.timedelta(days=20))
    referral = referrals.create_referral(s, pupil.uuid, "camhs", today - dt.timedelta(days=10), reason="Low mood")
    row = sessions.record_session(s, pupil.uuid, date=today - dt.timedelta(days=2), note="Breathing practice")
    meeting = liaison.create_meeting(s, date=today - dt.timedelta(days=3), type="planning", attendees="SMHL, EMHP",
                                     pupil_uuids=[pupil.uuid], actions=[NewAction("Call home", "SMHL", today)])
    activities.create_activity(s, title="Kindness week", start_on=today, principles=["ethos"], reach_pupils=300)
    return Seeded(s, pupil, plan, referral, row, meeting)


@pytest.fixture(scope="module")
def seeded(tmp_path_factory, qapp):
    """(Seeded, vault folder): one vault per test module that imports this fixture."""
    folder = tmp_path_factory.mktemp("dialogs") / "vault"
    x = school(folder)
    yield x, folder
    x.session.close()


@pytest.fixture
def ctx(seeded):
    """An AppContext on the seeded vault (pointed at it again: another test may have opened its own)."""
    from schoolmh.db.connection import database_proxy
    from schoolmh.ui.context import AppContext

    x, folder = seeded
    database_proxy.initialize(x.session.db)
    c = AppContext(folder)
    c.session = x.session
    yield c
    c.session = None


def _record(ctx, x: Seeded):
    from schoolmh.ui.dialogs import pupil_form, quick_session, record_dialogs as rd
    from schoolmh.ui.pages import admin, liaison as lp, whole_school as ws

    s = x.session
    plan = plans.current_plan(s, x.pupil.uuid)
    referral = referrals.get_referral(s, x.referral.uuid)
    return {
        "New pupil": lambda: pupil_form.PupilFormDialog(ctx),
        "Edit pupil": lambda: pupil_form.PupilFormDialog(ctx, None, pupils.get_pupil(s, x.pupil.uuid)),
        "Record a session (Ctrl+N)": lambda: quick_session.QuickSessionDialog(ctx),
        "Record a session for this pupil": lambda: quick_session.QuickSessionDialog(ctx, pupil_uuid=x.pupil.uuid),
        "Correct a session": lambda: quick_session.QuickSessionDialog(ctx, editing=sessions.get_session(s, x.session_row.uuid)),
        "Start a plan": lambda: rd.PlanDialog(ctx, None, x.pupil.uuid),
        "Edit plan": lambda: rd.PlanDialog(ctx, None, x.pupil.uuid, plan),
        "Edit goals": lambda: rd.GoalsDialog(ctx, None, plan),
        "Add a review": lambda: rd.ReviewDialog(ctx, None, plan),
        "Close the plan": lambda: rd.ClosePlanDialog(ctx, None, plan),
        "Add a referral": lambda: rd.ReferralDialog(ctx, None, x.pupil.uuid),
        "Record the decision": lambda: rd.DecisionDialog(ctx, None, referral),
        "New activity": lambda: ws.ActivityDialog(ctx, None, activities.list_objectives(s)),
        "New objective": lambda: ws.ObjectiveDialog(ctx, None),
        "New liaison meeting": lambda: lp.MeetingDialog(ctx),
        "Edit liaison meeting": lambda: lp.MeetingDialog(ctx, liaison.get_meeting(s, x.meeting.uuid),
                                                         {x.pupil.uuid: x.pupil.display_name}),
        "New staff consultation": lambda: lp.ConsultationDialog(ctx),
        "Add a colleague": lambda: admin.AddUserDialog(ctx),
        "Reset password": lambda: admin.SetPasswordDialog(ctx, "lead", "Alex Lead"),
    }


def _confirmations(ctx, x: Seeded):
    from schoolmh.ui.dialogs import record_dialogs as rd
    from schoolmh.ui.pages import liaison as lp

    s = x.session
    return {
        "Mark as left": lambda: rd.LeftDialog(ctx, None, pupils.get_pupil(s, x.pupil.uuid)),
        "Mark action done": lambda: lp.MarkDoneDialog(ctx, liaison.open_actions(s)[0]),
    }


def record_dialogs(ctx, x: Seeded) -> dict:
    return _record(ctx, x)


def confirmations(ctx, x: Seeded) -> dict:
    return _confirmations(ctx, x)


def other_dialogs(ctx, x: Seeded) -> dict:
    """Dialogs that record nothing themselves (passwords, restore, recovery), for the mnemonic walk."""
    from schoolmh.ui.change_password import ChangePasswordDialog
    from schoolmh.ui.pages import admin
    from schoolmh.ui.recovery import NewRecoveryKeyDialog, RecoveryDialog

    return {
        "Change my password": lambda: ChangePasswordDialog(ctx),
        "Restore from a backup": lambda: admin.RestoreDialog(None, "lead"),
        "New recovery key": lambda: NewRecoveryKeyDialog("ABCD-EFGH-JKLM-NPQR-STUV-WXYZ-2345", "Oakfield Academy"),
        "Forgotten password": lambda: RecoveryDialog(ctx),
    }
