"""The Overview tab: the current plan, latest scores, sessions and referrals at a glance."""
from __future__ import annotations

from PySide6.QtWidgets import QVBoxLayout, QWidget

from schoolmh.domain.codes import ATTENDANCE, PEOPLE_INVOLVED, TIERS
from schoolmh.services import measures, referrals, sessions
from schoolmh.services.measures import ChangeInfo, MeasureInfo
from schoolmh.services.permissions import Action
from schoolmh.services.plans import PlanInfo
from schoolmh.services.referrals import ReferralInfo
from schoolmh.ui.models.table_model import Column, RIGHT, RowTableModel, SortProxy, format_date
from schoolmh.ui.pages.pupil_record.common import GOAL_COLUMNS, RecordTab, classification_text, compact_height, fmt_num, record_table, rater_name
from schoolmh.ui.widgets.common import fit_columns, heading, scroll_area, wrapped_label


class _ScoreRow:
    """Latest score for one instrument and rater, with its change since the first (if two or more)."""

    def __init__(self, latest: MeasureInfo, count: int, change: ChangeInfo | None) -> None:
        self.latest, self.count, self.change = latest, count, change


SCORE_COLUMNS: list[Column[_ScoreRow]] = [
    Column("Questionnaire", lambda r: r.latest.instrument),
    Column("Completed by", lambda r: rater_name(r.latest.rater)),
    Column("Latest", lambda r: r.latest.date, align=RIGHT),
    Column("Score", lambda r: fmt_num(r.latest.headline), sort=lambda r: r.latest.headline, align=RIGHT),
    Column("Band", lambda r: r.latest.band),
    Column("Results", lambda r: r.count, align=RIGHT),
    Column("Change since first", lambda r: classification_text(r.change) if r.change else "needs two results",
           sort=lambda r: r.change.delta if r.change else None,
           tooltip=lambda r: (f"First {format_date(r.change.first_date)}: {fmt_num(r.change.first_headline)}; "
                              f"reliable change is {fmt_num(r.change.threshold)} points") if r.change else None),
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


class OverviewTab(RecordTab):
    def __init__(self, page) -> None:
        super().__init__(page)
        self.plan_text = wrapped_label()
        self.plan_text.setAccessibleName("Current plan")
        self.goal_model = RowTableModel(GOAL_COLUMNS, parent=self)
        self.goal_view = record_table(SortProxy(self.goal_model, self), "Goals and ratings", stretch=0)
        self.score_model = RowTableModel(SCORE_COLUMNS, parent=self)
        self.score_view = record_table(SortProxy(self.score_model, self), "Latest scores")
        self.no_scores = wrapped_label("No questionnaire scores yet.")  # under its own heading, not under the next
        self.no_scores.setAccessibleName("Latest scores")
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
        layout.addWidget(self.no_scores)
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
            compact_height(self.goal_view, len(plan.goals))
        rows = score_rows(data.get("measures", []), data.get("changes", []))
        self.score_model.set_rows(rows)
        self.score_view.setVisible(bool(rows))
        self.no_scores.setVisible(not rows)
        fit_columns(self.score_view)
        compact_height(self.score_view, len(rows))
        parts = []
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
            parts.append(f"⚠ In the gap: not accepted by the MHST and by CAMHS, waiting {p.gap_days} days.")
        self.activity_text.setText("\n".join(parts))

    def clear(self) -> None:
        self.plan_text.clear()
        self.goal_model.clear()
        self.score_model.clear()
        self.activity_text.clear()
