"""Whole school page: importing activities from a CSV (checked first, then all or nothing)."""
from __future__ import annotations

import datetime as dt

import pytest
from PySide6.QtCore import Qt, QTimer
from PySide6.QtWidgets import QApplication

from schoolmh.services import access, activities
from schoolmh.ui.context import AppContext

LEAD_PASSWORD = "correct horse battery staple"

GOOD = (
    "Title,Start on,Principles,Category,Audience,Reach pupils,Led by,RAG\n"
    "Year 7 drop-in,01/10/2025,targeted;parents,workshop,Year 7,30,MHST,green\n"
    "Kindness week,2025-11-10,ethos,,Whole school,600,school,Amber\n"
).encode("utf-8")
BAD = GOOD + b"Broken,31/02/2025,voice,,,,,\n"  # row 4: there is no 31 February


@pytest.fixture(scope="module")
def ctx(tmp_path_factory, qapp):
    folder = tmp_path_factory.mktemp("import") / "vault"
    session = access.init_school(folder, "Oakfield Academy", "lead", "Alex Lead", LEAD_PASSWORD).session
    c = AppContext(folder)
    c.session = session
    yield c
    c.session = None
    session.close()


def _import(qtbot, page, tmp_path, data: bytes, act):
    """Click Import activities… with `data` as the chosen file; `act(dialog)` runs while the dialog is open."""
    path = tmp_path / "activities.csv"
    path.write_bytes(data)
    page.ask_import_path = lambda: path
    seen = {}

    def on_dialog():
        dialog = QApplication.activeModalWidget()
        if dialog is None:  # not shown yet
            QTimer.singleShot(20, on_dialog)
            return
        seen["summary"] = dialog.summary.text()
        seen["problems"] = dialog.problems.toPlainText()
        seen["import_enabled"] = dialog.save_button.isEnabled()
        act(dialog)

    QTimer.singleShot(0, on_dialog)
    qtbot.mouseClick(page.import_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: QApplication.activeModalWidget() is None)
    return seen


def test_a_bad_row_imports_nothing_and_a_good_file_imports_every_row(qtbot, ctx, tmp_path):
    from schoolmh.ui.pages.whole_school import WholeSchoolPage

    s = ctx.session
    page = WholeSchoolPage(ctx)
    qtbot.addWidget(page)
    page.show()
    changed: list[str] = []
    ctx.data_changed.connect(changed.append)
    assert page.import_button.text() == "&Import activities…"

    seen = _import(qtbot, page, tmp_path, BAD, lambda d: qtbot.mouseClick(d.cancel_button, Qt.MouseButton.LeftButton))
    assert "activities.csv: 3 rows checked; 1 problem" in seen["summary"]
    assert seen["problems"].startswith("row 4, column Start on:")
    assert not seen["import_enabled"]
    assert activities.list_activities(s) == [] and changed == []

    # a header that is not ours: the problem names the column as the file spells it
    seen = _import(qtbot, page, tmp_path, b"Title,When\nAssembly,01/10/2025\n", lambda d: qtbot.keyClick(d, Qt.Key.Key_Escape))
    assert "row 1, column When: not a column of an activities file" in seen["problems"]

    seen = _import(qtbot, page, tmp_path, GOOD, lambda d: qtbot.mouseClick(d.save_button, Qt.MouseButton.LeftButton))
    assert "2 activities checked, no problems" in seen["summary"] and seen["import_enabled"]
    rows = {a.title: a for a in activities.list_activities(s)}
    assert set(rows) == {"Year 7 drop-in", "Kindness week"}
    assert rows["Year 7 drop-in"].principles == ("targeted", "parents") and rows["Year 7 drop-in"].led_by == "mhst"
    assert rows["Kindness week"].start_on == dt.date(2025, 11, 10) and rows["Kindness week"].rag == "amber"
    assert changed == ["activities"]


def test_many_problems_show_the_first_twenty_then_a_count(qtbot, ctx):
    from schoolmh.ui.pages.whole_school import ImportActivitiesDialog

    data = b"title,start_on,principles\n" + b"".join(b"Talk %d,not a date,voice\n" % i for i in range(25))
    checked = activities.import_activities(ctx.session, data, dry_run=True)
    dialog = ImportActivitiesDialog(ctx, data, "many.csv", checked)
    qtbot.addWidget(dialog)
    lines = dialog.problems.toPlainText().splitlines()
    assert len(lines) == 21 and lines[0].startswith("row 2, column start_on:") and lines[-1] == "… and 5 more errors"
