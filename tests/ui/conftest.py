"""UI fixtures shared by the UI helpers' tests: an AppContext and a signed-in main window over a real vault."""
from __future__ import annotations

import pytest

from schoolmh.ui.context import AppContext


@pytest.fixture(autouse=True)
def message_boxes(monkeypatch):
    """Message boxes are recorded instead of blocking the test run: a list of (title, text).

    Static helpers return the default (Ok / No); a QMessageBox built by hand and exec()'d is rejected.
    """
    from PySide6.QtWidgets import QMessageBox

    shown: list[tuple[str, str]] = []

    def static(default):
        def show(parent, title, text, *args, **kwargs):
            shown.append((title, text))
            return default

        return show

    monkeypatch.setattr(QMessageBox, "information", static(QMessageBox.StandardButton.Ok))
    monkeypatch.setattr(QMessageBox, "warning", static(QMessageBox.StandardButton.No))
    monkeypatch.setattr(QMessageBox, "critical", static(QMessageBox.StandardButton.Ok))
    monkeypatch.setattr(QMessageBox, "question", static(QMessageBox.StandardButton.No))

    def exec_(box):
        shown.append((box.windowTitle(), box.text()))
        return 0

    monkeypatch.setattr(QMessageBox, "exec", exec_)
    return shown


@pytest.fixture
def app_ctx(qapp, lead_session, vault_dir):
    """An AppContext holding the lead's open session (for testing a page or dialog on its own)."""
    ctx = AppContext(vault_dir)
    ctx.session = lead_session
    yield ctx
    ctx.session = None


@pytest.fixture
def main_window(qtbot, lead_session, vault_dir):
    """The main window signed in as the lead (pages load lazily; placeholders for pages not written yet)."""
    from schoolmh.ui.main_window import MainWindow

    ctx = AppContext(vault_dir)
    window = MainWindow(ctx)
    qtbot.addWidget(window)
    window.resize(1366, 768)
    window.show()
    window.signed_in(lead_session)
    window.activateWindow()  # shortcuts reach an active window only; activation is asynchronous
    qtbot.waitUntil(window.isActiveWindow)
    yield window
    window.lock_manager.stop()


def widget_texts(root) -> list[str]:
    """Every piece of text shown under `root` (labels, inputs, buttons, item views), for planted-name checks."""
    from PySide6.QtWidgets import QAbstractButton, QAbstractItemView, QLabel, QLineEdit, QPlainTextEdit, QTextEdit, QWidget

    texts = []
    for widget in [root, *root.findChildren(QWidget)]:
        if isinstance(widget, (QLabel, QLineEdit, QAbstractButton)):
            texts.append(widget.text())
        elif isinstance(widget, QPlainTextEdit):
            texts.append(widget.toPlainText())
        elif isinstance(widget, QTextEdit):
            texts.append(widget.toPlainText())
        elif isinstance(widget, QAbstractItemView) and widget.model() is not None:
            from PySide6.QtCore import QModelIndex

            model = widget.model()
            for r in range(model.rowCount(QModelIndex())):
                c = 0
                while model.index(r, c, QModelIndex()).isValid():  # columnCount is private on list models
                    texts.append(str(model.index(r, c, QModelIndex()).data() or ""))
                    c += 1
        texts.append(widget.windowTitle())
        texts.append(widget.accessibleName())
    return texts


@pytest.fixture
def texts_under():
    """texts_under(widget) -> list of every text shown under it."""
    return widget_texts
