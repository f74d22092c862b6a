"""THE one way to run long work (import, backup, restore, reports, demo data).

`run_operation` shows a progress dialog and runs `work(progress)` on a
QThreadPool thread. The work gets plain data only (never a Session or a model:
the window's connection belongs to the GUI thread; the one exception is work that opens its
own, Session.on_worker_thread, as the team exchange does) and reports through `progress.update`.
`on_done(result)` / `on_error(exc)` run on the GUI thread, so that is where a
result is written to the database (one transaction).

`gui_thread=True` runs the work on the GUI thread instead, keeping the window
responsive by processing events at each `progress.update`: for the few jobs that
must use the open database connection itself (the SQLite online backup). The
progress dialog is window-modal, so nothing else can be clicked meanwhile.

Cancelling (only offered when `cancellable=True`) sets `progress.cancelled`;
the work should stop soon after, and its result is then discarded: neither
callback runs. A cancellable job must therefore leave nothing behind.
"""
from __future__ import annotations

import threading
import time
from collections.abc import Callable
from typing import Any, TypeVar

from PySide6.QtCore import QObject, QRunnable, Qt, QThreadPool, QTimer, Signal, Slot
from PySide6.QtWidgets import QApplication, QProgressDialog, QWidget

T = TypeVar("T")

__all__ = ["Progress", "Cancelled", "run_operation", "running", "gui_thread_busy"]


class Cancelled(Exception):
    """Raise from work when `progress.cancelled` is seen; the operation ends quietly."""


class Progress:
    """Handed to the work function. Safe to call from the worker thread."""

    _MIN_INTERVAL = 0.05  # seconds between dialog updates; the worker may call update() far more often

    def __init__(self, relay: "_Relay | None" = None, on_gui: Callable[[int, int, str], None] | None = None) -> None:
        self._relay = relay
        self._on_gui = on_gui
        self._cancel = threading.Event()
        self._last = 0.0

    @property
    def cancelled(self) -> bool:
        return self._cancel.is_set()

    def cancel(self) -> None:
        self._cancel.set()

    def update(self, done: int, total: int, text: str = "") -> None:
        now = time.monotonic()
        if now - self._last < self._MIN_INTERVAL and done < total:
            return
        self._last = now
        if self._on_gui is not None:
            self._on_gui(int(done), int(total), text)
        elif self._relay is not None:
            self._relay.progressed.emit(int(done), int(total), text)

    def check(self) -> None:
        """Convenience for work loops: raise Cancelled when the user cancelled."""
        if self.cancelled:
            raise Cancelled()


class _OpDialog(QProgressDialog):
    """A progress dialog that cannot be dismissed (Esc, close button) unless cancelling is safe."""

    def __init__(self, parent: QWidget | None, title: str, cancellable: bool) -> None:
        super().__init__(title + "…", "&Cancel" if cancellable else "", 0, 0, parent)
        self._cancellable = cancellable
        self.setWindowTitle(title)
        self.setWindowModality(Qt.WindowModality.WindowModal)
        self.setMinimumDuration(400)
        self.setAutoClose(False)
        self.setAutoReset(False)
        self.setMinimumWidth(380)
        self.setAccessibleName(title)
        if not cancellable:
            self.setCancelButton(None)

    def reject(self) -> None:  # Esc / window close
        if self._cancellable:
            super().reject()

    def show_progress(self, done: int, total: int, text: str) -> None:
        if total > 0:
            self.setMaximum(total)
            self.setValue(min(done, total))
        if text:
            self.setLabelText(text)


_active: set["_Relay"] = set()
_gui_busy = 0


def running() -> int:
    """How many operations are under way (tests wait for 0)."""
    return len(_active) + _gui_busy


def gui_thread_busy() -> bool:
    """True while a gui_thread operation is using the database: locking must wait for it."""
    return _gui_busy > 0


def _alive(obj: QObject | None) -> bool:
    if obj is None:
        return False
    try:
        import shiboken6

        return shiboken6.isValid(obj)
    except Exception:
        return False


