"""Shared fixtures: a real encrypted vault in a temp folder, cheap KDF (the one test-only setting)."""
from __future__ import annotations

import faulthandler
import os
import tempfile

os.environ["SCHOOLMH_TEST_FAST_KDF"] = "1"
# The rollback anchor (db/anchor.py) never in the real profile or keyring, even for module-scoped vaults.
os.environ["SCHOOLMH_CONFIG_DIR"] = tempfile.mkdtemp(prefix="schoolmh-config-")
os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

import pytest  # noqa: E402

from schoolmh.services import access  # noqa: E402
from support import LEAD_PASSWORD, STAFF_PASSWORD, add_staff  # noqa: E402,F401


@pytest.fixture(scope="session")
def qapp_args():
    """The tests' QApplication has the app's style on every OS (Fusion: ui/app.py style_arguments)…"""
    from schoolmh.ui.app import style_arguments

    return ["schoolmh-tests", *style_arguments()]


@pytest.fixture(scope="session")
def qapp(qapp):
    """…and its style sheet, so CI on Windows and macOS drives the widgets staff see."""
    from schoolmh.ui import idle_gc
    from schoolmh.ui.app import apply_style

    apply_style(qapp)
    idle_gc.install(qapp)  # as the app does: the cyclic collector runs only between events
    return qapp


@pytest.fixture(autouse=True)
def _collect_between_tests():
    """With automatic collection off (ui/idle_gc.py), collect what is due after each test, outside Qt calls."""
    yield
    import gc

    if not gc.isenabled():
        from schoolmh.ui.idle_gc import collect_due

        collect_due()


@pytest.fixture(autouse=True, scope="session")
def _isolated_qsettings(tmp_path_factory):
    """The window's remembered geometry goes to a temp folder, never the tester's own settings."""
    from PySide6.QtCore import QSettings

    QSettings.setPath(QSettings.Format.IniFormat, QSettings.Scope.UserScope, str(tmp_path_factory.mktemp("qsettings")))


@pytest.fixture(autouse=True)
def _isolated_logs(tmp_path_factory, monkeypatch):
    monkeypatch.setenv("SCHOOLMH_LOG_DIR", str(tmp_path_factory.mktemp("logs")))
    # The rollback anchor (db/anchor.py) in a folder of the test's own, not the user's profile or keyring.
    monkeypatch.setenv("SCHOOLMH_CONFIG_DIR", str(tmp_path_factory.mktemp("config")))


@pytest.fixture
def vault_dir(tmp_path):
    return tmp_path / "vault"


@pytest.fixture
def lead_session(vault_dir):
    """A new vault signed in as the lead ('lead'); closed after the test."""
    setup = access.init_school(vault_dir, "Oakfield Academy", "lead", "Alex Lead", LEAD_PASSWORD)
    yield setup.session
    setup.session.close()


@pytest.fixture
def recovery_key(vault_dir):
    """A vault (lead/LEAD_PASSWORD) whose recovery key is returned; the session is closed."""
    setup = access.init_school(vault_dir, "Oakfield Academy", "lead", "Alex Lead", LEAD_PASSWORD)
    setup.session.close()
    return setup.recovery_key


@pytest.fixture
def sign_in_as(lead_session, vault_dir):
    """sign_in_as(role) -> a Session for a new account of that role (closes the lead's session first)."""
    opened = []

    def _sign_in(role: str):
        name = f"{role}1"
        if lead_session.is_open:
            add_staff(lead_session, name, role)
            lead_session.close()
        session = access.sign_in(vault_dir, name, STAFF_PASSWORD)
        opened.append(session)
        return session

    yield _sign_in
    for s in opened:
        if s.is_open:
            s.close()


@pytest.fixture
def cli(monkeypatch, capsys):
    """cli(*args, env={...}, stdin="...") -> (exit code, stdout, stderr): `schoolmh …` in this process,
    with none of the caller's SCHOOLMH_* secrets or choices leaking in."""
    import io
    import sys

    from schoolmh.cli import common
    from schoolmh.cli import main as cli_main

    for name in ("SCHOOLMH_PASSWORD", "SCHOOLMH_NEW_PASSWORD", "SCHOOLMH_USER", "SCHOOLMH_DATA_DIR",
                 "SCHOOLMH_TEAM_CODE"):
        monkeypatch.delenv(name, raising=False)

    def run(*args, env: dict[str, str] | None = None, stdin: str = ""):
        with monkeypatch.context() as m:
            for k, v in (env or {}).items():
                m.setenv(k, v)
            m.setattr(sys, "stdin", io.StringIO(stdin))
            m.setattr(common, "_stdin_lines", None)
            try:
                code = cli_main([str(a) for a in args])
            except SystemExit as exc:  # argparse usage errors
                code = exc.code
        out, err = capsys.readouterr()
        return code, out, err

    return run


# A test that waits for ever (a real modal dialog opened by a stray key, a lock never released) must
# fail the run with every thread's stack, not hold CI until its 90-minute limit. The whole suite
# takes under 5 minutes, so no single test comes near this.
TEST_TIME_LIMIT_S = float(os.environ.get("SCHOOLMH_TEST_TIME_LIMIT", "300"))
_stacks_to = None  # the terminal's stderr, kept before pytest captures it for each test


def pytest_configure(config):
    global _stacks_to
    _stacks_to = os.fdopen(os.dup(2), "w")  # capture is suspended while plugins configure (as pytest's faulthandler does)


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_protocol(item, nextitem):
    faulthandler.dump_traceback_later(TEST_TIME_LIMIT_S, exit=True, file=_stacks_to)
    try:
        yield
    finally:
        faulthandler.cancel_dump_traceback_later()
