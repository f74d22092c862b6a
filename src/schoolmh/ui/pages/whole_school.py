"""Whole school: the action plan by principle, activities, and which principles had activity.

Everything goes through services.activities with ctx.session. The lead edits the
action plan (ACTION_PLAN_WRITE); roles with ACTIVITY_WRITE add and edit
activities; everyone else reads. Buttons a role cannot use are absent, not greyed.
"""
from __future__ import annotations

import datetime as dt
from pathlib import Path

from PySide6.QtCore import Qt
from PySide6.QtGui import QFont
from PySide6.QtWidgets import (
    QComboBox,
    QFileDialog,
    QFormLayout,
    QGroupBox,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QLineEdit,
    QListWidget,
    QListWidgetItem,
    QPlainTextEdit,
    QPushButton,
    QSpinBox,
    QTabWidget,
    QTreeWidget,
    QTreeWidgetItem,
    QVBoxLayout,
    QWidget,
)

from schoolmh.domain.codes import ACTIVITY_CATEGORIES, LED_BY, PRINCIPLE_SHORT, PRINCIPLES, RAG
from schoolmh.domain.mis import format_errors
from schoolmh.errors import ValidationError
from schoolmh.services import activities, terms
from schoolmh.services.activities import IMPORT_COLUMNS, ActivityImport, ActivityInfo, ObjectiveInfo
from schoolmh.services.csv_rows import read_file_bytes
from schoolmh.services.permissions import Action
from schoolmh.ui.models.table_model import RIGHT, Column, RowTableModel, RowTableView, SortProxy, format_date
from schoolmh.ui.widgets.charts import CoverageStrip, rag_icon, rag_text
from schoolmh.ui.widgets.common import (
    PAGE_TITLE,
    FormDialog,
    confirm,
    documents_folder,
    fitted_size,
    heading,
    wrapped_label,
)
from schoolmh.ui.widgets.dates import DateEdit, OptionalDateEdit

FAR_PAST, FAR_FUTURE = dt.date(1900, 1, 1), dt.date(2200, 12, 31)


# --- periods --------------------------------------------------------------------------
def periods(today: dt.date) -> list[tuple[str, str, dt.date, dt.date]]:
    """(label, phrase, start, end) choices for the page: this term first (the default)."""
    this = terms.current_term(today)
    last = terms.previous_term(this.name, this.year)
    y1, y2 = terms.academic_year_dates(today)
    return [
        (f"This term ({this.label})", "this term", this.start, this.end),
        (f"Last term ({last.label})", "last term", last.start, last.end),
        (f"This school year ({y1.year}/{(y1.year + 1) % 100:02d})", "this school year", y1, y2),
        ("All dates", "in all", FAR_PAST, FAR_FUTURE),
    ]


def date_span(start: dt.date, end: dt.date | None) -> str:
    if end is None or end == start:
        return format_date(start)
    return f"{format_date(start)} – {format_date(end)}"


_PRINCIPLE_ORDER = {code: i for i, code in enumerate(PRINCIPLES)}


def principles_text(codes: tuple[str, ...]) -> str:
    """Short names in the stable principle order (whatever order they were ticked in)."""
    ordered = sorted(codes, key=lambda c: _PRINCIPLE_ORDER.get(c, 99))
    return ", ".join(PRINCIPLE_SHORT.get(c, c) for c in ordered)


ACTIVITY_COLUMNS: list[Column[ActivityInfo]] = [
    Column("Date", lambda a: a.start_on, tooltip=lambda a: date_span(a.start_on, a.end_on)),
    Column("Title", lambda a: a.title, tooltip=lambda a: a.notes or None),
    Column("Principles", lambda a: principles_text(a.principles),
           tooltip=lambda a: "\n".join(PRINCIPLES.get(c, c) for c in a.principles)),
    Column("Category", lambda a: ACTIVITY_CATEGORIES.get(a.category, a.category)),
    Column("Audience", lambda a: a.audience),
    Column("Led by", lambda a: LED_BY.get(a.led_by, a.led_by)),
    Column("Pupils", lambda a: a.reach_pupils, align=RIGHT, header_tooltip="Pupils reached"),
    Column("Staff", lambda a: a.reach_staff, align=RIGHT, header_tooltip="Staff reached"),
    Column("Parents", lambda a: a.reach_parents, align=RIGHT, header_tooltip="Parents and carers reached"),
    Column("RAG", lambda a: rag_text(a.rag), sort=lambda a: ("red", "amber", "green").index(a.rag)
           if a.rag in RAG else 9, decoration=lambda a: rag_icon(a.rag)),
]


