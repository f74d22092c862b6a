"""The Referrals tab: referrals with their dated decisions, the gap status; add, decide, withdraw, delete.

A decision is added to the referral's history (services.referrals); the list shows
the current outcome and the pane under it the whole history of the referral
chosen, oldest first, under what it was sent for. A referral made by mistake is
withdrawn (it stays, marked withdrawn); a lead can delete one outright, and is
asked before a pupil that referral alone shared with the MHST stops being shared.
"""
from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QHBoxLayout, QPushButton, QVBoxLayout

from schoolmh.domain.codes import REFERRAL_DECISIONS, REFERRAL_DESTINATIONS
from schoolmh.services import referrals
from schoolmh.services.permissions import Action
from schoolmh.services.referrals import ReferralInfo
from schoolmh.ui.dialogs.record_dialogs import DecisionDialog, ReferralDialog
from schoolmh.ui.models.table_model import RIGHT, Column, RowTableModel, SortProxy, format_date
from schoolmh.ui.pages.pupil_record.common import RecordTab, record_table
from schoolmh.ui.widgets.common import ask_first, confirm, error_colour, fit_columns, info, wrapped_label


def _latest_note(r: ReferralInfo) -> str:
    latest = r.latest
    if latest is None:
        return ""
    return "; ".join(x for x in (latest.reason, f"next: {latest.next_step}" if latest.next_step else "") if x)


REFERRAL_COLUMNS: list[Column[ReferralInfo]] = [
    Column("Sent", lambda r: r.sent_on, align=RIGHT),
    Column("To", lambda r: REFERRAL_DESTINATIONS.get(r.destination, r.destination)),
    Column("Decision", lambda r: REFERRAL_DECISIONS.get(r.decision, r.decision)),
    Column("Decided", lambda r: r.decision_on, align=RIGHT),
    Column("Waiting", lambda r: f"{r.waiting_days} days" + (" so far" if r.pending else ""),
           sort=lambda r: r.waiting_days, align=RIGHT, header_tooltip="Days from sending to the decision"),
    Column("Sent for", lambda r: r.reason, tooltip=lambda r: r.reason or None,
           header_tooltip="Why the school referred (a decision never changes it)"),
    Column("Latest decision", lambda r: _latest_note(r), tooltip=lambda r: _latest_note(r) or None,
           header_tooltip="The service's latest reason and next step; the pane below shows every decision"),
]


