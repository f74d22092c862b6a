"""Small shared widgets and messages: field errors next to the field, chips, plain message boxes,
the form dialog whose Save makes one service call, headings and read-only record lists.

Colours come from the palette (light or dark, as the system says); the one
exception is the error text, picked for contrast against the current window
colour because no palette role means "error".
"""
from __future__ import annotations

from collections.abc import Iterable

from PySide6.QtCore import QEvent, QObject, QSize, Qt
from PySide6.QtGui import QColor, QGuiApplication, QPalette
from PySide6.QtWidgets import (
    QAbstractItemView,
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QFrame,
    QHeaderView,
    QLabel,
    QMessageBox,
    QPlainTextEdit,
    QScrollArea,
    QSizePolicy,
    QTableView,
    QVBoxLayout,
    QWidget,
)

from schoolmh.errors import SchoolMHError, ValidationError, ValidationErrors

__all__ = [
    "FormErrorLabel", "Chip", "FieldErrors", "FormDialog", "input_state", "is_input", "ask_discard", "ask_first", "NOTHING_TYPED", "is_dark", "error_colour", "wrapped_label",
    "heading", "PAGE_TITLE", "list_view", "fit_columns", "text_box", "scroll_area",
    "info", "warn", "confirm", "report_error", "plain_error_text",
]


def is_dark(widget: QWidget | None = None) -> bool:
    palette = widget.palette() if widget is not None else QPalette()
    return palette.color(QPalette.ColorRole.Window).lightness() < 128


def error_colour(widget: QWidget | None = None) -> QColor:
    """Red with at least 4.5:1 contrast on the window colour in both light and dark themes."""
    return QColor("#ff8a80") if is_dark(widget) else QColor("#b00020")


def wrapped_label(text: str = "") -> QLabel:
    """A paragraph of plain text (never rich text: it may hold what a user typed), wrapped and selectable."""
    label = QLabel(text)
    label.setWordWrap(True)
    label.setTextFormat(Qt.TextFormat.PlainText)
    label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
    return label


def text_box(accessible_name: str, lines: int = 4) -> QPlainTextEdit:
    """A few lines of free text in a form; Tab leaves it (so forms stay quick to cross by keyboard)."""
    box = QPlainTextEdit()
    box.setAccessibleName(accessible_name)
    box.setTabChangesFocus(True)
    box.setFixedHeight(box.fontMetrics().height() * lines + 12)
    return box


def scroll_area(content: QWidget | None = None) -> QScrollArea:
    """A frameless scroll area that sizes `content` to its width: for a tab or form that may not fit."""
    scroll = QScrollArea()
    scroll.setWidgetResizable(True)
    scroll.setFrameShape(QFrame.Shape.NoFrame)
    if content is not None:
        scroll.setWidget(content)
    return scroll


PAGE_TITLE = 1.4  # a page's title, relative to the system font


def heading(text: str, scale: float = 1.15) -> QLabel:
    """A bold heading `scale` times the system font size (so it follows the user's text size)."""
    label = QLabel(text)
    f = label.font()
    f.setPointSizeF(f.pointSizeF() * scale)
    f.setBold(True)
    label.setFont(f)
    return label


def list_view(model, accessible_name: str, sort_column: int = 0,
              order: Qt.SortOrder = Qt.SortOrder.AscendingOrder, stretch: int | None = None) -> QTableView:
    """A read-only record list: whole rows, one at a time, sortable, compact rows, no row numbers;
    Tab moves on to the next control (a list of 2,000 pupils must not trap the keyboard).

    Columns are interactive; column `stretch` (default: the last) takes the spare width.
    `fit_columns(view)` after loading rows sizes the others to their contents.
    """
    view = QTableView()
    view.setModel(model)
    view.setAccessibleName(accessible_name)
    view.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
    view.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
    view.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
    view.setAlternatingRowColors(True)
    view.setWordWrap(False)
    view.setTabKeyNavigation(False)  # Tab leaves the list; arrow keys move inside it
    view.verticalHeader().hide()
    view.verticalHeader().setDefaultSectionSize(view.fontMetrics().height() + 8)
    header = view.horizontalHeader()
    header.setHighlightSections(False)
    header.setSectionResizeMode(QHeaderView.ResizeMode.Interactive)
    header.setStretchLastSection(True)
    view.setSortingEnabled(True)
    view.sortByColumn(sort_column, order)
    _ColumnFit(view, stretch)
    return view


