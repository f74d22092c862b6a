"""A line chart of one instrument's headline score over time, drawn with QPainter.

Why QPainter and not QtCharts: the app depends on PySide6-Essentials only, and a
single small chart does not justify an add-on module. The chart shades the
instrument's bands (where it has them for the rater) so staff see at a glance
whether a score moved into a better band, and it labels each band in text, so
the meaning never rests on colour alone. Band tints are translucent so they sit
on the system palette's base colour in light and dark mode alike.
"""
from __future__ import annotations

import datetime as dt
import math
from collections.abc import Sequence
from dataclasses import dataclass

from PySide6.QtCore import QPointF, QRectF, QSize, Qt
from PySide6.QtGui import QColor, QFontMetrics, QPainter, QPainterPath, QPalette, QPen
from PySide6.QtWidgets import QSizePolicy, QWidget

from schoolmh.domain.instruments import Band

__all__ = ["ChartPoint", "MeasureChart", "band_tints"]


@dataclass(frozen=True)
class ChartPoint:
    date: dt.date
    value: float
    label: str = ""  # e.g. the band, for the accessible description


# Accessible tints (Okabe–Ito-derived: green, yellow, orange, vermillion), best band first.
_TINTS = ("#009E73", "#F0E442", "#E69F00", "#D55E00")
_LINE = "#0072B2"  # Okabe–Ito blue: readable on light and dark bases


def band_tints(count: int) -> list[QColor]:
    """Translucent tints for `count` bands ordered best → worst."""
    if count <= 0:
        return []
    if count == 1:
        picks = [_TINTS[0]]
    elif count == 2:
        picks = [_TINTS[0], _TINTS[3]]
    elif count == 3:
        picks = [_TINTS[0], _TINTS[2], _TINTS[3]]
    else:
        picks = [_TINTS[min(i, 3)] for i in range(count)]
    out = []
    for name in picks:
        c = QColor(name)
        c.setAlpha(48)
        out.append(c)
    return out


def nice_ticks(lo: float, hi: float, most: int = 6) -> list[float]:
    """Round tick values (steps of 1, 2, 2.5 or 5 times a power of ten) from lo to hi, ends included."""
    span = hi - lo
    if span <= 0:
        return [lo]
    raw = span / (most - 1)
    power = 10 ** math.floor(math.log10(raw))
    step = next(m * power for m in (1, 2, 2.5, 5, 10) if m * power >= raw)
    first = math.ceil(lo / step) * step
    ticks = [lo] if first - lo > 1e-9 else []
    value = first
    while value <= hi + 1e-9:
        ticks.append(round(value, 6))
        value += step
    if hi - ticks[-1] > 1e-9:
        ticks.append(hi)
    # the scale's ends always show; a round tick crowding an end gives way
    if len(ticks) > 2 and ticks[1] - ticks[0] < step / 2:
        del ticks[1]
    if len(ticks) > 2 and ticks[-1] - ticks[-2] < step / 2:
        del ticks[-2]
    return ticks


def _fmt(value: float) -> str:
    return str(int(value)) if float(value).is_integer() else f"{value:.1f}"


