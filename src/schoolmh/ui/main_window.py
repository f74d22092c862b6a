"""The main window: a sidebar of the pages the signed-in role may use, the page area and the status bar.

While locked the window shows the unlock screen instead and holds no page at
all: on lock every page is deleted (not hidden), so no pupil data stays in a
widget; pages are built again, lazily, after the next unlock.
"""
from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

from PySide6.QtCore import QEvent, QSize, Qt, QTimer
from PySide6.QtGui import QKeySequence, QShortcut
from PySide6.QtWidgets import (
    QHBoxLayout,
    QLabel,
    QListWidget,
    QListWidgetItem,
    QMainWindow,
    QMenu,
    QStackedWidget,
    QStatusBar,
    QToolButton,
    QVBoxLayout,
    QWidget,
)

from schoolmh.services.permissions import Action
from schoolmh.ui.context import AppContext
from schoolmh.ui.widgets.common import Chip, report_error

if TYPE_CHECKING:
    from schoolmh.services.session import Session
    from schoolmh.ui.lock import LockManager

# key, sidebar label, "module:Class", Action needed to see it (absent, not greyed, without it)
PAGES: list[tuple[str, str, Any, Action]] = [
    ("dashboard", "&Dashboard", "schoolmh.ui.pages.dashboard:DashboardPage", Action.DASHBOARD_READ),
    ("pupils", "&Pupils", "schoolmh.ui.pages.pupils:PupilsPage", Action.PUPIL_READ),
    ("sessions", "&Sessions", "schoolmh.ui.pages.sessions:SessionsPage", Action.SESSION_READ),
    ("whole_school", "&Whole school", "schoolmh.ui.pages.whole_school:WholeSchoolPage", Action.ACTIVITY_READ),
    ("liaison", "MHST &liaison", "schoolmh.ui.pages.liaison:LiaisonPage", Action.LIAISON_READ),
    ("reports", "&Reports", "schoolmh.ui.pages.reports:ReportsPage", Action.REPORT_GOVERNORS),
    ("admin", "&Admin", "schoolmh.ui.pages.admin:AdminPage", Action.USERS_MANAGE),
]
PUPIL_PAGE = ("pupil", "Pupil record", "schoolmh.ui.pages.pupil_record:PupilRecordPage", Action.PUPIL_READ)
QUICK_SESSION = "schoolmh.ui.dialogs.quick_session:QuickSessionDialog"

APP_NAME = "SchoolMH"


def window_title(school_name: str, demo: bool) -> str:
    """"SchoolMH — <school>" (+ " — DEMO"). Never a pupil's name."""
    title = f"{APP_NAME} — {school_name}" if school_name else APP_NAME
    return title + (" — DEMO" if demo else "")


def load_class(spec: Any) -> type:
    """"module:Class" → the class (a class passes straight through, which tests use)."""
    if isinstance(spec, type):
        return spec
    module_name, _, class_name = str(spec).partition(":")
    return getattr(importlib.import_module(module_name), class_name)


def visible_pages(session: "Session") -> list[tuple[str, str, Any, Action]]:
    return [p for p in PAGES if session.can(p[3])]


