"""Auto-lock and Ctrl+L: the database closes, pages holding pupil data are deleted, the password is needed again."""
from __future__ import annotations

import shiboken6
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QDialog, QLabel, QLineEdit, QVBoxLayout, QWidget

from schoolmh.services.permissions import Action
from schoolmh.ui import main_window as mw
from support import click, ctrl_l

PLANTED = "Zoë Plantedname"


class PlantedPage(QWidget):
    """Stands in for a page showing a pupil's name."""

    built = 0

    def __init__(self, ctx) -> None:
        super().__init__()
        PlantedPage.built += 1
        layout = QVBoxLayout(self)
        layout.addWidget(QLabel(PLANTED))

    def refresh(self) -> None:
        pass


class DraftDialog(QDialog):
    def __init__(self, parent) -> None:
        super().__init__(parent)
        self.setWindowTitle("Record a session")
        self.edit = QLineEdit(self)
        self.edit.setText("half-typed note")

    def has_unsaved_input(self) -> bool:
        return bool(self.edit.text())


def _window_with_planted_page(monkeypatch, main_window):
    monkeypatch.setattr(mw, "PAGES", [("dashboard", "&Dashboard", PlantedPage, Action.DASHBOARD_READ), *mw.PAGES[1:]])
    window = main_window
    window.do_lock()  # the fixture signed in before the patch: start again with the planted page
    return window


def _unlock(qtbot, window, password="correct horse battery staple"):
    screen = window.unlock_screen
    screen.password.setText(password)
    qtbot.keyClick(screen.password, Qt.Key.Key_Return)


def test_ctrl_l_deletes_pages_and_needs_the_password(qtbot, monkeypatch, main_window, lead_session, texts_under):
    window = _window_with_planted_page(monkeypatch, main_window)
    assert not lead_session.is_open
    _unlock(qtbot, window)
    session = window.ctx.session
    assert session is not None and session.is_open
    page = window.workspace.pages["dashboard"]
    assert PLANTED in texts_under(window)

    window.activateWindow()
    qtbot.keyClick(window.workspace.sidebar, Qt.Key.Key_L, Qt.KeyboardModifier.ControlModifier)
    assert window.ctx.session is None
    assert not session.is_open  # the database is closed
    qtbot.waitUntil(lambda: not shiboken6.isValid(page))  # deleted, not hidden
    assert window.workspace is None
    assert PLANTED not in " ".join(texts_under(window))
    assert window.windowTitle() == "SchoolMH" and window.vault_label.text() == "Locked"

    # Enter with no password does not unlock
    screen = window.unlock_screen
    assert screen.username.text() == "lead" and screen.password.text() == ""
    qtbot.keyClick(screen.password, Qt.Key.Key_Return)
    assert window.ctx.session is None and screen.message.message == "Type your password."
    built = PlantedPage.built
    _unlock(qtbot, window)
    assert window.ctx.session is not None
    assert PlantedPage.built == built + 1  # pages are built again after unlocking
    ctrl_l(qtbot, window)


def test_idle_lock_and_warning_for_unsaved_dialog(qtbot, monkeypatch, main_window, texts_under):
    window = _window_with_planted_page(monkeypatch, main_window)
    _unlock(qtbot, window)
    manager = window.lock_manager
    dialog = DraftDialog(window)
    dialog.open()
    manager.warning_seconds = 1
    manager.set_idle_seconds(0.2)
    manager.started()
    qtbot.waitUntil(lambda: manager.warning is not None, timeout=3000)  # idle: warned first, not locked yet
    assert window.ctx.session is not None
    assert "cannot keep a draft" in manager.warning.text.text()
    assert "Record a session" in manager.warning.text.text()
    qtbot.waitUntil(lambda: window.ctx.session is None, timeout=4000)  # the countdown ran out: locked anyway
    qtbot.waitUntil(lambda: not shiboken6.isValid(dialog))
    assert PLANTED not in " ".join(texts_under(window))


def test_lock_now_from_the_warning(qtbot, monkeypatch, main_window):
    window = _window_with_planted_page(monkeypatch, main_window)
    _unlock(qtbot, window)
    dialog = DraftDialog(window)
    dialog.open()
    ctrl_l(qtbot, dialog)  # Ctrl+L with a half-filled form
    warning = window.lock_manager.warning
    assert warning is not None and window.ctx.session is not None
    click(qtbot, warning.lock_button)
    assert window.ctx.session is None


def test_keep_working_cancels_the_lock(qtbot, monkeypatch, main_window):
    window = _window_with_planted_page(monkeypatch, main_window)
    _unlock(qtbot, window)
    dialog = DraftDialog(window)
    dialog.open()
    ctrl_l(qtbot, dialog)
    click(qtbot, window.lock_manager.warning.keep_button)
    assert window.lock_manager.warning is None
    assert window.ctx.session is not None and dialog.isVisible()
    dialog.edit.clear()  # nothing typed: locks straight away
    ctrl_l(qtbot, dialog)
    assert window.ctx.session is None
