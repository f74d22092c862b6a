"""Admin → Team: start a team, add a laptop (code shown once), a conflict settled with one click."""
from __future__ import annotations

import pytest
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QFileDialog

from schoolmh.db.connection import database_proxy
from schoolmh.services import pupils, team
from schoolmh.ui.pages import admin
from schoolmh.ui.pages.team import AddLaptopDialog
from support import LEAD_PASSWORD


@pytest.fixture
def page(qtbot, app_ctx):
    widget = admin.AdminPage(app_ctx)
    qtbot.addWidget(widget)
    widget.resize(1100, 700)
    widget.show()
    widget.tabs.setCurrentWidget(widget.team)
    return widget


def test_start_team_add_laptop_and_keep_a_conflict(qtbot, page, app_ctx, tmp_path, monkeypatch):
    tab = page.team
    assert "not sharing records" in tab.summary.text()
    assert tab.start_button.isEnabled() and not tab.sync_button.isEnabled()
    (tmp_path / "team").mkdir()
    monkeypatch.setattr(QFileDialog, "getExistingDirectory", lambda *a, **k: str(tmp_path / "team"))
    qtbot.mouseClick(tab.start_button, Qt.MouseButton.LeftButton)
    assert "Up to date" in tab.summary.text()
    assert tab.laptops.rowCount() == 1

    def type_and_press_enter(dialog):
        """The Add a laptop dialog as a user fills it: name typed, file chosen, Enter."""
        qtbot.addWidget(dialog)
        dialog.show()
        qtbot.keyClicks(dialog.name, "Pastoral office")
        assert dialog.path.text() == str(tmp_path / "team" / "pastoral-office.smhjoin")  # the team folder by default
        dialog.path.setText(str(tmp_path / "office.smhjoin"))
        qtbot.keyClick(dialog.name, Qt.Key.Key_Return)
        return dialog.result()

    monkeypatch.setattr(AddLaptopDialog, "exec", type_and_press_enter)
    qtbot.mouseClick(tab.add_button, Qt.MouseButton.LeftButton)
    code = tab.code_dialog.code.text()
    assert len(code.replace("-", "")) == 18
    assert tab.laptops.rowCount() == 2

    # The other laptop and this one change the same pupil before exchanging.
    session = app_ctx.session
    uuid = pupils.create_pupil(session, legal_forename="Ui", legal_surname="Pupil", year_group=8).uuid
    team.sync(session)
    other = team.join(tmp_path / "office", tmp_path / "office.smhjoin", code, "lead", LEAD_PASSWORD)
    pupils.update_pupil(other, uuid, tutor_group="8B")
    team.sync(other)
    other.close()
    database_proxy.initialize(session.vault.db)
    pupils.update_pupil(session, uuid, tutor_group="8A")
    qtbot.mouseClick(tab.sync_button, Qt.MouseButton.LeftButton)
    from schoolmh.ui import ops
    qtbot.waitUntil(lambda: ops.running() == 0 and tab.conflicts.rowCount() == 1, timeout=10000)
    assert "1 conflict to review." in tab.summary.text()
    row = [tab.conflict_proxy.index(0, c).data() for c in range(tab.conflict_proxy.columnCount())]
    assert row[:2] == ["Pupil", "Ui Pupil"] and "Tutor group: 8" in row[-1]  # whose, and words not column names
    assert not tab.keep_other.isEnabled()
    tab.conflict_view.setFocus()
    tab.conflict_view.setCurrentIndex(tab.conflict_proxy.index(0, 0))
    assert tab.keep_other.isEnabled()
    kept_before = pupils.get_pupil(session, uuid).tutor_group
    qtbot.mouseClick(tab.keep_other, Qt.MouseButton.LeftButton)
    assert tab.conflicts.rowCount() == 0
    assert pupils.get_pupil(session, uuid).tutor_group != kept_before
    assert "1 change" in tab.summary.text() or "changes to send" in tab.summary.text()


def test_first_run_join_my_schools_schoolmh(qtbot, tmp_path):
    from PySide6.QtWidgets import QPushButton, QWizard

    from schoolmh.ui.context import AppContext
    from schoolmh.ui.first_run import FirstRunWizard
    from team_support import start_team

    lead, folder = start_team(tmp_path / "school")
    with lead as s:
        uuid = pupils.create_pupil(s, legal_forename="Joined", legal_surname="Pupil", year_group=9).uuid
        code = team.add_laptop(s, "Head's laptop", "school", tmp_path / "head.smhjoin")
    lead.close()
    wizard = FirstRunWizard(AppContext(tmp_path / "head"))
    qtbot.addWidget(wizard)
    wizard.show()
    qtbot.mouseClick(wizard.school_page.findChild(QPushButton, "joinSchool"), Qt.MouseButton.LeftButton)
    assert wizard.currentPage() is wizard.join_page
    page = wizard.join_page
    page.path.setText(str(tmp_path / "head.smhjoin"))
    qtbot.keyClicks(page.code, code.lower())  # typed in lower case: still accepted
    qtbot.keyClicks(page.username, "lead")
    qtbot.keyClicks(page.password, "wrong password here")
    qtbot.mouseClick(wizard.button(QWizard.WizardButton.FinishButton), Qt.MouseButton.LeftButton)
    assert "do not match" in page.error.text() and wizard.isVisible()
    qtbot.keyClicks(page.password, LEAD_PASSWORD)
    qtbot.mouseClick(wizard.button(QWizard.WizardButton.FinishButton), Qt.MouseButton.LeftButton)
    session = wizard.take_session()
    assert session is not None and session.actor.username == "lead"
    assert pupils.get_pupil(session, uuid).uuid == uuid
    assert team.status(session).laptop_name == "Head's laptop"
    session.close()


def test_status_bar_exchanges_in_the_background_and_says_when_the_folder_is_gone(qtbot, app_ctx, tmp_path):
    import shutil

    from PySide6.QtWidgets import QStatusBar

    from schoolmh.ui.pages.team import TeamSyncer

    (tmp_path / "team").mkdir()
    team.init_team(app_ctx.session, tmp_path / "team")
    pupils.create_pupil(app_ctx.session, legal_forename="Bar", legal_surname="Pupil", year_group=7)
    bar = QStatusBar()
    qtbot.addWidget(bar)
    syncer = TeamSyncer(app_ctx, bar)
    syncer.started()
    qtbot.waitUntil(lambda: not syncer.busy and syncer.label.text() != "", timeout=10000)
    assert syncer.label.text() == "Team: Up to date"  # the new pupil was sent
    assert list((tmp_path / "team" / "laptops").glob("*/00000002-school-*.smhb"))
    shutil.rmtree(tmp_path / "team")
    syncer.exchange()
    qtbot.waitUntil(lambda: "not reachable since" in syncer.label.text(), timeout=10000)
    syncer.stopping()
    assert not syncer.label.isVisible()
