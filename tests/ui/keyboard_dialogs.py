"""Issue 13.2 and 13.3, tried from the keyboard on the real dialogs over a real vault.

* every record dialog opens with the focus in a field, and Space then Enter straight
  after opening saves nothing (checked in the database: every table's rows and the
  audit trail are as they were);
* once something is typed, Enter saves; in a multi-line note Enter is a new line
  and Ctrl+Enter saves; Enter never presses another button (the meeting's "Remove pupil");
* Escape with typed input asks "Discard what you typed?" (default: keep editing);
* a decision added keeps the referral's reason; typed dates are read.
"""
from __future__ import annotations

import datetime as dt

import pytest
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QApplication, QDialog, QLabel, QPushButton

from dialog_registry import confirmations, ctx, record_dialogs, seeded  # noqa: F401 (fixtures)
from schoolmh.db.models import all_models
from schoolmh.services import liaison, referrals
from schoolmh.ui.widgets.common import NOTHING_TYPED, is_input


def snapshot() -> dict[str, object]:
    """Every row of every table, as stored (the audit trail included)."""
    return {m.__name__: sorted(map(repr, m.select().tuples())) for m in all_models()}


def opened(qtbot, dialog: QDialog) -> QDialog:
    qtbot.addWidget(dialog)
    dialog.show()
    dialog.activateWindow()
    qtbot.waitUntil(lambda: QApplication.activeWindow() is dialog and dialog.focusWidget() is not None, timeout=3000)
    return dialog


def focus(dialog: QDialog):
    return QApplication.focusWidget() or dialog.focusWidget()


def _record_names() -> list[str]:
    """The registry's names, read without building any dialog (there is no vault at collection time)."""
    import inspect

    import dialog_registry

    source = inspect.getsource(dialog_registry._record)
    return [line.split('"')[1] for line in source.splitlines() if line.strip().startswith('"') and '": lambda' in line]


@pytest.mark.parametrize("name", _record_names())
def test_space_and_enter_straight_after_opening_save_nothing(qtbot, ctx, seeded, name):
    x, _ = seeded
    make = record_dialogs(ctx, x)[name]
    qtbot.addWidget(make())  # reading what the dialog shows may audit a view; that is not a save
    before = snapshot()
    dialog = opened(qtbot, make())
    first = focus(dialog)
    assert first is not None and is_input(first) and not isinstance(first, QPushButton), \
        f"{name} opened with the focus on {type(first).__name__} {getattr(first, 'text', lambda: '')()!r}"
    qtbot.keyClick(focus(dialog), Qt.Key.Key_Space)
    qtbot.keyClick(focus(dialog), Qt.Key.Key_Return)
    assert snapshot() == before, f"{name} saved something from Space and Enter"
    assert dialog.isVisible() and dialog.result() != QDialog.DialogCode.Accepted
    dialog.done(0)


def test_nothing_typed_is_said_plainly_and_enter_after_typing_saves(qtbot, ctx, seeded):
    from schoolmh.ui.dialogs.record_dialogs import ReferralDialog

    x, _ = seeded
    before = len(referrals.list_referrals(x.session, x.pupil.uuid))
    dialog = opened(qtbot, ReferralDialog(ctx, None, x.pupil.uuid))
    assert focus(dialog) is dialog.destination and dialog.destination.currentText() == "Choose…"
    qtbot.keyClick(focus(dialog), Qt.Key.Key_Return)
    assert dialog.isVisible() and dialog.general.message == NOTHING_TYPED
    qtbot.keyClick(dialog.destination, Qt.Key.Key_Tab)
    qtbot.keyClicks(focus(dialog), "yesterday")  # the date sent, typed
    qtbot.keyClick(focus(dialog), Qt.Key.Key_Return)  # typed, but no service chosen: refused next to the field
    assert dialog.isVisible() and "Choose the service" in dialog.errors.message_for("destination")
    assert len(referrals.list_referrals(x.session, x.pupil.uuid)) == before
    dialog.destination.setFocus()
    qtbot.keyClick(dialog.destination, Qt.Key.Key_Down)  # the first service in the list
    qtbot.keyClick(dialog.destination, Qt.Key.Key_Return)
    assert not dialog.isVisible() and dialog.result() == QDialog.DialogCode.Accepted
    made = referrals.list_referrals(x.session, x.pupil.uuid)
    assert len(made) == before + 1
    assert any(r.sent_on == x.session.today() - dt.timedelta(days=1) and r.destination == "mhst" for r in made)
    for r in made:  # tidy up for the other tests
        if r.destination == "mhst":
            referrals.delete_referral(x.session, r.uuid, unshare_pupil=True)


