"""Admin (leads only): staff accounts, school settings, and the vault (backup, restore, audit, recovery key, key rotation).

Backup runs on the GUI thread through ops (gui_thread=True): it uses SQLite's
online backup on the one open connection, and the progress dialog keeps the
window painting between steps. Restore needs the vault closed, so the window
locks first and the restore runs in a worker with plain data only (paths and
the typed credentials); afterwards everyone signs in again.
"""
from __future__ import annotations

import datetime as dt
from pathlib import Path

from PySide6.QtCore import Qt
from PySide6.QtGui import QFontDatabase
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QFileDialog,
    QFormLayout,
    QGroupBox,
    QHBoxLayout,
    QHeaderView,
    QInputDialog,
    QLabel,
    QLineEdit,
    QPlainTextEdit,
    QPushButton,
    QRadioButton,
    QSpinBox,
    QTabWidget,
    QVBoxLayout,
    QWidget,
)

from schoolmh.errors import SchoolMHError, ValidationError
from schoolmh.services.permissions import ROLE_NAMES, ROLES
from schoolmh.ui.context import AppContext
from schoolmh.ui.models.table_model import Column, RowTableModel, SortProxy, format_datetime
from schoolmh.ui.widgets.common import (
    FieldErrors,
    FormDialog,
    FormErrorLabel,
    NewPasswordFields,
    confirm,
    info,
    list_view,
)

BACKUP_SUFFIX = ".schoolmh-backup"


def _local(value: dt.datetime | None) -> dt.datetime | None:
    if value is None:
        return None
    return value.replace(tzinfo=dt.timezone.utc).astimezone().replace(tzinfo=None)


USER_COLUMNS = [
    Column("Name", lambda u: u.full_name),
    Column("User name", lambda u: u.username),
    Column("Role", lambda u: ROLE_NAMES.get(u.role, u.role)),
    Column("Status", lambda u: ("Active" if u.active else "Disabled") + (" · must change password" if u.active and u.must_change_password else "")),
    Column("Last sign-in", lambda u: format_datetime(_local(u.last_login_at)) if u.last_login_at else "Never", sort=lambda u: u.last_login_at),
]


def _role_combo() -> QComboBox:
    combo = QComboBox()
    for role in ROLES:
        combo.addItem(ROLE_NAMES[role], role)
    return combo


def _mono_label(text: str) -> QLabel:
    label = QLabel(text)
    font = QFontDatabase.systemFont(QFontDatabase.SystemFont.FixedFont)
    font.setPointSizeF(font.pointSizeF() * 1.5)
    font.setBold(True)
    label.setFont(font)
    label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
    return label


def show_password_once(parent: QWidget, who: str, password: str) -> None:
    """A password SchoolMH chose, shown once to be passed on in person (it must be changed at first sign-in)."""
    dialog = QDialog(parent)
    dialog.setWindowTitle("Password for " + who)
    layout = QVBoxLayout(dialog)
    text = QLabel(
        f"Give this password to {who} in person. It is shown only now; "
        "they will choose their own the first time they sign in."
    )
    text.setWordWrap(True)
    layout.addWidget(text)
    layout.addWidget(_mono_label(password))
    buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Close)
    buttons.rejected.connect(dialog.reject)
    layout.addWidget(buttons)
    dialog.exec()


