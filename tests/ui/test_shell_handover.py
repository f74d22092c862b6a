"""A lone lead without a stored recovery key is warned until a second lead or a stored key exists."""
from __future__ import annotations

from schoolmh.services import settings, vault_admin
from support import add_staff


def test_banner_until_a_second_lead(main_window, lead_session):
    banner = main_window.workspace.handover_banner
    assert banner.isVisible() and "Only one lead account" in banner.text()
    add_staff(lead_session, "second.lead", "lead")
    main_window.ctx.data_changed.emit("users")
    assert not banner.isVisible()


def test_new_recovery_key_counts_once_confirmed_stored(lead_session):
    assert vault_admin.handover_warning(lead_session)
    vault_admin.replace_recovery_key(lead_session)
    assert not settings.load().recovery_sheet_confirmed and vault_admin.handover_warning(lead_session)
    vault_admin.confirm_recovery_key_stored(lead_session)
    assert settings.load().recovery_sheet_confirmed and vault_admin.handover_warning(lead_session) is None


def test_other_roles_are_not_warned(sign_in_as):
    assert vault_admin.handover_warning(sign_in_as("pastoral")) is None
