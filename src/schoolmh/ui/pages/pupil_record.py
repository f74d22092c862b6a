"""One pupil's record: header with flags, and tabs for overview, plan, sessions, measures, referrals, history.

Page "pupil" (not in the sidebar): the main window calls `show_pupil(uuid)` when
ctx.open_pupil fires, and `refresh()` after any data change while it is shown.
Opening a record is audited by the service (pupils.get_pupil, "pupil.view", once per sign-in).

Every change is one service call (one transaction) from a small dialog
(ui/dialogs/record_dialogs.py) or a form on a tab; validation errors are shown
next to the field they name, and a successful change emits ctx.data_changed(kind) so every page catches up.
Tabs a role may not use are hidden, not greyed (the head does not read case
notes; only the lead reads the audit trail).
"""
from __future__ import annotations

import datetime as dt
import importlib
from collections.abc import Callable
from pathlib import Path

from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QValidator
from PySide6.QtWidgets import (
    QComboBox,
    QDialog,
    QDoubleSpinBox,
    QFileDialog,
    QFormLayout,
    QGridLayout,
    QGroupBox,
    QHBoxLayout,
    QLabel,
    QMenu,
    QPushButton,
    QSizePolicy,
    QSpinBox,
    QSplitter,
    QTableView,
    QTabWidget,
    QVBoxLayout,
    QWidget,
)

from schoolmh.domain import instruments as inst
from schoolmh.domain.codes import (
    ATTENDANCE,
    PEOPLE_INVOLVED,
    REFERRAL_DECISIONS,
    REFERRAL_DESTINATIONS,
    SEN_PROVISION,
    TIERS,
)
from schoolmh.errors import ValidationError
from schoolmh.services import audit, measures, plans, pupils, referrals, sessions, users, vault_admin
from schoolmh.services.measures import ChangeInfo, InstrumentInfo, MeasureInfo
from schoolmh.services.permissions import Action
from schoolmh.services.plans import GoalInfo, PlanInfo, ReviewInfo
from schoolmh.services.pupils import PupilDetail
from schoolmh.services.referrals import ReferralInfo
from schoolmh.ui.models.pupils_model import year_label
from schoolmh.ui.models.table_model import RIGHT, Column, RowTableModel, SortProxy, format_date
from schoolmh.ui.pages.sessions import SessionActions, session_columns
from schoolmh.ui.dialogs.record_dialogs import (
    ClosePlanDialog,
    DecisionDialog,
    GoalsDialog,
    LeftDialog,
    PlanDialog,
    ReferralDialog,
    ReviewDialog,
)
from schoolmh.ui.widgets.common import (
    Chip,
    FieldErrors,
    FormErrorLabel,
    confirm,
    error_colour,
    fit_columns,
    heading,
    info,
    list_view,
    scroll_area,
    wrapped_label,
)
from schoolmh.ui.widgets.dates import DateEdit
from schoolmh.ui.widgets.measure_chart import ChartPoint, MeasureChart

__all__ = ["PupilRecordPage", "MeasureEntry", "ScoreSpin"]


# --- small helpers ------------------------------------------------------------------------------------
def _fmt_num(value: float | int | None) -> str:
    if value is None:
        return ""
    return str(int(value)) if float(value).is_integer() else f"{value:g}"


def _signed(value: float) -> str:
    text = _fmt_num(abs(value))
    return f"+{text}" if value > 0 else (f"−{text}" if value < 0 else "0")


def _table(model, name: str, stretch: int | None = None) -> QTableView:
    """A read-only list; `stretch` is the column that takes spare width (default: the last)."""
    return list_view(model, name, stretch=stretch)


def _compact_height(view: QTableView, rows: int) -> None:
    """Size a small table to its rows (at least one), so the overview reads as a page, not a scroller."""
    h = view.horizontalHeader().height() + view.verticalHeader().defaultSectionSize() * max(1, rows) + 4
    view.setFixedHeight(h)


RATERS = {"self": "Pupil (self-report)", "child": "Child", "parent": "Parent", "teacher": "Teacher"}


def rater_name(code: str) -> str:
    return RATERS.get(code, code.capitalize())


def _classification_text(c: ChangeInfo) -> str:
    return f"{_signed(c.delta)} ({c.classification})"


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
        self.spin.setAccessibleDescription(f"from {_fmt_num(low)} to {_fmt_num(high)}")
        self.spin.setToolTip(f"{label}: {_fmt_num(low)} to {_fmt_num(high)}")
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
            self.refused.emit(f"{self.label}: {cleaned} is out of range ({_fmt_num(self.low)}–{_fmt_num(self.high)})")

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
        self.clear_button = QPushButton("&Clear")
        self.clear_button.clicked.connect(self.clear_values)
        buttons = QHBoxLayout()
        buttons.addStretch(1)
        buttons.addWidget(self.clear_button)
        buttons.addWidget(self.save_button)

        layout = QVBoxLayout(self)
        layout.addLayout(head)
        layout.addWidget(self.note)
        layout.addWidget(scroll, 1)
        layout.addWidget(self.general)
        layout.addLayout(buttons)

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


# --- tabs --------------------------------------------------------------------------------------------------
class _Tab(QWidget):
    def __init__(self, page: "PupilRecordPage") -> None:
        super().__init__()
        self.page = page
        self.ctx = page.ctx

    @property
    def pupil(self) -> PupilDetail | None:
        return self.page.pupil

    def can(self, action: Action) -> bool:
        return self.ctx.session is not None and self.ctx.session.can(action)

    def load(self) -> None:  # pragma: no cover - overridden
        raise NotImplementedError

    def clear(self) -> None:  # pragma: no cover - overridden
        raise NotImplementedError

    def run_dialog(self, dialog: QDialog) -> bool:
        before = self.page.loads
        accepted = dialog.exec() == QDialog.DialogCode.Accepted
        if accepted:
            self.page.reload_after_change(before)
        return accepted


