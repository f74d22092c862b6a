"""The main window on a school laptop: 1366×768 at 100% and at 150% (911×512 logical pixels).

The screen tests run the real window in a child process on an offscreen screen of that size,
since a QApplication's screens are fixed when it starts: what is checked is what Qt reports
(the window's frame against the screen's available geometry), not what the code meant to ask.
"""
from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap

import pytest
from PySide6.QtCore import QRect, QSettings, QSize, Qt
from PySide6.QtWidgets import QAbstractButton

from schoolmh.ui import window_geometry as wg
from support import press
from schoolmh.ui.window_geometry import Placement, fit_window

LAPTOP = QRect(0, 0, 1366, 728)  # 1366×768 less a 40-pixel taskbar
LAPTOP_150 = QRect(0, 0, 911, 472)  # the same at 150%
DESK = QRect(0, 0, 1920, 1040)


def inside(frame: QRect, available: QRect) -> bool:
    return available.contains(frame)


@pytest.mark.parametrize("available", [LAPTOP, LAPTOP_150])
def test_a_laptop_screen_opens_maximised(available):
    placed = fit_window(available)
    assert placed.maximised
    assert (placed.x, placed.y, placed.width, placed.height) == available.getRect()


def test_a_large_screen_gets_the_preferred_size_centred_with_room_for_the_frame():
    placed = fit_window(DESK)
    assert not placed.maximised and QSize(placed.width, placed.height) == wg.PREFERRED_SIZE
    assert inside(placed.frame, DESK)
    assert abs((placed.x - DESK.x()) - (DESK.right() - placed.frame.right())) <= 1  # centred


def test_a_remembered_geometry_that_no_longer_fits_is_fitted_again():
    big = Placement(100, 50, 1800, 1000, False)  # left there on a large monitor
    assert fit_window(DESK, big) == Placement(100, 0, 1800, 1000, False) or inside(fit_window(DESK, big).frame, DESK)
    on_laptop = fit_window(LAPTOP, big)
    assert on_laptop.maximised and (on_laptop.width, on_laptop.height) == (1366, 728)
    off_screen = Placement(1700, 900, 900, 500, False)  # a second monitor unplugged since
    moved = fit_window(LAPTOP, off_screen)
    assert not moved.maximised and (moved.width, moved.height) == (900, 500)
    assert inside(moved.frame, LAPTOP)
    assert fit_window(LAPTOP_150, Placement(0, 0, 900, 500, False)).maximised  # too tall at 150%
    assert fit_window(DESK, Placement(10, 10, 800, 600, True)).maximised  # maximised stays maximised


def test_a_window_left_squeezed_to_its_minimum_opens_at_a_working_size_again():
    """A window once pushed down to its floor (720x400) came back that small on every start."""
    floor = Placement(0, 0, wg.MINIMUM_SIZE.width(), wg.MINIMUM_SIZE.height(), False)
    assert fit_window(DESK, floor) == fit_window(DESK)  # the preferred size, centred
    assert fit_window(LAPTOP, floor).maximised  # as on a first start
    nearly = Placement(0, 0, wg.MINIMUM_SIZE.width() + 10, wg.MINIMUM_SIZE.height() + 6, False)
    assert fit_window(DESK, nearly) == fit_window(DESK)
    small_but_chosen = Placement(40, 30, 900, 500, False)
    assert fit_window(DESK, small_but_chosen) == small_but_chosen


def test_a_remembered_geometry_that_fits_is_kept_as_it_was():
    kept = Placement(40, 30, 1000, 600, False)
    assert fit_window(DESK, kept) == kept


def test_the_window_remembers_its_geometry_as_numbers_only(qtbot, lead_session, vault_dir, tmp_path):
    from schoolmh.ui.context import AppContext
    from schoolmh.ui.main_window import MainWindow

    QSettings.setPath(QSettings.Format.IniFormat, QSettings.Scope.UserScope, str(tmp_path / "settings"))
    first = MainWindow(AppContext(vault_dir))
    qtbot.addWidget(first)
    first.show_fitted()
    first.signed_in(lead_session)
    first.resize(760, 450)
    first.move(20, 30)
    qtbot.waitUntil(lambda: first.size() == QSize(760, 450))
    first.close()
    second = MainWindow(AppContext(vault_dir))
    qtbot.addWidget(second)
    second.show_fitted()
    qtbot.waitExposed(second)
    assert second.size() == QSize(760, 450) and not second.isMaximized()
    stored = wg.store()
    assert sorted(stored.allKeys()) == sorted(f"main_window/{k}" for k in ("x", "y", "width", "height", "maximised"))
    text = open(stored.fileName(), encoding="utf-8").read()
    assert "Alex" not in text and "Oakfield" not in text and "lead" not in text.replace("main_window", "")


CHILD = textwrap.dedent("""
    import json, sys, tempfile
    from pathlib import Path
    from PySide6.QtCore import QSettings
    from PySide6.QtWidgets import QApplication
    app = QApplication([])
    QSettings.setPath(QSettings.Format.IniFormat, QSettings.Scope.UserScope, sys.argv[1])
    from schoolmh.ui import window_geometry as wg
    if sys.argv[2] == "remembered":  # left big on a desk monitor last time
        wg.remember(wg.Placement(200, 150, 1800, 1000, False))
    from schoolmh.ui.context import AppContext
    from schoolmh.ui.main_window import MainWindow
    window = MainWindow(AppContext(Path(sys.argv[1]) / "no-vault"))
    window.show_fitted()
    for _ in range(50):
        app.processEvents()
    screen = window.screen()
    print(json.dumps({"frame": window.frameGeometry().getRect(), "available": screen.availableGeometry().getRect(),
                      "screen": screen.geometry().getRect(), "status_bar": window.statusBar().isVisible()}))
""")


