"""Suggestions under a free-text field whose Enter still saves the dialog.

A plain QCompleter keeps its list open while what is typed matches a suggestion,
and Enter then only closes the list: typing "Below threshold" in full and
pressing Enter looked like a key that did nothing. Here Enter picks a suggestion
only when the user moved to one with the arrow keys; otherwise the list closes and
Enter goes on to the field, so the dialog's default button (Save) takes it.

While the list shows, QCompleter hands Enter to the field directly (returnPressed
fires, but the event never reaches the dialog); so on returnPressed with the list
open and nothing chosen, Enter is posted to the field again once the list has
closed. No Python subclass overrides a Qt virtual here: such wrappers of objects
owned by a dialog crashed PySide's garbage collector when many dialogs came and went.
"""
from __future__ import annotations

from PySide6.QtCore import QEvent, Qt, QTimer
from PySide6.QtGui import QKeyEvent
from PySide6.QtWidgets import QApplication, QCompleter, QLineEdit


def offer_suggestions(field: QLineEdit, suggestions: list[str]) -> QCompleter:
    """Offer `suggestions` (case-insensitive prefix match) as the user types in `field`."""
    completer = QCompleter(suggestions, field)
    completer.setCaseSensitivity(Qt.CaseSensitivity.CaseInsensitive)
    field.setCompleter(completer)

    def enter_while_listed() -> None:
        popup = completer.popup()
        if popup.isVisible() and not popup.currentIndex().isValid():
            popup.hide()
            QTimer.singleShot(0, lambda: QApplication.postEvent(
                field, QKeyEvent(QEvent.Type.KeyPress, Qt.Key.Key_Return, Qt.KeyboardModifier.NoModifier, "\r")))

    field.returnPressed.connect(enter_while_listed)
    return completer
