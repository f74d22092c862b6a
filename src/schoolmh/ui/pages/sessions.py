"""The Sessions page: contacts recorded between two dates (this term unless chosen otherwise).

The list reuses the shared RowTableModel/SortProxy; dates and minutes sort as
values. Recording goes through the quick session dialog (Ctrl+N anywhere;
the main window owns that shortcut, so this page only offers the button).
Correcting or deleting a session recorded in error (SessionActions) is offered
here and on a pupil's Sessions tab, to roles that record sessions.
"""
from __future__ import annotations

import datetime as dt
from collections.abc import Callable

from PySide6.QtCore import QObject, Qt
from PySide6.QtGui import QAction, QKeySequence
from PySide6.QtWidgets import (
    QComboBox,
    QDialog,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPushButton,
    QTableView,
    QVBoxLayout,
    QWidget,
)

from schoolmh.domain.codes import ATTENDANCE, FUNCTIONS, SESSION_MODES, SESSION_TYPES
from schoolmh.services import sessions, terms
from schoolmh.services.permissions import Action
from schoolmh.services.sessions import SessionInfo
from schoolmh.ui.models.table_model import RIGHT, Column, RowTableModel, SortProxy, format_date
from schoolmh.ui.widgets.charts import hours_text
from schoolmh.ui.widgets.common import PAGE_TITLE, confirm, fit_columns, heading, info, list_view
from schoolmh.ui.widgets.dates import DateEdit

__all__ = ["SessionsPage", "SessionActions", "session_columns"]


def session_columns(with_pupil: bool = True) -> list[Column[SessionInfo]]:
    """Columns for a session list (the pupil record's Sessions tab leaves out the pupil)."""
    cols: list[Column[SessionInfo]] = [Column("Date", lambda s: s.date, align=RIGHT)]
    if with_pupil:
        cols.append(Column("Pupil", lambda s: s.pupil_name or "(no pupil)",
                           sort=lambda s: s.pupil_name.casefold() if s.pupil_name else "",
                           tooltip=lambda s: s.pupil_name or None))
    cols += [
        Column("Function", lambda s: f"{s.function}. {FUNCTIONS.get(s.function, '')}", sort=lambda s: s.function,
               tooltip=lambda s: FUNCTIONS.get(s.function)),
        Column("Type", lambda s: SESSION_TYPES.get(s.type, s.type)),
        Column("Mode", lambda s: SESSION_MODES.get(s.mode, s.mode)),
        Column("Attendance", lambda s: ATTENDANCE.get(s.attendance, s.attendance)),
        Column("Minutes", lambda s: s.duration_minutes, align=RIGHT),
        Column("Staff", lambda s: s.staff_name),
        Column("Ratings", lambda s: ", ".join(str(r) for _, r in s.goal_ratings),
               tooltip=lambda s: "Goal ratings (0–10) given at this session" if s.goal_ratings else None),
        Column("Note", lambda s: "(hidden)" if s.note_hidden else s.note.replace("\n", " "),
               tooltip=lambda s: s.note if s.note and not s.note_hidden else None),
    ]
    return cols


