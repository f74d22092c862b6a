"""Dashboard, whole-school, liaison and reports pages against one real vault seeded through services."""
from __future__ import annotations

import datetime as dt

import pytest
from PySide6.QtCore import Qt

from schoolmh.services import access, activities, dashboard, liaison, plans, pupils, referrals, sessions
from schoolmh.services.liaison import NewAction
from schoolmh.ui.context import AppContext

LEAD_PASSWORD = "correct horse battery staple"  # any 12+ characters; tests/conftest.py uses the same


@pytest.fixture(scope="module")
def seeded(tmp_path_factory, qapp):
    """One vault for the module: pupils, plans, sessions, referrals (one pupil in the gap), liaison, activities."""
    folder = tmp_path_factory.mktemp("school") / "vault"
    s = access.init_school(folder, "Oakfield Academy", "lead", "Alex Lead", LEAD_PASSWORD).session
    today = s.today()
    ago = lambda days: today - dt.timedelta(days=days)  # noqa: E731
    people = []
    for i, (fore, sur) in enumerate([("Zoë", "Ní Bhriain"), ("Łukasz", "Nowak"), ("Amara", "Okafor"), ("Tom", "Smith")]):
        people.append(pupils.create_pupil(s, legal_forename=fore, legal_surname=sur, year_group=7 + i))
    plans.create_plan(s, people[0].uuid, "targeted", goals=["Sleep better"], start_date=ago(5), review_date=ago(2))
    plans.create_plan(s, people[1].uuid, "mhst", goals=["Go to lessons"], start_date=ago(5), review_date=today + dt.timedelta(days=30))
    for p, attendance in ((people[0], "attended"), (people[0], "attended"), (people[1], "attended"), (people[1], "dna")):
        sessions.record_session(s, p.uuid, date=today, duration_minutes=45, attendance=attendance)
    sessions.record_session(s, None, date=today, function=2, type="group", duration_minutes=60)
    refused = referrals.create_referral(s, people[2].uuid, "mhst", ago(4))  # MHST and CAMHS both said no: the gap
    referrals.record_decision(s, refused.uuid, "not_accepted", ago(2), reason="above remit")
    refused = referrals.create_referral(s, people[2].uuid, "camhs", ago(3))
    referrals.record_decision(s, refused.uuid, "not_accepted", ago(1), reason="below threshold")
    referrals.create_referral(s, people[3].uuid, "early_help", ago(2))
    meeting = liaison.create_meeting(s, date=ago(1), type="planning", attendees="SMHL, EMHP", duration_minutes=30,
                                     actions=[NewAction("Book the hall", "Office", today),
                                              NewAction("Call parents", "SMHL", ago(0))])
    activities.create_activity(s, title="Year 8 assembly", start_on=today, principles=["curriculum", "voice"],
                               reach_pupils=180)
    yield s, people, meeting, folder
    s.close()


@pytest.fixture
def ctx(seeded):
    c = AppContext(seeded[3])
    c.session = seeded[0]
    yield c
    c.session = None


