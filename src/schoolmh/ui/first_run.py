"""First run (no vault in the data folder): school, the lead's account, the recovery key, a second lead.

The vault is created when the lead's account page is committed (there is no
way back from that point: the recovery key exists from then on). The key is
shown once; Finish is only possible after "I have stored it". The wizard ends
signed in as the new lead.
"""
from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from PySide6.QtCore import Qt
from PySide6.QtWidgets import (
    QApplication,
    QFileDialog,
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QMessageBox,
    QPushButton,
    QVBoxLayout,
    QWizard,
    QWizardPage,
)

from schoolmh.errors import SchoolMHError, ValidationError
from schoolmh.ui.context import AppContext
from schoolmh.ui.recovery import RecoveryKeyPanel
from schoolmh.ui.widgets.common import FieldErrors, FormErrorLabel, NewPasswordFields, fitted_size, report_error

if TYPE_CHECKING:
    from schoolmh.services.session import Session


def _intro(text: str) -> QLabel:
    label = QLabel(text)
    label.setWordWrap(True)
    label.setTextFormat(Qt.TextFormat.RichText)
    return label


class SchoolPage(QWizardPage):
    """The school's name, and where the vault will live.

    Where the default folder is refused (a OneDrive-redirected profile, a network home drive),
    the page says why and offers "Choose another folder…" instead of a dead end.
    """

    def __init__(self, ctx: AppContext) -> None:
        super().__init__()
        self.ctx = ctx
        self.chosen_folder = False  # True once the user picked a folder other than the default
        self.setTitle("Welcome to SchoolMH")
        self.setSubTitle("SchoolMH keeps your school's mental health records encrypted on this laptop. Set-up takes two minutes.")
        layout = QVBoxLayout(self)
        form = QFormLayout()
        self.errors = FieldErrors(FormErrorLabel())
        self.school = QLineEdit()
        self.school.setObjectName("school")
        self.school.setPlaceholderText("e.g. Oakfield Academy")
        self.errors.add_row(form, "&School name:", "school", self.school)
        layout.addLayout(form)
        self.where = _intro("")
        self.where.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        layout.addWidget(self.where)
        folder_row = QHBoxLayout()
        self.folder_button = QPushButton("C&hoose another folder…")
        self.folder_button.setAccessibleName("Choose another folder for the vault")
        self.folder_button.clicked.connect(lambda _checked=False: self.choose_folder())
        folder_row.addWidget(self.folder_button)
        folder_row.addStretch(1)
        layout.addLayout(folder_row)
        self.folder_problem = FormErrorLabel()
        self.folder_problem.setObjectName("folderProblem")
        layout.addWidget(self.folder_problem)
        layout.addWidget(self.errors.general)
        layout.addStretch(1)
        self.school.textChanged.connect(lambda _t: self.completeChanged.emit())
        self._show_folder()

    def _show_folder(self) -> None:
        from html import escape

        from schoolmh.services.app_info import folder_refusal

        self.where.setText(f"The encrypted records will be kept in <tt>{escape(str(self.ctx.data_dir))}</tt>.")
        self.refusal = folder_refusal(self.ctx.data_dir)
        if self.refusal:
            self.folder_problem.show_error(self.refusal)
        else:
            self.folder_problem.clear_error()
        self.completeChanged.emit()

    def ask_folder(self) -> str:
        """The folder dialog (a method so tests can answer it)."""
        return QFileDialog.getExistingDirectory(self, "Choose a folder on this computer for the vault",
                                                str(Path.home()))

    def choose_folder(self) -> None:
        picked = self.ask_folder()
        if not picked:
            return
        folder = Path(picked)
        if folder.name.lower() != "schoolmh":
            folder = folder / "SchoolMH"
        from schoolmh.services.app_info import vault_exists

        if vault_exists(folder):
            self.folder_problem.show_error(
                f"{folder} already holds a SchoolMH vault. Choose an empty folder, or start SchoolMH "
                f"with --data-dir \"{folder}\" to open that one.")
            return
        self.ctx.data_dir = folder
        self.chosen_folder = True
        self._show_folder()

    def isComplete(self) -> bool:  # noqa: N802
        return bool(self.school.text().strip()) and not self.refusal

    def validatePage(self) -> bool:  # noqa: N802
        if len(self.school.text().strip()) > 200:
            self.errors.show(ValidationError("The school name is too long (200 characters at most).", "school"))
            return False
        self.errors.clear()
        return True