class SessionActions(QObject):
    """"Edit…" and "Delete…" for the session chosen in a list, as buttons and in the list's context menu.

    Shared by the Sessions page and a pupil's Sessions tab. Shown only to roles with
    SESSION_WRITE (`update()` after loading). Each change goes through `wrap(change)`,
    where `change()` makes the one service call and returns True when something changed:
    the pupil record wraps it to reload once; by default the main window's refresh on
    ctx.data_changed is enough.
    """

    def __init__(self, ctx, view: QTableView, proxy: SortProxy,
                 wrap: Callable[[Callable[[], bool]], object] | None = None) -> None:
        super().__init__(view)
        self.ctx, self.view, self.proxy = ctx, view, proxy
        self._wrap = wrap or (lambda change: change())
        self.edit_button = QPushButton("&Edit…")
        self.edit_button.setAccessibleName("Edit session")
        self.edit_button.setToolTip("Correct the chosen session")
        self.delete_button = QPushButton("&Delete…")
        self.delete_button.setAccessibleName("Delete session")
        self.delete_button.setToolTip("Delete the chosen session (recorded in error)")
        self.edit_button.clicked.connect(self.edit)
        self.delete_button.clicked.connect(self.delete)
        self.edit_action = QAction("&Edit session…", view)
        self.edit_action.triggered.connect(self.edit)
        self.delete_action = QAction("&Delete session…", view)
        self.delete_action.setShortcut(QKeySequence.StandardKey.Delete)
        self.delete_action.setShortcutContext(Qt.ShortcutContext.WidgetShortcut)
        self.delete_action.triggered.connect(self.delete)
        view.addAction(self.edit_action)
        view.addAction(self.delete_action)
        view.setContextMenuPolicy(Qt.ContextMenuPolicy.ActionsContextMenu)
        proxy.modelReset.connect(self.update)
        proxy.layoutChanged.connect(self.update)
        view.selectionModel().currentChanged.connect(lambda *_: self.update())
        self.update()

    def allowed(self) -> bool:
        return self.ctx.session is not None and self.ctx.session.can(Action.SESSION_WRITE)

    def update(self) -> None:
        allowed = self.allowed()
        chosen = allowed and self.current() is not None
        for w in (self.edit_button, self.delete_button, self.edit_action, self.delete_action):
            w.setVisible(allowed)
            w.setEnabled(chosen)
        self.view.setContextMenuPolicy(Qt.ContextMenuPolicy.ActionsContextMenu if allowed
                                       else Qt.ContextMenuPolicy.NoContextMenu)

    def current(self) -> SessionInfo | None:
        return self.proxy.row_at(self.view.currentIndex())

    def _chosen(self, title: str) -> SessionInfo | None:
        s = self.current() if self.allowed() else None
        if s is None and self.allowed():
            info(self.view, title, "Choose a session in the list first.")
        return s

    def edit(self) -> None:
        from schoolmh.ui.dialogs.quick_session import QuickSessionDialog

        s = self._chosen("Edit session")
        if s is None:
            return

        def change() -> bool:
            dialog = QuickSessionDialog(self.ctx, self.view, editing=s)
            return dialog.exec() == QDialog.DialogCode.Accepted and dialog.result_value is not s

        self._wrap(change)

    def delete(self) -> None:
        s = self._chosen("Delete session")
        if s is None:
            return
        who = f" with {s.pupil_name}" if s.pupil_name else ""
        text = f"Delete the session on {format_date(s.date)}{who} ({s.duration_minutes} min, {s.staff_name})?"
        if s.goal_ratings:
            text += " The goal ratings given at it are deleted too."
        if s.measure_uuids:
            text += " Questionnaire scores entered with it are kept."
        text += " Do this only for a session recorded in error."
        if not confirm(self.view, "Delete session", text, "&Delete", danger=True):
            return

        def change() -> bool:
            try:
                sessions.delete_session(self.ctx.session, s.uuid)
            except Exception as exc:  # noqa: BLE001
                self.ctx.report_error(self.view, exc, "deleting the session")
                return False
            self.ctx.data_changed.emit("sessions")
            return True

        self._wrap(change)


