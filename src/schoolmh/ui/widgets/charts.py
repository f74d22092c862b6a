"""Small charts drawn with QPainter: no chart add-on, colour never the only cue.

* `GroupedBarChart`: horizontal bars in groups (one group per category, one bar
  per series), every bar labelled with its value, each series with its own
  colour AND fill pattern, a legend, text in the palette's colours.
* `FunctionSplitChart`: this school's time by MHST function against the
  national 52/24/23 (Trailblazer evaluation).
* `CoverageStrip`: eight labelled cells, one per whole-school principle,
  saying how many activities each had ("none" written out for empty ones).
* `rag_icon` / `RAG_COLOURS`: swatches to sit next to a RAG status written as text.

Colours come from the Okabe-Ito palette (distinguishable with the common colour
vision deficiencies); in a dark palette the lighter members are used.
"""
from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from PySide6.QtCore import QPointF, QRectF, QSize, Qt, Signal
from PySide6.QtGui import (
    QBrush,
    QColor,
    QFontMetrics,
    QIcon,
    QPainter,
    QPalette,
    QPen,
    QPixmap,
)
from PySide6.QtWidgets import QGridLayout, QFrame, QLabel, QSizePolicy, QWidget

from schoolmh.domain.codes import FUNCTIONS, NATIONAL_FUNCTION_SHARE, PRINCIPLE_SHORT, PRINCIPLES, RAG

# Okabe-Ito
BLUE, SKY, ORANGE, VERMILLION, GREEN, YELLOW = "#0072B2", "#56B4E9", "#E69F00", "#D55E00", "#009E73", "#F0E442"

RAG_COLOURS = {"red": VERMILLION, "amber": ORANGE, "green": GREEN}


def is_dark(palette: QPalette) -> bool:
    return palette.color(QPalette.ColorRole.Window).lightness() < 128


def rag_icon(code: str, size: int = 12) -> QIcon:
    """A small square swatch for a RAG code (always shown next to the written status)."""
    pix = QPixmap(size, size)
    pix.fill(Qt.GlobalColor.transparent)
    p = QPainter(pix)
    p.setRenderHint(QPainter.RenderHint.Antialiasing)
    p.setPen(QPen(QColor("#333333"), 1))
    p.setBrush(QColor(RAG_COLOURS.get(code, "#999999")))
    p.drawRoundedRect(QRectF(0.5, 0.5, size - 1, size - 1), 2, 2)
    p.end()
    return QIcon(pix)


def rag_text(code: str) -> str:
    return RAG.get(code, code or "Not set")


@dataclass(frozen=True)
class Series:
    """One bar per category: name (legend), values by category (None = no data), how to label a value."""

    name: str
    values: Sequence[float | None]
    labels: Sequence[str]
    colour: str
    pattern: Qt.BrushStyle = Qt.BrushStyle.SolidPattern