class AddUserDialog(FormDialog):
    """A colleague's account; after Add, `account` is the services.users.NewAccount."""

    doing = "adding the account"  # the users tab refreshes and says "users" changed

    def __init__(self, ctx: AppContext, parent: QWidget | None = None) -> None:
        super().__init__(ctx, parent, "Add a colleague", save_text="&Add")
        self.account = None
        layout = QVBoxLayout(self)
        form = QFormLayout()
        self.full_name = QLineEdit()
        self.full_name.setObjectName("full_name")
        self.errors.add_row(form, "&Full name:", "full_name", self.full_name)
        self.username = QLineEdit()
        self.username.setObjectName("username")
        self.username.setPlaceholderText("e.g. j.smith")
        self.errors.add_row(form, "&User name:", "username", self.username)
        self.role = _role_combo()
        self.role.setCurrentIndex(ROLES.index("pastoral"))
        self.errors.add_row(form, "&Role:", "role", self.role)
        self.generate = QRadioButton("&Let SchoolMH choose a password (shown once)")
        self.generate.setChecked(True)
        self.choose = QRadioButton("S&et the password now")
        choice = QVBoxLayout()
        choice.addWidget(self.generate)
        choice.addWidget(self.choose)
        form.addRow("First password:", choice)
        self.password_box = QWidget()
        inner = QFormLayout(self.password_box)
        inner.setContentsMargins(0, 0, 0, 0)
        self.fields = NewPasswordFields(inner, self.errors)
        self.password_box.setVisible(False)
        self.choose.toggled.connect(self.password_box.setVisible)
        layout.addLayout(form)
        layout.addWidget(self.password_box)
        note = QLabel("Either way, they choose their own password the first time they sign in.")
        note.setWordWrap(True)
        layout.addWidget(note)
        layout.addWidget(self.general)
        layout.addWidget(self.buttons)
        self.setMinimumWidth(520)

    def has_unsaved_input(self) -> bool:
        return bool(self.full_name.text() or self.username.text() or not self.fields.is_empty())

    def submit(self):
        from schoolmh.services import users

        session = self.ctx.session
        password = self.fields.check() if self.choose.isChecked() else None
        account = users.add_user(session, self.username.text(), self.full_name.text(), self.role.currentData(), password)
        if password is not None:
            # A password the lead typed is still the lead's choice: the colleague replaces it at first sign-in.
            users.set_password(session, account.info.username, password)
        self.account = account
        return account


class SetPasswordDialog(FormDialog):
    """A lead resets a colleague's password; `generated` is the one SchoolMH chose (to show once), if any."""

    doing = "resetting the password"

    def __init__(self, ctx: AppContext, username: str, full_name: str, parent: QWidget | None = None) -> None:
        super().__init__(ctx, parent, f"Reset password: {full_name}", save_text="&Reset password")
        self.username = username
        self.generated: str | None = None
        layout = QVBoxLayout(self)
        intro = QLabel(
            f"Set a new password for {full_name}. They will choose their own at their next sign-in, and any "
            "“Remember me” for them is forgotten. (If no lead can sign in at all, use “Forgotten password?” "
            "on the sign-in screen with the recovery key instead.)"
        )
        intro.setWordWrap(True)
        layout.addWidget(intro)
        # Neither is chosen at first: Enter straight after opening must not reset a colleague's password.
        self.generate = QRadioButton("&Let SchoolMH choose one (shown once)")
        self.choose = QRadioButton("&Type one")
        layout.addWidget(self.generate)
        layout.addWidget(self.choose)
        self.password_box = QWidget()
        form = QFormLayout(self.password_box)
        form.setContentsMargins(0, 0, 0, 0)
        self.fields = NewPasswordFields(form, self.errors, "&New password:")
        self.password_box.setVisible(False)
        self.choose.toggled.connect(self.password_box.setVisible)
        layout.addWidget(self.password_box)
        layout.addWidget(self.general)
        layout.addWidget(self.buttons)
        self.setMinimumWidth(500)

    def has_unsaved_input(self) -> bool:
        return not self.fields.is_empty()

    def submit(self) -> None:
        from schoolmh.services import users
        from schoolmh.services.passwords import generate_password

        if not (self.choose.isChecked() or self.generate.isChecked()):
            raise ValidationError("Choose how to set the new password: let SchoolMH choose one, or type one.", "how")
        password = self.fields.check() if self.choose.isChecked() else generate_password()
        users.set_password(self.ctx.session, self.username, password)
        self.generated = None if self.choose.isChecked() else password


