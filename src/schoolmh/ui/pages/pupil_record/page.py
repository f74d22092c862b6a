"""The pupil record page: the header with flags and actions, and the tabs."""
from __future__ import annotations

import importlib
from collections.abc import Callable
from pathlib import Path

from PySide6.QtCore import Qt
from PySide6.QtWidgets import (
    QFileDialog,
    QHBoxLayout,
    QLabel,
    QMenu,
    QPushButton,
    QTabWidget,
    QVBoxLayout,
    QWidget,
)

from schoolmh.domain.codes import SEN_PROVISION, TIERS
from schoolmh.errors import ValidationError
from schoolmh.services import measures, plans, pupils, referrals, sessions
from schoolmh.services.permissions import Action
from schoolmh.services.pupils import PupilDetail
from schoolmh.ui.dialogs.record_dialogs import LeftDialog
from schoolmh.ui.models.pupils_model import year_label
from schoolmh.ui.models.table_model import format_date
from schoolmh.ui.pages.pupil_record.common import RecordTab
from schoolmh.ui.pages.pupil_record.history_tab import HistoryTab
from schoolmh.ui.pages.pupil_record.measures_tab import MeasuresTab
from schoolmh.ui.pages.pupil_record.overview import OverviewTab
from schoolmh.ui.pages.pupil_record.plan_tab import PlanTab
from schoolmh.ui.pages.pupil_record.referrals_tab import ReferralsTab
from schoolmh.ui.pages.pupil_record.sessions_tab import SessionsTab
from schoolmh.ui.widgets.common import Chip, confirm, heading, info
from schoolmh.ui.widgets.flow import FlowLayout


# --- the page ------------------------------------------------------------------------------------------------
def _pdf_function():
    """schoolmh.reports.pupil_summary.pupil_summary_pdf(session, pupil_uuid) when the reports have landed."""
    try:
        module = importlib.import_module("schoolmh.reports.pupil_summary")
    except ImportError:
        return None
    return getattr(module, "pupil_summary_pdf", None)


