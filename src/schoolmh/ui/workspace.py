"""The signed-in part of the main window: the sidebar of pages and the page stack.

Kept apart from ui/main_window.py so that a cold start, which only needs the
unlock screen, does not load these widget classes before the first paint; this
module loads at the first sign-in (or while the user types their password).
The page registry (PAGES) and load_class stay in ui/main_window.py and are read
from there at call time, so there is still one registry.
"""
from __future__ import annotations

from typing import Any

from PySide6.QtCore import QSize, Qt
from PySide6.QtWidgets import (
    QFrame,
    QHBoxLayout,
    QLabel,
    QListWidget,
    QListWidgetItem,
    QScrollArea,
    QStackedWidget,
    QVBoxLayout,
    QWidget,
)

from schoolmh.ui import main_window as mw
from schoolmh.ui.context import AppContext
from schoolmh.ui.widgets.common import report_error

SIDEBAR_MIN_WIDTH = 150  # narrow enough for a 1366×768 laptop at 150% (911 logical pixels wide)


def banner(name: str) -> QLabel:
    """A warning line across the top of the pages, in the highlight colours; hidden until needed."""
    label = QLabel()
    label.setObjectName(name)
    label.setWordWrap(True)
    label.setAccessibleName("Warning")
    label.setContentsMargins(12, 8, 12, 8)
    label.setStyleSheet(f"#{name} {{ background: palette(highlight); color: palette(highlighted-text); }}")
    label.hide()
    return label


def _message(due) -> str | None:
    return due.message() if due is not None else None


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


def scroller(page: QWidget) -> QScrollArea:
    """The page in its own scroll area: on a small screen (1366×768 at 150% is 911×512) a page that
    cannot shrink further scrolls instead of being squeezed or cut off. Each page has its own, so one
    page's minimum size never forces scroll bars on the others."""
    area = QScrollArea()
    area.setObjectName(f"scroll_{page.objectName()}")
    area.setFrameShape(QFrame.Shape.NoFrame)
    area.setWidgetResizable(True)  # the page fills the area when it fits
    area.setFocusPolicy(Qt.FocusPolicy.NoFocus)  # not a tab stop of its own; it follows focus inside
    area.setWidget(page)
    return area


class Workspace(QWidget):
    """Sidebar + page stack for one signed-in session. Deleted as a whole on lock."""

    def __init__(self, ctx: AppContext, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.ctx = ctx
        self.pages: dict[str, QWidget] = {}
        self._holders: dict[str, QScrollArea] = {}  # key → the scroll area holding that page in the stack
        self.current_key = ""
        session = ctx.session
        assert session is not None
        visible = mw.visible_pages(session)
        pupil_page = mw.pupil_page_entry()
        self._entries = {p[0]: p for p in visible}
        if session.can(pupil_page[3]):
            self._entries[pupil_page[0]] = pupil_page

        self.sidebar = QListWidget()
        self.sidebar.setObjectName("Sidebar")
        self.sidebar.setAccessibleName("Pages")
        self.sidebar.setFrameShape(QListWidget.Shape.NoFrame)
        self.sidebar.setSpacing(2)
        self.sidebar.setIconSize(QSize(0, 0))
        for number, (key, label, _spec, _action) in enumerate(visible, start=1):
            plain = label.replace("&", "")
            item = QListWidgetItem(plain)
            item.setData(Qt.ItemDataRole.UserRole, key)
            # Ctrl+1…7 only: Alt+letter would clash with the pages' own button mnemonics.
            hints = [f"Ctrl+{number}"]
            item.setToolTip(f"{plain} ({', '.join(hints)})")
            item.setData(Qt.ItemDataRole.AccessibleDescriptionRole, ", ".join(hints))
            self.sidebar.addItem(item)
        self.sidebar.setFixedWidth(max(SIDEBAR_MIN_WIDTH, self.sidebar.sizeHintForColumn(0) + 32))
        self.sidebar.currentItemChanged.connect(self._sidebar_changed)

        self.stack = QStackedWidget()
        self.stack.setObjectName("PageStack")
        # Leads only: the school can lose its records with one lead and no stored recovery key,
        # or with no recent backup (the vault lives in one account's local data folder).
        self.handover_banner = banner("HandoverBanner")
        self.backup_banner = banner("BackupBanner")
        right = QVBoxLayout()
        right.setContentsMargins(0, 0, 0, 0)
        right.setSpacing(0)
        right.addWidget(self.handover_banner)
        right.addWidget(self.backup_banner)
        right.addWidget(self.stack, 1)
        layout = QHBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(0)
        layout.addWidget(self.sidebar)
        layout.addLayout(right, 1)
        self.update_banners()

    def update_banners(self) -> None:
        """The lead's two warnings: the handover risk and an overdue backup (hidden when not due)."""
        from schoolmh.services import backup_status, vault_admin

        session = self.ctx.session
        if session is None or not session.is_open:
            return
        for label, find in ((self.handover_banner, lambda: vault_admin.handover_warning(session)),
                            (self.backup_banner, lambda: _message(backup_status.overdue(session)))):
            try:
                warning = find()
            except Exception as exc:  # noqa: BLE001 - a warning that cannot be worked out is not shown
                from schoolmh.logs import log_exception

                log_exception(exc, "working out a warning banner")
                warning = None
            label.setText(f"⚠ {warning}" if warning else "")
            label.setVisible(bool(warning))

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
            page = mw.load_class(spec)(self.ctx)
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
        self._holders[key] = scroller(page)
        self.stack.addWidget(self._holders[key])
        return page

    def show_page(self, key: str) -> QWidget | None:
        page = self.page(key)
        if page is None:
            return None
        self.current_key = key
        self.stack.setCurrentWidget(self._holders[key])
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
        page = self.pages.get(self.current_key)
        if page is not None:
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
        take_focus = getattr(page, "take_focus", None)
        if take_focus is not None:
            take_focus()

    def clear(self) -> None:
        """Delete every page (the lock): the widgets go, with any models and text they held."""
        for key, holder in list(self._holders.items()):
            self.stack.removeWidget(holder)
            holder.hide()
            self.pages[key].deleteLater()
            holder.deleteLater()
        self.pages.clear()
        self._holders.clear()
