"""The Plan tab: the open plan, its goals and reviews, earlier plans; starting, editing, closing."""
from __future__ import annotations

from collections.abc import Callable

from PySide6.QtWidgets import QDialog, QHBoxLayout, QPushButton, QVBoxLayout, QWidget

from schoolmh.domain.codes import PEOPLE_INVOLVED, TIERS
from schoolmh.services import plans
from schoolmh.services.permissions import Action
from schoolmh.services.plans import PlanInfo, ReviewInfo
from schoolmh.ui.dialogs.record_dialogs import ClosePlanDialog, GoalsDialog, PlanDialog, ReviewDialog
from schoolmh.ui.models.table_model import Column, RIGHT, RowTableModel, SortProxy, format_date
from schoolmh.ui.pages.pupil_record.common import GOAL_COLUMNS, RecordTab, compact_height, record_table
from schoolmh.ui.widgets.common import confirm, fit_columns, heading, scroll_area, wrapped_label


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


class PlanTab(RecordTab):
    def __init__(self, page) -> None:
        super().__init__(page)
        self.summary = wrapped_label()
        self.summary.setAccessibleName("Plan")
        self.start_button = QPushButton("S&tart a plan…")
        self.edit_button = QPushButton("&Edit plan…")
        self.goals_button = QPushButton("Edit &goals…")
        self.review_button = QPushButton("Add re&view…")
        self.close_button = QPushButton("Close pl&an…")
        self.reopen_button = QPushButton("Reopen l&ast plan")
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
        self.goal_view = record_table(SortProxy(self.goal_model, self), "Goals", stretch=0)
        self.review_model = RowTableModel(REVIEW_COLUMNS, parent=self)
        self.review_view = record_table(SortProxy(self.review_model, self), "Reviews")
        self.past_model = RowTableModel(PAST_PLAN_COLUMNS, parent=self)
        self.past_view = record_table(SortProxy(self.past_model, self), "Earlier plans")

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
        compact_height(self.goal_view, len(plan.goals) if plan else 0)
        self.review_model.set_rows(plan.reviews if plan else [])
        fit_columns(self.review_view)
        compact_height(self.review_view, min(6, len(plan.reviews)) if plan else 0)
        for w in (self.goals_heading, self.goal_view, self.reviews_heading):
            w.setVisible(plan is not None)
        self.review_view.setVisible(plan is not None and bool(plan.reviews))
        self.no_reviews.setVisible(plan is not None and not plan.reviews)
        self.past_model.set_rows(past)
        fit_columns(self.past_view)
        compact_height(self.past_view, min(5, len(past)))
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