class UsersTab(QWidget):
    def __init__(self, ctx: AppContext, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.ctx = ctx
        self.model = RowTableModel(USER_COLUMNS, key=lambda u: u.uuid, parent=self)
        self.proxy = SortProxy(self.model, self)
        self.table = list_view(self.proxy, "Staff accounts")
        self.table.setObjectName("usersTable")
        header = self.table.horizontalHeader()
        header.setStretchLastSection(False)
        header.setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)
        header.setSectionResizeMode(0, QHeaderView.ResizeMode.Stretch)

        self.add_button = QPushButton("&Add…")
        self.role_button = QPushButton("Change r&ole…")
        self.disable_button = QPushButton("&Disable")
        self.enable_button = QPushButton("E&nable…")  # Alt+E is the Team tab
        self.reset_button = QPushButton("&Reset password…")
        self.add_button.clicked.connect(self.add_user)
        self.role_button.clicked.connect(self.change_role)
        self.disable_button.clicked.connect(self.disable_user)
        self.enable_button.clicked.connect(self.enable_user)
        self.reset_button.clicked.connect(self.reset_password)
        buttons = QHBoxLayout()
        for button in (self.add_button, self.role_button, self.reset_button, self.disable_button, self.enable_button):
            buttons.addWidget(button)
        buttons.addStretch(1)
        layout = QVBoxLayout(self)
        hint = QLabel(
            "A leaver's account is disabled, not deleted: their records keep their name, but the account can no longer open the vault."
        )
        hint.setWordWrap(True)
        layout.addWidget(hint)
        layout.addLayout(buttons)
        layout.addWidget(self.table, 1)
        self.table.selectionModel().currentRowChanged.connect(lambda *_: self._update_buttons())
        self._update_buttons()

    def refresh(self) -> None:
        from schoolmh.services import users

        selected = self.current()
        self.model.set_rows(users.list_users(self.ctx.session))
        if selected is not None:
            index = self.proxy.index_for_key(selected.uuid)
            if index.isValid():
                self.table.setCurrentIndex(index)
        self._update_buttons()

    def current(self):
        return self.proxy.row_at(self.table.currentIndex())

    def _update_buttons(self) -> None:
        user = self.current()
        me = self.ctx.session.actor.uuid if self.ctx.session else None
        self.role_button.setEnabled(user is not None and user.active)
        self.reset_button.setEnabled(user is not None and user.active)
        self.disable_button.setEnabled(user is not None and user.active and user.uuid != me)
        self.enable_button.setEnabled(user is not None and not user.active)

    def _changed(self) -> None:
        self.refresh()
        self.ctx.data_changed.emit("users")

    def add_user(self) -> None:
        dialog = AddUserDialog(self.ctx, self)
        if dialog.exec() != QDialog.DialogCode.Accepted or dialog.account is None:
            return
        account = dialog.account
        self._changed()
        if account.generated_password:
            show_password_once(self, account.info.full_name, account.generated_password)

    def change_role(self) -> None:
        from schoolmh.services import users

        user = self.current()
        if user is None:
            return
        labels = [ROLE_NAMES[r] for r in ROLES]
        label, ok = QInputDialog.getItem(self, "Change role", f"Role for {user.full_name}:", labels, ROLES.index(user.role), False)
        if not ok or ROLES[labels.index(label)] == user.role:
            return
        try:
            users.set_role(self.ctx.session, user.username, ROLES[labels.index(label)])
        except Exception as exc:
            self.ctx.report_error(self, exc, "changing the role")
            return
        self._changed()

    def disable_user(self) -> None:
        from schoolmh.services import users

        user = self.current()
        if user is None or not confirm(
            self, "Disable account",
            f"Disable {user.full_name}'s account? They will no longer be able to open the vault. Their records stay.",
            "&Disable", danger=True,
        ):
            return
        try:
            users.disable(self.ctx.session, user.username)
        except Exception as exc:
            self.ctx.report_error(self, exc, "disabling the account")
            return
        self._changed()
        offer_rotation(self, f"{user.full_name}'s account is disabled.")

    def enable_user(self) -> None:
        from schoolmh.services import users
        from schoolmh.services.passwords import generate_password

        user = self.current()
        if user is None:
            return
        password = generate_password()
        try:
            users.enable(self.ctx.session, user.username, password)
        except Exception as exc:
            self.ctx.report_error(self, exc, "enabling the account")
            return
        self._changed()
        show_password_once(self, user.full_name, password)

    def reset_password(self) -> None:
        user = self.current()
        if user is None:
            return
        dialog = SetPasswordDialog(self.ctx, user.username, user.full_name, self)
        if dialog.exec() != QDialog.DialogCode.Accepted:
            return
        self._changed()
        if dialog.generated:
            show_password_once(self, user.full_name, dialog.generated)


