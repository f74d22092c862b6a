"""Auto-lock as a user meets it: the lead's minutes (Admin > Settings) reach the lock, and typing or
clicking anywhere in the window starts the idle time again. The clock is a fake one the test moves
(the lock reads time through `lock.time`), so minutes pass in milliseconds; everything else is real."""
from __future__ import annotations

import types

import pytest
from PySide6.QtCore import Qt

from schoolmh.ui import lock
from support import click, ctrl_l, press, sign_in_with_enter


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def monotonic(self) -> float:
        return self.now


@pytest.fixture
def clock(monkeypatch):
    fake = Clock()
    monkeypatch.setattr(lock, "time", types.SimpleNamespace(monotonic=fake.monotonic))
    monkeypatch.setattr(lock, "CHECK_MS_MAX", 40)  # check often, so the test need not wait seconds
    return fake


def _go(qtbot, window, key: str):
    number = window.workspace.keys().index(key) + 1
    press(qtbot, window, Qt.Key(Qt.Key.Key_0 + number), Qt.KeyboardModifier.ControlModifier)
    return window.workspace.pages[key]


def _set_autolock_minutes(qtbot, window, minutes: int) -> None:
    """As the lead does it: Admin, Settings, type the minutes, Save settings."""
    admin = _go(qtbot, window, "admin")
    admin.tabs.setCurrentWidget(admin.settings)
    spin = admin.settings.autolock
    spin.setFocus()
    qtbot.keyClick(spin, Qt.Key.Key_A, Qt.KeyboardModifier.ControlModifier)
    qtbot.keyClicks(spin, str(minutes))
    click(qtbot, admin.settings.save_button)


def _stays_unlocked(qtbot, window) -> bool:
    qtbot.wait(150)  # several idle checks
    return window.ctx.session is not None


def _locks_after(qtbot, window, clock, seconds: float) -> None:
    """Unlocked a second before `seconds` more of idleness, locked a second after."""
    clock.now += seconds - 1
    assert _stays_unlocked(qtbot, window)
    clock.now += 2
    qtbot.waitUntil(lambda: window.ctx.session is None, timeout=2000)


def test_the_leads_minutes_reach_the_lock(qtbot, main_window, clock):
    window = main_window
    _set_autolock_minutes(qtbot, window, 3)
    assert window.lock_manager.idle_limit == 180
    _locks_after(qtbot, window, clock, 180)


def test_the_minutes_hold_at_the_next_sign_in(qtbot, main_window, clock):
    window = main_window
    _set_autolock_minutes(qtbot, window, 7)
    ctrl_l(qtbot, window)
    sign_in_with_enter(qtbot, window.unlock_screen, "correct horse battery staple")
    assert window.ctx.session is not None and window.lock_manager.idle_limit == 7 * 60


INPUTS = {
    "typing": lambda qtbot, page: qtbot.keyClick(page.search, Qt.Key.Key_A),
    "clicking": lambda qtbot, page: click(qtbot, page.open_plan),
}


@pytest.mark.parametrize("user_input", INPUTS)
def test_typing_or_clicking_starts_the_idle_time_again(qtbot, main_window, clock, user_input):
    window = main_window
    _set_autolock_minutes(qtbot, window, 3)
    page = _go(qtbot, window, "pupils")
    for _ in range(3):  # input every two minutes for six minutes: never idle for three
        clock.now += 120
        INPUTS[user_input](qtbot, page)
        assert _stays_unlocked(qtbot, window)
    _locks_after(qtbot, window, clock, 180)  # the last input started the three minutes again


def test_without_input_two_minutes_after_the_last_input_less_one_are_left(qtbot, main_window, clock):
    """The control for the test above: the same first two minutes with no input leave one minute."""
    window = main_window
    _set_autolock_minutes(qtbot, window, 3)
    _go(qtbot, window, "pupils")
    clock.now += 120
    _locks_after(qtbot, window, clock, 60)
