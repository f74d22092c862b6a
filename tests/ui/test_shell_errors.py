"""No traceback reaches a user: the hook shows a plain message and logs types and line numbers only."""
from __future__ import annotations

import os
import sys
from pathlib import Path


def test_unhandled_exception_shows_a_plain_message_and_logs_no_text(qapp, monkeypatch, message_boxes):
    from schoolmh.ui import app

    monkeypatch.setattr(sys, "excepthook", sys.excepthook)
    import threading

    monkeypatch.setattr(threading, "excepthook", threading.excepthook)
    relay = app.install_exception_hooks()
    try:
        raise ValueError("Zoë Plantedname has no UPN")
    except ValueError as exc:
        sys.excepthook(type(exc), exc, exc.__traceback__)
    assert message_boxes[-1][1] == app.UNEXPECTED
    log = (Path(os.environ["SCHOOLMH_LOG_DIR"]) / "schoolmh.log").read_text(encoding="utf-8")
    assert "ValueError" in log and "test_shell_errors.py" in log
    assert "Plantedname" not in log
    del relay


def test_report_error_wording(qapp, message_boxes):
    from schoolmh.errors import ValidationError
    from schoolmh.ui.widgets.common import report_error

    report_error(None, ValidationError("Row 3: the UPN has a wrong check letter.", "upn"), "importing pupils")
    report_error(None, KeyError("Zoë"), "saving this session")
    assert message_boxes[0][1] == "Row 3: the UPN has a wrong check letter."
    assert message_boxes[1][1] == "Something went wrong saving this session. Nothing was saved."
