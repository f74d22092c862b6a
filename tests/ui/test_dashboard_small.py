"""The dashboard's next step in a new vault, and its hour totals formatted one way."""
from __future__ import annotations

from PySide6.QtCore import Qt, QTimer
from PySide6.QtWidgets import QApplication

from schoolmh.services import pupils
from schoolmh.ui.widgets.charts import hours_text


def test_a_new_vault_shows_one_next_step_import_your_pupil_list(qtbot, main_window, lead_session):
    page = main_window.workspace.pages["dashboard"]
    assert page.next_step.isVisible()
    assert page.import_button.isVisible() and page.import_button.text().replace("&", "") == "Import your pupil list…"
    opened = []

    def close_wizard():
        wizard = QApplication.activeModalWidget()
        opened.append(type(wizard).__name__)
        wizard.reject()

    QTimer.singleShot(200, close_wizard)
    qtbot.mouseClick(page.import_button, Qt.MouseButton.LeftButton)
    assert opened == ["ImportWizard"]
    assert main_window.workspace.current_key == "dashboard"  # nothing imported: stays, still offering the step

    pupils.create_pupil(lead_session, legal_forename="Ada", legal_surname="First", year_group=7)
    main_window.ctx.data_changed.emit("pupils")
    assert not page.next_step.isVisible()


def test_a_role_that_cannot_import_is_told_who_does(qtbot, main_window, sign_in_as):
    pastoral = sign_in_as("pastoral")
    main_window.do_lock()
    main_window.signed_in(pastoral)
    page = main_window.workspace.pages["dashboard"]
    assert page.next_step.isVisible() and not page.import_button.isVisible()
    assert "lead imports the pupil list" in page.next_step_text.text()


def test_hours_are_written_one_way_everywhere():
    assert [hours_text(m) for m in (0, 45, 60, 90, 125, 2940)] == ["0 min", "45 min", "1 h", "1 h 30 min",
                                                                   "2 h 5 min", "49 h"]


def test_the_chart_title_and_its_bars_agree(qtbot, main_window, lead_session):
    from schoolmh.services import sessions

    pupil = pupils.create_pupil(lead_session, legal_forename="Ada", legal_surname="Hours", year_group=7)
    for minutes in (45, 45):  # 1 h 30 min: the old title rounded it to "2 h recorded"
        sessions.record_session(lead_session, pupil.uuid, duration_minutes=minutes)
    main_window.ctx.data_changed.emit("sessions")
    page = main_window.workspace.pages["dashboard"]
    assert page.chart_box.title().endswith(": 1 h 30 min recorded")
    assert "(1 h 30 min)" in page.chart.accessibleDescription()
