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


def test_void_qt_calls_do_not_leak_none(qapp):
    """PySide6 6.12.0 drops a reference to None per void call, aborting CPython < 3.12 after ~10k
    calls; pyproject pins below it. This fails if an install picks up a build with that bug."""
    import sys

    from PySide6.QtWidgets import QWidget

    widget = QWidget()
    before = sys.getrefcount(None)
    for _ in range(2_000):
        widget.update()
    assert sys.getrefcount(None) >= before - 100