def fit_columns(view: QTableView, cap: int = 360) -> None:
    """Size a list_view's columns to what they hold (each at most `cap` pixels wide); refitted on resize."""
    fit = view.findChild(_ColumnFit)
    if fit is not None:
        fit.refit(cap)


class _ColumnFit(QObject):
    """Column widths for a list_view: each column as wide as its contents (capped), the stretch
    column taking what is left. When the view is too narrow for that (a small window, 150%
    scaling) the widest columns give way first, their text elided, so the stretch column (the
    one people read: a name, a note) keeps a readable width instead of going off the edge.
    No column gets narrower than its header; past that the list scrolls sideways.
    """

    def __init__(self, view: QTableView, stretch: int | None) -> None:
        super().__init__(view)
        self.view = view
        self.stretch = stretch
        self.wanted: list[int] = []
        self.floor: list[int] = []
        header = view.horizontalHeader()
        if stretch is not None:
            header.setStretchLastSection(False)
            header.setSectionResizeMode(stretch, QHeaderView.ResizeMode.Stretch)
        view.viewport().installEventFilter(self)  # the viewport: its new width is known when it resizes

    def refit(self, cap: int) -> None:
        view, header = self.view, self.view.horizontalHeader()
        columns = range(view.model().columnCount())
        self.floor = [header.sectionSizeHint(c) for c in columns]
        self.wanted = [min(max(view.sizeHintForColumn(c) + 10, self.floor[c]), max(cap, self.floor[c]))
                       for c in columns]
        self.apply()

    def apply(self) -> None:
        if not self.wanted:
            return
        view = self.view
        main = self.stretch if self.stretch is not None else len(self.wanted) - 1
        others = [c for c in range(len(self.wanted)) if c != main and not view.isColumnHidden(c)]
        room = view.viewport().width() - min(self.wanted[main], view.fontMetrics().horizontalAdvance("M") * 14)

        def width(c: int, limit: int) -> int:
            return max(self.floor[c], min(self.wanted[c], limit))

        limit = max(self.wanted)
        if sum(self.wanted[c] for c in others) > room:
            low, high = 0, limit  # the widest any other column may be so that all fit (floors allowing)
            while low < high:
                mid = (low + high + 1) // 2
                if sum(width(c, mid) for c in others) <= room:
                    low = mid
                else:
                    high = mid - 1
            limit = low
        for c in others:
            view.setColumnWidth(c, width(c, limit))

    def eventFilter(self, obj, event) -> bool:  # noqa: N802 (Qt)
        if event.type() == QEvent.Type.Resize and obj is self.view.viewport():
            self.apply()
        return False


