"""What the record's parts share: number formatting, small tables, raters, the tab base, goal columns."""
from __future__ import annotations

from typing import TYPE_CHECKING

from PySide6.QtWidgets import QDialog, QTableView, QWidget

from schoolmh.services.measures import ChangeInfo
from schoolmh.services.permissions import Action
from schoolmh.services.plans import GoalInfo
from schoolmh.services.pupils import PupilDetail
from schoolmh.ui.models.table_model import Column, RIGHT, format_date
from schoolmh.ui.widgets.common import list_view

if TYPE_CHECKING:
    from schoolmh.ui.pages.pupil_record.page import PupilRecordPage


# --- small helpers ------------------------------------------------------------------------------------
def fmt_num(value: float | int | None) -> str:
    if value is None:
        return ""
    return str(int(value)) if float(value).is_integer() else f"{value:g}"


def signed(value: float) -> str:
    text = fmt_num(abs(value))
    return f"+{text}" if value > 0 else (f"−{text}" if value < 0 else "0")


def record_table(model, name: str, stretch: int | None = None) -> QTableView:
    """A read-only list; `stretch` is the column that takes spare width (default: the last)."""
    return list_view(model, name, stretch=stretch)


def compact_height(view: QTableView, rows: int) -> None:
    """Size a small table to its rows (at least one), so the overview reads as a page, not a scroller."""
    h = view.horizontalHeader().height() + view.verticalHeader().defaultSectionSize() * max(1, rows) + 4
    view.setFixedHeight(h)


RATERS = {"self": "Pupil (self-report)", "child": "Child", "parent": "Parent", "teacher": "Teacher"}


def rater_name(code: str) -> str:
    return RATERS.get(code, code.capitalize())


def classification_text(c: ChangeInfo) -> str:
    return f"{signed(c.delta)} ({c.classification})"


# --- tabs --------------------------------------------------------------------------------------------------
class RecordTab(QWidget):
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
    Column("Change", lambda g: signed(g.change) if g.change is not None else "",
           sort=lambda g: g.change, align=RIGHT,
           tooltip=lambda g: ("A change of 3 or more is commonly treated as reliable (GBO)." if g.change is not None else None)),
    Column("Ratings", lambda g: g.ratings, align=RIGHT),
    Column("Last rated", lambda g: g.latest_rated_on, align=RIGHT),
]