def _combo(items: dict[str, str], accessible: str, current: str | None = None, icons: bool = False) -> QComboBox:
    box = QComboBox()
    for code, name in items.items():
        if icons:
            box.addItem(rag_icon(code), name, code)
        else:
            box.addItem(name, code)
    box.setAccessibleName(accessible)
    if current is not None:
        i = box.findData(current)
        if i >= 0:
            box.setCurrentIndex(i)
    return box


def _objective_label(o: ObjectiveInfo) -> str:
    text = o.text if len(o.text) <= 70 else o.text[:67] + "…"
    return f"{PRINCIPLE_SHORT.get(o.principle, o.principle)}: {text}"


class _FormDialog(FormDialog):
    """The activity, objective and liaison forms: widgets.common.FormDialog (focus, Enter, Escape,
    nothing saved untouched), with `_write()` as the one service call."""

    doing = "saving"

    def __init__(self, ctx, title: str, parent: QWidget | None) -> None:
        super().__init__(ctx, parent, title)

    @property
    def _dirty(self) -> bool:
        return FormDialog.has_unsaved_input(self)

    def _watch(self, *widgets: QWidget) -> None:
        """Kept for callers: the base compares what every input holds, so nothing needs watching."""

    def show_problems(self, exc: ValidationError) -> None:
        self._show_validation(exc)

    def _show_validation(self, exc: ValidationError) -> None:
        self.errors.show(exc)

    def _write(self):  # pragma: no cover - overridden
        raise NotImplementedError

    def submit(self):
        return self._write()


# --- activity form ---------------------------------------------------------------------
def _staff_minutes_box(category: QComboBox, current: int | None) -> QSpinBox:
    """Staff time for an activity, counted as function 2 time. A new activity starts at its category's
    default (domain/staff_time.py) and follows the category until someone changes the minutes."""
    from schoolmh.domain.staff_time import MAX_MINUTES, activity_minutes

    box = QSpinBox()
    box.setRange(0, MAX_MINUTES)
    box.setSuffix(" min")
    box.setAccessibleName("Staff time in minutes (counted as whole-school time, function 2)")
    box.setToolTip("Staff time this activity took, counted as function 2 (whole-school approach) on the "
                   "dashboard and in the governors' report. Starts at the category's usual time.")
    box.setValue(current if current is not None else activity_minutes(category.currentData()))
    if current is None:
        shown_default = [box.value()]

        def category_changed(_i: int) -> None:
            if box.value() == shown_default[0]:  # not changed by hand: follow the category
                shown_default[0] = activity_minutes(category.currentData())
                box.setValue(shown_default[0])

        category.currentIndexChanged.connect(category_changed)
    return box


