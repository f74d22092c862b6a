"""Date inputs that speak Python dates, with an optional "no date" state.

QDateEdit has no empty value, so an optional date (an activity's end, an
action's due date) is a checkbox that enables the editor: unticked means None.
Editors use dd/mm/yyyy, the form staff type (and the one service messages use).
"""
from __future__ import annotations

import datetime as dt

from PySide6.QtCore import QDate, Signal
from PySide6.QtWidgets import QCheckBox, QDateEdit, QHBoxLayout, QWidget

EDIT_FORMAT = "dd/MM/yyyy"


class DateEdit(QDateEdit):
    """A QDateEdit with a calendar popup and `value()` / `set_value()` in Python dates."""

    def __init__(self, value: dt.date | None = None, parent: QWidget | None = None, accessible_name: str = "") -> None:
        super().__init__(parent)
        self.setCalendarPopup(True)
        self.setDisplayFormat(EDIT_FORMAT)
        self.setDate(QDate(value or dt.date.today()))
        if accessible_name:
            self.setAccessibleName(accessible_name)

    def value(self) -> dt.date:
        return self.date().toPython()

    def set_value(self, value: dt.date) -> None:
        self.setDate(QDate(value))


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