class PupilRecordPage(QWidget):
    def __init__(self, ctx, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.ctx = ctx
        self.pupil: PupilDetail | None = None
        self.data: dict = {}
        self.loads = 0  # counts reloads, so a change reloads the record once (see reload_after_change)

        self.back_button = QPushButton("‹ &Pupils")
        self.back_button.setAccessibleName("Back to the pupil list")
        self.back_button.clicked.connect(lambda: ctx.navigate.emit("pupils"))
        self.name = heading("", 1.5)
        self.name.setAccessibleName("Pupil name")
        self.name.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.details = QLabel()
        self.details.setWordWrap(True)  # wraps on a small screen (1366x768 at 150%) instead of widening the page
        self.details.setAccessibleName("Pupil details")
        self.details.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.chips_host = QWidget()
        self.chips = FlowLayout(self.chips_host)  # wraps: a pupil with many flags must not widen the page
        self.chips.setContentsMargins(0, 0, 0, 0)

        self.edit_button = QPushButton("Edit deta&ils…")
        self.edit_button.clicked.connect(self.edit_details)
        # Rarer changes live in a menu so the header fits at 1366x768 and 150% scaling.
        self.more_button = QPushButton("More actio&ns")
        self.more_button.setAccessibleName("More actions")
        more = QMenu(self.more_button)
        self.share_action = more.addAction("Share with MHST…", self.toggle_share)
        self.left_action = more.addAction("Mark as left…", self.toggle_left)
        self.more_button.setMenu(more)
        self.pdf_button = QPushButton("Pupil summary PD&F…")
        self.pdf_button.clicked.connect(self.save_pdf)
        for b in (self.edit_button, self.pdf_button):
            b.setAccessibleName(b.text().replace("&", "").rstrip("…"))

        self.tabs = QTabWidget()
        self.tabs.setAccessibleName("Pupil record sections")
        self.overview = OverviewTab(self)
        self.plan_tab = PlanTab(self)
        self.sessions_tab = SessionsTab(self)
        self.measures_tab = MeasuresTab(self)
        self.referrals_tab = ReferralsTab(self)
        self.history_tab = HistoryTab(self)
        self._tabs: list[tuple[RecordTab, Action]] = [
            (self.overview, Action.PUPIL_READ),
            (self.plan_tab, Action.PLAN_READ),
            (self.sessions_tab, Action.SESSION_READ),
            (self.measures_tab, Action.MEASURE_READ),
            (self.referrals_tab, Action.REFERRAL_READ),
            (self.history_tab, Action.AUDIT_READ),
        ]
        for tab, text in zip((t for t, _ in self._tabs),
                             ("&Overview", "P&lan", "&Sessions", "&Measures", "&Referrals", "&History"), strict=True):
            self.tabs.addTab(tab, text)
        self._apply_permissions()

        header_left = QVBoxLayout()
        header_left.setSpacing(2)
        header_left.addWidget(self.name)
        header_left.addWidget(self.details)
        header_left.addWidget(self.chips_host)
        header_buttons = QVBoxLayout()  # stacked: the name and details keep the width on a small screen
        for b in (self.edit_button, self.pdf_button, self.more_button):
            header_buttons.addWidget(b)
        header = QHBoxLayout()
        back_col = QVBoxLayout()
        back_col.addWidget(self.back_button)
        back_col.addStretch(1)
        header.addLayout(back_col)
        header.addSpacing(8)
        header.addLayout(header_left, 1)
        right = QVBoxLayout()
        right.addLayout(header_buttons)
        right.addStretch(1)
        header.addLayout(right)
        layout = QVBoxLayout(self)
        layout.addLayout(header)
        layout.addWidget(self.tabs, 1)
        self._set_header_visible(False)

    # -- permissions ----------------------------------------------------------------------------------
    def can(self, action: Action) -> bool:
        return self.ctx.session is not None and self.ctx.session.can(action)

    def _apply_permissions(self) -> None:
        for i, (_tab, action) in enumerate(self._tabs):
            self.tabs.setTabVisible(i, self.can(action))
        self.left_action.setVisible(self.can(Action.PUPIL_WRITE))
        self.share_action.setVisible(self.can(Action.PUPIL_SHARE_MHST))
        if _pdf_function() is None:
            self.pdf_button.setEnabled(False)
            self.pdf_button.setToolTip("Pupil summary PDFs arrive with the reports; not available in this version yet.")

    def _set_header_visible(self, on: bool) -> None:
        for w in (self.name, self.details, self.chips_host, self.tabs):
            w.setVisible(on)
        self.edit_button.setVisible(on and self.can(Action.PUPIL_WRITE))
        self.pdf_button.setVisible(on and self.can(Action.REPORT_PUPIL))
        self.more_button.setVisible(on and (self.can(Action.PUPIL_WRITE) or self.can(Action.PUPIL_SHARE_MHST)))

    # -- loading ----------------------------------------------------------------------------------------
    def show_pupil(self, uuid: str) -> None:
        """Open a pupil's record (audited as a view by the service). Raises NotFound for an unknown pupil."""
        self.pupil = pupils.get_pupil(self.ctx.session, uuid)
        self._load_data()
        self._render()
        self.tabs.setCurrentIndex(0)

    def take_focus(self) -> None:
        """Just opened: the keyboard starts on the record's sections (arrows change section, Tab goes
        into it), not on "‹ Pupils", where a stray Enter would close the record again."""
        self.tabs.tabBar().setFocus(Qt.FocusReason.OtherFocusReason)

    def refresh(self) -> None:
        """Reload the pupil shown (after a change anywhere); a pupil now out of reach clears the page."""
        if self.pupil is None or self.ctx.session is None:
            return
        try:
            self.pupil = pupils.get_pupil(self.ctx.session, self.pupil.uuid)
        except Exception:  # noqa: BLE001 - erased or unshared meanwhile
            self.clear()
            return
        self._load_data()
        self._render()

    def reload_after_change(self, loads_before: int) -> None:
        """After a change made from this page: reload, unless the window already did (it calls
        refresh() on ctx.data_changed), so the record is read once per change."""
        if self.loads == loads_before:
            self.refresh()

    def _load_data(self) -> None:
        session = self.ctx.session
        uuid = self.pupil.uuid
        d: dict = {}
        if session.can(Action.PLAN_READ):
            d["plans"] = plans.list_plans(session, uuid)
            d["plan"] = next((p for p in d["plans"] if p.status == "open"), None)
        if session.can(Action.SESSION_READ):
            d["sessions"] = sessions.list_sessions(session, uuid)
        if session.can(Action.MEASURE_READ):
            d["measures"] = measures.list_measures(session, uuid)
            d["changes"] = measures.change_summary(session, uuid)
        if session.can(Action.REFERRAL_READ):
            d["referrals"] = referrals.list_referrals(session, uuid)
        self.data = d
        self.loads += 1

    def _render(self) -> None:
        p = self.pupil
        self._set_header_visible(True)
        self.name.setText(p.display_name)
        legal = f"{p.legal_forename} {p.legal_surname}".strip()
        bits = [year_label(p.year_group)]
        if p.tutor_group:
            bits.append(f"Tutor group {p.tutor_group}")
        if p.upn:
            bits.append(f"UPN {p.upn}")
        if p.dob:
            bits.append(f"Born {format_date(p.dob)}")
        if legal and legal != p.display_name:
            bits.append(f"Legal name {legal}")
        self.details.setText(" · ".join(b for b in bits if b))
        self._render_chips(p)
        self.share_action.setText("Stop sharing with MHST…" if p.shared_with_mhst else "Share with MHST…")
        self.left_action.setText("Put back on roll…" if p.left_on else "Mark as left…")
        for i, (tab, action) in enumerate(self._tabs):
            if self.tabs.isTabVisible(i) and self.can(action):
                tab.load()
        self.measures_tab.entry.date.set_value(self.ctx.session.today())

    def _render_chips(self, p: PupilDetail) -> None:
        while self.chips.count():
            item = self.chips.takeAt(0)
            if item.widget():
                item.widget().deleteLater()
        chips: list[tuple[str, str]] = []
        if p.left_on:
            chips.append((f"Left {format_date(p.left_on)}", "Has left the school"))
        if p.sen_provision in ("E", "K"):
            chips.append((f"SEN {p.sen_provision}" + (f" · {p.primary_need}" if p.primary_need else ""),
                          SEN_PROVISION[p.sen_provision] + (f", primary need {p.primary_need}" if p.primary_need else "")))
        if p.looked_after:
            chips.append(("CLA", "Looked after (child in care)"))
        if p.young_carer:
            chips.append(("Young carer", "Young carer"))
        if p.eal:
            chips.append(("EAL" + (f" · {p.first_language}" if p.first_language else ""),
                          "English as an additional language"))
        if p.fsm:
            chips.append(("FSM", "Free school meals"))
        if p.pupil_premium:
            chips.append(("PP", "Pupil premium"))
        if p.service_child:
            chips.append(("Service child", "Parent in the armed forces"))
        if p.open_plan_tier:
            chips.append((f"Plan: {TIERS.get(p.open_plan_tier, p.open_plan_tier)}", "Open support plan and its tier"))
        if p.in_gap:
            chips.append((f"⚠ In the gap · {p.gap_days} days", "Not accepted by the MHST and by CAMHS; nothing pending or accepted since"))
        if p.shared_with_mhst:
            chips.append(("Shared with MHST", "MHST practitioners can see this pupil"))
        for text, tip in chips:
            self.chips.addWidget(Chip(text, tip))
        if not chips:
            none = QLabel("No flags recorded")
            self.chips.addWidget(none)

    def clear(self) -> None:
        """Forget the pupil (lock, erasure): every widget holding their data is emptied."""
        self.pupil = None
        self.data = {}
        self.name.clear()
        self.details.clear()
        self._render_chips_empty()
        for tab, _ in self._tabs:
            tab.clear()
        self._set_header_visible(False)

    def _render_chips_empty(self) -> None:
        while self.chips.count():
            item = self.chips.takeAt(0)
            if item.widget():
                item.widget().deleteLater()

    # -- header actions ---------------------------------------------------------------------------------------
    def edit_details(self) -> None:
        from schoolmh.ui.dialogs.pupil_form import PupilFormDialog

        if self.pupil is None:
            return
        before = self.loads
        dialog = PupilFormDialog(self.ctx, self, self.pupil)
        if dialog.exec() and dialog.result_value is not None:
            self.reload_after_change(before)

    def toggle_share(self) -> None:
        p = self.pupil
        if p is None:
            return
        if p.shared_with_mhst:
            question = ("Stop sharing this pupil with the MHST? MHST practitioners will no longer see their record "
                        "(what they recorded stays).")
        else:
            question = "Share this pupil with the MHST? MHST practitioners will see their whole record."
        if not confirm(self, "MHST sharing", question, "&Stop sharing" if p.shared_with_mhst else "&Share"):
            return
        self.one_call(lambda: pupils.share_with_mhst(self.ctx.session, p.uuid, not p.shared_with_mhst),
                       "pupils", "changing MHST sharing")

    def toggle_left(self) -> None:
        p = self.pupil
        if p is None:
            return
        if p.left_on is None:
            before = self.loads
            if LeftDialog(self.ctx, self, p).exec():
                self.reload_after_change(before)
            return
        if confirm(self, "Back on roll", "Put this pupil back on roll?", "Bac&k on roll"):
            self.one_call(lambda: pupils.unarchive_pupil(self.ctx.session, p.uuid), "pupils", "putting the pupil back on roll")

    def one_call(self, call: Callable[[], object], kind: str, doing: str) -> bool:
        """Run one service call for a change, tell everyone, reload once."""
        before = self.loads
        try:
            call()
        except Exception as exc:  # noqa: BLE001
            self.ctx.report_error(self, exc, doing)
            return False
        self.ctx.data_changed.emit(kind)
        self.reload_after_change(before)
        return True

    def save_pdf(self) -> None:
        make = _pdf_function()
        p = self.pupil
        if make is None or p is None:
            return
        name, _ = QFileDialog.getSaveFileName(self, "Save pupil summary", str(Path.home() / "pupil-summary.pdf"),
                                              "PDF (*.pdf)")
        if not name:
            return
        session, uuid = self.ctx.session, p.uuid

        def work(progress):
            progress.update(0, 0, "Making the PDF…")
            return make(session, uuid)

        def done(data: bytes) -> None:
            from schoolmh import fsutil

            try:  # the save dialog asked before replacing a file; never into the vault's folder
                fsutil.write_output(name, data, self.ctx.data_dir, overwrite=True)
            except ValidationError as exc:
                self.ctx.report_error(self, exc, "saving the PDF")
                return
            except OSError as exc:
                self.ctx.report_error(self, ValidationError(f"Could not save the PDF: {exc.strerror}."), "saving the PDF")
                return
            info(self, "Pupil summary", f"Saved {Path(name).name}.")

        self.ctx.run("Pupil summary PDF", work, done, parent=self, gui_thread=True)
