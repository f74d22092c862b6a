"""The generic row table model: values sort as values, filtering by words, row lookup."""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QTableView

from schoolmh.ui.models.table_model import (
    RIGHT,
    ROW_ROLE,
    SORT_ROLE,
    Column,
    RowTableModel,
    SortProxy,
    format_date,
)


@dataclass(frozen=True)
class Item:
    uuid: str
    title: str
    when: dt.date | None
    minutes: int


ROWS = [
    Item("a", "Assembly", dt.date(2025, 1, 12), 9),
    Item("b", "bike club", dt.date(2025, 3, 2), 10),
    Item("c", "Choir", None, 120),
    Item("d", "Drama", dt.date(2024, 11, 30), 100),
]

COLUMNS = [
    Column("Title", lambda r: r.title),
    Column("Date", lambda r: r.when, tooltip=lambda r: f"Held on {format_date(r.when)}"),
    Column("Minutes", lambda r: r.minutes, align=RIGHT),
]


def _column(proxy: SortProxy, col: int) -> list[str]:
    return [proxy.index(r, col).data() for r in range(proxy.rowCount())]


def test_dates_and_numbers_sort_as_values(qtbot):
    model = RowTableModel(COLUMNS, ROWS, key=lambda r: r.uuid)
    proxy = SortProxy(model)
    view = QTableView()
    qtbot.addWidget(view)
    view.setModel(proxy)
    view.setSortingEnabled(True)

    view.sortByColumn(2, Qt.SortOrder.AscendingOrder)
    assert _column(proxy, 2) == ["9", "10", "100", "120"]  # as text this would be 10, 100, 120, 9

    view.sortByColumn(1, Qt.SortOrder.AscendingOrder)
    assert _column(proxy, 1) == ["", "30 Nov 2024", "12 Jan 2025", "2 Mar 2025"]  # blank first, then by date
    view.sortByColumn(1, Qt.SortOrder.DescendingOrder)
    assert _column(proxy, 1)[0] == "2 Mar 2025"

    view.sortByColumn(0, Qt.SortOrder.AscendingOrder)
    assert _column(proxy, 0) == ["Assembly", "bike club", "Choir", "Drama"]  # case-insensitive

    first = proxy.index(0, 1)
    assert first.data(SORT_ROLE) == dt.date(2025, 1, 12)
    assert first.data(ROW_ROLE) == ROWS[0]
    assert first.data(Qt.ItemDataRole.ToolTipRole) == "Held on 12 Jan 2025"
    assert proxy.index(0, 2).data(Qt.ItemDataRole.TextAlignmentRole) == int(RIGHT.value)


def test_row_lookup_filter_and_set_rows(qtbot):
    model = RowTableModel(COLUMNS, key=lambda r: r.uuid)
    proxy = SortProxy(model)
    assert proxy.rowCount() == 0
    model.set_rows(ROWS)
    assert proxy.rowCount() == 4

    proxy.sort(2, Qt.SortOrder.DescendingOrder)
    assert proxy.row_at(proxy.index(0, 0)).uuid == "c"
    assert proxy.row_at(proxy.index_for_key("a")).title == "Assembly"

    proxy.set_filter_text("  CLUB  bike ")
    assert [proxy.row_at(proxy.index(r, 0)).uuid for r in range(proxy.rowCount())] == ["b"]
    proxy.set_filter_text("2024")  # matches the displayed date text
    assert proxy.rowCount() == 1 and proxy.row_at(proxy.index(0, 0)).uuid == "d"
    proxy.set_filter_text("")
    proxy.set_row_filter(lambda r: r.minutes >= 100)
    assert proxy.rowCount() == 2
    assert not proxy.index_for_key("a").isValid()  # filtered out
    proxy.set_row_filter(None)

    model.set_rows(ROWS[:1])
    assert proxy.rowCount() == 1 and model.row_for_key("b") == -1
    model.clear()
    assert proxy.rowCount() == 0 and model.row_at(0) is None


def test_view_opens_the_row_on_enter(qtbot):
    from schoolmh.ui.models.table_model import RowTableView

    proxy = SortProxy(RowTableModel(COLUMNS, ROWS, key=lambda r: r.uuid))
    view = RowTableView(proxy, "Items")
    qtbot.addWidget(view)
    view.sortByColumn(2, Qt.SortOrder.DescendingOrder)
    view.setCurrentIndex(proxy.index(0, 0))
    with qtbot.waitSignal(view.open_requested) as opened:
        qtbot.keyClick(view, Qt.Key.Key_Return)
    assert opened.args == [ROWS[2]]  # 120 minutes: the top row after sorting by value
    assert view.current_row() == ROWS[2]
