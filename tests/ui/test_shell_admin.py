"""Admin page: add a colleague, settings errors next to the field, backup verified, audit check, new recovery key."""
from __future__ import annotations

import pytest

from schoolmh.services import settings, users
from schoolmh.ui.pages import admin


@pytest.fixture
def page(qtbot, app_ctx):
    widget = admin.AdminPage(app_ctx)
    qtbot.addWidget(widget)
    widget.resize(1100, 700)
    widget.show()
    widget.refresh()
    return widget


def test_add_user_with_a_chosen_password(qtbot, page, app_ctx):
    dialog = admin.AddUserDialog(app_ctx, page)
    qtbot.addWidget(dialog)
    dialog.full_name.setText("Łukasz Nowak")
    qtbot.keyClicks(dialog.username, "l.nowak")
    dialog.role.setCurrentIndex(dialog.role.findData("mhst"))
    dialog.choose.setChecked(True)
    dialog.fields.password.setText("too short")
    dialog.accept()
    assert "at least 12" in dialog.errors.message_for("password")  # next to the field; nothing written
    assert [u.username for u in users.list_users(app_ctx.session)] == ["lead"]
    dialog.fields.password.setText("a long enough passphrase")
    dialog.fields.confirm.setText("a long enough passphrase")
    dialog.accept()
    assert dialog.result() == dialog.DialogCode.Accepted
    added = {u.username: u for u in users.list_users(app_ctx.session)}["l.nowak"]
    assert added.role == "mhst" and added.full_name == "Łukasz Nowak" and added.must_change_password
    page.users.refresh()
    assert page.users.model.rowCount() == 2


def test_add_user_duplicate_name_error_next_to_field(qtbot, page, app_ctx):
    dialog = admin.AddUserDialog(app_ctx, page)
    qtbot.addWidget(dialog)
    dialog.full_name.setText("Another Lead")
    dialog.username.setText("lead")
    dialog.accept()
    assert "already an account" in dialog.errors.message_for("username")


def test_settings_validation_error_shown_next_to_the_field(qtbot, page, app_ctx):
    page.tabs.setCurrentWidget(page.settings)
    tab = page.settings
    assert tab.school_name.text() == "Oakfield Academy"
    tab.retention.setValue(10)
    qtbot.mouseClick(tab.save_button, admin.Qt.MouseButton.LeftButton)
    assert "between 18 and 100" in tab.errors.message_for("retention_until_age")
    assert tab.errors.message_for("autolock_minutes") == ""
    assert settings.load().retention_until_age == 25  # nothing written
    tab.retention.setValue(30)
    tab.autolock.setValue(5)
    seen = []
    app_ctx.data_changed.connect(seen.append)
    qtbot.mouseClick(tab.save_button, admin.Qt.MouseButton.LeftButton)
    assert tab.errors.message_for("retention_until_age") == ""
    assert settings.load().retention_until_age == 30 and settings.load().autolock_minutes == 5
    assert seen == ["settings"]


def _save_as(monkeypatch, path) -> None:
    """The system's Save As dialog answers `path` (it is the OS's window, not ours)."""
    monkeypatch.setattr(admin.QFileDialog, "getSaveFileName", lambda *a, **k: (str(path), ""))


def test_backup_verify_and_new_recovery_key(qtbot, page, app_ctx, tmp_path, monkeypatch):
    from schoolmh.ui import ops

    vault = page.vault
    page.tabs.setCurrentWidget(vault)
    _save_as(monkeypatch, tmp_path / "copy")
    qtbot.mouseClick(vault.backup_button, admin.Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: ops.running() == 0 and "Backup saved" in vault.result.toPlainText(), timeout=10000)
    assert (tmp_path / "copy.schoolmh-backup").is_file()
    assert "integrity check (ok)" in vault.result.toPlainText()

    qtbot.mouseClick(vault.verify_button, admin.Qt.MouseButton.LeftButton)
    assert "Audit trail intact" in vault.result.toPlainText()

    monkeypatch.setattr(admin, "confirm", lambda *a, **k: True)
    qtbot.mouseClick(vault.key_button, admin.Qt.MouseButton.LeftButton)
    from schoolmh.ui.recovery import NewRecoveryKeyDialog

    dialog = vault.findChild(NewRecoveryKeyDialog)
    assert dialog is not None and dialog.isVisible()
    assert not dialog.close_button.isEnabled()  # only after "I have stored it"
    assert len(dialog.panel.key.split("-")) >= 6
    dialog.panel.stored.setChecked(True)
    dialog.close_button.click()
    assert "no longer works" in vault.result.toPlainText()


def test_restore_locks_restores_and_asks_to_sign_in_again(qtbot, main_window, tmp_path, message_boxes, monkeypatch):
    """Issue 13.1: Restore is clicked (it crashed with "'bool' object has no attribute 'file'" when it was)."""
    from PySide6.QtCore import QTimer
    from PySide6.QtWidgets import QApplication

    from schoolmh.ui import ops

    window = main_window
    window.go("admin")
    admin_page = window.workspace.pages["admin"]
    vault = admin_page.vault
    admin_page.tabs.setCurrentWidget(vault)
    _save_as(monkeypatch, tmp_path / "before")
    qtbot.mouseClick(vault.backup_button, admin.Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: ops.running() == 0 and "Backup saved" in vault.result.toPlainText(), timeout=10000)
    users.add_user(window.ctx.session, "after.backup", "Added Later", "pastoral", "another long passphrase")

    seen = {}

    def fill_in_the_restore_dialog():  # what the lead types into the modal dialog the button opens
        dialog = QApplication.activeModalWidget()
        if not isinstance(dialog, admin.RestoreDialog):
            QTimer.singleShot(20, fill_in_the_restore_dialog)
            return
        seen["opened"] = True
        qtbot.keyClicks(dialog.file, str(tmp_path / "before.schoolmh-backup"))
        qtbot.keyClicks(dialog.password, "correct horse battery staple")
        go = next(b for b in dialog.findChildren(admin.QPushButton) if b.text() == "&Lock and restore")
        qtbot.mouseClick(go, admin.Qt.MouseButton.LeftButton)

    QTimer.singleShot(0, fill_in_the_restore_dialog)
    qtbot.mouseClick(vault.restore_button, admin.Qt.MouseButton.LeftButton)
    assert seen == {"opened": True}
    assert window.ctx.session is None  # locked before restoring
    qtbot.waitUntil(lambda: ops.running() == 0, timeout=15000)
    assert message_boxes and "restored and verified" in message_boxes[-1][1]

    screen = window.unlock_screen
    screen.password.setText("correct horse battery staple")
    screen.submit()
    assert window.ctx.session is not None
    assert "after.backup" not in [u.username for u in users.list_users(window.ctx.session)]
