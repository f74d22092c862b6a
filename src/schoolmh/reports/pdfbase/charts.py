"""Charts drawn as vector graphics: bar charts, line charts with bands, and captioned figures."""
from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import date

from reportlab.graphics.shapes import Circle, Drawing, Line, Polygon, Rect, String
from reportlab.lib import colors
from reportlab.pdfbase import pdfmetrics
from reportlab.platypus import KeepTogether, Spacer

from .fonts import FONT, FONT_BOLD, register_fonts
from .look import CONTENT_WIDTH, GRID, INK, MUTED, PALETTE, styles
from .text import para

def _nice_step(span: float, target_ticks: int = 5) -> float:
    if span <= 0:
        return 1.0
    raw = span / target_ticks
    mag = 10 ** math.floor(math.log10(raw))
    for m in (1, 2, 2.5, 5, 10):
        if raw <= m * mag:
            return m * mag
    return 10 * mag


def _fmt_tick(v: float) -> str:
    return f"{v:.0f}" if float(v).is_integer() else f"{v:g}"


def _hatch(x: float, y: float, w: float, h: float, kind: int, colour, spacing: float = 4.0):
    """Line segments filling a rectangle with a pattern (analytically clipped)."""
    lines: list[Line] = []
    if w <= 0 or h <= 0:
        return lines
    if kind == 1:  # diagonal "/"
        c = -h
        while c < w:
            # line through (x + c + t, y + t) for t in [0, h], clipped to [x, x + w]
            t0 = max(0.0, -c)
            t1 = min(h, w - c)
            if t1 > t0:
                lines.append(Line(x + c + t0, y + t0, x + c + t1, y + t1,
                                  strokeColor=colour, strokeWidth=1.1))
            c += spacing * 1.4
    elif kind == 2:  # vertical stripes
        xx = x + spacing / 2
        while xx < x + w:
            lines.append(Line(xx, y, xx, y + h, strokeColor=colour, strokeWidth=1.1))
            xx += spacing
    elif kind == 3:  # cross-hatch
        lines += _hatch(x, y, w, h, 1, colour, spacing)
        c = 0.0
        while c < w + h:
            t0 = max(0.0, c - w)
            t1 = min(h, c)
            if t1 > t0:
                lines.append(Line(x + c - t0, y + t0, x + c - t1, y + t1,
                                  strokeColor=colour, strokeWidth=1.1))
            c += spacing * 1.4
    return lines


def _bar_shapes(x: float, y: float, w: float, h: float, i: int) -> list:
    """A bar for series ``i``: solid for the first, patterned for the others."""
    colour = PALETTE[i % len(PALETTE)]
    kind = i % 4
    if kind == 0:
        return [Rect(x, y, w, h, fillColor=colour, strokeColor=colour, strokeWidth=0.5)]
    shapes: list = [Rect(x, y, w, h, fillColor=colors.white, strokeColor=None)]
    shapes += _hatch(x, y, w, h, kind, colour)
    shapes.append(Rect(x, y, w, h, fillColor=None, strokeColor=colour, strokeWidth=1.2))
    return shapes