class LeadPage(QWizardPage):
    """The first lead's account. Committing this page creates the vault."""

    def __init__(self, wizard: "FirstRunWizard") -> None:
        super().__init__()
        self.wizard_ = wizard
        self.setTitle("Your account")
        self.setSubTitle("You will be the senior mental health lead: you add colleagues and look after the vault.")
        self.setCommitPage(True)
        self.setButtonText(QWizard.WizardButton.CommitButton, "&Create the vault")
        layout = QVBoxLayout(self)
        form = QFormLayout()
        self.general = FormErrorLabel()
        self.errors = FieldErrors(self.general)
        self.username = QLineEdit()
        self.username.setObjectName("username")
        self.username.setPlaceholderText("e.g. j.smith")
        self.errors.add_row(form, "&User name:", "username", self.username)
        self.full_name = QLineEdit()
        self.full_name.setObjectName("full_name")
        self.errors.add_row(form, "&Full name:", "full_name", self.full_name)
        self.fields = NewPasswordFields(form, self.errors, names=lambda: [
            wizard.school_page.school.text(), self.username.text(), self.full_name.text()])
        layout.addLayout(form)
        layout.addWidget(self.general)
        layout.addStretch(1)

    def validatePage(self) -> bool:  # noqa: N802
        self.errors.clear()
        try:
            from schoolmh.services.users import normalise_username

            normalise_username(self.username.text())
            if not self.full_name.text().strip():
                raise ValidationError("Enter your full name, as colleagues will see it.", "full_name")
            password = self.fields.check()
            from schoolmh.services import access

            QApplication.setOverrideCursor(Qt.CursorShape.WaitCursor)  # the key derivation takes about a second
            try:
                setup = access.init_school(
                    self.wizard_.ctx.data_dir,
                    self.wizard_.school_page.school.text(),
                    self.username.text(),
                    self.full_name.text(),
                    password,
                )
            finally:
                QApplication.restoreOverrideCursor()
        except ValidationError as exc:
            self.errors.show(exc)
            return False
        except SchoolMHError as exc:
            self.general.show_error(exc.message)
            return False
        except Exception as exc:
            report_error(self, exc, "creating the vault")
            return False
        self.fields.clear()
        if self.wizard_.school_page.chosen_folder:
            from schoolmh.services.app_info import remember_data_dir

            try:
                remember_data_dir(self.wizard_.ctx.data_dir)  # so the next start finds this vault
            except OSError as exc:
                report_error(self, exc, "remembering the vault's folder")
        self.wizard_.vault_created(setup.session, setup.recovery_key)
        return True


class KeyPage(QWizardPage):
    def __init__(self) -> None:
        super().__init__()
        self.setTitle("Your recovery key")
        self.setSubTitle("Shown once. Without it, forgotten passwords cannot be recovered.")
        layout = QVBoxLayout(self)
        self.panel = RecoveryKeyPanel()
        layout.addWidget(self.panel)
        layout.addStretch(1)
        self.panel.stored_changed.connect(lambda _b: self.completeChanged.emit())

    def isComplete(self) -> bool:  # noqa: N802
        return self.panel.stored.isChecked()


