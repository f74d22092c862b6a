"""The "backup overdue" reminder: after N days (a setting, default 7) without a backup, the lead is
told the last backup's date and folder (or that there has never been one); never a pupil's name."""
from __future__ import annotations

import datetime as dt

import pytest

from schoolmh.errors import ValidationError
from schoolmh.services import backup_status, pupils, settings, vault_admin


def _days_later(session, days: int):
    real = dt.date.today()
    session.today = lambda: real + dt.timedelta(days=days)
    return session


def test_a_new_vault_is_not_overdue_until_the_days_pass(lead_session):
    assert settings.load().backup_overdue_days == 7
    assert backup_status.overdue(_days_later(lead_session, 6)) is None
    due = backup_status.overdue(_days_later(lead_session, 7))
    assert due is not None and due.last_on is None and due.days == 7
    assert "never been backed up" in due.message()


def test_a_backup_resets_it_and_the_reminder_names_its_date_and_folder(lead_session, tmp_path):
    pupils.create_pupil(lead_session, legal_forename="Zoë", legal_surname="Plantedname", year_group=9)
    folder = tmp_path / "USB stick"
    vault_admin.backup(lead_session, folder / "monday.schoolmh-backup")
    backed_up_on = lead_session.today()
    assert backup_status.overdue(lead_session) is None
    assert backup_status.overdue(_days_later(lead_session, 6)) is None
    due = backup_status.overdue(_days_later(lead_session, 9))
    assert (due.days, due.last_on, due.place) == (9, backed_up_on, str(folder))
    text = due.message()
    assert f"{backed_up_on:%d/%m/%Y}" in text and str(folder) in text and "9 days ago" in text
    assert "Plantedname" not in text and "Zoë" not in text


def test_a_failed_backup_does_not_count(lead_session, tmp_path):
    with pytest.raises(Exception):
        vault_admin.backup(lead_session, lead_session.vault.data_dir / "inside.schoolmh-backup")  # refused
    assert settings.load().last_backup_on == ""
    assert backup_status.overdue(_days_later(lead_session, 8)).last_on is None


def test_the_days_are_a_setting(lead_session):
    settings.update(lead_session, backup_overdue_days=30)
    assert backup_status.overdue(_days_later(lead_session, 29)) is None
    assert backup_status.overdue(_days_later(lead_session, 30)) is not None
    with pytest.raises(ValidationError) as refused:
        settings.update(lead_session, backup_overdue_days=0)
    assert refused.value.field == "backup_overdue_days"
    assert settings.load().backup_overdue_days == 30


@pytest.mark.parametrize("role", ["pastoral", "head", "mhst"])
def test_only_a_role_that_backs_up_is_reminded(sign_in_as, role):
    session = _days_later(sign_in_as(role), 60)
    assert backup_status.overdue(session) is None
