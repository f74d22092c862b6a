"""Signing in loads the first page once (not once when focus lands on the sidebar and again on navigation)."""
from __future__ import annotations

from PySide6.QtCore import Qt

from schoolmh.ui.context import AppContext
from support import LEAD_PASSWORD


def test_first_page_loads_once_at_sign_in(qtbot, recovery_key, vault_dir, monkeypatch):
    from schoolmh.ui.main_window import MainWindow
    from schoolmh.ui.pages.dashboard import DashboardPage

    calls = []
    original = DashboardPage.refresh
    monkeypatch.setattr(DashboardPage, "refresh", lambda self: (calls.append(1), original(self))[1])
    window = MainWindow(AppContext(vault_dir))
    qtbot.addWidget(window)
    window.resize(1366, 768)
    window.show()
    window.activateWindow()
    qtbot.waitActive(window)
    for attempt in range(2):  # the first sign-in, and again after a lock
        screen = window.unlock_screen
        screen.username.setText("lead")
        screen.password.setFocus()
        screen.password.setText(LEAD_PASSWORD)
        qtbot.keyClick(screen.password, Qt.Key.Key_Return)
        qtbot.waitUntil(lambda: window.workspace is not None and window.workspace.current_key == "dashboard")
        qtbot.wait(50)
        assert len(calls) == 1, f"sign-in {attempt + 1} loaded the dashboard {len(calls)} times"
        calls.clear()
        window.do_lock()
        qtbot.waitUntil(lambda: window.workspace is None)
    window.lock_manager.stop()
