"""Auto-lock after the lead's idle time (default 10 minutes) and Ctrl+L.

Locking closes the database and deletes every page and dialog, so pupil data
is cleared, not hidden. A dialog's typed-in work cannot be kept as a draft:
with the vault closed there is nowhere encrypted to put it, and it must not be
written anywhere in clear. So when a form holds unsaved input the user is
warned first (a small non-blocking notice with a 30-second countdown, "Lock
now" and "Keep working"), then the lock happens anyway.

Dialogs say whether they hold unsaved input with `has_unsaved_input() -> bool`;
a modal dialog without that method is assumed to hold some.
"""
from __future__ import annotations

import time
from typing import TYPE_CHECKING

from PySide6.QtCore import QEvent, QObject, Qt, QTimer
from PySide6.QtWidgets import (
    QApplication,
    QDialog,
    QFileDialog,
    QHBoxLayout,
    QLabel,
    QMessageBox,
    QProgressDialog,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from schoolmh.ui import ops
from schoolmh.ui.context import AppContext

if TYPE_CHECKING:
    from schoolmh.ui.main_window import MainWindow

DEFAULT_MINUTES = 10
WARNING_SECONDS = 30
CHECK_MS_MAX = 5000  # the idle check runs at least this often (a lock is at most this late)

_INPUT_EVENTS = frozenset(
    int(t)
    for t in (
        QEvent.Type.KeyPress,
        QEvent.Type.MouseButtonPress,
        QEvent.Type.MouseMove,
        QEvent.Type.Wheel,
        QEvent.Type.TouchBegin,
        QEvent.Type.TabletPress,
    )
)


_KEY_PRESS = int(QEvent.Type.KeyPress)
_CTRL_L_EVENTS = frozenset((_KEY_PRESS, int(QEvent.Type.ShortcutOverride)))


def _is_ctrl_l(event: QEvent) -> bool:
    return event.key() == Qt.Key.Key_L and event.modifiers() == Qt.KeyboardModifier.ControlModifier


class LockWarning(QDialog):
    """"About to lock" notice shown over the dialog whose input will be lost; it does not block anything."""

    def __init__(self, parent: QWidget, seconds: int, explicit: bool, forms: list[str]) -> None:
        super().__init__(parent)
        self.setObjectName("LockWarning")
        self.setWindowTitle("SchoolMH is about to lock")
        self.setModal(False)
        self.remaining = seconds
        why = "You asked SchoolMH to lock." if explicit else "SchoolMH has not been used for a while."
        names = ", ".join(f"“{f}”" for f in forms) if forms else "the open form"
        self.text = QLabel(
            f"{why} {names} will be closed and what you typed will be lost: "
            "SchoolMH cannot keep a draft safely while the vault is locked. Save it now if you need it."
        )
        self.text.setWordWrap(True)
        self.countdown = QLabel()
        self.countdown.setAccessibleName("Time until the lock")
        self.lock_button = QPushButton("&Lock now")
        self.keep_button = QPushButton("&Keep working")
        self.keep_button.setDefault(True)
        buttons = QHBoxLayout()
        buttons.addStretch(1)
        buttons.addWidget(self.keep_button)
        buttons.addWidget(self.lock_button)
        layout = QVBoxLayout(self)
        layout.addWidget(self.text)
        layout.addWidget(self.countdown)
        layout.addLayout(buttons)
        self.setMinimumWidth(420)
        self._update_text()

    def tick(self) -> bool:
        """One second passed; True when time is up."""
        self.remaining -= 1
        self._update_text()
        return self.remaining <= 0

    def _update_text(self) -> None:
        self.countdown.setText(f"Locking in {max(self.remaining, 0)} s.")


def is_progress(widget: QWidget) -> bool:
    return isinstance(widget, QProgressDialog)


def dialogs_with_unsaved_input() -> list[QDialog]:
    found = []
    for widget in QApplication.topLevelWidgets():
        if not isinstance(widget, QDialog) or not widget.isVisible():
            continue
        if isinstance(widget, (QProgressDialog, QMessageBox, QFileDialog, LockWarning)):
            continue
        check = getattr(widget, "has_unsaved_input", None)
        if check is None:
            if widget.isModal() or widget.windowModality() != Qt.WindowModality.NonModal:
                found.append(widget)
        else:
            try:
                if check():
                    found.append(widget)
            except Exception:
                found.append(widget)
    return found


class LockManager(QObject):
    def __init__(self, ctx: AppContext, window: "MainWindow") -> None:
        super().__init__(window)
        self.ctx = ctx
        self.window = window
        self.idle_limit = DEFAULT_MINUTES * 60.0  # seconds
        self.warning_seconds = WARNING_SECONDS
        self.last_activity = time.monotonic()
        self.warning: LockWarning | None = None
        self._explicit = False
        self._locking = False
        self.check_timer = QTimer(self)
        self.check_timer.timeout.connect(self._check_idle)
        self.countdown_timer = QTimer(self)
        self.countdown_timer.setInterval(1000)
        self.countdown_timer.timeout.connect(self._tick)
        app = QApplication.instance()
        if app is not None:
            app.installEventFilter(self)

    # -- configuration -----------------------------------------------------------------
    def set_minutes(self, minutes: float) -> None:
        self.set_idle_seconds(max(float(minutes), 0.01) * 60.0)

    def set_idle_seconds(self, seconds: float) -> None:
        self.idle_limit = seconds
        self.check_timer.setInterval(int(max(50, min(CHECK_MS_MAX, seconds * 1000 / 4))))

    def started(self) -> None:
        self.last_activity = time.monotonic()
        if self.check_timer.interval() <= 0:
            self.set_idle_seconds(self.idle_limit)
        self.check_timer.start()

    def stop(self) -> None:
        self.check_timer.stop()
        self._cancel_warning()
        app = QApplication.instance()
        if app is not None:
            app.removeEventFilter(self)

    # -- activity ----------------------------------------------------------------------
    def eventFilter(self, obj: QObject, event: QEvent) -> bool:  # noqa: N802 - hot path: keep it short
        kind = int(event.type())
        if kind in _INPUT_EVENTS:
            self.last_activity = time.monotonic()
            if self.warning is not None and not self._explicit and isinstance(obj, QWidget):
                if not (obj is self.warning or self.warning.isAncestorOf(obj)):
                    self._cancel_warning()  # the user is back: an idle lock is no longer due
        if kind in _CTRL_L_EVENTS and _is_ctrl_l(event) and self.ctx.session is not None:
            # Ctrl+L from anywhere, a modal dialog included (a window's QShortcut is blocked while a
            # modal dialog shadows it). The override is taken so the key press itself arrives here.
            event.accept()
            if kind == _KEY_PRESS and not event.isAutoRepeat():
                self.request_lock(explicit=True)
            return True
        return False

    def idle_seconds(self) -> float:
        return time.monotonic() - self.last_activity

    def _check_idle(self) -> None:
        if self.ctx.session is None or self.warning is not None:
            return
        if self.idle_seconds() >= self.idle_limit:
            self.request_lock(explicit=False)

    # -- locking -----------------------------------------------------------------------
    def request_lock(self, explicit: bool) -> None:
        """Lock now, or warn first when a dialog holds typed-in work."""
        if self.ctx.session is None or self._locking:
            return
        if self.warning is not None:
            if explicit:
                self._explicit = True
            return
        unsaved = dialogs_with_unsaved_input()
        if not unsaved:
            self.lock_now()
            return
        self._explicit = explicit
        owner = unsaved[-1]
        self.warning = LockWarning(owner, self.warning_seconds, explicit, [d.windowTitle() for d in unsaved if d.windowTitle()])
        self.warning.lock_button.clicked.connect(self.lock_now)
        self.warning.keep_button.clicked.connect(self._keep_working)
        self.warning.rejected.connect(self._keep_working)
        self.warning.show()
        self.warning.raise_()
        self.countdown_timer.start()

    def _tick(self) -> None:
        if self.warning is None:
            self.countdown_timer.stop()
            return
        if self.warning.tick():
            self.lock_now()

    def _keep_working(self) -> None:
        self._cancel_warning()
        self.last_activity = time.monotonic()

    def _cancel_warning(self) -> None:
        self.countdown_timer.stop()
        warning, self.warning = self.warning, None
        if warning is not None:
            try:
                warning.rejected.disconnect(self._keep_working)
            except (RuntimeError, TypeError):
                pass
            warning.hide()
            warning.deleteLater()

    def lock_now(self) -> None:
        if self.ctx.session is None or self._locking:
            self._cancel_warning()
            return
        if ops.gui_thread_busy():  # a backup is using the connection: lock the moment it ends
            QTimer.singleShot(500, self.lock_now)
            return
        self._locking = True
        try:
            self._cancel_warning()
            self.check_timer.stop()
            close_windows(self.window)
            self.window.do_lock()
        finally:
            self._locking = False


def close_windows(main: QWidget) -> None:
    """Close and delete every other window (dialogs, popups) so none keeps pupil data on screen or in memory."""
    popup = QApplication.activePopupWidget()
    while popup is not None:
        popup.close()
        next_popup = QApplication.activePopupWidget()
        if next_popup is popup:
            break
        popup = next_popup
    for widget in QApplication.topLevelWidgets():
        if widget is main or is_progress(widget):
            continue
        if not isinstance(widget, QDialog):
            if widget.isVisible():
                widget.close()  # a stray window (tool tip, page pop-out): closed; pages own and delete theirs
            continue
        # done() rather than reject()/close(): no "discard your changes?" question may hold the lock up.
        widget.done(QDialog.DialogCode.Rejected)
        widget.hide()
        widget.deleteLater()
