"""The window's team exchange never blocks it (issue 12): typing while a bundle is applied, locking during an
apply, locking while the team folder hangs. A real signed-in main window on a laptop that joined a team."""
from __future__ import annotations

import os
import threading
from pathlib import Path

import pytest
from PySide6.QtCore import Qt, QTimer
from PySide6.QtWidgets import QLineEdit

from schoolmh.db.connection import database_proxy, integrity_ok
from schoolmh.services import access, pupils, vault_admin
from schoolmh.services.team import folder as team_folder
from schoolmh.services.team import merge, outbox, state
from schoolmh.ui.context import AppContext
from support import LEAD_PASSWORD, ctrl_l, press, record_quick_session, sign_in_with_enter
from team_support import add_sessions, lead_and_laptop


@pytest.fixture
def laptops(tmp_path):
    with lead_and_laptop(tmp_path, "Office") as laptops:
        yield laptops


@pytest.fixture
def open_window(qtbot):
    windows = []

    def open_(office):
        from schoolmh.ui.main_window import MainWindow

        window = MainWindow(AppContext(office.data_dir))
        qtbot.addWidget(window)
        window.resize(1366, 768)
        window.show()
        database_proxy.initialize(office.session.vault.db)
        window.signed_in(office.session)  # as the unlock screen does: the first exchange starts
        window.activateWindow()
        qtbot.waitUntil(window.isActiveWindow)
        windows.append(window)
        return window

    yield open_
    for window in windows:
        window.lock_manager.stop()


def _lead_writes_bundles(lead, sizes: list[int]) -> None:
    from schoolmh.services import team

    with lead as s:
        for i, size in enumerate(sizes):
            add_sessions(s, size, pupils_count=2, tag=f"Batch{i}x")
            team.sync(s)


def _open_handles(path: Path) -> list[str]:
    """Files this process holds open under `path` (the database, its WAL and shared memory)."""
    found = []
    for fd in os.listdir("/proc/self/fd"):
        try:
            target = os.readlink(f"/proc/self/fd/{fd}")
        except OSError:
            continue
        if target.startswith(str(path)):
            found.append(target)
    return found


def test_typing_goes_on_while_a_worker_thread_applies_a_big_bundle(qtbot, laptops, open_window, monkeypatch):
    lead, office, folder = laptops
    _lead_writes_bundles(lead, [2000])
    applying, typed = threading.Event(), threading.Event()
    threads = []
    original = merge.Merger.apply_all

    def held_open(self, records, via_mhst):
        """The bundle stays being applied until the keys typed meanwhile have arrived."""
        threads.append(threading.current_thread())
        applying.set()
        typed.wait(30)
        return original(self, records, via_mhst)

    monkeypatch.setattr(merge.Merger, "apply_all", held_open)
    window = open_window(office)
    qtbot.waitUntil(applying.is_set, timeout=20000)
    ticks = []
    timer = QTimer()
    timer.timeout.connect(lambda: ticks.append(1))
    timer.start(10)
    press(qtbot, window, Qt.Key.Key_2, Qt.KeyboardModifier.ControlModifier)  # the Pupils page
    edit = next(w for w in window.findChildren(QLineEdit) if w.isVisible() and w.accessibleName() == "Filter pupils")
    qtbot.keyClicks(edit, "Batch0x1")
    qtbot.wait(200)
    assert window.team_syncer.busy and not typed.is_set()  # still in the middle of the bundle …
    assert edit.text() == "Batch0x1" and len(ticks) >= 5  # … and the keys arrived and the clock kept turning
    typed.set()
    qtbot.waitUntil(lambda: not window.team_syncer.busy, timeout=30000)
    timer.stop()
    assert threads and all(t is not threading.main_thread() for t in threads)
    session = window.ctx.session
    assert session.db.execute_sql("SELECT count(*) FROM session WHERE note LIKE 'Batch0x%'").fetchone()[0] == 2000
    assert window.team_syncer.label.text() == "Team: Up to date"


