"""Pupil records in the window: real widgets driven by pytest-qt over a real encrypted vault.

Covers the must-shows of issue 5 for records: adding a pupil with a non-ASCII
name, recording a quick session with the keyboard only, a measure entry that
refuses an out-of-range score, the MIS import wizard refusing a file with a bad
row (and importing a good one), and accent-insensitive filtering of the list.
"""
from __future__ import annotations

import datetime as dt

import pytest
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QDialog

from schoolmh.domain.upn import make_upn
from schoolmh.services import measures, plans, pupils, referrals, sessions
from schoolmh.ui import ops


@pytest.fixture
def ctx(app_ctx):
    """An AppContext holding the lead's open session, for a page or dialog on its own (tests/ui/conftest.py)."""
    return app_ctx


def _texts(root) -> str:
    """Every text shown under `root` (labels, inputs, buttons, table cells), joined."""
    from PySide6.QtWidgets import QAbstractButton, QAbstractItemView, QLabel, QLineEdit, QPlainTextEdit, QWidget

    found = []
    for w in [root, *root.findChildren(QWidget)]:
        if isinstance(w, (QLabel, QLineEdit, QAbstractButton)):
            found.append(w.text())
        elif isinstance(w, QPlainTextEdit):
            found.append(w.toPlainText())
        elif isinstance(w, QAbstractItemView) and w.model() is not None:
            m = w.model()
            found += [str(m.index(r, c).data() or "") for r in range(m.rowCount()) for c in range(m.columnCount())]
    return "\n".join(found)


def _add(session, forename, surname, year, **extra):
    return pupils.create_pupil(session, legal_forename=forename, legal_surname=surname, year_group=year, **extra)


@pytest.fixture
def roll(ctx):
    """A few fictional pupils whose names need folding to be found."""
    s = ctx.session
    return {
        "chloe": _add(s, "Chloé", "O'Brien", 8, tutor_group="8CD", upn=make_upn(1)),
        "chloe2": _add(s, "Chloe", "Smith", 9, tutor_group="9AB", upn=make_upn(2), sen_provision="K"),
        "lukasz": _add(s, "Łukasz", "Nowak", 9, tutor_group="9EF", upn=make_upn(3)),
        "oisin": _add(s, "Oisín", "Ó Briain", 10, tutor_group="10GH", upn=make_upn(4)),
    }


# --- adding a pupil -----------------------------------------------------------------------------
def test_pupil_form_adds_a_non_ascii_name_and_shows_errors_by_the_field(ctx, qtbot):
    from schoolmh.ui.dialogs.pupil_form import PupilFormDialog

    s = ctx.session
    dialog = PupilFormDialog(ctx)
    qtbot.addWidget(dialog)
    dialog.show()
    dialog.legal_forename.setText("Zoë")  # setText: keyClicks with non-ASCII can abort PySide6
    dialog.legal_surname.setText("Ní Bhriain")
    dialog.tutor_group.setText("9AB")

    qtbot.mouseClick(dialog.save_button, Qt.MouseButton.LeftButton)  # no year group yet
    assert "year group" in dialog.errors.message_for("year_group").lower()
    assert dialog.result() != QDialog.DialogCode.Accepted
    assert pupils.list_pupils(s) == []

    dialog.year_group.setCurrentIndex(dialog.year_group.findData(9))
    with qtbot.waitSignal(ctx.data_changed) as changed:
        qtbot.mouseClick(dialog.save_button, Qt.MouseButton.LeftButton)
    assert changed.args == ["pupils"]
    assert dialog.result() == QDialog.DialogCode.Accepted
    stored = pupils.search_pupils(s, "zoe ni bhriain")
    assert [(p.display_name, p.year_group, p.tutor_group) for p in stored] == [("Zoë Ní Bhriain", 9, "9AB")]


