"""Where the main window opens: fitted to the screen's free area, and where the user last left it.

A school laptop is often 1366×768 with a taskbar (about 728 pixels free), or
the same panel at 150% scaling (911×512 logical pixels). A fixed 1280×800
window put the status bar off-screen there, so the window asks the screen:
the preferred size when it fits with room for the title bar, maximised when it
does not. The last geometry is kept per OS user in QSettings (an INI file in
the user's own settings folder) and holds only numbers: position, size and
whether it was maximised; never a name. A remembered geometry that no longer
fits (a smaller screen, a monitor unplugged) is fitted again.
"""
from __future__ import annotations

from dataclasses import dataclass

from PySide6.QtCore import QRect, QSettings, QSize

PREFERRED_SIZE = QSize(1280, 800)
# A window manager's border and title bar around the client area. Not known before the first show,
# so this much is kept free when deciding whether a size fits (Windows 10 at 150%: about 8 and 31).
FRAME_ALLOWANCE = QSize(16, 40)
GROUP = "main_window"


@dataclass(frozen=True)
class Placement:
    """The frame's top-left corner and the client size, or maximised."""

    x: int
    y: int
    width: int
    height: int
    maximised: bool

    @property
    def frame(self) -> QRect:
        """The whole window, frame included, as it is expected to land."""
        return QRect(self.x, self.y, self.width + FRAME_ALLOWANCE.width(), self.height + FRAME_ALLOWANCE.height())


def fits(size: QSize, available: QRect) -> bool:
    return (size.width() + FRAME_ALLOWANCE.width() <= available.width()
            and size.height() + FRAME_ALLOWANCE.height() <= available.height())


def centred(size: QSize, available: QRect) -> Placement:
    x = available.x() + (available.width() - size.width() - FRAME_ALLOWANCE.width()) // 2
    y = available.y() + (available.height() - size.height() - FRAME_ALLOWANCE.height()) // 2
    return Placement(x, y, size.width(), size.height(), False)


# The window's own floor (main_window sets it as the minimum size): a window left at it was squeezed
# there (by a smaller screen's window manager, a drag to a corner), not sized for work; it is not
# brought back at that size.
MINIMUM_SIZE = QSize(720, 400)
SQUEEZE_MARGIN = 16


def squeezed(size: QSize) -> bool:
    return (size.width() <= MINIMUM_SIZE.width() + SQUEEZE_MARGIN
            and size.height() <= MINIMUM_SIZE.height() + SQUEEZE_MARGIN)


def fit_window(available: QRect, remembered: Placement | None = None, preferred: QSize = PREFERRED_SIZE) -> Placement:
    """Where to open on a screen whose free area is `available`.

    A remembered placement is kept if it still fits (moved back inside if it
    hangs off the screen); maximised stays maximised; anything else falls back
    to the preferred size, centred, or maximised when the screen is smaller.
    """
    maximised = Placement(available.x(), available.y(), available.width(), available.height(), True)
    if remembered is not None:
        if remembered.maximised:
            return maximised
        size = QSize(remembered.width, remembered.height)
        if not squeezed(size) and fits(size, available):
            right = available.x() + available.width() - size.width() - FRAME_ALLOWANCE.width()
            bottom = available.y() + available.height() - size.height() - FRAME_ALLOWANCE.height()
            x = min(max(remembered.x, available.x()), right)
            y = min(max(remembered.y, available.y()), bottom)
            return Placement(x, y, size.width(), size.height(), False)
    if fits(preferred, available):
        return centred(preferred, available)
    return maximised


# -- remembered per OS user ------------------------------------------------------------------------
def store() -> QSettings:
    """The user's own settings file (INI on every OS, so nothing lands in the registry); tests point
    QSettings.setPath at a temp folder."""
    return QSettings(QSettings.Format.IniFormat, QSettings.Scope.UserScope, "SchoolMH", "window")


def remembered() -> Placement | None:
    s = store()
    try:
        values = [int(s.value(f"{GROUP}/{k}")) for k in ("x", "y", "width", "height")]
        maximised = str(s.value(f"{GROUP}/maximised", "false")).lower() == "true"
    except (TypeError, ValueError):
        return None  # nothing remembered yet, or a hand-edited file: fit afresh
    return Placement(*values, maximised)


def remember(placement: Placement) -> None:
    s = store()
    for key, value in (("x", placement.x), ("y", placement.y), ("width", placement.width),
                       ("height", placement.height), ("maximised", "true" if placement.maximised else "false")):
        s.setValue(f"{GROUP}/{key}", value)
    s.sync()
