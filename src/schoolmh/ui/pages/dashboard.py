"""Dashboard: this term's figures as tiles, time by function against 52/24/23, and lists to act on.

One service call (services.dashboard.dashboard_figures) fills the page. The
lists are current (plans due, open liaison actions, referrals pending, pupils in
the gap); each row opens its record: a pupil's record for pupil rows, the
liaison page for actions. Rows are shown only to roles that may read them (the
service leaves them out otherwise); counts are school-wide and name no one.

The page reflows with its width (a 1366×768 laptop at 150% leaves it about 740
logical pixels): the tiles wrap into rows, and below WIDE the chart column moves
below the lists instead of beside them, so nothing needs a horizontal scroll bar.
A vault with no pupils yet shows one next step instead: import the pupil list.
"""
from __future__ import annotations

import datetime as dt
from collections.abc import Callable

from PySide6.QtCore import QEvent, Qt
from PySide6.QtWidgets import (
    QBoxLayout,
    QComboBox,
    QFrame,
    QGridLayout,
    QGroupBox,
    QHBoxLayout,
    QLabel,
    QPushButton,
    QSizePolicy,
    QVBoxLayout,
    QWidget,
)

from schoolmh.domain.codes import REFERRAL_DESTINATIONS
from schoolmh.services import dashboard
from schoolmh.services.permissions import Action
from schoolmh.ui.models.table_model import RIGHT, Column, RowTableModel, RowTableView, SortProxy, format_date
from schoolmh.ui.pages.liaison import due_status
from schoolmh.ui.pages.whole_school import periods
from schoolmh.ui.widgets.charts import CoverageStrip, FunctionSplitChart, hours_text
from schoolmh.ui.widgets.common import error_colour

TILE_WIDTH = 150  # the narrowest a tile gets before the row wraps (logical pixels)
TILE_SPACING = 8
WIDE = 1000  # from this page width the chart column sits beside the lists; below it, above them

TIER_SHORT = {"universal": "Universal", "targeted": "Targeted", "mhst": "MHST", "specialist": "Specialist",
              dashboard.NO_PLAN: "No plan"}


def short_due(action, today: dt.date) -> str:
    """'12 days late' / 'today' / 'in 5 days' / 'no date': the liaison page spells it out in full."""
    if action.due_on is None:
        return "no date"
    days = (action.due_on - today).days
    if days < 0:
        return f"{_days(-days)} late"
    return "today" if days == 0 else f"in {_days(days)}"


def _days(n: int) -> str:
    return f"{n} day{'' if n == 1 else 's'}"


class Tile(QFrame):
    """A figure with its name and one line of detail; the accessible name reads all three."""

    def __init__(self, title: str, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("DashboardTile")
        self.setFrameShape(QFrame.Shape.StyledPanel)
        self.setFocusPolicy(Qt.FocusPolicy.NoFocus)  # a figure, not a control: Tab goes on to the lists
        self.title = title
        self.value = QLabel("–")
        f = self.value.font()
        f.setPointSizeF(f.pointSizeF() * 2.0)
        f.setBold(True)
        self.value.setFont(f)
        self.name = QLabel(title)
        self.name.setWordWrap(True)
        self.detail = QLabel()
        self.detail.setWordWrap(True)
        self.detail.setForegroundRole(self.detail.foregroundRole())
        for label in (self.value, self.name, self.detail):
            label.setTextFormat(Qt.TextFormat.PlainText)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(10, 6, 10, 8)
        layout.setSpacing(0)
        layout.addWidget(self.value)
        layout.addWidget(self.name)
        layout.addWidget(self.detail)
        layout.addStretch(1)
        self.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Preferred)
        self.setMinimumWidth(TILE_WIDTH)
        self.setStyleSheet("QFrame#DashboardTile { border: 1px solid palette(mid); border-radius: 6px;"
                           " background: palette(base); }")

    def set(self, value: str, detail: str = "", tooltip: str = "") -> None:
        self.value.setText(value)
        self.detail.setText(detail)
        self.detail.setVisible(bool(detail))
        self.setToolTip(tooltip or detail)
        self.setAccessibleName(f"{self.title}: {value}" + (f". {detail}" if detail else ""))