# --- the quick session ----------------------------------------------------------------------------
def test_quick_session_with_the_keyboard_only_stores_the_defaults(ctx, roll, qtbot):
    from schoolmh.ui.dialogs.quick_session import QuickSessionDialog

    s = ctx.session
    oisin = roll["oisin"]
    plans.create_plan(s, oisin.uuid, "targeted", goals=["Feel calmer before tests"])
    dialog = QuickSessionDialog(ctx)
    qtbot.addWidget(dialog)
    dialog.show()
    qtbot.waitExposed(dialog)
    assert dialog.picker.hasFocus() or dialog.focusWidget() is dialog.picker

    qtbot.keyClicks(dialog.picker, "oisin")  # ASCII typing finds "Oisín"
    qtbot.keyClick(dialog.picker, Qt.Key.Key_Return)  # picks the first match
    assert dialog.picker.pupil is not None and dialog.picker.pupil.uuid == oisin.uuid
    assert dialog.picker.text() == "Oisín Ó Briain — Year 10 — 10GH"
    assert len(dialog.goal_spins) == 1  # the current goal can be rated inline
    with qtbot.waitSignal(ctx.data_changed) as changed:
        qtbot.keyClick(dialog.picker, Qt.Key.Key_Return)  # saves
    assert changed.args == ["sessions"]
    assert dialog.result() == QDialog.DialogCode.Accepted

    [stored] = sessions.list_sessions(s, oisin.uuid)
    assert (stored.date, stored.duration_minutes, stored.staff_uuid, stored.function, stored.type, stored.mode,
            stored.attendance, stored.goal_ratings) == (
        s.today(), 30, s.actor.uuid, 1, "one_to_one", "in_person", "attended", ())


def test_quick_session_without_a_match_says_so_next_to_the_pupil(ctx, roll, qtbot):
    from schoolmh.ui.dialogs.quick_session import QuickSessionDialog

    dialog = QuickSessionDialog(ctx)
    qtbot.addWidget(dialog)
    dialog.show()
    qtbot.keyClicks(dialog.picker, "nobody here")
    qtbot.keyClick(dialog.picker, Qt.Key.Key_Return)
    qtbot.keyClick(dialog.picker, Qt.Key.Key_Return)
    assert "pupil" in dialog.errors.message_for("pupil").lower()
    assert dialog.result() != QDialog.DialogCode.Accepted
    assert sessions.list_sessions(ctx.session) == []


# --- measures on the pupil record --------------------------------------------------------------------
def test_measure_entry_refuses_an_out_of_range_score_and_stores_nothing(ctx, roll, qtbot):
    from schoolmh.ui.pages.pupil_record import PupilRecordPage

    s = ctx.session
    pupil = roll["lukasz"]
    page = PupilRecordPage(ctx)
    qtbot.addWidget(page)
    page.show_pupil(pupil.uuid)
    page.tabs.setCurrentWidget(page.measures_tab)
    page.show()
    entry = page.measures_tab.entry
    entry.select("SDQ", "parent")
    emotional = entry.spins["emotional"].spin
    assert (emotional.maximum(), entry.spins["emotional"].high) == (10, 10)  # the spin box enforces the range

    emotional.setFocus()
    emotional.clear()
    qtbot.keyClicks(emotional, "15")
    assert entry.spins["emotional"].value() == 1  # the "5" was refused
    assert "out of range (0–10)" in entry.field_errors["emotional"].message
    assert entry.field_errors["emotional"].isVisible()

    qtbot.mouseClick(entry.save_button, Qt.MouseButton.LeftButton)  # the other scores are missing
    assert "missing" in entry.errors.message_for("conduct")
    assert measures.list_measures(s, pupil.uuid) == []

    for code, value in {"emotional": 6, "conduct": 3, "hyperactivity": 5, "peer": 4, "prosocial": 8}.items():
        entry.spins[code].spin.setValue(value)
    qtbot.mouseClick(entry.save_button, Qt.MouseButton.LeftButton)
    [stored] = measures.list_measures(s, pupil.uuid)
    assert (stored.instrument, stored.rater, stored.headline, stored.band) == ("SDQ", "parent", 18.0, "high")
    assert [p.value for p in page.measures_tab.chart.points()] == [18.0]  # the page reloaded after the save