def bar_chart(
    categories: Sequence[str],
    series: Sequence[tuple[str, Sequence[float | None]]],
    *,
    width: float = CONTENT_WIDTH,
    value_format: str | Callable[[float], str] = "{:.0f}",
    unit: str = "",
    max_value: float | None = None,
    bar_thickness: float = 13,
    label_series_on_bars: bool = True,
    axis_label: str | None = None,
) -> Drawing:
    """Grouped horizontal bar chart, one group per category, one bar per series.

    Each bar has its value written at its end ("52%"), with the series name too
    when ``label_series_on_bars`` ("This school: 52%"); series are told apart by
    colour (Okabe–Ito) and by fill pattern (solid, diagonal, stripes, cross),
    shown in the legend. A value of None draws no bar and writes "not shown"
    (e.g. a suppressed count). ``max_value`` fixes the scale (e.g. 100 for
    percentages).
    """
    register_fonts()
    fmt = value_format.format if isinstance(value_format, str) else value_format
    n_series = len(series)
    if any(len(vals) != len(categories) for _, vals in series):
        raise ValueError("each series needs one value per category")
    font, fs = FONT, 9
    label_w = min(width * 0.32, max((pdfmetrics.stringWidth(c, FONT_BOLD, fs) for c in categories),
                                    default=0) + 10)

    def text_for(name: str, v: float | None) -> str:
        shown = "not shown" if v is None else fmt(v) + unit
        return f"{name}: {shown}" if label_series_on_bars else shown

    end_w = max((pdfmetrics.stringWidth(text_for(name, v), font, fs) for name, vals in series
                 for v in vals), default=0) + 8
    values = [v for _, vals in series for v in vals if v is not None]
    top_value = max_value if max_value is not None else max(values, default=0)
    step = _nice_step(top_value or 1)
    axis_max = max_value if max_value is not None else step * math.ceil((top_value or 1) / step)
    plot_x = label_w
    plot_w = max(40.0, width - label_w - end_w)

    gap_in, gap_between = 3.0, 12.0
    group_h = n_series * bar_thickness + (n_series - 1) * gap_in
    legend_h = 18.0
    axis_h = 16.0 + (12.0 if axis_label else 0.0)
    plot_h = len(categories) * group_h + max(0, len(categories) - 1) * gap_between + 10
    height = legend_h + plot_h + axis_h
    d = Drawing(width, height, initialFontName=FONT, initialFontSize=9)
    d.hAlign = "LEFT"

    # legend (top)
    lx = 0.0
    ly = height - 12
    for i, (name, _) in enumerate(series):
        for s in _bar_shapes(lx, ly - 1, 14, 10, i):
            d.add(s)
        d.add(String(lx + 18, ly + 1, name, fontName=font, fontSize=fs, fillColor=INK))
        lx += 18 + pdfmetrics.stringWidth(name, font, fs) + 16

    base_y = axis_h
    # grid and axis
    tick = 0.0
    while tick <= axis_max + 1e-9:
        gx = plot_x + plot_w * tick / axis_max
        d.add(Line(gx, base_y, gx, base_y + plot_h, strokeColor=GRID, strokeWidth=0.5))
        d.add(String(gx, base_y - 11, _fmt_tick(tick) + unit, fontName=font, fontSize=8,
                     fillColor=MUTED, textAnchor="middle"))
        tick += _nice_step(axis_max)
    d.add(Line(plot_x, base_y, plot_x, base_y + plot_h, strokeColor=INK, strokeWidth=0.8))
    if axis_label:
        d.add(String(plot_x + plot_w / 2, 2, axis_label, fontName=font, fontSize=8.5,
                     fillColor=MUTED, textAnchor="middle"))

    y = base_y + plot_h - 5
    for ci, cat in enumerate(categories):
        group_top = y
        d.add(String(plot_x - 6, group_top - group_h / 2 - fs / 3, cat, fontName=FONT_BOLD,
                     fontSize=fs, fillColor=INK, textAnchor="end"))
        for si, (name, vals) in enumerate(series):
            v = vals[ci]
            by = group_top - (si + 1) * bar_thickness - si * gap_in
            bw = 0.0 if v is None else plot_w * max(0.0, min(v, axis_max)) / axis_max
            if bw > 0:
                for s in _bar_shapes(plot_x, by, bw, bar_thickness, si):
                    d.add(s)
            d.add(String(plot_x + bw + 4, by + bar_thickness / 2 - fs / 3, text_for(name, v),
                         fontName=font, fontSize=fs, fillColor=INK))
        y -= group_h + gap_between
    return d


@dataclass(frozen=True)
class Band:
    """A horizontal band on a line chart, e.g. an SDQ range ("High", 17 to 19)."""

    low: float
    high: float
    label: str
    colour: object = None  # a reportlab colour; default a light tint by position


_BAND_TINTS = (
    colors.HexColor("#E6F2EC"),
    colors.HexColor("#FDF1D6"),
    colors.HexColor("#FBE3D3"),
    colors.HexColor("#F5D3CC"),
    colors.HexColor("#E9E3F0"),
)
_MARKERS = ("circle", "square", "triangle", "diamond")


