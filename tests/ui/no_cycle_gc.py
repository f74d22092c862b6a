"""A pytest plugin for the keyboard walks' own processes (tests/ui/test_keyboard_walks.py): no cycle collection.

The walks build some 25 parentless dialogs several times over. Collecting what they leave behind
crashed PySide 6.11 inside the collector now and then (a segfault while collecting, never a test
failure), however the collections were timed. These processes are short-lived, so they keep every
cycle until the process ends, and end without a final collection.
"""
from __future__ import annotations

import gc
import os
import sys


def pytest_configure(config) -> None:
    gc.disable()
    from schoolmh.ui import idle_gc

    idle_gc.collect_due = lambda: 0  # the suite's between-tests and idle collections too


_status = {"code": 1}


def pytest_sessionfinish(session, exitstatus) -> None:
    _status["code"] = int(exitstatus)


def pytest_unconfigure(config) -> None:
    """After pytest has printed its summary: leave without the interpreter's final collection."""
    sys.stdout.flush()
    sys.stderr.flush()
    os._exit(_status["code"])
