"""The pupil record as the keyboard walk saw it (issue 13's "Must show")."""
from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QLabel

from support import press


def test_no_scores_yet_is_said_under_latest_scores_not_under_sessions(qtbot, main_window, lead_session):
    """A pupil with no scores showed an empty "Latest scores" and "No questionnaire scores yet." under
    "Sessions and referrals"."""
    from schoolmh.services import pupils

    pupil = pupils.create_pupil(lead_session, legal_forename="Ffion", legal_surname="ap Rhys", year_group=10)
    window = main_window
    window.ctx.open_pupil.emit(pupil.uuid)
    page = window.workspace.pages["pupil"]
    press(qtbot, window, Qt.Key.Key_O, Qt.KeyboardModifier.AltModifier)  # the Overview tab
    overview = page.overview
    assert page.tabs.currentWidget() is overview
    qtbot.wait(20)
    shown = sorted((label for label in overview.findChildren(QLabel) if label.isVisible() and label.text()),
                   key=lambda label: label.mapTo(overview, label.rect().topLeft()).y())
    texts = [label.text() for label in shown]
    scores = texts.index("Latest scores")
    assert texts[scores + 1] == "No questionnaire scores yet."
    assert "No questionnaire scores" not in overview.activity_text.text()