def test_pupil_record_shows_flags_as_text_and_history_to_the_lead(ctx, qtbot):
    from schoolmh.ui.pages.pupil_record import PupilRecordPage

    s = ctx.session
    pupil = _add(s, "Amara", "Okafor", 7, looked_after=True, young_carer=True, sen_provision="E", eal=True)
    page = PupilRecordPage(ctx)
    qtbot.addWidget(page)
    page.show_pupil(pupil.uuid)
    shown = _texts(page)
    assert "Amara Okafor" in shown
    for chip in ("CLA", "Young carer", "SEN E", "EAL"):
        assert chip in shown
    assert page.tabs.isTabVisible(page.tabs.indexOf(page.history_tab))
    what = [page.history_tab.model.index(r, 2).data() for r in range(page.history_tab.model.rowCount())]
    assert "Viewed the record" in what and "Added the pupil" in what
    page.clear()  # what the lock relies on: nothing about the pupil stays in the widgets
    assert "Amara Okafor" not in _texts(page)


# --- the MIS import wizard ------------------------------------------------------------------------------
HEADER = "UPN,Legal Surname,Legal Forename,DOB,Year,Reg\n"


def _wizard_to_check_step(ctx, qtbot, path):
    from schoolmh.ui.dialogs.import_wizard import ImportWizard

    wizard = ImportWizard(ctx)
    qtbot.addWidget(wizard)
    wizard.show()
    wizard.file_edit.setText(str(path))
    qtbot.mouseClick(wizard.next_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: ops.running() == 0 and wizard.stack.currentIndex() == 1, timeout=5000)
    qtbot.mouseClick(wizard.next_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: ops.running() == 0 and wizard.stack.currentIndex() == 2, timeout=5000)
    return wizard


def test_import_wizard_refuses_a_file_with_a_bad_row_and_imports_nothing(ctx, roll, qtbot, tmp_path):
    s = ctx.session
    before = len(pupils.list_pupils(s, include_left=True))
    path = tmp_path / "export.csv"
    path.write_text(HEADER
                    + f"{make_upn(101)},Nowak,Zofia,03/04/2012,9,9AB\n"
                    + f"{make_upn(102)},Mensah,Kofi,31/02/2012,9,9AB\n"  # no 31 February
                    + f"{make_upn(103)},Ní Bhriain,Aoife,12/12/2011,10,10CD\n", encoding="utf-8")
    wizard = _wizard_to_check_step(ctx, qtbot, path)

    assert not wizard.import_button.isEnabled()
    assert "problem" in wizard.summary_label.text()
    model = wizard.preview_model
    dob = model.headers.index("DOB") + 1
    bad = model.index(1, dob)  # the second data row, spreadsheet row 3
    assert bad.data() == "⚠ 31/02/2012"  # a text marker, not colour alone
    assert "date" in bad.data(Qt.ItemDataRole.ToolTipRole)
    assert bad.data(Qt.ItemDataRole.BackgroundRole) is not None
    assert model.index(0, dob).data() == "03/04/2012"
    assert "row 3, column DOB" in wizard.errors_text.toPlainText()

    wizard.run_import()  # even asked directly, nothing happens
    assert len(pupils.list_pupils(s, include_left=True)) == before