def test_lock_during_an_apply_waits_for_that_bundle_only_and_leaves_it_whole(qtbot, laptops, open_window, monkeypatch):
    lead, office, folder = laptops
    _lead_writes_bundles(lead, [400, 400, 400])
    with lead as s:
        lead_id = state.load().laptop_id
    applying = threading.Event()
    stop_flag = {}
    original = merge.Merger.apply_all

    def until_the_lock(self, records, via_mhst):
        """The first bundle is still being applied when Ctrl+L is pressed."""
        applying.set()
        for _ in range(3000):
            if "event" in stop_flag and stop_flag["event"].is_set():
                break
            threading.Event().wait(0.01)
        return original(self, records, via_mhst)

    monkeypatch.setattr(merge.Merger, "apply_all", until_the_lock)
    window = open_window(office)
    qtbot.waitUntil(applying.is_set, timeout=20000)
    stop_flag["event"] = window.team_syncer.current.stop
    ctrl_l(qtbot, window)
    assert window.ctx.session is None and window.unlock_screen.isVisible()
    assert _open_handles(office.data_dir / "schoolmh.db") == []  # neither the window's connection nor the worker's
    monkeypatch.undo()
    session = access.sign_in(office.data_dir, "lead", LEAD_PASSWORD)
    try:
        assert state.chain(lead_id, "school")[0] == 2  # the join's bundle, then the one under way: whole
        count = "SELECT count(*) FROM session WHERE note LIKE ?"
        assert session.db.execute_sql(count, ("Batch0x%",)).fetchone()[0] == 400
        assert session.db.execute_sql(count, ("Batch1x%",)).fetchone()[0] == 0  # the rest waits for next time
        assert integrity_ok(session.db) and vault_admin.verify_audit(session).ok
    finally:
        session.close()


def test_lock_with_a_hanging_team_folder_returns_at_once_and_publishes_later(qtbot, laptops, open_window, monkeypatch):
    lead, office, folder = laptops
    answer = threading.Event()  # the network share answers again
    inside = []
    real_scan, real_check = team_folder.scan, team_folder.check_reachable

    def hanging(real):
        def call(path):
            inside.append(threading.current_thread().name)
            answer.wait(60)
            inside.remove(threading.current_thread().name)
            return real(path)
        return call

    monkeypatch.setattr(team_folder, "scan", hanging(real_scan))
    monkeypatch.setattr(team_folder, "check_reachable", hanging(real_check))
    window = open_window(office)
    qtbot.waitUntil(lambda: "team-exchange" in inside, timeout=10000)  # the sign-in's exchange: stuck on the folder
    pupils.create_pupil(window.ctx.session, legal_forename="Typed", legal_surname="Before Lock", year_group=8)
    ctrl_l(qtbot, window)
    assert window.ctx.session is None and window.unlock_screen.isVisible()
    qtbot.waitUntil(lambda: "team-publish" in inside, timeout=10000)
    assert "team-exchange" in inside  # the lock did not wait for the folder: both threads are still stuck there
    box = outbox.path_for(office.data_dir)
    assert len(outbox.waiting(box)) == 1  # the last change was packed at lock, on local disk
    answer.set()
    qtbot.waitUntil(lambda: outbox.waiting(box) == [] and not inside, timeout=20000)
    monkeypatch.undo()
    # Signed in again, the window exchanges again (the stopped exchange left nothing stuck behind).
    sign_in_with_enter(qtbot, window.unlock_screen, LEAD_PASSWORD, "lead")
    qtbot.waitUntil(lambda: window.ctx.session is not None, timeout=10000)
    qtbot.waitUntil(lambda: window.team_syncer.label.text() == "Team: Up to date" and not window.team_syncer.busy,
                    timeout=20000)
    ctrl_l(qtbot, window)
    report = lead.sync()
    assert report.applied == 1
    with lead as s:
        assert s.db.execute_sql("SELECT count(*) FROM pupil WHERE legal_surname = 'Before Lock'").fetchone()[0] == 1