GOAL_COLUMNS: list[Column[GoalInfo]] = [
    Column("Goal", lambda g: f"{g.position}. {g.description}", sort=lambda g: g.position),
    Column("First", lambda g: g.first_rating, align=RIGHT, tooltip=lambda g: format_date(g.first_rated_on) or None),
    Column("Latest", lambda g: g.latest_rating, align=RIGHT, tooltip=lambda g: format_date(g.latest_rated_on) or None),
    Column("Change", lambda g: _signed(g.change) if g.change is not None else "",
           sort=lambda g: g.change, align=RIGHT,
           tooltip=lambda g: ("A change of 3 or more is commonly treated as reliable (GBO)." if g.change is not None else None)),
    Column("Ratings", lambda g: g.ratings, align=RIGHT),
    Column("Last rated", lambda g: g.latest_rated_on, align=RIGHT),
]


class _ScoreRow:
    """Latest score for one instrument and rater, with its change since the first (if two or more)."""

    def __init__(self, latest: MeasureInfo, count: int, change: ChangeInfo | None) -> None:
        self.latest, self.count, self.change = latest, count, change


SCORE_COLUMNS: list[Column[_ScoreRow]] = [
    Column("Questionnaire", lambda r: r.latest.instrument),
    Column("Completed by", lambda r: rater_name(r.latest.rater)),
    Column("Latest", lambda r: r.latest.date, align=RIGHT),
    Column("Score", lambda r: _fmt_num(r.latest.headline), sort=lambda r: r.latest.headline, align=RIGHT),
    Column("Band", lambda r: r.latest.band),
    Column("Results", lambda r: r.count, align=RIGHT),
    Column("Change since first", lambda r: _classification_text(r.change) if r.change else "needs two results",
           sort=lambda r: r.change.delta if r.change else None,
           tooltip=lambda r: (f"First {format_date(r.change.first_date)}: {_fmt_num(r.change.first_headline)}; "
                              f"reliable change is {_fmt_num(r.change.threshold)} points") if r.change else None),
]


def score_rows(results: list[MeasureInfo], changes: list[ChangeInfo]) -> list[_ScoreRow]:
    latest: dict[tuple[str, str], MeasureInfo] = {}
    counts: dict[tuple[str, str], int] = {}
    for m in results:  # oldest first
        key = (m.instrument, m.rater)
        latest[key] = m
        counts[key] = counts.get(key, 0) + 1
    by_key = {(c.instrument, c.rater): c for c in changes}
    return [_ScoreRow(m, counts[k], by_key.get(k)) for k, m in sorted(latest.items())]


class OverviewTab(_Tab):
    def __init__(self, page) -> None:
        super().__init__(page)
        self.plan_text = wrapped_label()
        self.plan_text.setAccessibleName("Current plan")
        self.goal_model = RowTableModel(GOAL_COLUMNS, parent=self)
        self.goal_view = _table(SortProxy(self.goal_model, self), "Goals and ratings", stretch=0)
        self.score_model = RowTableModel(SCORE_COLUMNS, parent=self)
        self.score_view = _table(SortProxy(self.score_model, self), "Latest scores")
        self.activity_text = wrapped_label()
        self.activity_text.setAccessibleName("Sessions and referrals")
        inner = QWidget()
        layout = QVBoxLayout(inner)
        layout.addWidget(heading("Current support plan"))
        layout.addWidget(self.plan_text)
        layout.addWidget(self.goal_view)
        layout.addSpacing(8)
        layout.addWidget(heading("Latest scores"))
        layout.addWidget(self.score_view)
        layout.addSpacing(8)
        layout.addWidget(heading("Sessions and referrals"))
        layout.addWidget(self.activity_text)
        layout.addStretch(1)
        outer = QVBoxLayout(self)
        outer.setContentsMargins(0, 0, 0, 0)
        outer.addWidget(scroll_area(inner))

    def load(self) -> None:
        p = self.pupil
        session = self.ctx.session
        data = self.page.data
        plan: PlanInfo | None = data.get("plan")
        if plan is None:
            self.plan_text.setText("No open support plan.")
            self.goal_model.set_rows([])
            self.goal_view.hide()
        else:
            review = ""
            if plan.review_date:
                review = f" · review due {format_date(plan.review_date)}" + (" (overdue)" if plan.due_for_review else "")
            people = ", ".join(PEOPLE_INVOLVED.get(c, c) for c in plan.people_involved)
            lines = [f"{TIERS.get(plan.tier, plan.tier)} · started {format_date(plan.start_date)}{review}"]
            if plan.presenting_needs:
                lines.append(f"Needs: {plan.presenting_needs}")
            if plan.strategies:
                lines.append(f"Strategies: {plan.strategies}")
            if people:
                lines.append(f"Involved: {people}")
            self.plan_text.setText("\n".join(lines))
            self.goal_model.set_rows(plan.goals)
            self.goal_view.setVisible(bool(plan.goals))
            fit_columns(self.goal_view, 480)
            _compact_height(self.goal_view, len(plan.goals))
        rows = score_rows(data.get("measures", []), data.get("changes", []))
        self.score_model.set_rows(rows)
        self.score_view.setVisible(bool(rows))
        fit_columns(self.score_view)
        _compact_height(self.score_view, len(rows))
        parts = []
        if not rows:
            parts.append("No questionnaire scores yet.")
        if session.can(Action.SESSION_READ):
            ss = data.get("sessions", [])
            attended = sum(1 for s in ss if s.attendance == "attended")
            if ss:
                last = ss[0]
                parts.append(f"{len(ss)} session{'' if len(ss) == 1 else 's'} recorded ({attended} attended); "
                             f"last on {format_date(last.date)} ({ATTENDANCE.get(last.attendance, last.attendance)}, "
                             f"{last.staff_name}).")
            else:
                parts.append("No sessions recorded.")
        refs: list[ReferralInfo] = data.get("referrals", [])
        pending = [r for r in refs if r.pending]
        if refs:
            parts.append(f"{len(refs)} referral{'' if len(refs) == 1 else 's'}, {len(pending)} awaiting a decision"
                         + (f" (longest {max(r.waiting_days for r in pending)} days)." if pending else "."))
        if p.in_gap:
            parts.append(f"⚠ In the gap: not accepted by the services referred to, waiting {p.gap_days} days.")
        self.activity_text.setText("\n".join(parts))

    def clear(self) -> None:
        self.plan_text.clear()
        self.goal_model.clear()
        self.score_model.clear()
        self.activity_text.clear()