def test_import_wizard_imports_a_good_file_all_at_once(ctx, roll, qtbot, tmp_path, monkeypatch):
    from schoolmh.ui.dialogs import import_wizard

    shown = []
    monkeypatch.setattr(import_wizard, "info", lambda _parent, title, text: shown.append(text))
    s = ctx.session
    before = len(pupils.list_pupils(s))
    path = tmp_path / "export.csv"
    path.write_text(HEADER
                    + f"{make_upn(201)},Nowak,Zofia,03/04/2012,9,9AB\n"
                    + f"{make_upn(202)},Ní Bhriain,Aoife,12/12/2011,10,10CD\n", encoding="utf-8")
    wizard = _wizard_to_check_step(ctx, qtbot, path)
    wizard.mark_left.setChecked(False)  # a partial export: the pupils already on roll stay
    assert wizard.import_button.isEnabled()
    assert "add 2 new pupils" in wizard.summary_label.text()
    with qtbot.waitSignal(ctx.data_changed, timeout=5000):
        qtbot.mouseClick(wizard.import_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: wizard.summary is not None, timeout=5000)
    assert (wizard.summary.added, wizard.summary.marked_left) == (2, 0)
    assert len(pupils.list_pupils(s)) == before + 2
    assert shown and "Added 2" in shown[0]


# --- the pupil list --------------------------------------------------------------------------------------
def test_pupil_list_filters_as_you_type_ignoring_accents(ctx, roll, qtbot):
    from schoolmh.ui.pages.pupils import PupilsPage

    page = PupilsPage(ctx)

    page.refresh()  # as the main window does when showing it
    qtbot.addWidget(page)
    page.show()

    def names() -> list[str]:
        return sorted(page.proxy.index(r, 0).data() for r in range(page.proxy.rowCount()))

    assert len(names()) == 4
    qtbot.keyClicks(page.search, "chloe")
    assert names() == ["Chloe Smith", "Chloé O'Brien"]
    qtbot.keyClicks(page.search, " obrien")
    assert names() == ["Chloé O'Brien"]
    page.search.clear()
    qtbot.keyClicks(page.search, "lukasz")
    assert names() == ["Łukasz Nowak"]
    page.search.setText("Y9")
    assert names() == ["Chloe Smith", "Łukasz Nowak"]
    page.sen.setCurrentIndex(page.sen.findData("K"))
    assert names() == ["Chloe Smith"]
    page.search.clear()
    page.sen.setCurrentIndex(0)
    page.in_gap.setChecked(True)
    assert names() == []
    assert page.count.text() == "Showing 0 of 4 pupils"

    page.in_gap.setChecked(False)
    page.search.setText("oisin")
    page.view.setFocus()
    page.view.setCurrentIndex(page.proxy.index(0, 0))
    with qtbot.waitSignal(ctx.open_pupil) as opened:
        qtbot.keyClick(page.view, Qt.Key.Key_Return)
    assert opened.args == [roll["oisin"].uuid]


def test_leavers_are_hidden_until_asked_for(ctx, roll, qtbot):
    from schoolmh.ui.pages.pupils import PupilsPage

    s = ctx.session
    pupils.archive_pupil(s, roll["chloe2"].uuid, s.today() - dt.timedelta(days=3))
    page = PupilsPage(ctx)
    page.refresh()  # as the main window does when showing it
    qtbot.addWidget(page)
    assert page.proxy.rowCount() == 3
    page.leavers.setChecked(True)
    assert page.proxy.rowCount() == 4
    assert not page.view.isColumnHidden(page.model.column_index("Left"))


# --- roles -------------------------------------------------------------------------------------------------
def test_head_sees_the_record_without_case_notes_history_or_edit_controls(sign_in_as, lead_session, vault_dir,
                                                                         qtbot):
    from schoolmh.ui.context import AppContext
    from schoolmh.ui.pages.pupil_record import PupilRecordPage
    from schoolmh.ui.pages.pupils import PupilsPage

    pupil = _add(lead_session, "Priya", "Patel", 11)
    sessions.record_session(lead_session, pupil.uuid, note="Spoke about home")
    head = sign_in_as("head")
    ctx = AppContext(vault_dir)
    ctx.session = head
    page = PupilRecordPage(ctx)
    qtbot.addWidget(page)
    page.show_pupil(pupil.uuid)
    visible = [page.tabs.tabText(i).replace("&", "") for i in range(page.tabs.count()) if page.tabs.isTabVisible(i)]
    assert visible == ["Overview", "Plan", "Measures", "Referrals"]
    assert not page.edit_button.isVisibleTo(page) and not page.more_button.isVisibleTo(page)
    assert not page.plan_tab.start_button.isVisibleTo(page.plan_tab)
    assert not page.measures_tab.entry.isVisibleTo(page.measures_tab)
    assert "Spoke about home" not in _texts(page)
    listing = PupilsPage(ctx)
    listing.refresh()  # as the main window does when showing it
    qtbot.addWidget(listing)
    assert not listing.new_button.isVisibleTo(listing) and not listing.import_button.isVisibleTo(listing)


