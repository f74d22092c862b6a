"""Keys that did nothing in the keyboard walk on a real window (Xvfb + openbox, issue 13's "Must show")."""
from __future__ import annotations

import datetime as dt

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QApplication

from schoolmh.services import pupils, referrals
from schoolmh.ui.context import AppContext


def _enter_where_qt_sends_it(qtbot, line_edit) -> None:
    """Enter as Qt delivers it: to the completer's popup when that is showing (it holds the keyboard), else the field."""
    popup = line_edit.completer().popup() if line_edit.completer() else None
    target = popup if popup is not None and popup.isVisible() else line_edit
    qtbot.keyClick(target, Qt.Key.Key_Return)


def _decision_dialog(qtbot, session, vault_dir, destination: str, reason: str):
    """A referral for Ffion and its Decision dialog, open and active: (ctx, referral, dialog)."""
    from schoolmh.ui.dialogs.record_dialogs import DecisionDialog

    pupil = pupils.create_pupil(session, legal_forename="Ffion", legal_surname="ap Rhys", year_group=10)
    referral = referrals.create_referral(session, pupil.uuid, destination, dt.date.today(), reason)
    ctx = AppContext(vault_dir)
    ctx.session = session
    dialog = DecisionDialog(ctx, None, referral)
    qtbot.addWidget(dialog)
    dialog.show()
    dialog.activateWindow()
    qtbot.waitUntil(lambda: QApplication.activeWindow() is dialog)
    return ctx, referral, dialog


def test_enter_after_typing_a_suggested_reason_saves_the_decision(qtbot, lead_session, vault_dir):
    """Typing "Below threshold" (one of the suggestions) left the suggestion list open; Enter only closed it."""
    ctx, referral, dialog = _decision_dialog(qtbot, lead_session, vault_dir, "camhs", "Risk of self-harm")
    dialog.decision.setFocus()
    qtbot.keyClick(dialog.decision, Qt.Key.Key_N)  # "Not accepted", typed as the user does
    assert dialog.decision.currentData() == "not_accepted"
    qtbot.keyClick(dialog.decision, Qt.Key.Key_Tab)
    qtbot.keyClick(QApplication.focusWidget(), Qt.Key.Key_Tab)
    assert QApplication.focusWidget() is dialog.reason
    qtbot.keyClicks(dialog.reason, "Below threshold")
    qtbot.waitUntil(lambda: dialog.reason.completer().popup().isVisible())  # the suggestion is offered
    _enter_where_qt_sends_it(qtbot, dialog.reason)
    qtbot.waitUntil(lambda: not dialog.isVisible(), timeout=2000)
    saved = referrals.get_referral(lead_session, referral.uuid)
    assert [(d.decision, d.reason) for d in saved.decisions] == [("not_accepted", "Below threshold")]
    ctx.session = None


def test_enter_on_a_suggestion_chosen_with_the_arrows_picks_it_and_does_not_save(qtbot, lead_session, vault_dir):
    """Choosing a longer suggestion with Down then Enter fills the field (a second Enter saves)."""
    ctx, referral, dialog = _decision_dialog(qtbot, lead_session, vault_dir, "mhst", "Low mood")
    dialog.decision.setCurrentIndex(dialog.decision.findData("not_accepted"))
    dialog.reason.setFocus()
    qtbot.keyClicks(dialog.reason, "Above")
    popup = dialog.reason.completer().popup()
    qtbot.waitUntil(popup.isVisible)
    qtbot.keyClick(popup, Qt.Key.Key_Down)
    qtbot.keyClick(popup, Qt.Key.Key_Down)
    _enter_where_qt_sends_it(qtbot, dialog.reason)
    assert dialog.isVisible() and dialog.reason.text() == "Above remit: asking to step up to CAMHS"
    assert not referrals.get_referral(lead_session, referral.uuid).decisions
    _enter_where_qt_sends_it(qtbot, dialog.reason)
    qtbot.waitUntil(lambda: not dialog.isVisible(), timeout=2000)
    saved = referrals.get_referral(lead_session, referral.uuid)
    assert [d.reason for d in saved.decisions] == ["Above remit: asking to step up to CAMHS"]
    ctx.session = None
