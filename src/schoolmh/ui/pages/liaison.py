"""MHST liaison: meetings with their actions, the open actions across meetings, staff consultations.

Reads and writes through services.liaison with ctx.session. Pupils linked to a
meeting respect the MHST scope (the service checks it; the picker searches
through services.pupils, which applies it too). Writing a meeting and its new
actions is one user action, so it is one transaction.
"""
from __future__ import annotations

import datetime as dt

from PySide6.QtCore import QDate, QModelIndex, Qt, QTimer, Signal
from PySide6.QtGui import QKeySequence, QShortcut, QStandardItem, QStandardItemModel
from PySide6.QtWidgets import (
    QComboBox,
    QCompleter,
    QFormLayout,
    QGridLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QListWidget,
    QListWidgetItem,
    QPlainTextEdit,
    QPushButton,
    QSpinBox,
    QSplitter,
    QTabWidget,
    QTextBrowser,
    QVBoxLayout,
    QWidget,
)

from schoolmh.domain.codes import LIAISON_TYPES
from schoolmh.domain.staff_time import CONSULTATION_MINUTES, MAX_MINUTES, liaison_minutes
from schoolmh.errors import FieldProblem, SchoolMHError, ValidationError, ValidationErrors
from schoolmh.services import liaison, pupils, users
from schoolmh.services.liaison import ActionInfo, ConsultationInfo, MeetingInfo, NewAction
from schoolmh.services.permissions import Action
from schoolmh.ui.models.table_model import RIGHT, Column, RowTableModel, RowTableView, SortProxy, format_date
from schoolmh.ui.pages.whole_school import _FormDialog
from schoolmh.ui.widgets.common import (
    PAGE_TITLE,
    FormDialog,
    FormErrorLabel,
    error_colour,
    fitted_size,
    heading,
    info,
    scroll_area,
    wrapped_label,
)
from schoolmh.ui.widgets.dates import DateEdit, OptionalDateEdit


def due_status(action: ActionInfo, today: dt.date) -> str:
    """'Overdue by 3 days' / 'Due today' / 'Due in 5 days' / 'Done 2 Mar 2025' / 'No due date'."""
    if action.done_on is not None:
        return f"Done {format_date(action.done_on)}"
    if action.due_on is None:
        return "No due date"
    days = (action.due_on - today).days
    if days < 0:
        return f"Overdue by {-days} day{'s' if days != -1 else ''}"
    if days == 0:
        return "Due today"
    return f"Due in {days} day{'s' if days != 1 else ''}"


def _plural(n: int, word: str) -> str:
    return f"{n} {word}{'' if n == 1 else 's'}"


# --- pupil picker ------------------------------------------------------------------------
class _SearchBox(QLineEdit):
    """The picker's search: Enter with text in it says `entered` and goes no further (the form's Save
    must not take it). A subclass rather than an event filter: a Python filter on a child is called
    while the parent is being destroyed, which crashed the window."""

    entered = Signal()

    def keyPressEvent(self, event) -> None:  # noqa: N802 (Qt)
        if event.key() in (Qt.Key.Key_Return, Qt.Key.Key_Enter) and self.text().strip():
            self.entered.emit()
            event.accept()
            return
        super().keyPressEvent(event)