class FormErrorLabel(QLabel):
    """A message next to a field (or a form); hidden while empty. Screen readers get it as the description."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWordWrap(True)
        self.setTextFormat(Qt.TextFormat.PlainText)
        self.setSizePolicy(QSizePolicy.Policy.Preferred, QSizePolicy.Policy.Minimum)
        self.setAccessibleName("Error")
        self.setObjectName("FormErrorLabel")
        self.hide()

    def show_error(self, message: str) -> None:
        palette = self.palette()
        palette.setColor(QPalette.ColorRole.WindowText, error_colour(self.parentWidget() or self))
        self.setPalette(palette)
        self.setText("⚠ " + message)
        self.setAccessibleDescription(message)
        self.show()

    def clear_error(self) -> None:
        self.setText("")
        self.hide()

    @property
    def message(self) -> str:
        return self.text().removeprefix("⚠ ")


class Chip(QLabel):
    """A small rounded tag (SEN, EAL, CLA …) drawn from palette roles so it follows light and dark themes."""

    def __init__(self, text: str, tooltip: str = "", parent: QWidget | None = None) -> None:
        super().__init__(text, parent)
        self.setObjectName("Chip")
        self.setToolTip(tooltip)
        self.setAccessibleName(tooltip or text)
        self.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.setSizePolicy(QSizePolicy.Policy.Maximum, QSizePolicy.Policy.Fixed)
        self.setStyleSheet(
            "QLabel#Chip { border: 1px solid palette(mid); border-radius: 9px; padding: 1px 8px;"
            " background: palette(alternate-base); color: palette(window-text); font-weight: 600; }"
        )


def focus_target(widget: QWidget) -> QWidget:
    """Where a label's Alt+letter should land in `widget` (QLabel ignores a buddy that takes no focus):
    its focus proxy, the widget itself if it takes the focus, else its first input (a group of tick boxes)."""
    while widget.focusProxy() is not None:
        widget = widget.focusProxy()
    if widget.focusPolicy() != Qt.FocusPolicy.NoFocus:
        return widget
    for child in widget.findChildren(QWidget):
        if is_input(child) and child.focusPolicy() & Qt.FocusPolicy.TabFocus:
            return child
    return widget


class FieldErrors:
    """Maps service field names to the inputs that show them.

    A ValidationError names a field; `show(exc)` puts the message under that
    input and moves focus there. Unknown fields go to the form-level label.
    """

    def __init__(self, general: FormErrorLabel | None = None) -> None:
        self.general = general
        self._fields: dict[str, tuple[QWidget, FormErrorLabel]] = {}

    def add(self, field: str | Iterable[str], widget: QWidget, label: FormErrorLabel) -> None:
        for name in [field] if isinstance(field, str) else field:
            self._fields[name] = (widget, label)

    def wrap(self, field: str | Iterable[str], widget: QWidget) -> QWidget:
        """The input with its error label underneath, ready for `form.addRow(label, wrap(...))`."""
        box = QWidget()
        layout = QVBoxLayout(box)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(2)
        layout.addWidget(widget)
        label = FormErrorLabel(box)
        layout.addWidget(label)
        self.add(field, widget, label)
        return box

    def add_row(self, form: QFormLayout, text: str, field: str | Iterable[str], widget: QWidget) -> QWidget:
        """`form.addRow(text, widget)` with an error label under the input; the label text is its buddy."""
        row = self.wrap(field, widget)
        label = QLabel(text)
        label.setBuddy(focus_target(widget))
        form.addRow(label, row)
        if not widget.accessibleName():
            widget.setAccessibleName(text.replace("&", "").rstrip(":"))
        return row

    def typed_problems(self) -> list:
        """Typed values a form cannot use (a date that is not a date), as FieldProblems for `show`."""
        from schoolmh.errors import FieldProblem

        problems, seen = [], set()
        for field, (widget, _label) in self._fields.items():
            check = getattr(widget, "problem", None)
            if check is None or id(widget) in seen or not widget.isEnabled():
                continue
            seen.add(id(widget))
            message = check()
            if message:
                problems.append(FieldProblem(field, message))
        return problems

    def label_for(self, field: str) -> FormErrorLabel | None:
        entry = self._fields.get(field)
        return entry[1] if entry else None

    def message_for(self, field: str) -> str:
        label = self.label_for(field)
        return label.message if label and label.isVisibleTo(label.parentWidget() or label) else ""

    def clear(self) -> None:
        for _widget, label in self._fields.values():
            label.clear_error()
        if self.general is not None:
            self.general.clear_error()

    def show(self, exc: ValidationError) -> None:
        self.clear()
        problems = exc.problems if isinstance(exc, ValidationErrors) else [None]
        first: QWidget | None = None
        for problem in problems:
            field = problem.field if problem is not None else exc.field
            message = problem.message if problem is not None else exc.message
            entry = self._fields.get(field or "")
            if entry is None:
                if self.general is not None:
                    existing = self.general.message if self.general.text() else ""
                    self.general.show_error(f"{existing}\n{message}".strip() if existing else message)
                continue
            widget, label = entry
            label.show_error(message)
            first = first or widget
        if first is not None:
            first.setFocus(Qt.FocusReason.OtherFocusReason)


NOTHING_TYPED = "Nothing to save yet: type or choose something first (Escape closes this window)."


def input_state(root: QWidget) -> list:
    """What the inputs under `root` hold, in a comparable form: to tell whether anything was typed or chosen."""
    from PySide6.QtWidgets import QAbstractButton, QAbstractSpinBox, QComboBox, QLineEdit, QListWidget, QTextEdit

    state: list = []
    for w in root.findChildren(QWidget):
        if isinstance(w, QLineEdit):  # spaces alone are not typing (a stray Space must not count)
            state.append(w.text().strip())
        elif isinstance(w, (QPlainTextEdit, QTextEdit)):
            state.append(w.toPlainText().strip())
        elif isinstance(w, QComboBox):
            state.append((w.currentIndex(), w.currentText() if w.isEditable() else ""))
        elif isinstance(w, QAbstractSpinBox):
            state.append(w.text())
        elif isinstance(w, QAbstractButton) and w.isCheckable():
            state.append(w.isChecked())
        elif isinstance(w, QListWidget):
            state.append([(w.item(i).text(), w.item(i).checkState()) for i in range(w.count())])
    return state


def is_input(widget: QWidget) -> bool:
    """A control that takes typing or a choice (not a button that acts, a label or a scroll bar)."""
    from PySide6.QtWidgets import (
        QAbstractButton, QAbstractItemView, QAbstractSpinBox, QComboBox, QLineEdit, QPushButton, QTextEdit,
    )

    if isinstance(widget, QPushButton):
        return False
    if isinstance(widget, QAbstractButton):
        return widget.isCheckable()
    return isinstance(widget, (QLineEdit, QPlainTextEdit, QTextEdit, QComboBox, QAbstractSpinBox, QAbstractItemView))


def ask_first(parent: QWidget, title: str, text: str, yes_text: str, no_text: str) -> bool:
    """A question whose safe answer (`no_text`) is the default and Escape's: True only for `yes_text`."""
    box = QMessageBox(QMessageBox.Icon.Question, title, text, parent=parent)
    yes = box.addButton(yes_text, QMessageBox.ButtonRole.DestructiveRole)
    no = box.addButton(no_text, QMessageBox.ButtonRole.RejectRole)
    box.setDefaultButton(no)
    box.setEscapeButton(no)
    box.exec()
    return box.clickedButton() is yes