def test_dashboard_shows_the_service_figures_and_opens_records(qtbot, seeded, ctx):
    from schoolmh.ui.pages.dashboard import DashboardPage

    s, people, _meeting, _folder = seeded
    page = DashboardPage(ctx)
    qtbot.addWidget(page)
    page.resize(1166, 708)
    page.show()
    page.refresh()
    fig = dashboard.dashboard_figures(s, *page.period.currentData())
    assert "2: Whole-school activities' staff time" in page.chart_caption.text()  # says what each bar counts

    tiles = page.tiles
    assert tiles["supported"].value.text() == str(fig.supported_total) == "2"
    assert "Targeted 1" in tiles["supported"].detail.text() and "MHST 1" in tiles["supported"].detail.text()
    assert tiles["sessions"].value.text() == str(fig.sessions_by_function[1]) == "3"
    assert tiles["attendance"].value.text() == f"{fig.attendance_rate:.0f}%" == "75%"
    assert tiles["plans_due"].value.text() == str(len(fig.plans_due)) == "1"
    assert tiles["actions"].value.text() == str(fig.open_action_count)
    assert tiles["referrals"].value.text() == str(len(fig.referrals_pending)) == "1"
    assert tiles["gap"].value.text() == str(len(fig.gap)) == "1"
    assert page.chart._minutes == fig.minutes_by_function
    assert "Direct support" in page.chart.accessibleDescription()
    assert page.gap_list.model.rows() == list(fig.gap)
    assert page.plans_list.proxy.rowCount() == 1

    # Enter on a pupil row opens that pupil; on an action row, the liaison page.
    gap_view = page.gap_list.view
    gap_view.setFocus()
    gap_view.setCurrentIndex(page.gap_list.proxy.index(0, 0))
    with qtbot.waitSignal(ctx.open_pupil) as opened:
        qtbot.keyClick(gap_view, Qt.Key.Key_Return)
    assert opened.args == [people[2].uuid]
    actions_view = page.actions_list.view
    actions_view.setFocus()
    actions_view.setCurrentIndex(page.actions_list.proxy.index(0, 0))
    with qtbot.waitSignal(ctx.navigate) as went:
        qtbot.keyClick(actions_view, Qt.Key.Key_Return)
    assert went.args == ["liaison"]


def test_activity_form_stores_principles_and_coverage_says_none(qtbot, seeded, ctx):
    from schoolmh.ui.pages.whole_school import ActivityDialog, WholeSchoolPage

    s = seeded[0]
    page = WholeSchoolPage(ctx)
    qtbot.addWidget(page)
    ctx.data_changed.connect(lambda _kind: page.refresh())  # the main window's job
    page.refresh()
    assert page.coverage.cell_text("parents").endswith("none")
    assert page.coverage.cell_text("curriculum").endswith("1 activity")

    dialog = ActivityDialog(ctx, None, activities.list_objectives(s), page)
    qtbot.addWidget(dialog)
    qtbot.mouseClick(dialog.save_button, Qt.MouseButton.LeftButton)  # nothing filled in: errors next to the fields, nothing stored
    assert dialog.errors.message_for("title")
    assert dialog.errors.message_for("principles")
    dialog.title_edit.setText("Parents’ evening: sleep and screens")
    dialog.set_principles(["parents", "ethos"])
    dialog.reach["reach_parents"].setValue(42)
    dialog.category.setCurrentIndex(dialog.category.findData("parents"))
    qtbot.mouseClick(dialog.save_button, Qt.MouseButton.LeftButton)
    assert dialog.result() == dialog.DialogCode.Accepted

    stored = next(a for a in activities.list_activities(s) if a.title.startswith("Parents’ evening"))
    assert set(stored.principles) == {"parents", "ethos"}
    assert (stored.reach_parents, stored.category) == (42, "parents")
    assert page.coverage.cell_text("parents").endswith("1 activity")
    assert page.coverage.cell_text("identify").endswith("none")
    titles = [page.proxy.index(r, 1).data() for r in range(page.proxy.rowCount())]
    assert "Parents’ evening: sleep and screens" in titles


