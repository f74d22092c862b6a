"""Date inputs staff can type into: "14/03/2026", "14/3/26", "today", "yesterday"; one Tab leaves them.

QDateEdit edits a date section by section, so typed text goes wrong ("5/3/2026"
lands in the wrong sections) and Tab walks day → month → year before leaving.
DateEdit is a line edit instead: whatever is typed is read when it makes sense
(``parse_typed_date``), shown back as dd/mm/yyyy when the field is left, and a
calendar opens from the button at its end or with Alt+Down / F4. Up and Down move
one day. It always holds a valid date (``value()``); text that is not a date is
kept as typed (never silently replaced) and reported by ``problem()``, which form
dialogs check before saving (widgets.common.FieldErrors.typed_problems) so the
message appears next to the field.

An optional date (an activity's end, an action's due date) is a check box that
enables the editor: unticked means None.
"""
from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable

from PySide6.QtCore import QDate, QPoint, Qt, Signal
from PySide6.QtGui import QKeyEvent
from PySide6.QtWidgets import QCalendarWidget, QCheckBox, QHBoxLayout, QLineEdit, QStyle, QWidget

EDIT_FORMAT = "dd/MM/yyyy"
HINT = "type dd/mm/yyyy, “today” or “yesterday”"
_DMY = re.compile(r"^(\d{1,2})\s*[/.\-\s]\s*(\d{1,2})\s*[/.\-\s]\s*(\d{2}|\d{4})$")
_ISO = re.compile(r"^(\d{4})-(\d{1,2})-(\d{1,2})$")
_WORDS = {"today": 0, "yesterday": -1}


def parse_typed_date(text: str, today: dt.date) -> dt.date | None:
    """The date staff meant: dd/mm/yyyy (also d/m/yy, with . or - between), yyyy-mm-dd, "today", "yesterday"."""
    t = " ".join(text.strip().lower().split())
    if t in _WORDS:
        return today + dt.timedelta(days=_WORDS[t])
    try:
        if m := _DMY.match(t):
            d, mo, y = (int(g) for g in m.groups())
            return dt.date(2000 + y if y < 100 else y, mo, d)
        if m := _ISO.match(t):
            y, mo, d = (int(g) for g in m.groups())
            return dt.date(y, mo, d)
    except ValueError:
        return None
    return None


def _qdate(value: dt.date | QDate) -> QDate:
    return value if isinstance(value, QDate) else QDate(value.year, value.month, value.day)