REVIEW_COLUMNS: list[Column[ReviewInfo]] = [
    Column("Reviewed", lambda r: r.review_date, align=RIGHT),
    Column("Next review", lambda r: r.next_review_date, align=RIGHT),
    Column("Notes", lambda r: r.notes.replace("\n", " "), tooltip=lambda r: r.notes or None),
]
PAST_PLAN_COLUMNS: list[Column[PlanInfo]] = [
    Column("Started", lambda p: p.start_date, align=RIGHT),
    Column("Closed", lambda p: p.closed_on, align=RIGHT),
    Column("Tier", lambda p: TIERS.get(p.tier, p.tier)),
    Column("Goals", lambda p: len(p.goals), align=RIGHT),
    Column("Outcome", lambda p: p.outcome.replace("\n", " "), tooltip=lambda p: p.outcome or None),
]


class PlanTab(_Tab):
    def __init__(self, page) -> None:
        super().__init__(page)
        self.summary = wrapped_label()
        self.summary.setAccessibleName("Plan")
        self.start_button = QPushButton("S&tart a plan…")
        self.edit_button = QPushButton("&Edit plan…")
        self.goals_button = QPushButton("Edit &goals…")
        self.review_button = QPushButton("Add re&view…")
        self.close_button = QPushButton("&Close plan…")
        self.reopen_button = QPushButton("Reope&n last plan")
        for b in (self.start_button, self.edit_button, self.goals_button, self.review_button, self.close_button,
                  self.reopen_button):
            b.setAccessibleName(b.text().replace("&", "").rstrip("…"))
        self.start_button.clicked.connect(self.start_plan)
        self.edit_button.clicked.connect(lambda: self._with_plan(lambda p: PlanDialog(self.ctx, self, self.pupil.uuid, p)))
        self.goals_button.clicked.connect(lambda: self._with_plan(lambda p: GoalsDialog(self.ctx, self, p)))
        self.review_button.clicked.connect(lambda: self._with_plan(lambda p: ReviewDialog(self.ctx, self, p)))
        self.close_button.clicked.connect(lambda: self._with_plan(lambda p: ClosePlanDialog(self.ctx, self, p)))
        self.reopen_button.clicked.connect(self.reopen)
        self.goal_model = RowTableModel(GOAL_COLUMNS, parent=self)
        self.goal_view = _table(SortProxy(self.goal_model, self), "Goals", stretch=0)
        self.review_model = RowTableModel(REVIEW_COLUMNS, parent=self)
        self.review_view = _table(SortProxy(self.review_model, self), "Reviews")
        self.past_model = RowTableModel(PAST_PLAN_COLUMNS, parent=self)
        self.past_view = _table(SortProxy(self.past_model, self), "Earlier plans")

        buttons = QHBoxLayout()
        for b in (self.start_button, self.edit_button, self.goals_button, self.review_button, self.close_button,
                  self.reopen_button):
            buttons.addWidget(b)
        buttons.addStretch(1)
        inner = QWidget()
        layout = QVBoxLayout(inner)
        layout.addLayout(buttons)
        layout.addWidget(self.summary)
        self.goals_heading = heading("Goals (Goal Based Outcomes, rated 0–10)")
        layout.addWidget(self.goals_heading)
        layout.addWidget(self.goal_view)
        self.reviews_heading = heading("Reviews")
        layout.addWidget(self.reviews_heading)
        self.no_reviews = wrapped_label("No reviews yet: “Add review” records one as a dated entry.")
        layout.addWidget(self.no_reviews)
        layout.addWidget(self.review_view)
        self.past_heading = heading("Earlier plans")
        layout.addWidget(self.past_heading)
        layout.addWidget(self.past_view)
        layout.addStretch(1)
        outer = QVBoxLayout(self)
        outer.setContentsMargins(0, 0, 0, 0)
        outer.addWidget(scroll_area(inner))

    def load(self) -> None:
        data = self.page.data
        plan: PlanInfo | None = data.get("plan")
        all_plans: list[PlanInfo] = data.get("plans", [])
        writable = self.can(Action.PLAN_WRITE)
        self.start_button.setVisible(writable and plan is None)
        for b in (self.edit_button, self.goals_button, self.review_button, self.close_button):
            b.setVisible(writable and plan is not None)
        past = [p for p in all_plans if p.status == "closed"]
        self.reopen_button.setVisible(writable and plan is None and bool(past))
        if plan is None:
            self.summary.setText("No open support plan." + (" Start one to set goals and review dates." if writable else ""))
        else:
            people = ", ".join(PEOPLE_INVOLVED.get(c, c) for c in plan.people_involved) or "not recorded"
            review = format_date(plan.review_date) if plan.review_date else "not set"
            if plan.due_for_review:
                review += " (overdue)" if plan.review_date < self.ctx.session.today() else " (due today)"
            self.summary.setText(
                f"Tier: {TIERS.get(plan.tier, plan.tier)}\nStarted: {format_date(plan.start_date)}    "
                f"Review by: {review}\nPeople involved: {people}\n\n"
                f"Presenting needs: {plan.presenting_needs or '—'}\n\nStrategies: {plan.strategies or '—'}")
        self.goal_model.set_rows(plan.goals if plan else [])
        fit_columns(self.goal_view, 480)
        _compact_height(self.goal_view, len(plan.goals) if plan else 0)
        self.review_model.set_rows(plan.reviews if plan else [])
        fit_columns(self.review_view)
        _compact_height(self.review_view, min(6, len(plan.reviews)) if plan else 0)
        for w in (self.goals_heading, self.goal_view, self.reviews_heading):
            w.setVisible(plan is not None)
        self.review_view.setVisible(plan is not None and bool(plan.reviews))
        self.no_reviews.setVisible(plan is not None and not plan.reviews)
        self.past_model.set_rows(past)
        fit_columns(self.past_view)
        _compact_height(self.past_view, min(5, len(past)))
        self.past_heading.setVisible(bool(past))
        self.past_view.setVisible(bool(past))

    def clear(self) -> None:
        self.summary.clear()
        for m in (self.goal_model, self.review_model, self.past_model):
            m.clear()

    def _with_plan(self, make: Callable[[PlanInfo], QDialog]) -> None:
        plan = self.page.data.get("plan")
        if plan is not None:
            self.run_dialog(make(plan))

    def start_plan(self) -> None:
        if self.pupil is not None:
            self.run_dialog(PlanDialog(self.ctx, self, self.pupil.uuid))

    def reopen(self) -> None:
        past = [p for p in self.page.data.get("plans", []) if p.status == "closed"]
        if not past:
            return
        latest = max(past, key=lambda p: (p.closed_on or p.start_date, p.start_date))
        if not confirm(self, "Reopen plan", f"Reopen the plan closed on {format_date(latest.closed_on)}?", "&Reopen"):
            return
        self.page.one_call(lambda: plans.reopen_plan(self.ctx.session, latest.uuid), "plans", "reopening the plan")


