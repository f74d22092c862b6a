""""Session saved for Zoë N. Undo": a few seconds in the status bar to take back what was just saved.

Pages and dialogs ask for it through ctx.offer_undo(text, undo); the main window
shows this notice. While it shows, its Undo button or Ctrl+Z (anywhere in the
window, unless a text field has the focus and takes Ctrl+Z for its own typing)
runs `undo` once: a service call that removes the record with an audit entry.
It disappears after SECONDS, at the next offer, and at the lock.
"""
from __future__ import annotations

from collections.abc import Callable

from PySide6.QtCore import Qt, QTimer
from PySide6.QtGui import QKeySequence, QShortcut
from PySide6.QtWidgets import QHBoxLayout, QLabel, QPushButton, QWidget

SECONDS = 8


class UndoNotice(QWidget):
    def __init__(self, window: QWidget, makes_room: QWidget | None = None) -> None:
        """`makes_room`: a status bar label hidden while the notice shows, so the notice never pushes the
        account menu off a small screen (911 pixels wide at 150%)."""
        super().__init__()
        self.makes_room = makes_room
        self.setObjectName("UndoNotice")
        self.text = QLabel()
        self.text.setAccessibleName("Saved")
        self.button = QPushButton("Undo")
        self.button.setAccessibleName("Undo")
        self.button.setToolTip("Undo (Ctrl+Z)")
        self.button.setFlat(True)
        self.button.setMaximumWidth(self.button.fontMetrics().horizontalAdvance("Undo") * 2)
        self.button.setFocusPolicy(Qt.FocusPolicy.NoFocus)  # Ctrl+Z is the keyboard's way; focus stays put
        self.button.clicked.connect(self.undo)
        layout = QHBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.text)
        layout.addWidget(self.button)
        self.shortcut = QShortcut(QKeySequence(QKeySequence.StandardKey.Undo), window, self.undo)
        self.shortcut.setEnabled(False)
        self.timer = QTimer(self)
        self.timer.setSingleShot(True)
        self.timer.timeout.connect(self.withdraw)
        self._undo: Callable[[], str] | None = None
        self.hide()

    def offer(self, text: str, undo: Callable[[], str], seconds: float | None = None) -> None:
        """Show `text` and an Undo for `seconds`; `undo()` returns what to say once it has worked."""
        self._undo = undo
        self.text.setText(text)
        self.button.show()
        if self.makes_room is not None:
            self.makes_room.hide()
        self.show()
        self.shortcut.setEnabled(True)
        self.timer.start(int((SECONDS if seconds is None else seconds) * 1000))

    @property
    def offering(self) -> bool:
        return self._undo is not None

    def undo(self) -> None:
        undo, self._undo = self._undo, None
        self.shortcut.setEnabled(False)
        if undo is None:
            return
        try:
            said = undo()
        except Exception as exc:  # noqa: BLE001 - shown plainly (it stays saved)
            from schoolmh.ui.widgets.common import report_error

            self.withdraw()
            report_error(self.window(), exc, "undoing that")
            return
        self.text.setText(said)
        self.button.hide()
        self.timer.start(SECONDS * 1000)

    def withdraw(self) -> None:
        self._undo = None
        self.shortcut.setEnabled(False)
        self.timer.stop()
        self.hide()
        if self.makes_room is not None:
            self.makes_room.show()