class _Relay(QObject):
    """Lives on the GUI thread: signals emitted by the worker arrive here queued."""

    progressed = Signal(int, int, str)
    succeeded = Signal(object)
    failed = Signal(object)

    def __init__(self, dialog: _OpDialog, progress: Progress, on_done, on_error) -> None:
        super().__init__()
        self.dialog = dialog
        self.progress = progress
        self.on_done = on_done
        self.on_error = on_error
        self.progressed.connect(self._progressed)
        self.succeeded.connect(self._succeeded)
        self.failed.connect(self._failed)

    @Slot(int, int, str)
    def _progressed(self, done: int, total: int, text: str) -> None:
        if _alive(self.dialog) and not self.progress.cancelled:
            self.dialog.show_progress(done, total, text)

    def _finish(self) -> None:
        _active.discard(self)
        if _alive(self.dialog):
            self.dialog.close()
            self.dialog.deleteLater()
        self.dialog = None

    @Slot(object)
    def _succeeded(self, result: object) -> None:
        cancelled = self.progress.cancelled  # read first: closing the dialog emits canceled()
        self._finish()
        if not cancelled:
            self.on_done(result)

    @Slot(object)
    def _failed(self, exc: object) -> None:
        cancelled = self.progress.cancelled
        self._finish()
        if isinstance(exc, Cancelled) or cancelled:
            return
        self.on_error(exc)


class _Job(QRunnable):
    def __init__(self, work: Callable[[Progress], Any], progress: Progress, relay: _Relay) -> None:
        super().__init__()
        self.setAutoDelete(True)
        self._work = work
        self._progress = progress
        self._relay = relay

    def run(self) -> None:  # worker thread
        try:
            result = self._work(self._progress)
        except BaseException as exc:  # noqa: BLE001 - handed to on_error on the GUI thread
            self._relay.failed.emit(exc)
        else:
            self._relay.succeeded.emit(result)


def _default_error(parent: QWidget | None, title: str) -> Callable[[BaseException], None]:
    def show(exc: BaseException) -> None:
        from schoolmh.ui.widgets.common import report_error

        report_error(parent if _alive(parent) else None, exc, f"during “{title}”")

    return show


def run_operation(
    parent: QWidget | None,
    title: str,
    work: Callable[[Progress], T],
    on_done: Callable[[T], None],
    on_error: Callable[[BaseException], None] | None = None,
    cancellable: bool = False,
    *,
    gui_thread: bool = False,
) -> Progress:
    """Start `work`; returns its Progress (tests may cancel through it)."""
    if on_error is None:
        on_error = _default_error(parent, title)
    if parent is None:
        parent = QApplication.activeWindow()
    dialog = _OpDialog(parent, title, cancellable)
    if gui_thread:
        return _run_here(dialog, work, on_done, on_error)
    progress = Progress()
    relay = _Relay(dialog, progress, on_done, on_error)
    progress._relay = relay
    dialog.canceled.connect(lambda: (progress.cancel(), dialog.setLabelText("Cancelling…")))
    _active.add(relay)
    dialog.setValue(0)
    QThreadPool.globalInstance().start(_Job(work, progress, relay))
    return progress


def _run_here(dialog: _OpDialog, work, on_done, on_error) -> Progress:
    """Run on the GUI thread; events are processed at each update so the dialog paints and can cancel."""
    global _gui_busy

    def on_gui(done: int, total: int, text: str) -> None:
        if _alive(dialog):
            dialog.show_progress(done, total, text)
        QApplication.processEvents()

    progress = Progress(on_gui=on_gui)
    dialog.canceled.connect(progress.cancel)
    dialog.setValue(0)
    _gui_busy += 1
    try:
        result = work(progress)
    except BaseException as exc:  # noqa: BLE001
        failure: BaseException | None = exc
    else:
        failure = None
    finally:
        _gui_busy -= 1
        cancelled = progress.cancelled  # read first: closing the dialog emits canceled()
        if _alive(dialog):
            dialog.close()
            dialog.deleteLater()
    # Callbacks run from the event loop, as they would for a worker job.
    if failure is not None:
        if not isinstance(failure, Cancelled) and not cancelled:
            QTimer.singleShot(0, lambda: on_error(failure))
    elif not cancelled:
        QTimer.singleShot(0, lambda: on_done(result))
    return progress