class PlaceholderPage(QWidget):
    """Stands in for a page whose module is not there yet (or failed to load), so the rest still works."""

    def __init__(self, label: str, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        layout = QVBoxLayout(self)
        text = QLabel(f"<h2>{label}</h2><p>This page is not available yet.</p>")
        text.setAlignment(Qt.AlignmentFlag.AlignCenter)
        text.setWordWrap(True)
        layout.addWidget(text)

    def refresh(self) -> None:
        pass


class Workspace(QWidget):
    """Sidebar + page stack for one signed-in session. Deleted as a whole on lock."""

    def __init__(self, ctx: AppContext, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.ctx = ctx
        self.pages: dict[str, QWidget] = {}
        self.current_key = ""
        session = ctx.session
        assert session is not None
        self._entries = {p[0]: p for p in visible_pages(session)}
        if session.can(PUPIL_PAGE[3]):
            self._entries[PUPIL_PAGE[0]] = PUPIL_PAGE

        self.sidebar = QListWidget()
        self.sidebar.setObjectName("Sidebar")
        self.sidebar.setAccessibleName("Pages")
        self.sidebar.setFrameShape(QListWidget.Shape.NoFrame)
        self.sidebar.setSpacing(2)
        self.sidebar.setIconSize(QSize(0, 0))
        for number, (key, label, _spec, _action) in enumerate(visible_pages(session), start=1):
            plain = label.replace("&", "")
            item = QListWidgetItem(plain)
            item.setData(Qt.ItemDataRole.UserRole, key)
            # Ctrl+1…7 only: Alt+letter would clash with the pages' own button mnemonics.
            hints = [f"Ctrl+{number}"]
            item.setToolTip(f"{plain} ({', '.join(hints)})")
            item.setData(Qt.ItemDataRole.AccessibleDescriptionRole, ", ".join(hints))
            self.sidebar.addItem(item)
        self.sidebar.setFixedWidth(max(180, self.sidebar.sizeHintForColumn(0) + 40))
        self.sidebar.currentItemChanged.connect(self._sidebar_changed)

        self.stack = QStackedWidget()
        self.stack.setObjectName("PageStack")
        # Leads only: the school can lose its records with one lead and no stored recovery key.
        self.handover_banner = QLabel()
        self.handover_banner.setObjectName("HandoverBanner")
        self.handover_banner.setWordWrap(True)
        self.handover_banner.setAccessibleName("Warning")
        self.handover_banner.setContentsMargins(12, 8, 12, 8)
        self.handover_banner.setStyleSheet(
            "#HandoverBanner { background: palette(highlight); color: palette(highlighted-text); }"
        )
        self.handover_banner.hide()
        right = QVBoxLayout()
        right.setContentsMargins(0, 0, 0, 0)
        right.setSpacing(0)
        right.addWidget(self.handover_banner)
        right.addWidget(self.stack, 1)
        layout = QHBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(0)
        layout.addWidget(self.sidebar)
        layout.addLayout(right, 1)
        self.update_handover_banner()

    def update_handover_banner(self) -> None:
        from schoolmh.services import vault_admin

        session = self.ctx.session
        warning = vault_admin.handover_warning(session) if session is not None and session.is_open else None
        self.handover_banner.setText(f"⚠ {warning}" if warning else "")
        self.handover_banner.setVisible(bool(warning))

    # -- navigation ----------------------------------------------------------------
    def keys(self) -> list[str]:
        return [self.sidebar.item(i).data(Qt.ItemDataRole.UserRole) for i in range(self.sidebar.count())]

    def _sidebar_changed(self, current: QListWidgetItem | None, _previous: Any) -> None:
        if current is not None:
            self.show_page(current.data(Qt.ItemDataRole.UserRole))

    def page(self, key: str) -> QWidget | None:
        """The page widget, built on first use; None if this role may not see it."""
        if key in self.pages:
            return self.pages[key]
        entry = self._entries.get(key)
        if entry is None:
            return None
        _key, label, spec, _action = entry
        try:
            page = load_class(spec)(self.ctx)
        except ModuleNotFoundError as exc:
            if not str(spec).startswith(getattr(exc, "name", "") or "\0"):
                from schoolmh.logs import log_exception

                log_exception(exc, f"loading page {key}")
            page = PlaceholderPage(label.replace("&", ""))
        except Exception as exc:  # a broken page must not stop the others
            from schoolmh.logs import log_exception

            log_exception(exc, f"loading page {key}")
            page = PlaceholderPage(label.replace("&", ""))
        page.setObjectName(f"page_{key}")
        self.pages[key] = page
        self.stack.addWidget(page)
        return page

    def show_page(self, key: str) -> QWidget | None:
        page = self.page(key)
        if page is None:
            return None
        self.current_key = key
        self.stack.setCurrentWidget(page)
        sidebar_key = "pupils" if key == "pupil" else key
        for i in range(self.sidebar.count()):
            item = self.sidebar.item(i)
            if item.data(Qt.ItemDataRole.UserRole) == sidebar_key:
                if self.sidebar.currentRow() != i:
                    self.sidebar.blockSignals(True)
                    self.sidebar.setCurrentRow(i)
                    self.sidebar.blockSignals(False)
                break
        if key != "pupil":
            self.refresh_page(page, key)
        return page

    def refresh_page(self, page: QWidget, key: str) -> None:
        refresh = getattr(page, "refresh", None)
        if refresh is None:
            return
        try:
            refresh()
        except Exception as exc:
            report_error(self, exc, f"showing the {key.replace('_', ' ')} page")

    def refresh_current(self) -> None:
        page = self.stack.currentWidget()
        if page is not None and self.current_key:
            self.refresh_page(page, self.current_key)

    def open_pupil(self, uuid: str) -> None:
        page = self.page("pupil")
        if page is None:
            return
        show = getattr(page, "show_pupil", None)
        if show is not None:
            try:
                show(uuid)
            except Exception as exc:
                report_error(self, exc, "opening the pupil's record")
                return
        self.show_page("pupil")

    def clear(self) -> None:
        """Delete every page (the lock): the widgets go, with any models and text they held."""
        for page in list(self.pages.values()):
            self.stack.removeWidget(page)
            page.hide()
            page.deleteLater()
        self.pages.clear()


class MainWindow(QMainWindow):
    def __init__(self, ctx: AppContext) -> None:
        super().__init__()
        self.ctx = ctx
        ctx.main_window = self
        self.setObjectName("MainWindow")
        self.setWindowTitle(APP_NAME)
        self.setMinimumSize(960, 600)
        self.workspace: Workspace | None = None

        from schoolmh.ui.unlock import UnlockScreen

        self.screens = QStackedWidget()
        self.unlock_screen = UnlockScreen(ctx, self)
        self.unlock_screen.signed_in.connect(self.signed_in)
        self.screens.addWidget(self.unlock_screen)
        self.setCentralWidget(self.screens)

        self._build_status_bar()
        self._build_shortcuts()
        ctx.open_pupil.connect(self._open_pupil)
        ctx.navigate.connect(self.go)
        ctx.data_changed.connect(self._data_changed)

        self.lock_manager: LockManager | None = None  # made at the first sign-in (keeps start-up short)
        self._set_locked_look()

    # -- status bar -------------------------------------------------------------------
    def _build_status_bar(self) -> None:
        bar = QStatusBar()
        bar.setSizeGripEnabled(False)
        self.setStatusBar(bar)
        self.last_login_label = QLabel()
        self.user_label = QLabel()
        self.user_label.setAccessibleName("Signed in as")
        self.vault_label = QLabel()
        self.vault_label.setAccessibleName("Vault state")
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
        bar.addWidget(self.last_login_label)
        bar.addPermanentWidget(self.demo_chip)
        bar.addPermanentWidget(self.user_label)
        bar.addPermanentWidget(self.vault_label)
        bar.addPermanentWidget(self.account_button)

    def _build_shortcuts(self) -> None:
        # Ctrl+L locks from anywhere, even with a dialog open (the lock then asks about unsaved input).
        self.lock_shortcut = QShortcut(QKeySequence("Ctrl+L"), self, self.lock, context=Qt.ShortcutContext.ApplicationShortcut)
        self.quick_shortcut = QShortcut(QKeySequence("Ctrl+N"), self, self.quick_session)
        self.page_shortcuts: list[QShortcut] = []

    def _rebuild_page_shortcuts(self) -> None:
        for shortcut in self.page_shortcuts:
            shortcut.setEnabled(False)
            shortcut.deleteLater()
        self.page_shortcuts = []
        if self.workspace is None or self.ctx.session is None:
            return
        for number, (key, label, _spec, _action) in enumerate(visible_pages(self.ctx.session), start=1):
            shortcut = QShortcut(QKeySequence(f"Ctrl+{number}"), self, lambda k=key: self.go(k))
            self.page_shortcuts.append(shortcut)

    # -- sign in / lock ------------------------------------------------------------------
    def signed_in(self, session: "Session") -> None:
        """Called by the unlock screen, the first-run wizard and the recovery route."""
        if self.lock_manager is None:
            from schoolmh.ui.lock import LockManager

            self.lock_manager = LockManager(self.ctx, self)
        self.ctx.set_session(session)
        self.workspace = Workspace(self.ctx)
        self.screens.addWidget(self.workspace)
        keys = self.workspace.keys()
        if keys:
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
            from schoolmh.ui.unlock import ChangePasswordDialog

            dialog = ChangePasswordDialog(self.ctx, self, required=True)
            dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
            dialog.rejected.connect(self.lock)
            dialog.open()

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
        self.ctx.close_session()
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
                self.workspace.update_handover_banner()
            self.workspace.refresh_current()

    def quick_session(self) -> None:
        session = self.ctx.session
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
        dialog = dialog_class(self.ctx, self)
        dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        dialog.open()

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
        from schoolmh.ui.unlock import ChangePasswordDialog

        dialog = ChangePasswordDialog(self.ctx, self, required=False)
        dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        dialog.open()

    def closeEvent(self, event: QEvent) -> None:  # noqa: N802
        if self.lock_manager is not None:
            self.lock_manager.stop()
        if self.ctx.session is not None:
            self.ctx.close_session()
        super().closeEvent(event)


def format_local(value) -> str:
    """A UTC timestamp from the vault in the laptop's local time, school style ('Mon 3 Mar 2025, 14:05')."""
    import datetime as dt

    if value.tzinfo is None:
        value = value.replace(tzinfo=dt.timezone.utc)
    local = value.astimezone()
    return f"{local:%a} {local.day} {local:%b %Y, %H:%M}"
