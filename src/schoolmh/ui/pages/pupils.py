"""The Pupils page: every pupil the user may see, filtered as they type.

`refresh()` reloads from the service; the main window calls it when the page is
shown and after any ctx.data_changed while it is the current page.

The whole roll (leavers too) is loaded once per refresh and filtered in the
proxy, so a keystroke or a ticked box never touches the database; see
ui/models/pupils_model.py for how 2,000 rows stay fast.
"""
from __future__ import annotations

from PySide6.QtCore import QEvent, QItemSelectionModel, QObject, Qt
from PySide6.QtGui import QKeySequence, QShortcut
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from schoolmh.domain.codes import SEN_PROVISION, TIERS
from schoolmh.services import pupils
from schoolmh.services.permissions import Action
from schoolmh.ui.models.pupils_model import PupilFilter, PupilFilterProxy, PupilsModel, year_label
from schoolmh.ui.widgets.common import PAGE_TITLE, heading, list_view

__all__ = ["PupilsPage"]


class PupilsPage(QWidget):
    def __init__(self, ctx, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.ctx = ctx
        session = ctx.session

        title = heading("Pupils", PAGE_TITLE)
        title.setAccessibleName("Pupils")

        self.search = QLineEdit()
        self.search.setPlaceholderText("Name, UPN, year (Y9) or tutor group")
        self.search.setClearButtonEnabled(True)
        self.search.setAccessibleName("Filter pupils")
        self.search.setAccessibleDescription("Type part of a name, a UPN, a year such as Y9, or a tutor group")
        search_label = QLabel("&Filter:")
        search_label.setBuddy(self.search)

        self.tier = QComboBox()
        self.tier.addItem("Any tier", None)
        for code, name in TIERS.items():
            self.tier.addItem(name, code)
        self.tier.addItem("No open plan", "none")
        self.tier.setAccessibleName("Tier")
        tier_label = QLabel("&Tier:")
        tier_label.setBuddy(self.tier)

        self.sen = QComboBox()
        self.sen.addItem("Any SEN", None)
        for code in ("E", "K", "N"):
            self.sen.addItem(f"{code}: {SEN_PROVISION[code]}", code)
        self.sen.setAccessibleName("SEN provision")
        sen_label = QLabel("S&EN:")
        sen_label.setBuddy(self.sen)

        self.year = QComboBox()
        self.year.addItem("Any year", None)
        self.year.setAccessibleName("Year group")
        year_label_ = QLabel("&Year:")
        year_label_.setBuddy(self.year)

        self.open_plan = QCheckBox("Has open p&lan")
        self.in_gap = QCheckBox("In the &gap")
        self.in_gap.setToolTip("Referrals not accepted, and no accepted referral since")
        self.leavers = QCheckBox("Include lea&vers")
        for box in (self.open_plan, self.in_gap, self.leavers):
            box.setAccessibleName(box.text().replace("&", ""))

        self.model = PupilsModel(self)
        self.proxy = PupilFilterProxy(self.model, self)
        self.view = list_view(self.proxy, "Pupils list")  # the last visible column takes spare width
        header = self.view.horizontalHeader()
        fm = self.view.fontMetrics()
        for col, sample in enumerate(("Saoirse-Aoife Ní Bhriain-Okonkwo", "Reception", "Tutor group", "A123456789012",
                                      "SEN", "CLA YC EAL FSM", "Targeted (in school)", "In the gap", "Left")):
            header.resizeSection(col, fm.horizontalAdvance(sample) + 24)
        header.setMinimumSectionSize(fm.horizontalAdvance("SEN") + 16)
        self.view.activated.connect(self._open_index)

        self.count = QLabel()
        self.count.setAccessibleName("Pupils shown")

        self.new_button = QPushButton("&New pupil…")
        self.new_button.setAccessibleName("New pupil")
        self.new_button.clicked.connect(self.new_pupil)
        self.import_button = QPushButton("&Import from MIS…")
        self.import_button.setAccessibleName("Import from MIS")
        self.import_button.clicked.connect(self.import_pupils)
        self.open_button = QPushButton("&Open record")
        self.open_button.setAccessibleName("Open record")
        self.open_button.clicked.connect(lambda: self._open_index(self.view.currentIndex()))
        can_write = session is not None and session.can(Action.PUPIL_WRITE)
        can_import = session is not None and session.can(Action.PUPIL_IMPORT)
        self.new_button.setVisible(can_write)
        self.import_button.setVisible(can_import)

        top = QHBoxLayout()
        top.addWidget(title)
        top.addStretch(1)
        top.addWidget(self.new_button)
        top.addWidget(self.import_button)

        filters = QHBoxLayout()
        filters.addWidget(search_label)
        filters.addWidget(self.search, 3)
        for label, box in ((tier_label, self.tier), (sen_label, self.sen), (year_label_, self.year)):
            filters.addSpacing(8)
            filters.addWidget(label)
            filters.addWidget(box, 1)

        ticks = QHBoxLayout()
        ticks.addWidget(self.open_plan)
        ticks.addWidget(self.in_gap)
        ticks.addWidget(self.leavers)
        ticks.addStretch(1)
        ticks.addWidget(self.count)

        bottom = QHBoxLayout()
        bottom.addWidget(QLabel("Enter or double-click opens a pupil's record."))
        bottom.addStretch(1)
        bottom.addWidget(self.open_button)

        layout = QVBoxLayout(self)
        layout.addLayout(top)
        layout.addLayout(filters)
        layout.addLayout(ticks)
        layout.addWidget(self.view, 1)
        layout.addLayout(bottom)

        self.search.textChanged.connect(self._text_changed)
        self.search.installEventFilter(self)
        for box in (self.tier, self.sen, self.year):
            box.currentIndexChanged.connect(self._filters_changed)
        for check in (self.open_plan, self.in_gap, self.leavers):
            check.toggled.connect(self._filters_changed)
        QShortcut(QKeySequence(QKeySequence.StandardKey.Find), self, activated=self._focus_search)
        # Loaded by refresh(), which the main window calls when the page is shown.

    # -- loading ---------------------------------------------------------------------------
    def refresh(self) -> None:
        """Reload the list from the service (every pupil, leavers too; the proxy hides them)."""
        if self.ctx.session is None:
            return
        current = self.proxy.row_at(self.view.currentIndex())
        try:
            rows = pupils.list_pupils(self.ctx.session, include_left=True)
        except Exception as exc:  # noqa: BLE001
            self.ctx.report_error(self, exc, "loading the pupil list")
            return
        self.model.set_rows(rows)
        years = sorted({p.year_group for p in rows if p.year_group is not None})
        chosen = self.year.currentData()
        self.year.blockSignals(True)
        self.year.clear()
        self.year.addItem("Any year", None)
        for y in years:
            self.year.addItem(year_label(y), y)
        i = self.year.findData(chosen)
        self.year.setCurrentIndex(i if i >= 0 else 0)
        self.year.blockSignals(False)
        self._filters_changed()
        if current is not None:
            self.select_pupil(current.uuid)
        self._update_count()

    def clear(self) -> None:
        self.model.clear()

    # -- filtering ------------------------------------------------------------------------------
    def _text_changed(self, text: str) -> None:
        self.proxy.set_filter_text(text)
        self._update_count()

    def _filters_changed(self, *_args) -> None:
        self.proxy.set_filters(PupilFilter(
            tier=self.tier.currentData(),
            sen=self.sen.currentData(),
            year=self.year.currentData(),
            has_open_plan=self.open_plan.isChecked(),
            in_gap=self.in_gap.isChecked(),
            include_left=self.leavers.isChecked(),
        ))
        self.view.setColumnHidden(self.model.column_index("Left"), not self.leavers.isChecked())
        self._update_count()

    def _update_count(self) -> None:
        shown = self.proxy.rowCount()
        total = sum(1 for p in self.model._rows if p.left_on is None or self.leavers.isChecked())
        noun = "pupil" if total == 1 else "pupils"
        self.count.setText(f"Showing {shown:,} of {total:,} {noun}" if shown != total else f"{total:,} {noun}")

    def _focus_search(self) -> None:
        self.search.setFocus(Qt.FocusReason.ShortcutFocusReason)
        self.search.selectAll()

    def eventFilter(self, obj: QObject, event: QEvent) -> bool:  # noqa: N802
        # Down or Enter in the filter box moves to the list (first row selected): type, Down, Enter opens.
        if obj is self.search and event.type() == QEvent.Type.KeyPress:
            if event.key() in (Qt.Key.Key_Down, Qt.Key.Key_Return, Qt.Key.Key_Enter) and self.proxy.rowCount():
                if self.proxy.rowCount() == 1 and event.key() in (Qt.Key.Key_Return, Qt.Key.Key_Enter):
                    self._open_index(self.proxy.index(0, 0))
                    return True
                self.view.setFocus(Qt.FocusReason.OtherFocusReason)
                if not self.view.currentIndex().isValid():
                    self.view.selectionModel().setCurrentIndex(
                        self.proxy.index(0, 0),
                        QItemSelectionModel.SelectionFlag.ClearAndSelect | QItemSelectionModel.SelectionFlag.Rows,
                    )
                return True
        return super().eventFilter(obj, event)

    # -- actions ----------------------------------------------------------------------------------
    def select_pupil(self, uuid: str) -> None:
        index = self.proxy.index_for_key(uuid)
        if index.isValid():
            self.view.selectionModel().setCurrentIndex(
                index, QItemSelectionModel.SelectionFlag.ClearAndSelect | QItemSelectionModel.SelectionFlag.Rows)
            self.view.scrollTo(index)

    def _open_index(self, index) -> None:
        p = self.proxy.row_at(index)
        if p is not None:
            self.ctx.open_pupil.emit(p.uuid)

    def new_pupil(self) -> None:
        from schoolmh.ui.dialogs.pupil_form import PupilFormDialog

        dialog = PupilFormDialog(self.ctx, self)
        if dialog.exec() and dialog.result_value is not None:
            if self.model.row_for_key(dialog.result_value.uuid) < 0:  # not yet refreshed by the window
                self.refresh()
            self.select_pupil(dialog.result_value.uuid)

    def import_pupils(self) -> None:
        from schoolmh.ui.dialogs.import_wizard import ImportWizard

        wizard = ImportWizard(self.ctx, self)
        wizard.exec()
