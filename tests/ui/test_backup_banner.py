"""The "backup overdue" banner in the window: shown to the lead once the days have passed, gone after a
backup or when the lead allows more days; never shown to a role that cannot back up."""
from __future__ import annotations

import datetime as dt

import pytest
from PySide6.QtCore import Qt

from schoolmh.services import vault_admin
from schoolmh.services.session import Session
from support import LEAD_PASSWORD, STAFF_PASSWORD, add_staff, click, ctrl_l, press, sign_in_with_enter


@pytest.fixture
def ten_days_on(monkeypatch):
    later = dt.date.today() + dt.timedelta(days=10)
    monkeypatch.setattr(Session, "today", lambda self: later)
    return later


def _relock(qtbot, window, username="lead", password=LEAD_PASSWORD):
    ctrl_l(qtbot, window)
    sign_in_with_enter(qtbot, window.unlock_screen, password, username=username)
    assert window.workspace is not None


def test_the_lead_sees_it_and_a_backup_clears_it(qtbot, main_window, ten_days_on, tmp_path):
    window = main_window
    _relock(qtbot, window)  # signed in again ten days after the vault was made
    banner = window.workspace.backup_banner
    assert banner.isVisible() and "never been backed up" in banner.text() and "10 days" in banner.text()
    vault_admin.backup(window.ctx.session, tmp_path / "stick" / "b.schoolmh-backup")
    window.ctx.data_changed.emit("settings")  # what the Admin page says after its backup
    assert not banner.isVisible()


def test_more_days_in_the_settings_hide_it(qtbot, main_window, ten_days_on):
    window = main_window
    _relock(qtbot, window)
    assert window.workspace.backup_banner.isVisible()
    number = window.workspace.keys().index("admin") + 1
    press(qtbot, window, Qt.Key(Qt.Key.Key_0 + number), Qt.KeyboardModifier.ControlModifier)
    admin = window.workspace.pages["admin"]
    admin.tabs.setCurrentWidget(admin.settings)
    spin = admin.settings.backup_days
    spin.setFocus()
    qtbot.keyClick(spin, Qt.Key.Key_A, Qt.KeyboardModifier.ControlModifier)
    qtbot.keyClicks(spin, "14")
    click(qtbot, admin.settings.save_button)
    assert not window.workspace.backup_banner.isVisible()


def test_pastoral_staff_do_not_see_it(qtbot, main_window, lead_session, ten_days_on):
    add_staff(lead_session, "pastoral1", "pastoral")
    _relock(qtbot, main_window, "pastoral1", STAFF_PASSWORD)
    assert not main_window.workspace.backup_banner.isVisible()
