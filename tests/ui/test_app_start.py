"""The desktop app's start: Fusion and app.qss on every OS, and a start-up failure shown in a message box."""
from __future__ import annotations

import os
import subprocess
import sys

from schoolmh import __main__ as entry
from schoolmh.resources import resource_path


def test_the_app_is_fusion_with_its_style_sheet_even_when_the_desktop_asks_otherwise(tmp_path):
    """make_application in a fresh process, with a desktop asking for another style (KDE, QT_STYLE_OVERRIDE)."""
    code = (
        "from schoolmh.ui.app import make_application\n"
        "app = make_application([])\n"
        "qss = app.styleSheet()\n"
        "app.setStyleSheet('')  # the base style shows again under the style sheet\n"
        "print(app.style().name(), len(qss))\n"
    )
    env = dict(os.environ, QT_QPA_PLATFORM="offscreen", QT_STYLE_OVERRIDE="windows", XDG_CURRENT_DESKTOP="KDE")
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=env, timeout=60)
    assert proc.returncode == 0, proc.stderr
    name, qss_length = proc.stdout.split()
    assert name.lower() == "fusion"
    assert int(qss_length) == len(resource_path("styles", "app.qss").read_text(encoding="utf-8"))


def test_the_suite_drives_widgets_with_the_apps_style_sheet(qapp):
    assert qapp.styleSheet() == resource_path("styles", "app.qss").read_text(encoding="utf-8")


def test_a_failure_while_starting_shows_a_message_box_not_nothing(qapp, message_boxes, monkeypatch, tmp_path):
    """The windowed build has no console: an exception before the window is up is a message box, exit 1."""
    from schoolmh.ui import app as app_module

    def broken_start(ctx):
        raise PermissionError(13, "Access is denied", str(ctx.data_dir))

    monkeypatch.setattr(app_module, "start", broken_start)
    monkeypatch.setattr(sys, "excepthook", sys.excepthook)  # run_app installs its hooks; put them back after
    monkeypatch.setattr("threading.excepthook", __import__("threading").excepthook)
    assert entry.main(["--data-dir", str(tmp_path / "vault")]) == 1
    ((title, text),) = message_boxes
    assert title == "SchoolMH" and text.startswith("SchoolMH could not start on this computer.")
    assert os.environ["SCHOOLMH_LOG_DIR"] in text
    with open(os.path.join(os.environ["SCHOOLMH_LOG_DIR"], "schoolmh.log"), encoding="utf-8") as log:
        assert "start-up: builtins.PermissionError" in log.read()
