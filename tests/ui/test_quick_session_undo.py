"""After a quick session the status bar says "Session saved for <name> <initial>. Undo" for a few seconds;
Ctrl+Z (or the Undo button) removes it through the service, with an audit entry; afterwards it does nothing."""
from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QApplication

from schoolmh.services import pupils, sessions, vault_admin
from schoolmh.ui import undo_notice
from support import activate, click, ctrl_l, press


def _record_quick_session(qtbot, window, typed: str):
    press(qtbot, window, Qt.Key.Key_N, Qt.KeyboardModifier.ControlModifier)
    qtbot.waitUntil(lambda: QApplication.activeModalWidget() is not None)
    dialog = QApplication.activeModalWidget()
    qtbot.keyClicks(dialog.picker, typed)
    qtbot.keyClick(dialog.picker, Qt.Key.Key_Return)  # picks the first match
    qtbot.keyClick(dialog.picker, Qt.Key.Key_Return)  # saves
    qtbot.waitUntil(lambda: not dialog.isVisible())
    activate(qtbot, window)


def test_ctrl_z_while_the_message_shows_undoes_the_session(qtbot, main_window, lead_session):
    pupil = pupils.create_pupil(lead_session, legal_forename="Zoë", legal_surname="Ní Bhriain",
                                preferred_forename="Zo", year_group=9)
    window = main_window
    _record_quick_session(qtbot, window, "bhriain")
    [saved] = sessions.list_sessions(lead_session, pupil.uuid)
    notice = window.undo_notice
    assert notice.isVisible() and notice.text.text() == "Session saved for Zo N."
    assert notice.button.isVisible() and notice.button.text() == "Undo"

    qtbot.keyClick(window.workspace.sidebar, Qt.Key.Key_Z, Qt.KeyboardModifier.ControlModifier)
    assert sessions.list_sessions(lead_session, pupil.uuid) == []
    [entry] = [r for r in vault_admin.audit_rows(lead_session, [saved.uuid]) if r.action == "session.delete"]
    assert entry.detail == "undo" and entry.actor == lead_session.actor.uuid
    assert "undone" in notice.text.text() and not notice.button.isVisible()

    _record_quick_session(qtbot, window, "bhriain")  # a second Ctrl+Z after the undo does nothing more
    [again] = sessions.list_sessions(lead_session, pupil.uuid)
    qtbot.keyClick(window.workspace.sidebar, Qt.Key.Key_Z, Qt.KeyboardModifier.ControlModifier)
    qtbot.keyClick(window.workspace.sidebar, Qt.Key.Key_Z, Qt.KeyboardModifier.ControlModifier)
    assert sessions.list_sessions(lead_session, pupil.uuid) == []
    assert len([r for r in vault_admin.audit_rows(lead_session, [again.uuid]) if r.action == "session.delete"]) == 1


def test_the_undo_button_is_clickable(qtbot, main_window, lead_session):
    pupil = pupils.create_pupil(lead_session, legal_forename="Ada", legal_surname="Clicker", year_group=9)
    window = main_window
    _record_quick_session(qtbot, window, "clicker")
    assert window.undo_notice.text.text() == "Session saved for Ada C."
    click(qtbot, window.undo_notice.button)
    assert sessions.list_sessions(lead_session, pupil.uuid) == []


def test_after_a_few_seconds_ctrl_z_no_longer_undoes(qtbot, main_window, lead_session, monkeypatch):
    monkeypatch.setattr(undo_notice, "SECONDS", 0.3)
    pupil = pupils.create_pupil(lead_session, legal_forename="Ada", legal_surname="Late", year_group=9)
    window = main_window
    _record_quick_session(qtbot, window, "late")
    qtbot.waitUntil(lambda: not window.undo_notice.isVisible(), timeout=3000)
    qtbot.keyClick(window.workspace.sidebar, Qt.Key.Key_Z, Qt.KeyboardModifier.ControlModifier)
    assert len(sessions.list_sessions(lead_session, pupil.uuid)) == 1  # kept


def test_the_lock_withdraws_the_offer(qtbot, main_window, lead_session):
    pupils.create_pupil(lead_session, legal_forename="Ada", legal_surname="Locked", year_group=9)
    window = main_window
    _record_quick_session(qtbot, window, "locked")
    ctrl_l(qtbot, window)
    assert window.ctx.session is None
    assert not window.undo_notice.isVisible() and not window.undo_notice.offering
