"""Unlocking after a lock returns the same user to the page, pupil and tab they were on, if their role
still allows it; anyone else, or a pupil now out of reach, starts at the first page."""
from __future__ import annotations

from PySide6.QtCore import Qt

from schoolmh.services import access, pupils
from support import LEAD_PASSWORD, STAFF_PASSWORD, add_staff, ctrl_l, press, sign_in_with_enter


def _unlock(qtbot, window, username: str, password: str) -> None:
    qtbot.waitUntil(lambda: window.workspace is None and window.unlock_screen.isVisible())
    sign_in_with_enter(qtbot, window.unlock_screen, password, username=username)
    qtbot.waitUntil(lambda: window.workspace is not None)


def _open_pupil_on_measures(qtbot, window, uuid: str):
    window.ctx.open_pupil.emit(uuid)
    page = window.workspace.pages["pupil"]
    page.tabs.setFocus()
    qtbot.keyClick(page.tabs, Qt.Key.Key_M, Qt.KeyboardModifier.AltModifier)  # the "&Measures" tab
    assert page.tabs.currentWidget() is page.measures_tab
    return page


def test_after_ctrl_l_the_same_user_is_back_on_the_pupil_and_tab(qtbot, main_window, lead_session):
    pupil = pupils.create_pupil(lead_session, legal_forename="Ada", legal_surname="Resume", year_group=8)
    window = main_window
    _open_pupil_on_measures(qtbot, window, pupil.uuid)
    ctrl_l(qtbot, window)
    assert window.ctx.session is None
    _unlock(qtbot, window, "lead", LEAD_PASSWORD)
    page = window.workspace.pages.get("pupil")
    assert window.workspace.current_key == "pupil" and page is not None and page.pupil.uuid == pupil.uuid
    assert page.tabs.currentWidget() is page.measures_tab
    assert window.workspace.stack.currentWidget().widget() is page  # shown, not just built


def test_after_the_idle_lock_the_user_is_back_on_their_page(qtbot, main_window):
    window = main_window
    press(qtbot, window, Qt.Key.Key_3, Qt.KeyboardModifier.ControlModifier)
    assert window.workspace.current_key == "sessions"
    window.lock_manager.set_idle_seconds(0.2)
    qtbot.waitUntil(lambda: window.ctx.session is None, timeout=3000)
    _unlock(qtbot, window, "lead", LEAD_PASSWORD)
    assert window.workspace.current_key == "sessions"


def test_another_user_starts_at_the_first_page(qtbot, main_window, lead_session):
    add_staff(lead_session, "pastoral1", "pastoral")
    pupil = pupils.create_pupil(lead_session, legal_forename="Ada", legal_surname="Resume", year_group=8)
    window = main_window
    _open_pupil_on_measures(qtbot, window, pupil.uuid)
    ctrl_l(qtbot, window)
    _unlock(qtbot, window, "pastoral1", STAFF_PASSWORD)
    assert window.workspace.current_key == "dashboard"
    assert "pupil" not in window.workspace.pages  # the lead's pupil was never opened for them


def test_a_pupil_out_of_reach_now_starts_at_the_first_page(qtbot, main_window, lead_session, vault_dir):
    add_staff(lead_session, "mhst1", "mhst")
    pupil = pupils.create_pupil(lead_session, legal_forename="Ada", legal_surname="Shared", year_group=8)
    pupils.share_with_mhst(lead_session, pupil.uuid, True)
    window = main_window
    ctrl_l(qtbot, window)
    _unlock(qtbot, window, "mhst1", STAFF_PASSWORD)
    window.ctx.open_pupil.emit(pupil.uuid)
    assert window.workspace.current_key == "pupil"
    ctrl_l(qtbot, window)
    lead = access.sign_in(vault_dir, "lead", LEAD_PASSWORD)  # meanwhile the lead stops sharing the pupil
    pupils.share_with_mhst(lead, pupil.uuid, False)
    lead.close()
    _unlock(qtbot, window, "mhst1", STAFF_PASSWORD)
    assert window.workspace.current_key == "dashboard"
    page = window.workspace.pages.get("pupil")
    assert page is None or page.pupil is None


def test_a_page_the_role_no_longer_has_is_not_reopened(qtbot, main_window, lead_session, vault_dir):
    from schoolmh.services import users

    add_staff(lead_session, "lead2", "lead")
    window = main_window
    ctrl_l(qtbot, window)
    _unlock(qtbot, window, "lead2", STAFF_PASSWORD)
    keys = window.workspace.keys()
    press(qtbot, window, Qt.Key(Qt.Key.Key_0 + keys.index("admin") + 1), Qt.KeyboardModifier.ControlModifier)
    assert window.workspace.current_key == "admin"
    ctrl_l(qtbot, window)
    lead = access.sign_in(vault_dir, "lead", LEAD_PASSWORD)
    users.set_role(lead, "lead2", "pastoral")  # no longer a lead: no Admin page
    lead.close()
    _unlock(qtbot, window, "lead2", STAFF_PASSWORD)
    assert window.workspace.current_key == "dashboard" and "admin" not in window.workspace.keys()


def test_opening_a_record_puts_the_keyboard_on_its_sections(qtbot, main_window, lead_session):
    """Enter on a pupil in the list opens the record with the focus on its section tabs, so the next
    keys move through the record; it used to sit on "‹ Pupils", where Enter went straight back."""
    from PySide6.QtWidgets import QApplication, QTabBar

    pupil = pupils.create_pupil(lead_session, legal_forename="Ada", legal_surname="Focus", year_group=8)
    window = main_window
    window.workspace.show_page("pupils")
    listing = window.workspace.pages["pupils"]
    listing.refresh()
    listing.view.setFocus()
    listing.view.setCurrentIndex(listing.proxy.index(0, 0))
    qtbot.keyClick(listing.view, Qt.Key.Key_Return)
    page = window.workspace.pages["pupil"]
    qtbot.waitUntil(lambda: window.workspace.current_key == "pupil" and page.pupil is not None)
    assert page.pupil.uuid == pupil.uuid
    qtbot.waitUntil(lambda: isinstance(QApplication.focusWidget(), QTabBar))
    assert QApplication.focusWidget() is page.tabs.tabBar()
    qtbot.keyClick(page.tabs.tabBar(), Qt.Key.Key_Right)
    assert page.tabs.currentWidget() is page.plan_tab
