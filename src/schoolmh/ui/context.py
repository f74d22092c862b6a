"""The application context every page and dialog receives: the session, the data folder and app-wide signals.

One object passed explicitly (not the QApplication used as a global hub):
- `session` is None while locked; pages are deleted on lock, so a page may
  assume it is set while the page exists.
- `data_changed(kind)` is emitted after a successful write so other pages
  refresh. Kinds: "pupils", "sessions", "plans", "measures", "referrals",
  "activities", "liaison", "users", "settings".
- Dialogs that hold typed-in work may define `has_unsaved_input() -> bool`;
  the lock asks it before closing them (see ui/lock.py).
- `offer_undo(text, undo)` shows "text. Undo" in the status bar for a few
  seconds; Undo or Ctrl+Z runs `undo()` (ui/undo_notice.py).
"""
from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any

from PySide6.QtCore import QObject, Signal
from PySide6.QtWidgets import QApplication, QWidget

if TYPE_CHECKING:
    from schoolmh.services.session import Session
    from schoolmh.ui import ops

__all__ = ["AppContext", "DATA_KINDS"]

DATA_KINDS = ("pupils", "sessions", "plans", "measures", "referrals", "activities", "liaison", "users", "settings")


class AppContext(QObject):
    locked = Signal()
    unlocked = Signal()
    open_pupil = Signal(str)
    navigate = Signal(str)
    data_changed = Signal(str)
    undo_offered = Signal(str, object)  # text, undo() -> what to say after undoing

    def __init__(self, data_dir: Path, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.data_dir = Path(data_dir)
        self.session: Session | None = None
        # Bumped at every lock: results of work started before a lock are not applied after it.
        self.generation = 0
        self.main_window: QWidget | None = None

    # -- the session ------------------------------------------------------------------
    def set_session(self, session: "Session") -> None:
        self.session = session
        self.unlocked.emit()

    def close_session(self) -> None:
        """Close the database (the vault key is dropped with it) and tell everyone."""
        self.generation += 1
        session, self.session = self.session, None
        if session is not None:
            try:
                session.close()
            except Exception as exc:  # a failing close must not keep the window unlocked
                from schoolmh.logs import log_exception

                log_exception(exc, "closing the session")
        self.locked.emit()

    def offer_undo(self, text: str, undo: Callable[[], str]) -> None:
        """Offer to take back what was just saved (the main window shows it for a few seconds)."""
        self.undo_offered.emit(text, undo)

    @property
    def is_unlocked(self) -> bool:
        return self.session is not None

    def settings(self):
        """The school's settings (readable by every role)."""
        from schoolmh.services import settings

        return settings.load(self.session)

    # -- long work --------------------------------------------------------------------
    def run(
        self,
        title: str,
        work: Callable[["ops.Progress"], Any],
        on_done: Callable[[Any], None],
        on_error: Callable[[BaseException], None] | None = None,
        cancellable: bool = False,
        *,
        parent: QWidget | None = None,
        gui_thread: bool = False,
    ) -> "ops.Progress":
        """ops.run_operation, plus: a result that arrives after the app locked is dropped, not applied."""
        from schoolmh.ui import ops
        from schoolmh.ui.widgets.common import info

        parent = parent or QApplication.activeWindow() or self.main_window
        started = self.generation

        def done(result: Any) -> None:
            if self.generation != started or self.session is None:
                info(None, title, "SchoolMH locked before this finished, so its result was not used. Nothing was saved.")
                return
            on_done(result)

        def failed(exc: BaseException) -> None:
            if on_error is not None:
                on_error(exc)
            else:
                self.report_error(parent, exc, f"during “{title}”")

        return ops.run_operation(parent, title, work, done, failed, cancellable, gui_thread=gui_thread)

    # -- errors -------------------------------------------------------------------------
    def report_error(self, parent: QWidget | None, exc: BaseException, doing: str) -> None:
        """SchoolMHError → its message; anything else → "Something went wrong {doing}. Nothing was saved." (logged)."""
        try:
            import shiboken6

            if parent is not None and not shiboken6.isValid(parent):
                parent = None
        except Exception:
            parent = None
        from schoolmh.ui.widgets.common import report_error

        report_error(parent, exc, doing)
