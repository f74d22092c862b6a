"""Suggestions under a free-text field whose Enter still saves the dialog.

A plain QCompleter keeps its list open while what is typed matches a suggestion,
and Enter then only closes the list: typing "Below threshold" in full and
pressing Enter looked like a key that did nothing. Here Enter picks a suggestion
only when the user moved to one with the arrow keys; otherwise the list closes and
Enter goes on to the field, so the dialog's default button (Save) takes it.
"""
from __future__ import annotations

from PySide6.QtCore import QEvent, QObject, Qt
from PySide6.QtGui import QKeyEvent
from PySide6.QtWidgets import QApplication, QCompleter, QLineEdit


class SuggestionCompleter(QCompleter):
    def eventFilter(self, watched: QObject, event: QEvent) -> bool:  # noqa: N802
        if (watched is self.popup() and event.type() == QEvent.Type.KeyPress
                and event.key() in (Qt.Key.Key_Return, Qt.Key.Key_Enter) and self.popup().isVisible()
                and not self.popup().currentIndex().isValid()):
            self.popup().hide()
            field = self.widget()
            if field is not None:
                QApplication.sendEvent(field, QKeyEvent(event.type(), event.key(), event.modifiers(), event.text()))
            return True
        return super().eventFilter(watched, event)


def offer_suggestions(field: QLineEdit, suggestions: list[str]) -> SuggestionCompleter:
    """Offer `suggestions` (case-insensitive prefix match) as the user types in `field`."""
    completer = SuggestionCompleter(suggestions, field)
    completer.setCaseSensitivity(Qt.CaseSensitivity.CaseInsensitive)
    field.setCompleter(completer)
    return completer
