"""The pupil list: a table over PupilSummary rows and a proxy that filters 2,000 of them per keystroke.

Built on the shared RowTableModel/SortProxy (ui/models/table_model.py). What is
special here is speed: everything a keystroke needs is computed once, when the
rows arrive (`set_rows`):

* each row's search text, folded with the same `fold` the services use
  (services/text.py), so "zoe" finds "Zoë" in the list exactly as the search
  service would;
* each column's sort order as an integer rank, so a header click reorders
  the rows in the model (one Python sort) and the proxy never sorts: a
  sorting proxy would re-sort, through Python `lessThan` calls, every row a
  widened filter lets back in;
* each row's display text, on first paint.

`PupilFilterProxy.filterAcceptsRow` then does attribute reads and substring
checks only.
"""
from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass

from PySide6.QtCore import QModelIndex, QPersistentModelIndex, Qt

from schoolmh.domain.codes import SEN_PROVISION, TIERS
from schoolmh.services.pupils import PupilSummary
from schoolmh.services.text import search_key, search_words
from schoolmh.ui.models.table_model import (
    CENTRE,
    ROW_ROLE,
    SORT_ROLE,
    Column,
    RowTableModel,
    SortProxy,
    sort_key,
)

__all__ = ["PupilsModel", "PupilFilterProxy", "PupilFilter", "year_label", "flag_text", "FLAGS"]

AnyIndex = QModelIndex | QPersistentModelIndex

# (attribute, short text shown, meaning): text, not colour, carries the flag.
FLAGS = (
    ("looked_after", "CLA", "Looked after (child in care)"),
    ("young_carer", "YC", "Young carer"),
    ("eal", "EAL", "English as an additional language"),
    ("fsm", "FSM", "Free school meals"),
    ("pupil_premium", "PP", "Pupil premium"),
    ("service_child", "SC", "Service child"),
)


def year_label(year: int | None) -> str:
    """'Year 9', 'Reception', 'Nursery 1' … for a stored year group."""
    if year is None:
        return ""
    if year == 0:
        return "Reception"
    if year < 0:
        return f"Nursery {year + 3}"  # -2 → N1, -1 → N2
    return f"Year {year}"


def flag_text(p) -> str:
    """'CLA YC FSM' for the flags a pupil has (SEN is its own column)."""
    return " ".join(short for attr, short, _ in FLAGS if getattr(p, attr, False))


def _flag_tooltip(p) -> str | None:
    parts = [meaning for attr, _, meaning in FLAGS if getattr(p, attr, False)]
    return ", ".join(parts) or None


def _sen_text(p: PupilSummary) -> str:
    return "" if p.sen_provision in ("", "N") else p.sen_provision


def _surname_key(p: PupilSummary) -> tuple:
    return (
        " ".join(search_words(p.preferred_surname or p.legal_surname)),
        " ".join(search_words(p.preferred_forename or p.legal_forename)),
    )


COLUMNS: list[Column[PupilSummary]] = [
    Column("Name", lambda p: p.display_name, sort=_surname_key,
           tooltip=lambda p: _legal_tooltip(p)),
    Column("Year", lambda p: year_label(p.year_group), sort=lambda p: p.year_group),
    Column("Tutor group", lambda p: p.tutor_group),
    Column("UPN", lambda p: p.upn),
    Column("SEN", _sen_text, tooltip=lambda p: SEN_PROVISION.get(p.sen_provision) if _sen_text(p) else None,
           align=CENTRE, header_tooltip="SEN provision: E = EHC plan, K = SEN support"),
    Column("Flags", flag_text, tooltip=_flag_tooltip,
           header_tooltip="CLA looked after, YC young carer, EAL, FSM free school meals, PP pupil premium, SC service child"),
    Column("Open plan", lambda p: TIERS.get(p.open_plan_tier or "", "") if p.has_open_plan else "",
           sort=lambda p: (list(TIERS).index(p.open_plan_tier) + 1) if p.open_plan_tier in TIERS else 0),
    Column("In the gap", lambda p: f"{p.gap_days} days" if p.in_gap else "",
           sort=lambda p: p.gap_days if p.in_gap else None,
           header_tooltip=("Not accepted by the MHST nor by specialist services (CAMHS), and nothing accepted or "
                           "waiting since: days since the first of those referrals was sent")),
    Column("Left", lambda p: p.left_on, header_tooltip="Date the pupil left the school"),
]