class PupilPicker(QWidget):
    """Type a name, UPN or year; pick from the matches (Down, Enter); chosen pupils listed below."""

    def __init__(self, ctx, chosen: list[tuple[str, str]] | None = None, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.ctx = ctx
        self.search = _SearchBox()
        self.search.entered.connect(self._enter)
        self.search.setPlaceholderText("Type a name, UPN or year to link a pupil")
        self.search.setAccessibleName("Find a pupil to link")
        self.matches = QStandardItemModel(self)
        self.completer = QCompleter(self.matches, self)
        self.completer.setCompletionMode(QCompleter.CompletionMode.UnfilteredPopupCompletion)
        self.completer.setCaseSensitivity(Qt.CaseSensitivity.CaseInsensitive)
        self.completer.setMaxVisibleItems(8)
        self.search.setCompleter(self.completer)
        self.completer.activated[QModelIndex].connect(self._picked_index)
        self._timer = QTimer(self, singleShot=True, interval=150)
        self._timer.timeout.connect(self._run_search)
        self.search.textEdited.connect(lambda _t: self._timer.start())
        self.list = QListWidget()
        self.list.setAccessibleName("Pupils linked to this meeting")
        self.list.setMaximumHeight(self.list.fontMetrics().lineSpacing() * 3 + 12)
        remove = QPushButton("&Remove pupil")
        remove.clicked.connect(self._remove)
        layout = QGridLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.search, 0, 0, 1, 2)
        layout.addWidget(self.list, 1, 0)
        layout.addWidget(remove, 1, 1, Qt.AlignmentFlag.AlignTop)
        for uuid, name in chosen or []:
            self._add(uuid, name)
        self.setFocusProxy(self.search)  # its label's Alt+letter lands in the search box

    def _enter(self) -> None:
        """Enter in the search box searches (or links the only match); it must not save the form."""
        self._timer.stop()
        self._run_search()
        if self.matches.rowCount() == 1:
            self.completer.popup().hide()
            self._picked_index(self.matches.index(0, 0))

    def _run_search(self) -> None:
        text = self.search.text().strip()
        self.matches.clear()
        if not text:
            return
        try:
            found = pupils.search_pupils(self.ctx.session, text, limit=20)
        except SchoolMHError:
            found = []
        for p in found:
            year = f"Y{p.year_group}" if p.year_group is not None else ""
            item = QStandardItem(" · ".join(x for x in (p.display_name, year, p.tutor_group) if x))
            item.setData(p.uuid, Qt.ItemDataRole.UserRole)
            item.setData(p.display_name, Qt.ItemDataRole.UserRole + 1)
            self.matches.appendRow(item)
        self.completer.complete()

    def _picked_index(self, index) -> None:
        uuid = index.data(Qt.ItemDataRole.UserRole)
        name = index.data(Qt.ItemDataRole.UserRole + 1)
        if uuid:
            self._add(uuid, name)
        QTimer.singleShot(0, self.search, self.search.clear)  # after the completer writes its text; not after deletion

    def _add(self, uuid: str, name: str) -> None:
        if uuid in self.uuids():
            return
        item = QListWidgetItem(name)
        item.setData(Qt.ItemDataRole.UserRole, uuid)
        self.list.addItem(item)

    def add_pupil(self, uuid: str, name: str) -> None:
        self._add(uuid, name)

    def _remove(self) -> None:
        row = self.list.currentRow()
        if row >= 0:
            self.list.takeItem(row)

    def uuids(self) -> list[str]:
        return [self.list.item(i).data(Qt.ItemDataRole.UserRole) for i in range(self.list.count())]