def _marker(kind: str, x: float, y: float, colour, size: float = 3.6):
    if kind == "circle":
        return Circle(x, y, size, fillColor=colour, strokeColor=colors.white, strokeWidth=0.8)
    if kind == "square":
        return Rect(x - size, y - size, 2 * size, 2 * size, fillColor=colour,
                    strokeColor=colors.white, strokeWidth=0.8)
    if kind == "triangle":
        return Polygon([x - size * 1.15, y - size, x + size * 1.15, y - size, x, y + size * 1.2],
                       fillColor=colour, strokeColor=colors.white, strokeWidth=0.8)
    return Polygon([x, y - size * 1.3, x + size * 1.3, y, x, y + size * 1.3, x - size * 1.3, y],
                   fillColor=colour, strokeColor=colors.white, strokeWidth=0.8)


def _x_value(x: date | float) -> float:
    return float(x.toordinal()) if isinstance(x, date) else float(x)


def line_chart(
    series: Sequence[tuple[str, Sequence[tuple[date | float, float | None]]]],
    bands: Sequence[Band] | None = None,
    *,
    width: float = CONTENT_WIDTH,
    height: float = 190,
    y_min: float | None = None,
    y_max: float | None = None,
    y_label: str | None = None,
    date_format: Callable[[date], str] | None = None,
    value_format: str | Callable[[float], str] = "{:g}",
    max_x_labels: int = 7,
) -> Drawing:
    """Line chart of scores over time, with optional shaded horizontal bands.

    ``series``: (name, [(x, y), ...]) with x a date (spaced by real time) or a
    number; a y of None is skipped. Every point has a marker (a different shape
    per series) and its value written above it. ``bands`` shade score ranges
    and name them in the right margin, so the band is read from its label, not
    its tint.
    """
    register_fonts()
    fmt = value_format.format if isinstance(value_format, str) else value_format
    datefmt = date_format or (lambda d: d.strftime("%d %b %y").lstrip("0"))
    font, fs = FONT, 8.5
    bands = list(bands or [])
    ys = [p[1] for _, pts in series for p in pts if p[1] is not None]
    lo = y_min if y_min is not None else min([b.low for b in bands] + ys + [0.0])
    hi = y_max if y_max is not None else max([b.high for b in bands] + ys + [1.0])
    if hi <= lo:
        hi = lo + 1
    xs = sorted({_x_value(p[0]) for _, pts in series for p in pts if p[1] is not None})
    x_is_date = any(isinstance(p[0], date) for _, pts in series for p in pts)

    band_label_w = (max(pdfmetrics.stringWidth(b.label, font, fs) for b in bands) + 10) if bands else 6
    left = 34 + (14 if y_label else 0)
    legend_h = 18 if series else 0
    bottom = 22
    plot_x, plot_y = left, bottom
    plot_w = max(60.0, width - left - band_label_w)
    plot_h = max(40.0, height - bottom - legend_h - 8)
    d = Drawing(width, height, initialFontName=FONT, initialFontSize=9)
    d.hAlign = "LEFT"

    def sy(v: float) -> float:
        return plot_y + plot_h * (min(max(v, lo), hi) - lo) / (hi - lo)

    pad = 14.0  # keep end points off the axes
    if len(xs) > 1:
        x0, x1 = xs[0], xs[-1]

        def sx(v: float) -> float:
            return plot_x + pad + (plot_w - 2 * pad) * (v - x0) / (x1 - x0)
    else:
        def sx(v: float) -> float:
            return plot_x + plot_w / 2

    # Bands of whole scores ("14-16", "17-19") meet at the half-way point, so
    # the shading has no gaps between 16 and 17.
    edges: list[tuple[float, float]] = []
    order = sorted(range(len(bands)), key=lambda k: bands[k].low)
    for pos, k in enumerate(order):
        b_lo, b_hi = bands[k].low, bands[k].high
        if pos > 0:
            prev = bands[order[pos - 1]]
            if 0 < b_lo - prev.high <= 1:
                b_lo = (b_lo + prev.high) / 2
        if pos + 1 < len(order):
            nxt = bands[order[pos + 1]]
            if 0 < nxt.low - b_hi <= 1:
                b_hi = (b_hi + nxt.low) / 2
        edges.append((b_lo, b_hi))
    edge_of = dict(zip(order, edges))
    for i, b in enumerate(bands):
        y0, y1 = sy(edge_of[i][0]), sy(edge_of[i][1])
        tint = b.colour if b.colour is not None else _BAND_TINTS[i % len(_BAND_TINTS)]
        d.add(Rect(plot_x, y0, plot_w, y1 - y0, fillColor=tint, strokeColor=None))
        d.add(Line(plot_x, y1, plot_x + plot_w, y1, strokeColor=colors.white, strokeWidth=0.8))
        if y1 - y0 >= fs * 0.8:
            d.add(String(plot_x + plot_w + 5, (y0 + y1) / 2 - fs / 3, b.label, fontName=font,
                         fontSize=fs, fillColor=MUTED))

    step = _nice_step(hi - lo, 5)
    t = math.ceil(lo / step) * step
    while t <= hi + 1e-9:
        d.add(Line(plot_x, sy(t), plot_x + plot_w, sy(t), strokeColor=GRID, strokeWidth=0.4,
                   strokeDashArray=[1, 2]))
        d.add(String(plot_x - 4, sy(t) - 3, _fmt_tick(t), fontName=font, fontSize=8,
                     fillColor=MUTED, textAnchor="end"))
        t += step
    d.add(Line(plot_x, plot_y, plot_x, plot_y + plot_h, strokeColor=INK, strokeWidth=0.8))
    d.add(Line(plot_x, plot_y, plot_x + plot_w, plot_y, strokeColor=INK, strokeWidth=0.8))
    if y_label:
        s = String(0, 0, y_label, fontName=font, fontSize=8.5, fillColor=MUTED, textAnchor="middle")
        from reportlab.graphics.shapes import Group

        g = Group(s)
        g.translate(9, plot_y + plot_h / 2)
        g.rotate(90)
        d.add(g)

    # x labels: every point when few, else evenly thinned
    if xs:
        if len(xs) <= max_x_labels:
            shown = xs
        else:
            idx = sorted({round(k * (len(xs) - 1) / (max_x_labels - 1)) for k in range(max_x_labels)})
            shown = [xs[k] for k in idx]
        for xv in shown:
            text = datefmt(date.fromordinal(int(xv))) if x_is_date else _fmt_tick(xv)
            d.add(Line(sx(xv), plot_y, sx(xv), plot_y - 3, strokeColor=INK, strokeWidth=0.6))
            d.add(String(sx(xv), plot_y - 12, text, fontName=font, fontSize=8, fillColor=MUTED,
                         textAnchor="middle"))

    # legend
    lx = plot_x
    for i, (name, _) in enumerate(series):
        colour = PALETTE[i % len(PALETTE)]
        ly = height - 10
        d.add(Line(lx, ly, lx + 18, ly, strokeColor=colour, strokeWidth=2))
        d.add(_marker(_MARKERS[i % len(_MARKERS)], lx + 9, ly, colour))
        d.add(String(lx + 24, ly - 3, name, fontName=font, fontSize=fs, fillColor=INK))
        lx += 24 + pdfmetrics.stringWidth(name, font, fs) + 18

    for i, (name, pts) in enumerate(series):
        colour = PALETTE[i % len(PALETTE)]
        marker = _MARKERS[i % len(_MARKERS)]
        pts_sorted = sorted(((_x_value(x), y) for x, y in pts if y is not None), key=lambda p: p[0])
        for (xa, ya), (xb, yb) in zip(pts_sorted, pts_sorted[1:]):
            d.add(Line(sx(xa), sy(ya), sx(xb), sy(yb), strokeColor=colour, strokeWidth=2,
                       strokeDashArray=None if i % 2 == 0 else [5, 2]))
        for xv, yv in pts_sorted:
            d.add(_marker(marker, sx(xv), sy(yv), colour))
            d.add(String(sx(xv), sy(yv) + 7, fmt(yv), fontName=FONT_BOLD, fontSize=8.5,
                         fillColor=INK, textAnchor="middle"))
    return d


def figure(drawing: Drawing, caption: str) -> KeepTogether:
    """A chart kept on one page with its caption below it."""
    return KeepTogether([drawing, Spacer(1, 2), para(caption, styles().caption)])
