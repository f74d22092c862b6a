"""The window's side of issue 14 items 2, 5 and 6 and issue 11 item 5.

- first run where the default folder is refused (OneDrive): a folder picker, not a dead end;
- the recovery sheet saved into a synced folder: a warning and printing directly instead;
- one window per vault: the lock the CLI's restore also takes;
- the window's save dialogs cannot write into the vault's folder.
"""
from __future__ import annotations

import pytest
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QFileDialog, QMessageBox

from schoolmh.ui.context import AppContext

LEAD_PW = "correct horse battery staple"
KEY = "ABCD-EFGH-JKLM-NPQR-STUV-WXYZ-2345"


@pytest.fixture
def onedrive(tmp_path, monkeypatch):
    """A Known Folder Move laptop: Documents and Desktop live under %OneDriveCommercial%."""
    from schoolmh.db import location

    root = tmp_path / "Oakfield Academy Trust"
    (root / "Documents").mkdir(parents=True)
    monkeypatch.setenv("OneDriveCommercial", str(root))
    monkeypatch.setattr(location.sys, "platform", "win32")
    monkeypatch.setattr(location, "_windows_api", lambda: (_ for _ in ()).throw(OSError("no Win32 here")))
    monkeypatch.setattr(location, "_winreg", lambda: (_ for _ in ()).throw(ImportError("winreg")))
    monkeypatch.setattr(location, "_pointer_file", lambda: tmp_path / "config" / location.POINTER_NAME)
    return root


def test_first_run_offers_a_folder_picker_when_the_default_is_refused(qtbot, tmp_path, onedrive, monkeypatch):
    from schoolmh.db.vault import default_data_dir
    from schoolmh.ui.app import start

    refused = onedrive / "Documents" / "SchoolMH"
    ctx = AppContext(refused)
    holder = start(ctx)
    wizard = holder["wizard"]
    qtbot.addWidget(wizard)
    page = wizard.school_page
    qtbot.keyClicks(page.school, "Oakfield Academy")
    assert "%OneDriveCommercial%" in page.folder_problem.message
    assert not page.isComplete()  # Next stays off...
    assert page.folder_button.isEnabled()  # ...but there is a way on
    local = tmp_path / "Local disk"
    local.mkdir()
    monkeypatch.setattr(page, "ask_folder", lambda: str(local))
    qtbot.mouseClick(page.folder_button, Qt.MouseButton.LeftButton)
    assert ctx.data_dir == local / "SchoolMH"
    assert page.folder_problem.isHidden() and page.isComplete()
    wizard.next()
    lead = wizard.lead_page
    qtbot.keyClicks(lead.username, "a.lead")
    lead.full_name.setText("Alex Lead")
    lead.fields.password.setText(LEAD_PW)
    lead.fields.confirm.setText(LEAD_PW)
    wizard.next()
    assert wizard.currentPage() is wizard.key_page
    assert (local / "SchoolMH" / "vault.keys").exists() and not refused.exists()
    monkeypatch.delenv("SCHOOLMH_DATA_DIR", raising=False)
    assert default_data_dir() == local / "SchoolMH"  # the next start (window or CLI) finds it
    wizard.key_page.panel.forget()
    wizard.session.close()
    wizard.session = None


def test_a_picked_folder_that_is_synced_too_is_refused(qtbot, tmp_path, onedrive, monkeypatch):
    from schoolmh.ui.first_run import FirstRunWizard

    ctx = AppContext(onedrive / "Documents" / "SchoolMH")
    wizard = FirstRunWizard(ctx)
    qtbot.addWidget(wizard)
    page = wizard.school_page
    monkeypatch.setattr(page, "ask_folder", lambda: str(onedrive / "Desktop"))
    qtbot.mouseClick(page.folder_button, Qt.MouseButton.LeftButton)
    assert "%OneDriveCommercial%" in page.folder_problem.message and not page.isComplete()


def sheet_text(path) -> str:
    import unicodedata

    from pypdf import PdfReader

    text = "".join(page.extract_text() for page in PdfReader(str(path)).pages)
    return unicodedata.normalize("NFKC", text).replace("\t", " ")  # Qt's PDF writer uses ligatures and tabs


def pdf_printer(path):
    from PySide6.QtPrintSupport import QPrinter

    printer = QPrinter(QPrinter.PrinterMode.HighResolution)
    printer.setOutputFormat(QPrinter.OutputFormat.PdfFormat)
    printer.setOutputFileName(str(path))
    return printer


@pytest.fixture
def panel(qtbot):
    from schoolmh.ui.recovery import RecoveryKeyPanel

    widget = RecoveryKeyPanel()
    qtbot.addWidget(widget)
    widget.set_key(KEY, "Oakfield Academy")
    widget.show()
    return widget


def answer(monkeypatch, button_text: str, shown: list) -> None:
    """Answer the next hand-built message box by clicking the button with this text."""
    def exec_(box):
        shown.append((box.windowTitle(), box.text()))
        next(b for b in box.buttons() if b.text().replace("&", "") == button_text).click()
        return 0

    monkeypatch.setattr(QMessageBox, "exec", exec_)


def click_print_sheet(qtbot, panel, monkeypatch, target):
    """Click "Print recovery sheet…" and answer the save dialog with this path, as a user would."""
    monkeypatch.setattr(QFileDialog, "getSaveFileName", lambda *a, **k: (str(target), "PDF (*.pdf)"))
    qtbot.mouseClick(panel.print_button, Qt.MouseButton.LeftButton)


