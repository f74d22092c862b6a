"""The desktop window (PySide6). Only this package imports Qt; it reaches data only through services.

Importing the package first works around a crash in PySide6 6.12 on Python
3.10/3.11: every call from Python to a C++ method that returns void hands back
`None` without taking a reference to it, so None's reference count falls by one
per call (measured: QWidget.update(), repaint(), setFocus(), processEvents()…)
and after roughly ten thousand such calls CPython aborts with "Fatal Python
error: none_dealloc". Python 3.12 made None immortal, which hides the bug.
On older CPython we give None the same "immortal" treatment: a very large
reference count that a lifetime of leaked decrements cannot exhaust. It only
changes a counter on an object CPython never frees anyway.
"""
from __future__ import annotations

import sys


def _make_none_immortal() -> None:
    if sys.version_info >= (3, 12) or sys.implementation.name != "cpython" or hasattr(sys, "gettotalrefcount"):
        return  # 3.12+: already immortal; debug builds lay PyObject out differently
    import ctypes

    refcount = ctypes.c_ssize_t.from_address(id(None))
    if refcount.value < (1 << 40):
        refcount.value += 1 << 40


_make_none_immortal()
