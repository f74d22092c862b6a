"""First run to the recovery sheet; unlock with a wrong then the right password; back-off countdown."""
from __future__ import annotations

import pytest
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QWizard

from schoolmh.ui.context import AppContext
from support import click

LEAD_PW = "correct horse battery staple"


def test_first_run_to_recovery_sheet_and_signed_in(qtbot, tmp_path, monkeypatch):
    from schoolmh.ui.app import start

    ctx = AppContext(tmp_path / "vault")
    holder = start(ctx)
    wizard = holder["wizard"]
    qtbot.addWidget(wizard)

    def next_page():
        click(qtbot, wizard.button(QWizard.WizardButton.NextButton))

    wizard.school_page.school.setText("Oakfield Academy")
    next_page()
    lead = wizard.lead_page
    assert wizard.currentPage() is lead
    qtbot.keyClicks(lead.username, "a.lead")
    lead.full_name.setText("Zoë Ní Bhriain")
    qtbot.keyClicks(lead.fields.password, "short")
    assert "more character" in lead.fields.word.text()  # the live meter explains
    next_page()
    assert wizard.currentPage() is lead  # refused, message next to the field
    assert "at least 12" in lead.errors.message_for("password")
    lead.fields.password.setText(LEAD_PW)
    lead.fields.confirm.setText(LEAD_PW + "x")
    next_page()
    assert "not the same" in lead.errors.message_for("confirm")
    lead.fields.confirm.setText(LEAD_PW)
    next_page()

    key_page = wizard.key_page
    assert wizard.currentPage() is key_page
    key = key_page.panel.key
    assert len(key.split("-")) >= 6
    shown = [w.text() for w in key_page.findChildren(type(key_page.panel.saved_label)) if w.objectName() == "keyGroup"]
    assert "-".join(shown) == key
    assert not key_page.isComplete()  # "I have stored it" is required

    pytest.importorskip("schoolmh.reports.recovery_sheet")
    from pypdf import PdfReader

    # Issue 13.1: the button itself, clicked (it used to pass clicked's False in as the path).
    from schoolmh.ui import recovery

    monkeypatch.setattr(recovery.QFileDialog, "getSaveFileName", lambda *a, **k: (str(tmp_path / "sheet"), ""))
    qtbot.mouseClick(key_page.panel.print_button, Qt.MouseButton.LeftButton)
    sheet = key_page.panel.saved_sheet
    assert sheet == tmp_path / "sheet.pdf" and sheet.read_bytes().startswith(b"%PDF")
    assert "Saved sheet.pdf" in key_page.panel.saved_label.text()
    text = "".join(page.extract_text() for page in PdfReader(str(sheet)).pages)
    assert all(group in text for group in key.split("-"))
    assert "Oakfield Academy" in text

    click(qtbot, key_page.panel.stored)
    assert key_page.isComplete()
    next_page()
    assert wizard.currentPage() is wizard.second_page
    click(qtbot, wizard.button(QWizard.WizardButton.FinishButton))  # second lead left blank: skipped

    window = holder["window"]
    qtbot.addWidget(window)
    assert ctx.session is not None and ctx.session.actor.username == "a.lead"
    assert window.windowTitle() == "Oakfield Academy — SchoolMH"
    assert "Admin" in [window.workspace.sidebar.item(i).text() for i in range(window.workspace.sidebar.count())]
    assert key not in " ".join(t.text() for t in wizard.findChildren(type(key_page.panel.saved_label)))
    window.close()


@pytest.fixture
def locked_window(qtbot, recovery_key, vault_dir):
    from schoolmh.ui.main_window import MainWindow

    window = MainWindow(AppContext(vault_dir))
    qtbot.addWidget(window)
    window.show()
    yield window
    window.close()


def _try(qtbot, screen, username: str, password: str) -> None:
    screen.username.clear()
    screen.password.clear()
    qtbot.keyClicks(screen.username, username)
    qtbot.keyClicks(screen.password, password)
    qtbot.keyClick(screen.password, Qt.Key.Key_Return)


def test_wrong_then_right_password(qtbot, locked_window):
    window, screen = locked_window, locked_window.unlock_screen
    assert window.ctx.session is None and window.workspace is None
    assert window.vault_label.text() == "Locked"

    _try(qtbot, screen, "lead", "not the right password")
    assert screen.message.isVisible()
    assert screen.message.message == "That user name and password do not match."
    assert screen.password.text() == ""
    _try(qtbot, screen, "nobody", "not the right password")  # an unknown name gets the same words
    assert screen.message.message == "That user name and password do not match."
    assert window.ctx.session is None

    _try(qtbot, screen, "lead", "correct horse battery staple")
    assert window.ctx.session is not None
    assert window.workspace is not None and window.screens.currentWidget() is window.workspace
    assert window.windowTitle() == "Oakfield Academy — SchoolMH"
    assert window.vault_label.text() == "Vault unlocked"
    assert window.user_label.text() == "Alex Lead · Senior mental health lead"
    assert window.last_login_label.text().startswith("Last signed in: ")


def test_failures_show_a_live_countdown(qtbot, locked_window):
    screen = locked_window.unlock_screen
    for _ in range(3):
        _try(qtbot, screen, "lead", "still the wrong one")
    assert screen.countdown.isVisible()
    assert "try again in" in screen.countdown.text()
    assert not screen.sign_in_button.isEnabled()
    first = screen.wait_left
    assert first > 0
    qtbot.waitUntil(lambda: screen.wait_left < first, timeout=2500)  # it counts down
    assert f"{screen.wait_left} s" in screen.countdown.text()
    # Enter does nothing while waiting (no attempt is spent)
    qtbot.keyClicks(screen.password, "correct horse battery staple")
    qtbot.keyClick(screen.password, Qt.Key.Key_Return)
    assert locked_window.ctx.session is None
