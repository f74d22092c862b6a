"""Admin page: add a colleague, settings errors next to the field, backup verified, audit check, new recovery key."""
from __future__ import annotations

import pytest

from schoolmh.services import settings, users
from schoolmh.ui.pages import admin
from support import click, sign_in_with_enter


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
    click(qtbot, dialog.save_button)
    assert "at least 12" in dialog.errors.message_for("password")  # next to the field; nothing written
    assert [u.username for u in users.list_users(app_ctx.session)] == ["lead"]
    dialog.fields.password.setText("a long enough passphrase")
    dialog.fields.confirm.setText("a long enough passphrase")
    click(qtbot, dialog.save_button)
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
    click(qtbot, dialog.save_button)
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

    click(qtbot, vault.verify_button)
    assert "Audit trail intact" in vault.result.toPlainText()

    monkeypatch.setattr(admin, "confirm", lambda *a, **k: not a[1].startswith("Rotate"))  # not now
    click(qtbot, vault.key_button)
    from schoolmh.ui.recovery import NewRecoveryKeyDialog

    dialog = vault.findChild(NewRecoveryKeyDialog)
    assert dialog is not None and dialog.isVisible()
    assert not dialog.close_button.isEnabled()  # only after "I have stored it"
    assert len(dialog.panel.key.split("-")) >= 6
    click(qtbot, dialog.panel.stored)
    click(qtbot, dialog.close_button)
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

    sign_in_with_enter(qtbot, window.unlock_screen, "correct horse battery staple")
    assert window.ctx.session is not None
    assert "after.backup" not in [u.username for u in users.list_users(window.ctx.session)]


def test_term_dates_set_in_settings_are_every_this_term(qtbot, page, app_ctx):
    """Admin -> Settings -> Term dates…: the census default is shown for a year with none; dates that do not fit
    are refused next to the term; saved dates become "this term"; the census default can be restored."""
    import datetime as dt

    from PySide6.QtWidgets import QApplication

    from schoolmh.services import terms
    from schoolmh.ui.pages.term_dates import TermDatesDialog

    page.tabs.setCurrentWidget(page.settings)
    qtbot.mouseClick(page.settings.terms_button, admin.Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: isinstance(QApplication.activeModalWidget(), TermDatesDialog))
    dialog = QApplication.activeModalWidget()
    year = dialog.year.currentData()
    assert year == terms.current_term(app_ctx.session.today()).school_year
    assert "census default" in dialog.source.text()
    autumn_first, autumn_last = dialog.edits["autumn"]
    assert autumn_first.value() == dt.date(year, 8, 1)
    own = {"autumn": (dt.date(year, 9, 3), dt.date(year, 12, 18)),
           "spring": (dt.date(year + 1, 1, 5), dt.date(year + 1, 3, 26)),
           "summer": (dt.date(year + 1, 4, 12), dt.date(year + 1, 8, 20))}  # summer into August: refused
    for name, (first, last) in own.items():
        dialog.edits[name][0].set_value(first)
        dialog.edits[name][1].set_value(last)
    qtbot.mouseClick(dialog.save_button, admin.Qt.MouseButton.LeftButton)
    assert f"31 July {year + 1}" in dialog.errors.message_for("summer") and dialog.isVisible()
    assert terms.school_terms(year)[0].from_settings is False  # nothing written
    dialog.edits["summer"][1].set_value(dt.date(year + 1, 7, 21))
    dialog.edits["summer"][1].setFocus()
    qtbot.keyClick(dialog.edits["summer"][1], admin.Qt.Key.Key_Return)  # Enter in a date field saves
    assert not dialog.isVisible()
    autumn = terms.school_terms(year)[0]
    assert autumn.from_settings and (autumn.first, autumn.last) == own["autumn"]
    reopened = TermDatesDialog(app_ctx, page)
    qtbot.addWidget(reopened)
    assert "school's own dates" in reopened.source.text() and reopened.default_button.isEnabled()
    qtbot.mouseClick(reopened.default_button, admin.Qt.MouseButton.LeftButton)
    assert "census default" in reopened.source.text() and not terms.school_terms(year)[0].from_settings


@pytest.mark.parametrize("rotate", [False, True], ids=["not now", "rotate"])
def test_disabling_an_account_says_copies_keep_their_way_in_and_offers_rotation(qtbot, page, app_ctx, monkeypatch, rotate):
    """Issue 11: removing a slot cannot reach copies of the files; the lead is told once and offered Rotate all keys…."""
    users.add_user(app_ctx.session, "pat", "Pat Pastoral", "pastoral", "another long passphrase")
    page.users.refresh()
    asked, rotations = [], []
    monkeypatch.setattr(admin, "confirm", lambda _w, title, text, yes="", **k: asked.append((title, text, yes)) or (
        rotate or not title.startswith("Rotate")))
    monkeypatch.setattr(admin.VaultTab, "rotate_keys", lambda self, password=None: rotations.append(self))
    table = page.users.table
    row = next(r for r in range(page.users.proxy.rowCount())
               if page.users.proxy.row_at(page.users.proxy.index(r, 0)).username == "pat")
    table.setCurrentIndex(page.users.proxy.index(row, 0))
    qtbot.mouseClick(page.users.disable_button, admin.Qt.MouseButton.LeftButton)
    assert not {u.username: u for u in users.list_users(app_ctx.session)}["pat"].active
    title, text, yes = asked[-1]
    assert "keeps their old way in until the keys are rotated" in text and yes == "&Rotate all keys…"
    assert rotations == ([page.vault] if rotate else [])


def test_the_meter_and_the_check_refuse_the_schools_name_with_a_year(qtbot, page, app_ctx):
    """Issue 11 item 7: the window's meter is zxcvbn with the school's name, the same as the check."""
    dialog = admin.AddUserDialog(app_ctx, page)
    qtbot.addWidget(dialog)
    dialog.full_name.setText("Pat Pastoral")
    qtbot.keyClicks(dialog.username, "pat")
    dialog.choose.setChecked(True)
    qtbot.keyClicks(dialog.fields.password, "Oakfield2026!")
    assert "Too easy to guess" in dialog.fields.word.text() and dialog.fields.meter.value() < 3
    dialog.fields.confirm.setText("Oakfield2026!")
    dialog.accept()
    assert "too easy to guess" in dialog.errors.message_for("password")
    assert [u.username for u in users.list_users(app_ctx.session)] == ["lead"]
    dialog.fields.password.clear()
    qtbot.keyClicks(dialog.fields.password, "my allotment has twelve leeks")
    assert "strong" in dialog.fields.word.text() and dialog.fields.meter.value() >= 3