class ActList(QGroupBox):
    """A titled, sortable list whose rows open something (Enter or double-click)."""

    def __init__(self, title: str, columns: list[Column], key: Callable, open_row: Callable[[object], None],
                 empty: str, stretch: int = 0, sort: tuple[int, Qt.SortOrder] | None = None) -> None:
        super().__init__(title)
        self.base_title = title
        self.empty_text = empty
        self.open_row = open_row
        self.model = RowTableModel(columns, key=key)
        self.proxy = SortProxy(self.model)
        self.view = RowTableView(self.proxy, title)
        if sort is not None:
            self.view.sortByColumn(*sort)
        else:
            self.view.sortByColumn(-1, Qt.SortOrder.AscendingOrder)  # keep the service's order
        self.view.fit_columns(stretch, 0.3)
        self.view.open_requested.connect(open_row)
        self.empty = QLabel(empty)
        self.empty.setWordWrap(True)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(6, 6, 6, 6)
        layout.addWidget(self.view, 1)
        layout.addWidget(self.empty)

    def set_rows(self, rows) -> None:
        rows = list(rows)
        self.model.set_rows(rows)
        self.setTitle(f"{self.base_title} ({len(rows)})")
        self.view.setVisible(bool(rows))
        self.empty.setVisible(not rows)