def test_enter_in_a_note_is_a_new_line_and_ctrl_enter_saves(qtbot, ctx, seeded):
    from schoolmh.ui.dialogs.record_dialogs import ReviewDialog
    from schoolmh.services import plans

    x, _ = seeded
    plan = plans.current_plan(x.session, x.pupil.uuid)
    dialog = opened(qtbot, ReviewDialog(ctx, None, plan))
    dialog.notes.setFocus()
    qtbot.keyClicks(dialog.notes, "Sleeping better")
    qtbot.keyClick(dialog.notes, Qt.Key.Key_Return)
    qtbot.keyClicks(dialog.notes, "Less worry on Mondays")
    assert dialog.isVisible() and dialog.notes.toPlainText() == "Sleeping better\nLess worry on Mondays"
    qtbot.keyClick(dialog.notes, Qt.Key.Key_Return, Qt.KeyboardModifier.ControlModifier)
    assert not dialog.isVisible() and dialog.result() == QDialog.DialogCode.Accepted
    assert plans.current_plan(x.session, x.pupil.uuid).reviews[-1].notes == "Sleeping better\nLess worry on Mondays"


def test_enter_never_presses_remove_pupil_in_the_meeting_dialog(qtbot, ctx, seeded):
    from schoolmh.ui.pages.liaison import MeetingDialog

    x, _ = seeded
    meeting = liaison.get_meeting(x.session, x.meeting.uuid)
    dialog = opened(qtbot, MeetingDialog(ctx, meeting, {x.pupil.uuid: "Siobhán"}))
    remove = next(b for b in dialog.findChildren(QPushButton) if b.text() == "&Remove pupil")
    assert not remove.autoDefault() and not remove.isDefault() and dialog.save_button.isDefault()
    assert all(not b.autoDefault() for b in dialog.findChildren(QPushButton))
    dialog.picker.list.setCurrentRow(0)
    remove.setFocus()
    qtbot.keyClick(remove, Qt.Key.Key_Return)  # nothing typed: Save refuses; the pupil stays linked
    assert dialog.picker.uuids() == [x.pupil.uuid]
    assert liaison.get_meeting(x.session, x.meeting.uuid).pupil_uuids == meeting.pupil_uuids
    qtbot.keyClicks(dialog.attendees, ", SENCo")
    remove.setFocus()
    qtbot.keyClick(remove, Qt.Key.Key_Return)  # typed: Enter saves, and still does not remove the pupil
    assert not dialog.isVisible()
    saved = liaison.get_meeting(x.session, x.meeting.uuid)
    assert saved.pupil_uuids == meeting.pupil_uuids and saved.attendees == "SMHL, EMHP, SENCo"