def test_pupil_list_sorts_by_value_and_keeps_the_selection(ctx, roll, qtbot):
    from schoolmh.ui.pages.pupils import PupilsPage

    page = PupilsPage(ctx)

    page.refresh()  # as the main window does when showing it
    qtbot.addWidget(page)
    page.select_pupil(roll["lukasz"].uuid)
    year = page.model.column_index("Year")
    page.view.sortByColumn(year, Qt.SortOrder.DescendingOrder)
    years = [page.proxy.row_at(page.proxy.index(r, 0)).year_group for r in range(page.proxy.rowCount())]
    assert years == [10, 9, 9, 8]  # Year 10 after Year 9 (as numbers, not text)
    assert page.proxy.row_at(page.view.currentIndex()).uuid == roll["lukasz"].uuid
    page.search.setText("chloe")
    page.view.sortByColumn(0, Qt.SortOrder.AscendingOrder)  # by surname: O'Brien before Smith
    assert [page.proxy.index(r, 0).data() for r in range(page.proxy.rowCount())] == ["Chloé O'Brien", "Chloe Smith"]


def test_quick_session_popup_arrow_keys_pick_another_match(ctx, roll, qtbot):
    from schoolmh.ui.dialogs.quick_session import QuickSessionDialog

    dialog = QuickSessionDialog(ctx)
    qtbot.addWidget(dialog)
    dialog.show()
    qtbot.keyClicks(dialog.picker, "chloe")
    popup = dialog.picker.completer_.popup()
    assert popup.isVisible()
    assert [popup.model().index(r, 0).data() for r in range(popup.model().rowCount())] == [
        "Chloé O'Brien — Year 8 — 8CD", "Chloe Smith — Year 9 — 9AB"]
    qtbot.keyClick(popup, Qt.Key.Key_Down)  # as the window system routes keys while the popup is open
    qtbot.keyClick(popup, Qt.Key.Key_Return)
    assert dialog.picker.pupil.uuid == roll["chloe2"].uuid