class DateEdit(QLineEdit):
    """A typed date with a calendar button; `value()` / `set_value()` in Python dates.

    Also answers the QDateEdit calls the app uses (`date`, `setDate`, `dateChanged`,
    `setMaximumDate`, `setMinimumDate`), so it drops in where one was used.
    """

    dateChanged = Signal(QDate)  # noqa: N815 (Qt's name)

    def __init__(self, value: dt.date | None = None, parent: QWidget | None = None, accessible_name: str = "",
                 today: Callable[[], dt.date] = dt.date.today) -> None:
        super().__init__(parent)
        self._today = today
        self._date = value or today()
        self._minimum: dt.date | None = None
        self._maximum: dt.date | None = None
        self.setPlaceholderText("dd/mm/yyyy")
        self.setToolTip(HINT[0].upper() + HINT[1:] + "; Alt+Down opens a calendar")
        self.setText(self._date.strftime("%d/%m/%Y"))
        # The line edit owns the button's action; no Python reference or lambda keeps it (a cycle through
        # it crashed the garbage collector after the field was gone).
        calendar = self.addAction(self.style().standardIcon(QStyle.StandardPixmap.SP_FileDialogContentsView),
                                  QLineEdit.ActionPosition.TrailingPosition)
        calendar.setToolTip("Choose from a calendar (Alt+Down)")
        calendar.triggered.connect(self.open_calendar)
        self.textEdited.connect(self._typed)
        self.editingFinished.connect(self._tidy)
        if accessible_name:
            self.setAccessibleName(accessible_name)
        self.setAccessibleDescription(HINT)
        self.setMinimumWidth(self.fontMetrics().horizontalAdvance("00/00/00000") + 40)

    # -- the value --------------------------------------------------------------------------
    def value(self) -> dt.date:
        """The date shown (the last valid one while the text is not a date: see problem())."""
        return self._date

    def set_value(self, value: dt.date) -> None:
        self.setText(value.strftime("%d/%m/%Y"))
        self._set(value)

    def _set(self, value: dt.date) -> None:
        if value != self._date:
            self._date = value
            self.dateChanged.emit(_qdate(value))

    def problem(self) -> str:
        """Why the typed text cannot be used ("" when it can)."""
        text = self.text().strip()
        if not text:
            return f"Enter a date: {HINT}."
        day = parse_typed_date(text, self._today())
        if day is None:
            return f"“{text}” is not a date: {HINT}."
        if self._maximum is not None and day > self._maximum:
            return f"The date {day:%d/%m/%Y} is after {self._maximum:%d/%m/%Y}."
        if self._minimum is not None and day < self._minimum:
            return f"The date {day:%d/%m/%Y} is before {self._minimum:%d/%m/%Y}."
        return ""

    def _typed(self, text: str) -> None:
        """Follow the typing once it is a whole date (a two-digit year waits for the field to be left:
        "1/3/20" may be the start of 2026)."""
        if re.search(r"\d$", text.strip()) and not re.search(r"\d{4}$", text.strip()):
            return
        day = parse_typed_date(text, self._today())
        if day is not None and not self.problem():
            self._set(day)

    def _tidy(self) -> None:
        """Leaving the field shows a valid date the one way (dd/mm/yyyy); anything else stays as typed."""
        day = parse_typed_date(self.text(), self._today())
        if day is not None and not self.problem():
            self.setText(day.strftime("%d/%m/%Y"))
            self._set(day)

    # -- QDateEdit's calls --------------------------------------------------------------------
    def date(self) -> QDate:
        return _qdate(self._date)

    def setDate(self, value: QDate | dt.date) -> None:  # noqa: N802
        self.set_value(value.toPython() if isinstance(value, QDate) else value)

    def setMaximumDate(self, value: QDate | dt.date) -> None:  # noqa: N802
        self._maximum = value.toPython() if isinstance(value, QDate) else value

    def setMinimumDate(self, value: QDate | dt.date) -> None:  # noqa: N802
        self._minimum = value.toPython() if isinstance(value, QDate) else value

    def maximumDate(self) -> QDate | None:  # noqa: N802
        return _qdate(self._maximum) if self._maximum else None

    # -- keys and the calendar ------------------------------------------------------------------
    def keyPressEvent(self, event: QKeyEvent) -> None:  # noqa: N802
        alt = bool(event.modifiers() & Qt.KeyboardModifier.AltModifier)
        if event.key() == Qt.Key.Key_F4 or (alt and event.key() == Qt.Key.Key_Down):
            self.open_calendar()
            return
        if event.key() in (Qt.Key.Key_Up, Qt.Key.Key_Down) and not alt:
            self.set_value(self._date + dt.timedelta(days=1 if event.key() == Qt.Key.Key_Up else -1))
            self.selectAll()
            return
        super().keyPressEvent(event)

    def open_calendar(self) -> QCalendarWidget:
        """A calendar under the field; picking a day (click or Enter) sets it, Escape closes it.

        One calendar per field, made on first use and kept (connected to methods, not closures:
        a closure holding the popup crashed the garbage collector once the popup was gone)."""
        calendar = self.findChild(QCalendarWidget)
        if calendar is None:
            calendar = QCalendarWidget(self)
            calendar.setWindowFlags(Qt.WindowType.Popup)
            calendar.setGridVisible(True)
            calendar.setAccessibleName("Calendar")
            calendar.activated.connect(self._picked)
            calendar.clicked.connect(self._picked)
        calendar.setDateRange(_qdate(self._minimum or dt.date(1900, 1, 1)), _qdate(self._maximum or dt.date(2200, 12, 31)))
        calendar.setSelectedDate(_qdate(self._date))
        calendar.move(self.mapToGlobal(QPoint(0, self.height())))
        calendar.show()
        calendar.setFocus()
        return calendar

    def _picked(self, day: QDate) -> None:
        self.set_value(day.toPython())
        calendar = self.findChild(QCalendarWidget)
        if calendar is not None:
            calendar.hide()
        self.setFocus()


class OptionalDateEdit(QWidget):
    """A tick box ("Due date" etc.) that enables a date; unticked = None."""

    changed = Signal()

    def __init__(self, check_text: str, default: dt.date | None = None, parent: QWidget | None = None,
                 accessible_name: str = "") -> None:
        super().__init__(parent)
        layout = QHBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        self.check = QCheckBox(check_text, self)
        self.edit = DateEdit(default, self)
        self.edit.setEnabled(False)
        layout.addWidget(self.check)
        layout.addWidget(self.edit, 1)
        self.check.toggled.connect(self.edit.setEnabled)
        self.check.toggled.connect(lambda _on: self.changed.emit())
        self.edit.dateChanged.connect(lambda _d: self.changed.emit())
        name = accessible_name or check_text.replace("&", "")
        self.check.setAccessibleName(name)
        self.edit.setAccessibleName(name)
        self.setFocusProxy(self.check)

    def value(self) -> dt.date | None:
        return self.edit.value() if self.check.isChecked() else None

    def set_value(self, value: dt.date | None) -> None:
        self.check.setChecked(value is not None)
        if value is not None:
            self.edit.set_value(value)

    def problem(self) -> str:
        return self.edit.problem() if self.check.isChecked() else ""
