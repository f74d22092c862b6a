"""The one permission table. Every service call checks it; nothing else decides who may do what.

Roles follow SECURITY.md: the lead administers and sees everything; pastoral staff
work with pupils (sessions, plans, measures, referrals) but do not administer;
the head reads the dashboard, anonymous reports and pupil summaries but not case
notes; MHST practitioners see only pupils shared with the MHST, and record
sessions, measures, referrals, liaison and staff consultations.
"""
from __future__ import annotations

from enum import Enum

LEAD, PASTORAL, HEAD, MHST = "lead", "pastoral", "head", "mhst"
ROLES = (LEAD, PASTORAL, HEAD, MHST)
ROLE_NAMES = {
    LEAD: "Senior mental health lead",
    PASTORAL: "Pastoral staff",
    HEAD: "Head teacher",
    MHST: "MHST practitioner",
}


class Action(str, Enum):
    # administration
    USERS_MANAGE = "users.manage"
    SETTINGS_MANAGE = "settings.manage"
    BACKUP = "vault.backup"
    RESTORE = "vault.restore"
    RECOVERY_KEY_REPLACE = "vault.recovery_key"
    VAULT_ROTATE = "vault.rotate"
    AUDIT_VERIFY = "audit.verify"
    AUDIT_READ = "audit.read"
    # pupils
    PUPIL_READ = "pupil.read"
    PUPIL_WRITE = "pupil.write"
    PUPIL_IMPORT = "pupil.import"
    PUPIL_SHARE_MHST = "pupil.share_mhst"
    PUPIL_ERASE = "pupil.erase"
    # casework
    PLAN_READ = "plan.read"
    PLAN_WRITE = "plan.write"
    SESSION_READ = "session.read"  # includes session notes: case notes
    SESSION_WRITE = "session.write"
    MEASURE_READ = "measure.read"
    MEASURE_WRITE = "measure.write"
    REFERRAL_READ = "referral.read"
    REFERRAL_WRITE = "referral.write"
    REFERRAL_DELETE = "referral.delete"  # a referral made by mistake (audited; withdrawing keeps it)
    # whole school and liaison
    ACTIVITY_READ = "activity.read"
    ACTIVITY_WRITE = "activity.write"
    ACTION_PLAN_WRITE = "action_plan.write"
    LIAISON_READ = "liaison.read"
    LIAISON_WRITE = "liaison.write"
    CONSULTATION_WRITE = "consultation.write"
    # figures, reports, exports
    DASHBOARD_READ = "dashboard.read"
    REPORT_GOVERNORS = "report.governors"
    REPORT_PUPIL = "report.pupil"
    EXPORT_PUPIL = "export.pupil"
    EXPORT_ALL = "export.all"
    IMPORT_RECORDS = "import.records"


_ALL = frozenset(ROLES)
PERMISSIONS: dict[Action, frozenset[str]] = {
    Action.USERS_MANAGE: frozenset({LEAD}),
    Action.SETTINGS_MANAGE: frozenset({LEAD}),
    Action.BACKUP: frozenset({LEAD}),
    Action.RESTORE: frozenset({LEAD}),
    Action.RECOVERY_KEY_REPLACE: frozenset({LEAD}),
    Action.VAULT_ROTATE: frozenset({LEAD}),
    Action.AUDIT_VERIFY: frozenset({LEAD}),
    Action.AUDIT_READ: frozenset({LEAD}),
    Action.PUPIL_READ: _ALL,
    Action.PUPIL_WRITE: frozenset({LEAD, PASTORAL}),
    Action.PUPIL_IMPORT: frozenset({LEAD}),
    Action.PUPIL_SHARE_MHST: frozenset({LEAD, PASTORAL}),
    Action.PUPIL_ERASE: frozenset({LEAD}),
    Action.PLAN_READ: _ALL,
    Action.PLAN_WRITE: frozenset({LEAD, PASTORAL, MHST}),
    Action.SESSION_READ: frozenset({LEAD, PASTORAL, MHST}),
    Action.SESSION_WRITE: frozenset({LEAD, PASTORAL, MHST}),
    Action.MEASURE_READ: _ALL,
    Action.MEASURE_WRITE: frozenset({LEAD, PASTORAL, MHST}),
    Action.REFERRAL_READ: _ALL,
    Action.REFERRAL_WRITE: frozenset({LEAD, PASTORAL, MHST}),
    Action.REFERRAL_DELETE: frozenset({LEAD}),
    Action.ACTIVITY_READ: _ALL,
    Action.ACTIVITY_WRITE: frozenset({LEAD, PASTORAL, MHST}),
    Action.ACTION_PLAN_WRITE: frozenset({LEAD}),
    Action.LIAISON_READ: frozenset({LEAD, MHST}),
    Action.LIAISON_WRITE: frozenset({LEAD, MHST}),
    Action.CONSULTATION_WRITE: frozenset({LEAD, MHST}),  # function 3 advice is recorded where liaison is read
    Action.DASHBOARD_READ: _ALL,
    Action.REPORT_GOVERNORS: frozenset({LEAD, HEAD}),
    Action.REPORT_PUPIL: frozenset({LEAD, HEAD, PASTORAL}),
    Action.EXPORT_PUPIL: frozenset({LEAD}),
    Action.EXPORT_ALL: frozenset({LEAD}),
    Action.IMPORT_RECORDS: frozenset({LEAD}),
}

# MHST practitioners see only pupils the school has shared with the MHST (row-level scope).
PUPIL_SCOPED_ROLES = frozenset({MHST})

_PLAIN = {
    Action.USERS_MANAGE: "manage staff accounts",
    Action.SETTINGS_MANAGE: "change settings",
    Action.BACKUP: "make backups",
    Action.RESTORE: "restore backups",
    Action.RECOVERY_KEY_REPLACE: "replace the recovery key",
    Action.VAULT_ROTATE: "replace the vault's keys",
    Action.AUDIT_VERIFY: "check the audit trail",
    Action.AUDIT_READ: "read the audit trail",
    Action.SESSION_READ: "read session notes",
    Action.PUPIL_WRITE: "add or change pupils",
    Action.PUPIL_IMPORT: "import the pupil list",
    Action.PUPIL_SHARE_MHST: "share pupils with the MHST",
    Action.PLAN_WRITE: "change support plans",
    Action.SESSION_WRITE: "record sessions",
    Action.MEASURE_WRITE: "record outcome measures",
    Action.IMPORT_RECORDS: "import records from files",
    Action.REFERRAL_DELETE: "delete referrals",
    Action.LIAISON_READ: "read MHST liaison notes",
    Action.EXPORT_ALL: "export every record",
    Action.EXPORT_PUPIL: "export a pupil's complete record",
}


def allowed(role: str, action: Action) -> bool:
    return role in PERMISSIONS[action]


def describe(action: Action) -> str:
    return _PLAIN.get(action, action.value.replace(".", " ").replace("_", " "))


def assert_table_complete() -> None:
    missing = [a for a in Action if a not in PERMISSIONS]
    if missing:
        raise AssertionError(f"actions without a permission rule: {missing}")


assert_table_complete()
