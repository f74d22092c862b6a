"""Record a session in seconds, between lessons, with the keyboard only (Ctrl+N from anywhere).

The common case is: type part of the pupil's name, Enter (the first match is
picked), Enter (saved with the defaults: today, me, 30 minutes, in person,
attended, direct support). Everything else is optional and reachable with Tab:
date, length, who, function, type, mode, attendance, ratings for the pupil's
current goals (0–10) and a short note.

The pupil picker is a QLineEdit with a QCompleter whose model this dialog
filters itself, because QCompleter's own matching is not accent-insensitive:
rows are matched with the same folding the services use (services/text.py), so
typing "zoe" offers "Zoë Ní Bhriain — Year 9 — 9AB".

The same form corrects a recorded session (``editing=SessionInfo``): the pupil
and the goal ratings stay as recorded (services.sessions.update_session changes
the session's own fields only), and only the fields changed are saved.
"""
from __future__ import annotations

import datetime as dt

from PySide6.QtCore import QStringListModel, Qt
from PySide6.QtWidgets import (
    QComboBox,
    QCompleter,
    QGridLayout,
    QGroupBox,
    QLabel,
    QLineEdit,
    QSpinBox,
    QVBoxLayout,
    QWidget,
)

from schoolmh.domain.codes import ATTENDANCE, FUNCTIONS, SESSION_MODES, SESSION_TYPES
from schoolmh.errors import ValidationError
from schoolmh.services import plans, pupils, sessions, users
from schoolmh.services.permissions import Action
from schoolmh.services.pupils import PupilSummary
from schoolmh.services.sessions import SessionInfo
from schoolmh.services.text import search_key
from schoolmh.ui.models.pupils_model import parse_filter_text, row_search_text, year_label
from schoolmh.ui.widgets.common import FormDialog, FormErrorLabel, text_box, wrapped_label
from schoolmh.ui.widgets.dates import DateEdit

__all__ = ["QuickSessionDialog", "PupilPicker", "pupil_label", "saved_text", "undo_session"]

MAX_SUGGESTIONS = 30


def pupil_label(p: PupilSummary) -> str:
    """'Zoë Ní Bhriain — Year 9 — 9AB': enough to tell two pupils of the same name apart."""
    parts = [p.display_name, year_label(p.year_group), p.tutor_group]
    return " — ".join(x for x in parts if x)


def saved_text(p: PupilSummary | None) -> str:
    """"Session saved for Zoë N." (preferred name, surname initial: enough for the one who typed it)."""
    if p is None:
        return "Session saved."
    forename = p.preferred_forename or p.legal_forename
    surname = p.preferred_surname or p.legal_surname
    if not surname.strip():
        return f"Session saved for {forename}."
    # The surname's own initial: "ap Rhys" is R., "van der Berg" B. (a lower-case particle is skipped)
    words = surname.split()
    initial = next((w[0] for w in words if w[0].isupper()), words[0][0].upper())
    return f"Session saved for {forename} {initial}."


def undo_session(ctx, session_uuid: str) -> str:
    """Undo (Ctrl+Z) straight after a quick session: removed through the service, audited as an undo."""
    if ctx.session is None:
        raise ValidationError("SchoolMH locked meanwhile: the session stays saved.")
    sessions.delete_session(ctx.session, session_uuid, undo=True)
    ctx.data_changed.emit(QuickSessionDialog.kind)
    return "Session undone: it was removed."


