"""Pages a role may not use are absent from the sidebar (not greyed); Ctrl+N needs SESSION_WRITE."""
from __future__ import annotations

import pytest
from PySide6.QtCore import Qt

from schoolmh.services import access
from schoolmh.ui.context import AppContext
from support import press, sign_in_with_enter

ALL = ["dashboard", "pupils", "sessions", "whole_school", "liaison", "reports", "admin"]
EXPECTED = {
    "lead": ALL,
    "pastoral": ["dashboard", "pupils", "sessions", "whole_school"],
    "head": ["dashboard", "pupils", "whole_school", "reports"],
    "mhst": ["dashboard", "pupils", "sessions", "whole_school", "liaison"],
}


def _vault(tmp_path):
    from schoolmh.services import users

    folder = tmp_path / "vault"
    setup = access.init_school(folder, "Oakfield Academy", "lead", "Alex Lead", "correct horse battery staple")
    for role in ("pastoral", "head", "mhst"):
        users.add_user(setup.session, f"{role}1", f"{role.title()} One", role, "another long passphrase")
    setup.session.close()
    return folder


@pytest.fixture(scope="module")
def vault(tmp_path_factory):
    return _vault(tmp_path_factory.mktemp("roles"))


@pytest.mark.parametrize("role", ["lead", "pastoral", "head", "mhst"])
def test_sidebar_shows_only_the_roles_pages(qtbot, vault, role):
    from schoolmh.ui.main_window import MainWindow

    window = MainWindow(AppContext(vault))
    qtbot.addWidget(window)
    window.show()
    name, password = ("lead", "correct horse battery staple") if role == "lead" else (f"{role}1", "another long passphrase")
    sign_in_with_enter(qtbot, window.unlock_screen, password, username=name)
    try:
        assert window.workspace.keys() == EXPECTED[role]
        labels = [window.workspace.sidebar.item(i).text() for i in range(window.workspace.sidebar.count())]
        if role != "lead":
            assert "Admin" not in labels
        # a page the role may not see cannot be reached by key either: Ctrl+1…9 reach only its own
        for digit in range(1, 10):
            press(qtbot, window, Qt.Key(Qt.Key.Key_0 + digit), Qt.KeyboardModifier.ControlModifier)
            assert window.workspace.current_key in EXPECTED[role]
        hidden = set(ALL) - set(EXPECTED[role])
        assert not hidden & set(window.workspace.pages)  # never built
        for key in hidden:  # nor through the app's own navigation (a dashboard row, a link)
            window.ctx.navigate.emit(key)
            assert window.workspace.page(key) is None and window.workspace.current_key in EXPECTED[role]
        assert "DEMO" not in window.windowTitle()
    finally:
        window.close()
