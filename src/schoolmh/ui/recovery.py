"""The recovery key: showing a new one once (with the printed sheet) and the "forgotten password" route.

The key opens the vault without any password, so it is shown in full only at
the moment it is made (set-up, or the lead replacing it) and is never stored
in clear; the UI keeps it only as long as that page is open.
"""
from __future__ import annotations

import datetime as dt
from pathlib import Path

from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QFont, QFontDatabase
from PySide6.QtWidgets import (
    QApplication,
    QCheckBox,
    QDialog,
    QDialogButtonBox,
    QFileDialog,
    QFormLayout,
    QGridLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QMessageBox,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from schoolmh.errors import LockedOut, SchoolMHError, ValidationError, WrongRecoveryKey
from schoolmh.ui.context import AppContext
from schoolmh.ui.widgets.common import FieldErrors, FormErrorLabel, NewPasswordFields, confirm, report_error, warn

SHEET_MISSING = (
    "SchoolMH cannot make the recovery sheet on this computer (the PDF part is missing). "
    "Write the key down by hand, group by group, and keep it with the school's other important keys."
)


def key_groups(key: str) -> list[str]:
    return [g for g in key.replace(" ", "-").split("-") if g]


def save_recovery_sheet(parent: QWidget | None, school: str, key: str) -> Path | None:
    """Ask where to save the one-page PDF and write it; None if cancelled or unavailable."""
    try:
        from schoolmh.reports.recovery_sheet import recovery_sheet_pdf
    except ImportError:
        warn(parent, "Recovery sheet", SHEET_MISSING)
        return None
    suggested = str(Path.home() / f"SchoolMH recovery sheet {dt.date.today():%Y-%m-%d}.pdf")
    path, _filter = QFileDialog.getSaveFileName(parent, "Save the recovery sheet", suggested, "PDF (*.pdf)")
    if not path:
        return None
    target = Path(path)
    if target.suffix.lower() != ".pdf":
        target = target.with_suffix(".pdf")
    choice = confirm_unsynced(parent, target.parent)
    if choice == "print":
        print_recovery_sheet(parent, school, key, getattr(parent, "ask_printer", lambda: None)())
        return None
    if choice == "cancel":
        return None
    try:
        data = recovery_sheet_pdf(school, "-".join(key_groups(key)), dt.date.today())
        from schoolmh import fsutil

        # The save dialog has asked about replacing a file; never inside the vault's own folder.
        fsutil.write_output(target, data, _data_dir(parent), overwrite=True)
    except ValidationError as exc:
        warn(parent, "Recovery sheet", exc.message)
        return None
    except OSError as exc:
        warn(parent, "Recovery sheet", f"The sheet could not be saved in {target.parent}: {exc.strerror or 'the folder refused it'}. Choose another place.")
        return None
    except Exception as exc:
        report_error(parent, exc, "making the recovery sheet")
        return None
    return target


def _data_dir(parent: QWidget | None) -> Path | None:
    """The vault folder of the window this dialog belongs to (None at first run before it exists)."""
    widget = parent
    while widget is not None:
        ctx = getattr(widget, "ctx", None)
        if ctx is not None and getattr(ctx, "data_dir", None) is not None:
            return Path(ctx.data_dir)
        widget = widget.parentWidget()
    return None


SYNCED_WARNING = (
    "{folder} is {what}. A recovery sheet saved there is copied to the cloud or the server, and a copy "
    "survives deleting the file here: anyone who can reach that copy can open every record.\n\n"
    "Print the sheet directly instead, without saving a file?"
)


def confirm_unsynced(parent: QWidget | None, folder: Path) -> str:
    """"save" when the folder is neither synced nor networked, or the user chooses to save anyway;
    "print" to print directly instead; "cancel"."""
    from schoolmh.services.app_info import synced_folder

    what = synced_folder(folder)
    if what is None:
        return "save"
    box = QMessageBox(QMessageBox.Icon.Warning, "Recovery sheet", SYNCED_WARNING.format(folder=folder, what=what),
                      QMessageBox.StandardButton.NoButton, parent)
    print_button = box.addButton("&Print directly", QMessageBox.ButtonRole.AcceptRole)
    save_button = box.addButton("&Save there anyway", QMessageBox.ButtonRole.DestructiveRole)
    box.addButton("&Cancel", QMessageBox.ButtonRole.RejectRole)
    box.setDefaultButton(print_button)
    box.exec()
    clicked = box.clickedButton()
    return "print" if clicked is print_button else "save" if clicked is save_button else "cancel"


def sheet_html(school: str, key: str, today: dt.date) -> str:
    """The printed sheet: the same words as the PDF (reports/recovery_sheet.py), laid out by Qt."""
    from html import escape

    groups = key_groups(key)
    lines = ["-".join(groups[i:i + 4]) for i in range(0, len(groups), 4)]
    key_html = "<br>".join(escape(line) for line in lines)
    return (
        f"<h1>SchoolMH recovery key</h1><p><b>{escape(school)}</b> &middot; made {today:%d/%m/%Y}</p>"
        f"<p><b>Secret: keep locked away, separate from the laptop.</b></p>"
        f"<p style='font-family: monospace; font-size: 20pt; font-weight: bold'>{key_html}</p>"
        "<p>This key opens the vault and can set a new password for any account, if every lead forgets "
        "their password or leaves. Anyone holding it can read every record.</p>"
        "<p>Keep it in the school safe or another locked place, away from the laptop. When a new recovery "
        "key is made, this one stops working: destroy this sheet then.</p>"
    )


def print_recovery_sheet(parent: QWidget | None, school: str, key: str, printer=None) -> bool:
    """Print the sheet straight to a printer (QPrintDialog), so no file exists anywhere; False if cancelled."""
    from PySide6.QtGui import QTextDocument
    from PySide6.QtPrintSupport import QPrintDialog, QPrinter

    if printer is None:
        printer = QPrinter(QPrinter.PrinterMode.HighResolution)
        dialog = QPrintDialog(printer, parent)
        dialog.setWindowTitle("Print the recovery sheet")
        if dialog.exec() != QDialog.DialogCode.Accepted:
            return False
    document = QTextDocument()
    document.setHtml(sheet_html(school, key, dt.date.today()))
    document.print_(printer)
    return True


class RecoveryKeyPanel(QWidget):
    """The key in large monospaced groups, "Print recovery sheet…" and "I have stored it"."""

    stored_changed = Signal(bool)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.key = ""
        self.school = ""
        self.saved_sheet: Path | None = None
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        explain = QLabel(
            "This <b>recovery key</b> opens the vault if every lead forgets their password or leaves. "
            "It is shown <b>only now</b>. Print the sheet (or copy the key by hand) and keep it locked away, "
            "apart from this laptop, for example in the school safe. Anyone holding it can read every record."
        )
        explain.setWordWrap(True)
        explain.setTextFormat(Qt.TextFormat.RichText)
        layout.addWidget(explain)
        self.grid_host = QWidget()
        self.grid_host.setObjectName("RecoveryKey")
        self.grid = QGridLayout(self.grid_host)
        self.grid.setHorizontalSpacing(18)
        self.grid.setVerticalSpacing(8)
        layout.addWidget(self.grid_host, 0, Qt.AlignmentFlag.AlignHCenter)
        row = QHBoxLayout()
        self.print_button = QPushButton("&Print recovery sheet…")
        self.print_button.clicked.connect(self.print_sheet)
        self.saved_label = QLabel()
        self.saved_label.setWordWrap(True)
        row.addWidget(self.print_button)
        self.direct_button = QPushButton("Print &directly…")
        self.direct_button.setAccessibleName("Print the recovery sheet directly, without saving a file")
        self.direct_button.clicked.connect(lambda _checked=False: self.print_directly())
        row.addWidget(self.direct_button)
        row.addWidget(self.saved_label, 1)
        layout.addLayout(row)
        self.stored = QCheckBox("I have &stored the recovery key somewhere safe")
        self.stored.setAccessibleName("I have stored the recovery key somewhere safe")
        self.stored.toggled.connect(self.stored_changed.emit)
        layout.addWidget(self.stored)

    def set_key(self, key: str, school: str) -> None:
        self.key, self.school = key, school
        while self.grid.count():
            item = self.grid.takeAt(0)
            if item.widget() is not None:
                item.widget().deleteLater()
        font = QFontDatabase.systemFont(QFontDatabase.SystemFont.FixedFont)
        font.setPointSizeF(max(font.pointSizeF(), QFont().pointSizeF()) * 1.9)
        font.setBold(True)
        groups = key_groups(key)
        per_row = 4
        for i, group in enumerate(groups):
            label = QLabel(group)
            label.setFont(font)
            label.setObjectName("keyGroup")
            label.setAccessibleName(f"Group {i + 1} of {len(groups)}: " + " ".join(group))
            self.grid.addWidget(label, i // per_row, i % per_row)
        self.grid_host.setAccessibleName("Recovery key")
        self.stored.setChecked(False)
        self.saved_label.setText("")

    def print_sheet(self) -> Path | None:
        """The button's slot: no arguments (clicked(bool) must not reach it as a path)."""
        saved = save_recovery_sheet(self, self.school, self.key)
        if saved is not None:
            self.saved_sheet = saved
            self.saved_label.setText(f"Saved {saved.name}. Print it, then delete the file.")
        return saved

    def ask_printer(self):
        """None: show the print dialog (a method so tests can hand over a printer instead)."""
        return None

    def print_directly(self) -> bool:
        printed = print_recovery_sheet(self, self.school, self.key, self.ask_printer())
        if printed:
            self.saved_label.setText("Sent to the printer. No file was saved.")
        return printed

    def forget(self) -> None:
        """Drop the key from this widget (and its labels) once the user has confirmed."""
        self.key = ""
        while self.grid.count():
            item = self.grid.takeAt(0)
            if item.widget() is not None:
                item.widget().deleteLater()


class NewRecoveryKeyDialog(QDialog):
    """After the lead replaces the key: the new key once, the sheet, and "I have stored it" before Close."""

    def __init__(self, key: str, school: str, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle("New recovery key")
        layout = QVBoxLayout(self)
        note = QLabel("The old recovery key and its sheet no longer work: destroy them.")
        note.setWordWrap(True)
        layout.addWidget(note)
        self.panel = RecoveryKeyPanel()
        self.panel.set_key(key, school)
        layout.addWidget(self.panel)
        buttons = QDialogButtonBox()
        self.close_button = buttons.addButton("&Close", QDialogButtonBox.ButtonRole.AcceptRole)
        self.close_button.setEnabled(False)
        buttons.accepted.connect(self.accept)
        self.panel.stored_changed.connect(self.close_button.setEnabled)
        layout.addWidget(buttons)
        self.setMinimumWidth(620)

    def reject(self) -> None:  # Esc may not skip the confirmation
        if self.panel.stored.isChecked():
            super().reject()

    def done(self, result: int) -> None:
        self.panel.forget()
        super().done(result)


class RecoveryDialog(QDialog):
    """Forgotten password: the recovery key + user name + a new password → signed in as that account."""

    recovered = Signal(object)  # a Session

    def __init__(self, ctx: AppContext, parent: QWidget | None = None, username: str = "") -> None:
        super().__init__(parent)
        self.ctx = ctx
        self.setWindowTitle("Forgotten password")
        self.setModal(True)
        layout = QVBoxLayout(self)
        explain = QLabel(
            "<p>SchoolMH cannot show or reset a forgotten password: nobody, not even the school's IT team, "
            "can open the records without one.</p>"
            "<p><b>If you are not a lead</b>, ask a lead to give you a new password (Admin → Users → Reset password).</p>"
            "<p><b>If no lead can sign in</b>, use the <b>recovery key</b>: the sheet printed when SchoolMH was set up, "
            "kept locked away (for example in the school safe). It sets a new password for any account.</p>"
        )
        explain.setWordWrap(True)
        explain.setTextFormat(Qt.TextFormat.RichText)
        layout.addWidget(explain)
        form = QFormLayout()
        self.general = FormErrorLabel()
        self.errors = FieldErrors(self.general)
        self.key = QLineEdit()
        self.key.setPlaceholderText("XXXX-XXXX-XXXX-XXXX-XXXX-XXXX-XXXX")
        mono = QFontDatabase.systemFont(QFontDatabase.SystemFont.FixedFont)
        self.key.setFont(mono)
        self.errors.add_row(form, "Recovery &key:", "recovery_key", self.key)
        self.username = QLineEdit(username)
        self.errors.add_row(form, "&User name:", ("user", "username"), self.username)
        self.fields = NewPasswordFields(form, self.errors, "&New password:")
        layout.addLayout(form)
        layout.addWidget(self.general)
        buttons = QDialogButtonBox()
        self.ok_button = buttons.addButton("&Set password and sign in", QDialogButtonBox.ButtonRole.AcceptRole)
        buttons.addButton("&Cancel", QDialogButtonBox.ButtonRole.RejectRole)
        buttons.accepted.connect(self.accept)
        buttons.rejected.connect(self.reject)
        layout.addWidget(buttons)
        self.setMinimumWidth(560)

    def has_unsaved_input(self) -> bool:
        return bool(self.key.text() or not self.fields.is_empty())

    def accept(self) -> None:
        self.errors.clear()
        if not self.key.text().strip():
            self.errors.show(ValidationError("Type the recovery key from the sheet.", "recovery_key"))
            return
        if not self.username.text().strip():
            self.errors.show(ValidationError("Type the user name of the account to set a new password for.", "user"))
            return
        try:
            password = self.fields.check()
            from schoolmh.services import access

            def recover(enable: bool):
                QApplication.setOverrideCursor(Qt.CursorShape.WaitCursor)
                try:
                    return access.recover(
                        self.ctx.data_dir, self.key.text(), self.username.text().strip(), password, enable=enable
                    )
                finally:
                    QApplication.restoreOverrideCursor()

            try:
                session = recover(False)
            except access.AccountDisabled as exc:  # a leaver's account comes back only when the lead says so
                if not confirm(self, "Enable the account?", exc.message.replace(" (from the command line, add --enable)", ""),
                               "&Enable it and set the password"):
                    return
                session = recover(True)
        except WrongRecoveryKey as exc:
            self.errors.show(ValidationError(exc.message, "recovery_key"))
            return
        except LockedOut as exc:
            self.general.show_error(exc.message)
            return
        except ValidationError as exc:
            self.errors.show(exc)
            return
        except SchoolMHError as exc:
            self.general.show_error(exc.message)
            return
        except Exception as exc:
            report_error(self, exc, "using the recovery key")
            return
        self.key.clear()
        self.fields.clear()
        super().accept()
        self.recovered.emit(session)