class SessionsTab(_Tab):
    def __init__(self, page) -> None:
        super().__init__(page)
        self.model = RowTableModel(session_columns(with_pupil=False), key=lambda s: s.uuid, parent=self)
        self.proxy = SortProxy(self.model, self)
        self.view = _table(self.proxy, "Sessions with this pupil")
        self.view.sortByColumn(0, Qt.SortOrder.DescendingOrder)
        self.add_button = QPushButton("&Add session…")
        self.add_button.setAccessibleName("Add session")
        self.add_button.clicked.connect(self.add_session)
        self.session_actions = SessionActions(self.ctx, self.view, self.proxy, wrap=self._change)
        self.count = QLabel()
        top = QHBoxLayout()
        top.addWidget(self.count)
        top.addStretch(1)
        top.addWidget(self.add_button)
        top.addWidget(self.session_actions.edit_button)
        top.addWidget(self.session_actions.delete_button)
        layout = QVBoxLayout(self)
        layout.addLayout(top)
        layout.addWidget(self.view, 1)

    def load(self) -> None:
        rows = self.page.data.get("sessions", [])
        self.model.set_rows(rows)
        fit_columns(self.view)
        self.add_button.setVisible(self.can(Action.SESSION_WRITE))
        minutes = sum(s.duration_minutes for s in rows)
        from schoolmh.ui.widgets.charts import hours_text

        self.count.setText(f"{len(rows)} session{'' if len(rows) == 1 else 's'}, {hours_text(minutes)}")

    def clear(self) -> None:
        self.model.clear()

    def add_session(self) -> None:
        from schoolmh.ui.dialogs.quick_session import QuickSessionDialog

        if self.pupil is not None:
            self.run_dialog(QuickSessionDialog(self.ctx, self, pupil_uuid=self.pupil.uuid))

    def _change(self, change: Callable[[], bool]) -> None:
        """Run an edit or delete from SessionActions, then reload the record once."""
        before = self.page.loads
        if change():
            self.page.reload_after_change(before)


RESULT_COLUMNS: list[Column[MeasureInfo]] = [
    Column("Date", lambda m: m.date, align=RIGHT),
    Column("Questionnaire", lambda m: m.instrument),
    Column("Completed by", lambda m: rater_name(m.rater)),
    Column("Score", lambda m: _fmt_num(m.headline), sort=lambda m: m.headline, align=RIGHT),
    Column("Band", lambda m: m.band),
    Column("Scores entered", lambda m: ", ".join(f"{k} {_fmt_num(v)}" for k, v in m.values.items()),
           tooltip=lambda m: "\n".join(f"{k}: {_fmt_num(v)}" for k, v in {**m.values, **m.totals}.items()) or None),
]