# --- plans and referrals through their dialogs ---------------------------------------------------------
def test_plan_and_referral_dialogs_each_save_in_one_call(ctx, roll, qtbot):
    from schoolmh.ui.dialogs.record_dialogs import (
        ClosePlanDialog,
        DecisionDialog,
        PlanDialog,
        ReferralDialog,
        ReviewDialog,
    )
    from schoolmh.ui.pages.pupil_record import PupilRecordPage

    s = ctx.session
    pupil = roll["chloe"]
    page = PupilRecordPage(ctx)
    qtbot.addWidget(page)
    page.show_pupil(pupil.uuid)

    def opened(dialog):
        """Shown first, as a user meets it; what the test then types counts as typed."""
        qtbot.addWidget(dialog)
        dialog.show()
        return dialog

    def submit(dialog) -> None:
        with qtbot.waitSignal(ctx.data_changed):
            qtbot.mouseClick(dialog.save_button, Qt.MouseButton.LeftButton)
        assert dialog.result() == QDialog.DialogCode.Accepted, dialog.general.text()

    new = opened(PlanDialog(ctx, page, pupil.uuid))
    qtbot.keyClicks(new.goals[0], "Feel calmer before tests")
    new.review.set_value(s.today() - dt.timedelta(days=1))  # before the start: refused next to the field
    qtbot.mouseClick(new.save_button, Qt.MouseButton.LeftButton)
    assert "before the plan starts" in new.errors.message_for("review_date")
    assert plans.current_plan(s, pupil.uuid) is None
    new.review.set_value(s.today() + dt.timedelta(days=30))
    submit(new)
    plan = plans.current_plan(s, pupil.uuid)
    assert [g.description for g in plan.goals] == ["Feel calmer before tests"]

    review = opened(ReviewDialog(ctx, page, plan))
    qtbot.keyClicks(review.notes, "Going well")
    submit(review)
    close = opened(ClosePlanDialog(ctx, page, plans.current_plan(s, pupil.uuid)))
    qtbot.keyClicks(close.outcome, "Goals met")
    submit(close)
    [closed] = plans.list_plans(s, pupil.uuid)
    assert (closed.status, closed.outcome, [r.notes for r in closed.reviews]) == ("closed", "Goals met", ["Going well"])

    sent = s.today() - dt.timedelta(days=40)
    for destination, reason in (("mhst", "above remit"), ("camhs", "below threshold")):
        referral = opened(ReferralDialog(ctx, page, pupil.uuid))
        qtbot.mouseClick(referral.save_button, Qt.MouseButton.LeftButton)  # nothing chosen: refused, nothing saved
        assert "Nothing to save" in referral.general.text()
        referral.sent.clear()
        qtbot.keyClicks(referral.sent, f"{sent:%d/%m/%Y}")
        qtbot.mouseClick(referral.save_button, Qt.MouseButton.LeftButton)  # the service still not chosen
        assert "Choose the service" in referral.errors.message_for("destination")
        assert referrals.list_referrals(s, pupil.uuid, decision="pending") == []
        referral.destination.setCurrentIndex(referral.destination.findData(destination))
        submit(referral)
        [info_] = [r for r in referrals.list_referrals(s, pupil.uuid) if r.destination == destination]
        assert info_.sent_on == sent
        decision = opened(DecisionDialog(ctx, page, info_))
        assert decision.decision.currentText() == "Choose…"
        decision.decision.setCurrentIndex(decision.decision.findData("not_accepted"))
        qtbot.mouseClick(decision.save_button, Qt.MouseButton.LeftButton)  # no reason yet
        assert "reason" in decision.errors.message_for("reason").lower()
        qtbot.keyClicks(decision.reason, reason)
        submit(decision)
    page.refresh()
    assert page.pupil.in_gap
    assert "In the gap" in page.referrals_tab.gap.text()
    assert "In the gap" in _texts(page.chips_host)


# --- correcting and deleting sessions ------------------------------------------------------------------
def test_session_correction_saves_only_the_changed_fields_and_keeps_pupil_and_ratings(ctx, roll, qtbot):
    from schoolmh.db.models import AuditEntry
    from schoolmh.ui.dialogs.quick_session import QuickSessionDialog

    s = ctx.session
    pupil = roll["lukasz"]
    plan = plans.create_plan(s, pupil.uuid, "targeted", goals=["Sleep better"])
    recorded = sessions.record_session(s, pupil.uuid, note="Talked about exams",
                                       goal_ratings={plan.goals[0].uuid: 4})
    dialog = QuickSessionDialog(ctx, editing=recorded)
    qtbot.addWidget(dialog)
    dialog.show()
    assert dialog.windowTitle() == "Correct a session" and dialog.picker.isReadOnly()
    assert dialog.note.toPlainText() == "Talked about exams" and not dialog.goal_spins
    assert "4" in dialog.kept_ratings.text() and not dialog.has_unsaved_input()

    dialog.attendance.setCurrentIndex(dialog.attendance.findData("dna"))  # ratings were given: refused
    qtbot.mouseClick(dialog.save_button, Qt.MouseButton.LeftButton)
    assert "attended" in dialog.errors.message_for("attendance")
    dialog.attendance.setCurrentIndex(dialog.attendance.findData("attended"))
    dialog.duration.setValue(45)
    assert dialog.has_unsaved_input()
    with qtbot.waitSignal(ctx.data_changed) as changed:
        qtbot.mouseClick(dialog.save_button, Qt.MouseButton.LeftButton)
    assert changed.args == ["sessions"] and dialog.result() == QDialog.DialogCode.Accepted
    [stored] = sessions.list_sessions(s, pupil.uuid)
    assert (stored.duration_minutes, stored.note, stored.goal_ratings) == (45, "Talked about exams", recorded.goal_ratings)
    [update] = AuditEntry.select().where(AuditEntry.action == "session.update")
    assert update.detail == "fields=duration_minutes"