def test_escape_with_typed_input_asks_first(qtbot, ctx, seeded, message_boxes, monkeypatch):
    from PySide6.QtWidgets import QMessageBox

    from schoolmh.ui.dialogs.record_dialogs import ClosePlanDialog
    from schoolmh.services import plans

    x, _ = seeded
    plan = plans.current_plan(x.session, x.pupil.uuid)
    dialog = opened(qtbot, ClosePlanDialog(ctx, None, plan))
    qtbot.keyClick(focus(dialog), Qt.Key.Key_Escape)  # nothing typed: closes without a question
    assert not dialog.isVisible() and message_boxes == []

    dialog = opened(qtbot, ClosePlanDialog(ctx, None, plan))
    dialog.outcome.setFocus()
    qtbot.keyClicks(dialog.outcome, "Goals met")
    asked = []

    def answer(button_text):
        def exec_(self):
            asked.append((self.windowTitle(), self.defaultButton().text()))
            for b in self.buttons():
                if b.text() == button_text:
                    b.click()
            return 0
        monkeypatch.setattr(QMessageBox, "exec", exec_)

    answer("&Keep editing")
    qtbot.keyClick(dialog.outcome, Qt.Key.Key_Escape)
    assert dialog.isVisible() and asked == [("Discard what you typed?", "&Keep editing")]  # default: No
    assert dialog.outcome.toPlainText() == "Goals met"
    answer("&Discard")
    qtbot.keyClick(dialog.outcome, Qt.Key.Key_Escape)
    assert not dialog.isVisible() and dialog.result() == QDialog.DialogCode.Rejected
    assert plans.current_plan(x.session, x.pupil.uuid) is not None  # nothing saved


@pytest.mark.parametrize("name", ["Mark as left", "Mark action done"])
def test_confirmations_name_their_button_and_space_does_not_press_it(qtbot, ctx, seeded, name):
    x, _ = seeded
    before = snapshot()
    dialog = opened(qtbot, confirmations(ctx, x)[name]())
    assert is_input(focus(dialog))  # the date, never the button
    assert dialog.save_button.text().replace("&", "") in ("Mark as left", "Mark done")
    qtbot.keyClick(focus(dialog), Qt.Key.Key_Space)
    assert dialog.isVisible() and snapshot() == before
    dialog.done(0)


def test_a_decision_added_keeps_the_earlier_reason(qtbot, ctx, seeded):
    from schoolmh.ui.dialogs.record_dialogs import DecisionDialog

    x, _ = seeded
    r = referrals.get_referral(x.session, x.referral.uuid)
    dialog = opened(qtbot, DecisionDialog(ctx, None, r))
    assert "Low mood" in " ".join(label.text() for label in dialog.findChildren(QLabel))  # what it was sent for
    dialog.decision.setFocus()
    qtbot.keyClick(dialog.decision, Qt.Key.Key_Down)  # Accepted
    qtbot.keyClick(dialog.decision, Qt.Key.Key_Return)
    assert not dialog.isVisible()
    r = referrals.get_referral(x.session, x.referral.uuid)
    assert r.reason == "Low mood" and [d.decision for d in r.decisions] == ["accepted"]
    dialog = opened(qtbot, DecisionDialog(ctx, None, r))
    dialog.decision.setCurrentIndex(dialog.decision.findData("not_accepted"))
    qtbot.keyClicks(dialog.reason, "Below threshold")
    dialog.next_step.setFocus()
    qtbot.keyClicks(dialog.next_step, "Liaison meeting")
    qtbot.keyClick(dialog.next_step, Qt.Key.Key_Return)
    r = referrals.get_referral(x.session, x.referral.uuid)
    assert r.reason == "Low mood" and r.decision == "not_accepted"
    assert [(d.decision, d.reason, d.next_step) for d in r.decisions] == [
        ("accepted", "", ""), ("not_accepted", "Below threshold", "Liaison meeting")]


@pytest.mark.parametrize("typed, expected", [
    ("14/03/2026", dt.date(2026, 3, 14)), ("4/3/2026", dt.date(2026, 3, 4)), ("4.3.26", dt.date(2026, 3, 4)),
    ("today", dt.date.today()), ("Yesterday", dt.date.today() - dt.timedelta(days=1)),
])
def test_typed_dates_are_read_and_one_tab_leaves(qtbot, typed, expected):
    from PySide6.QtWidgets import QLineEdit, QVBoxLayout, QWidget

    from schoolmh.ui.widgets.dates import DateEdit

    host = QWidget()
    layout = QVBoxLayout(host)
    before, date, after = QLineEdit(), DateEdit(dt.date(2025, 1, 1)), QLineEdit()
    for w in (before, date, after):
        layout.addWidget(w)
    qtbot.addWidget(host)
    host.show()
    host.activateWindow()
    qtbot.waitUntil(lambda: QApplication.activeWindow() is host)
    before.setFocus()
    qtbot.keyClick(before, Qt.Key.Key_Tab)
    assert QApplication.focusWidget() is date and date.selectedText() == "01/01/2025"  # typing replaces it
    qtbot.keyClicks(date, typed)
    qtbot.keyClick(date, Qt.Key.Key_Tab)
    assert QApplication.focusWidget() is after
    assert date.value() == expected and date.text() == f"{expected:%d/%m/%Y}" and date.problem() == ""