class SecondLeadPage(QWizardPage):
    """Optional: a second lead, so the school is not locked out if one person is away or leaves."""

    def __init__(self, wizard: "FirstRunWizard") -> None:
        super().__init__()
        self.wizard_ = wizard
        self.setTitle("A second lead (optional)")
        self.setSubTitle(
            "A second lead can add staff and recover the vault when you are away. Leave this blank to skip; "
            "you can add colleagues later in Admin."
        )
        layout = QVBoxLayout(self)
        form = QFormLayout()
        self.general = FormErrorLabel()
        self.errors = FieldErrors(self.general)
        self.username = QLineEdit()
        self.username.setObjectName("second_username")
        self.errors.add_row(form, "&User name:", "username", self.username)
        self.full_name = QLineEdit()
        self.full_name.setObjectName("second_full_name")
        self.errors.add_row(form, "&Full name:", "full_name", self.full_name)
        self.fields = NewPasswordFields(form, self.errors)
        note = QLabel("They will be asked to choose their own password the first time they sign in.")
        note.setWordWrap(True)
        layout.addLayout(form)
        layout.addWidget(note)
        layout.addWidget(self.general)
        layout.addStretch(1)

    def nextId(self) -> int:  # noqa: N802 - the join page after it is reached only from its own button
        return -1

    def is_blank(self) -> bool:
        return not self.username.text().strip() and not self.full_name.text().strip() and self.fields.is_empty()

    def validatePage(self) -> bool:  # noqa: N802
        self.errors.clear()
        if self.is_blank():
            return True
        session = self.wizard_.session
        if session is None:
            return True
        try:
            password = self.fields.check()
            from schoolmh.services import users

            account = users.add_user(session, self.username.text(), self.full_name.text(), "lead", password)
            users.set_password(session, account.info.username, password)  # marks "must change" at first sign-in
        except ValidationError as exc:
            self.errors.show(exc)
            return False
        except Exception as exc:
            report_error(self, exc, "adding the second lead")
            return False
        self.fields.clear()
        return True


class FirstRunWizard(QWizard):
    def __init__(self, ctx: AppContext) -> None:
        super().__init__()
        self.ctx = ctx
        self.session: Session | None = None
        self.setWindowTitle("Set up SchoolMH")
        self.setObjectName("FirstRunWizard")
        self.setOption(QWizard.WizardOption.NoBackButtonOnStartPage, True)
        self.setOption(QWizard.WizardOption.HaveHelpButton, False)
        self.setWizardStyle(QWizard.WizardStyle.ModernStyle)
        self.school_page = SchoolPage(ctx)
        self.lead_page = LeadPage(self)
        self.key_page = KeyPage()
        self.second_page = SecondLeadPage(self)
        for page in (self.school_page, self.lead_page, self.key_page, self.second_page):
            self.addPage(page)
        self.joined = False
        from schoolmh.ui.pages.team import add_join_entry  # "Join my school's SchoolMH" (issue 12)

        add_join_entry(self)
        self.setButtonText(QWizard.WizardButton.NextButton, "&Next >")
        self.setButtonText(QWizard.WizardButton.BackButton, "< &Back")
        self.setButtonText(QWizard.WizardButton.FinishButton, "&Finish")
        self.setButtonText(QWizard.WizardButton.CancelButton, "&Cancel")
        self.resize(fitted_size(700, 560))

    def vault_created(self, session: "Session", recovery_key: str) -> None:
        self.session = session
        self.key_page.panel.set_key(recovery_key, self.school_page.school.text().strip())

    def take_session(self) -> "Session | None":
        """The signed-in lead's session, handed to the main window (the wizard keeps no reference)."""
        session, self.session = self.session, None
        return session

    def accept(self) -> None:
        if self.session is not None and not self.joined:
            try:
                from schoolmh.services import settings

                settings.update(self.session, recovery_sheet_confirmed=True)
            except Exception as exc:
                report_error(self, exc, "finishing set-up")
        self.key_page.panel.forget()
        super().accept()

    def reject(self) -> None:
        if self.session is not None:
            if self.currentPage() is self.key_page and not self.key_page.panel.stored.isChecked():
                answer = QMessageBox.warning(
                    self,
                    "Leave set-up?",
                    "The recovery key will not be shown again. Leave without storing it?\n\n"
                    "(The lead can make a new key later in Admin → Vault.)",
                    QMessageBox.StandardButton.Yes | QMessageBox.StandardButton.No,
                    QMessageBox.StandardButton.No,
                )
                if answer != QMessageBox.StandardButton.Yes:
                    return
            # The vault exists: leaving now just signs out; the next start shows the unlock screen.
            self.key_page.panel.forget()
            self.session.close()
            self.session = None
        super().reject()
