"""The unlock screen, shown inside the main window while locked (the change-password dialog: ui/change_password.py).

A wrong attempt never says whether the user name or the password was wrong.
After repeated failures the services refuse attempts for a growing time
(errors.LockedOut); the screen shows that as a live countdown.
"""
from __future__ import annotations

from typing import TYPE_CHECKING

from PySide6.QtCore import Qt, QTimer, Signal
from PySide6.QtGui import QFont
from PySide6.QtWidgets import (
    QApplication,
    QCheckBox,
    QFormLayout,
    QFrame,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPushButton,
    QSizePolicy,
    QVBoxLayout,
    QWidget,
)

if TYPE_CHECKING:
    from schoolmh.services.session import Session
    from schoolmh.ui.change_password import ChangePasswordDialog  # noqa: F401 (re-exported below)
    from schoolmh.ui.context import AppContext
    from schoolmh.ui.widgets.common import FormErrorLabel

WRONG = "That user name and password do not match."


def __getattr__(name: str):
    """ChangePasswordDialog lives in ui/change_password.py; still importable from here."""
    if name == "ChangePasswordDialog":
        from schoolmh.ui.change_password import ChangePasswordDialog

        return ChangePasswordDialog
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def app_icon_label(size: int = 64) -> QLabel:
    from PySide6.QtGui import QIcon

    from schoolmh.resources import resource_path

    label = QLabel()
    icon = QIcon(str(resource_path("icons", "schoolmh.png")))
    if not icon.isNull():
        label.setPixmap(icon.pixmap(size, size))
    label.setAlignment(Qt.AlignmentFlag.AlignCenter)
    label.setAccessibleName("SchoolMH")
    return label


