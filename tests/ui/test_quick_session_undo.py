"""After a quick session the status bar says "Session saved for <name> <initial>. Undo" for a few seconds;
Ctrl+Z (or the Undo button) removes it through the service, with an audit entry; afterwards it does nothing."""
from __future__ import annotations

import types

from PySide6.QtCore import Qt

from schoolmh.services import pupils, sessions, vault_admin
from schoolmh.ui import undo_notice
from support import STAFF_PASSWORD, activate, click, ctrl_l, press, record_quick_session, sign_in_with_enter


def test_ctrl_z_while_the_message_shows_undoes_the_session(qtbot, main_window, lead_session):
    pupil = pupils.create_pupil(lead_session, legal_forename="Zoë", legal_surname="Ní Bhriain",
                                preferred_forename="Zo", year_group=9)
    window = main_window
    record_quick_session(qtbot, window, "bhriain")
    [saved] = sessions.list_sessions(lead_session, pupil.uuid)
    notice = window.undo_notice
    assert notice.isVisible() and notice.text.text() == "Session saved for Zo N."
    assert notice.button.isVisible() and notice.button.text() == "Undo"

    qtbot.keyClick(window.workspace.sidebar, Qt.Key.Key_Z, Qt.KeyboardModifier.ControlModifier)
    assert sessions.list_sessions(lead_session, pupil.uuid) == []
    [entry] = [r for r in vault_admin.audit_rows(lead_session, [saved.uuid]) if r.action == "session.delete"]
    assert entry.detail == "undo" and entry.actor == lead_session.actor.uuid
    assert "undone" in notice.text.text() and not notice.button.isVisible()

    record_quick_session(qtbot, window, "bhriain")  # a second Ctrl+Z after the undo does nothing more
    [again] = sessions.list_sessions(lead_session, pupil.uuid)
    qtbot.keyClick(window.workspace.sidebar, Qt.Key.Key_Z, Qt.KeyboardModifier.ControlModifier)
    qtbot.keyClick(window.workspace.sidebar, Qt.Key.Key_Z, Qt.KeyboardModifier.ControlModifier)
    assert sessions.list_sessions(lead_session, pupil.uuid) == []
    assert len([r for r in vault_admin.audit_rows(lead_session, [again.uuid]) if r.action == "session.delete"]) == 1


def test_the_undo_button_is_clickable(qtbot, main_window, lead_session):
    pupil = pupils.create_pupil(lead_session, legal_forename="Ada", legal_surname="Clicker", year_group=9)
    window = main_window
    record_quick_session(qtbot, window, "clicker")
    assert window.undo_notice.text.text() == "Session saved for Ada C."
    click(qtbot, window.undo_notice.button)
    assert sessions.list_sessions(lead_session, pupil.uuid) == []


def test_after_a_few_seconds_ctrl_z_no_longer_undoes(qtbot, main_window, lead_session, monkeypatch):
    monkeypatch.setattr(undo_notice, "SECONDS", 0.3)
    pupil = pupils.create_pupil(lead_session, legal_forename="Ada", legal_surname="Late", year_group=9)
    window = main_window
    record_quick_session(qtbot, window, "late")
    qtbot.waitUntil(lambda: not window.undo_notice.isVisible(), timeout=3000)
    qtbot.keyClick(window.workspace.sidebar, Qt.Key.Key_Z, Qt.KeyboardModifier.ControlModifier)
    assert len(sessions.list_sessions(lead_session, pupil.uuid)) == 1  # kept


def test_the_lock_withdraws_the_offer(qtbot, main_window, lead_session):
    pupils.create_pupil(lead_session, legal_forename="Ada", legal_surname="Locked", year_group=9)
    window = main_window
    record_quick_session(qtbot, window, "locked")
    ctrl_l(qtbot, window)
    assert window.ctx.session is None
    assert not window.undo_notice.isVisible() and not window.undo_notice.offering