class PupilPicker(QLineEdit):
    """Type-ahead over preferred and legal names, UPN, year and tutor group; `pupil` is the one chosen.

    Enter picks the highlighted suggestion (the first, unless the user moved) and
    is consumed; once a pupil is chosen Enter passes on, so the dialog's default
    button (Save) takes it.
    """

    def __init__(self, rows: list[PupilSummary], parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.rows = rows
        self.texts = [row_search_text(p) for p in rows]
        self.name_texts = [search_key(p.preferred_forename, p.preferred_surname, p.legal_forename, p.legal_surname)
                           for p in rows]
        self.labels = [pupil_label(p) for p in rows]
        self.pupil: PupilSummary | None = None
        self.matches: list[int] = []
        self._model = QStringListModel(self)
        self.completer_ = QCompleter(self._model, self)
        self.completer_.setCompletionMode(QCompleter.CompletionMode.UnfilteredPopupCompletion)
        self.completer_.setMaxVisibleItems(10)
        self.completer_.setWidget(self)
        self.completer_.activated[str].connect(self._activated_text)
        self.completer_.popup().setAccessibleName("Matching pupils")
        self.setPlaceholderText("Type part of a name, a UPN or a tutor group")
        self.setAccessibleName("Pupil")
        self.textEdited.connect(self._edited)
        self._on_chosen = None

    def on_chosen(self, callback) -> None:
        self._on_chosen = callback

    # -- matching --------------------------------------------------------------------------
    def _edited(self, text: str) -> None:
        if self.pupil is not None:
            self.pupil = None
            if self._on_chosen:
                self._on_chosen(None)
        self.matches = self.find(text)
        self._model.setStringList([self.labels[i] for i in self.matches])
        popup = self.completer_.popup()
        if self.matches:
            self.completer_.complete()
            popup.setCurrentIndex(self.completer_.completionModel().index(0, 0))
        else:
            popup.hide()

    def find(self, text: str) -> list[int]:
        """Indexes of matching pupils: every typed word in the row; names starting with the words first."""
        needles = parse_filter_text(text)
        if not needles:
            return []
        hits = [i for i, t in enumerate(self.texts) if all(n in t for n in needles)]
        hits.sort(key=lambda i: sum(1 for n in needles if f" {n.strip()}" not in self.name_texts[i]))
        return hits[:MAX_SUGGESTIONS]

    # -- choosing ---------------------------------------------------------------------------
    def choose(self, p: PupilSummary | None) -> None:
        self.pupil = p
        self.completer_.popup().hide()
        self.setText(pupil_label(p) if p else "")
        if self._on_chosen:
            self._on_chosen(p)

    def choose_uuid(self, uuid: str) -> bool:
        for p in self.rows:
            if p.uuid == uuid:
                self.choose(p)
                return True
        return False

    def _activated_text(self, label: str) -> None:
        row = self._highlighted_row()
        if row is None:
            row = next((i for i in self.matches if self.labels[i] == label), None)
        if row is not None:
            self.choose(self.rows[row])

    def _highlighted_row(self) -> int | None:
        index = self.completer_.popup().currentIndex()
        if index.isValid() and 0 <= index.row() < len(self.matches):
            return self.matches[index.row()]
        return None

    def keyPressEvent(self, event) -> None:  # noqa: N802
        """Enter picks the highlighted (or first) match and goes no further; once a pupil is chosen it passes
        on to the dialog (Save). (An override, not an event filter on itself: a Python filter is called
        while the widget is being destroyed, which crashed the window.)"""
        if event.key() in (Qt.Key.Key_Return, Qt.Key.Key_Enter) and self.pupil is None and self.text().strip():
            if not self.matches:
                self.matches = self.find(self.text())
            row = self._highlighted_row() if self.completer_.popup().isVisible() else None
            if row is None and self.matches:
                row = self.matches[0]
            if row is not None:
                self.choose(self.rows[row])
                event.accept()
                return
        super().keyPressEvent(event)


class QuickSessionDialog(FormDialog):
    """The quick session form. `result_value` holds the SessionInfo after a successful save.

    With ``editing`` (a recorded session) it is the "Correct a session" form instead.
    """

    kind = "sessions"
    doing = "saving this session"

    def __init__(self, ctx, parent: QWidget | None = None, pupil_uuid: str | None = None,
                 editing: SessionInfo | None = None) -> None:
        super().__init__(ctx, parent, "Correct a session" if editing else "Record a session")
        self.editing = editing
        self._goal_uuids: list[str] = []
        session = ctx.session
        defaults = sessions.quick_session_defaults(session)
        if editing is not None:
            pupil_uuid = editing.pupil_uuid

        rows = pupils.list_pupils(session)
        if pupil_uuid and not any(p.uuid == pupil_uuid for p in rows):
            rows = pupils.list_pupils(session, include_left=True)  # a leaver's record can still get a session
        self.picker = PupilPicker(rows)
        if editing is None:
            self.picker.on_chosen(self._pupil_chosen)

        today: dt.date = defaults["date"]
        self.date = DateEdit(today, accessible_name="Date", today=session.today)
        self.date.setMaximumDate(today)

        self.duration = QSpinBox()
        self.duration.setRange(sessions.MIN_DURATION, sessions.MAX_DURATION)
        self.duration.setSingleStep(5)
        self.duration.setSuffix(" min")
        self.duration.setValue(int(defaults["duration_minutes"]))
        self.duration.setAccessibleName("Duration in minutes")

        self.staff = QComboBox()
        names = users.staff_names(session)
        me = defaults["staff_uuid"]
        self.staff.addItem(f"{defaults['staff_name']} (me)", me)
        for uuid, name in sorted(names.items(), key=lambda kv: kv[1].casefold()):
            if uuid != me:
                self.staff.addItem(name, uuid)
        self.staff.setAccessibleName("Staff member")

        def combo(table: dict, default, name: str) -> QComboBox:
            box = QComboBox()
            for code, text in table.items():
                box.addItem(f"{code}. {text}" if isinstance(code, int) else text, code)
            box.setCurrentIndex(max(0, box.findData(default)))
            box.setAccessibleName(name)
            return box

        self.function = combo(FUNCTIONS, defaults["function"], "Function")
        self.type = combo(SESSION_TYPES, defaults["type"], "Type")
        self.mode = combo(SESSION_MODES, defaults["mode"], "Mode")
        self.attendance = combo(ATTENDANCE, defaults["attendance"], "Attendance")
        self.attendance.currentIndexChanged.connect(self._attendance_changed)

        self.note = text_box("Note")
        self.note.setPlaceholderText("Optional short note (Tab leaves this box)")

        self.kept_ratings = wrapped_label()
        self.kept_ratings.setAccessibleName("Goal ratings given at this session")
        self.kept_ratings.hide()
        self.goals_box = QGroupBox("Goal ratings (0–10, optional)")
        self.goals_layout = QGridLayout(self.goals_box)
        self.goal_spins: list[QSpinBox] = []
        self.goals_box.hide()

        form = self.form_layout()
        e = self.errors
        self._pupil_label = form.labelForField(e.add_row(form, "&Pupil:", "pupil", self.picker))
        e.add_row(form, "&Date:", "date", self.date)
        e.add_row(form, "&Length:", "duration_minutes", self.duration)
        e.add_row(form, "&By:", "staff", self.staff)
        e.add_row(form, "&Function:", "function", self.function)
        e.add_row(form, "&Type:", "type", self.type)
        e.add_row(form, "&Mode:", "mode", self.mode)
        e.add_row(form, "&Attendance:", "attendance", self.attendance)
        self.goals_error = FormErrorLabel()
        e.add(["goal_ratings", "goal1", "goal2", "goal3"], self.goals_box, self.goals_error)


        note_form = self.form_layout()
        e.add_row(note_form, "&Note:", "note", self.note)

        if editing is not None:
            hint_text = "Only what you change is saved; the pupil's History tab shows the correction."
        elif pupil_uuid:
            hint_text = "Change what differs (length, attendance, a note…), then Enter to save."
        else:
            hint_text = "Type a name, Enter to pick, Enter to save."
        hint = QLabel(hint_text)
        hint.setWordWrap(True)
        layout = QVBoxLayout(self)
        layout.addLayout(form)
        layout.addWidget(self.kept_ratings)
        layout.addWidget(self.goals_box)
        layout.addWidget(self.goals_error)
        layout.addLayout(note_form)
        layout.addWidget(self.general)
        layout.addWidget(hint)
        layout.addWidget(self.buttons)
        self.setMinimumWidth(self.fontMetrics().horizontalAdvance("M") * 42)

        if pupil_uuid:
            self.picker.choose_uuid(pupil_uuid)
        self._original: dict | None = None
        if editing is not None:
            self._fill(editing, names)
            self.date.setFocus(Qt.FocusReason.OtherFocusReason)
        else:
            self.picker.setFocus(Qt.FocusReason.OtherFocusReason)
        self._fix_tab_order()

    def _fill(self, s: SessionInfo, names: dict[str, str]) -> None:
        """Show a recorded session for correction: its pupil fixed, its ratings kept as they are."""
        self.picker.setReadOnly(True)
        self.picker.setFocusPolicy(Qt.FocusPolicy.NoFocus)
        self.picker.setFrame(False)  # reads as fixed text, not as an input
        self.picker.setStyleSheet("QLineEdit { background: transparent; }")
        self.picker.setPlaceholderText("No pupil (a whole-school or liaison contact)")
        self._pupil_label.setText("Pupil:")  # fixed text, not a field: no Alt+P that would go nowhere
        self.picker.setToolTip("A session stays with its pupil: to move it, delete it and record it again.")
        self.date.set_value(s.date)
        self.duration.setValue(s.duration_minutes)
        if self.staff.findData(s.staff_uuid) < 0:
            self.staff.addItem(s.staff_name or names.get(s.staff_uuid, "(removed account)"), s.staff_uuid)
        for box, value in ((self.staff, s.staff_uuid), (self.function, s.function), (self.type, s.type),
                           (self.mode, s.mode), (self.attendance, s.attendance)):
            box.setCurrentIndex(max(0, box.findData(value)))
        if s.note_hidden:
            self.note.setEnabled(False)
            self.note.setPlaceholderText("(hidden from your role)")
        else:
            self.note.setPlainText(s.note)
        if s.goal_ratings:
            self.kept_ratings.setText("Goal ratings given at this session are kept as they are: "
                                      + ", ".join(str(r) for _, r in s.goal_ratings) + ".")
            self.kept_ratings.show()
        self._original = self.values()

    # -- pupil and goals ------------------------------------------------------------------------
    def _pupil_chosen(self, p: PupilSummary | None) -> None:
        for spin in self.goal_spins:
            spin.deleteLater()
        while self.goals_layout.count():
            item = self.goals_layout.takeAt(0)
            if item.widget():
                item.widget().deleteLater()
        self.goal_spins, self._goal_uuids = [], []
        self.goals_box.hide()
        if p is None:
            self._fix_tab_order()
            return
        self.errors.clear()
        try:
            plan = plans.current_plan(self.ctx.session, p.uuid) if self.ctx.session.can(Action.PLAN_READ) else None
        except Exception as exc:  # noqa: BLE001
            self.ctx.report_error(self, exc, "loading the pupil's goals")
            plan = None
        if plan is not None and plan.goals:
            for r, goal in enumerate(plan.goals):
                label = QLabel(f"&{goal.position}. {goal.description}")
                label.setWordWrap(True)
                spin = QSpinBox()
                spin.setRange(-1, 10)
                spin.setSpecialValueText("Not rated")
                spin.setValue(-1)
                spin.setAccessibleName(f"Rating for goal {goal.position}")
                spin.setAccessibleDescription(goal.description)
                label.setBuddy(spin)
                latest = QLabel(f"last {goal.latest_rating}" if goal.latest_rating is not None else "")
                self.goals_layout.addWidget(label, r, 0)
                self.goals_layout.addWidget(spin, r, 1)
                self.goals_layout.addWidget(latest, r, 2)
                self.goals_layout.setColumnStretch(0, 1)
                self.goal_spins.append(spin)
                self._goal_uuids.append(goal.uuid)
            self.goals_box.show()
            self._attendance_changed()
        self._fix_tab_order()

    def _attendance_changed(self, *_args) -> None:
        attended = self.attendance.currentData() == "attended"
        self.goals_box.setEnabled(attended)
        self.goals_box.setToolTip("" if attended else "Goals are rated only at sessions the pupil attended.")

    def _fix_tab_order(self) -> None:
        chain = [self.picker, self.date, self.duration, self.staff, self.function, self.type, self.mode,
                 self.attendance, *self.goal_spins, self.note, self.save_button]
        for a, b in zip(chain, chain[1:]):
            QWidget.setTabOrder(a, b)

    # -- values and saving --------------------------------------------------------------------------
    def goal_ratings(self) -> dict[str, int]:
        if self.attendance.currentData() != "attended":
            return {}
        return {uuid: spin.value() for uuid, spin in zip(self._goal_uuids, self.goal_spins, strict=True)
                if spin.value() >= 0}

    def values(self) -> dict:
        """The session's own fields as the form holds them (the names services.sessions uses)."""
        v = {
            "date": self.date.value(),
            "duration_minutes": self.duration.value(),
            "staff_uuid": self.staff.currentData(),
            "function": self.function.currentData(),
            "type": self.type.currentData(),
            "mode": self.mode.currentData(),
            "attendance": self.attendance.currentData(),
        }
        if self.note.isEnabled():
            v["note"] = self.note.toPlainText()
        return v

    def has_unsaved_input(self) -> bool:
        """Correcting: a field differs from the session as recorded. New: anything typed or chosen since the
        form opened (a pupil given by the record page is not a choice: Enter alone saves nothing)."""
        if self._original is not None:
            return self.values() != self._original
        return super().has_unsaved_input()

    def accept(self) -> None:
        """Save; a new session is then offered for undo in the status bar for a few seconds."""
        before = self.result_value
        super().accept()
        saved = self.result_value
        if self.editing is None and saved is not None and saved is not before:
            ctx = self.ctx
            ctx.offer_undo(saved_text(self.picker.pupil), lambda: undo_session(ctx, saved.uuid))

    def submit(self) -> SessionInfo:
        if self.picker.pupil is None and self.picker.text().strip():
            raise ValidationError("No pupil matches that: pick one from the list.", "pupil")
        values = self.values()
        if self.editing is not None:
            changed = {k: v for k, v in values.items() if self._original.get(k) != v}
            return sessions.update_session(self.ctx.session, self.editing.uuid, **changed) if changed else self.editing
        return sessions.record_session(self.ctx.session, self.picker.pupil.uuid if self.picker.pupil else None,
                                       goal_ratings=self.goal_ratings(), **values)
