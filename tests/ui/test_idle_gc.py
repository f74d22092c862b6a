"""The cyclic garbage collector runs from the event loop (ui/idle_gc.py), never in the middle of a Qt call."""
from __future__ import annotations

import gc
import weakref

from schoolmh.ui import idle_gc


class _Node:
    def __init__(self) -> None:
        self.me = self  # a reference cycle: only the cyclic collector frees it


def test_automatic_collection_is_off_and_the_event_loop_collects_cycles(qtbot, qapp):
    collector = idle_gc.install(qapp)
    assert idle_gc.install(qapp) is collector  # one per application
    assert not gc.isenabled()
    first = _Node()
    gone = weakref.ref(first)
    del first
    garbage = [_Node() for _ in range(gc.get_threshold()[0] * 2)]  # past the young generation's threshold
    del garbage
    assert gone() is not None  # nothing collected it outside the event loop
    qtbot.waitUntil(lambda: gone() is None, timeout=3 * idle_gc.INTERVAL_MS)