def test_the_name_is_the_preferred_name_and_the_surnames_own_initial():
    from schoolmh.ui.dialogs.quick_session import saved_text

    def pupil(**names):
        base = dict(legal_forename="", legal_surname="", preferred_forename="", preferred_surname="")
        return types.SimpleNamespace(**{**base, **names})

    assert saved_text(pupil(legal_forename="Ffion", legal_surname="ap Rhys")) == "Session saved for Ffion R."
    assert saved_text(pupil(legal_forename="Zoë", legal_surname="Ní Bhriain")) == "Session saved for Zoë N."
    assert saved_text(pupil(legal_forename="Jo", legal_surname="van der berg")) == "Session saved for Jo V."
    assert saved_text(pupil(legal_forename="Alexander", preferred_forename="Sasha", legal_surname="Ivanov")) == \
        "Session saved for Sasha I."
    assert saved_text(None) == "Session saved."


def test_on_a_small_screen_the_message_leaves_the_account_menu_on_screen(qtbot, main_window, lead_session):
    from schoolmh.services import settings, users

    pupils.create_pupil(lead_session, legal_forename="Ffion", legal_surname="ap Rhys", year_group=9)
    users.add_user(lead_session, "m.ellis", "Morgan Ellis", "lead", STAFF_PASSWORD)
    with lead_session.transaction():
        settings.write_raw(is_demo=True)  # the DEMO chip takes its room too
    window = main_window
    for _ in range(2):  # the second time, the status bar says when the last sign-in was
        ctrl_l(qtbot, window)
        sign_in_with_enter(qtbot, window.unlock_screen, STAFF_PASSWORD, username="m.ellis")
    assert window.last_login_label.text().startswith("Last signed in:") and window.demo_chip.isVisible()
    window.resize(911, 440)  # 1366×768 at 150%, less the taskbar and title bar
    qtbot.waitUntil(lambda: window.width() == 911)
    record_quick_session(qtbot, window, "ffion")
    assert window.undo_notice.text.text() == "Session saved for Ffion R."
    bar = window.statusBar()
    assert window.width() == 911 and bar.width() <= 911  # the notice did not widen the window past the screen
    for widget in (window.undo_notice.button, window.account_button, window.vault_label):
        rect = widget.geometry()
        text_width = widget.fontMetrics().horizontalAdvance(widget.text().replace("&", ""))
        assert widget.isVisible() and rect.right() <= bar.width() and rect.width() >= text_width, widget.text()


def test_ctrl_n_on_a_pupils_record_fills_in_that_pupil(qtbot, main_window, lead_session):
    """Between lessons, on Ada's record: Ctrl+N opens a session for Ada (no name to type again)."""
    from PySide6.QtWidgets import QApplication

    pupils.create_pupil(lead_session, legal_forename="Ada", legal_surname="Onrecord", year_group=8)
    ada = pupils.create_pupil(lead_session, legal_forename="Ada", legal_surname="Shown", year_group=8)
    window = main_window
    window.ctx.open_pupil.emit(ada.uuid)
    press(qtbot, window, Qt.Key.Key_N, Qt.KeyboardModifier.ControlModifier)
    qtbot.waitUntil(lambda: QApplication.activeModalWidget() is not None)
    dialog = QApplication.activeModalWidget()
    assert dialog.picker.pupil is not None and dialog.picker.pupil.uuid == ada.uuid
    activate(qtbot, dialog)
    dialog.note.setFocus()
    qtbot.keyClicks(dialog.note, "Check-in before exams")  # an Enter straight after opening saves nothing (issue 13)
    qtbot.keyClick(dialog.note, Qt.Key.Key_Return, Qt.KeyboardModifier.ControlModifier)
    qtbot.waitUntil(lambda: not dialog.isVisible())
    assert [s.note for s in sessions.list_sessions(lead_session, ada.uuid)] == ["Check-in before exams"]
