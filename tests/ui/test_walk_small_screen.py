"""What the keyboard walk on a real 1366×768 laptop at 150% (911×512 logical pixels) found.

Each test drives the real main window at the client size such a laptop leaves
(911×440: less a taskbar and a title bar) and checks what the user would see.
"""
from __future__ import annotations

from PySide6.QtCore import QRect, QSize

SMALL_CLIENT = QSize(911, 440)


def _open_record_small(qtbot, window, pupil):
    """The pupil's record in the window at the small laptop's client size: (record page, its scroll holder)."""
    window.resize(SMALL_CLIENT)
    window.ctx.open_pupil.emit(pupil.uuid)
    holder = window.workspace._holders["pupil"]
    qtbot.waitUntil(lambda: holder.viewport().width() > 0)
    return window.workspace.pages["pupil"], holder


def _inside(widget, viewport) -> bool:
    return viewport.rect().contains(QRect(widget.mapTo(viewport, widget.rect().topLeft()), widget.size()))


def test_a_pupil_with_many_flags_keeps_the_record_header_on_screen(qtbot, main_window, lead_session):
    """Eight flag chips in one row widened the page past 911 px: the header actions went off to the side."""
    from schoolmh.services import pupils

    pupil = pupils.create_pupil(lead_session, legal_forename="Ffion", legal_surname="ap Rhys", year_group=10,
                                tutor_group="10M", sen_provision="K", primary_need="SEMH", looked_after=True,
                                young_carer=True, eal=True, first_language="Welsh", fsm=True, pupil_premium=True,
                                service_child=True)
    window = main_window
    page, holder = _open_record_small(qtbot, window, pupil)
    qtbot.wait(50)
    assert holder.horizontalScrollBar().maximum() == 0, "the record scrolls sideways"
    for button in (page.edit_button, page.pdf_button, page.more_button):
        assert _inside(button, holder.viewport()), button.text()


def test_save_scores_is_on_screen_without_scrolling_at_911_by_440(qtbot, main_window, lead_session):
    """The measure entry's Clear / Save scores sat below the fold at 150%: the user had to scroll to save."""
    from PySide6.QtCore import Qt

    from schoolmh.services import pupils
    from support import press

    pupil = pupils.create_pupil(lead_session, legal_forename="Ffion", legal_surname="ap Rhys", year_group=10,
                                tutor_group="10M")
    window = main_window
    page, holder = _open_record_small(qtbot, window, pupil)
    press(qtbot, window, Qt.Key.Key_M, Qt.KeyboardModifier.AltModifier)  # the Measures tab, as the user does
    assert page.tabs.currentWidget() is page.measures_tab
    qtbot.wait(50)
    entry = page.measures_tab.entry
    for code in ("SDQ", "RCADS25", "GBO", "ORS", "CORS", "WEMWBS", "SWEMWBS"):
        entry.select(code)
        qtbot.wait(20)
        for button in (entry.clear_button, entry.save_button):
            assert button.isVisible() and _inside(button, holder.viewport()), f"{button.text()} off screen ({code})"