def ask_discard(parent: QWidget) -> bool:
    """Escape (or Cancel, or closing the window) with typed input: "Discard what you typed?" (default No)."""
    return ask_first(parent, "Discard what you typed?", "Discard what you typed? It has not been saved.",
                     "&Discard", "&Keep editing")


class FormDialog(QDialog):
    """A modal form whose Save (the default button) makes ONE service call: every form dialog's base.

    How it behaves at the keyboard (issue 13, "no record saved by one stray key"):

    * it opens with the focus in its first field (never on a button), and its buttons
      come last in the Tab order;
    * Enter saves from any one-line field; in a multi-line note Enter is a new line
      and Ctrl+Enter saves. No other button is ever pressed by Enter (none is "auto
      default"): Space presses the button that has the focus;
    * Save does nothing but say so until something has been typed or chosen
      (`requires_input`; confirmations such as "Mark done" set it False and name
      their button after what it does); a typed date that is not a date is refused
      next to its field;
    * Escape, Cancel or closing the window with typed input asks "Discard what you
      typed?" (default: keep editing). Locking closes dialogs without asking.

    Subclasses add their inputs with `self.errors.add_row(...)`, lay out
    `self.general` (form-level errors) and `self.buttons`, and implement `submit()`:
    it returns what was saved (kept in `result_value`) or raises ValidationError,
    which is shown under the field it names while the dialog stays open. Any other
    failure gets the plain message ("Something went wrong {doing}. Nothing was saved.").
    After a save, `kind` (if set) goes out as ctx.data_changed so other pages catch up.
    """

    kind = ""  # what ctx.data_changed says after a save ("" says nothing)
    doing = "saving"  # finishes "Something went wrong …"
    requires_input = True  # Save refuses until something was typed or chosen

    def __init__(self, ctx, parent: QWidget | None = None, title: str = "", save_text: str = "&Save",
                 cancel_text: str = "&Cancel") -> None:
        super().__init__(parent)
        self.ctx = ctx
        self.result_value = None
        self._opened_state: list | None = None  # what the inputs held when the dialog was first shown
        self.setWindowTitle(title)
        self.setModal(True)
        self.general = FormErrorLabel()
        self.errors = FieldErrors(self.general)
        self.buttons = QDialogButtonBox()
        self.save_button = self.buttons.addButton(save_text, QDialogButtonBox.ButtonRole.AcceptRole)
        self.save_button.setDefault(True)
        self.cancel_button = self.buttons.addButton(cancel_text, QDialogButtonBox.ButtonRole.RejectRole)
        self.buttons.accepted.connect(self.accept)
        self.buttons.rejected.connect(self.reject)
        from PySide6.QtGui import QKeySequence, QShortcut

        for keys in ("Ctrl+Return", "Ctrl+Enter"):
            shortcut = QShortcut(QKeySequence(keys), self)
            shortcut.setContext(Qt.ShortcutContext.WindowShortcut)
            shortcut.activated.connect(self._save_by_key)

    @staticmethod
    def form_layout(parent: QWidget | None = None) -> QFormLayout:
        form = QFormLayout(parent) if parent is not None else QFormLayout()
        form.setFieldGrowthPolicy(QFormLayout.FieldGrowthPolicy.ExpandingFieldsGrow)
        return form

    # -- opening: focus, Tab order, buttons ------------------------------------------------------
    def showEvent(self, event) -> None:  # noqa: N802
        super().showEvent(event)
        if self._opened_state is None:
            self._arrange()
            self._opened_state = self.input_state()
            from PySide6.QtCore import QTimer

            QTimer.singleShot(0, self, self._unselect_opening_text)  # dropped if the dialog is gone first

    def _unselect_opening_text(self) -> None:
        """Qt gives the first field the focus "by Tab" as the window opens, which selects its text: one
        stray key would then replace a recorded value. The cursor goes to the end of it instead."""
        from PySide6.QtWidgets import QLineEdit

        focus = self.focusWidget()
        if isinstance(focus, QLineEdit) and focus.selectedText() == focus.text():
            focus.deselect()
            focus.end(False)

    def _arrange(self) -> None:
        from PySide6.QtWidgets import QPushButton

        for button in self.findChildren(QPushButton):
            if button is not self.save_button:
                button.setAutoDefault(False)
                button.setDefault(False)
        self.save_button.setAutoDefault(False)
        self.save_button.setDefault(self.save_button.isEnabled())
        chain = [w for w in self._focus_chain() if not self.buttons.isAncestorOf(w)]
        if chain:
            last = chain[-1]
            for button in (self.save_button, self.cancel_button):
                QWidget.setTabOrder(last, button)
                last = button
        focus = self.focusWidget()
        if focus is None or focus is self or not is_input(focus) or not focus.isVisibleTo(self):
            first = self.first_field()
            if first is not None:  # not Tab's reason: that would select a field's text for a stray key to replace
                first.setFocus(Qt.FocusReason.OtherFocusReason)

    def _focus_chain(self) -> list[QWidget]:
        chain, w = [], self.nextInFocusChain()
        while w is not None and w is not self and len(chain) < 2000:
            chain.append(w)
            w = w.nextInFocusChain()
        return chain

    def first_field(self) -> QWidget | None:
        """The first input in Tab order that can take the focus (where the dialog opens)."""
        for w in self._focus_chain():
            if (is_input(w) and w.isVisibleTo(self) and w.isEnabled() and w.focusPolicy() & Qt.FocusPolicy.TabFocus
                    and not (isinstance(w, QPlainTextEdit) and w.isReadOnly())):
                return w.focusProxy() or w
        return None

    # -- what was typed ------------------------------------------------------------------------------
    def input_state(self) -> list:
        return input_state(self)

    def has_unsaved_input(self) -> bool:
        """True once anything was typed or chosen since the dialog opened (the lock warns before discarding it)."""
        return self._opened_state is not None and self.input_state() != self._opened_state

    def submit(self):  # pragma: no cover - overridden
        raise NotImplementedError

    def show_problems(self, exc: ValidationError) -> None:
        """Put a ValidationError's messages next to their fields (a subclass may route some elsewhere)."""
        self.errors.show(exc)

    # -- saving and leaving ----------------------------------------------------------------------------
    def _save_by_key(self) -> None:
        if self.save_button.isEnabled() and self.save_button.isVisible():
            self.save_button.click()

    def accept(self) -> None:
        """Save: one submit(); errors under their fields; the dialog closes only when it worked."""
        if self.ctx.session is None:  # locked meanwhile
            super().reject()
            return
        self.errors.clear()
        typed = self.errors.typed_problems()
        if typed:
            self.show_problems(ValidationErrors(typed))
            return
        # Never shown (a test filling a form directly) means no stray key can have reached it.
        if self.requires_input and self._opened_state is not None and not self.has_unsaved_input():
            self.general.show_error(NOTHING_TYPED)
            first = self.first_field()
            if first is not None:
                first.setFocus(Qt.FocusReason.OtherFocusReason)
            return
        try:
            self.result_value = self.submit()
        except ValidationError as exc:
            self.show_problems(exc)
            return
        except Exception as exc:  # noqa: BLE001 - shown plainly, logged without identifiers
            self.ctx.report_error(self, exc, self.doing)
            return
        if self.kind:
            self.ctx.data_changed.emit(self.kind)
        super().accept()

    def reject(self) -> None:
        """Escape, Cancel, the window's close button: ask before throwing typed input away."""
        if self.has_unsaved_input() and not ask_discard(self):
            return
        super().reject()