def _legal_tooltip(p: PupilSummary) -> str | None:
    legal = f"{p.legal_forename} {p.legal_surname}".strip()
    return f"Legal name: {legal}" if legal and legal != p.display_name else None


def row_search_text(p: PupilSummary) -> str:
    """Folded words of names, UPN and tutor group, plus a 'y9' token for the year: ' zoe ni bhriain 9ab y9 '."""
    text = search_key(
        p.preferred_forename, p.preferred_surname, p.legal_forename, p.legal_surname, p.upn, p.tutor_group,
    ) or " "
    if p.year_group is not None:
        text += f"y{p.year_group} "
    return text


class PupilsModel(RowTableModel[PupilSummary]):
    """RowTableModel of PupilSummary with per-row search text and per-column sort ranks precomputed.

    Sorting reorders the rows here (`sort_rows`), from the ranks, instead of in
    the proxy: a sorting proxy re-sorts every row a filter lets back in through
    Python `lessThan` calls, which is what made a keystroke slow.
    """

    def __init__(self, parent=None) -> None:
        super().__init__(COLUMNS, key=lambda p: p.uuid, parent=parent)
        self.search_texts: list[str] = []
        self.ranks: list[list[int]] = []
        self._cells: list[tuple[str, ...] | None] = []
        self.sort_order: tuple[int, Qt.SortOrder] = (0, Qt.SortOrder.AscendingOrder)

    def set_rows(self, rows: Iterable[PupilSummary]) -> None:
        rows = list(rows)
        ranks = []
        for col in COLUMNS:
            order = sorted(range(len(rows)), key=lambda i, c=col: sort_key(c.sort_value(rows[i])))
            rank = [0] * len(rows)
            for position, i in enumerate(order):
                rank[i] = position  # stable sort: ties keep the service's order
            ranks.append(rank)
        column, direction = self.sort_order
        perm = self._permutation(ranks, column, direction, len(rows))
        self.ranks = [[rank[i] for i in perm] for rank in ranks]
        rows = [rows[i] for i in perm]
        self.search_texts = [row_search_text(p) for p in rows]
        self._cells = [None] * len(rows)
        super().set_rows(rows)

    @staticmethod
    def _permutation(ranks: list[list[int]], column: int, direction: Qt.SortOrder, n: int) -> list[int]:
        if not ranks or not 0 <= column < len(ranks):
            return list(range(n))
        rank = ranks[column]
        return sorted(range(n), key=rank.__getitem__, reverse=direction == Qt.SortOrder.DescendingOrder)

    def sort_rows(self, column: int, direction: Qt.SortOrder) -> None:
        """Reorder the rows by a column's rank; selections follow their rows."""
        self.sort_order = (column, direction)
        n = len(self._rows)
        perm = self._permutation(self.ranks, column, direction, n)
        if perm == list(range(n)):
            return
        self.layoutAboutToBeChanged.emit()
        new_row_of = [0] * n
        for new, old in enumerate(perm):
            new_row_of[old] = new
        persistent = self.persistentIndexList()
        moved = [self.index(new_row_of[i.row()], i.column()) if 0 <= i.row() < n else QModelIndex()
                 for i in persistent]
        self._rows = [self._rows[i] for i in perm]
        self.search_texts = [self.search_texts[i] for i in perm]
        self._cells = [self._cells[i] for i in perm]
        self.ranks = [[rank[i] for i in perm] for rank in self.ranks]
        self.changePersistentIndexList(persistent, moved)
        self.layoutChanged.emit()

    def data(self, index: AnyIndex, role: int = Qt.ItemDataRole.DisplayRole):
        # Fast path for painting: display text is formatted once per row, other unused roles return at once.
        if role == _DISPLAY:
            r = index.row()
            cells = self._cells[r]
            if cells is None:
                p = self._rows[r]
                cells = self._cells[r] = tuple(c.text(p) for c in COLUMNS)
            return cells[index.column()]
        if role not in _HANDLED_ROLES:
            return None
        return super().data(index, role)

    def column_index(self, header: str) -> int:
        return next(i for i, c in enumerate(COLUMNS) if c.header == header)