class MeasuresTab(_Tab):
    def __init__(self, page) -> None:
        super().__init__(page)
        self.entry = MeasureEntry(self.ctx)
        self.entry.save_action = self._save
        self.series = QComboBox()
        self.series.setAccessibleName("Chart")
        series_label = QLabel("Ch&art:")
        series_label.setBuddy(self.series)
        self.series.currentIndexChanged.connect(self._draw)
        self.chart = MeasureChart()
        self.change = wrapped_label()
        self.change.setAccessibleName("Change since first score")
        self.model = RowTableModel(RESULT_COLUMNS, key=lambda m: m.uuid, parent=self)
        self.proxy = SortProxy(self.model, self)
        self.view = _table(self.proxy, "Results")
        self.view.sortByColumn(0, Qt.SortOrder.DescendingOrder)
        self.delete_button = QPushButton("Delete res&ult…")
        self.delete_button.setAccessibleName("Delete result")
        self.delete_button.clicked.connect(self.delete_result)

        right = QWidget()
        r = QVBoxLayout(right)
        r.setContentsMargins(0, 0, 0, 0)
        row = QHBoxLayout()
        row.addWidget(series_label)
        row.addWidget(self.series, 1)
        r.addLayout(row)
        r.addWidget(self.chart, 3)
        r.addWidget(self.change)
        r.addWidget(self.view, 2)
        drow = QHBoxLayout()
        drow.addStretch(1)
        drow.addWidget(self.delete_button)
        r.addLayout(drow)
        self.splitter = QSplitter(Qt.Orientation.Horizontal)
        self.splitter.addWidget(self.entry)
        self.splitter.addWidget(right)
        self.splitter.setStretchFactor(0, 2)
        self.splitter.setStretchFactor(1, 3)
        self.splitter.setChildrenCollapsible(False)
        self.splitter.setSizes([400, 600])
        layout = QVBoxLayout(self)
        layout.addWidget(self.splitter)

    def _save(self) -> bool:
        before = self.page.loads
        saved = self.entry.save()
        if saved:
            self.page.reload_after_change(before)
        return saved

    def load(self) -> None:
        data = self.page.data
        self.entry.pupil_uuid = self.pupil.uuid if self.pupil else None
        self.entry.setVisible(self.can(Action.MEASURE_WRITE))
        self.delete_button.setVisible(self.can(Action.MEASURE_WRITE))
        results: list[MeasureInfo] = data.get("measures", [])
        self.model.set_rows(results)
        fit_columns(self.view)
        keys: list[tuple[str, str]] = []
        for m in results:
            if (m.instrument, m.rater) not in keys:
                keys.append((m.instrument, m.rater))
        chosen = self.series.currentData()
        self.series.blockSignals(True)
        self.series.clear()
        for code, rater in keys:
            n = sum(1 for m in results if (m.instrument, m.rater) == (code, rater))
            self.series.addItem(f"{code} — {rater_name(rater)} ({n} result{'' if n == 1 else 's'})", (code, rater))
        i = self.series.findData(chosen) if chosen else -1
        self.series.setCurrentIndex(i if i >= 0 else (self.series.count() - 1 if self.series.count() else -1))
        self.series.blockSignals(False)
        self._draw()

    def _draw(self, *_args) -> None:
        key = self.series.currentData()
        results: list[MeasureInfo] = self.page.data.get("measures", [])
        if not key:
            self.chart.clear()
            self.change.setText("No scores yet: enter the first on the left." if self.entry.isVisible()
                                else "No scores yet.")
            return
        code, rater = key
        definition = inst.get_instrument(code)
        points = [ChartPoint(m.date, m.headline, m.band) for m in results if (m.instrument, m.rater) == key]
        age = measures.age_on(self.pupil.dob, points[-1].date) if self.pupil and points else None
        bands = definition.bands_for(rater, age)
        self.chart.set_data(f"{definition.name} — {rater_name(rater)}: {definition.total_label(definition.headline)}",
                            points, definition.headline_range, bands, definition.higher_is_better)
        change = next((c for c in self.page.data.get("changes", []) if (c.instrument, c.rater) == key), None)
        if change is None:
            self.change.setText("One result so far: change is shown from the second.")
        else:
            self.change.setText(
                f"Change from first ({format_date(change.first_date)}, {_fmt_num(change.first_headline)}) to latest "
                f"({format_date(change.latest_date)}, {_fmt_num(change.latest_headline)}): {_classification_text(change)}. "
                f"Reliable change on this questionnaire is {_fmt_num(change.threshold)} points; "
                f"{'higher' if change.higher_is_better else 'lower'} is better.")

    def clear(self) -> None:
        self.model.clear()
        self.chart.clear()
        self.series.clear()
        self.change.clear()
        self.entry.clear_values()
        self.entry.pupil_uuid = None

    def delete_result(self) -> None:
        m = self.proxy.row_at(self.view.currentIndex())
        if m is None:
            info(self, "Delete result", "Choose a result in the list first.")
            return
        if not confirm(self, "Delete result", f"Delete the {m.instrument} ({m.rater}) entered for "
                       f"{format_date(m.date)}? Do this only for scores entered in error.", "&Delete", danger=True):
            return
        self.page.one_call(lambda: measures.delete_measure(self.ctx.session, m.uuid), "measures", "deleting the result")


REFERRAL_COLUMNS: list[Column[ReferralInfo]] = [
    Column("Sent", lambda r: r.sent_on, align=RIGHT),
    Column("To", lambda r: REFERRAL_DESTINATIONS.get(r.destination, r.destination)),
    Column("Decision", lambda r: REFERRAL_DECISIONS.get(r.decision, r.decision)),
    Column("Decided", lambda r: r.decision_on, align=RIGHT),
    Column("Waiting", lambda r: f"{r.waiting_days} days" + (" so far" if r.pending else ""),
           sort=lambda r: r.waiting_days, align=RIGHT, header_tooltip="Days from sending to the decision"),
    Column("Reason", lambda r: r.reason, tooltip=lambda r: r.reason or None),
    Column("Next step", lambda r: r.next_step, tooltip=lambda r: r.next_step or None),
]


class ReferralsTab(_Tab):
    def __init__(self, page) -> None:
        super().__init__(page)
        self.gap = wrapped_label()
        self.gap.setAccessibleName("Gap status")
        self.model = RowTableModel(REFERRAL_COLUMNS, key=lambda r: r.uuid, parent=self)
        self.proxy = SortProxy(self.model, self)
        self.view = _table(self.proxy, "Referrals, newest first")
        self.view.sortByColumn(0, Qt.SortOrder.DescendingOrder)
        self.view.activated.connect(lambda _i: self.record_decision())
        self.add_button = QPushButton("&Add referral…")
        self.decision_button = QPushButton("Record &decision…")
        for b in (self.add_button, self.decision_button):
            b.setAccessibleName(b.text().replace("&", "").rstrip("…"))
        self.add_button.clicked.connect(self.add_referral)
        self.decision_button.clicked.connect(self.record_decision)
        top = QHBoxLayout()
        top.addWidget(self.gap, 1)
        top.addWidget(self.add_button)
        top.addWidget(self.decision_button)
        layout = QVBoxLayout(self)
        layout.addLayout(top)
        layout.addWidget(self.view, 1)

    def load(self) -> None:
        rows = self.page.data.get("referrals", [])
        self.model.set_rows(rows)
        fit_columns(self.view)
        writable = self.can(Action.REFERRAL_WRITE)
        self.add_button.setVisible(writable)
        self.decision_button.setVisible(writable)
        self.decision_button.setEnabled(bool(rows))
        p = self.pupil
        if p is not None and p.in_gap:
            self.gap.setText(f"⚠ In the gap for {p.gap_days} days: the most recent referrals were not accepted "
                             "and no referral has been accepted since.")
            pal = self.gap.palette()
            pal.setColor(self.gap.foregroundRole(), error_colour(self))
            self.gap.setPalette(pal)
        else:
            pending = sum(1 for r in rows if r.pending)
            self.gap.setPalette(self.palette())
            self.gap.setText(f"{len(rows)} referral{'' if len(rows) == 1 else 's'}, {pending} awaiting a decision."
                             if rows else "No referrals.")

    def clear(self) -> None:
        self.model.clear()
        self.gap.clear()

    def add_referral(self) -> None:
        if self.pupil is not None:
            self.run_dialog(ReferralDialog(self.ctx, self, self.pupil.uuid))

    def record_decision(self) -> None:
        if not self.can(Action.REFERRAL_WRITE):
            return
        r = self.proxy.row_at(self.view.currentIndex())
        if r is None:
            pending = [x for x in self.model.rows() if x.pending]
            r = pending[0] if len(pending) == 1 else None
        if r is None:
            info(self, "Record decision", "Choose the referral in the list first.")
            return
        self.run_dialog(DecisionDialog(self.ctx, self, r))