def test_saving_the_sheet_into_onedrive_warns_and_cancel_writes_nothing(qtbot, panel, onedrive, message_boxes,
                                                                        monkeypatch):
    pytest.importorskip("schoolmh.reports.recovery_sheet")
    target = onedrive / "Documents" / "recovery.pdf"
    click_print_sheet(qtbot, panel, monkeypatch, target)
    assert not target.exists() and panel.saved_sheet is None
    title, text = message_boxes[-1]
    assert "cloud-synced" in text and "survives deleting the file" in text


def test_saving_there_anyway_is_the_users_choice(qtbot, panel, onedrive, monkeypatch):
    pytest.importorskip("schoolmh.reports.recovery_sheet")
    shown = []
    answer(monkeypatch, "Save there anyway", shown)
    target = onedrive / "Documents" / "recovery.pdf"
    click_print_sheet(qtbot, panel, monkeypatch, target)
    assert panel.saved_sheet == target and target.exists() and shown


def test_print_directly_from_the_warning_saves_no_file(qtbot, panel, onedrive, monkeypatch, tmp_path):
    shown = []
    answer(monkeypatch, "Print directly", shown)
    printed = tmp_path / "printer-output.pdf"
    monkeypatch.setattr(panel, "ask_printer", lambda: pdf_printer(printed))
    target = onedrive / "Documents" / "recovery.pdf"
    click_print_sheet(qtbot, panel, monkeypatch, target)
    assert not target.exists() and panel.saved_sheet is None
    text = sheet_text(printed)
    assert all(group in text for group in KEY.split("-")) and "Oakfield Academy" in text


def test_the_print_directly_button(qtbot, panel, monkeypatch, tmp_path):
    printed = tmp_path / "printer-output.pdf"
    monkeypatch.setattr(panel, "ask_printer", lambda: pdf_printer(printed))
    assert panel.direct_button.accessibleName()
    qtbot.mouseClick(panel.direct_button, Qt.MouseButton.LeftButton)
    text = sheet_text(printed)
    assert all(group in text for group in KEY.split("-"))
    assert "No file was saved" in panel.saved_label.text()


def test_one_window_per_vault(qtbot, recovery_key, vault_dir, message_boxes, tmp_path):
    """The window holds the lock for as long as it is open: a second window, or the CLI's restore, is refused."""
    from schoolmh.db.instance_lock import vault_lock
    from schoolmh.ui.app import ALREADY_OPEN, start

    first = start(AppContext(vault_dir))
    qtbot.addWidget(first)
    try:
        assert first.vault_lock.isLocked()
        import subprocess
        import sys

        code = ("import sys; from pathlib import Path; from schoolmh.db.instance_lock import InstanceLock\n"
                "try:\n    InstanceLock(Path(sys.argv[1])).acquire()\nexcept Exception as e:\n    print(type(e).__name__)")
        other = subprocess.run([sys.executable, "-c", code, str(vault_dir)], capture_output=True, text=True)
        assert other.stdout.strip() == "VaultBusy"  # the CLI, from another process
        with vault_lock(vault_dir):  # this process is the window: its own restore may go ahead
            pass
        assert start(AppContext(vault_dir)) is None
        assert message_boxes[-1][1] == ALREADY_OPEN
    finally:
        first.vault_lock.unlock()


def test_the_window_cannot_save_a_report_into_the_vault_folder(qtbot, main_window, vault_dir, message_boxes):
    from schoolmh.ui import ops
    from schoolmh.ui.pages.reports import ReportsPage

    page = ReportsPage(main_window.ctx)
    qtbot.addWidget(page)
    page.refresh()
    before = (vault_dir / "vault.keys").read_bytes()
    page.ask_path = lambda _suggested: vault_dir / "vault.keys"
    page.save_pdf()
    qtbot.waitUntil(lambda: ops.running() == 0 and any("data folder" in t for _title, t in message_boxes),
                    timeout=20_000)
    assert (vault_dir / "vault.keys").read_bytes() == before


def test_after_lock_no_object_the_app_holds_keeps_the_data_key(qtbot, main_window, lead_session):
    """Issue 11 item 8: Lock from the window, then look through every container Python tracks for the
    data key (raw or hex): the vault, the database object and the model proxy must have let go."""
    import gc

    from schoolmh.db.connection import database_proxy

    vault = lead_session.vault
    raw, hexed = bytes(vault.dek), vault.dek.hex()
    assert main_window.ctx.session is not None
    main_window.lock_manager.lock_now()
    assert main_window.ctx.session is None
    gc.collect()
    assert vault.dek == b"" and vault.db._dek_hex == "" and database_proxy.obj is None

    def holds(container) -> bool:
        if isinstance(container, dict):
            values = container.values()
        elif isinstance(container, (list, tuple, set, frozenset)):
            values = container
        else:
            try:  # an instance's attributes (3.11+ keeps them outside any dict until asked)
                attributes = object.__getattribute__(container, "__dict__")
            except Exception:
                return False
            values = attributes.values() if isinstance(attributes, dict) else ()
        return any(type(v) in (bytes, str) and (v == raw or v == hexed) for v in values)

    holders = [type(o).__name__ for o in gc.get_objects() if holds(o) and o is not locals()]
    assert holders == []
