"""The change-password dialog (by choice from the account menu, or required after a lead set the password).

Apart from ui/unlock.py so the unlock screen, which a cold start paints first,
does not load the form-dialog machinery it does not need.
"""
from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QApplication, QDialog, QFormLayout, QLabel, QLineEdit, QVBoxLayout, QWidget

from schoolmh.errors import ValidationError
from schoolmh.services.passwords import password_inputs
from schoolmh.ui.context import AppContext
from schoolmh.ui.widgets.common import FormDialog, NewPasswordFields

__all__ = ["ChangePasswordDialog"]


class ChangePasswordDialog(FormDialog):
    """Set a new password for yourself (required after a lead set or reset it).

    Changing it by choice asks for the current password first, so a laptop left
    unlocked is not enough to take over the account. When the change is required,
    the user has just signed in with the password the lead gave them: not asked again.
    """

    kind = "users"
    doing = "changing your password"

    def __init__(self, ctx: AppContext, parent: QWidget | None = None, required: bool = False) -> None:
        super().__init__(ctx, parent, "Choose a new password" if required else "Change my password",
                         save_text="&Save password", cancel_text="Lock instead" if required else "&Cancel")
        layout = QVBoxLayout(self)
        intro = QLabel(
            "Your password was set by your lead. Choose your own now: only you should know it."
            if required
            else "Type your current password, then choose a new one. Any “Remember me” on this laptop is "
            "forgotten when it changes."
        )
        intro.setWordWrap(True)
        layout.addWidget(intro)
        form = QFormLayout()
        self.current: QLineEdit | None = None
        if not required:
            self.current = QLineEdit()
            self.current.setEchoMode(QLineEdit.EchoMode.Password)
            self.current.setAccessibleName("Current password")
            self.errors.add_row(form, "C&urrent password:", "current", self.current)
        actor = ctx.session.actor
        self.fields = NewPasswordFields(form, self.errors, "&New password:",
                                        names=lambda: password_inputs(actor.username, actor.full_name))
        layout.addLayout(form)
        layout.addWidget(self.general)
        layout.addWidget(self.buttons)
        self.setMinimumWidth(460)

    def has_unsaved_input(self) -> bool:
        return not self.fields.is_empty() or bool(self.current and self.current.text())

    def submit(self) -> None:
        from schoolmh.services import users

        session = self.ctx.session
        QApplication.setOverrideCursor(Qt.CursorShape.WaitCursor)  # key derivation: up to a second each
        try:
            if self.current is not None:
                if not self.current.text():
                    raise ValidationError("Type your current password first.", "current")
                if not users.verify_password(session, self.current.text()):
                    self.current.selectAll()
                    raise ValidationError("That is not your current password.", "current")
            users.set_password(session, session.actor.username, self.fields.check())
        finally:
            QApplication.restoreOverrideCursor()

    def accept(self) -> None:
        super().accept()
        bar = getattr(self.parent(), "statusBar", None)
        if self.result() == QDialog.DialogCode.Accepted and bar is not None:
            bar().showMessage("Your new password is saved.", 8000)
