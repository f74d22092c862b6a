"""The one background-operation helper: result on the GUI thread, errors to on_error, cancel discards."""
from __future__ import annotations

import threading

from schoolmh.errors import ValidationError
from schoolmh.ui import ops
from schoolmh.ui.context import AppContext


def test_work_runs_off_the_gui_thread_and_reports_back(qtbot, tmp_path):
    gui = threading.get_ident()
    seen: dict = {}

    def work(progress):
        seen["worker"] = threading.get_ident()
        for i in range(3):
            progress.update(i, 3, "step")
        return 42

    def done(result):
        seen["done_thread"] = threading.get_ident()
        seen["result"] = result

    ops.run_operation(None, "Counting", work, done)
    qtbot.waitUntil(lambda: "result" in seen)
    assert seen["result"] == 42 and seen["worker"] != gui and seen["done_thread"] == gui


def test_errors_and_cancel(qtbot, tmp_path, message_boxes):
    errors: list = []
    ops.run_operation(None, "Failing", lambda p: (_ for _ in ()).throw(ValidationError("Row 3: bad UPN.")), lambda r: None, errors.append)
    qtbot.waitUntil(lambda: bool(errors))
    assert errors[0].message == "Row 3: bad UPN."

    results: list = []
    gate = threading.Event()

    def slow(progress):
        gate.wait(5)
        progress.check()
        return "finished"

    progress = ops.run_operation(None, "Slow", slow, results.append, cancellable=True)
    progress.cancel()
    gate.set()
    qtbot.waitUntil(lambda: ops.running() == 0)
    assert results == []  # a cancelled job's result is discarded

    # A bug in the work: the plain message, logged without detail on screen
    ctx = AppContext(tmp_path)
    ctx.session = object()
    ctx.run("Building the report", lambda p: 1 / 0, lambda r: None)
    qtbot.waitUntil(lambda: ops.running() == 0 and bool(message_boxes))
    assert message_boxes[-1][1] == "Something went wrong during “Building the report”. Nothing was saved."


def test_result_after_a_lock_is_not_applied(qtbot, tmp_path, message_boxes):
    ctx = AppContext(tmp_path)
    ctx.session = object()
    applied: list = []
    gate = threading.Event()
    ctx.run("Importing", lambda p: gate.wait(5) and "rows", applied.append)
    ctx.session = None
    ctx.generation += 1  # what close_session does
    gate.set()
    qtbot.waitUntil(lambda: ops.running() == 0)
    assert applied == [] and "locked before this finished" in message_boxes[-1][1]