def test_sessions_edit_and_delete_from_the_record_and_the_sessions_page(ctx, roll, qtbot, monkeypatch):
    from schoolmh.ui.dialogs.quick_session import QuickSessionDialog
    from schoolmh.ui.pages import sessions as sessions_page
    from schoolmh.ui.pages.pupil_record import PupilRecordPage

    s = ctx.session
    pupil = roll["chloe"]
    first = sessions.record_session(s, pupil.uuid, date=s.today() - dt.timedelta(days=1), duration_minutes=20)
    sessions.record_session(s, pupil.uuid)
    page = PupilRecordPage(ctx)
    qtbot.addWidget(page)
    page.show_pupil(pupil.uuid)
    tab = page.sessions_tab
    actions = tab.session_actions
    assert actions.edit_button.isVisibleTo(tab) and not actions.edit_button.isEnabled()  # nothing chosen yet
    tab.view.setCurrentIndex(tab.proxy.index_for_key(first.uuid))
    assert actions.edit_button.isEnabled() and actions.delete_button.isEnabled()

    def exec_with_longer_session(dialog) -> int:  # stands in for the user typing into the modal dialog
        dialog.duration.setValue(50)
        dialog.accept()
        return dialog.result()

    monkeypatch.setattr(QuickSessionDialog, "exec", exec_with_longer_session)
    loads = page.loads
    actions.edit_button.click()
    assert page.loads == loads + 1  # reloaded once
    assert sorted(r.duration_minutes for r in tab.model.rows()) == [30, 50]

    asked = []
    monkeypatch.setattr(sessions_page, "confirm", lambda *a, **k: asked.append(a[2]) or False)
    tab.view.setCurrentIndex(tab.proxy.index_for_key(first.uuid))
    actions.delete_button.click()  # cancelled: nothing deleted
    assert len(sessions.list_sessions(s, pupil.uuid)) == 2 and "recorded in error" in asked[0]

    monkeypatch.setattr(sessions_page, "confirm", lambda *a, **k: True)
    listing = sessions_page.SessionsPage(ctx)
    listing.refresh()  # as the main window does when showing it
    qtbot.addWidget(listing)
    listing.view.setCurrentIndex(listing.proxy.index_for_key(first.uuid))
    with qtbot.waitSignal(ctx.data_changed):
        listing.session_actions.delete_action.trigger()  # the list's context menu (and the Delete key)
    assert [x.duration_minutes for x in sessions.list_sessions(s, pupil.uuid)] == [30]


def test_a_narrow_session_list_keeps_the_note_readable(ctx, roll, qtbot):
    from schoolmh.ui.pages.sessions import SessionsPage

    s = ctx.session
    for name in ("chloe", "chloe2", "lukasz"):
        sessions.record_session(s, roll[name].uuid, attendance="cancelled_family",
                                note="A long note about what was agreed " * 3)
    page = SessionsPage(ctx)
    page.refresh()  # as the main window does when showing it
    qtbot.addWidget(page)
    page.resize(760, 500)  # e.g. a small window at 150%
    page.show()
    qtbot.waitExposed(page)
    view, note = page.view, page.model.columnCount() - 1
    header = view.horizontalHeader()
    assert sum(view.columnWidth(c) for c in range(note + 1)) <= view.viewport().width()  # no sideways scroll
    assert view.columnWidth(note) >= view.fontMetrics().horizontalAdvance("M") * 8  # the note is still readable
    assert all(view.columnWidth(c) >= header.sectionSizeHint(c) for c in range(note))  # headers never cut
