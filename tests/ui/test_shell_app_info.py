"""app_info answers the pre-sign-in questions the same way the vault code does."""
from __future__ import annotations

from schoolmh.db.connection import DB_NAME
from schoolmh.db.keyfile import KEYFILE_NAME
from schoolmh.services import app_info


def test_vault_file_names_match_the_vault_code(tmp_path, recovery_key, vault_dir):
    assert set(app_info.VAULT_FILES) == {DB_NAME, KEYFILE_NAME}
    assert app_info.vault_exists(vault_dir)
    assert not app_info.vault_exists(tmp_path / "elsewhere")
    assert not app_info.device_remembered(vault_dir, "lead")
    assert not app_info.device_remembered(vault_dir, "not a valid name!")
    assert app_info.unlock_wait_seconds(vault_dir) == 0


def test_many_void_qt_calls_do_not_crash(qapp):
    """PySide6 6.12 on Python < 3.12 drops a reference to None per void call; importing schoolmh.ui guards it."""
    import sys

    import schoolmh.ui  # noqa: F401
    from PySide6.QtWidgets import QWidget

    widget = QWidget()
    for _ in range(50_000):  # several times None's natural reference count
        widget.update()
    assert sys.getrefcount(None) > 1_000_000 or sys.version_info >= (3, 12)