class MeasureChart(QWidget):
    """Headline scores over time for one instrument and rater.

    `set_data(title, points, y_range, bands, higher_is_better)` replaces what is
    shown; `clear()` empties it (on lock). The accessible description lists every
    point in words, so a screen-reader user gets the same information.
    """

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._title = ""
        self._points: list[ChartPoint] = []
        self._range = (0.0, 10.0)
        self._bands: tuple[Band, ...] = ()
        self._higher_is_better = True
        self.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Expanding)
        self.setMinimumHeight(180)
        self.setAccessibleName("Scores over time")
        self.setFocusPolicy(Qt.FocusPolicy.TabFocus)

    def sizeHint(self) -> QSize:
        return QSize(480, 240)

    # -- data ----------------------------------------------------------------------
    def set_data(
        self,
        title: str,
        points: Sequence[ChartPoint],
        y_range: tuple[float, float],
        bands: Sequence[Band] | None = None,
        higher_is_better: bool = True,
    ) -> None:
        self._title = title
        self._points = sorted(points, key=lambda p: p.date)
        lo, hi = float(y_range[0]), float(y_range[1])
        if hi <= lo:
            hi = lo + 1
        self._range = (lo, hi)
        self._bands = tuple(bands or ())
        self._higher_is_better = higher_is_better
        self.setAccessibleName(f"Chart: {title}" if title else "Scores over time")
        self.setAccessibleDescription(self.describe())
        self.update()

    def clear(self) -> None:
        self._title = ""
        self._points = []
        self._bands = ()
        self.setAccessibleDescription("")
        self.update()

    def points(self) -> list[ChartPoint]:
        return list(self._points)

    def describe(self) -> str:
        """The chart in words: every score with its date (and band)."""
        if not self._points:
            return "No scores recorded yet."
        parts = []
        for p in self._points:
            text = f"{p.date.day} {p.date:%b %Y}: {_fmt(p.value)}"
            if p.label:
                text += f" ({p.label})"
            parts.append(text)
        return f"{self._title}. " + "; ".join(parts)

    # -- drawing -------------------------------------------------------------------
    def _ordered_bands(self) -> list[tuple[Band, QColor]]:
        """Bands with their tints: the best band gets green whichever way the scale runs."""
        bands = sorted(self._bands, key=lambda b: b.low)
        best_first = list(reversed(bands)) if self._higher_is_better else bands
        tints = band_tints(len(best_first))
        paired = dict(zip((id(b) for b in best_first), tints, strict=True))
        return [(b, paired[id(b)]) for b in bands]

    def paintEvent(self, event) -> None:  # noqa: N802 (Qt)
        p = QPainter(self)
        p.setRenderHint(QPainter.RenderHint.Antialiasing)
        pal = self.palette()
        text_colour = pal.color(QPalette.ColorRole.Text)
        mid = pal.color(QPalette.ColorRole.Mid)
        p.fillRect(self.rect(), pal.color(QPalette.ColorRole.Base))
        fm = QFontMetrics(self.font())
        line_h = fm.height()

        lo, hi = self._range
        tick_values = nice_ticks(lo, hi)
        left = max(fm.horizontalAdvance(_fmt(v)) for v in tick_values) + 14
        band_label_w = max((fm.horizontalAdvance(b.label) for b in self._bands), default=0)
        right_pad = band_label_w + 16 if self._bands else 16
        top = line_h + 12 if self._title else 10
        bottom = line_h + 14
        plot = QRectF(left, top, max(10, self.width() - left - right_pad), max(10, self.height() - top - bottom))

        if self._title:
            p.setPen(text_colour)
            f = p.font()
            f.setBold(True)
            p.setFont(f)
            title = QFontMetrics(f).elidedText(self._title, Qt.TextElideMode.ElideRight, int(self.width() - left - 4))
            p.drawText(QRectF(left, 2, self.width() - left, line_h + 6), Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignVCenter, title)
            f.setBold(False)
            p.setFont(f)

        def y_of(value: float) -> float:
            return plot.bottom() - (value - lo) / (hi - lo) * plot.height()

        # band shading, then labels pushed apart so narrow bands stay readable
        label_spots: list[tuple[float, str]] = []
        for band, tint in self._ordered_bands():
            b_lo, b_hi = max(lo, band.low), min(hi, band.high)
            if b_hi < b_lo:
                continue
            # whole-number bands (0-13, 14-16) meet half-way between their edges
            y1 = y_of(min(hi, b_hi + 0.5) if band.high < hi else hi)
            y2 = y_of(max(lo, b_lo - 0.5) if band.low > lo else lo)
            p.fillRect(QRectF(plot.left(), y1, plot.width(), y2 - y1), tint)
            label_spots.append(((y1 + y2) / 2, band.label))
        label_spots.sort()  # top to bottom
        placed: list[tuple[float, str]] = []
        for centre, label in label_spots:
            if placed and centre - placed[-1][0] < line_h:
                centre = placed[-1][0] + line_h
            placed.append((centre, label))
        overflow = placed[-1][0] + line_h / 2 - (self.height() - 2) if placed else 0
        if overflow > 0:  # pushed off the bottom: shift the crowded labels up
            placed = [(c - overflow, t) for c, t in placed]
        p.setPen(text_colour)
        for centre, label in placed:
            p.drawText(
                QRectF(plot.right() + 6, centre - line_h / 2, right_pad - 6, line_h),
                Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignVCenter,
                label,
            )

        # axes and y ticks
        p.setPen(QPen(mid, 1))
        p.drawRect(plot)
        for value in tick_values:
            y = y_of(value)
            p.setPen(QPen(mid, 1, Qt.PenStyle.DotLine))
            if lo < value < hi:
                p.drawLine(QPointF(plot.left(), y), QPointF(plot.right(), y))
            p.setPen(text_colour)
            p.drawText(QRectF(0, y - line_h / 2, left - 6, line_h), Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter, _fmt(value))

        if not self._points:
            p.setPen(text_colour)
            p.drawText(plot, Qt.AlignmentFlag.AlignCenter, "No scores recorded yet")
            p.end()
            return

        first, last = self._points[0].date, self._points[-1].date
        span = max(1, (last - first).days)

        def x_of(day: dt.date) -> float:
            if len(self._points) == 1:
                return plot.center().x()
            inset = 12
            return plot.left() + inset + (day - first).days / span * (plot.width() - 2 * inset)

        # line and points
        line_colour = QColor(_LINE)
        if pal.color(QPalette.ColorRole.Base).lightness() < 110:
            line_colour = QColor("#56B4E9")  # Okabe–Ito sky blue on dark bases
        path = QPainterPath()
        pts = [QPointF(x_of(pt.date), y_of(min(hi, max(lo, pt.value)))) for pt in self._points]
        path.moveTo(pts[0])
        for q in pts[1:]:
            path.lineTo(q)
        p.setPen(QPen(line_colour, 2.5))
        p.drawPath(path)
        p.setBrush(line_colour)
        for q in pts:
            p.drawEllipse(q, 4, 4)

        # date labels: first, last, and a middle one if there is room
        p.setPen(text_colour)
        labels = [(0, self._points[0])]
        if len(self._points) > 1:
            labels.append((len(self._points) - 1, self._points[-1]))
        if len(self._points) > 2:
            labels.insert(1, (len(self._points) // 2, self._points[len(self._points) // 2]))
        last_right = -1e9
        for i, pt in labels:
            text = f"{pt.date.day} {pt.date:%b %Y}"
            w = fm.horizontalAdvance(text)
            x = min(max(pts[i].x() - w / 2, plot.left()), plot.right() - w)
            if x < last_right + 8:
                continue
            p.drawText(QRectF(x, plot.bottom() + 4, w + 2, line_h), Qt.AlignmentFlag.AlignLeft, text)
            last_right = x + w
        p.end()
