"""Save and open dialogs start in a folder that exists (ui/widgets/common.documents_folder)."""
from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import QStandardPaths

from schoolmh.ui.widgets.common import documents_folder


def test_a_missing_documents_folder_falls_back_to_home(qapp, monkeypatch, tmp_path):
    missing = tmp_path / "Documents"
    monkeypatch.setattr(QStandardPaths, "writableLocation", lambda _where: str(missing))
    assert documents_folder() == str(Path.home())
    missing.mkdir()
    assert documents_folder() == str(missing)