def test_a_typed_date_that_is_not_a_date_is_refused_next_to_the_field(qtbot, ctx, seeded):
    from schoolmh.ui.dialogs.record_dialogs import ClosePlanDialog
    from schoolmh.services import plans

    x, _ = seeded
    dialog = opened(qtbot, ClosePlanDialog(ctx, None, plans.current_plan(x.session, x.pupil.uuid)))
    dialog.date.selectAll()
    qtbot.keyClicks(dialog.date, "31/02/2026")
    qtbot.keyClick(dialog.date, Qt.Key.Key_Return)
    assert dialog.isVisible() and "is not a date" in dialog.errors.message_for("closed_on")
    assert plans.current_plan(x.session, x.pupil.uuid) is not None
    dialog.done(0)


def test_mark_done_with_nothing_selected_takes_the_first_open_action(qtbot, ctx, seeded, message_boxes):
    """Issue 13.8: never silently nothing. The first action is selected (so it is seen), the dialog names
    it, and Enter there marks it done."""
    from PySide6.QtCore import QTimer

    from schoolmh.ui.pages.liaison import LiaisonPage, MarkDoneDialog

    x, _ = seeded
    page = LiaisonPage(ctx)
    qtbot.addWidget(page)
    page.show()
    page.refresh()
    assert page.actions_proxy.rowCount() == 1 and not page.actions_view.currentIndex().isValid()
    seen = {}

    def answer():
        dialog = QApplication.activeModalWidget()
        if not isinstance(dialog, MarkDoneDialog):
            QTimer.singleShot(20, answer)
            return
        seen["about"] = " ".join(label.text() for label in dialog.findChildren(QLabel))
        seen["selected"] = page.actions_proxy.row_at(page.actions_view.currentIndex()).text
        qtbot.keyClick(dialog.focusWidget() or dialog, Qt.Key.Key_Return)

    QTimer.singleShot(0, answer)
    qtbot.mouseClick(page.done_button, Qt.MouseButton.LeftButton)
    assert "Call home" in seen["about"] and seen["selected"] == "Call home"
    assert liaison.open_actions(x.session) == []
    # nothing left: it says so rather than doing nothing
    page.refresh()
    qtbot.mouseClick(page.done_button, Qt.MouseButton.LeftButton)
    assert message_boxes[-1] == ("Mark done", "There are no open actions to mark done.")


def test_alt_down_opens_a_calendar_and_enter_picks_the_day(qtbot):
    from PySide6.QtWidgets import QCalendarWidget

    from schoolmh.ui.widgets.dates import DateEdit

    date = DateEdit(dt.date(2026, 3, 10))
    qtbot.addWidget(date)
    date.show()
    date.setFocus()
    qtbot.keyClick(date, Qt.Key.Key_Down, Qt.KeyboardModifier.AltModifier)
    calendar = date.findChild(QCalendarWidget)
    assert calendar is not None and calendar.isVisible()
    qtbot.keyClick(calendar.focusWidget() or calendar, Qt.Key.Key_Right)
    qtbot.keyClick(calendar.focusWidget() or calendar, Qt.Key.Key_Return)
    assert date.value() == dt.date(2026, 3, 11) and date.text() == "11/03/2026"
    qtbot.keyClick(date, Qt.Key.Key_Up)  # Up and Down move a day
    assert date.value() == dt.date(2026, 3, 12)
