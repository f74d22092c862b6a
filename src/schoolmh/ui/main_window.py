"""The main window: a sidebar of the pages the signed-in role may use, the page area and the status bar.

While locked the window shows the unlock screen instead and holds no page at
all: on lock every page is deleted (not hidden), so no pupil data stays in a
widget; pages are built again, lazily, after the next unlock.

Start-up: a cold start shows only the unlock screen, so this module loads just
what that needs. The workspace (ui/workspace.py), the account menu, the keyboard
shortcuts, the permission table and the shared widgets load at the first sign-in
(the unlock screen warms them once it has painted).
"""
from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

from PySide6.QtCore import QEvent, Qt, QTimer
from PySide6.QtWidgets import QLabel, QMainWindow, QStackedWidget, QStatusBar

from schoolmh.ui.context import AppContext

if TYPE_CHECKING:
    from PySide6.QtGui import QShortcut
    from PySide6.QtWidgets import QWidget

    from schoolmh.services.permissions import Action
    from schoolmh.services.session import Session
    from schoolmh.ui.lock import LockManager
    from schoolmh.ui.workspace import Workspace

QUICK_SESSION = "schoolmh.ui.dialogs.quick_session:QuickSessionDialog"

APP_NAME = "SchoolMH"
# Fits a 1366×768 laptop at 150% scaling: 911×512 logical pixels, less a 40-pixel taskbar and a
# title bar of about 30 leave some 911×440 for the window itself (pages scroll below that).


def _registry() -> None:
    """Define PAGES and PUPIL_PAGE (on first use: the permission table is not needed to paint the unlock screen)."""
    from schoolmh.services.permissions import Action

    # key, sidebar label, "module:Class", Action needed to see it (absent, not greyed, without it)
    pages: list[tuple[str, str, Any, Action]] = [
        ("dashboard", "&Dashboard", "schoolmh.ui.pages.dashboard:DashboardPage", Action.DASHBOARD_READ),
        ("pupils", "&Pupils", "schoolmh.ui.pages.pupils:PupilsPage", Action.PUPIL_READ),
        ("sessions", "&Sessions", "schoolmh.ui.pages.sessions:SessionsPage", Action.SESSION_READ),
        ("whole_school", "&Whole school", "schoolmh.ui.pages.whole_school:WholeSchoolPage", Action.ACTIVITY_READ),
        ("liaison", "MHST &liaison", "schoolmh.ui.pages.liaison:LiaisonPage", Action.LIAISON_READ),
        ("reports", "&Reports", "schoolmh.ui.pages.reports:ReportsPage", Action.REPORT_GOVERNORS),
        ("admin", "&Admin", "schoolmh.ui.pages.admin:AdminPage", Action.USERS_MANAGE),
    ]
    pupil_page = ("pupil", "Pupil record", "schoolmh.ui.pages.pupil_record:PupilRecordPage", Action.PUPIL_READ)
    globals().setdefault("PAGES", pages)  # a test may have set its own already
    globals().setdefault("PUPIL_PAGE", pupil_page)


