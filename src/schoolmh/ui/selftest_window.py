"""The self-test's Qt check: can this installation show a window, on the platform staff will use, in the app's style?"""
from __future__ import annotations

import sys


def show_test_window(platform: str) -> str:
    """Show a label on `platform` ('' lets Qt choose) with Fusion and app.qss, as make_application does.

    On Windows and macOS the platform is the real one (qwindows, cocoa): a bundle that only works
    offscreen would pass an offscreen check and fail on the first school laptop.
    """
    from PySide6 import __version__ as pyside_version
    from PySide6.QtWidgets import QApplication, QLabel

    from schoolmh.ui.app import APP_NAME, apply_style, style_arguments

    app = QApplication.instance()
    if app is None:
        args = [sys.argv[0] if sys.argv else APP_NAME, *style_arguments()]
        app = QApplication(args + (["-platform", platform] if platform else []))
    if platform and app.platformName() != platform:
        raise RuntimeError(f"Qt started on the '{app.platformName()}' platform, not '{platform}'")
    if app.style().name().lower() != "fusion":  # read before the style sheet wraps the style
        raise RuntimeError(f"the style is '{app.style().name()}', not Fusion")
    apply_style(app)
    if not app.styleSheet().strip():
        raise RuntimeError("the style sheet resources/styles/app.qss is missing from this installation")
    label = QLabel("SchoolMH self-test")
    label.resize(200, 40)
    label.show()
    app.processEvents()
    shown = label.isVisible() and label.windowHandle() is not None
    label.close()
    label.deleteLater()
    app.processEvents()
    if not shown:
        raise RuntimeError("a window could not be shown")
    return f"PySide6 {pyside_version}, window shown on the '{app.platformName()}' platform, Fusion style with app.qss"
