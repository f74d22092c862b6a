"""The whole permission table, every action for every role, against a grid written out by hand here.

services.permissions.PERMISSIONS is the table under test, so nothing here is read from it: a
change that lets the head write referrals or pastoral staff import records fails this test (and
the service-level matrices in test_records_permissions.py, test_records_b_permissions.py and
test_permissions_core.py show each service really checks its action). Policy: SECURITY.md.
"""
from __future__ import annotations

from schoolmh.services.permissions import PERMISSIONS, ROLES, Action, allowed

# Y = may, - = may not.              lead pastoral head mhst
GRID = """
users.manage                          Y    -       -    -
settings.manage                       Y    -       -    -
vault.backup                          Y    -       -    -
vault.restore                         Y    -       -    -
vault.recovery_key                    Y    -       -    -
vault.rotate                          Y    -       -    -
audit.verify                          Y    -       -    -
audit.read                            Y    -       -    -
pupil.read                            Y    Y       Y    Y
pupil.write                           Y    Y       -    -
pupil.import                          Y    -       -    -
pupil.share_mhst                      Y    Y       -    -
pupil.erase                           Y    -       -    -
plan.read                             Y    Y       Y    Y
plan.write                            Y    Y       -    Y
session.read                          Y    Y       -    Y
session.write                         Y    Y       -    Y
measure.read                          Y    Y       Y    Y
measure.write                         Y    Y       -    Y
referral.read                         Y    Y       Y    Y
referral.write                        Y    Y       -    Y
referral.delete                       Y    -       -    -
activity.read                         Y    Y       Y    Y
activity.write                        Y    Y       -    Y
action_plan.write                     Y    -       -    -
liaison.read                          Y    -       -    Y
liaison.write                         Y    -       -    Y
consultation.write                    Y    -       -    Y
dashboard.read                        Y    Y       Y    Y
report.governors                      Y    -       Y    -
report.pupil                          Y    Y       Y    -
export.pupil                          Y    -       -    -
export.all                            Y    -       -    -
import.records                        Y    -       -    -
"""
COLUMNS = ("lead", "pastoral", "head", "mhst")


def expected() -> dict[str, dict[str, bool]]:
    out = {}
    for line in GRID.strip().splitlines():
        action, *marks = line.split()
        assert len(marks) == len(COLUMNS), line
        out[action] = {role: mark == "Y" for role, mark in zip(COLUMNS, marks, strict=True)}
    return out


def test_every_action_and_role_is_as_written_by_hand():
    grid = expected()
    assert set(COLUMNS) == set(ROLES)
    assert set(grid) == {a.value for a in Action}, "an action was added or removed: write its row above"
    wrong = [f"{action}: {role} {'may' if may else 'may not'} (the table says otherwise)"
             for action, by_role in grid.items() for role, may in by_role.items()
             if allowed(role, Action(action)) != may or (role in PERMISSIONS[Action(action)]) != may]
    assert not wrong, "\n".join(wrong)
