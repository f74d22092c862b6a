"""The History tab: who viewed and changed this pupil's records (the lead reads the audit trail)."""
from __future__ import annotations

import datetime as dt

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QVBoxLayout

from schoolmh.services import audit, measures, plans, referrals, sessions, users, vault_admin
from schoolmh.services.permissions import Action
from schoolmh.ui.models.table_model import Column, RIGHT, RowTableModel, SortProxy, format_date
from schoolmh.ui.pages.pupil_record.common import RecordTab, record_table
from schoolmh.ui.widgets.common import fit_columns, wrapped_label


AUDIT_WORDS = {
    "pupil.view": "Viewed the record",
    "pupil.create": "Added the pupil",
    "pupil.update": "Changed details",
    "pupil.archive": "Marked as left",
    "pupil.unarchive": "Put back on roll",
    "pupil.share_mhst": "Changed MHST sharing",
    "plan.create": "Started a plan",
    "plan.update": "Changed the plan",
    "plan.goals": "Changed the goals",
    "plan.review": "Reviewed the plan",
    "plan.close": "Closed the plan",
    "plan.reopen": "Reopened the plan",
    "session.create": "Recorded a session",
    "session.update": "Corrected a session",
    "session.delete": "Deleted a session",
    "measure.create": "Entered scores",
    "measure.delete": "Deleted scores",
    "referral.create": "Made a referral",
    "referral.decision": "Recorded a referral decision",
    "referral.delete": "Deleted a referral",
    "export.pupil": "Exported the record",
    "report.pupil": "Printed a pupil summary",
}


class _AuditRow:
    def __init__(self, row: audit.AuditRow, who: str) -> None:
        self.row, self.who = row, who

    @property
    def when(self) -> dt.datetime:
        at = self.row.at
        if at.tzinfo is None:
            at = at.replace(tzinfo=dt.timezone.utc)
        return at.astimezone()


def _detail_text(detail: str) -> str:
    """Field names and counts only (audit details never hold names); pupil uuids are dropped."""
    parts = [p for p in detail.replace(";", ",").split(",") if p and not p.startswith(("pupil=", "referral="))]
    return ", ".join(p.replace("fields=", "fields: ").replace("via=import", "via MIS import") for p in parts)


AUDIT_COLUMNS: list[Column[_AuditRow]] = [
    Column("When", lambda a: f"{format_date(a.when.date())} {a.when:%H:%M}", sort=lambda a: a.row.seq, align=RIGHT),
    Column("Who", lambda a: a.who),
    Column("What", lambda a: AUDIT_WORDS.get(a.row.action, a.row.action)),
    Column("Detail", lambda a: _detail_text(a.row.detail)),
]


class HistoryTab(RecordTab):
    def __init__(self, page) -> None:
        super().__init__(page)
        note = wrapped_label("Who viewed and changed this pupil's records, newest first (from the tamper-evident audit trail).")
        self.model = RowTableModel(AUDIT_COLUMNS, parent=self)
        self.proxy = SortProxy(self.model, self)
        self.view = record_table(self.proxy, "Audit history")
        self.view.sortByColumn(0, Qt.SortOrder.DescendingOrder)
        layout = QVBoxLayout(self)
        layout.addWidget(note)
        layout.addWidget(self.view, 1)

    def load(self) -> None:
        if not self.can(Action.AUDIT_READ) or self.pupil is None:
            self.model.clear()
            return
        data = self.page.data
        uuids = [self.pupil.uuid]
        for p in data.get("plans", []):
            uuids.append(p.uuid)
        uuids += [s.uuid for s in data.get("sessions", [])]
        uuids += [m.uuid for m in data.get("measures", [])]
        uuids += [r.uuid for r in data.get("referrals", [])]
        names = users.staff_names(self.ctx.session)
        rows = vault_admin.audit_rows(self.ctx.session, uuids)  # checks AUDIT_READ itself
        self.model.set_rows([_AuditRow(r, names.get(r.actor or "", "(removed account)" if r.actor else "SchoolMH"))
                             for r in rows])
        fit_columns(self.view)

    def clear(self) -> None:
        self.model.clear()