AUDIT_WORDS = {
    "pupil.view": "Viewed the record",
    "pupil.create": "Added the pupil",
    "pupil.update": "Changed details",
    "pupil.archive": "Marked as left",
    "pupil.unarchive": "Put back on roll",
    "pupil.share_mhst": "Changed MHST sharing",
    "plan.create": "Started a plan",
    "plan.update": "Changed the plan",
    "plan.goals": "Changed the goals",
    "plan.review": "Reviewed the plan",
    "plan.close": "Closed the plan",
    "plan.reopen": "Reopened the plan",
    "session.create": "Recorded a session",
    "session.update": "Corrected a session",
    "session.delete": "Deleted a session",
    "measure.create": "Entered scores",
    "measure.delete": "Deleted scores",
    "referral.create": "Made a referral",
    "referral.decision": "Recorded a referral decision",
    "export.pupil": "Exported the record",
    "report.pupil": "Printed a pupil summary",
}


class _AuditRow:
    def __init__(self, row: audit.AuditRow, who: str) -> None:
        self.row, self.who = row, who

    @property
    def when(self) -> dt.datetime:
        at = self.row.at
        if at.tzinfo is None:
            at = at.replace(tzinfo=dt.timezone.utc)
        return at.astimezone()


def _detail_text(detail: str) -> str:
    """Field names and counts only (audit details never hold names); pupil uuids are dropped."""
    parts = [p for p in detail.replace(";", ",").split(",") if p and not p.startswith("pupil=")]
    return ", ".join(p.replace("fields=", "fields: ").replace("via=import", "via MIS import") for p in parts)


AUDIT_COLUMNS: list[Column[_AuditRow]] = [
    Column("When", lambda a: f"{format_date(a.when.date())} {a.when:%H:%M}", sort=lambda a: a.row.seq, align=RIGHT),
    Column("Who", lambda a: a.who),
    Column("What", lambda a: AUDIT_WORDS.get(a.row.action, a.row.action)),
    Column("Detail", lambda a: _detail_text(a.row.detail)),
]


class HistoryTab(_Tab):
    def __init__(self, page) -> None:
        super().__init__(page)
        note = wrapped_label("Who viewed and changed this pupil's records, newest first (from the tamper-evident audit trail).")
        self.model = RowTableModel(AUDIT_COLUMNS, parent=self)
        self.proxy = SortProxy(self.model, self)
        self.view = _table(self.proxy, "Audit history")
        self.view.sortByColumn(0, Qt.SortOrder.DescendingOrder)
        layout = QVBoxLayout(self)
        layout.addWidget(note)
        layout.addWidget(self.view, 1)

    def load(self) -> None:
        if not self.can(Action.AUDIT_READ) or self.pupil is None:
            self.model.clear()
            return
        data = self.page.data
        uuids = [self.pupil.uuid]
        for p in data.get("plans", []):
            uuids.append(p.uuid)
        uuids += [s.uuid for s in data.get("sessions", [])]
        uuids += [m.uuid for m in data.get("measures", [])]
        uuids += [r.uuid for r in data.get("referrals", [])]
        names = users.staff_names(self.ctx.session)
        rows = vault_admin.audit_rows(self.ctx.session, uuids)  # checks AUDIT_READ itself
        self.model.set_rows([_AuditRow(r, names.get(r.actor or "", "(removed account)" if r.actor else "SchoolMH"))
                             for r in rows])
        fit_columns(self.view)

    def clear(self) -> None:
        self.model.clear()


# --- the page ------------------------------------------------------------------------------------------------
def _pdf_function():
    """schoolmh.reports.pupil_summary.pupil_summary_pdf(session, pupil_uuid) when the reports have landed."""
    try:
        module = importlib.import_module("schoolmh.reports.pupil_summary")
    except ImportError:
        return None
    return getattr(module, "pupil_summary_pdf", None)


