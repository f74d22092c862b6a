"""Pages a role may not use are absent from the sidebar (not greyed); Ctrl+N needs SESSION_WRITE."""
from __future__ import annotations

import pytest

from schoolmh.services import access
from schoolmh.ui.context import AppContext

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
    name, password = ("lead", "correct horse battery staple") if role == "lead" else (f"{role}1", "another long passphrase")
    window.signed_in(access.sign_in(vault, name, password))
    try:
        assert window.workspace.keys() == EXPECTED[role]
        labels = [window.workspace.sidebar.item(i).text() for i in range(window.workspace.sidebar.count())]
        if role != "lead":
            assert "Admin" not in labels
        # a page the role may not see cannot be reached by key either
        for key in set(ALL) - set(EXPECTED[role]):
            window.go(key)
            assert window.workspace.page(key) is None
        assert window.workspace.current_key in EXPECTED[role]
        assert "DEMO" not in window.windowTitle()
    finally:
        window.close()
