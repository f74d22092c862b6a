"""Typing in one completed questionnaire's scores (the Measures tab's left side)."""
from __future__ import annotations

from collections.abc import Callable

from PySide6.QtCore import Signal
from PySide6.QtGui import QValidator
from PySide6.QtWidgets import (
    QComboBox,
    QDoubleSpinBox,
    QFormLayout,
    QGridLayout,
    QGroupBox,
    QHBoxLayout,
    QLabel,
    QPushButton,
    QSizePolicy,
    QSpinBox,
    QVBoxLayout,
    QWidget,
)

from schoolmh.domain import instruments as inst
from schoolmh.errors import ValidationError
from schoolmh.services import measures
from schoolmh.services.measures import InstrumentInfo
from schoolmh.ui.pages.pupil_record.common import fmt_num, rater_name
from schoolmh.ui.widgets.common import FieldErrors, FormErrorLabel, scroll_area, wrapped_label
from schoolmh.ui.widgets.dates import DateEdit


# --- measure entry -------------------------------------------------------------------------------------------
class ScoreSpin(QWidget):
    """One score: a spin box limited to the field's range, blank ("—") until typed.

    The range is enforced by the spin box itself; a value typed outside it is
    refused there and then, and `refused` carries a message for the field's
    error label, so the user sees why the keystroke did nothing.
    """

    refused = Signal(str)

    def __init__(self, label: str, low: float, high: float, decimals: int, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.low, self.high, self.decimals, self.label = low, high, decimals, label
        step = 10 ** -decimals
        outer = self

        class _Int(QSpinBox):
            def validate(self, text, pos):  # noqa: N802
                result = super().validate(text, pos)
                outer._check(text, result)
                return result

        class _Float(QDoubleSpinBox):
            def validate(self, text, pos):  # noqa: N802
                result = super().validate(text, pos)
                outer._check(text, result)
                return result

        if decimals == 0:
            self.spin: QSpinBox | QDoubleSpinBox = _Int()
            self.spin.setRange(int(low) - 1, int(high))
        else:
            self.spin = _Float()
            self.spin.setDecimals(decimals)
            self.spin.setRange(low - step, high)
            self.spin.setSingleStep(step)
        self.spin.setSpecialValueText("—")
        self.spin.setValue(self.spin.minimum())
        self.spin.setAccessibleName(label)
        self.spin.setAccessibleDescription(f"from {fmt_num(low)} to {fmt_num(high)}")
        self.spin.setToolTip(f"{label}: {fmt_num(low)} to {fmt_num(high)}")
        self.spin.setCorrectionMode(QSpinBox.CorrectionMode.CorrectToNearestValue)
        layout = QHBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.spin)
        self.setFocusProxy(self.spin)

    def _check(self, text: str, result) -> None:
        state = result[0] if isinstance(result, tuple) else result
        if state != QValidator.State.Invalid:
            return
        cleaned = text.strip()
        try:
            number = float(cleaned)
        except ValueError:
            return
        if number < self.low or number > self.high:
            self.refused.emit(f"{self.label}: {cleaned} is out of range ({fmt_num(self.low)}–{fmt_num(self.high)})")

    def value(self) -> float | int | None:
        v = self.spin.value()
        if v <= self.spin.minimum():
            return None
        return round(v, self.decimals) if self.decimals else int(v)

    def clear_value(self) -> None:
        self.spin.setValue(self.spin.minimum())


