"""Remember me (in-memory keyring and none), a password that must change, the recovery-key route, Ctrl+N."""
from __future__ import annotations

import keyring.backends.fail
import pytest
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QDialog

from support import STAFF_PASSWORD, MemoryKeyring, click, ctrl_l, keyring_backend, press, sign_in_with_enter
from schoolmh.services import access, settings, users
from schoolmh.ui.context import AppContext

LEAD_PW = "correct horse battery staple"


@pytest.fixture
def memory_keyring():
    with keyring_backend(MemoryKeyring()) as backend:
        yield backend


@pytest.fixture
def window(qtbot, vault_dir):
    from schoolmh.ui.main_window import MainWindow

    def make():
        w = MainWindow(AppContext(vault_dir))
        qtbot.addWidget(w)
        w.show()
        qtbot.wait(200)  # the screen looks at the keyring and key file once it has painted
        return w

    return make


def _allow_remember(vault_dir):
    session = access.sign_in(vault_dir, "lead", LEAD_PW)
    settings.update(session, remember_me_allowed=True)
    session.close()


def test_remember_me_on_this_laptop(qtbot, recovery_key, vault_dir, memory_keyring, window):
    _allow_remember(vault_dir)
    win = window()
    screen = win.unlock_screen
    assert not screen.remember.isVisible()  # nobody remembered yet and the setting is unknown before unlock
    qtbot.keyClicks(screen.username, "lead")
    sign_in_with_enter(qtbot, screen, LEAD_PW)
    assert win.ctx.session is not None
    ctrl_l(qtbot, win)
    assert screen.remember.isVisible()  # now known: the lead allows it and a keyring works
    screen.remember.setFocus()
    qtbot.keyClick(screen.remember, Qt.Key.Key_Space)  # ticked from the keyboard
    assert screen.remember.isChecked()
    sign_in_with_enter(qtbot, screen, LEAD_PW)
    assert memory_keyring.items  # a device secret is in the keyring
    ctrl_l(qtbot, win)
    win.close()

    win = window()  # next start: the user name alone opens the vault
    screen = win.unlock_screen
    screen.username.setText("lead")
    qtbot.waitUntil(screen.remember.isChecked)  # looked up a moment after typing
    assert "Remembered" in screen.password.placeholderText()
    qtbot.keyClick(screen.username, Qt.Key.Key_Return)
    assert win.ctx.session is not None and win.ctx.session.vault.how == "device"
    ctrl_l(qtbot, win)
    # unticking on a remembered account forgets the laptop
    click(qtbot, screen.remember)
    assert not screen.remember.isChecked()
    sign_in_with_enter(qtbot, screen, LEAD_PW)
    assert not memory_keyring.items
    ctrl_l(qtbot, win)


def test_without_a_keyring_the_choice_is_not_offered(qtbot, recovery_key, vault_dir, window, monkeypatch):
    with keyring_backend(keyring.backends.fail.Keyring()):
        _allow_remember(vault_dir)
        win = window()
        screen = win.unlock_screen
        sign_in_with_enter(qtbot, screen, LEAD_PW, username="lead")
        ctrl_l(qtbot, win)
        assert not screen.remember.isVisible()


def test_password_set_by_the_lead_must_be_changed_at_sign_in(qtbot, lead_session, vault_dir, window):
    account = users.add_user(lead_session, "p.worker", "Pat Worker", "pastoral")  # generated: must change
    lead_session.close()
    win = window()
    screen = win.unlock_screen
    sign_in_with_enter(qtbot, screen, account.generated_password, username="p.worker")
    from schoolmh.ui.unlock import ChangePasswordDialog

    qtbot.waitUntil(lambda: win.findChild(ChangePasswordDialog) is not None)
    dialog = win.findChild(ChangePasswordDialog)
    dialog.fields.password.setText("my very own passphrase")
    dialog.fields.confirm.setText("my very own passphrase")
    click(qtbot, dialog.save_button)
    assert dialog.result() == QDialog.DialogCode.Accepted
    ctrl_l(qtbot, win)
    sign_in_with_enter(qtbot, screen, "my very own passphrase")
    assert win.ctx.session is not None
    assert not access.login_required_change(win.ctx.session)
    ctrl_l(qtbot, win)


