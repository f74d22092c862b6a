"""The one table model for lists of records: frozen dataclasses in, sortable Qt rows out.

Every list in the app (pupils, sessions, activities, meetings, actions…) is a
`RowTableModel` over the dataclasses a service returned, described by a list of
`Column`s, shown through a `SortProxy`. Sorting uses a dedicated role
(`SORT_ROLE`) whose values come from each column's `sort` getter, so dates sort
as dates and numbers as numbers, never as text ("10" after "9", "2 Mar" after
"12 Jan"). The model never touches the database: pages reload it with
`set_rows(service_call(ctx.session, ...))`.

Typical use::

    COLUMNS = [
        Column("Date", lambda a: a.start, align=RIGHT),   # date shown as "3 Mar 2025", sorts as a date
        Column("Title", lambda a: a.title),
        Column("Reach", lambda a: a.reach_pupils, align=RIGHT),
    ]
    model = RowTableModel(COLUMNS, key=lambda a: a.uuid)
    proxy = SortProxy(model)
    view.setModel(proxy); view.setSortingEnabled(True)
    model.set_rows(activities.list_activities(ctx.session))
    row = proxy.row_at(view.currentIndex())   # the dataclass, or None

`RowTableView` is the matching view: row selection, sorting, and one
`open_requested(row)` signal for Enter/Return and double-click.
"""
from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from typing import Any, Generic, TypeVar

from PySide6.QtCore import (
    QAbstractTableModel,
    QModelIndex,
    QPersistentModelIndex,
    QSortFilterProxyModel,
    Qt,
    Signal,
)
from PySide6.QtGui import QBrush, QColor, QIcon
from PySide6.QtWidgets import QAbstractItemView, QHeaderView, QTableView

T = TypeVar("T")

#: Role carrying the value a column sorts by (a date, a number, a folded string…).
SORT_ROLE = int(Qt.ItemDataRole.UserRole) + 1
#: Role carrying the row's dataclass itself (any column).
ROW_ROLE = int(Qt.ItemDataRole.UserRole) + 2

LEFT = Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignVCenter
RIGHT = Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter
CENTRE = Qt.AlignmentFlag.AlignCenter

AnyIndex = QModelIndex | QPersistentModelIndex

MONTHS = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")


def format_date(value: dt.date | None) -> str:
    """'3 Mar 2025': unambiguous in an English school, independent of the OS locale."""
    if value is None:
        return ""
    return f"{value.day} {MONTHS[value.month - 1]} {value.year}"


def format_datetime(value: dt.datetime | None) -> str:
    """'3 Mar 2025 14:05'."""
    if value is None:
        return ""
    return f"{format_date(value.date())} {value:%H:%M}"


def format_value(value: Any) -> str:
    """Display text for a raw value: dates in school style, None as blank, bools as Yes/No."""
    if value is None:
        return ""
    if isinstance(value, str):
        return value
    if isinstance(value, dt.datetime):
        return format_datetime(value)
    if isinstance(value, dt.date):
        return format_date(value)
    if isinstance(value, bool):
        return "Yes" if value else "No"
    if isinstance(value, float):
        return f"{value:g}"
    return str(value)


def sort_key(value: Any) -> tuple:
    """A key that orders any mix of values safely: blanks first, then numbers/dates/text by value.

    Text compares case-insensitively; dates and datetimes compare with each other
    (a date counts as its midnight); values of unrelated kinds never raise.
    """
    if value is None or value == "":
        return (0,)
    if isinstance(value, bool):
        return (1, int(value))
    if isinstance(value, (int, float)):
        return (1, value)
    if isinstance(value, dt.datetime):
        return (2, value.replace(tzinfo=None))
    if isinstance(value, dt.date):
        return (2, dt.datetime(value.year, value.month, value.day))
    if isinstance(value, str):
        return (3, value.casefold(), value)
    if isinstance(value, tuple):
        return (4, tuple(sort_key(v) for v in value))
    return (5, str(value).casefold())


@dataclass(frozen=True)
class Column(Generic[T]):
    """How one column shows a row.

    display: the row's value for this column; non-strings are formatted by
        `format_value` (dates as '3 Mar 2025', None as blank).
    sort: the value to sort by; defaults to the raw `display` value, so a
        column that displays a date or number sorts by it without more ado.
    tooltip / foreground / decoration: optional per-row getters (None = no role).
    align: Qt alignment for the cells (e.g. RIGHT for numbers).
    header_tooltip: explains an abbreviated header.
    """

    header: str
    display: Callable[[T], Any]
    sort: Callable[[T], Any] | None = None
    tooltip: Callable[[T], str | None] | None = None
    align: Qt.AlignmentFlag | None = None
    foreground: Callable[[T], QColor | QBrush | None] | None = None
    decoration: Callable[[T], QColor | QIcon | None] | None = None
    header_tooltip: str | None = None

    def text(self, row: T) -> str:
        return format_value(self.display(row))

    def sort_value(self, row: T) -> Any:
        getter = self.sort or self.display
        return getter(row)