class MeasureEntry(QGroupBox):
    """Type in one completed measure: instrument, rater, date, then one spin box per score."""

    saved = Signal(object)  # MeasureInfo

    def __init__(self, ctx, parent: QWidget | None = None) -> None:
        super().__init__("Enter scores from the paper form", parent)
        self.ctx = ctx
        self.pupil_uuid: str | None = None
        self.catalogue: list[InstrumentInfo] = measures.instrument_catalogue()
        self.instrument = QComboBox()
        for info_ in self.catalogue:
            self.instrument.addItem(f"{info_.code} — {info_.name}", info_.code)
        self.instrument.setAccessibleName("Questionnaire")
        self.instrument.setSizeAdjustPolicy(QComboBox.SizeAdjustPolicy.AdjustToMinimumContentsLengthWithIcon)
        self.instrument.setMinimumContentsLength(22)
        self.instrument.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Fixed)
        self.rater = QComboBox()
        self.rater.setAccessibleName("Completed by")
        self.form_choice = QComboBox()
        self.form_choice.setAccessibleName("Scores to enter")
        self.date = DateEdit(ctx.session.today(), accessible_name="Date completed")
        self.note = wrapped_label()
        self.general = FormErrorLabel()
        self.errors = FieldErrors(self.general)

        head = QFormLayout()
        head.setFieldGrowthPolicy(QFormLayout.FieldGrowthPolicy.ExpandingFieldsGrow)
        self.errors.add_row(head, "&Questionnaire:", "instrument", self.instrument)
        self.errors.add_row(head, "Completed &by:", "rater", self.rater)
        self.form_label = QLabel("En&ter:")
        self.form_label.setBuddy(self.form_choice)
        head.addRow(self.form_label, self.form_choice)
        self.errors.add_row(head, "&Date:", "date", self.date)

        self.spins: dict[str, ScoreSpin] = {}
        self.field_errors: dict[str, FormErrorLabel] = {}
        self.fields_scroll = scroll = scroll_area()
        scroll.viewport().setAutoFillBackground(False)

        self.save_button = QPushButton("Sa&ve scores")
        self.save_button.setAccessibleName("Save scores")
        self.save_button.clicked.connect(lambda: self.save_action())
        self.save_action: Callable[[], object] = self.save  # the record page wraps it to reload afterwards
        self.clear_button = QPushButton("Cl&ear")
        self.clear_button.clicked.connect(self.clear_values)
        buttons = QHBoxLayout()
        buttons.addStretch(1)
        buttons.addWidget(self.clear_button)
        buttons.addWidget(self.save_button)

        # The buttons sit under the questionnaire, date and rater, above the scores: at 1366x768 and 150%
        # (911x512) the record page is taller than the screen and a button row below the scores was only
        # reached by scrolling. The Tab order still runs date → scores → Clear → Save scores.
        layout = QVBoxLayout(self)
        layout.addLayout(head)
        layout.addLayout(buttons)
        layout.addWidget(self.general)
        layout.addWidget(self.note)
        layout.addWidget(scroll, 1)

        self.instrument.currentIndexChanged.connect(self._instrument_changed)
        self.form_choice.currentIndexChanged.connect(self._build_fields)
        self._instrument_changed()

    def current(self) -> InstrumentInfo:
        return self.catalogue[max(0, self.instrument.currentIndex())]

    def select(self, code: str, rater: str | None = None) -> None:
        self.instrument.setCurrentIndex(max(0, self.instrument.findData(code)))
        if rater is not None:
            self.rater.setCurrentIndex(max(0, self.rater.findData(rater)))

    def _instrument_changed(self, *_args) -> None:
        info_ = self.current()
        definition = inst.get_instrument(info_.code)
        self.rater.clear()
        for r in info_.raters:
            self.rater.addItem(rater_name(r), r)
        self.form_choice.blockSignals(True)
        self.form_choice.clear()
        for form in definition.forms:
            self.form_choice.addItem(form.description[0].upper() + form.description[1:], form.code)
        self.form_choice.blockSignals(False)
        many = len(definition.forms) > 1
        self.form_choice.setVisible(many)
        self.form_label.setVisible(many)
        direction = "higher is better" if info_.higher_is_better else "lower is better"
        self.note.setText(f"Headline: {info_.headline} ({direction}). {info_.age_note}".strip())
        self._build_fields()

    def _build_fields(self, *_args) -> None:
        # A fresh widget per instrument: the old one (and its spin boxes) goes with setWidget.
        self.fields_host = QWidget()
        self.fields_grid = QGridLayout(self.fields_host)
        self.fields_grid.setContentsMargins(0, 0, 0, 0)
        self.spins, self.field_errors = {}, {}
        self.errors = FieldErrors(self.general)
        self.errors.add("instrument", self.instrument, self.general)
        self.errors.add("rater", self.rater, self.general)
        self.errors.add("date", self.date, self.general)
        definition = inst.get_instrument(self.current().code)
        form = definition.forms[max(0, self.form_choice.currentIndex())]
        columns = 1 if len(form.fields) <= 6 else (2 if len(form.fields) <= 14 else 3)
        previous: QWidget = self.date
        for i, f in enumerate(form.fields):
            spin = ScoreSpin(f.label + ("" if f.required else " (optional)"), f.min, f.max, f.decimals)
            label = QLabel(f"{f.label}{'' if f.required else ' (optional)'}:")
            label.setBuddy(spin.spin)
            error = FormErrorLabel()
            spin.refused.connect(error.show_error)
            spin.spin.valueChanged.connect(lambda _v, e=error: e.clear_error())
            row, col = divmod(i, columns)
            self.fields_grid.addWidget(label, row * 2, col * 2)
            self.fields_grid.addWidget(spin, row * 2, col * 2 + 1)
            self.fields_grid.addWidget(error, row * 2 + 1, col * 2, 1, 2)
            self.spins[f.code] = spin
            self.field_errors[f.code] = error
            self.errors.add(f.code, spin.spin, error)
        self.fields_grid.setColumnStretch(columns * 2, 1)
        self.fields_grid.setRowStretch(2 * ((len(form.fields) + columns - 1) // columns), 1)
        self.fields_scroll.setWidget(self.fields_host)
        self.fields_host.setAutoFillBackground(False)  # setWidget turns it on; let the group box show through
        chain = [previous, *(spin.spin for spin in self.spins.values()), self.clear_button, self.save_button]
        for first, second in zip(chain, chain[1:]):
            QWidget.setTabOrder(first, second)

    def values(self) -> dict[str, float | int | None]:
        return {code: spin.value() for code, spin in self.spins.items()}

    def clear_values(self) -> None:
        for spin in self.spins.values():
            spin.clear_value()
        self.errors.clear()

    def save(self) -> bool:
        """Record the measure (one service call); True when saved."""
        if self.pupil_uuid is None:
            return False
        self.errors.clear()
        values = {k: v for k, v in self.values().items() if v is not None}
        try:
            result = measures.record_measure(self.ctx.session, self.pupil_uuid, self.current().code,
                                             self.rater.currentData(), values, date=self.date.value())
        except ValidationError as exc:
            self.errors.show(exc)
            return False
        except Exception as exc:  # noqa: BLE001
            self.ctx.report_error(self, exc, "saving these scores")
            return False
        self.clear_values()
        self.ctx.data_changed.emit("measures")
        self.saved.emit(result)
        return True