class SessionsPage(QWidget):
    def __init__(self, ctx, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.ctx = ctx
        session = ctx.session
        today = session.today() if session else dt.date.today()

        title = heading("Sessions", PAGE_TITLE)

        self.period = QComboBox()
        self.period.setAccessibleName("Period")
        current = terms.current_term(today)
        previous = terms.previous_term(current.name, current.year)
        year_start, year_end = terms.academic_year_dates(today)
        self._periods: list[tuple[str, dt.date | None, dt.date | None]] = [
            (f"This term ({current.label})", current.start, current.end),
            (f"Last term ({previous.label})", previous.start, previous.end),
            (f"This academic year ({current.academic_year})", year_start, year_end),
            ("Last 7 days", today - dt.timedelta(days=6), today),
            ("Custom dates", None, None),
        ]
        for text, *_ in self._periods:
            self.period.addItem(text)
        period_label = QLabel("&Period:")
        period_label.setBuddy(self.period)

        self.start = DateEdit(current.start, accessible_name="From")
        self.end = DateEdit(current.end, accessible_name="To")
        start_label = QLabel("&From:")
        start_label.setBuddy(self.start)
        end_label = QLabel("T&o:")
        end_label.setBuddy(self.end)

        self.search = QLineEdit()
        self.search.setPlaceholderText("Pupil, staff, type…")
        self.search.setClearButtonEnabled(True)
        self.search.setAccessibleName("Filter sessions")
        search_label = QLabel("F&ilter:")
        search_label.setBuddy(self.search)

        self.record_button = QPushButton("&Record session…")
        self.record_button.setToolTip("Ctrl+N from anywhere")
        self.record_button.setAccessibleName("Record session")
        self.record_button.clicked.connect(self.record_session)
        self.record_button.setVisible(session is not None and session.can(Action.SESSION_WRITE))

        self.model = RowTableModel(session_columns(), key=lambda s: s.uuid, parent=self)
        self.proxy = SortProxy(self.model, self)
        self.view = list_view(self.proxy, "Sessions list", 0, Qt.SortOrder.DescendingOrder)
        self.view.activated.connect(self._open)
        self.session_actions = SessionActions(ctx, self.view, self.proxy)

        self.totals = QLabel()
        self.totals.setAccessibleName("Totals")

        top = QHBoxLayout()
        top.addWidget(title)
        top.addStretch(1)
        top.addWidget(self.record_button)
        filters = QHBoxLayout()
        for w in (period_label, self.period, start_label, self.start, end_label, self.end):
            filters.addWidget(w)
        filters.addSpacing(12)
        filters.addWidget(search_label)
        filters.addWidget(self.search, 1)
        layout = QVBoxLayout(self)
        layout.addLayout(top)
        layout.addLayout(filters)
        layout.addWidget(self.view, 1)
        bottom = QHBoxLayout()
        bottom.addWidget(self.totals)
        bottom.addStretch(1)
        bottom.addWidget(QLabel("Enter or double-click opens the pupil's record."))
        bottom.addWidget(self.session_actions.edit_button)
        bottom.addWidget(self.session_actions.delete_button)
        layout.addLayout(bottom)

        self.period.currentIndexChanged.connect(self._period_changed)
        self.start.dateChanged.connect(self._dates_edited)
        self.end.dateChanged.connect(self._dates_edited)
        self.search.textChanged.connect(self._filter)
        self._setting_period = False
        # Loaded by refresh(), which the main window calls when the page is shown.

    # -- loading ----------------------------------------------------------------------------
    def refresh(self) -> None:
        if self.ctx.session is None:
            return
        start, end = self.start.value(), self.end.value()
        if end < start:
            start, end = end, start
        try:
            rows = sessions.list_sessions(self.ctx.session, start=start, end=end)
        except Exception as exc:  # noqa: BLE001
            self.ctx.report_error(self, exc, "loading sessions")
            return
        self.model.set_rows(rows)
        fit_columns(self.view, 240)  # the note (last) takes whatever width is left; full text in its tooltip
        self._update_totals()

    def _update_totals(self) -> None:
        shown = [self.proxy.row_at(self.proxy.index(r, 0)) for r in range(self.proxy.rowCount())]
        minutes = sum(s.duration_minutes for s in shown)
        pupils = len({s.pupil_uuid for s in shown if s.pupil_uuid})
        self.totals.setText(f"{len(shown):,} session{'' if len(shown) == 1 else 's'}, "
                            f"{hours_text(minutes)}, {pupils:,} pupil{'' if pupils == 1 else 's'}")

    # -- filters ----------------------------------------------------------------------------
    def _period_changed(self, index: int) -> None:
        _text, start, end = self._periods[index]
        if start is None or end is None:
            return
        self._setting_period = True
        self.start.set_value(start)
        self.end.set_value(end)
        self._setting_period = False
        # Loaded by refresh(), which the main window calls when the page is shown.

    def _dates_edited(self, *_args) -> None:
        if self._setting_period:
            return
        self.period.blockSignals(True)
        self.period.setCurrentIndex(len(self._periods) - 1)  # "Custom dates"
        self.period.blockSignals(False)
        self.refresh()

    def _filter(self, text: str) -> None:
        self.proxy.set_filter_text(text)
        self._update_totals()

    # -- actions ----------------------------------------------------------------------------
    def _open(self, index) -> None:
        s = self.proxy.row_at(index)
        if s is not None and s.pupil_uuid:
            self.ctx.open_pupil.emit(s.pupil_uuid)

    def record_session(self) -> None:
        from schoolmh.ui.dialogs.quick_session import QuickSessionDialog

        QuickSessionDialog(self.ctx, self).exec()