class GroupedBarChart(QWidget):
    """Horizontal grouped bars with value labels and a legend; scale fixed at `maximum`."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._categories: list[str] = []
        self._series: list[Series] = []
        self._maximum = 100.0
        self._empty_text = "Nothing to show yet."
        self.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Preferred)
        self.setFocusPolicy(Qt.FocusPolicy.TabFocus)  # reachable, so a screen reader can read its description

    def set_data(
        self, categories: Sequence[str], series: Sequence[Series], maximum: float, empty_text: str | None = None
    ) -> None:
        self._categories = list(categories)
        self._series = list(series)
        self._maximum = maximum if maximum > 0 else 1.0
        if empty_text is not None:
            self._empty_text = empty_text
        self.updateGeometry()
        self.update()

    def _has_data(self) -> bool:
        return any(v is not None for s in self._series for v in s.values)

    # -- geometry ------------------------------------------------------------------
    def _bar_height(self) -> int:
        return max(14, QFontMetrics(self.font()).height() + 4)

    def sizeHint(self) -> QSize:
        fm = QFontMetrics(self.font())
        bar = self._bar_height()
        groups = max(1, len(self._categories))
        h = fm.height() * 2 + groups * (bar * max(1, len(self._series)) + fm.height() + 8) + 8
        return QSize(420, h)

    def minimumSizeHint(self) -> QSize:
        return QSize(260, self.sizeHint().height())

    # -- painting ------------------------------------------------------------------
    def paintEvent(self, event) -> None:  # noqa: N802 (Qt)
        p = QPainter(self)
        p.setRenderHint(QPainter.RenderHint.Antialiasing)
        pal = self.palette()
        text = pal.color(QPalette.ColorRole.WindowText)
        fm = QFontMetrics(self.font())
        w = self.width()
        margin = 4
        if self.hasFocus():
            p.setPen(QPen(pal.color(QPalette.ColorRole.Highlight), 1, Qt.PenStyle.DashLine))
            p.drawRect(QRectF(0.5, 0.5, w - 1, self.height() - 1))

        # legend
        x = margin
        y = margin
        sw = fm.height()
        for s in self._series:
            self._draw_bar(p, QRectF(x, y + 1, sw * 1.6, sw - 2), s, pal)
            x += sw * 1.6 + 6
            p.setPen(text)
            p.drawText(QRectF(x, y, fm.horizontalAdvance(s.name) + 2, sw), Qt.AlignmentFlag.AlignVCenter, s.name)
            x += fm.horizontalAdvance(s.name) + 18
        y += sw + fm.height() // 2

        if not self._has_data():
            p.setPen(pal.color(QPalette.ColorRole.PlaceholderText))
            p.drawText(QRectF(margin, y, w - 2 * margin, fm.height() * 2), Qt.AlignmentFlag.AlignLeft, self._empty_text)
            p.end()
            return

        bar = self._bar_height()
        label_w = max(fm.horizontalAdvance(lbl) for s in self._series for lbl in s.labels) + 8
        plot_w = max(40.0, w - 2 * margin - label_w)
        axis = pal.color(QPalette.ColorRole.Mid)
        for ci, cat in enumerate(self._categories):
            p.setPen(text)
            p.drawText(QRectF(margin, y, w - 2 * margin, fm.height()), Qt.AlignmentFlag.AlignLeft, cat)
            y += fm.height() + 2
            top = y
            for s in self._series:
                value = s.values[ci]
                length = 0.0 if value is None else plot_w * min(max(value, 0.0), self._maximum) / self._maximum
                rect = QRectF(margin, y, max(length, 1.0), bar - 3)
                if value is not None and length > 0:
                    self._draw_bar(p, rect, s, pal)
                p.setPen(text)
                p.drawText(
                    QRectF(margin + length + 6, y, label_w, bar - 3),
                    Qt.AlignmentFlag.AlignVCenter | Qt.AlignmentFlag.AlignLeft,
                    s.labels[ci],
                )
                y += bar
            p.setPen(QPen(axis, 1))
            p.drawLine(QPointF(margin, top - 1), QPointF(margin, y - 2))
            y += 6
        p.end()

    @staticmethod
    def _draw_bar(p: QPainter, rect: QRectF, s: Series, pal: QPalette) -> None:
        colour = QColor(s.colour)
        p.setPen(QPen(colour.darker(140) if not is_dark(pal) else colour.lighter(130), 1))
        if s.pattern == Qt.BrushStyle.SolidPattern:
            p.setBrush(colour)
            p.drawRect(rect)
        else:  # pale fill + hatching + outline: distinct from the solid bar without relying on hue
            pale = QColor(colour)
            pale.setAlpha(90)
            p.setBrush(pale)
            p.drawRect(rect)
            p.setBrush(QBrush(colour.darker(130) if not is_dark(pal) else colour, s.pattern))
            p.drawRect(rect)


def hours_text(minutes: int) -> str:
    """Time as staff say it, never rounded: "1 h 30 min", "2 h", "45 min". The one formatting of
    recorded time, so a total and its parts always add up on screen."""
    h, m = divmod(int(minutes), 60)
    if h and m:
        return f"{h} h {m} min"
    if h:
        return f"{h} h"
    return f"{m} min"


class FunctionSplitChart(GroupedBarChart):
    """This school's share of time by MHST function, next to the national 52/24/23."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setAccessibleName("Time by MHST function compared with the national split")
        self.set_minutes({})

    def set_minutes(self, minutes_by_function: Mapping[int, int]) -> None:
        total = sum(int(v or 0) for v in minutes_by_function.values())
        codes = list(FUNCTIONS)
        school_vals: list[float | None] = []
        school_labels: list[str] = []
        for f in codes:
            mins = int(minutes_by_function.get(f, 0) or 0)
            if total:
                share = 100.0 * mins / total
                school_vals.append(share)
                school_labels.append(f"{share:.0f}% ({hours_text(mins)})")
            else:
                school_vals.append(None)
                school_labels.append("no time recorded")
        national_vals = [float(NATIONAL_FUNCTION_SHARE[f]) for f in codes]
        national_labels = [f"{NATIONAL_FUNCTION_SHARE[f]}%" for f in codes]
        dark = is_dark(self.palette())
        series = [
            Series("This school", school_vals, school_labels, SKY if dark else BLUE),
            Series("National (Trailblazer)", national_vals, national_labels, ORANGE, Qt.BrushStyle.BDiagPattern),
        ]
        categories = [f"{f}. {FUNCTIONS[f]}" for f in codes]
        self._minutes = dict(minutes_by_function)
        if total:
            top = max([v for v in school_vals if v is not None] + national_vals)
            self.set_data(categories, series, max(top * 1.15, 10.0))
            parts = [f"{FUNCTIONS[f]}: {school_labels[i]} here, {national_labels[i]} nationally" for i, f in enumerate(codes)]
            self.setAccessibleDescription("; ".join(parts) + ".")
        else:
            self.set_data(categories, series, 100.0, "No sessions, activities or liaison time recorded this term yet.")
            self.setAccessibleDescription("No time recorded this term yet.")
        self.setToolTip(self.accessibleDescription())

    def changeEvent(self, event) -> None:  # noqa: N802 (Qt)
        super().changeEvent(event)
        if event.type() == event.Type.PaletteChange and hasattr(self, "_minutes"):
            self.set_minutes(self._minutes)