class ActivityDialog(_FormDialog):
    """Add or edit a whole-school activity."""

    doing = "saving this activity"

    def __init__(self, ctx, activity: ActivityInfo | None = None, objectives: list[ObjectiveInfo] | None = None,
                 parent: QWidget | None = None, default_principle: str | None = None) -> None:
        super().__init__(ctx, "Edit activity" if activity else "New activity", parent)
        self.activity = activity
        a = activity
        today = ctx.session.today()

        self.title_edit = QLineEdit(a.title if a else "")
        self.title_edit.setPlaceholderText("e.g. Year 8 assembly on exam stress")
        self.start_edit = DateEdit(a.start_on if a else today)
        self.end_edit = OptionalDateEdit("&Ends on", (a.end_on if a and a.end_on else (a.start_on if a else today)),
                                         accessible_name="End date (for activities over several days)")
        self.end_edit.set_value(a.end_on if a else None)
        self.category = _combo(ACTIVITY_CATEGORIES, "Category", a.category if a else "assembly")
        self.staff_minutes = _staff_minutes_box(self.category, a.staff_minutes if a else None)
        self.audience = QLineEdit(a.audience if a else "")
        self.audience.setPlaceholderText("e.g. Years 7–9, all staff, parents of Year 11")
        self.reach = {}
        reach_row = QWidget()
        rl = QHBoxLayout(reach_row)
        rl.setContentsMargins(0, 0, 0, 0)
        for key, text in (("reach_pupils", "Pup&ils"), ("reach_staff", "Sta&ff"), ("reach_parents", "Pa&rents")):
            spin = QSpinBox()
            spin.setRange(0, 100_000)
            spin.setValue(getattr(a, key) if a else 0)
            spin.setAccessibleName(f"{text.replace('&', '')} reached")
            lbl = QLabel(text)
            lbl.setBuddy(spin)
            rl.addWidget(lbl)
            rl.addWidget(spin, 1)
            self.reach[key] = spin
        self.led_by = _combo(LED_BY, "Led by", a.led_by if a else "school")
        self.rag = _combo(RAG, "RAG status", a.rag if a else "green", icons=True)
        self.objective = QComboBox()
        self.objective.setAccessibleName("Action-plan objective this activity serves")
        self.objective.addItem("None", None)
        for o in objectives or []:
            self.objective.addItem(rag_icon(o.rag), _objective_label(o), o.uuid)
            self.objective.setItemData(self.objective.count() - 1, o.text, Qt.ItemDataRole.ToolTipRole)
        if a and a.objective_uuid:
            i = self.objective.findData(a.objective_uuid)
            self.objective.setCurrentIndex(max(i, 0))
        self.principles = QListWidget()
        self.principles.setAccessibleName("Principles the activity serves (at least one)")
        chosen = set(a.principles if a else ([default_principle] if default_principle else []))
        for code, short in PRINCIPLE_SHORT.items():
            item = QListWidgetItem(short)
            item.setData(Qt.ItemDataRole.UserRole, code)
            item.setToolTip(PRINCIPLES[code])
            item.setFlags(Qt.ItemFlag.ItemIsEnabled | Qt.ItemFlag.ItemIsSelectable | Qt.ItemFlag.ItemIsUserCheckable)
            item.setCheckState(Qt.CheckState.Checked if code in chosen else Qt.CheckState.Unchecked)
            self.principles.addItem(item)
        rows = self.principles.sizeHintForRow(0) * len(PRINCIPLES) + 2 * self.principles.frameWidth() + 4
        self.principles.setMinimumHeight(rows)
        self.principles.setCurrentRow(0)
        self.notes = QPlainTextEdit(a.notes if a else "")
        self.notes.setAccessibleName("Notes and evidence")
        self.notes.setPlaceholderText("Evidence, feedback, what to do next")
        self.notes.setTabChangesFocus(True)

        left = QFormLayout()
        e = self.errors
        e.add_row(left, "&Title:", "title", self.title_edit)
        e.add_row(left, "Start &date:", "start_on", self.start_edit)
        e.add_row(left, "", "end_on", self.end_edit)
        e.add_row(left, "Cate&gory:", "category", self.category)
        e.add_row(left, "Staff ti&me:", "staff_minutes", self.staff_minutes)
        e.add_row(left, "&Audience:", "audience", self.audience)
        reach_label = QLabel("Reach:")
        left.addRow(reach_label, e.wrap(("reach_pupils", "reach_staff", "reach_parents"), reach_row))
        e.add_row(left, "&Led by:", "led_by", self.led_by)
        e.add_row(left, "RAG stat&us:", "rag", self.rag)
        e.add_row(left, "&Objective:", "objective_uuid", self.objective)

        right = QVBoxLayout()
        plabel = QLabel("&Principles served (tick at least one):")
        plabel.setBuddy(self.principles)
        right.addWidget(plabel)
        right.addWidget(e.wrap("principles", self.principles))
        nlabel = QLabel("&Notes:")
        nlabel.setBuddy(self.notes)
        right.addWidget(nlabel)
        right.addWidget(e.wrap("notes", self.notes), 1)

        columns = QHBoxLayout()
        columns.addLayout(left, 3)
        columns.addLayout(right, 2)
        outer = QVBoxLayout(self)
        outer.addLayout(columns)
        outer.addWidget(self.general)
        outer.addWidget(self.buttons)
        self._watch(self.title_edit, self.start_edit, self.end_edit, self.category, self.audience, self.led_by,
                    self.rag, self.objective, self.principles, self.notes, *self.reach.values())
        self.setMinimumWidth(760)
        self.title_edit.setFocus()

    def chosen_principles(self) -> list[str]:
        out = []
        for i in range(self.principles.count()):
            item = self.principles.item(i)
            if item.checkState() == Qt.CheckState.Checked:
                out.append(item.data(Qt.ItemDataRole.UserRole))
        return out

    def set_principles(self, codes) -> None:
        for i in range(self.principles.count()):
            item = self.principles.item(i)
            on = item.data(Qt.ItemDataRole.UserRole) in set(codes)
            item.setCheckState(Qt.CheckState.Checked if on else Qt.CheckState.Unchecked)

    def values(self) -> dict:
        return dict(
            title=self.title_edit.text(),
            start_on=self.start_edit.value(),
            end_on=self.end_edit.value(),
            principles=self.chosen_principles(),
            category=self.category.currentData(),
            audience=self.audience.text(),
            reach_pupils=self.reach["reach_pupils"].value(),
            reach_staff=self.reach["reach_staff"].value(),
            reach_parents=self.reach["reach_parents"].value(),
            staff_minutes=self.staff_minutes.value(),
            led_by=self.led_by.currentData(),
            rag=self.rag.currentData(),
            notes=self.notes.toPlainText(),
            objective_uuid=self.objective.currentData(),
        )

    def _write(self) -> ActivityInfo:
        if self.activity is None:
            info = activities.create_activity(self.ctx.session, **self.values())
        else:
            info = activities.update_activity(self.ctx.session, self.activity.uuid, **self.values())
        self.ctx.data_changed.emit("activities")
        return info


