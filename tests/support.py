"""Helpers shared by test modules (import as `from support import ...`).

Kept out of conftest.py because tests/ui/ has a conftest of its own and both
would be imported under the one module name "conftest".
"""
from __future__ import annotations

import hashlib
import shutil
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import keyring
import keyring.errors
from keyring.backend import KeyringBackend

from schoolmh.services import users

LEAD_PASSWORD = "correct horse battery staple"
STAFF_PASSWORD = "another long passphrase"


def add_staff(session, username: str, role: str, name: str | None = None):
    return users.add_user(session, username, name or username.title(), role, STAFF_PASSWORD)


def vault_copy(template: Path, tmp_path: Path, name: str = "vault") -> Path:
    """A test's own copy of a module's template vault, so the vault is built once per module."""
    copy = tmp_path / name
    shutil.copytree(template, copy)
    return copy


def file_sha256(path: Path) -> str:
    """SHA-256 of a file, to show that a refused or failed action left it byte for byte as it was."""
    return hashlib.sha256(path.read_bytes()).hexdigest()


class MemoryKeyring(KeyringBackend):
    """A keyring that lives in a dict: the 'OS password store' for tests."""

    priority = 1

    def __init__(self) -> None:
        super().__init__()
        self.items: dict[tuple[str, str], str] = {}

    def set_password(self, service: str, username: str, password: str) -> None:
        self.items[(service, username)] = password

    def get_password(self, service: str, username: str) -> str | None:
        return self.items.get((service, username))

    def delete_password(self, service: str, username: str) -> None:
        if self.items.pop((service, username), None) is None:
            raise keyring.errors.PasswordDeleteError("not found")


@contextmanager
def keyring_backend(backend: KeyringBackend) -> Iterator[KeyringBackend]:
    """Use `backend` as the OS keyring inside the block, then put the previous one back."""
    previous = keyring.get_keyring()
    keyring.set_keyring(backend)
    try:
        yield backend
    finally:
        keyring.set_keyring(previous)


# --- driving the window as a user does (Qt imported here only when a UI test calls these) ------------------
def activate(qtbot, window) -> None:
    """Make `window` the active one: shortcuts reach an active window only, and activation is asynchronous."""
    window.activateWindow()
    qtbot.waitUntil(window.isActiveWindow)


def press(qtbot, window, key, modifier=None) -> None:
    """A key pressed in `window` where its focus is (e.g. Ctrl+L), as a user would."""
    from PySide6.QtCore import Qt

    activate(qtbot, window)
    target = window.focusWidget() or window
    qtbot.keyClick(target, key, modifier if modifier is not None else Qt.KeyboardModifier.NoModifier)


def ctrl_l(qtbot, window) -> None:
    """Lock the main window with Ctrl+L."""
    from PySide6.QtCore import Qt

    press(qtbot, window, Qt.Key.Key_L, Qt.KeyboardModifier.ControlModifier)


def sign_in_with_enter(qtbot, screen, password: str, username: str | None = None) -> None:
    """Type the password (and user name) on the unlock screen and press Enter."""
    from PySide6.QtCore import Qt

    if username is not None:
        screen.username.setText(username)
    screen.password.setText(password)
    qtbot.keyClick(screen.password, Qt.Key.Key_Return)


def click(qtbot, button) -> None:
    """A left click where a user would click: a check box or radio button on its box (its middle may
    be empty space past the label, which Qt rightly ignores), any other button in its middle."""
    from PySide6.QtCore import QPoint, Qt
    from PySide6.QtWidgets import QCheckBox, QRadioButton, QStyle, QStyleOptionButton

    if isinstance(button, (QCheckBox, QRadioButton)):
        option = QStyleOptionButton()
        button.initStyleOption(option)
        element = QStyle.SubElement.SE_CheckBoxIndicator if isinstance(button, QCheckBox) \
            else QStyle.SubElement.SE_RadioButtonIndicator
        qtbot.mouseClick(button, Qt.MouseButton.LeftButton,
                         pos=button.style().subElementRect(element, option, button).center())
        return
    qtbot.mouseClick(button, Qt.MouseButton.LeftButton, pos=QPoint(button.width() // 2, button.height() // 2))


def one_line_error(err: str) -> str:
    """A command's failure as people see it: one line on stderr, no traceback."""
    lines = [line for line in err.splitlines() if line.strip()]
    assert len(lines) == 1, err
    assert "Traceback" not in err and lines[0].startswith("schoolmh")  # "schoolmh: …" or argparse's "schoolmh team …: …"
    return lines[0]


def school_vault(folder: Path, *accounts: tuple[str, str, str, str]) -> tuple[Path, str]:
    """A new vault for Oakfield Academy with Alex Lead ("lead") and the given (user name, full name,
    role, password) accounts; returns (folder, recovery key). Module fixtures build one and copy it."""
    from schoolmh.services import access

    setup = access.init_school(folder, "Oakfield Academy", "lead", "Alex Lead", LEAD_PASSWORD)
    for username, full_name, role, password in accounts:
        users.add_user(setup.session, username, full_name, role, password)
    setup.session.close()
    return folder, setup.recovery_key


def record_quick_session(qtbot, window, typed: str):
    """Ctrl+N, type part of a name, Enter picks the first match, Enter saves: as a pastoral worker does."""
    from PySide6.QtCore import Qt
    from PySide6.QtWidgets import QApplication

    press(qtbot, window, Qt.Key.Key_N, Qt.KeyboardModifier.ControlModifier)
    qtbot.waitUntil(lambda: QApplication.activeModalWidget() is not None)
    dialog = QApplication.activeModalWidget()
    qtbot.keyClicks(dialog.picker, typed)
    qtbot.keyClick(dialog.picker, Qt.Key.Key_Return)  # picks the first match
    qtbot.keyClick(dialog.picker, Qt.Key.Key_Return)  # saves
    qtbot.waitUntil(lambda: not dialog.isVisible())
    activate(qtbot, window)