class CoverageStrip(QWidget):
    """Which of the eight principles had whole-school activity in a period.

    Eight cells in two rows of four, each with the principle's short name and
    "3 activities" or "none" written out; covered cells get a solid accent edge
    and a tick, empty ones a dashed edge, so colour is never the only cue.
    Clicking a cell emits `principle_clicked(code)`.
    """

    principle_clicked = Signal(str)

    def __init__(self, parent: QWidget | None = None, columns: int = 4, compact: bool = False) -> None:
        super().__init__(parent)
        self._compact = compact
        self.setAccessibleName("Principles with activity this term")
        grid = QGridLayout(self)
        grid.setContentsMargins(0, 0, 0, 0)
        grid.setSpacing(6)
        self._cells: dict[str, QLabel] = {}
        for i, code in enumerate(PRINCIPLES):
            cell = QLabel(self)
            cell.setObjectName(f"coverage_{code}")
            cell.setWordWrap(False)  # short fixed texts: no wrapping, so a cell's height is never guessed short
            cell.setTextFormat(Qt.TextFormat.PlainText)
            cell.setFrameShape(QFrame.Shape.StyledPanel)
            cell.setMargin(4 if compact else 6)
            cell.setToolTip(PRINCIPLES[code])
            cell.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Preferred)
            cell.mousePressEvent = lambda _e, c=code: self.principle_clicked.emit(c)  # type: ignore[method-assign]
            grid.addWidget(cell, i // columns, i % columns)
            self._cells[code] = cell
        self._counts: dict[str, int] = {}
        self.set_counts({})

    def set_counts(self, counts: Mapping[str, int]) -> None:
        """counts: activities per principle code (missing = none)."""
        self._counts = {code: int(counts.get(code, 0) or 0) for code in PRINCIPLES}
        self._restyle()

    def cell_text(self, code: str) -> str:
        return self._cells[code].text()

    def _restyle(self) -> None:
        pal = self.palette()
        accent = QColor(SKY if is_dark(pal) else BLUE).name()
        muted = pal.color(QPalette.ColorRole.PlaceholderText).name()
        parts = []
        for code, cell in self._cells.items():
            n = self._counts.get(code, 0)
            if n:
                status = f"✓ {n} {'activity' if n == 1 else 'activities'}"
                cell.setStyleSheet(f"QLabel {{ border: 2px solid {accent}; border-radius: 4px; }}")
            else:
                status = "none"
                cell.setStyleSheet(f"QLabel {{ border: 2px dashed {muted}; border-radius: 4px; }}")
            if self._compact:  # one line: "✓ Leadership: 4" / "Identifying need: none"
                cell.setText(f"✓ {PRINCIPLE_SHORT[code]}: {n}" if n else f"{PRINCIPLE_SHORT[code]}: none")
            else:
                cell.setText(f"{PRINCIPLE_SHORT[code]}\n{status}")
            cell.setAccessibleName(f"{PRINCIPLE_SHORT[code]}: {status.lstrip('✓ ')}")
            parts.append(f"{PRINCIPLE_SHORT[code]} {status.lstrip('✓ ')}")
        self.setAccessibleDescription("; ".join(parts))

    def changeEvent(self, event) -> None:  # noqa: N802 (Qt)
        super().changeEvent(event)
        if event.type() == event.Type.PaletteChange and self._cells:
            self._restyle()