class DashboardPage(QWidget):
    def __init__(self, ctx) -> None:
        super().__init__()
        self.ctx = ctx
        session = ctx.session
        self.figures: dashboard.DashboardFigures | None = None
        can_open_pupils = session.can(Action.PUPIL_READ)
        self.can_liaison = session.can(Action.LIAISON_READ)
        self.can_plans = session.can(Action.PLAN_READ)
        self.can_referrals = session.can(Action.REFERRAL_READ)

        # -- header -------------------------------------------------------------------------
        self.heading = QLabel("Dashboard")
        f = self.heading.font()
        f.setPointSizeF(f.pointSizeF() * 1.4)
        f.setBold(True)
        self.heading.setFont(f)
        self.period = QComboBox()
        self.period.setAccessibleName("Period the figures cover")
        for label, _phrase, start, end in periods(session.today())[:3]:
            self.period.addItem(label, (start, end))
        self.period.currentIndexChanged.connect(lambda _i: self.refresh())
        period_label = QLabel("Figures &for:")
        period_label.setBuddy(self.period)
        top = QHBoxLayout()
        top.addWidget(self.heading)
        top.addStretch(1)
        top.addWidget(period_label)
        top.addWidget(self.period)

        # -- tiles --------------------------------------------------------------------------
        self.tiles = {
            "supported": Tile("Pupils supported"),
            "sessions": Tile("Sessions"),
            "attendance": Tile("Attendance"),
            "plans_due": Tile("Plans due for review"),
            "actions": Tile("Open liaison actions"),
            "referrals": Tile("Referrals pending"),
            "gap": Tile("In the gap"),
        }
        self.tile_grid = QGridLayout()
        self.tile_grid.setSpacing(TILE_SPACING)
        self.tile_columns = 0

        # -- the next step in a new vault -------------------------------------------------------
        self.next_step = QGroupBox("Next step")
        self.next_step.setObjectName("NextStep")
        can_import = session.can(Action.PUPIL_IMPORT)
        self.next_step_text = QLabel(
            "There are no pupils in SchoolMH yet. Start by importing your pupil list: the CSV your MIS "
            "(SIMS, Arbor, Bromcom…) exports of names, dates of birth, UPNs, years and tutor groups."
            if can_import else
            "There are no pupils in SchoolMH yet. Your senior mental health lead imports the pupil list first.")
        self.next_step_text.setWordWrap(True)
        self.import_button = QPushButton("&Import your pupil list…")
        self.import_button.setAccessibleName("Import your pupil list")
        self.import_button.clicked.connect(self.import_pupil_list)
        self.import_button.setVisible(can_import)
        nl = QHBoxLayout(self.next_step)
        nl.addWidget(self.next_step_text, 1)
        nl.addWidget(self.import_button, 0, Qt.AlignmentFlag.AlignVCenter)
        self.next_step.hide()

        # -- chart and coverage ----------------------------------------------------------------
        self.chart = FunctionSplitChart()
        self.chart_box = QGroupBox("Time by MHST function")
        cl = QVBoxLayout(self.chart_box)
        cl.addWidget(self.chart)
        self.chart_caption = QLabel(dashboard.function_caption())  # what each bar counts
        self.chart_caption.setWordWrap(True)
        self.chart_caption.setAccessibleName("What each bar counts")
        small = self.chart_caption.font()
        small.setPointSizeF(small.pointSizeF() * 0.9)
        self.chart_caption.setFont(small)
        cl.addWidget(self.chart_caption)
        self.coverage = CoverageStrip(columns=2, compact=True)
        self.coverage.principle_clicked.connect(lambda _c: self.ctx.navigate.emit("whole_school"))
        self.coverage_box = QGroupBox("Whole-school principles with activity")
        vl = QVBoxLayout(self.coverage_box)
        vl.addWidget(self.coverage)
        left = QVBoxLayout()
        left.addWidget(self.chart_box)
        left.addWidget(self.coverage_box)
        left.addStretch(1)
        self.left_column = left

        # -- lists to act on ------------------------------------------------------------------------
        open_pupil: Callable[[object], None] = (
            (lambda row: self.ctx.open_pupil.emit(row.pupil_uuid)) if can_open_pupils else (lambda _row: None))
        today = session.today
        self.plans_list = ActList(
            "Plans due for review",
            [Column("Pupil", lambda p: p.pupil_name, tooltip=lambda p: p.pupil_name),
             Column("Tier", lambda p: TIER_SHORT.get(p.tier, p.tier)),
             Column("Review", lambda p: p.review_date),
             Column("Overdue", lambda p: "due today" if p.days_overdue <= 0 else _days(p.days_overdue),
                    sort=lambda p: p.days_overdue, align=RIGHT,
                    foreground=lambda p: error_colour(self) if p.days_overdue > 0 else None)],
            key=lambda p: p.plan_uuid, open_row=open_pupil, empty="No support plans are due for review.")
        self.actions_list = ActList(
            "Open liaison actions",
            [Column("Action", lambda a: a.text, tooltip=lambda a: a.text),
             Column("Owner", lambda a: a.owner, tooltip=lambda a: a.owner or None),
             Column("Due", lambda a: short_due(a, today()), sort=lambda a: a.due_on or dt.date.max,
                    tooltip=lambda a: due_status(a, today()) + (f" ({format_date(a.due_on)})" if a.due_on else ""),
                    foreground=lambda a: error_colour(self) if a.overdue(today()) else None)],
            key=lambda a: a.uuid, open_row=lambda _a: self.ctx.navigate.emit("liaison"),
            empty="No open liaison actions.")
        self.referrals_list = ActList(
            "Referrals pending",
            [Column("Pupil", lambda r: r.pupil_name, tooltip=lambda r: r.pupil_name),
             Column("To", lambda r: REFERRAL_DESTINATIONS.get(r.destination, r.destination),
                    tooltip=lambda r: REFERRAL_DESTINATIONS.get(r.destination, r.destination)),
             Column("Sent", lambda r: r.sent_on),
             Column("Waiting", lambda r: _days(r.days_waiting), sort=lambda r: r.days_waiting, align=RIGHT)],
            key=lambda r: r.referral_uuid, open_row=open_pupil, empty="No referrals are waiting for a decision.")
        self.gap_list = ActList(
            "Pupils in the gap",
            [Column("Pupil", lambda g: g.display_name, tooltip=lambda g: g.display_name),
             Column("Waiting", lambda g: _days(g.days_waiting), sort=lambda g: g.days_waiting, align=RIGHT,
                    tooltip=lambda g: f"Since {format_date(g.since)}"),
             Column("Not accepted by", lambda g: ", ".join(REFERRAL_DESTINATIONS.get(d, d) for d in g.not_accepted_by))],
            key=lambda g: g.pupil_uuid, open_row=open_pupil, stretch=2,
            empty="No pupil is in the gap (not accepted by one service and not yet accepted by another).")
        lists = QGridLayout()
        lists.setSpacing(8)
        shown = [w for w, ok in ((self.plans_list, self.can_plans), (self.actions_list, self.can_liaison),
                                 (self.referrals_list, self.can_referrals), (self.gap_list, self.can_referrals)) if ok]
        for i, w in enumerate(shown):
            last_alone = i == len(shown) - 1 and i % 2 == 0
            lists.addWidget(w, i // 2, i % 2, 1, 2 if last_alone else 1)
        for w in (self.plans_list, self.actions_list, self.referrals_list, self.gap_list):
            if w not in shown:
                w.hide()
                w.setParent(self)

        self.body = QBoxLayout(QBoxLayout.Direction.BottomToTop)
        self.body.addLayout(left, 2)
        self.body.addLayout(lists, 4)
        self._shown_lists = shown

        layout = QVBoxLayout(self)
        layout.addLayout(top)
        layout.addWidget(self.next_step)
        layout.addLayout(self.tile_grid)
        layout.addLayout(self.body, 1)
        self._place_tiles(2)  # the narrowest; resizeEvent widens it (a wide start would hold the page wide)
        self._set_wide(False)

    # -- reflow --------------------------------------------------------------------------------
    def _place_tiles(self, columns: int) -> None:
        if columns == self.tile_columns:
            return
        self.tile_columns = columns
        for tile in self.tiles.values():
            self.tile_grid.removeWidget(tile)
        for i, tile in enumerate(self.tiles.values()):
            self.tile_grid.addWidget(tile, i // columns, i % columns)
        for c in range(len(self.tiles)):
            self.tile_grid.setColumnStretch(c, 1 if c < columns else 0)

    def _set_wide(self, wide: bool) -> None:
        """Chart column beside the lists (wide), or below them: on a small screen the lists to act on
        come first. Stacked lists keep a readable height."""
        self.body.setDirection(QBoxLayout.Direction.LeftToRight if wide else QBoxLayout.Direction.BottomToTop)
        rows = self.fontMetrics().height() * 9
        for w in self._shown_lists:
            w.view.setMinimumHeight(0 if wide else rows)

    def reflow(self, width: int) -> None:
        columns = max(2, min(len(self.tiles), (width + TILE_SPACING) // (TILE_WIDTH + 2 * TILE_SPACING)))
        self._place_tiles(columns)
        wide = width >= WIDE
        if (self.body.direction() == QBoxLayout.Direction.LeftToRight) != wide:
            self._set_wide(wide)

    def resizeEvent(self, event) -> None:  # noqa: N802 (Qt)
        super().resizeEvent(event)
        self.reflow(self._room())

    def _room(self) -> int:
        """The width there is to fill: the scroll area's viewport when the page sits in one (the page
        itself never gets narrower than its minimum, so its own width would hold a wide layout)."""
        parent = self.parentWidget()
        return parent.width() if parent is not None and self.window() is not self else self.width()

    def event(self, event) -> bool:  # noqa: N802 (Qt)
        if event.type() == QEvent.Type.ParentChange and self.parentWidget() is not None:
            self.parentWidget().installEventFilter(self)  # the viewport's resizes reflow the page
        return super().event(event)

    def eventFilter(self, obj, event) -> bool:  # noqa: N802 (Qt)
        if obj is self.parentWidget() and event.type() == QEvent.Type.Resize:
            self.reflow(self._room())
        return super().eventFilter(obj, event)

    # -- a new vault ----------------------------------------------------------------------------
    def import_pupil_list(self) -> None:
        """The next step in a new vault: the import wizard, then the pupil list it filled."""
        from schoolmh.ui.dialogs.import_wizard import ImportWizard

        ImportWizard(self.ctx, self).exec()
        session = self.ctx.session
        if session is not None and not dashboard.vault_is_empty(session):
            self.ctx.navigate.emit("pupils")

    # -- data -----------------------------------------------------------------------------------
    def refresh(self) -> None:
        session = self.ctx.session
        if session is None:
            return
        start, end = self.period.currentData()
        try:
            fig = dashboard.dashboard_figures(session, start, end)
        except Exception as exc:  # noqa: BLE001
            self.ctx.report_error(self, exc, "loading the dashboard")
            return
        self.figures = fig
        try:
            empty = dashboard.vault_is_empty(session)
        except Exception as exc:  # noqa: BLE001
            self.ctx.report_error(self, exc, "loading the dashboard")
            return
        self.next_step.setVisible(empty)
        self.show_figures(fig)

    def show_figures(self, fig: dashboard.DashboardFigures) -> None:
        phrase = self.period.currentText().split(" (")[0].lower()
        t = self.tiles
        tiers = [(TIER_SHORT.get(code, code), n) for code, n in fig.supported_by_tier.items()]
        tier_text = ", ".join(f"{name} {n}" for name, n in tiers if n)
        t["supported"].set(str(fig.supported_total), tier_text or f"none {phrase}",
                           "Distinct pupils with an attended direct-support session, by the tier of their plan: "
                           + ", ".join(f"{name} {n}" for name, n in tiers) + ".")
        direct = fig.sessions_by_function.get(1, 0)
        every = sum(fig.sessions_by_function.values())
        t["sessions"].set(str(direct), f"{every} with whole-school and advice" if every != direct else "",
                          "Attended direct-support sessions (function 1).")
        if fig.attendance_rate is None:
            t["attendance"].set("–", "no sessions booked")
        else:
            booked = fig.attended + fig.missed
            t["attendance"].set(f"{fig.attendance_rate:.0f}%", f"{fig.attended} of {booked} attended",
                                f"{fig.attended} attended of {booked} booked (not counting "
                                f"{fig.cancelled_by_school} cancelled by the school).")
        overdue = sum(1 for p in fig.plans_due if p.days_overdue > 0)
        t["plans_due"].set(str(len(fig.plans_due)) if self.can_plans else "–",
                           f"{overdue} overdue" if overdue else "")
        today = self.ctx.session.today()
        late = sum(1 for a in fig.open_actions if a.overdue(today))
        t["actions"].set(str(fig.open_action_count), f"{late} overdue" if late else "")
        longest = max((r.days_waiting for r in fig.referrals_pending), default=None)
        t["referrals"].set(str(len(fig.referrals_pending)) if self.can_referrals else "–",
                           f"longest {_days(longest)}" if longest is not None else "")
        longest_gap = max((g.days_waiting for g in fig.gap), default=None)
        t["gap"].set(str(len(fig.gap)) if self.can_referrals else "–",
                     f"longest {_days(longest_gap)}" if longest_gap is not None else "",
                     "Pupils not accepted by one service and not yet accepted by another.")

        self.chart_box.setTitle(f"Time by MHST function, {phrase}: {hours_text(fig.total_minutes)} recorded"
                                if fig.total_minutes else f"Time by MHST function, {phrase}")
        self.chart.set_minutes(fig.minutes_by_function)
        self.coverage.set_counts(fig.activities_by_principle)
        empty = len(fig.principles_without_activity)
        self.coverage_box.setTitle(f"Whole-school principles with activity, {phrase}: {8 - empty} of 8")

        self.plans_list.set_rows(fig.plans_due)
        self.actions_list.set_rows(fig.open_actions)
        self.referrals_list.set_rows(fig.referrals_pending)
        self.gap_list.set_rows(fig.gap)