class SettingsTab(QWidget):
    def __init__(self, ctx: AppContext, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.ctx = ctx
        self.general = FormErrorLabel()
        self.errors = FieldErrors(self.general)
        school = QGroupBox("School")
        school_form = QFormLayout(school)
        self.school_name = QLineEdit()
        self.school_name.setObjectName("school_name")
        self.errors.add_row(school_form, "School &name:", "school_name", self.school_name)
        self.school_urn = QLineEdit()
        self.school_urn.setObjectName("school_urn")
        self.school_urn.setMaxLength(8)
        self.errors.add_row(school_form, "U&RN:", "school_urn", self.school_urn)
        self.local_authority = QLineEdit()
        self.local_authority.setObjectName("local_authority")
        self.errors.add_row(school_form, "&Local authority:", "local_authority", self.local_authority)

        security = QGroupBox("Privacy and security")
        security_form = QFormLayout(security)
        self.autolock = QSpinBox()
        self.autolock.setObjectName("autolock_minutes")
        self.autolock.setRange(0, 999)
        self.autolock.setSuffix(" minutes")
        self.errors.add_row(security_form, "&Auto-lock after:", "autolock_minutes", self.autolock)
        self.remember = QCheckBox("Allow “Remember &me on this laptop”")
        self.remember.setObjectName("remember_me_allowed")
        self.remember.setToolTip("Staff can then open SchoolMH on their own laptop without typing the password. Turning it off forgets every remembered laptop.")
        self.errors.add_row(security_form, "", "remember_me_allowed", self.remember)
        self.remember.setAccessibleName("Allow Remember me on this laptop")
        self.retention = QSpinBox()
        self.retention.setObjectName("retention_until_age")
        self.retention.setRange(0, 999)
        self.retention.setPrefix("until the pupil is ")
        self.errors.add_row(security_form, "&Keep records:", "retention_until_age", self.retention)

        self.backup_days = QSpinBox()
        self.backup_days.setObjectName("backup_overdue_days")
        self.backup_days.setRange(0, 999)
        self.backup_days.setSuffix(" days without one")
        self.backup_days.setAccessibleName("Backup overdue after days without one")
        self.errors.add_row(security_form, "Backup overdue a&fter:", "backup_overdue_days", self.backup_days)

        for field in (self.school_name, self.local_authority):
            field.setMaximumWidth(520)
        for field in (self.school_urn, self.autolock, self.retention, self.backup_days):
            field.setMaximumWidth(220)
        self._loaded = False
        self.save_button = QPushButton("&Save settings")
        self.save_button.clicked.connect(self.save)
        self.terms_button = QPushButton("Term &dates…")  # the school's own terms (ui/pages/term_dates.py)
        self.terms_button.setToolTip("The first and last day of each term, used for every “this term”.")
        self.terms_button.clicked.connect(self.edit_term_dates)
        school_form.addRow("Terms:", self.terms_button)
        self.saved_label = QLabel()
        row = QHBoxLayout()
        row.addWidget(self.save_button)
        row.addWidget(self.saved_label, 1)
        layout = QVBoxLayout(self)
        layout.addWidget(school)
        layout.addWidget(security)
        layout.addWidget(self.general)
        layout.addLayout(row)
        layout.addStretch(1)

    def edit_term_dates(self) -> None:
        from schoolmh.ui.pages.term_dates import TermDatesDialog

        TermDatesDialog(self.ctx, self).open()

    def refresh(self) -> None:
        current = self.ctx.settings()
        self.school_name.setText(current.school_name)
        self.school_urn.setText(current.school_urn)
        self.local_authority.setText(current.local_authority)
        self.autolock.setValue(int(current.autolock_minutes))
        self.remember.setChecked(bool(current.remember_me_allowed))
        self.retention.setValue(int(current.retention_until_age))
        self.backup_days.setValue(int(current.backup_overdue_days))
        self.errors.clear()
        self.saved_label.setText("")
        self._loaded = True

    def changes(self) -> dict:
        current = self.ctx.settings()
        wanted = {
            "school_name": self.school_name.text().strip(),
            "school_urn": self.school_urn.text().strip(),
            "local_authority": self.local_authority.text().strip(),
            "autolock_minutes": self.autolock.value(),
            "remember_me_allowed": self.remember.isChecked(),
            "retention_until_age": self.retention.value(),
            "backup_overdue_days": self.backup_days.value(),
        }
        return {k: v for k, v in wanted.items() if getattr(current, k) != v}

    def has_unsaved_input(self) -> bool:
        return self._loaded and bool(self.changes())

    def save(self) -> None:
        from schoolmh.services import settings

        self.errors.clear()
        self.saved_label.setText("")
        changes = self.changes()
        if not changes:
            self.saved_label.setText("Nothing to save: no setting was changed.")
            return
        if "school_name" in changes and not changes["school_name"]:
            self.errors.show(ValidationError("Enter the school's name.", "school_name"))
            return
        if changes.get("remember_me_allowed") is False and not confirm(
            self, "Remember me", "Turning this off makes every laptop forget its remembered account. Continue?", "&Turn off"
        ):
            return
        try:
            settings.update(self.ctx.session, **changes)
        except ValidationError as exc:
            self.errors.show(exc)
            return
        except Exception as exc:
            self.ctx.report_error(self, exc, "saving the settings")
            return
        self.saved_label.setText("Settings saved.")
        self.ctx.data_changed.emit("settings")


class RestoreDialog(QDialog):
    """Which backup, and the credentials that open it (a lead's password as it was then, or the recovery key)."""

    def __init__(self, parent: QWidget | None = None, username: str = "") -> None:
        super().__init__(parent)
        self.setWindowTitle("Restore from a backup")
        layout = QVBoxLayout(self)
        text = QLabel(
            "Restoring replaces <b>everything</b> in the vault with the backup. The current files are kept in a folder "
            "beside the vault, not deleted. SchoolMH locks first; everyone signs in again afterwards."
        )
        text.setWordWrap(True)
        layout.addWidget(text)
        form = QFormLayout()
        self.general = FormErrorLabel()
        self.errors = FieldErrors(self.general)
        self.file = QLineEdit()
        self.file.setObjectName("backup_file")
        browse = QPushButton("&Browse…")
        browse.clicked.connect(self._browse)
        file_row = QWidget()
        file_layout = QHBoxLayout(file_row)
        file_layout.setContentsMargins(0, 0, 0, 0)
        file_layout.addWidget(self.file, 1)
        file_layout.addWidget(browse)
        self.errors.add("file", self.file, self.general)
        label = QLabel("Backup &file:")
        label.setBuddy(self.file)
        self.file.setAccessibleName("Backup file")
        form.addRow(label, file_row)
        self.use_password = QRadioButton("A lead's user name and password (as they were when the backup was made)")
        self.use_password.setChecked(True)
        self.use_key = QRadioButton("The recovery key (as it was when the backup was made)")
        form.addRow(self.use_password)
        self.username = QLineEdit(username)
        self.errors.add_row(form, "&User name:", "username", self.username)
        self.password = QLineEdit()
        self.password.setEchoMode(QLineEdit.EchoMode.Password)
        self.errors.add_row(form, "&Password:", "password", self.password)
        form.addRow(self.use_key)
        self.key = QLineEdit()
        self.key.setFont(QFontDatabase.systemFont(QFontDatabase.SystemFont.FixedFont))
        self.errors.add_row(form, "Recovery &key:", "recovery_key", self.key)
        self.use_key.toggled.connect(self._update)
        layout.addLayout(form)
        layout.addWidget(self.general)
        buttons = QDialogButtonBox()
        buttons.addButton("&Lock and restore", QDialogButtonBox.ButtonRole.AcceptRole)
        buttons.addButton("&Cancel", QDialogButtonBox.ButtonRole.RejectRole)
        buttons.accepted.connect(self.accept)
        buttons.rejected.connect(self.reject)
        layout.addWidget(buttons)
        self._update()
        self.setMinimumWidth(560)

    def _update(self) -> None:
        key = self.use_key.isChecked()
        self.username.setEnabled(not key)
        self.password.setEnabled(not key)
        self.key.setEnabled(key)

    def _browse(self) -> None:
        path, _ = QFileDialog.getOpenFileName(self, "Choose a backup", str(Path.home()), f"SchoolMH backups (*{BACKUP_SUFFIX} *.zip);;All files (*)")
        if path:
            self.file.setText(path)

    def has_unsaved_input(self) -> bool:
        return bool(self.password.text() or self.key.text())

    def reject(self) -> None:
        """Escape with a password or key typed asks first, like every form (widgets.common.ask_discard)."""
        from schoolmh.ui.widgets.common import ask_discard

        if self.has_unsaved_input() and not ask_discard(self):
            return
        super().reject()

    def credentials(self) -> dict:
        if self.use_key.isChecked():
            return {"recovery_key": self.key.text().strip()}
        return {"username": self.username.text().strip(), "password": self.password.text()}

    def accept(self) -> None:
        self.errors.clear()
        if not self.file.text().strip() or not Path(self.file.text().strip()).is_file():
            self.general.show_error("Choose the backup file to restore.")
            self.file.setFocus()
            return
        if self.use_key.isChecked() and not self.key.text().strip():
            self.errors.show(ValidationError("Type the recovery key.", "recovery_key"))
            return
        if not self.use_key.isChecked() and (not self.username.text().strip() or not self.password.text()):
            self.errors.show(ValidationError("Type a lead's user name and password.", "username" if not self.username.text().strip() else "password"))
            return
        super().accept()


class VaultTab(QWidget):
    def __init__(self, ctx: AppContext, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.ctx = ctx
        self.backup_button = QPushButton("&Back up now…")
        self.restore_button = QPushButton("&Restore from a backup…")
        self.verify_button = QPushButton("Check the &audit trail")
        self.key_button = QPushButton("Replace the recovery &key…")
        self.rotate_button = QPushButton("Rotate all ke&ys…")
        self.rotate_button.clicked.connect(self.rotate_keys)
        self.backup_button.clicked.connect(self.backup)
        self.restore_button.clicked.connect(self.restore)
        self.verify_button.clicked.connect(self.verify)
        self.key_button.clicked.connect(self.replace_key)
        self.result = QPlainTextEdit()
        self.result.setObjectName("vaultResult")
        self.result.setReadOnly(True)
        self.result.setAccessibleName("Result")
        self.result.setPlaceholderText("Results of backups and checks appear here.")
        self.result.setMaximumHeight(160)

        def explained(button: QPushButton, text: str) -> QHBoxLayout:
            row = QHBoxLayout()
            button.setMinimumWidth(230)
            row.addWidget(button)
            label = QLabel(text)
            label.setWordWrap(True)
            row.addWidget(label, 1)
            return row

        layout = QVBoxLayout(self)
        layout.addLayout(explained(self.backup_button, "An encrypted copy you can keep on a USB stick or the school network. It is checked after writing. The same passwords open it."))
        layout.addLayout(explained(self.restore_button, "Replace the vault with a backup. The current files are kept aside, not deleted."))
        layout.addLayout(explained(self.verify_button, "Check that no audit row was changed, added or removed since it was written."))
        layout.addLayout(explained(self.key_button, "Make a new recovery key and sheet (for example when a lead leaves). The old key stops working at once."))
        layout.addLayout(explained(self.rotate_button, "If a password, the recovery key or the laptop's files may have got out: encrypt the vault under a new key, with new ways in for everyone."))
        layout.addWidget(self.result)
        layout.addStretch(1)

    def refresh(self) -> None:
        pass

    def _say(self, text: str) -> None:
        stamp = dt.datetime.now().strftime("%H:%M")
        self.result.appendPlainText(f"{stamp}  {text}")

    # -- backup ---------------------------------------------------------------------------
    # Button slots take no arguments: clicked(bool) passes False to any parameter a slot has.
    def backup(self) -> None:
        from schoolmh.services import vault_admin

        suggested = str(Path.home() / f"SchoolMH {dt.date.today():%Y-%m-%d}{BACKUP_SUFFIX}")
        path, _ = QFileDialog.getSaveFileName(self, "Save a backup", suggested, f"SchoolMH backups (*{BACKUP_SUFFIX})")
        if not path:
            return
        out = Path(path)
        if not out.name.endswith(BACKUP_SUFFIX):
            out = out.with_name(out.name + BACKUP_SUFFIX)
        session = self.ctx.session

        asked = out == Path(path)  # the save dialog asked before replacing exactly this file

        def work(progress):
            return vault_admin.backup(session, out, lambda done, total: progress.update(done, total, "Copying the vault…"),
                                      overwrite=asked)

        def done(result) -> None:
            self._say(
                f"Backup saved to {result.path} ({max(1, result.size_bytes // 1024)} KB). It was opened again and passed "
                f"the integrity check ({result.integrity}); audit trail up to row {result.audit_head}."
            )
            self.ctx.data_changed.emit("settings")  # the last backup's date and place: the reminder resets

        def failed(exc: BaseException) -> None:
            self._say("The backup failed: " + (exc.message if isinstance(exc, SchoolMHError) else "see the message."))
            self.ctx.report_error(self, exc, "making the backup")

        self.ctx.run("Backing up", work, done, failed, gui_thread=True, parent=self)

    # -- restore --------------------------------------------------------------------------
    def restore(self) -> None:
        from schoolmh.services import vault_admin

        window = self.ctx.main_window
        dialog = RestoreDialog(self, self.ctx.session.actor.username if self.ctx.session else "")
        if dialog.exec() != QDialog.DialogCode.Accepted:
            return
        archive = Path(dialog.file.text().strip())
        credentials = dialog.credentials()
        data_dir = self.ctx.data_dir
        # The session must be closed: lock first (this page is deleted by the lock).
        lock = getattr(window, "lock_manager", None)
        if lock is not None:
            lock.lock_now()
        else:
            self.ctx.close_session()

        def work(progress):
            progress.update(0, 0, "Checking and restoring the backup…")
            return vault_admin.restore(data_dir, archive, **credentials)

        def done(result) -> None:
            kept = (f" The previous files were kept in {result.replaced_folder}; only the old recovery key opens them."
                    if result.replaced_folder else "")
            info(window, "Restore finished", f"The backup was restored and verified (integrity check and audit trail).{kept} Sign in again.")

        def failed(exc: BaseException) -> None:
            from schoolmh.ui.widgets.common import report_error

            report_error(window, exc, "restoring the backup (the vault was not changed)")

        from schoolmh.ui import ops

        ops.run_operation(window, "Restoring", work, done, failed)

    # -- audit --------------------------------------------------------------------------------
    def verify(self) -> None:
        from schoolmh.services import vault_admin

        try:
            result = vault_admin.verify_audit(self.ctx.session)
        except Exception as exc:
            self.ctx.report_error(self, exc, "checking the audit trail")
            return
        if result.ok:
            self._say(f"Audit trail intact: {result.rows} rows checked; the chain and its recorded end match.")
        else:
            where = f" (row {result.first_bad_seq})" if result.first_bad_seq else ""
            self._say(f"AUDIT TRAIL BROKEN{where}: {result.problem} Keep this laptop as it is and tell your data protection officer.")

    # -- recovery key ---------------------------------------------------------------------
    def replace_key(self) -> None:
        from schoolmh.services import vault_admin
        from schoolmh.ui.recovery import NewRecoveryKeyDialog

        if not confirm(
            self, "Replace the recovery key",
            "Make a new recovery key? The current key and its printed sheet stop working at once. "
            "You will see the new key once, and can print its sheet.",
            "&Replace the key", danger=True,
        ):
            return
        try:
            key = vault_admin.replace_recovery_key(self.ctx.session)
        except Exception as exc:
            self.ctx.report_error(self, exc, "replacing the recovery key")
            return
        self._say("A new recovery key was made; the old one no longer works.")
        dialog = NewRecoveryKeyDialog(key, self.ctx.settings().school_name, self)
        del key
        dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        dialog.accepted.connect(self._key_stored)
        dialog.accepted.connect(lambda: offer_rotation(self, "The old recovery key no longer opens the vault."))
        dialog.open()

    def _key_stored(self) -> None:
        from schoolmh.services import vault_admin

        try:
            vault_admin.confirm_recovery_key_stored(self.ctx.session)
        except Exception as exc:
            self.ctx.report_error(self, exc, "noting that the recovery key is stored")
            return
        self.ctx.data_changed.emit("settings")


    # -- key rotation -------------------------------------------------------------------
    def rotate_keys(self) -> None:
        """Confirm, ask the lead's password, rotate; then the new recovery key and one-time passwords, once."""
        from schoolmh.services import vault_admin

        blocked = vault_admin.rotation_blocked(self.ctx.session)
        if blocked:
            info(self, "Rotate all keys", blocked)
            return
        if not confirm(
            self, "Rotate all keys",
            "Use this if you think a password, the recovery key or a copy of the vault's files has got out.\n\n"
            "SchoolMH will encrypt every record under a new key. Then:\n"
            "• your own password stays the same;\n"
            "• everyone else gets a new one-time password, shown to you once, to give them in person "
            "(they choose their own at first sign-in);\n"
            "• there is a new recovery key to print; the old key and sheet stop working;\n"
            "• no laptop stays remembered.\n\n"
            "Close SchoolMH on any other window first. Backups made before keep opening with the passwords "
            "and recovery key of their day, so keep them as safe as before.",
            "&Rotate all keys", danger=True,
        ):
            return
        password, ok = QInputDialog.getText(
            self, "Rotate all keys", "Type your password to confirm:", QLineEdit.EchoMode.Password
        )
        if not ok or not password:
            return
        session = self.ctx.session

        def work(progress):
            progress.update(0, 0, "Encrypting every record under a new key…")
            return vault_admin.rotate_keys(session, password)

        def done(result) -> None:
            self._say(
                "Every key was replaced: the records are encrypted under a new key, the old recovery key and "
                "other accounts' passwords no longer work, and no laptop is remembered."
            )
            self.ctx.data_changed.emit("users")
            self._show_rotation(result)

        def failed(exc: BaseException) -> None:
            self._say("The keys were not replaced: " + (exc.message if isinstance(exc, SchoolMHError) else "see the message."))
            self.ctx.report_error(self, exc, "replacing the vault's keys")

        self.ctx.run("Rotating all keys", work, done, failed, gui_thread=True, parent=self)

    def _show_rotation(self, result) -> None:
        from schoolmh.ui.recovery import NewRecoveryKeyDialog

        if result.new_passwords:
            OneTimePasswordsDialog(result.new_passwords, self).exec()
        dialog = NewRecoveryKeyDialog(result.recovery_key, self.ctx.settings().school_name, self)
        dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        dialog.accepted.connect(self._key_stored)
        dialog.open()


class OneTimePasswordsDialog(QDialog):
    """After a key rotation: each other account's one-time password, shown once."""

    def __init__(self, passwords: dict[str, str], parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle("One-time passwords")
        layout = QVBoxLayout(self)
        text = QLabel(
            "Give each person their one-time password in person. They are shown only now; each person "
            "chooses their own the first time they sign in. (You can also reset a password later in Admin → Users.)"
        )
        text.setWordWrap(True)
        layout.addWidget(text)
        form = QFormLayout()
        for username, password in passwords.items():
            form.addRow(username + ":", _mono_label(password))
        layout.addLayout(form)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Close)
        buttons.rejected.connect(self.reject)
        layout.addWidget(buttons)


def offer_rotation(widget: QWidget, done: str) -> None:
    """After revoking a way in (issue 11): say what it does not undo, and offer Rotate all keys…."""
    from schoolmh.services import vault_admin

    if vault_admin.rotation_blocked(widget.ctx.session):
        info(widget, "Done", f"{done} {vault_admin.TEAM_REVOCATION_NOTE}")
        return
    if confirm(widget, "Rotate all keys?", f"{done} {vault_admin.REVOCATION_NOTE}", "&Rotate all keys…"):
        page = widget
        while page is not None and not isinstance(page, AdminPage):
            page = page.parentWidget()
        if page is not None:
            page.vault.rotate_keys()


class AdminPage(QWidget):
    def __init__(self, ctx: AppContext, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.ctx = ctx
        heading = QLabel("<h2>Admin</h2>")
        self.tabs = QTabWidget()
        self.tabs.setObjectName("adminTabs")
        self.users = UsersTab(ctx)
        self.settings = SettingsTab(ctx)
        self.vault = VaultTab(ctx)
        self.tabs.addTab(self.users, "&Users")
        self.tabs.addTab(self.settings, "Se&ttings")
        self.tabs.addTab(self.vault, "&Vault")
        from schoolmh.ui.pages.team import TeamTab  # several laptops (issue 12)

        self.team = TeamTab(ctx)
        self.tabs.addTab(self.team, "T&eam")
        self.tabs.currentChanged.connect(lambda _i: self.refresh())
        layout = QVBoxLayout(self)
        layout.addWidget(heading)
        layout.addWidget(self.tabs, 1)

    def refresh(self) -> None:
        tab = self.tabs.currentWidget()
        if tab is self.settings and self.settings.has_unsaved_input():
            return  # keep what the lead is typing
        getattr(tab, "refresh", lambda: None)()