# --- action rows -----------------------------------------------------------------------
class ActionRows(QWidget):
    """Editable rows of new actions: what, who, by when (optional)."""

    def __init__(self, ctx, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.ctx = ctx
        self.grid = QGridLayout(self)
        self.grid.setContentsMargins(0, 0, 0, 0)
        for col, text in enumerate(("Action", "Owner", "Due")):
            self.grid.addWidget(QLabel(text), 0, col)
        self.grid.setColumnStretch(0, 3)
        self.grid.setColumnStretch(1, 1)
        self.rows: list[tuple[QLineEdit, QLineEdit, OptionalDateEdit, FormErrorLabel]] = []
        self.add_button = QPushButton("Add a&nother action")
        self.add_button.clicked.connect(lambda: self.add_row(focus=True))
        self.add_row()

    def add_row(self, focus: bool = False) -> None:
        n = len(self.rows)
        text = QLineEdit()
        text.setAccessibleName(f"Action {n + 1}")
        text.setPlaceholderText("What needs doing")
        owner = QLineEdit()
        owner.setAccessibleName(f"Owner of action {n + 1}")
        owner.setPlaceholderText("Who")
        due = OptionalDateEdit("By", self.ctx.session.today() + dt.timedelta(days=14),
                               accessible_name=f"Due date of action {n + 1}")
        error = FormErrorLabel(self)
        r = 1 + 2 * n
        self.grid.removeWidget(self.add_button)
        self.grid.addWidget(text, r, 0)
        self.grid.addWidget(owner, r, 1)
        self.grid.addWidget(due, r, 2)
        self.grid.addWidget(error, r + 1, 0, 1, 3)
        self.grid.addWidget(self.add_button, r + 2, 0, 1, 3, Qt.AlignmentFlag.AlignLeft)
        self.rows.append((text, owner, due, error))
        if focus:
            text.setFocus()

    def actions(self) -> list[NewAction]:
        """Rows with anything typed (wholly blank rows are ignored; an owner without an action is an error)."""
        return [NewAction(t.text(), o.text(), d.value()) for t, o, d, _e in self.rows if self._filled(t, o)]

    @staticmethod
    def _filled(text: QLineEdit, owner: QLineEdit) -> bool:
        return bool(text.text().strip() or owner.text().strip())

    def _row_of_action(self, index: int) -> int:
        """Row number of the index-th non-blank row (the service numbers only the actions sent)."""
        filled = [i for i, (t, o, _d, _e) in enumerate(self.rows) if self._filled(t, o)]
        return filled[index] if index < len(filled) else -1

    def show_problem(self, field: str, message: str) -> bool:
        """Show a service problem 'actions[i].text' next to its row; False if not an action field."""
        if not field.startswith("actions["):
            return False
        try:
            index = int(field[len("actions["):field.index("]")])
        except ValueError:
            return False
        row = self._row_of_action(index)
        if row < 0:
            return False
        error = self.rows[row][3]
        error.show_error(f"{error.message}\n{message}".strip() if error.text() else message)
        return True

    def focus_first_error(self) -> None:
        for text, *_w, error in self.rows:
            if error.text():
                text.setFocus()
                return

    def clear_errors(self) -> None:
        for *_w, e in self.rows:
            e.clear_error()

    def has_input(self) -> bool:
        return any(t.text().strip() or o.text().strip() for t, o, _d, _e in self.rows)


# --- meeting form ------------------------------------------------------------------------
class MeetingDialog(_FormDialog):
    """Record a liaison meeting (or edit one: existing actions are shown; new ones can be added)."""

    doing = "saving this liaison note"

    def __init__(self, ctx, meeting: MeetingInfo | None = None, names: dict[str, str] | None = None,
                 parent: QWidget | None = None) -> None:
        super().__init__(ctx, "Edit liaison meeting" if meeting else "New liaison meeting", parent)
        m = meeting
        self.meeting = m
        names = names or {}
        self.date_edit = DateEdit(m.date if m else ctx.session.today(), accessible_name="Meeting date")
        self.type = QComboBox()
        self.type.setAccessibleName("Meeting type")
        for code, name in LIAISON_TYPES.items():
            self.type.addItem(name, code)
        self.type.setCurrentIndex(max(0, self.type.findData(m.type if m else "planning")))
        self.duration = QSpinBox()
        self.duration.setRange(1, MAX_MINUTES)
        self.duration.setSuffix(" min")
        self.duration.setValue(m.duration_minutes if m else liaison_minutes(self.type.currentData()))
        if m is None:  # a new meeting's staff time follows its type until changed by hand
            shown_default = [self.duration.value()]

            def type_changed(_i: int) -> None:
                if self.duration.value() == shown_default[0]:
                    shown_default[0] = liaison_minutes(self.type.currentData())
                    self.duration.setValue(shown_default[0])

            self.type.currentIndexChanged.connect(type_changed)
        self.attendees = QLineEdit(m.attendees if m else "")
        self.attendees.setPlaceholderText("e.g. SMHL, EMHP, SENCo")
        self.discussion = QPlainTextEdit(m.discussion if m else "")
        self.discussion.setTabChangesFocus(True)
        self.discussion.setPlaceholderText("What was discussed and agreed")
        self.discussion.setMinimumHeight(self.discussion.fontMetrics().lineSpacing() * 4 + 12)
        chosen = [(u, names.get(u, "Pupil")) for u in (m.pupil_uuids if m else ())]
        self.picker = PupilPicker(ctx, chosen)
        self.action_rows = ActionRows(ctx)

        top = QWidget()
        form = QFormLayout(top)
        e = self.errors
        when = QWidget()
        wl = QHBoxLayout(when)
        wl.setContentsMargins(0, 0, 0, 0)
        wl.addWidget(self.date_edit, 1)
        dlabel = QLabel("Staff ti&me:")
        dlabel.setBuddy(self.duration)
        wl.addWidget(dlabel)
        wl.addWidget(self.duration)
        self.duration.setAccessibleName("Staff time in minutes (counted as advice and liaison, function 3)")
        self.duration.setToolTip("Staff time the meeting took, counted as function 3 (advice and liaison) on the "
                                 "dashboard and in the governors' report. Starts at the meeting type's usual time.")
        e.add("duration_minutes", self.duration, FormErrorLabel(top))
        date_label = QLabel("&Date:")
        date_label.setBuddy(self.date_edit)
        form.addRow(date_label, e.wrap(("date", "duration_minutes"), when))
        e.add_row(form, "&Type:", "type", self.type)
        e.add_row(form, "&Attendees:", "attendees", self.attendees)
        e.add_row(form, "D&iscussion:", "discussion", self.discussion)
        e.add_row(form, "&Pupils discussed:", "pupil_uuids", self.picker)
        if m and m.actions:
            existing = QLabel("\n".join(
                f"• {a.text} ({a.owner or 'no owner'}; {due_status(a, ctx.session.today())})" for a in m.actions))
            existing.setWordWrap(True)
            existing.setTextFormat(Qt.TextFormat.PlainText)
            form.addRow(QLabel("Actions so far:"), existing)
        actions_label = QLabel("New actions:" if m else "Actions:")
        form.addRow(actions_label, self.action_rows)

        outer = QVBoxLayout(self)
        outer.addWidget(scroll_area(top), 1)
        outer.addWidget(self.general)
        outer.addWidget(self.buttons)
        self._watch(self.date_edit, self.type, self.duration, self.attendees, self.discussion)
        self.setMinimumWidth(720)
        self.resize(fitted_size(780, 600))
        self.attendees.setFocus() if m else self.date_edit.setFocus()

    def has_unsaved_input(self) -> bool:
        return self._dirty or self.action_rows.has_input() or (self.meeting is None and bool(self.picker.uuids()))

    def accept(self) -> None:
        self.action_rows.clear_errors()
        super().accept()

    def values(self) -> dict:
        return dict(date=self.date_edit.value(), type=self.type.currentData(), attendees=self.attendees.text(),
                    discussion=self.discussion.toPlainText(), duration_minutes=self.duration.value(),
                    pupil_uuids=self.picker.uuids())

    def _write(self):
        session = self.ctx.session
        new_actions = self.action_rows.actions()
        if self.meeting is None:
            info = liaison.create_meeting(session, actions=new_actions, **self.values())
        else:
            with session.transaction():  # the note and its new actions: one change
                info = liaison.update_meeting(session, self.meeting.uuid, **self.values())
                for i, a in enumerate(new_actions):
                    try:
                        liaison.add_action(session, self.meeting.uuid, a.text, a.owner, a.due_on)
                    except ValidationError as exc:  # renumber so the problem lands on its row
                        raise _renumber(exc, i) from None
        self.ctx.data_changed.emit("liaison")
        return info

    def _show_validation(self, exc: ValidationError) -> None:
        """Action problems go next to their row; the rest next to their fields."""
        problems = exc.problems if isinstance(exc, ValidationErrors) else [FieldProblem(exc.field or "", exc.message)]
        rest = [p for p in problems if not self.action_rows.show_problem(p.field or "", p.message)]
        if rest:
            self.errors.show(ValidationErrors(rest))
        else:
            self.errors.clear()
            self.action_rows.focus_first_error()


def _renumber(exc: ValidationError, index: int) -> ValidationError:
    problems = exc.problems if isinstance(exc, ValidationErrors) else [FieldProblem(exc.field or "text", exc.message)]
    return ValidationErrors([FieldProblem(f"actions[{index}].{p.field}", p.message) for p in problems])


# --- consultation form ------------------------------------------------------------------
class ConsultationDialog(_FormDialog):
    """Advice given to a member of staff (function 3)."""

    doing = "saving this consultation"

    def __init__(self, ctx, parent: QWidget | None = None) -> None:
        super().__init__(ctx, "New staff consultation", parent)
        self.date_edit = DateEdit(ctx.session.today(), accessible_name="Date")
        self.staff = QLineEdit()
        self.staff.setPlaceholderText("e.g. Year 9 form tutor")
        self.topic = QPlainTextEdit()
        self.topic.setTabChangesFocus(True)
        self.topic.setPlaceholderText("What advice was asked for and given")
        self.topic.setFixedHeight(self.topic.fontMetrics().lineSpacing() * 4 + 12)
        self.duration = QSpinBox()
        self.duration.setRange(1, MAX_MINUTES)
        self.duration.setValue(CONSULTATION_MINUTES)
        self.duration.setSuffix(" min")
        self.duration.setAccessibleName("Staff time in minutes (counted as advice and liaison, function 3)")
        self.picker = PupilPicker(ctx)
        self.picker.list.setAccessibleName("Pupil the advice was about (optional, at most one)")
        form = QFormLayout()
        e = self.errors
        e.add_row(form, "&Date:", "date", self.date_edit)
        e.add_row(form, "Staff ad&vised:", "staff_advised", self.staff)
        e.add_row(form, "&Topic:", "topic", self.topic)
        e.add_row(form, "Staff ti&me:", "duration_minutes", self.duration)
        e.add_row(form, "&Pupil (optional):", "pupil_uuid", self.picker)
        outer = QVBoxLayout(self)
        outer.addLayout(form)
        outer.addWidget(self.general)
        outer.addWidget(self.buttons)
        self._watch(self.date_edit, self.staff, self.topic, self.duration)
        self.setMinimumWidth(560)
        self.staff.setFocus()

    def _write(self) -> ConsultationInfo:
        chosen = self.picker.uuids()
        if len(chosen) > 1:
            raise ValidationError("Link at most one pupil to a consultation.", "pupil_uuid")
        info = liaison.create_consultation(
            self.ctx.session, date=self.date_edit.value(), staff_advised=self.staff.text(),
            topic=self.topic.toPlainText(), pupil_uuid=chosen[0] if chosen else None,
            duration_minutes=self.duration.value())
        self.ctx.data_changed.emit("liaison")
        return info


# --- marking an action done ----------------------------------------------------------------------
class MarkDoneDialog(FormDialog):
    """When was the action done? Today unless the user says otherwise (never in the future);
    Enter confirms (a confirmation of the action chosen: `requires_input` is off, and the
    button says what it does). The service refuses a date before the action's meeting."""

    kind = "liaison"
    doing = "marking this action done"
    requires_input = False

    def __init__(self, ctx, action: ActionInfo, parent: QWidget | None = None) -> None:
        super().__init__(ctx, parent, "Mark action done", save_text="&Mark done")
        self.action = action
        today = ctx.session.today()
        about = wrapped_label(f"{action.text}" + (f" ({action.owner})" if action.owner else ""))
        about.setAccessibleName("The action")
        self.date_edit = DateEdit(today, accessible_name="Date the action was done")
        self.date_edit.setMaximumDate(QDate(today))
        self.date_edit.setToolTip(f"Not before its meeting ({format_date(action.meeting_date)}) and not in the future")
        form = self.form_layout()
        form.addRow(about)
        self.errors.add_row(form, "&Done on:", "done_on", self.date_edit)
        layout = QVBoxLayout(self)
        layout.addLayout(form)
        layout.addWidget(self.general)
        layout.addWidget(self.buttons)
        self.setMinimumWidth(min(420, fitted_size(420, 0).width()))
        self.date_edit.setFocus()

    def submit(self) -> ActionInfo:
        return liaison.mark_action_done(self.ctx.session, self.action.uuid, self.date_edit.value())


# --- the page ------------------------------------------------------------------------------
def _table(model: RowTableModel, name: str, stretch: int, sort_col: int = 0,
           order: Qt.SortOrder = Qt.SortOrder.DescendingOrder) -> tuple[RowTableView, SortProxy]:
    proxy = SortProxy(model)
    view = RowTableView(proxy, name)
    view.sortByColumn(sort_col, order)
    view.fit_columns(stretch)
    return view, proxy


class LiaisonPage(QWidget):
    def __init__(self, ctx) -> None:
        super().__init__()
        self.ctx = ctx
        s = ctx.session
        self.can_write = s.can(Action.LIAISON_WRITE)
        self.can_consult = s.can(Action.CONSULTATION_WRITE)
        self.can_read_consultations = s.can(Action.SESSION_READ)
        self._names: dict[str, str] = {}
        self._meetings: list[MeetingInfo] = []

        title = heading("MHST liaison", PAGE_TITLE)
        self.tabs = QTabWidget()
        self.tabs.addTab(self._build_actions_tab(), "&Open actions")
        self.tabs.addTab(self._build_meetings_tab(), "&Meetings")
        if self.can_read_consultations:
            self.tabs.addTab(self._build_consultations_tab(), "Staff consul&tations")
        layout = QVBoxLayout(self)
        layout.addWidget(title)
        layout.addWidget(self.tabs, 1)

    # -- open actions -----------------------------------------------------------------------
    def _build_actions_tab(self) -> QWidget:
        today = lambda: self.ctx.session.today()  # noqa: E731 - read at paint time
        columns: list[Column[ActionInfo]] = [
            Column("Due", lambda a: a.due_on, sort=lambda a: a.due_on or dt.date.max),
            Column("Action", lambda a: a.text, tooltip=lambda a: a.text),
            Column("Owner", lambda a: a.owner),
            Column("Status", lambda a: due_status(a, today()), sort=lambda a: a.due_on or dt.date.max,
                   foreground=lambda a: error_colour(self) if a.overdue(today()) else None),
            Column("From meeting", lambda a: a.meeting_date),
        ]
        self.actions_model = RowTableModel(columns, key=lambda a: a.uuid)
        self.actions_view, self.actions_proxy = _table(self.actions_model, "Open actions", 1, 0, Qt.SortOrder.AscendingOrder)
        self.actions_view.open_requested.connect(lambda _a: self._show_action_meeting())
        tab = QWidget()
        layout = QVBoxLayout(tab)
        bar = QHBoxLayout()
        self.actions_summary = QLabel()
        bar.addWidget(self.actions_summary, 1)
        if self.can_write:
            self.done_button = QPushButton("Mark &done…")
            self.done_button.setToolTip("Close the selected action: choose the date it was done (Ctrl+D)")
            self.done_button.clicked.connect(self._mark_done)
            bar.addWidget(self.done_button)
            QShortcut(QKeySequence("Ctrl+D"), self.actions_view, self._mark_done,
                      context=Qt.ShortcutContext.WidgetShortcut)
        show = QPushButton("&Show meeting")
        show.clicked.connect(self._show_action_meeting)
        bar.addWidget(show)
        layout.addLayout(bar)
        layout.addWidget(self.actions_view, 1)
        return tab

    def _mark_done(self) -> None:
        """The selected action; with none selected, the first in the list (selected, so it is seen: the
        dialog names it too). Never silently nothing."""
        index = self.actions_view.currentIndex()
        action = self.actions_proxy.row_at(index)
        if action is None:
            if self.actions_proxy.rowCount() == 0:
                info(self, "Mark done", "There are no open actions to mark done.")
                return
            index = self.actions_proxy.index(0, 0)
            self.actions_view.setCurrentIndex(index)
            self.actions_view.setFocus()
            action = self.actions_proxy.row_at(index)
        row = index.row()
        dialog = MarkDoneDialog(self.ctx, action, self)  # saves and says data_changed("liaison"): the main
        if dialog.exec() != MarkDoneDialog.DialogCode.Accepted:  # window refreshes the page shown
            return
        # keep the keyboard user's place: select the row that moved up
        n = self.actions_proxy.rowCount()
        if n:
            self.actions_view.setCurrentIndex(self.actions_proxy.index(min(row, n - 1), 0))

    def _show_action_meeting(self) -> None:
        action = self.actions_proxy.row_at(self.actions_view.currentIndex())
        if action is None:
            return
        self.tabs.setCurrentIndex(1)
        idx = self.meetings_proxy.index_for_key(action.meeting_uuid)
        if idx.isValid():
            self.meetings_view.setCurrentIndex(idx)
            self.meetings_view.setFocus()

    # -- meetings -----------------------------------------------------------------------------
    def _build_meetings_tab(self) -> QWidget:
        columns: list[Column[MeetingInfo]] = [
            Column("Date", lambda m: m.date),
            Column("Type", lambda m: LIAISON_TYPES.get(m.type, m.type)),
            Column("Attendees", lambda m: m.attendees, tooltip=lambda m: m.attendees or None),
            Column("Pupils", lambda m: len(m.pupil_uuids), align=RIGHT, header_tooltip="Pupils discussed"),
            Column("Open actions", lambda m: sum(1 for a in m.actions if a.is_open), align=RIGHT),
            Column("Length", lambda m: f"{m.duration_minutes} min", sort=lambda m: m.duration_minutes, align=RIGHT),
        ]
        self.meetings_model = RowTableModel(columns, key=lambda m: m.uuid)
        self.meetings_view, self.meetings_proxy = _table(self.meetings_model, "Liaison meetings", 2)
        self.meetings_view.selectionModel().currentRowChanged.connect(lambda *_: self._show_meeting())
        self.meetings_view.open_requested.connect(lambda _m: self._edit_meeting())
        self.detail = QTextBrowser()
        self.detail.setAccessibleName("Selected meeting")
        self.detail.setOpenLinks(False)
        self.detail.anchorClicked.connect(self._open_link)
        split = QSplitter(Qt.Orientation.Horizontal)
        split.addWidget(self.meetings_view)
        split.addWidget(self.detail)
        split.setStretchFactor(0, 3)
        split.setStretchFactor(1, 2)
        split.setChildrenCollapsible(False)
        tab = QWidget()
        layout = QVBoxLayout(tab)
        if self.can_write:
            bar = QHBoxLayout()
            new = QPushButton("&New meeting…")
            new.clicked.connect(self._new_meeting)
            edit = QPushButton("&Edit meeting…")
            edit.clicked.connect(self._edit_meeting)
            bar.addWidget(new)
            bar.addWidget(edit)
            bar.addStretch(1)
            layout.addLayout(bar)
        layout.addWidget(split, 1)
        return tab

    def _current_meeting(self) -> MeetingInfo | None:
        return self.meetings_proxy.row_at(self.meetings_view.currentIndex())

    def _show_meeting(self) -> None:
        from html import escape

        m = self._current_meeting()
        if m is None:
            self.detail.setHtml("<p>Choose a meeting to see its notes and actions.</p>")
            return
        today = self.ctx.session.today()
        parts = [f"<h3>{escape(format_date(m.date))}: {escape(LIAISON_TYPES.get(m.type, m.type))}</h3>",
                 f"<p><b>Attendees:</b> {escape(m.attendees) or 'not recorded'}<br>"
                 f"<b>Length:</b> {m.duration_minutes} min</p>"]
        if m.discussion:
            parts.append("<p>" + escape(m.discussion).replace("\n", "<br>") + "</p>")
        if m.pupil_uuids:
            links = ", ".join(f'<a href="pupil:{u}">{escape(self._names.get(u, "Pupil"))}</a>' for u in m.pupil_uuids)
            parts.append(f"<p><b>Pupils discussed:</b> {links}</p>")
        if m.actions:
            items = "".join(
                f"<li>{escape(a.text)} — {escape(a.owner or 'no owner')}; {escape(due_status(a, today))}</li>"
                for a in m.actions)
            parts.append(f"<p><b>Actions</b></p><ul>{items}</ul>")
        else:
            parts.append("<p>No actions.</p>")
        self.detail.setHtml("".join(parts))

    def _open_link(self, url) -> None:
        text = url.toString()
        if text.startswith("pupil:"):
            self.ctx.open_pupil.emit(text.removeprefix("pupil:"))

    def _new_meeting(self) -> None:
        MeetingDialog(self.ctx, None, self._names, self).exec()

    def _edit_meeting(self) -> None:
        m = self._current_meeting()
        if m is not None and self.can_write:
            MeetingDialog(self.ctx, m, self._names, self).exec()

    # -- consultations ----------------------------------------------------------------------
    def _build_consultations_tab(self) -> QWidget:
        columns: list[Column[ConsultationInfo]] = [
            Column("Date", lambda c: c.date),
            Column("Staff advised", lambda c: c.staff_advised),
            Column("Topic", lambda c: c.topic.replace("\n", " "), tooltip=lambda c: c.topic),
            Column("Pupil", lambda c: self._names.get(c.pupil_uuid, "") if c.pupil_uuid else ""),
            Column("Length", lambda c: f"{c.duration_minutes} min", sort=lambda c: c.duration_minutes, align=RIGHT),
            Column("Recorded by", lambda c: self._staff.get(c.by_staff_uuid, "")),
        ]
        self._staff: dict[str, str] = {}
        self.consult_model = RowTableModel(columns, key=lambda c: c.uuid)
        self.consult_view, self.consult_proxy = _table(self.consult_model, "Staff consultations", 2)
        self.consult_view.open_requested.connect(self._open_consultation_pupil)
        tab = QWidget()
        layout = QVBoxLayout(tab)
        if self.can_consult:
            bar = QHBoxLayout()
            new = QPushButton("&New consultation…")
            new.clicked.connect(lambda: ConsultationDialog(self.ctx, self).exec())
            bar.addWidget(new)
            bar.addStretch(1)
            layout.addLayout(bar)
        layout.addWidget(self.consult_view, 1)
        return tab

    def _open_consultation_pupil(self, c: ConsultationInfo) -> None:
        if c.pupil_uuid:
            self.ctx.open_pupil.emit(c.pupil_uuid)

    # -- refresh ------------------------------------------------------------------------------
    def refresh(self) -> None:
        s = self.ctx.session
        if s is None:
            return
        try:
            self._names = {p.uuid: p.display_name for p in pupils.list_pupils(s, include_left=True)}
            self._meetings = liaison.list_meetings(s)
            open_actions = liaison.open_actions(s)
            consultations = liaison.list_consultations(s) if self.can_read_consultations else []
            self._staff = users.staff_names(s) if self.can_read_consultations else {}
        except Exception as exc:  # noqa: BLE001
            self.ctx.report_error(self, exc, "loading the liaison records")
            return
        current = self._current_meeting()
        self.meetings_model.set_rows(self._meetings)
        if current is not None:
            idx = self.meetings_proxy.index_for_key(current.uuid)
            if idx.isValid():
                self.meetings_view.setCurrentIndex(idx)
        self._show_meeting()
        self.actions_model.set_rows(open_actions)
        today = s.today()
        overdue = sum(1 for a in open_actions if a.overdue(today))
        if open_actions:
            self.actions_summary.setText(
                f"{_plural(len(open_actions), 'open action')}" + (f", {overdue} overdue." if overdue else "."))
        else:
            self.actions_summary.setText("No open actions.")
        self.tabs.setTabText(0, f"&Open actions ({len(open_actions)})")
        if self.can_read_consultations:
            self.consult_model.set_rows(consultations)