def test_activity_and_meeting_staff_time_default_from_the_type_and_count_in_the_dashboard(qtbot, seeded, ctx):
    """Staff time (function 2 for activities, 3 for liaison) starts at the type's usual minutes, follows the
    type until typed over, is stored, and reaches the dashboard's figures and its chart caption."""
    from schoolmh.domain.staff_time import activity_minutes, liaison_minutes
    from schoolmh.ui.pages.liaison import MeetingDialog
    from schoolmh.ui.pages.whole_school import ActivityDialog

    s = seeded[0]
    before = dashboard.dashboard_figures(s).minutes_by_function
    dialog = ActivityDialog(ctx, None, [], None)
    qtbot.addWidget(dialog)
    dialog.show()
    assert dialog.staff_minutes.value() == activity_minutes("assembly")
    dialog.category.setFocus()
    qtbot.keyClick(dialog.category, Qt.Key.Key_Down)  # the next category: the minutes follow it
    chosen = dialog.category.currentData()
    assert chosen != "assembly" and dialog.staff_minutes.value() == activity_minutes(chosen)
    dialog.staff_minutes.setFocus()
    dialog.staff_minutes.lineEdit().selectAll()
    qtbot.keyClicks(dialog.staff_minutes, "75")
    qtbot.keyClick(dialog.category, Qt.Key.Key_Down)  # typed over: no longer follows the category
    assert dialog.staff_minutes.value() == 75
    dialog.title_edit.setText("Staff wellbeing briefing")
    dialog.set_principles(["staff_dev"])
    qtbot.mouseClick(dialog.save_button, Qt.MouseButton.LeftButton)
    assert dialog.result() == dialog.DialogCode.Accepted
    stored = next(a for a in activities.list_activities(s) if a.title == "Staff wellbeing briefing")
    assert stored.staff_minutes == 75
    after = dashboard.dashboard_figures(s).minutes_by_function
    assert after[2] == before[2] + 75 and after[1] == before[1]

    meeting = MeetingDialog(ctx, None, {})
    qtbot.addWidget(meeting)
    meeting.show()
    assert meeting.duration.value() == liaison_minutes("planning")
    meeting.type.setCurrentIndex(meeting.type.findData("case_discussion"))
    assert meeting.duration.value() == liaison_minutes("case_discussion")
    assert "function 3" in meeting.duration.accessibleName()


def _in_modal_dialog(qtbot, act) -> None:
    """Run `act(dialog)` once the modal dialog the next click opens is showing."""
    from PySide6.QtCore import QTimer
    from PySide6.QtWidgets import QApplication

    def later():
        dialog = QApplication.activeModalWidget()
        if dialog is None:
            QTimer.singleShot(20, later)
        else:
            act(dialog)

    QTimer.singleShot(0, later)


def test_marking_an_action_done_asks_the_date_and_removes_it_from_open_actions(qtbot, seeded, ctx):
    from PySide6.QtCore import QDate

    from schoolmh.ui.pages.liaison import LiaisonPage

    s, _people, meeting, _folder = seeded
    today = s.today()
    page = LiaisonPage(ctx)
    qtbot.addWidget(page)
    ctx.data_changed.connect(lambda _kind: page.refresh())
    page.refresh()
    before = page.actions_proxy.rowCount()
    assert before == len(liaison.open_actions(s)) == 2
    page.actions_view.setCurrentIndex(page.actions_proxy.index(0, 0))
    target = page.actions_proxy.row_at(page.actions_view.currentIndex())
    seen = {}

    def enter(dialog):  # the date starts at today and may not go later; Enter confirms
        seen["date"], seen["max"] = dialog.date_edit.value(), dialog.date_edit.maximumDate().toPython()
        qtbot.keyClick(dialog.date_edit, Qt.Key.Key_Return)

    _in_modal_dialog(qtbot, enter)
    qtbot.mouseClick(page.done_button, Qt.MouseButton.LeftButton)
    assert seen == {"date": today, "max": today}
    assert page.actions_proxy.rowCount() == before - 1
    assert target.uuid not in {a.uuid for a in liaison.open_actions(s)}
    done = next(a for m in liaison.list_meetings(s) for a in m.actions if a.uuid == target.uuid)
    assert done.done_on == today
    assert f"({before - 1})" in page.tabs.tabText(0)

    # another day: a date before the meeting is refused next to the field; the meeting's day is fine
    page.actions_view.setCurrentIndex(page.actions_proxy.index(0, 0))
    other = page.actions_proxy.row_at(page.actions_view.currentIndex())

    def earlier(dialog):
        dialog.date_edit.setDate(QDate(meeting.date - dt.timedelta(days=1)))
        qtbot.mouseClick(dialog.save_button, Qt.MouseButton.LeftButton)
        seen["error"] = dialog.errors.message_for("done_on")
        dialog.date_edit.setDate(QDate(meeting.date))
        qtbot.mouseClick(dialog.save_button, Qt.MouseButton.LeftButton)

    _in_modal_dialog(qtbot, earlier)
    qtbot.mouseClick(page.done_button, Qt.MouseButton.LeftButton)
    assert "before its meeting" in seen["error"]
    done = next(a for m in liaison.list_meetings(s) for a in m.actions if a.uuid == other.uuid)
    assert done.done_on == meeting.date and page.actions_proxy.rowCount() == 0


