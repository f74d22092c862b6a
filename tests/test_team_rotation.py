"""Rotate all keys on a team laptop: refused with the way that works, and nothing changes.

Every laptop of a team opens its vault with the data key they share (docs/TEAM.md), so a new
key on one laptop alone would leave the others on the old key and stop passwords travelling
between them, while shutting nobody out. The lead is told what does work (remove a lost
laptop; reset a password that got out) in the window and on the command line.
"""
from __future__ import annotations

import pytest

from schoolmh.db.keyfile import KEYFILE_NAME
from schoolmh.errors import ValidationError
from schoolmh.services import vault_admin
from support import LEAD_PASSWORD, file_sha256, one_line_error
from team_support import start_team

ENV = {"SCHOOLMH_PASSWORD": LEAD_PASSWORD}
BLOCKED = "its data key is shared with the other laptops"


def _fingerprint(data_dir):
    return {name: file_sha256(data_dir / name) for name in ("schoolmh.db", KEYFILE_NAME)}


def test_the_service_refuses_and_changes_nothing(tmp_path):
    lead, _ = start_team(tmp_path)
    try:
        with lead as s:
            s.db.execute_sql("PRAGMA wal_checkpoint(TRUNCATE)")
            before = _fingerprint(lead.data_dir)
            assert BLOCKED in vault_admin.rotation_blocked(s)
            with pytest.raises(ValidationError, match="Remove laptop"):
                vault_admin.rotate_keys(s, LEAD_PASSWORD)
            s.db.execute_sql("PRAGMA wal_checkpoint(TRUNCATE)")
            assert _fingerprint(lead.data_dir) == before
    finally:
        lead.close()


def test_a_laptop_outside_any_team_still_rotates(lead_session):
    assert vault_admin.rotation_blocked(lead_session) is None


def test_the_command_says_so_in_one_line(tmp_path, cli):
    lead, _ = start_team(tmp_path)
    lead.close()
    code, out, err = cli("rotate-keys", "--data-dir", lead.data_dir, "--user", "lead",
                         "--recovery-key-file", tmp_path / "new-key.txt", env=ENV)
    assert code == 2 and BLOCKED in one_line_error(err)
    assert not (tmp_path / "new-key.txt").exists()


def test_the_button_explains_instead_of_asking(qtbot, tmp_path, monkeypatch):
    from schoolmh.ui.context import AppContext
    from schoolmh.ui.pages import admin

    lead, _ = start_team(tmp_path)
    try:
        ctx = AppContext(lead.data_dir)
        ctx.session = lead.session
        tab = admin.VaultTab(ctx)
        qtbot.addWidget(tab)
        tab.show()
        asked, told = [], []
        monkeypatch.setattr(admin, "info", lambda _w, title, text: told.append((title, text)))
        monkeypatch.setattr(admin, "confirm", lambda *a, **k: asked.append(a[1]) or True)
        monkeypatch.setattr(admin.QInputDialog, "getText", lambda *a, **k: asked.append(a[1]) or (LEAD_PASSWORD, True))
        qtbot.mouseClick(tab.rotate_button, admin.Qt.MouseButton.LeftButton)
        assert asked == [] and [t for t, _ in told] == ["Rotate all keys"]
        assert BLOCKED in told[0][1] and "Admin → Team → Remove laptop…" in told[0][1]
        ctx.session = None
    finally:
        lead.close()


def test_disabling_on_a_team_laptop_says_what_reaches_the_others_and_offers_no_rotation(qtbot, tmp_path, monkeypatch):
    from schoolmh.services import users
    from schoolmh.ui.context import AppContext
    from schoolmh.ui.pages import admin

    lead, _ = start_team(tmp_path)
    try:
        ctx = AppContext(lead.data_dir)
        ctx.session = lead.session
        page = admin.AdminPage(ctx)
        qtbot.addWidget(page)
        page.show()
        page.refresh()
        asked, told = [], []
        monkeypatch.setattr(admin, "confirm", lambda _w, title, *a, **k: asked.append(title) or True)
        monkeypatch.setattr(admin, "info", lambda _w, title, text: told.append(text))
        proxy = page.users.proxy
        row = next(r for r in range(proxy.rowCount()) if proxy.row_at(proxy.index(r, 0)).username == "pastoral1")
        page.users.table.setCurrentIndex(proxy.index(row, 0))
        qtbot.mouseClick(page.users.disable_button, admin.Qt.MouseButton.LeftButton)
        assert not {u.username: u for u in users.list_users(lead.session)}["pastoral1"].active
        assert asked == ["Disable account"]  # no "Rotate all keys?" on a team laptop
        assert "reaches the school's other laptops" in told[-1] and "Remove laptop" in told[-1]
        ctx.session = None
    finally:
        lead.close()


def test_the_command_line_disable_says_the_same(tmp_path, cli):
    lead, _ = start_team(tmp_path)
    lead.close()
    code, out, err = cli("users", "disable", "pastoral1", "--data-dir", lead.data_dir, "--user", "lead", env=ENV)
    assert code == 0, err
    assert "reaches the school's other laptops" in out and "schoolmh team remove-laptop NAME" in out
    assert "rotate-keys" not in out