def test_closing_the_window_packs_and_publishes_the_last_changes(qtbot, laptops, open_window, monkeypatch):
    lead, office, folder = laptops
    window = open_window(office)
    qtbot.waitUntil(lambda: window.team_syncer.label.text() == "Team: Up to date", timeout=20000)
    pupils.create_pupil(window.ctx.session, legal_forename="Typed", legal_surname="Before Quit", year_group=8)
    window.close()
    assert window.ctx.session is None
    box = outbox.path_for(office.data_dir)
    qtbot.waitUntil(lambda: outbox.waiting(box) == [], timeout=10000)
    assert lead.sync().applied == 1
    with lead as s:
        assert s.db.execute_sql("SELECT count(*) FROM pupil WHERE legal_surname = 'Before Quit'").fetchone()[0] == 1


def test_exchange_now_runs_on_a_worker_and_a_lock_stops_it_after_the_bundle_under_way(
        qtbot, laptops, open_window, monkeypatch, message_boxes):
    from schoolmh.services.team import background
    from support import click

    lead, office, folder = laptops
    window = open_window(office)
    qtbot.waitUntil(lambda: window.team_syncer.label.text() == "Team: Up to date", timeout=20000)
    _lead_writes_bundles(lead, [200, 200])
    with lead as s:
        lead_id = state.load().laptop_id
    database_proxy.initialize(office.session.vault.db)
    threads = []
    original = merge.Merger.apply_all

    def until_the_lock(self, records, via_mhst):
        threads.append(threading.current_thread())
        job = next(j for j in list(background._running) if j.session is office.session)
        job.stop.wait(30)  # still applying the first bundle when Ctrl+L is pressed
        return original(self, records, via_mhst)

    monkeypatch.setattr(merge.Merger, "apply_all", until_the_lock)
    press(qtbot, window, Qt.Key.Key_7, Qt.KeyboardModifier.ControlModifier)  # Admin
    admin = window.workspace.pages["admin"]
    bar = admin.tabs.tabBar()
    qtbot.mouseClick(bar, Qt.MouseButton.LeftButton, pos=bar.tabRect(admin.tabs.indexOf(admin.team)).center())
    click(qtbot, admin.team.sync_button)
    qtbot.waitUntil(lambda: bool(threads), timeout=20000)
    ctrl_l(qtbot, window)
    assert window.ctx.session is None and threads[0] is not threading.main_thread()
    qtbot.waitUntil(lambda: not background._running, timeout=20000)
    qtbot.waitUntil(lambda: any("locked before this finished" in text for _, text in message_boxes), timeout=10000)
    monkeypatch.undo()
    session = access.sign_in(office.data_dir, "lead", LEAD_PASSWORD)
    try:
        assert state.chain(lead_id, "school")[0] == 2  # the join's bundle, then the one under way: whole
        assert session.db.execute_sql("SELECT count(*) FROM session WHERE note LIKE 'Batch0x%'").fetchone()[0] == 200
        assert session.db.execute_sql("SELECT count(*) FROM session WHERE note LIKE 'Batch1x%'").fetchone()[0] == 0
    finally:
        session.close()


def test_a_session_saved_shows_as_a_change_to_send_at_once(qtbot, laptops, open_window):
    """The status bar said "Up to date" until the next exchange, five minutes later, after a save."""
    lead, office, folder = laptops
    with office as s:
        pupils.create_pupil(s, legal_forename="Quinn", legal_surname="Sendlater", year_group=8)
    window = open_window(office)
    qtbot.waitUntil(lambda: window.team_syncer.label.text() == "Team: Up to date" and not window.team_syncer.busy,
                    timeout=20000)
    record_quick_session(qtbot, window, "sendlater")
    qtbot.waitUntil(lambda: window.team_syncer.label.text() == "Team: 1 change to send", timeout=5000)