def test_reports_preview_and_pdf(qtbot, seeded, ctx, tmp_path):
    from pypdf import PdfReader

    from schoolmh.ui import ops
    from schoolmh.ui.pages.reports import ReportsPage

    page = ReportsPage(ctx)
    qtbot.addWidget(page)
    page.show()
    page.refresh()
    text = page.preview.toPlainText()
    assert "Pupils supported directly" in text and "Referrals waiting at the end" in text
    assert page.save_button.isEnabled()
    # custom dates that are not whole months: the page says why and will not save
    qtbot.mouseClick(page.by_dates, Qt.MouseButton.LeftButton)
    assert page.start.isEnabled() and not page.term.isEnabled()
    page.start.set_value(dt.date(2026, 3, 2))
    page.end.set_value(dt.date(2026, 3, 31))
    page.refresh()
    assert "whole terms or whole calendar months" in page.preview.toPlainText()
    assert not page.save_button.isEnabled() and "subtracted" in page.save_button.toolTip()
    page.start.set_value(dt.date(2026, 3, 1))
    page.refresh()
    assert page.save_button.isEnabled() and "March 2026" in page.preview.toPlainText()
    # back to the current term, and save it
    page.by_term.setFocus()
    qtbot.keyClick(page.by_term, Qt.Key.Key_Space)
    assert page.by_term.isChecked() and page.term.isEnabled()
    page.refresh()
    target = tmp_path / "governors.pdf"
    page.ask_path = lambda _suggested: target
    qtbot.mouseClick(page.save_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: ops.running() == 0 and target.exists(), timeout=20_000)
    import re

    from schoolmh.services import terms

    first = re.sub(r"\s+", " ", PdfReader(str(target)).pages[0].extract_text())
    assert f"{terms.current_term(seeded[0].today()).label} term:" in first


def test_meeting_form_links_a_pupil_found_by_typing_and_adds_actions(qtbot, seeded, ctx):
    from schoolmh.ui.pages.liaison import MeetingDialog

    s, people, _meeting, _folder = seeded
    dialog = MeetingDialog(ctx, None, {})
    qtbot.addWidget(dialog)
    dialog.show()
    dialog.attendees.setText("SMHL, EMHP")
    picker = dialog.picker
    qtbot.keyClicks(picker.search, "okaf")
    qtbot.waitUntil(lambda: picker.matches.rowCount() == 1)  # searched once typing pauses
    picker.completer.activated[type(picker.matches.index(0, 0))].emit(picker.matches.index(0, 0))
    assert picker.uuids() == [people[2].uuid]
    text, owner, _due, _error = dialog.action_rows.rows[0]
    owner.setText("EMHP")  # an owner without an action: refused next to the row, nothing saved
    qtbot.mouseClick(dialog.save_button, Qt.MouseButton.LeftButton)
    assert dialog.isVisible() and dialog.action_rows.rows[0][3].message == "Enter the action."
    count = len(liaison.list_meetings(s))
    text.setText("Ask CAMHS for an update")
    qtbot.mouseClick(dialog.save_button, Qt.MouseButton.LeftButton)
    assert not dialog.isVisible()
    newest = liaison.list_meetings(s)
    assert len(newest) == count + 1
    stored = next(m for m in newest if m.attendees == "SMHL, EMHP")
    assert stored.pupil_uuids == (people[2].uuid,)
    assert [(a.text, a.owner) for a in stored.actions] == [("Ask CAMHS for an update", "EMHP")]