def test_forgotten_password_with_the_recovery_key(qtbot, recovery_key, vault_dir, window):
    from schoolmh.ui.recovery import RecoveryDialog

    win = window()
    screen = win.unlock_screen
    screen.username.setText("lead")
    click(qtbot, screen.forgot_button)
    dialog = win.findChild(RecoveryDialog)
    assert dialog is not None and dialog.username.text() == "lead"
    dialog.key.setText("0000-0000-0000-0000-0000-0000-0000")
    dialog.fields.password.setText("a brand new passphrase")
    dialog.fields.confirm.setText("a brand new passphrase")
    click(qtbot, dialog.ok_button)
    assert dialog.errors.message_for("recovery_key")  # next to the key field
    assert win.ctx.session is None
    dialog.key.setText(recovery_key.lower().replace("-", " "))
    click(qtbot, dialog.ok_button)
    assert win.ctx.session is not None and win.ctx.session.actor.username == "lead"
    ctrl_l(qtbot, win)
    sign_in_with_enter(qtbot, screen, "a brand new passphrase")
    assert win.ctx.session is not None
    ctrl_l(qtbot, win)


def test_ctrl_n_opens_quick_session_only_for_roles_that_record(qtbot, main_window, sign_in_as, monkeypatch):
    from schoolmh.ui import main_window as mw

    opened = []

    class FakeQuickSession(QDialog):
        def __init__(self, ctx, parent=None, pupil_uuid=None):  # Ctrl+N passes the pupil shown (6e51c96)
            super().__init__(parent)
            opened.append(self)

    monkeypatch.setattr(mw, "load_class", lambda spec: FakeQuickSession if spec == mw.QUICK_SESSION else mw.load_class(spec))
    press(qtbot, main_window, Qt.Key.Key_N, Qt.KeyboardModifier.ControlModifier)
    assert len(opened) == 1 and opened[0].isVisible()
    opened[0].done(0)
    sign_in_as("head")  # adds the account with the lead's session, then closes it
    ctrl_l(qtbot, main_window)
    sign_in_with_enter(qtbot, main_window.unlock_screen, STAFF_PASSWORD, username="head1")
    assert main_window.ctx.session.actor.role == "head"
    press(qtbot, main_window, Qt.Key.Key_N, Qt.KeyboardModifier.ControlModifier)
    assert len(opened) == 1  # the head does not record sessions


def test_changing_my_password_asks_for_the_current_one(qtbot, main_window, vault_dir):
    from schoolmh.ui.unlock import ChangePasswordDialog

    main_window.change_password_action.trigger()  # Account ▸ Change my password…
    dialog = main_window.findChild(ChangePasswordDialog)
    assert dialog is not None and dialog.current is not None
    dialog.fields.password.setText("my very own passphrase")
    dialog.fields.confirm.setText("my very own passphrase")
    click(qtbot, dialog.save_button)  # no current password yet
    assert "current password" in dialog.errors.message_for("current")
    dialog.current.setText("not my password")
    click(qtbot, dialog.save_button)
    assert "not your current password" in dialog.errors.message_for("current")
    assert dialog.result() != QDialog.DialogCode.Accepted
    assert users.verify_password(main_window.ctx.session, LEAD_PW)  # unchanged
    dialog.current.setText(LEAD_PW)
    click(qtbot, dialog.save_button)
    assert dialog.result() == QDialog.DialogCode.Accepted
    assert users.verify_password(main_window.ctx.session, "my very own passphrase")


@pytest.mark.parametrize("answer", [False, True], ids=["keep it disabled", "enable it"])
def test_the_recovery_key_asks_before_enabling_a_disabled_account(qtbot, recovery_key, vault_dir, window, monkeypatch, answer):
    """Issue 11: a leaver's account does not come back through the recovery route unless the lead says so."""
    from schoolmh.ui import recovery
    from schoolmh.ui.recovery import RecoveryDialog

    session = access.sign_in(vault_dir, "lead", LEAD_PW)
    users.add_user(session, "pat", "Pat Pastoral", "pastoral", "another long passphrase")
    users.disable(session, "pat")
    session.close()
    asked = []
    monkeypatch.setattr(recovery, "confirm", lambda _w, title, text, yes="", **k: asked.append(text) or answer)
    win = window()
    win.unlock_screen.username.setText("pat")
    win.unlock_screen.forgot_button.click()
    dialog = win.findChild(RecoveryDialog)
    dialog.key.setText(recovery_key)
    dialog.fields.password.setText("pat's brand new passphrase")
    dialog.fields.confirm.setText("pat's brand new passphrase")
    dialog.ok_button.click()
    assert len(asked) == 1 and "pat is disabled" in asked[0] and "--enable" not in asked[0]
    if answer:
        assert win.ctx.session is not None and win.ctx.session.actor.username == "pat"
        win.lock()
    else:
        assert win.ctx.session is None and dialog.isVisible()
        check = access.sign_in(vault_dir, "lead", LEAD_PW)
        assert not {u.username: u for u in users.list_users(check)}["pat"].active
        check.close()