# --- objective form --------------------------------------------------------------------
class ObjectiveDialog(_FormDialog):
    """Add or edit an action-plan objective (the lead)."""

    doing = "saving this objective"

    def __init__(self, ctx, objective: ObjectiveInfo | None = None, parent: QWidget | None = None,
                 principle: str | None = None) -> None:
        super().__init__(ctx, "Edit objective" if objective else "New objective", parent)
        o = objective
        self.objective = o
        self.principle = QComboBox()
        self.principle.setAccessibleName("Principle")
        for code, short in PRINCIPLE_SHORT.items():
            self.principle.addItem(short, code)
            self.principle.setItemData(self.principle.count() - 1, PRINCIPLES[code], Qt.ItemDataRole.ToolTipRole)
        current = o.principle if o else principle
        if current:
            self.principle.setCurrentIndex(max(0, self.principle.findData(current)))
        self.text_edit = QPlainTextEdit(o.text if o else "")
        self.text_edit.setTabChangesFocus(True)
        self.text_edit.setPlaceholderText("What the school will do, and how it will know")
        self.text_edit.setFixedHeight(self.text_edit.fontMetrics().lineSpacing() * 4 + 12)
        self.owner = QLineEdit(o.owner if o else "")
        self.owner.setPlaceholderText("e.g. Head of PSHE")
        self.due = OptionalDateEdit("&Due by", o.due_on if o and o.due_on else ctx.session.today(),
                                    accessible_name="Due date")
        self.due.set_value(o.due_on if o else None)
        self.rag = _combo(RAG, "RAG status", o.rag if o else "amber", icons=True)
        form = QFormLayout()
        e = self.errors
        e.add_row(form, "&Principle:", "principle", self.principle)
        e.add_row(form, "O&bjective:", "text", self.text_edit)
        e.add_row(form, "&Owner:", "owner", self.owner)
        e.add_row(form, "", "due_on", self.due)
        e.add_row(form, "RAG stat&us:", "rag", self.rag)
        outer = QVBoxLayout(self)
        outer.addLayout(form)
        outer.addWidget(self.general)
        outer.addWidget(self.buttons)
        self._watch(self.principle, self.text_edit, self.owner, self.due, self.rag)
        self.setMinimumWidth(520)
        self.text_edit.setFocus()

    def values(self) -> dict:
        return dict(principle=self.principle.currentData(), text=self.text_edit.toPlainText(),
                    owner=self.owner.text(), due_on=self.due.value(), rag=self.rag.currentData())

    def _write(self) -> ObjectiveInfo:
        if self.objective is None:
            info = activities.create_objective(self.ctx.session, **self.values())
        else:
            info = activities.update_objective(self.ctx.session, self.objective.uuid, **self.values())
        self.ctx.data_changed.emit("activities")
        return info