def __getattr__(name: str) -> Any:
    """PAGES / PUPIL_PAGE on first use; Workspace / PlaceholderPage from ui/workspace.py (where they live)."""
    if name in ("PAGES", "PUPIL_PAGE"):
        _registry()
        return globals()[name]
    if name in ("Workspace", "PlaceholderPage"):
        from schoolmh.ui import workspace

        return getattr(workspace, name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def pages() -> list[tuple[str, str, Any, "Action"]]:
    """The page registry (PAGES), read at call time so a test can replace it."""
    if "PAGES" not in globals():
        _registry()
    return globals()["PAGES"]


def pupil_page_entry() -> tuple[str, str, Any, "Action"]:
    if "PUPIL_PAGE" not in globals():
        _registry()
    return globals()["PUPIL_PAGE"]


def window_title(school_name: str, demo: bool) -> str:
    """"<school> — SchoolMH" (" — DEMO" before the app name). Never a pupil's name.

    The app name comes last because Windows and X11 window managers are given the title with the
    application's display name appended unless it already ends with it ("… — SchoolMH — SchoolMH")."""
    parts = [p for p in (school_name, "DEMO" if demo else "") if p]
    return " — ".join([*parts, APP_NAME])


def load_class(spec: Any) -> type:
    """"module:Class" → the class (a class passes straight through, which tests use)."""
    if isinstance(spec, type):
        return spec
    module_name, _, class_name = str(spec).partition(":")
    return getattr(importlib.import_module(module_name), class_name)


def visible_pages(session: "Session") -> list[tuple[str, str, Any, "Action"]]:
    return [p for p in pages() if session.can(p[3])]


def report_error(parent: "QWidget | None", exc: BaseException, doing: str) -> None:
    from schoolmh.ui.widgets.common import report_error as show

    show(parent, exc, doing)


class MainWindow(QMainWindow):
    def __init__(self, ctx: AppContext) -> None:
        super().__init__()
        self.ctx = ctx
        ctx.main_window = self
        self.setObjectName("MainWindow")
        self.setWindowTitle(APP_NAME)
        from schoolmh.ui.window_geometry import MINIMUM_SIZE

        self.setMinimumSize(MINIMUM_SIZE)
        self.workspace: Workspace | None = None

        from schoolmh.ui.unlock import UnlockScreen

        self.screens = QStackedWidget()
        self.unlock_screen = UnlockScreen(ctx, self)
        self.unlock_screen.signed_in.connect(self.signed_in)
        self.screens.addWidget(self.unlock_screen)
        self.setCentralWidget(self.screens)

        self._build_status_bar()
        self.page_shortcuts: list[QShortcut] = []
        self._signed_in_parts = False  # account menu, status details, shortcuts: made at the first sign-in
        ctx.open_pupil.connect(self._open_pupil)
        ctx.navigate.connect(self.go)
        ctx.data_changed.connect(self._data_changed)

        self.lock_manager: LockManager | None = None  # made at the first sign-in (keeps start-up short)
        # Where the user was when the window locked: (account uuid, page key, pupil uuid, tab index).
        # In memory only (identifiers, no names); used once, at the next sign-in by the same account.
        self.resume_point: tuple[str, str, str | None, int] | None = None
        self._set_locked_look()

    # -- where it opens ----------------------------------------------------------------------
    def show_fitted(self) -> None:
        """Show on the screen's free area: where the user left it if that still fits, else the preferred
        size, or maximised on a screen smaller than that (ui/window_geometry.py)."""
        from PySide6.QtCore import QPoint
        from PySide6.QtGui import QGuiApplication

        from schoolmh.ui import window_geometry as wg

        remembered = wg.remembered()
        screen = None
        if remembered is not None:
            screen = QGuiApplication.screenAt(QPoint(remembered.x + remembered.width // 2, remembered.y + 10))
        screen = screen or QGuiApplication.primaryScreen()
        available = screen.availableGeometry()
        placement = wg.fit_window(available, remembered)
        if placement.maximised:  # un-maximising gives a size that fits, not the screen-filling one
            placement = wg.fit_window(available, None, wg.PREFERRED_SIZE.boundedTo(available.size() * 0.9))
            self.resize(placement.width, placement.height)
            self.move(placement.x, placement.y)
            self.showMaximized()
        else:
            self.resize(placement.width, placement.height)
            self.move(placement.x, placement.y)
            self.show()

    def remember_geometry(self) -> None:
        """Keep where the window is for next time (numbers only; per OS user)."""
        from schoolmh.ui import window_geometry as wg

        normal = self.normalGeometry() if self.isMaximized() else self.geometry()
        corner = self.pos() if not self.isMaximized() else normal.topLeft()
        try:
            wg.remember(wg.Placement(corner.x(), corner.y(), normal.width(), normal.height(), self.isMaximized()))
        except Exception:  # a read-only settings folder must not stop the window closing
            pass

    # -- status bar -------------------------------------------------------------------
    def _build_status_bar(self) -> None:
        """What the locked window shows: the vault state. The rest comes with the first sign-in."""
        bar = QStatusBar()
        bar.setSizeGripEnabled(False)
        self.setStatusBar(bar)
        self.vault_label = QLabel()
        self.vault_label.setAccessibleName("Vault state")
        bar.addPermanentWidget(self.vault_label)

    def _build_signed_in_parts(self) -> None:
        """The status bar's details, the account menu and the window-wide shortcuts (once, at the first sign-in)."""
        if self._signed_in_parts:
            return
        self._signed_in_parts = True
        from PySide6.QtGui import QKeySequence, QShortcut
        from PySide6.QtWidgets import QMenu, QToolButton

        from schoolmh.ui.widgets.common import Chip

        bar = self.statusBar()
        self.last_login_label = QLabel()
        self.user_label = QLabel()
        self.user_label.setAccessibleName("Signed in as")
        self.demo_chip = Chip("DEMO", "Demonstration vault: fictional pupils only")
        self.account_button = QToolButton()
        self.account_button.setText("A&ccount")
        self.account_button.setAccessibleName("Account menu")
        self.account_button.setPopupMode(QToolButton.ToolButtonPopupMode.InstantPopup)
        self.account_button.setAutoRaise(True)
        menu = QMenu(self.account_button)
        self.change_password_action = menu.addAction("&Change my password…", self._change_password)
        self.remember_action = menu.addAction("&Remember me on this laptop", self._toggle_remember)
        self.remember_action.setCheckable(True)
        menu.addSeparator()
        self.lock_action = menu.addAction("&Lock now", self.lock)
        self.lock_action.setShortcut(QKeySequence("Ctrl+L"))  # shown in the menu; the window-wide one is below
        self.lock_action.setShortcutContext(Qt.ShortcutContext.WidgetShortcut)
        menu.aboutToShow.connect(self._update_account_menu)
        self.account_button.setMenu(menu)
        from schoolmh.ui.undo_notice import UndoNotice

        self.undo_notice = UndoNotice(self, makes_room=self.last_login_label)
        self.ctx.undo_offered.connect(self.undo_notice.offer)
        bar.removeWidget(self.vault_label)  # re-added in order: chip, user, vault state, account
        bar.addWidget(self.last_login_label)
        bar.addWidget(self.undo_notice)
        bar.addPermanentWidget(self.demo_chip)
        bar.addPermanentWidget(self.user_label)
        bar.addPermanentWidget(self.vault_label)
        bar.addPermanentWidget(self.account_button)
        self.vault_label.show()
        # Ctrl+L locks from anywhere, even with a modal dialog open (the lock then asks about unsaved
        # input): the LockManager's application-wide event filter takes it, since a QShortcut of this
        # window would be blocked by the dialog. Ctrl+N has nothing to do while locked: made here.
        self.quick_shortcut = QShortcut(QKeySequence("Ctrl+N"), self, self.quick_session)

    def _rebuild_page_shortcuts(self) -> None:
        for shortcut in self.page_shortcuts:
            shortcut.setEnabled(False)
            shortcut.deleteLater()
        self.page_shortcuts = []
        if self.workspace is None or self.ctx.session is None:
            return
        from PySide6.QtGui import QKeySequence, QShortcut

        for number, (key, label, _spec, _action) in enumerate(visible_pages(self.ctx.session), start=1):
            shortcut = QShortcut(QKeySequence(f"Ctrl+{number}"), self, lambda k=key: self.go(k))
            self.page_shortcuts.append(shortcut)

    # -- sign in / lock ------------------------------------------------------------------
    def signed_in(self, session: "Session") -> None:
        """Called by the unlock screen, the first-run wizard and the recovery route."""
        if self.lock_manager is None:
            from schoolmh.ui.lock import LockManager

            self.lock_manager = LockManager(self.ctx, self)
        self._build_signed_in_parts()
        from schoolmh.ui.workspace import Workspace

        self.ctx.set_session(session)
        self.workspace = Workspace(self.ctx)
        self.screens.addWidget(self.workspace)
        keys = self.workspace.keys()
        resumed = self._resume(session)
        if keys and not resumed:
            self.go(keys[0])  # before the switch, so focus landing on the sidebar finds it shown already
        self.screens.setCurrentWidget(self.workspace)
        self._rebuild_page_shortcuts()
        self._update_from_settings()
        self.user_label.setText(f"{session.actor.full_name} · {session.actor.role_name}")
        self.vault_label.setText("Vault unlocked")
        self.account_button.show()
        self.user_label.show()
        previous = session.previous_login
        self.last_login_label.setText(f"Last signed in: {format_local(previous)}" if previous else "First sign-in")
        self.lock_manager.started()
        if getattr(self, "team_syncer", None) is None:
            from schoolmh.ui.pages.team import TeamSyncer  # several laptops (issue 12)

            self.team_syncer = TeamSyncer(self.ctx, self.statusBar())
        self.team_syncer.started()
        if keys:
            self.workspace.sidebar.setFocus()
        QTimer.singleShot(0, lambda: self._after_sign_in(session))

    def _after_sign_in(self, session: "Session") -> None:
        """A password that must change is asked for straight away (cancel locks again)."""
        if self.ctx.session is not session or not session.is_open:
            return  # locked again before this ran
        from schoolmh.services import access

        try:
            must_change = access.login_required_change(session)
        except Exception as exc:
            report_error(self, exc, "checking your account")
            return
        if must_change:
            from schoolmh.ui.change_password import ChangePasswordDialog

            dialog = ChangePasswordDialog(self.ctx, self, required=True)
            dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
            dialog.rejected.connect(self.lock)
            dialog.open()

    def _resume(self, session: "Session") -> bool:
        """After a lock, the same account returns to the page (and pupil, and tab) it was on, if its role
        still allows it; anyone else starts at the first page. True when it went back."""
        point, self.resume_point = self.resume_point, None
        if point is None or self.workspace is None or point[0] != session.actor.uuid:
            return False
        _account, key, pupil_uuid, tab = point
        if key == "pupil":
            if pupil_uuid is None or self.workspace.page("pupil") is None:
                return False
            page = self.workspace.pages["pupil"]
            try:
                page.show_pupil(pupil_uuid)  # refused (NotFound / PermissionDenied) if out of reach now
            except Exception:  # noqa: BLE001 - erased or unshared meanwhile: start at the first page
                return False
            self.workspace.show_page("pupil")
            if 0 <= tab < page.tabs.count() and page.tabs.isTabVisible(tab):
                page.tabs.setCurrentIndex(tab)
            return True
        return self.workspace.show_page(key) is not None

    def _resume_point(self) -> tuple[str, str, str | None, int] | None:
        session, workspace = self.ctx.session, self.workspace
        if session is None or workspace is None or not workspace.current_key:
            return None
        pupil_uuid, tab = None, 0
        if workspace.current_key == "pupil":
            page = workspace.pages.get("pupil")
            pupil = getattr(page, "pupil", None)
            if pupil is None:
                return None
            pupil_uuid, tab = pupil.uuid, page.tabs.currentIndex()
        return session.actor.uuid, workspace.current_key, pupil_uuid, tab

    def lock(self) -> None:
        """Ctrl+L / the account menu: lock now (asking first if a dialog holds typed-in work)."""
        if self.ctx.session is not None and self.lock_manager is not None:
            self.lock_manager.request_lock(explicit=True)

    def do_lock(self) -> None:
        """Close the session and delete every page; the unlock screen returns. Used by LockManager."""
        if self.workspace is not None:
            self.workspace.hide()
        self.screens.setCurrentWidget(self.unlock_screen)
        if self.ctx.session is not None:  # whoever was working is the likely one to come back
            self.unlock_screen.username.setText(self.ctx.session.actor.username)
            self.resume_point = self._resume_point()
        if getattr(self, "team_syncer", None) is not None:
            self.team_syncer.stopping()
        self.ctx.close_session()
        if self._signed_in_parts:
            self.undo_notice.withdraw()
        if self.workspace is not None:
            self.workspace.clear()
            self.screens.removeWidget(self.workspace)
            self.workspace.deleteLater()
            self.workspace = None
        self._rebuild_page_shortcuts()
        self._set_locked_look()
        self.unlock_screen.reset()

    def _set_locked_look(self) -> None:
        self.setWindowTitle(APP_NAME)
        if self._signed_in_parts:
            self.user_label.hide()
            self.account_button.hide()
            self.demo_chip.hide()
            self.last_login_label.setText("")
        self.vault_label.setText("Locked")
        self.screens.setCurrentWidget(self.unlock_screen)
        self.unlock_screen.focus_first()

    def _update_from_settings(self) -> None:
        if self.ctx.session is None:
            return
        try:
            current = self.ctx.settings()
        except Exception as exc:
            report_error(self, exc, "reading the settings")
            return
        self.setWindowTitle(window_title(current.school_name, current.is_demo))
        self.demo_chip.setVisible(bool(current.is_demo))
        if self.lock_manager is not None:
            self.lock_manager.set_minutes(current.autolock_minutes)
        self.unlock_screen.remember_allowed_hint = bool(current.remember_me_allowed)

    # -- navigation -----------------------------------------------------------------------
    def go(self, key: str) -> None:
        if self.workspace is not None:
            self.workspace.show_page(key)

    def _open_pupil(self, uuid: str) -> None:
        if self.workspace is not None:
            self.workspace.open_pupil(uuid)

    def _data_changed(self, kind: str) -> None:
        if kind == "settings":
            self._update_from_settings()
        if self.workspace is not None:
            if kind in ("settings", "users"):
                self.workspace.update_banners()
            self.workspace.refresh_current()

    def quick_session(self) -> None:
        session = self.ctx.session
        from schoolmh.services.permissions import Action

        if session is None or not session.can(Action.SESSION_WRITE):
            return
        try:
            dialog_class = load_class(QUICK_SESSION)
        except Exception as exc:
            if not isinstance(exc, ModuleNotFoundError):
                from schoolmh.logs import log_exception

                log_exception(exc, "loading the quick session dialog")
            self.statusBar().showMessage("Quick session entry is not available yet.", 5000)
            return
        dialog = dialog_class(self.ctx, self, pupil_uuid=self._pupil_shown())
        dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        dialog.open()

    def _pupil_shown(self) -> str | None:
        """Ctrl+N on a pupil's record is a session for that pupil: the name is filled in already."""
        workspace = self.workspace
        if workspace is None or workspace.current_key != "pupil":
            return None
        pupil = getattr(workspace.pages.get("pupil"), "pupil", None)
        return pupil.uuid if pupil is not None else None

    # -- account menu ---------------------------------------------------------------------
    def _update_account_menu(self) -> None:
        session = self.ctx.session
        if session is None:
            return
        from schoolmh.services import devices

        try:
            allowed = devices.remember_allowed(session)
            remembered = devices.is_remembered(session)
        except Exception:
            allowed, remembered = False, False
        self.remember_action.setVisible(allowed or remembered)
        self.remember_action.setChecked(remembered)

    def _toggle_remember(self) -> None:
        session = self.ctx.session
        if session is None:
            return
        from schoolmh.services import devices

        try:
            if self.remember_action.isChecked():
                devices.remember_this_device(session)
                self.statusBar().showMessage("This laptop will remember you: next time, type your user name and press Enter.", 8000)
            else:
                devices.forget_this_device(session)
                self.statusBar().showMessage("This laptop no longer remembers you.", 8000)
        except Exception as exc:
            report_error(self, exc, "changing “Remember me”")

    def _change_password(self) -> None:
        from schoolmh.ui.change_password import ChangePasswordDialog

        dialog = ChangePasswordDialog(self.ctx, self, required=False)
        dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        dialog.open()

    def closeEvent(self, event: QEvent) -> None:  # noqa: N802
        if self.isVisible():
            self.remember_geometry()
        if self.lock_manager is not None:
            self.lock_manager.stop()
        syncer = getattr(self, "team_syncer", None)
        if syncer is not None and self.ctx.session is not None:
            syncer.stopping()  # the team exchange lets go of the vault; the last changes are packed
        if self.ctx.session is not None:
            self.ctx.close_session()
        if syncer is not None:
            self.hide()
            syncer.wait_for_publishing(3.0)  # a moment for the team folder; else the next start publishes
        super().closeEvent(event)


def format_local(value) -> str:
    """A UTC timestamp from the vault in the laptop's local time, school style ('Mon 3 Mar 2025, 14:05')."""
    import datetime as dt

    if value.tzinfo is None:
        value = value.replace(tzinfo=dt.timezone.utc)
    local = value.astimezone()
    return f"{local:%a} {local.day} {local:%b %Y, %H:%M}"
