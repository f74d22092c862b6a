"""Start the desktop app: QApplication, exception hooks, first run or unlock.

Start-up is kept short: only Qt, the window shell and the unlock screen load
before the first paint; pages, reportlab and the vault code load when used.
"""
from __future__ import annotations

import os
import sys
import threading
from pathlib import Path

from PySide6.QtCore import QObject, Qt, Signal
from PySide6.QtGui import QGuiApplication, QIcon
from PySide6.QtWidgets import QApplication

APP_NAME = "SchoolMH"

UNEXPECTED = (
    "Something went wrong. The last thing you did may not have finished: please check it.\n\n"
    "The technical details were written to SchoolMH's log (without any names)."
)


def parse_data_dir(argv: list[str]) -> Path:
    """--data-dir DIR / --data-dir=DIR, else $SCHOOLMH_DATA_DIR, else the per-user data folder."""
    for i, arg in enumerate(argv):
        if arg.startswith("--data-dir="):
            return Path(arg.split("=", 1)[1]).expanduser()
        if arg == "--data-dir" and i + 1 < len(argv):
            return Path(argv[i + 1]).expanduser()
    env = os.environ.get("SCHOOLMH_DATA_DIR")
    if env:
        return Path(env).expanduser()
    from schoolmh.services.app_info import default_data_dir

    return default_data_dir()


class _ErrorRelay(QObject):
    """Brings exceptions from any thread to the GUI thread to show one plain message."""

    raised = Signal(str)

    def __init__(self) -> None:
        super().__init__()
        self._showing = False
        self.raised.connect(self._show)

    def _show(self, where: str) -> None:
        if self._showing:  # one message at a time, never a cascade
            return
        self._showing = True
        from PySide6.QtWidgets import QMessageBox

        try:
            QMessageBox.warning(QApplication.activeWindow(), APP_NAME, UNEXPECTED)
        finally:
            self._showing = False


def install_exception_hooks() -> _ErrorRelay:
    """No traceback reaches a user: log it (types and line numbers only) and show a plain message."""
    relay = _ErrorRelay()

    def hook(exc_type, exc, tb) -> None:
        from schoolmh.logs import log_exception  # imported when needed: keeps start-up short

        if issubclass(exc_type, KeyboardInterrupt):
            QApplication.quit()
            return
        if exc is not None and exc.__traceback__ is None:
            exc = exc.with_traceback(tb)
        log_exception(exc, "unhandled")
        from schoolmh.errors import SchoolMHError

        if isinstance(exc, SchoolMHError):  # a user-facing message that escaped its handler: show it as is
            from PySide6.QtWidgets import QMessageBox

            QMessageBox.warning(QApplication.activeWindow(), APP_NAME, exc.message)
            return
        relay.raised.emit("gui")

    def thread_hook(args: threading.ExceptHookArgs) -> None:
        from schoolmh.logs import log_exception

        if args.exc_value is not None:
            log_exception(args.exc_value, "thread")
        relay.raised.emit("thread")

    sys.excepthook = hook
    threading.excepthook = thread_hook
    return relay


def app_icon() -> QIcon:
    from schoolmh.resources import resource_path

    return QIcon(str(resource_path("icons", "schoolmh.png")))


def apply_style(app: QApplication) -> None:
    """The one look on every OS: Fusion (chosen at construction, see style_arguments) and app.qss."""
    from schoolmh.resources import resource_path

    from PySide6.QtCore import QDir

    QDir.addSearchPath("schoolmh", str(resource_path()))  # url(schoolmh:icons/…) in the style sheet
    qss = resource_path("styles", "app.qss")
    try:
        app.setStyleSheet(qss.read_text(encoding="utf-8"))
    except OSError:
        pass


def style_arguments() -> list[str]:
    """Fusion on Windows, macOS and Linux alike, so the style the tests drive is the one staff see.

    The native styles differ in metrics and focus frames (Windows 11's, macOS's, a bare "windows"
    fallback without dark mode on Linux); the suite runs with these same arguments (tests/conftest.py).
    Passing -style avoids building a Python QStyle wrapper at start-up (~5 ms).
    """
    return ["-style", "Fusion"]


def make_application(argv: list[str] | None = None) -> QApplication:
    existing = QApplication.instance()
    if existing is not None:
        return existing  # tests (pytest-qt) own the application
    QGuiApplication.setHighDpiScaleFactorRoundingPolicy(Qt.HighDpiScaleFactorRoundingPolicy.PassThrough)
    QApplication.setApplicationName(APP_NAME)
    QApplication.setApplicationDisplayName(APP_NAME)
    QApplication.setOrganizationName(APP_NAME)
    QGuiApplication.setDesktopFileName("schoolmh")
    app = QApplication([sys.argv[0] if sys.argv else APP_NAME, *style_arguments()])
    app.setWindowIcon(app_icon())
    apply_style(app)
    from schoolmh.ui import idle_gc

    idle_gc.install(app)
    return app