class PupilRecordPage(QWidget):
    def __init__(self, ctx, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.ctx = ctx
        self.pupil: PupilDetail | None = None
        self.data: dict = {}
        self.loads = 0  # counts reloads, so a change reloads the record once (see reload_after_change)

        self.back_button = QPushButton("‹ &Pupils")
        self.back_button.setAccessibleName("Back to the pupil list")
        self.back_button.clicked.connect(lambda: ctx.navigate.emit("pupils"))
        self.name = heading("", 1.5)
        self.name.setAccessibleName("Pupil name")
        self.name.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.details = QLabel()
        self.details.setWordWrap(True)  # wraps on a small screen (1366x768 at 150%) instead of widening the page
        self.details.setAccessibleName("Pupil details")
        self.details.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.chips_host = QWidget()
        self.chips = QHBoxLayout(self.chips_host)
        self.chips.setContentsMargins(0, 0, 0, 0)
        self.chips.setSpacing(6)

        self.edit_button = QPushButton("Edit deta&ils…")
        self.edit_button.clicked.connect(self.edit_details)
        # Rarer changes live in a menu so the header fits at 1366x768 and 150% scaling.
        self.more_button = QPushButton("More actio&ns")
        self.more_button.setAccessibleName("More actions")
        more = QMenu(self.more_button)
        self.share_action = more.addAction("Share with MHST…", self.toggle_share)
        self.left_action = more.addAction("Mark as left…", self.toggle_left)
        self.more_button.setMenu(more)
        self.pdf_button = QPushButton("Pupil summary PD&F…")
        self.pdf_button.clicked.connect(self.save_pdf)
        for b in (self.edit_button, self.pdf_button):
            b.setAccessibleName(b.text().replace("&", "").rstrip("…"))

        self.tabs = QTabWidget()
        self.tabs.setAccessibleName("Pupil record sections")
        self.overview = OverviewTab(self)
        self.plan_tab = PlanTab(self)
        self.sessions_tab = SessionsTab(self)
        self.measures_tab = MeasuresTab(self)
        self.referrals_tab = ReferralsTab(self)
        self.history_tab = HistoryTab(self)
        self._tabs: list[tuple[_Tab, Action]] = [
            (self.overview, Action.PUPIL_READ),
            (self.plan_tab, Action.PLAN_READ),
            (self.sessions_tab, Action.SESSION_READ),
            (self.measures_tab, Action.MEASURE_READ),
            (self.referrals_tab, Action.REFERRAL_READ),
            (self.history_tab, Action.AUDIT_READ),
        ]
        for tab, text in zip((t for t, _ in self._tabs),
                             ("&Overview", "P&lan", "&Sessions", "&Measures", "&Referrals", "&History"), strict=True):
            self.tabs.addTab(tab, text)
        self._apply_permissions()

        header_left = QVBoxLayout()
        header_left.setSpacing(2)
        header_left.addWidget(self.name)
        header_left.addWidget(self.details)
        header_left.addWidget(self.chips_host)
        header_buttons = QVBoxLayout()  # stacked: the name and details keep the width on a small screen
        for b in (self.edit_button, self.pdf_button, self.more_button):
            header_buttons.addWidget(b)
        header = QHBoxLayout()
        back_col = QVBoxLayout()
        back_col.addWidget(self.back_button)
        back_col.addStretch(1)
        header.addLayout(back_col)
        header.addSpacing(8)
        header.addLayout(header_left, 1)
        right = QVBoxLayout()
        right.addLayout(header_buttons)
        right.addStretch(1)
        header.addLayout(right)
        layout = QVBoxLayout(self)
        layout.addLayout(header)
        layout.addWidget(self.tabs, 1)
        self._set_header_visible(False)

    # -- permissions ----------------------------------------------------------------------------------
    def can(self, action: Action) -> bool:
        return self.ctx.session is not None and self.ctx.session.can(action)

    def _apply_permissions(self) -> None:
        for i, (_tab, action) in enumerate(self._tabs):
            self.tabs.setTabVisible(i, self.can(action))
        self.left_action.setVisible(self.can(Action.PUPIL_WRITE))
        self.share_action.setVisible(self.can(Action.PUPIL_SHARE_MHST))
        if _pdf_function() is None:
            self.pdf_button.setEnabled(False)
            self.pdf_button.setToolTip("Pupil summary PDFs arrive with the reports; not available in this version yet.")

    def _set_header_visible(self, on: bool) -> None:
        for w in (self.name, self.details, self.chips_host, self.tabs):
            w.setVisible(on)
        self.edit_button.setVisible(on and self.can(Action.PUPIL_WRITE))
        self.pdf_button.setVisible(on and self.can(Action.REPORT_PUPIL))
        self.more_button.setVisible(on and (self.can(Action.PUPIL_WRITE) or self.can(Action.PUPIL_SHARE_MHST)))

    # -- loading ----------------------------------------------------------------------------------------
    def show_pupil(self, uuid: str) -> None:
        """Open a pupil's record (audited as a view by the service). Raises NotFound for an unknown pupil."""
        self.pupil = pupils.get_pupil(self.ctx.session, uuid)
        self._load_data()
        self._render()
        self.tabs.setCurrentIndex(0)

    def refresh(self) -> None:
        """Reload the pupil shown (after a change anywhere); a pupil now out of reach clears the page."""
        if self.pupil is None or self.ctx.session is None:
            return
        try:
            self.pupil = pupils.get_pupil(self.ctx.session, self.pupil.uuid)
        except Exception:  # noqa: BLE001 - erased or unshared meanwhile
            self.clear()
            return
        self._load_data()
        self._render()

    def reload_after_change(self, loads_before: int) -> None:
        """After a change made from this page: reload, unless the window already did (it calls
        refresh() on ctx.data_changed), so the record is read once per change."""
        if self.loads == loads_before:
            self.refresh()

    def _load_data(self) -> None:
        session = self.ctx.session
        uuid = self.pupil.uuid
        d: dict = {}
        if session.can(Action.PLAN_READ):
            d["plans"] = plans.list_plans(session, uuid)
            d["plan"] = next((p for p in d["plans"] if p.status == "open"), None)
        if session.can(Action.SESSION_READ):
            d["sessions"] = sessions.list_sessions(session, uuid)
        if session.can(Action.MEASURE_READ):
            d["measures"] = measures.list_measures(session, uuid)
            d["changes"] = measures.change_summary(session, uuid)
        if session.can(Action.REFERRAL_READ):
            d["referrals"] = referrals.list_referrals(session, uuid)
        self.data = d
        self.loads += 1

    def _render(self) -> None:
        p = self.pupil
        self._set_header_visible(True)
        self.name.setText(p.display_name)
        legal = f"{p.legal_forename} {p.legal_surname}".strip()
        bits = [year_label(p.year_group)]
        if p.tutor_group:
            bits.append(f"Tutor group {p.tutor_group}")
        if p.upn:
            bits.append(f"UPN {p.upn}")
        if p.dob:
            bits.append(f"Born {format_date(p.dob)}")
        if legal and legal != p.display_name:
            bits.append(f"Legal name {legal}")
        self.details.setText(" · ".join(b for b in bits if b))
        self._render_chips(p)
        self.share_action.setText("Stop sharing with MHST…" if p.shared_with_mhst else "Share with MHST…")
        self.left_action.setText("Put back on roll…" if p.left_on else "Mark as left…")
        for i, (tab, action) in enumerate(self._tabs):
            if self.tabs.isTabVisible(i) and self.can(action):
                tab.load()
        self.measures_tab.entry.date.set_value(self.ctx.session.today())

    def _render_chips(self, p: PupilDetail) -> None:
        while self.chips.count():
            item = self.chips.takeAt(0)
            if item.widget():
                item.widget().deleteLater()
        chips: list[tuple[str, str]] = []
        if p.left_on:
            chips.append((f"Left {format_date(p.left_on)}", "Has left the school"))
        if p.sen_provision in ("E", "K"):
            chips.append((f"SEN {p.sen_provision}" + (f" · {p.primary_need}" if p.primary_need else ""),
                          SEN_PROVISION[p.sen_provision] + (f", primary need {p.primary_need}" if p.primary_need else "")))
        if p.looked_after:
            chips.append(("CLA", "Looked after (child in care)"))
        if p.young_carer:
            chips.append(("Young carer", "Young carer"))
        if p.eal:
            chips.append(("EAL" + (f" · {p.first_language}" if p.first_language else ""),
                          "English as an additional language"))
        if p.fsm:
            chips.append(("FSM", "Free school meals"))
        if p.pupil_premium:
            chips.append(("PP", "Pupil premium"))
        if p.service_child:
            chips.append(("Service child", "Parent in the armed forces"))
        if p.open_plan_tier:
            chips.append((f"Plan: {TIERS.get(p.open_plan_tier, p.open_plan_tier)}", "Open support plan and its tier"))
        if p.in_gap:
            chips.append((f"⚠ In the gap · {p.gap_days} days", "Referrals not accepted and none accepted since"))
        if p.shared_with_mhst:
            chips.append(("Shared with MHST", "MHST practitioners can see this pupil"))
        for text, tip in chips:
            self.chips.addWidget(Chip(text, tip))
        if not chips:
            none = QLabel("No flags recorded")
            self.chips.addWidget(none)
        self.chips.addStretch(1)

    def clear(self) -> None:
        """Forget the pupil (lock, erasure): every widget holding their data is emptied."""
        self.pupil = None
        self.data = {}
        self.name.clear()
        self.details.clear()
        self._render_chips_empty()
        for tab, _ in self._tabs:
            tab.clear()
        self._set_header_visible(False)

    def _render_chips_empty(self) -> None:
        while self.chips.count():
            item = self.chips.takeAt(0)
            if item.widget():
                item.widget().deleteLater()

    # -- header actions ---------------------------------------------------------------------------------------
    def edit_details(self) -> None:
        from schoolmh.ui.dialogs.pupil_form import PupilFormDialog

        if self.pupil is None:
            return
        before = self.loads
        dialog = PupilFormDialog(self.ctx, self, self.pupil)
        if dialog.exec() and dialog.result_value is not None:
            self.reload_after_change(before)

    def toggle_share(self) -> None:
        p = self.pupil
        if p is None:
            return
        if p.shared_with_mhst:
            question = ("Stop sharing this pupil with the MHST? MHST practitioners will no longer see their record "
                        "(what they recorded stays).")
        else:
            question = "Share this pupil with the MHST? MHST practitioners will see their whole record."
        if not confirm(self, "MHST sharing", question, "&Stop sharing" if p.shared_with_mhst else "&Share"):
            return
        self.one_call(lambda: pupils.share_with_mhst(self.ctx.session, p.uuid, not p.shared_with_mhst),
                       "pupils", "changing MHST sharing")

    def toggle_left(self) -> None:
        p = self.pupil
        if p is None:
            return
        if p.left_on is None:
            before = self.loads
            if LeftDialog(self.ctx, self, p).exec():
                self.reload_after_change(before)
            return
        if confirm(self, "Back on roll", "Put this pupil back on roll?", "Bac&k on roll"):
            self.one_call(lambda: pupils.unarchive_pupil(self.ctx.session, p.uuid), "pupils", "putting the pupil back on roll")

    def one_call(self, call: Callable[[], object], kind: str, doing: str) -> bool:
        """Run one service call for a change, tell everyone, reload once."""
        before = self.loads
        try:
            call()
        except Exception as exc:  # noqa: BLE001
            self.ctx.report_error(self, exc, doing)
            return False
        self.ctx.data_changed.emit(kind)
        self.reload_after_change(before)
        return True

    def save_pdf(self) -> None:
        make = _pdf_function()
        p = self.pupil
        if make is None or p is None:
            return
        name, _ = QFileDialog.getSaveFileName(self, "Save pupil summary", str(Path.home() / "pupil-summary.pdf"),
                                              "PDF (*.pdf)")
        if not name:
            return
        session, uuid = self.ctx.session, p.uuid

        def work(progress):
            progress.update(0, 0, "Making the PDF…")
            return make(session, uuid)

        def done(data: bytes) -> None:
            from schoolmh import fsutil

            try:  # the save dialog asked before replacing a file; never into the vault's folder
                fsutil.write_output(name, data, self.ctx.data_dir, overwrite=True)
            except ValidationError as exc:
                self.ctx.report_error(self, exc, "saving the PDF")
                return
            except OSError as exc:
                self.ctx.report_error(self, ValidationError(f"Could not save the PDF: {exc.strerror}."), "saving the PDF")
                return
            info(self, "Pupil summary", f"Saved {Path(name).name}.")

        self.ctx.run("Pupil summary PDF", work, done, parent=self, gui_thread=True)