# --- CSV import --------------------------------------------------------------------------
def _activities(n: int) -> str:
    return f"{n} activit{'y' if n == 1 else 'ies'}"


class ImportActivitiesDialog(FormDialog):
    """The result of checking a CSV of activities (a dry run), then Import to add them all.

    The dry run has already happened when the dialog opens: staff see what is wrong
    (row and column, as their spreadsheet shows them) before anything is written.
    Import repeats the check and writes every row in one transaction, or none.
    """

    kind = "activities"
    doing = "importing the activities"
    requires_input = False  # a confirmation: the file was chosen and checked; Import says what it does

    def __init__(self, ctx, data: bytes, file_name: str, checked: ActivityImport, parent: QWidget | None = None) -> None:
        super().__init__(ctx, parent, "Import activities", save_text="&Import")
        self.data = data
        self.file_name = file_name
        self.summary = wrapped_label()
        self.summary.setAccessibleName("Result of checking the file")
        self.problems_label = QLabel("&Problems in the file:")
        self.problems = QPlainTextEdit()
        self.problems.setReadOnly(True)
        self.problems.setLineWrapMode(QPlainTextEdit.LineWrapMode.WidgetWidth)
        self.problems.setAccessibleName("Problems in the file, by row and column")
        self.problems.setTabChangesFocus(True)
        self.problems_label.setBuddy(self.problems)
        self.columns_hint = wrapped_label(
            "The columns are " + ", ".join(IMPORT_COLUMNS) + " (title, start_on and principles are needed; "
            "several principles are separated by semicolons). Dates as dd/mm/yyyy.")
        layout = QVBoxLayout(self)
        layout.addWidget(self.summary)
        layout.addWidget(self.problems_label)
        layout.addWidget(self.problems, 1)
        layout.addWidget(self.columns_hint)
        layout.addStretch(0)
        layout.addWidget(self.general)
        layout.addWidget(self.buttons)
        self.show_result(checked)
        self.setMinimumWidth(min(560, fitted_size(560, 0).width()))
        if checked.errors:
            self.resize(fitted_size(700, 460))
        else:
            self.adjustSize()

    def show_result(self, result: ActivityImport) -> None:
        """What the check found; Import is only offered for a file without problems."""
        name = self.file_name
        if result.ok:
            self.summary.setText(
                f"{name}: {_activities(result.rows)} checked, no problems. Nothing has been imported yet: "
                f"choose Import to add {'it' if result.rows == 1 else f'all {result.rows}'}.")
            self.problems.clear()
        else:
            n = len(result.errors)
            rows = f"{result.rows} row{'s' if result.rows != 1 else ''} checked; " if result.rows else ""
            listed = " (the first 20 are listed)" if n > 20 else ""
            self.summary.setText(
                f"{name}: {rows}{n} problem{'s' if n != 1 else ''}{listed}. Nothing can be imported until "
                f"{'it is' if n == 1 else 'they are'} fixed: correct the file in your spreadsheet, "
                "save it as CSV and import it again.")
            self.problems.setPlainText(format_errors(result.errors, limit=20))
        for w in (self.problems_label, self.problems):
            w.setVisible(not result.ok)
        self.columns_hint.setVisible(not result.ok)
        self.save_button.setEnabled(result.ok)
        self.save_button.setDefault(result.ok)
        self.cancel_button.setText("&Cancel" if result.ok else "&Close")
        self.cancel_button.setDefault(not result.ok)
        (self.save_button if result.ok else self.problems).setFocus()

    def submit(self) -> ActivityImport:
        result = activities.import_activities(self.ctx.session, self.data, dry_run=False)
        if not result.ok:  # the file was fine a moment ago; show what changed, keep the dialog open
            self.show_result(result)
            raise ValidationError("Nothing was imported.", "file")
        return result