ALREADY_OPEN = (
    "SchoolMH is already open on this computer (or a restore is running from the command line). "
    "Switch to the open window; only one can use the vault at a time."
)


def hold_vault_lock(data_dir: Path, *, quiet: bool = False):
    """The vault's single-instance lock (the file the CLI's restore takes too: db/instance_lock.py).

    Held for the window's lifetime (stale time 0: only a dead holder makes it stale). None, after
    saying why, when another process holds it.
    """
    from PySide6.QtCore import QLockFile

    from schoolmh.services.app_info import LOCK_FILE_NAME

    lock = QLockFile(str(Path(data_dir) / LOCK_FILE_NAME))
    lock.setStaleLockTime(0)
    if lock.tryLock(200):
        return lock
    if not quiet:
        from PySide6.QtWidgets import QMessageBox

        QMessageBox.warning(None, APP_NAME, ALREADY_OPEN)
    return None


def start(ctx) -> object | None:
    """First run (no vault) → the set-up wizard; else the main window showing the unlock screen.

    Returns the window that is showing (kept referenced by the caller), or None if set-up was cancelled.
    """
    from schoolmh.services.app_info import vault_exists
    from schoolmh.ui.main_window import MainWindow

    if vault_exists(ctx.data_dir):
        lock = hold_vault_lock(ctx.data_dir)
        if lock is None:
            return None
        window = MainWindow(ctx)
        window.vault_lock = lock  # held, and released with the window
        window.show_fitted()
        window.unlock_screen.focus_first()
        return window

    from schoolmh.ui.first_run import FirstRunWizard

    wizard = FirstRunWizard(ctx)
    holder: dict[str, object] = {"wizard": wizard}

    def finished(result: int) -> None:
        session = wizard.take_session()
        if session is None:
            QApplication.quit()
            return
        holder["lock"] = hold_vault_lock(ctx.data_dir, quiet=True)  # the vault exists now (perhaps in a chosen folder)
        window = MainWindow(ctx)
        holder["window"] = window
        window.show_fitted()
        window.signed_in(session)
        wizard.deleteLater()

    wizard.finished.connect(finished)
    wizard.show()
    return holder


def _exit_after_first_paint(app: QApplication) -> None:
    """Benchmark hook (SCHOOLMH_BENCH_EXIT_AFTER_SHOW=1, used by bench/bench_startup.py; no other use).

    Once the event loop runs: finish the pending first paint, print a marker line and quit,
    so the parent can time interpreter launch to a painted unlock screen.
    """
    from PySide6.QtCore import QTimer

    def painted() -> None:
        app.processEvents()  # the paint that show() queued
        if sys.stdout is not None:
            print("SCHOOLMH-SHOWN", flush=True)
        app.quit()

    QTimer.singleShot(0, painted)


def show_startup_failure(exc: BaseException) -> None:
    """A failure before the window is up is shown in a message box (a windowed build has no console).

    Qt's own box once a QApplication exists; before that, the native one (schoolmh.startup).
    """
    from PySide6.QtWidgets import QMessageBox

    from schoolmh.logs import log_dir, log_exception
    from schoolmh.startup import STARTUP_FAILED, report_startup_failure

    if QApplication.instance() is None:
        report_startup_failure(exc)
        return
    log_exception(exc, "start-up")
    QMessageBox.critical(None, APP_NAME, STARTUP_FAILED.format(log=log_dir()))


def run_app(argv: list[str]) -> int:
    from schoolmh.startup import linux_qt_hint

    hint = linux_qt_hint()  # Qt would abort with a cryptic plugin message instead
    if hint:
        if sys.stderr is not None:
            print(hint, file=sys.stderr)
        return 1
    try:
        app = make_application(argv)
        relay = install_exception_hooks()
        from schoolmh.ui.context import AppContext

        ctx = AppContext(parse_data_dir(argv))
        shown = start(ctx)
    except Exception as exc:
        show_startup_failure(exc)
        return 1
    if shown is None:
        return 1
    if os.environ.get("SCHOOLMH_BENCH_EXIT_AFTER_SHOW") == "1":
        _exit_after_first_paint(app)
    code = app.exec()
    del relay, shown
    return code