class UnlockScreen(QWidget):
    signed_in = Signal(object)  # a Session

    def __init__(self, ctx: AppContext, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.ctx = ctx
        self.setObjectName("UnlockScreen")
        self.remember_allowed_hint: bool | None = None  # learnt at the last unlock in this run
        self._keyring: bool | None = None
        self._busy = False
        self.wait_left = 0

        card = QFrame()
        card.setObjectName("UnlockCard")
        card.setFrameShape(QFrame.Shape.StyledPanel)
        card.setMaximumWidth(440)
        card.setSizePolicy(QSizePolicy.Policy.Preferred, QSizePolicy.Policy.Maximum)

        title = QLabel("SchoolMH")
        font = QFont(title.font())
        font.setPointSizeF(font.pointSizeF() * 1.6)
        font.setBold(True)
        title.setFont(font)
        title.setAlignment(Qt.AlignmentFlag.AlignCenter)
        intro = QLabel("Sign in to open the school's records.")
        intro.setAlignment(Qt.AlignmentFlag.AlignCenter)
        intro.setWordWrap(True)

        self.username = QLineEdit()
        self.username.setAccessibleName("User name")
        self.username.setObjectName("username")
        self.password = QLineEdit()
        self.password.setEchoMode(QLineEdit.EchoMode.Password)
        self.password.setAccessibleName("Password")
        self.password.setObjectName("password")
        self.remember = QCheckBox("&Remember me on this laptop")
        self.remember.setAccessibleName("Remember me on this laptop")
        self.remember.setToolTip("Next time, type your user name and press Enter. Your lead decides whether this is allowed.")
        self.remember.hide()
        self._message: FormErrorLabel | None = None  # made when first needed (see `message`)
        self.countdown = QLabel()
        self.countdown.setObjectName("countdown")
        self.countdown.setWordWrap(True)
        self.countdown.setAccessibleName("Wait before trying again")
        self.countdown.hide()
        self.sign_in_button = QPushButton("&Sign in")
        self.sign_in_button.setDefault(True)
        self.sign_in_button.setAutoDefault(True)
        self.forgot_button = QPushButton("&Forgotten password?")

        form = QFormLayout()
        form.setFieldGrowthPolicy(QFormLayout.FieldGrowthPolicy.AllNonFixedFieldsGrow)
        user_label = QLabel("&User name:")
        user_label.setBuddy(self.username)
        password_label = QLabel("Pass&word:")
        password_label.setBuddy(self.password)
        form.addRow(user_label, self.username)
        form.addRow(password_label, self.password)
        form.addRow("", self.remember)

        buttons = QHBoxLayout()
        buttons.addWidget(self.forgot_button)
        buttons.addStretch(1)
        buttons.addWidget(self.sign_in_button)

        self._card_layout = inner = QVBoxLayout(card)
        inner.setContentsMargins(28, 24, 28, 24)
        inner.setSpacing(10)
        inner.addWidget(app_icon_label())
        inner.addWidget(title)
        inner.addWidget(intro)
        inner.addSpacing(6)
        inner.addLayout(form)
        inner.addWidget(self.countdown)  # an error message goes just above it (see `message`)
        inner.addLayout(buttons)

        outer = QVBoxLayout(self)
        outer.addStretch(1)
        row = QHBoxLayout()
        row.addStretch(1)
        row.addWidget(card, 3)
        row.addStretch(1)
        outer.addLayout(row)
        outer.addStretch(2)

        self.username.returnPressed.connect(self._username_entered)
        self.password.returnPressed.connect(self.submit)
        self.sign_in_button.clicked.connect(self.submit)
        self.forgot_button.clicked.connect(self.forgotten_password)
        self._lookup = QTimer(self)
        self._lookup.setSingleShot(True)
        self._lookup.setInterval(250)
        self._lookup.timeout.connect(self._update_remembered)
        self.username.textChanged.connect(lambda _t: self._lookup.start())
        self._tick_timer = QTimer(self)
        self._tick_timer.setInterval(1000)
        self._tick_timer.timeout.connect(self._tick)
        # The keyring, the key file and the back-off file are looked at once the screen has painted
        # (loading the keyring and crypto modules takes longer than drawing the window).
        QTimer.singleShot(120, self._after_shown)

    @property
    def message(self) -> "FormErrorLabel":
        """The error line under the form, made on first use: a cold start paints the screen without it."""
        if self._message is None:
            from schoolmh.ui.widgets.common import FormErrorLabel

            self._message = FormErrorLabel()
            self._message.setObjectName("unlockMessage")
            self._card_layout.insertWidget(self._card_layout.indexOf(self.countdown), self._message)
        return self._message

    # -- state -------------------------------------------------------------------------
    def _after_shown(self) -> None:
        self._update_remembered()
        self._start_wait_if_needed()
        # Warm the vault code and the first page while the user types (keystrokes queue meanwhile).
        import importlib

        for module in ("schoolmh.services.access", "schoolmh.ui.workspace", "schoolmh.ui.pages.dashboard"):
            try:
                importlib.import_module(module)
            except Exception:  # a page that fails to import shows its placeholder later
                pass

    def keyring_available(self) -> bool:
        if self._keyring is None:
            from schoolmh.services.app_info import keyring_available

            self._keyring = keyring_available()
        return self._keyring

    def _remember_offered(self) -> bool:
        """Only when a keyring works and the lead allows it (known from the last unlock, or from a remembered laptop)."""
        if not self.keyring_available():
            return False
        if self.remember_allowed_hint is not None:
            return self.remember_allowed_hint
        from schoolmh.services.app_info import any_device_remembered

        return any_device_remembered(self.ctx.data_dir)

    def _is_remembered(self, name: str) -> bool:
        if not name.strip() or not self.keyring_available():
            return False
        from schoolmh.services.app_info import device_remembered

        return device_remembered(self.ctx.data_dir, name)

    def _update_remembered(self) -> None:
        remembered = self._is_remembered(self.username.text())
        self.remember.setVisible(self._remember_offered() or remembered)
        self.remember.setChecked(remembered)
        self.password.setPlaceholderText("Remembered on this laptop: press Enter" if remembered else "")

    def reset(self) -> None:
        """After a lock: the password goes; the user name stays for convenience."""
        self.password.clear()
        if self._message is not None:
            self._message.clear_error()
        self._busy = False
        self.sign_in_button.setText("&Sign in")
        self._update_remembered()
        self._start_wait_if_needed()

    def focus_first(self) -> None:
        (self.password if self.username.text().strip() else self.username).setFocus()

    # -- back-off countdown ----------------------------------------------------------------
    def _start_wait_if_needed(self) -> None:
        from schoolmh.services.app_info import unlock_wait_seconds

        seconds = unlock_wait_seconds(self.ctx.data_dir)
        if seconds > 0:
            self.start_countdown(seconds)

    def start_countdown(self, seconds: float) -> None:
        self.wait_left = int(seconds + 0.999)
        self.sign_in_button.setEnabled(False)
        self.countdown.show()
        self._show_wait()
        self._tick_timer.start()

    def _show_wait(self) -> None:
        self.countdown.setText(f"Too many failed attempts. You can try again in {self.wait_left} s.")

    def _tick(self) -> None:
        self.wait_left -= 1
        if self.wait_left <= 0:
            self._tick_timer.stop()
            self.countdown.hide()
            self.sign_in_button.setEnabled(True)
            self.wait_left = 0
            return
        self._show_wait()

    # -- signing in --------------------------------------------------------------------------
    def _username_entered(self) -> None:
        self._update_remembered()
        if self._is_remembered(self.username.text()) and not self.password.text():
            self.submit()
        else:
            self.password.setFocus()

    def submit(self) -> None:
        if self._busy or self.wait_left > 0:
            return
        name = self.username.text().strip()
        password = self.password.text()
        self.message.clear_error()
        if not name:
            self.message.show_error("Type your user name.")
            self.username.setFocus()
            return
        remembered = not password and self._is_remembered(name)
        if not password and not remembered:
            self.message.show_error("Type your password.")
            self.password.setFocus()
            return
        self._busy = True
        self.sign_in_button.setText("Unlocking…")
        self.sign_in_button.setEnabled(False)
        QApplication.setOverrideCursor(Qt.CursorShape.WaitCursor)
        self.repaint()
        session = None
        from schoolmh.errors import LockedOut, SchoolMHError, ValidationError, VaultError, WrongPassword

        try:
            from schoolmh.services import access

            if remembered:
                session = access.sign_in_remembered(self.ctx.data_dir, name)
                if session is None:
                    self._update_remembered()
                    self.message.show_error("This laptop no longer remembers you: type your password.")
                    self.password.setFocus()
            else:
                session = access.sign_in(self.ctx.data_dir, name, password)
        except LockedOut as exc:
            self.start_countdown(exc.seconds)
        except WrongPassword:
            self.message.show_error(WRONG)
            self.password.clear()
            self.password.setFocus()
            self._start_wait_if_needed()
        except (ValidationError, VaultError, SchoolMHError) as exc:
            # A malformed user name is still "do not match": never hint which part was wrong.
            self.message.show_error(WRONG if isinstance(exc, ValidationError) else exc.message)
            self.password.clear()
            self.password.setFocus()
        except Exception as exc:
            from schoolmh.ui.widgets.common import report_error

            report_error(self, exc, "opening the vault")
        finally:
            QApplication.restoreOverrideCursor()
            self._busy = False
            self.sign_in_button.setText("&Sign in")
            self.sign_in_button.setEnabled(self.wait_left <= 0)
        if session is not None:
            self.password.clear()
            self._apply_remember_choice(session)
            self.signed_in.emit(session)

    def _apply_remember_choice(self, session: "Session") -> None:
        """Tick → remember this laptop; untick on a remembered account → forget it."""
        if not self.remember.isVisible():
            return
        from schoolmh.errors import SchoolMHError
        from schoolmh.services import devices

        try:
            remembered = devices.is_remembered(session)
            if self.remember.isChecked() and not remembered:
                devices.remember_this_device(session)
            elif not self.remember.isChecked() and remembered:
                devices.forget_this_device(session)
        except SchoolMHError as exc:
            # Not fatal: the sign-in worked. Say why the laptop will not remember them.
            window = self.window()
            bar = getattr(window, "statusBar", None)
            if bar is not None:
                message = exc.message  # `exc` is unbound once the except block ends, before the timer fires
                QTimer.singleShot(0, lambda: bar().showMessage(message, 10000))

    def forgotten_password(self) -> None:
        from schoolmh.ui.recovery import RecoveryDialog

        dialog = RecoveryDialog(self.ctx, self.window(), username=self.username.text().strip())
        dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        dialog.recovered.connect(self.signed_in.emit)
        dialog.open()
