"""The self-test's Qt check: can this installation create and show a window (offscreen is enough)?"""
from __future__ import annotations

import os
import sys


def show_test_window() -> str:
    from PySide6 import __version__ as pyside_version
    from PySide6.QtWidgets import QApplication, QLabel

    platform = os.environ.get("QT_QPA_PLATFORM", "offscreen")
    app = QApplication.instance() or QApplication([sys.argv[0] if sys.argv else "SchoolMH", "-platform", platform])
    label = QLabel("SchoolMH self-test")
    label.resize(200, 40)
    label.show()
    app.processEvents()
    shown = label.isVisible()
    label.close()
    label.deleteLater()
    app.processEvents()
    if not shown:
        raise RuntimeError("a window could not be shown")
    return f"PySide6 {pyside_version}, window shown on the '{app.platformName()}' platform"