# --- the page ----------------------------------------------------------------------------
class WholeSchoolPage(QWidget):
    def __init__(self, ctx) -> None:
        super().__init__()
        self.ctx = ctx
        session = ctx.session
        self.can_plan = session.can(Action.ACTION_PLAN_WRITE)
        self.can_write = session.can(Action.ACTIVITY_WRITE)
        self.can_import = self.can_write and session.can(Action.IMPORT_RECORDS)
        self._objectives: list[ObjectiveInfo] = []

        title = heading("Whole school approach", PAGE_TITLE)
        self.period = QComboBox()
        self.period.setAccessibleName("Period shown")
        for label, phrase, start, end in periods(session.today()):
            self.period.addItem(label, (phrase, start, end))
        period_label = QLabel("Sho&w:")
        period_label.setBuddy(self.period)
        top = QHBoxLayout()
        top.addWidget(title)
        top.addStretch(1)
        top.addWidget(period_label)
        top.addWidget(self.period)

        self.coverage_box = QGroupBox("Principles with activity")
        self.coverage = CoverageStrip()
        self.coverage.principle_clicked.connect(self._filter_principle)
        cl = QVBoxLayout(self.coverage_box)
        cl.addWidget(self.coverage)

        self.tabs = QTabWidget()
        self.tabs.addTab(self._build_plan_tab(), "Action &plan")
        self.tabs.addTab(self._build_activities_tab(), "Ac&tivities")
        self.tabs.setCurrentIndex(1)

        layout = QVBoxLayout(self)
        layout.addLayout(top)
        layout.addWidget(self.coverage_box)
        layout.addWidget(self.tabs, 1)

        self.period.currentIndexChanged.connect(lambda _i: self.refresh())

    # -- action plan tab --------------------------------------------------------------
    def _build_plan_tab(self) -> QWidget:
        tab = QWidget()
        self.plan = QTreeWidget()
        self.plan.setAccessibleName("Action plan by principle")
        self.plan.setColumnCount(4)
        self.plan.setHeaderLabels(["Principle and objectives", "Owner", "Due", "RAG"])
        self.plan.setAlternatingRowColors(True)
        self.plan.setUniformRowHeights(False)
        self.plan.setWordWrap(True)
        header = self.plan.header()
        header.setSectionResizeMode(0, QHeaderView.ResizeMode.Stretch)
        for c in (1, 2, 3):
            header.setSectionResizeMode(c, QHeaderView.ResizeMode.ResizeToContents)
        header.setStretchLastSection(False)
        self.plan.itemActivated.connect(lambda item, _c: self._edit_objective(item))
        layout = QVBoxLayout(tab)
        if self.can_plan:
            bar = QHBoxLayout()
            add = QPushButton("&Add objective…")
            add.clicked.connect(self._add_objective)
            self.edit_objective_button = QPushButton("&Edit objective…")
            self.edit_objective_button.clicked.connect(lambda: self._edit_objective(self.plan.currentItem()))
            bar.addWidget(add)
            bar.addWidget(self.edit_objective_button)
            bar.addStretch(1)
            layout.addLayout(bar)
        layout.addWidget(self.plan)
        return tab

    def _fill_plan(self) -> None:
        self.plan.clear()
        today = self.ctx.session.today()
        by_principle: dict[str, list[ObjectiveInfo]] = {code: [] for code in PRINCIPLES}
        for o in self._objectives:
            by_principle.setdefault(o.principle, []).append(o)
        bold = QFont(self.plan.font())
        bold.setBold(True)
        for code, objectives in by_principle.items():
            if code not in PRINCIPLES:
                continue
            top = QTreeWidgetItem([PRINCIPLE_SHORT[code], "", "", ""])
            top.setFont(0, bold)
            top.setToolTip(0, PRINCIPLES[code])
            top.setData(0, Qt.ItemDataRole.UserRole, ("principle", code))
            if not objectives:
                top.setText(1, "no objectives yet")
            else:
                n = len(objectives)
                top.setText(1, f"{n} objective{'s' if n != 1 else ''}")
            self.plan.addTopLevelItem(top)
            for o in objectives:
                due = format_date(o.due_on)
                if o.due_on and o.due_on < today and o.rag != "green":
                    due += " (overdue)"
                child = QTreeWidgetItem([o.text, o.owner, due, rag_text(o.rag)])
                child.setIcon(3, rag_icon(o.rag))
                child.setToolTip(0, o.text)
                child.setData(0, Qt.ItemDataRole.UserRole, ("objective", o.uuid))
                top.addChild(child)
            top.setExpanded(True)

    def _add_objective(self) -> None:
        principle = None
        item = self.plan.currentItem()
        if item is not None:
            kind, value = item.data(0, Qt.ItemDataRole.UserRole) or (None, None)
            if kind == "principle":
                principle = value
            elif kind == "objective":
                principle = next((o.principle for o in self._objectives if o.uuid == value), None)
        ObjectiveDialog(self.ctx, None, self, principle=principle).exec()

    def _edit_objective(self, item: QTreeWidgetItem | None) -> None:
        if item is None or not self.can_plan:
            return
        kind, value = item.data(0, Qt.ItemDataRole.UserRole) or (None, None)
        if kind == "principle":
            ObjectiveDialog(self.ctx, None, self, principle=value).exec()
            return
        objective = next((o for o in self._objectives if o.uuid == value), None)
        if objective is not None:
            ObjectiveDialog(self.ctx, objective, self).exec()

    # -- activities tab ---------------------------------------------------------------
    def _build_activities_tab(self) -> QWidget:
        tab = QWidget()
        self.model = RowTableModel(ACTIVITY_COLUMNS, key=lambda a: a.uuid)
        self.proxy = SortProxy(self.model)
        self.table = RowTableView(self.proxy, "Activities")
        self.table.sortByColumn(0, Qt.SortOrder.DescendingOrder)
        header = self.table.horizontalHeader()
        header.setSectionResizeMode(QHeaderView.ResizeMode.Interactive)
        header.setSectionResizeMode(1, QHeaderView.ResizeMode.Stretch)
        header.setSectionResizeMode(2, QHeaderView.ResizeMode.Stretch)
        self.table.open_requested.connect(lambda _row: self._edit_activity())

        self.filter = QLineEdit()
        self.filter.setPlaceholderText("Filter by title, principle, category, audience…")
        self.filter.setAccessibleName("Filter activities")
        self.filter.setClearButtonEnabled(True)
        self.filter.textChanged.connect(self.proxy.set_filter_text)
        flabel = QLabel("&Filter:")
        flabel.setBuddy(self.filter)
        bar = QHBoxLayout()
        bar.addWidget(flabel)
        bar.addWidget(self.filter, 1)
        if self.can_write:
            new = QPushButton("&New activity…")
            new.clicked.connect(lambda: self._new_activity())  # clicked(bool) is not a principle
            edit = QPushButton("&Edit…")
            edit.clicked.connect(self._edit_activity)
            delete = QPushButton("De&lete…")
            delete.clicked.connect(self._delete_activity)
            for b in (new, edit, delete):
                bar.addWidget(b)
        if self.can_import:
            self.import_button = QPushButton("&Import activities…")
            self.import_button.setToolTip("Add activities from a CSV file saved from a spreadsheet (checked first)")
            self.import_button.clicked.connect(self.import_activities)
            bar.addWidget(self.import_button)
        self.count_label = QLabel()
        layout = QVBoxLayout(tab)
        layout.addLayout(bar)
        layout.addWidget(self.table, 1)
        layout.addWidget(self.count_label)
        return tab

    def _current_activity(self) -> ActivityInfo | None:
        return self.proxy.row_at(self.table.currentIndex())

    def _new_activity(self, principle: str | None = None) -> None:
        ActivityDialog(self.ctx, None, self._objectives, self, default_principle=principle).exec()

    def _edit_activity(self) -> None:
        a = self._current_activity()
        if a is None or not self.can_write:
            return
        ActivityDialog(self.ctx, a, self._objectives, self).exec()

    def _delete_activity(self) -> None:
        a = self._current_activity()
        if a is None:
            return
        if not confirm(self, "Delete activity", f"Delete the activity “{a.title}” ({date_span(a.start_on, a.end_on)})?",
                       "&Delete", danger=True):
            return
        try:
            activities.delete_activity(self.ctx.session, a.uuid)
        except Exception as exc:  # noqa: BLE001
            self.ctx.report_error(self, exc, "deleting this activity")
            return
        self.ctx.data_changed.emit("activities")

    def ask_import_path(self) -> Path | None:
        """The CSV to import (a method so tests can answer without a file dialog)."""
        folder = documents_folder()
        name, _ = QFileDialog.getOpenFileName(self, "Import activities from a CSV file", folder,
                                              "CSV files (*.csv *.txt);;All files (*)")
        return Path(name) if name else None

    def import_activities(self) -> ImportActivitiesDialog | None:
        """Pick a CSV, check it (a dry run) and show the result; the dialog's Import does the real thing."""
        path = self.ask_import_path()
        if path is None:
            return None
        try:
            data = read_file_bytes(path)
            checked = activities.import_activities(self.ctx.session, data, dry_run=True)
        except Exception as exc:  # noqa: BLE001 - shown plainly, logged without identifiers
            self.ctx.report_error(self, exc, "checking the activities file")
            return None
        dialog = ImportActivitiesDialog(self.ctx, data, path.name, checked, self)
        dialog.exec()
        return dialog

    def _filter_principle(self, code: str) -> None:
        self.tabs.setCurrentIndex(1)
        self.filter.setText(PRINCIPLE_SHORT[code])
        self.filter.setFocus()

    # -- refresh --------------------------------------------------------------------
    def refresh(self) -> None:
        session = self.ctx.session
        if session is None:
            return
        label = self.period.currentText()
        period_name, start, end = self.period.currentData()
        try:
            cover = activities.coverage(session, start, end)
            self._objectives = activities.list_objectives(session)
            rows = activities.list_activities(session, None if start == FAR_PAST else start,
                                              None if end == FAR_FUTURE else end)
        except Exception as exc:  # noqa: BLE001
            self.ctx.report_error(self, exc, "loading the whole-school records")
            return
        self.coverage_box.setTitle(f"Principles with activity: {label}")
        self.coverage.set_counts({code: c.activities for code, c in cover.items()})
        empty = sum(1 for c in cover.values() if not c.activities)
        self.coverage.setToolTip(
            f"{8 - empty} of 8 principles had activity {period_name}." + (" Click one to see its activities." if rows else "")
        )
        self._fill_plan()
        current = self._current_activity()
        self.model.set_rows(rows)
        if current is not None:
            idx = self.proxy.index_for_key(current.uuid)
            if idx.isValid():
                self.table.setCurrentIndex(idx)
        self._resize_columns()
        reach = sum(a.reach_pupils for a in rows)
        self.count_label.setText(
            f"{len(rows)} activit{'y' if len(rows) == 1 else 'ies'} {period_name}, reaching {reach} pupils in total"
            " (a pupil at two activities counts twice)."
        )

    def _resize_columns(self) -> None:
        fm = self.table.fontMetrics()
        for col, sample in ((0, "30 Sep 2025  "), (3, "Curriculum lesson  "), (4, "Years 7–9, staff "),
                            (5, "External  "), (6, "Parents "), (7, "Parents "), (8, "Parents "), (9, "Amber   ")):
            self.table.setColumnWidth(col, fm.horizontalAdvance(sample) + 16)