class RowTableModel(QAbstractTableModel, Generic[T]):
    """Read-only table over a list of frozen dataclasses, one row each.

    `key` (optional) names a row's identity (usually its uuid) so pages can find
    and reselect a row after a refresh.
    """

    def __init__(
        self,
        columns: Sequence[Column[T]],
        rows: Iterable[T] = (),
        key: Callable[[T], Any] | None = None,
        parent=None,
    ) -> None:
        super().__init__(parent)
        self._columns: list[Column[T]] = list(columns)
        self._rows: list[T] = list(rows)
        self._key = key

    # -- data in/out -------------------------------------------------------------
    def set_rows(self, rows: Iterable[T]) -> None:
        """Replace every row (a refresh from a service call)."""
        self.beginResetModel()
        self._rows = list(rows)
        self.endResetModel()

    def clear(self) -> None:
        """Drop every row (e.g. on lock, so no pupil data stays in memory)."""
        self.set_rows(())

    def rows(self) -> list[T]:
        return list(self._rows)

    def row_at(self, index: AnyIndex | int) -> T | None:
        """The dataclass at a source index (or row number); None if out of range."""
        r = index if isinstance(index, int) else (index.row() if index.isValid() else -1)
        if 0 <= r < len(self._rows):
            return self._rows[r]
        return None

    def row_for_key(self, key: Any) -> int:
        """Row number of the row whose key equals `key`, or -1."""
        if self._key is None:
            raise TypeError("this model was built without a key function")
        for i, row in enumerate(self._rows):
            if self._key(row) == key:
                return i
        return -1

    def key_of(self, row: T) -> Any:
        if self._key is None:
            raise TypeError("this model was built without a key function")
        return self._key(row)

    def column(self, section: int) -> Column[T]:
        return self._columns[section]

    def columns(self) -> list[Column[T]]:
        return list(self._columns)

    # -- Qt model interface ------------------------------------------------------
    def rowCount(self, parent: AnyIndex = QModelIndex()) -> int:  # noqa: B008 (Qt signature)
        return 0 if parent.isValid() else len(self._rows)

    def columnCount(self, parent: AnyIndex = QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else len(self._columns)

    def data(self, index: AnyIndex, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if not index.isValid():
            return None
        r, c = index.row(), index.column()
        if not (0 <= r < len(self._rows) and 0 <= c < len(self._columns)):
            return None
        row, col = self._rows[r], self._columns[c]
        role = int(role)
        if role == int(Qt.ItemDataRole.DisplayRole) or role == int(Qt.ItemDataRole.AccessibleTextRole):
            return col.text(row)
        if role == SORT_ROLE:
            return col.sort_value(row)
        if role == ROW_ROLE:
            return row
        if role == int(Qt.ItemDataRole.ToolTipRole):
            return col.tooltip(row) if col.tooltip else None
        if role == int(Qt.ItemDataRole.TextAlignmentRole):
            return int(col.align.value) if col.align is not None else None
        if role == int(Qt.ItemDataRole.ForegroundRole):
            return col.foreground(row) if col.foreground else None
        if role == int(Qt.ItemDataRole.DecorationRole):
            return col.decoration(row) if col.decoration else None
        return None

    def headerData(self, section: int, orientation: Qt.Orientation, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if orientation != Qt.Orientation.Horizontal or not (0 <= section < len(self._columns)):
            return None
        col = self._columns[section]
        role = int(role)
        if role == int(Qt.ItemDataRole.DisplayRole):
            return col.header
        if role == int(Qt.ItemDataRole.ToolTipRole):
            return col.header_tooltip
        if role == int(Qt.ItemDataRole.TextAlignmentRole) and col.align is not None:
            return int(col.align.value)
        return None

    def flags(self, index: AnyIndex) -> Qt.ItemFlag:
        if not index.isValid():
            return Qt.ItemFlag.NoItemFlags
        return Qt.ItemFlag.ItemIsEnabled | Qt.ItemFlag.ItemIsSelectable


class SortProxy(QSortFilterProxyModel):
    """Sorts a RowTableModel by SORT_ROLE values and filters by typed text.

    Comparison is done in Python on the column's sort values (via `sort_key`), so
    dates, numbers, None and text sort as values. Filtering: `set_filter_text`
    keeps rows where every word of the text appears in some column's display text
    (case-insensitive); `set_row_filter` adds any predicate over the dataclass.
    """

    def __init__(self, source: RowTableModel | None = None, parent=None) -> None:
        super().__init__(parent)
        self.setSortRole(SORT_ROLE)
        self.setDynamicSortFilter(True)
        self._words: list[str] = []
        self._predicate: Callable[[Any], bool] | None = None
        if source is not None:
            self.setSourceModel(source)

    # -- sorting -----------------------------------------------------------------
    def lessThan(self, left: AnyIndex, right: AnyIndex) -> bool:
        src = self.sourceModel()
        if isinstance(src, RowTableModel) and self.sortRole() == SORT_ROLE:
            col = src.column(left.column())
            lrow, rrow = src.row_at(left), src.row_at(right)
            lk, rk = sort_key(col.sort_value(lrow)), sort_key(col.sort_value(rrow))
            if lk != rk:
                return lk < rk
            return left.row() < right.row()  # stable: keep the service's order for ties
        return super().lessThan(left, right)

    # -- filtering ---------------------------------------------------------------
    def set_filter_text(self, text: str) -> None:
        words = [w.casefold() for w in text.split()]
        if words != self._words:
            self._refilter(lambda: setattr(self, "_words", words))

    def set_row_filter(self, predicate: Callable[[Any], bool] | None) -> None:
        self._refilter(lambda: setattr(self, "_predicate", predicate))

    def _refilter(self, change: Callable[[], None]) -> None:
        # Qt >= 6.9 wants the change bracketed (invalidateFilter is deprecated there).
        if hasattr(self, "beginFilterChange"):
            self.beginFilterChange()
            change()
            self.endFilterChange(QSortFilterProxyModel.Direction.Rows)
        else:  # pragma: no cover - older Qt
            change()
            self.invalidateFilter()

    def filterAcceptsRow(self, source_row: int, source_parent: AnyIndex) -> bool:
        src = self.sourceModel()
        if not isinstance(src, RowTableModel):
            return super().filterAcceptsRow(source_row, source_parent)
        row = src.row_at(source_row)
        if row is None:
            return False
        if self._predicate is not None and not self._predicate(row):
            return False
        if self._words:
            haystack = " ".join(c.text(row) for c in src.columns()).casefold()
            return all(w in haystack for w in self._words)
        return True

    # -- convenience -------------------------------------------------------------
    def row_at(self, index: AnyIndex) -> Any:
        """The dataclass behind a proxy (view) index, or None."""
        if not index.isValid():
            return None
        src = self.sourceModel()
        return src.row_at(self.mapToSource(index)) if isinstance(src, RowTableModel) else None

    def index_for_key(self, key: Any, column: int = 0) -> QModelIndex:
        """Proxy index of the row with this key (invalid if absent or filtered out)."""
        src = self.sourceModel()
        if not isinstance(src, RowTableModel):
            return QModelIndex()
        r = src.row_for_key(key)
        if r < 0:
            return QModelIndex()
        return self.mapFromSource(src.index(r, column))


class RowTableView(QTableView):
    """A read-only record list: whole rows selected, sortable, and `open_requested(row)` on
    Enter/Return or a double-click (the same on every platform; no per-style activation rules).

    Tab leaves the table (arrow keys move inside it), so forms stay quick to cross by keyboard.
    """

    open_requested = Signal(object)

    def __init__(self, proxy: SortProxy | None = None, accessible_name: str = "", parent=None) -> None:
        super().__init__(parent)
        self.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.setAlternatingRowColors(True)
        self.setWordWrap(False)
        self.setTabKeyNavigation(False)
        self.verticalHeader().hide()
        self.setSortingEnabled(True)
        if accessible_name:
            self.setAccessibleName(accessible_name)
        self._stretch: int | None = None
        self._max_share = 0.4
        self.horizontalHeader().setResizeContentsPrecision(200)  # rows measured when fitting columns
        if proxy is not None:
            self.setModel(proxy)
        self.doubleClicked.connect(lambda index: self._request(index))

    def setModel(self, model) -> None:  # noqa: N802 (Qt)
        super().setModel(model)
        if model is not None:
            for signal in (model.modelReset, model.layoutChanged, model.rowsInserted):
                signal.connect(lambda *_: self._fit())

    def fit_columns(self, stretch: int, max_share: float = 0.4) -> None:
        """Column `stretch` takes the spare width; every other column fits its contents but never
        more than `max_share` of the view (long owners or destinations elide instead of
        squeezing the main column away). Refitted when rows change and when the view resizes."""
        self._stretch = stretch
        self._max_share = max_share
        header = self.horizontalHeader()
        header.setSectionResizeMode(QHeaderView.ResizeMode.Interactive)
        header.setSectionResizeMode(stretch, QHeaderView.ResizeMode.Stretch)
        self._fit()

    def _fit(self) -> None:
        model = self.model()
        if self._stretch is None or model is None:
            return
        header = self.horizontalHeader()
        cap = max(60, int(self.viewport().width() * self._max_share))
        for c in range(model.columnCount()):
            if c != self._stretch:
                wanted = max(self.sizeHintForColumn(c), header.sectionSizeHint(c))
                self.setColumnWidth(c, min(wanted, cap))

    def resizeEvent(self, event) -> None:  # noqa: N802 (Qt)
        super().resizeEvent(event)
        self._fit()

    def current_row(self) -> Any:
        model = self.model()
        return model.row_at(self.currentIndex()) if isinstance(model, SortProxy) else None

    def _request(self, index: AnyIndex) -> None:
        model = self.model()
        row = model.row_at(index) if isinstance(model, SortProxy) else None
        if row is not None:
            self.open_requested.emit(row)

    def keyPressEvent(self, event) -> None:  # noqa: N802 (Qt)
        if event.key() in (Qt.Key.Key_Return, Qt.Key.Key_Enter) and self.currentIndex().isValid():
            self._request(self.currentIndex())
            event.accept()
            return
        super().keyPressEvent(event)