@pytest.mark.parametrize("scale,logical", [("1", (1366, 768)), ("1.5", (911, 512))])
@pytest.mark.parametrize("history", ["fresh", "remembered"])
def test_on_a_1366x768_screen_the_window_lies_inside_the_available_geometry(tmp_path, scale, logical, history):
    config = tmp_path / "screen.json"
    config.write_text(json.dumps({"screens": [{"name": "laptop", "x": 0, "y": 0, "width": 1366, "height": 768,
                                               "logicalDpi": 96, "logicalBaseDpi": 96, "dpr": 1}]}))
    env = {**os.environ, "QT_QPA_PLATFORM": f"offscreen:configfile={config}", "QT_SCALE_FACTOR": scale}
    done = subprocess.run([sys.executable, "-c", CHILD, str(tmp_path), history], env=env, capture_output=True,
                          text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    seen = json.loads(done.stdout.strip().splitlines()[-1])
    assert tuple(seen["screen"][2:]) == logical  # Qt really gave a screen of that logical size
    assert QRect(*seen["available"]).contains(QRect(*seen["frame"])), seen
    assert seen["status_bar"]


# -- every page at 911×512: main actions on screen, no horizontal scrolling -------------------------------
SMALL_CLIENT = QSize(911, 440)  # 911×512 less a taskbar (40) and a title bar (about 32)


def _buttons_on_screen(page, holder) -> list[str]:
    """Visible buttons of the page lying (even partly) beyond the scroll area's right edge."""
    viewport = holder.viewport()
    out = []
    for button in page.findChildren(QAbstractButton):
        if not button.isVisibleTo(page) or button.window() is not page.window():
            continue
        left = button.mapTo(viewport, button.rect().topLeft()).x()
        if left < 0 or left + button.width() > viewport.width():
            out.append(button.text())
    return out


def test_every_page_fits_911_pixels_wide(qtbot, main_window, lead_session):
    from schoolmh.services import pupils

    pupils.create_pupil(lead_session, legal_forename="Ada", legal_surname="Testcase",
                        year_group=8, tutor_group="8A")
    window = main_window
    window.resize(SMALL_CLIENT)
    qtbot.waitUntil(lambda: window.size() == SMALL_CLIENT and window.isActiveWindow())
    keys = window.workspace.keys()
    for number, key in enumerate(keys, start=1):
        press(qtbot, window, Qt.Key(Qt.Key.Key_0 + number), Qt.KeyboardModifier.ControlModifier)
        assert window.workspace.current_key == key
        holder = window.workspace._holders[key]
        qtbot.waitUntil(lambda h=holder: h.viewport().width() > 0)
        qtbot.wait(20)
        assert holder.horizontalScrollBar().maximum() == 0, f"{key} scrolls sideways at 911 px"
        assert _buttons_on_screen(window.workspace.pages[key], holder) == [], key
    page = window.workspace.pages["dashboard"]
    rows = {tile.y() for tile in page.tiles.values()}
    assert len(rows) >= 2  # the tiles reflowed into rows
    assert window.statusBar().isVisible() and window.account_button.isVisible()


def test_pupil_record_actions_stay_on_screen_at_911_pixels(qtbot, main_window, lead_session):
    from schoolmh.services import pupils

    pupil = pupils.create_pupil(lead_session, legal_forename="Ada", legal_surname="Longname-Testcase-Smythe",
                                year_group=8, tutor_group="8A")
    window = main_window
    window.resize(SMALL_CLIENT)
    window.ctx.open_pupil.emit(pupil.uuid)
    page = window.workspace.pages["pupil"]
    holder = window.workspace._holders["pupil"]
    qtbot.wait(20)
    assert holder.horizontalScrollBar().maximum() == 0
    viewport = holder.viewport()
    for button in (page.edit_button, page.pdf_button, page.more_button):
        if not button.isVisibleTo(page):
            continue
        rect = QRect(button.mapTo(viewport, button.rect().topLeft()), button.size())
        assert viewport.rect().contains(rect), button.text()
    page.tabs.setCurrentWidget(page.measures_tab)
    qtbot.wait(20)
    save = page.measures_tab.entry.save_button
    rect = QRect(save.mapTo(viewport, save.rect().topLeft()), save.size())
    assert 0 <= rect.left() and rect.right() <= viewport.width(), "Save scores is off to the side"


def test_the_title_names_the_school_then_the_app_once():
    """Qt appends the app's display name to a title that does not end with it; ours ends with it."""
    from schoolmh.ui.main_window import window_title

    assert window_title("Oakfield Academy", False) == "Oakfield Academy — SchoolMH"
    assert window_title("Demo Academy (fictional)", True) == "Demo Academy (fictional) — DEMO — SchoolMH"
    assert window_title("", False) == "SchoolMH"