# --- plain messages ---------------------------------------------------------------
def info(parent: QWidget | None, title: str, text: str) -> None:
    QMessageBox.information(parent, title, text)


def warn(parent: QWidget | None, title: str, text: str) -> None:
    QMessageBox.warning(parent, title, text)


def confirm(parent: QWidget | None, title: str, text: str, yes_text: str = "&Continue", danger: bool = False) -> bool:
    box = QMessageBox(QMessageBox.Icon.Warning if danger else QMessageBox.Icon.Question, title, text, parent=parent)
    yes = box.addButton(yes_text, QMessageBox.ButtonRole.AcceptRole)
    no = box.addButton("C&ancel" if "&C" in yes_text or "&c" in yes_text else "&Cancel", QMessageBox.ButtonRole.RejectRole)
    box.setDefaultButton(no if danger else yes)
    box.setEscapeButton(no)
    box.exec()
    return box.clickedButton() is yes


def plain_error_text(exc: BaseException, doing: str) -> str:
    """A SchoolMHError's own message, or the plain "nothing was saved" line for a bug."""
    if isinstance(exc, SchoolMHError):
        return exc.message
    doing = doing.strip()
    return f"Something went wrong {doing}. Nothing was saved." if doing else "Something went wrong. Nothing was saved."


def report_error(parent: QWidget | None, exc: BaseException, doing: str) -> None:
    """Show a message a member of staff can act on; log bugs without identifiers (types and line numbers only)."""
    if not isinstance(exc, SchoolMHError):
        from schoolmh.logs import log_exception

        log_exception(exc, doing or "ui")
    QMessageBox.warning(parent, "SchoolMH", plain_error_text(exc, doing))


