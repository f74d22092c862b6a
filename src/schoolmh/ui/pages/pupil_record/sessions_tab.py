"""The Sessions tab: this pupil's sessions; add, correct, delete."""
from __future__ import annotations

from collections.abc import Callable

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QHBoxLayout, QLabel, QPushButton, QVBoxLayout

from schoolmh.services import sessions
from schoolmh.services.permissions import Action
from schoolmh.ui.models.table_model import RowTableModel, SortProxy
from schoolmh.ui.pages.pupil_record.common import RecordTab, record_table
from schoolmh.ui.pages.sessions import SessionActions, session_columns
from schoolmh.ui.widgets.charts import hours_text
from schoolmh.ui.widgets.common import fit_columns


class SessionsTab(RecordTab):
    def __init__(self, page) -> None:
        super().__init__(page)
        self.model = RowTableModel(session_columns(with_pupil=False), key=lambda s: s.uuid, parent=self)
        self.proxy = SortProxy(self.model, self)
        self.view = record_table(self.proxy, "Sessions with this pupil")
        self.view.sortByColumn(0, Qt.SortOrder.DescendingOrder)
        self.add_button = QPushButton("&Add session…")
        self.add_button.setAccessibleName("Add session")
        self.add_button.clicked.connect(self.add_session)
        self.session_actions = SessionActions(self.ctx, self.view, self.proxy, wrap=self._change)
        self.count = QLabel()
        top = QHBoxLayout()
        top.addWidget(self.count)
        top.addStretch(1)
        top.addWidget(self.add_button)
        top.addWidget(self.session_actions.edit_button)
        top.addWidget(self.session_actions.delete_button)
        layout = QVBoxLayout(self)
        layout.addLayout(top)
        layout.addWidget(self.view, 1)

    def load(self) -> None:
        rows = self.page.data.get("sessions", [])
        self.model.set_rows(rows)
        fit_columns(self.view)
        self.add_button.setVisible(self.can(Action.SESSION_WRITE))
        minutes = sum(s.duration_minutes for s in rows)
        self.count.setText(f"{len(rows)} session{'' if len(rows) == 1 else 's'}, {hours_text(minutes)}")

    def clear(self) -> None:
        self.model.clear()

    def add_session(self) -> None:
        from schoolmh.ui.dialogs.quick_session import QuickSessionDialog

        if self.pupil is not None:
            self.run_dialog(QuickSessionDialog(self.ctx, self, pupil_uuid=self.pupil.uuid))

    def _change(self, change: Callable[[], bool]) -> None:
        """Run an edit or delete from SessionActions, then reload the record once."""
        before = self.page.loads
        if change():
            self.page.reload_after_change(before)
