"""Python's cyclic garbage collector runs on the GUI thread when the event loop is idle, never mid-call.

Left to itself the collector runs whenever allocations pass a threshold: in the middle of building a
dialog, inside a Qt callback, or on a worker thread. Collecting a dropped dialog's Python wrappers there
can free objects Qt is still using, and PySide crashes (seen in the suite: a segfault inside `QLabel()`
while an earlier dialog was being collected). Anki does the same for the same reason: automatic
collection off, an explicit collection from a timer on the GUI thread.
"""
from __future__ import annotations

import gc

from PySide6.QtCore import QObject, QTimer

INTERVAL_MS = 2_000  # a young-generation pass costs well under a millisecond


def collect_due() -> int:
    """Collect the generations the automatic collector would have collected by now, and no more.

    The allocation counts go on while automatic collection is off, so the usual thresholds still say
    when an older generation is due: memory stays as flat as with automatic collection.
    """
    counts, thresholds = gc.get_count(), gc.get_threshold()
    generation = 2 if counts[2] >= thresholds[2] else 1 if counts[1] >= thresholds[1] else 0
    if generation == 0 and counts[0] < thresholds[0]:
        return 0
    return gc.collect(generation)


class IdleCollector(QObject):
    """Owned by the application: turns automatic collection off and collects from a timer."""

    def __init__(self, parent: QObject, interval_ms: int = INTERVAL_MS) -> None:
        super().__init__(parent)
        gc.disable()
        self.timer = QTimer(self)
        self.timer.setInterval(interval_ms)
        self.timer.timeout.connect(self._tick)
        self.timer.start()

    def _tick(self) -> None:
        collect_due()


def install(app: QObject) -> IdleCollector:
    """Once per application; a second call returns the collector already there."""
    existing = app.findChild(IdleCollector)
    return existing if existing is not None else IdleCollector(app)