class NewPasswordFields:
    """A new password, its confirmation and a live strength meter (services.passwords.strength).

    Adds two rows to a form; errors for fields "password" and "confirm" show next to them.
    """

    def __init__(self, form: QFormLayout, errors: FieldErrors, label: str = "&Password:", confirm_label: str = "Con&firm password:",
                 names=None) -> None:
        """`names`: a callable giving the school's and the person's names as typed so far (what a guesser
        tries first); by default the open vault's school name (services.passwords.password_inputs)."""
        from PySide6.QtWidgets import QHBoxLayout, QLineEdit, QProgressBar

        from schoolmh.services.passwords import password_inputs

        self.names = names or password_inputs

        self.password = QLineEdit()
        self.password.setEchoMode(QLineEdit.EchoMode.Password)
        self.password.setAccessibleName("New password")
        self.confirm = QLineEdit()
        self.confirm.setEchoMode(QLineEdit.EchoMode.Password)
        self.confirm.setAccessibleName("Confirm the new password")
        self.meter = QProgressBar()
        self.meter.setRange(0, 4)
        self.meter.setTextVisible(False)
        self.meter.setFixedWidth(120)
        self.meter.setMaximumHeight(10)
        self.meter.setAccessibleName("Password strength")
        self.word = QLabel()
        self.word.setWordWrap(True)  # the hint is a sentence: it wraps in a narrow dialog or at 150%
        self.word.setAccessibleName("Password strength")
        row = QWidget()
        box = QVBoxLayout(row)
        box.setContentsMargins(0, 0, 0, 0)
        box.setSpacing(3)
        box.addWidget(self.password)
        meter_row = QHBoxLayout()
        meter_row.setContentsMargins(0, 0, 0, 0)
        meter_row.addWidget(self.meter)
        meter_row.addWidget(self.word, 1)
        box.addLayout(meter_row)
        error = FormErrorLabel(row)
        box.addWidget(error)
        errors.add("password", self.password, error)
        text = QLabel(label)
        text.setBuddy(self.password)
        form.addRow(text, row)
        errors.add_row(form, confirm_label, "confirm", self.confirm)
        self.errors = errors
        self.password.textChanged.connect(self._update_meter)
        self._update_meter("")

    def _update_meter(self, text: str) -> None:
        from schoolmh.services.passwords import MIN_LENGTH, MIN_SCORE, strength

        score, word = strength(text, self.names())
        self.meter.setValue(score)
        if not text:
            self.word.setText(f"At least {MIN_LENGTH} characters; a short sentence is easy to remember.")
        elif len(text) < MIN_LENGTH:
            self.word.setText(f"Too short: {MIN_LENGTH - len(text)} more character{'s' if MIN_LENGTH - len(text) != 1 else ''} needed.")
        elif score < MIN_SCORE:
            self.word.setText("Too easy to guess: a short sentence of your own is stronger.")
        else:
            self.word.setText(f"Strength: {word}")
        self.meter.setAccessibleDescription(self.word.text())

    def value(self) -> str:
        return self.password.text()

    def is_empty(self) -> bool:
        return not self.password.text() and not self.confirm.text()

    def check(self) -> str:
        """The password, or ValidationError (field "password" or "confirm") with the reason."""
        from schoolmh.services.passwords import check_password

        check_password(self.password.text(), self.names())
        if self.password.text() != self.confirm.text():
            raise ValidationError("The two passwords are not the same.", "confirm")
        return self.password.text()

    def clear(self) -> None:
        self.password.clear()
        self.confirm.clear()


def fitted_size(width: int, height: int) -> QSize:
    """The size wanted, shrunk to the screen's free area (a 1366×768 laptop at 150% has about 911×480)."""
    screen = QGuiApplication.primaryScreen()
    if screen is None:
        return QSize(width, height)
    free = screen.availableGeometry()
    return QSize(min(width, int(free.width() * 0.95)), min(height, int(free.height() * 0.9)))


def documents_folder() -> str:
    """Where a save or open dialog starts: Documents when it exists, else the home folder.

    Qt names a Documents folder that may not exist (a fresh Linux account, some managed Windows
    profiles); a file dialog given a missing folder falls back to the process's working directory,
    which on Windows is often the install folder.
    """
    from pathlib import Path

    from PySide6.QtCore import QStandardPaths

    folder = QStandardPaths.writableLocation(QStandardPaths.StandardLocation.DocumentsLocation)
    return folder if folder and Path(folder).is_dir() else str(Path.home())
