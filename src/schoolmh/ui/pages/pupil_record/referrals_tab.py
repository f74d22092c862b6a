"""The Referrals tab: referrals with their dated decisions, the gap status."""
from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QHBoxLayout, QPushButton, QVBoxLayout

from schoolmh.domain.codes import REFERRAL_DECISIONS, REFERRAL_DESTINATIONS
from schoolmh.services import referrals
from schoolmh.services.permissions import Action
from schoolmh.services.referrals import ReferralInfo
from schoolmh.ui.dialogs.record_dialogs import DecisionDialog, ReferralDialog
from schoolmh.ui.models.table_model import Column, RIGHT, RowTableModel, SortProxy
from schoolmh.ui.pages.pupil_record.common import RecordTab, record_table
from schoolmh.ui.widgets.common import error_colour, fit_columns, info, wrapped_label


REFERRAL_COLUMNS: list[Column[ReferralInfo]] = [
    Column("Sent", lambda r: r.sent_on, align=RIGHT),
    Column("To", lambda r: REFERRAL_DESTINATIONS.get(r.destination, r.destination)),
    Column("Decision", lambda r: REFERRAL_DECISIONS.get(r.decision, r.decision)),
    Column("Decided", lambda r: r.decision_on, align=RIGHT),
    Column("Waiting", lambda r: f"{r.waiting_days} days" + (" so far" if r.pending else ""),
           sort=lambda r: r.waiting_days, align=RIGHT, header_tooltip="Days from sending to the decision"),
    Column("Reason", lambda r: r.reason, tooltip=lambda r: r.reason or None),
    Column("Next step", lambda r: r.next_step, tooltip=lambda r: r.next_step or None),
]


class ReferralsTab(RecordTab):
    def __init__(self, page) -> None:
        super().__init__(page)
        self.gap = wrapped_label()
        self.gap.setAccessibleName("Gap status")
        self.model = RowTableModel(REFERRAL_COLUMNS, key=lambda r: r.uuid, parent=self)
        self.proxy = SortProxy(self.model, self)
        self.view = record_table(self.proxy, "Referrals, newest first")
        self.view.sortByColumn(0, Qt.SortOrder.DescendingOrder)
        self.view.activated.connect(lambda _i: self.record_decision())
        self.add_button = QPushButton("&Add referral…")
        self.decision_button = QPushButton("Record &decision…")
        for b in (self.add_button, self.decision_button):
            b.setAccessibleName(b.text().replace("&", "").rstrip("…"))
        self.add_button.clicked.connect(self.add_referral)
        self.decision_button.clicked.connect(self.record_decision)
        top = QHBoxLayout()
        top.addWidget(self.gap, 1)
        top.addWidget(self.add_button)
        top.addWidget(self.decision_button)
        layout = QVBoxLayout(self)
        layout.addLayout(top)
        layout.addWidget(self.view, 1)

    def load(self) -> None:
        rows = self.page.data.get("referrals", [])
        self.model.set_rows(rows)
        fit_columns(self.view)
        writable = self.can(Action.REFERRAL_WRITE)
        self.add_button.setVisible(writable)
        self.decision_button.setVisible(writable)
        self.decision_button.setEnabled(bool(rows))
        p = self.pupil
        if p is not None and p.in_gap:
            self.gap.setText(f"⚠ In the gap for {p.gap_days} days: the most recent referrals were not accepted "
                             "and no referral has been accepted since.")
            pal = self.gap.palette()
            pal.setColor(self.gap.foregroundRole(), error_colour(self))
            self.gap.setPalette(pal)
        else:
            pending = sum(1 for r in rows if r.pending)
            self.gap.setPalette(self.palette())
            self.gap.setText(f"{len(rows)} referral{'' if len(rows) == 1 else 's'}, {pending} awaiting a decision."
                             if rows else "No referrals.")

    def clear(self) -> None:
        self.model.clear()
        self.gap.clear()

    def add_referral(self) -> None:
        if self.pupil is not None:
            self.run_dialog(ReferralDialog(self.ctx, self, self.pupil.uuid))

    def record_decision(self) -> None:
        if not self.can(Action.REFERRAL_WRITE):
            return
        r = self.proxy.row_at(self.view.currentIndex())
        if r is None:
            pending = [x for x in self.model.rows() if x.pending]
            r = pending[0] if len(pending) == 1 else None
        if r is None:
            info(self, "Record decision", "Choose the referral in the list first.")
            return
        self.run_dialog(DecisionDialog(self.ctx, self, r))