_DISPLAY = int(Qt.ItemDataRole.DisplayRole)
_HANDLED_ROLES = frozenset({
    int(Qt.ItemDataRole.AccessibleTextRole), int(Qt.ItemDataRole.ToolTipRole),
    int(Qt.ItemDataRole.TextAlignmentRole), SORT_ROLE, ROW_ROLE,
})


_YEAR_QUERY = re.compile(r"(?:y|yr|year)(\d{1,2})")


def parse_filter_text(text: str) -> list[str]:
    """Needles for a typed filter: folded words; 'Y9', 'yr9', 'year 9' become the exact token ' y9 '."""
    words = search_words(text)
    needles: list[str] = []
    i = 0
    while i < len(words):
        w = words[i]
        nxt = words[i + 1] if i + 1 < len(words) else ""
        m = _YEAR_QUERY.fullmatch(w)
        if w in ("y", "yr", "year") and nxt.isdigit() and len(nxt) <= 2:
            needles.append(f" y{int(nxt)} ")
            i += 2
            continue
        needles.append(f" y{int(m[1])} " if m else w)
        i += 1
    return needles


@dataclass(frozen=True)
class PupilFilter:
    """The non-text filters of the pupil list; None/False means 'any'."""

    tier: str | None = None  # a TIERS code, or "none" for pupils without an open plan
    sen: str | None = None  # E / K / N
    year: int | None = None
    has_open_plan: bool = False
    in_gap: bool = False
    include_left: bool = False


class PupilFilterProxy(SortProxy):
    """Filter by folded substrings plus the combo/checkbox filters; sorting is delegated to the model."""

    def __init__(self, source: PupilsModel, parent=None) -> None:
        super().__init__(source, parent)
        self._needles: list[str] = []
        self._filter = PupilFilter()

    # -- filter state ------------------------------------------------------------------
    def set_filter_text(self, text: str) -> None:
        needles = parse_filter_text(text)
        if needles != self._needles:
            self._refilter(lambda: setattr(self, "_needles", needles))

    def set_filters(self, f: PupilFilter) -> None:
        if f != self._filter:
            self._refilter(lambda: setattr(self, "_filter", f))

    @property
    def filters(self) -> PupilFilter:
        return self._filter

    # -- Qt hooks ------------------------------------------------------------------------
    def filterAcceptsRow(self, source_row: int, source_parent: AnyIndex) -> bool:  # noqa: N802
        model: PupilsModel = self.sourceModel()  # type: ignore[assignment]
        p = model._rows[source_row]
        f = self._filter
        if p.left_on is not None and not f.include_left:
            return False
        if f.year is not None and p.year_group != f.year:
            return False
        if f.sen is not None and p.sen_provision != f.sen:
            return False
        if f.has_open_plan and not p.has_open_plan:
            return False
        if f.in_gap and not p.in_gap:
            return False
        if f.tier is not None:
            if f.tier == "none":
                if p.has_open_plan:
                    return False
            elif p.open_plan_tier != f.tier:
                return False
        if self._needles:
            text = model.search_texts[source_row]
            for needle in self._needles:
                if needle not in text:
                    return False
        return True

    def sort(self, column: int, order: Qt.SortOrder = Qt.SortOrder.AscendingOrder) -> None:
        """Header clicks sort the source rows by rank (see PupilsModel); the proxy itself never sorts."""
        model: PupilsModel = self.sourceModel()  # type: ignore[assignment]
        if column >= 0:
            model.sort_rows(column, order)