def history_text(r: ReferralInfo) -> str:
    """The referral and its decisions in date order, as the pane under the list shows them."""
    lines = [f"Referral to {REFERRAL_DESTINATIONS.get(r.destination, r.destination)}, sent {format_date(r.sent_on)}"
             + (f", for: {r.reason}" if r.reason else "") + (f" (next step: {r.next_step})" if r.next_step else "")]
    for d in r.decisions:
        extra = "; ".join(x for x in (d.reason, f"next step: {d.next_step}" if d.next_step else "") if x)
        lines.append(f"  {format_date(d.decided_on)}  {REFERRAL_DECISIONS.get(d.decision, d.decision)}"
                     + (f": {extra}" if extra else ""))
    if not r.decisions:
        lines.append(f"  Awaiting a decision ({r.waiting_days} days so far).")
    return "\n".join(lines)


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
        self.view.selectionModel().currentRowChanged.connect(lambda *_: self._show_history())
        self.history = wrapped_label()
        self.history.setAccessibleName("Decisions on the chosen referral, oldest first")
        self.add_button = QPushButton("&Add referral…")
        self.decision_button = QPushButton("Record &decision…")
        self.withdraw_button = QPushButton("&Withdraw…")
        self.withdraw_button.setToolTip("For a referral made by mistake or no longer wanted: it stays on the record, "
                                        "marked withdrawn")
        self.delete_button = QPushButton("Dele&te…")
        self.delete_button.setToolTip("Lead only: remove a referral made by mistake (the audit trail keeps that it was)")
        for b in (self.add_button, self.decision_button, self.withdraw_button, self.delete_button):
            b.setAccessibleName(b.text().replace("&", "").rstrip("…") + ("" if b is self.add_button or
                                                                            b is self.decision_button else " referral"))
        self.add_button.clicked.connect(self.add_referral)
        self.decision_button.clicked.connect(self.record_decision)
        self.withdraw_button.clicked.connect(self.withdraw)
        self.delete_button.clicked.connect(self.delete)
        top = QHBoxLayout()
        top.addWidget(self.gap, 1)
        for b in (self.add_button, self.decision_button, self.withdraw_button, self.delete_button):
            top.addWidget(b)
        layout = QVBoxLayout(self)
        layout.addLayout(top)
        layout.addWidget(self.view, 1)
        layout.addWidget(self.history)

    def load(self) -> None:
        chosen = self.current()
        rows = self.page.data.get("referrals", [])
        self.model.set_rows(rows)
        fit_columns(self.view)
        writable = self.can(Action.REFERRAL_WRITE)
        self.add_button.setVisible(writable)
        for b in (self.decision_button, self.withdraw_button):
            b.setVisible(writable)
            b.setEnabled(bool(rows))
        self.delete_button.setVisible(self.can(Action.REFERRAL_DELETE))
        self.delete_button.setEnabled(bool(rows))
        if chosen is not None:
            index = self.proxy.index_for_key(chosen.uuid)
            if index.isValid():
                self.view.setCurrentIndex(index)
        self._show_history()
        p = self.pupil
        if p is not None and p.in_gap:
            self.gap.setText(f"⚠ In the gap for {p.gap_days} days: the MHST and CAMHS have both not accepted "
                             "the pupil, and nothing is pending or accepted since.")
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
        self.history.clear()

    def current(self) -> ReferralInfo | None:
        return self.proxy.row_at(self.view.currentIndex())

    def _show_history(self) -> None:
        r = self.current()
        self.history.setText(history_text(r) if r is not None else
                             ("Choose a referral to see its decisions." if self.model.rowCount() else ""))

    def _chosen(self, title: str, pending_only: bool = False) -> ReferralInfo | None:
        """The referral chosen in the list; else the only one that fits; else say so and move to the list."""
        r = self.current()
        if r is None:
            fits = [x for x in self.model.rows() if x.pending] if pending_only else self.model.rows()
            r = fits[0] if len(fits) == 1 else None
        if r is None:
            info(self, title, "Choose the referral in the list first.")
            self.view.setFocus()
            if self.proxy.rowCount():
                self.view.setCurrentIndex(self.proxy.index(0, 0))
        return r

    def add_referral(self) -> None:
        if self.pupil is not None:
            self.run_dialog(ReferralDialog(self.ctx, self, self.pupil.uuid))

    def record_decision(self) -> None:
        if not self.can(Action.REFERRAL_WRITE):
            return
        r = self._chosen("Record decision", pending_only=True)
        if r is not None:
            self.run_dialog(DecisionDialog(self.ctx, self, r))

    def withdraw(self) -> None:
        r = self._chosen("Withdraw referral")
        if r is None:
            return
        if r.decision == "withdrawn":
            info(self, "Withdraw referral", "That referral is already withdrawn.")
            return
        where = REFERRAL_DESTINATIONS.get(r.destination, r.destination)
        if not confirm(self, "Withdraw referral",
                       f"Withdraw the referral to {where} sent {format_date(r.sent_on)}? It stays on the record, "
                       "marked withdrawn today, and no longer counts as waiting or in the gap.",
                       "&Withdraw", danger=True):
            return
        self.page.one_call(lambda: referrals.withdraw_referral(self.ctx.session, r.uuid), "referrals",
                           "withdrawing the referral")

    def delete(self) -> None:
        r = self._chosen("Delete referral")
        if r is None:
            return
        try:
            plan = referrals.deletion_preview(self.ctx.session, r.uuid)
        except Exception as exc:  # noqa: BLE001
            self.ctx.report_error(self, exc, "deleting the referral")
            return
        where = REFERRAL_DESTINATIONS.get(r.destination, r.destination)
        if not confirm(self, "Delete referral",
                       f"Delete the referral to {where} sent {format_date(r.sent_on)}, with its "
                       f"{len(r.decisions)} decision{'' if len(r.decisions) == 1 else 's'}? Do this only for a referral "
                       "made by mistake (Withdraw keeps it on the record). The audit trail keeps that it was deleted.",
                       "&Delete", danger=True):
            return
        unshare = plan.unshares_pupil and ask_unshare(self)
        self.page.one_call(lambda: referrals.delete_referral(self.ctx.session, r.uuid, unshare_pupil=unshare),
                           "referrals", "deleting the referral")


def ask_unshare(parent) -> bool:
    """This referral alone shared the pupil with the MHST: stop sharing too? (default: keep sharing)."""
    return ask_first(parent, "MHST sharing",
                     "This referral is what shared the pupil with the MHST. Stop sharing them with the MHST too? "
                     "MHST practitioners would no longer see their record (what they recorded stays).",
                     "&Stop sharing", "&Keep sharing")
