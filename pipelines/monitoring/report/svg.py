"""Small inline-SVG charts for the HTML report.

Why hand-written SVG rather than a plotting library: the report must be one offline file and byte-for-byte
the same for the same inputs. Three chart shapes cover it (overlaid histograms, grouped bars, lines), each
a few dozen lines of SVG; matplotlib would add a large dependency and needs care to make its SVG output
deterministic (it embeds ids, dates and fonts). Every text that comes from a file is escaped here.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from markupsafe import Markup, escape

from pipelines.monitoring.report import formatting
from pipelines.monitoring.report.results import NumericBucket

BASELINE_COLOUR = "#4c72b0"
CURRENT_COLOUR = "#dd8452"
THRESHOLD_COLOUR = "#c44e52"
AXIS_COLOUR = "#888"
# Colour-blind-safe qualitative palette (Okabe-Ito), for lines.
PALETTE = ("#0072b2", "#e69f00", "#009e73", "#cc79a7", "#56b4e9", "#d55e00", "#f0e442", "#000000")
FONT = 11
# Lines with more points than this are drawn without a marker (and hover text) per point: a month of
# hourly executions would otherwise make the page several megabytes of markers a pixel apart.
MAX_MARKERS = 168


def _f(value: float) -> str:
    """Coordinates with one decimal: compact and stable."""
    return f"{value:.1f}"


def _text(
    x: float,
    y: float,
    text: str,
    *,
    anchor: str = "start",
    size: int = FONT,
    fill: str = "#333",
    turn: bool = False,
) -> str:
    rotate = f' transform="rotate(-90 {_f(x)} {_f(y)})"' if turn else ""
    return (
        f'<text x="{_f(x)}" y="{_f(y)}" font-size="{size}" text-anchor="{anchor}" fill="{fill}"{rotate}>'
        f"{escape(text)}</text>"
    )


def _rect(x: float, y: float, width: float, height: float, style: str, tip: str) -> str:
    """A rectangle with a hover text (``style``: its fill/stroke attributes)."""
    return (
        f'<rect x="{_f(x)}" y="{_f(y)}" width="{_f(width)}" height="{_f(height)}" {style}>'
        f"<title>{escape(tip)}</title></rect>"
    )


def _line(x1: float, x2: float, y1: float, y2: float, stroke: str, extra: str = "") -> str:
    return f'<line x1="{_f(x1)}" x2="{_f(x2)}" y1="{_f(y1)}" y2="{_f(y2)}" stroke="{stroke}"{extra}/>'


def _svg(width: float, height: float, label: str, body: Sequence[str]) -> Markup:
    return Markup(
        f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {_f(width)} {_f(height)}" '
        f'width="{_f(width)}" height="{_f(height)}" role="img" aria-label="{escape(label)}" '
        f'font-family="sans-serif"><title>{escape(label)}</title>{"".join(body)}</svg>'
    )


def _shorten(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"


def nice_ticks(low: float, high: float, count: int = 5) -> list[float]:
    """Round tick values covering [low, high] (1, 2, 5 times a power of ten apart)."""
    if not (math.isfinite(low) and math.isfinite(high)) or high <= low:
        return [low]
    raw = (high - low) / max(count - 1, 1)
    magnitude = 10 ** math.floor(math.log10(raw))
    step = next(m * magnitude for m in (1, 2, 2.5, 5, 10) if m * magnitude >= raw)
    first = math.ceil(low / step - 1e-9) * step
    ticks = []
    value = first
    while value <= high + step * 1e-9:
        ticks.append(0.0 if abs(value) < step * 1e-9 else round(value, 12))
        value += step
    return ticks


@dataclass(frozen=True, slots=True)
class _Axis:
    """A linear map from data values [low, high] to pixels [start, end]."""

    low: float
    high: float
    start: float
    end: float

    def __call__(self, value: float) -> float:
        if self.high == self.low:
            return (self.start + self.end) / 2
        return self.start + (value - self.low) / (self.high - self.low) * (self.end - self.start)


def _padded(low: float, high: float) -> tuple[float, float]:
    if high == low:
        pad = abs(low) * 0.1 or 0.5
        return low - pad, high + pad
    pad = (high - low) * 0.05
    return low - pad, high + pad


def _legend(items: Sequence[tuple[str, str]], x: float, y: float, width: float) -> tuple[list[str], float]:
    """Colour swatches with labels, wrapped to ``width``; returns the SVG and the height used."""
    body: list[str] = []
    cx, cy = x, y
    for label, colour in items:
        text = _shorten(label, 40)
        item_width = 18 + len(text) * FONT * 0.6 + 14
        if cx + item_width > x + width and cx > x:
            cx, cy = x, cy + 16
        body.append(f'<rect x="{_f(cx)}" y="{_f(cy - 9)}" width="12" height="10" fill="{colour}"/>')
        body.append(_text(cx + 16, cy, text))
        cx += item_width
    return body, cy - y + 16


def _finite_bucket(bucket: NumericBucket) -> bool:
    return all(math.isfinite(v) for v in (bucket.lower, bucket.upper, bucket.count)) and bucket.count >= 0


# -- overlaid distributions ---------------------------------------------------------------------------------
def distribution_chart(
    title: str,
    baseline: Sequence[NumericBucket] | None,
    current: Sequence[NumericBucket],
    *,
    width: float = 560,
    height: float = 220,
) -> Markup:
    """Baseline (filled) and current (outlined) histograms on one x axis, as densities.

    The two files' buckets have different bounds (each spans its own min..max), so heights are
    share / bucket width: equal areas mean equal shares.
    """
    series = [
        (name, [b for b in buckets if _finite_bucket(b)], colour)
        for name, buckets, colour in (
            ("baseline", baseline, BASELINE_COLOUR),
            ("current", current, CURRENT_COLOUR),
        )
        if buckets and any(_finite_bucket(b) for b in buckets)
    ]
    edges = [e for _, buckets, _ in series for b in buckets for e in (b.lower, b.upper)]
    low, high = (min(edges), max(edges)) if edges else (0.0, 1.0)
    if high == low:
        low, high = _padded(low, high)
    spike = (high - low) / 100  # drawn width of a zero-width bucket (a constant feature)
    shapes: list[tuple[str, str, list[tuple[float, float, float, float]]]] = []
    top = 0.0
    for name, buckets, colour in series:
        total = sum(b.count for b in buckets) or 1.0
        rects = []
        for b in buckets:
            span = b.upper - b.lower
            lower, drawn = (b.lower, span) if span > 0 else (b.lower - spike / 2, spike)
            density = b.count / total / drawn
            rects.append((lower, drawn, density, b.count / total))
            top = max(top, density)
        shapes.append((name, colour, rects))
    left, right, upper, bottom = 56.0, width - 12, 30.0, height - 30
    x = _Axis(low, high, left, right)
    y = _Axis(0.0, top * 1.05 or 1.0, bottom, upper)
    body: list[str] = []
    for tick in nice_ticks(y.low, y.high, 4):
        body.append(_line(left, right, y(tick), y(tick), "#eee"))
        body.append(_text(left - 4, y(tick) + 4, formatting.number(tick, 3), anchor="end"))
    for (name, colour, rects), buckets in zip(shapes, [b for _, b, _ in series], strict=True):
        filled = name == "baseline"
        for (lower, drawn, density, share), bucket in zip(rects, buckets, strict=True):
            style = (
                f'fill="{colour}" fill-opacity="0.45" stroke="none"'
                if filled
                else f'fill="none" stroke="{colour}" stroke-width="2"'
            )
            tip = (
                f"{name}: [{formatting.number(bucket.lower)}, {formatting.number(bucket.upper)}] "
                f"{formatting.number(bucket.count)} values ({share:.1%})"
            )
            drawn_width = max(x(lower + drawn) - x(lower), 1)
            body.append(_rect(x(lower), y(density), drawn_width, y(0) - y(density), style, tip))
    body.append(_line(left, right, bottom, bottom, AXIS_COLOUR))
    for tick in nice_ticks(low, high, 6):
        body.append(_line(x(tick), x(tick), bottom, bottom + 4, AXIS_COLOUR))
        body.append(_text(x(tick), bottom + 16, formatting.number(tick, 4), anchor="middle"))
    body.append(_text(12, (upper + bottom) / 2, "density", anchor="middle", fill="#666", turn=True))
    legend = [
        (f"{name} (n={formatting.number(sum(b.count for b in buckets), 6)})", colour)
        for name, buckets, colour in series
    ]
    legend_svg, _ = _legend(legend, left, 16, right - left)
    return _svg(width, height, f"{title}: distribution, baseline vs current", body + legend_svg)


# -- grouped horizontal bars --------------------------------------------------------------------------------
@dataclass(frozen=True, slots=True)
class BarRow:
    label: str
    baseline: float | None
    current: float | None


def grouped_bars(
    title: str,
    rows: Sequence[BarRow],
    *,
    percent: bool = False,
    limit: float | None = None,
    width: float = 560,
    label_width: float = 170,
) -> Markup:
    """One row per item, baseline bar above current bar, from zero (negative values go left).

    ``limit`` caps the axis at [-limit, limit]; longer bars are clipped and marked with an arrow, and the
    exact value is always printed next to the bar.
    """
    values = [v for r in rows for v in (r.baseline, r.current) if v is not None and math.isfinite(v)]
    low, high = min([0.0, *values]), max([0.0, *values])
    if limit is not None:
        low, high = max(low, -limit), min(high, limit)
    if high == low:
        high = low + 1
    # Room for the value printed at the end of the longest bars.
    span = high - low
    low, high = (low - span * 0.12 if low < 0 else low), (high + span * 0.12 if high > 0 else high)
    left, right = label_width, width - 64
    axis = _Axis(low, high, left, right)
    row_height, bar = 24.0, 9.0
    top = 28.0
    height = top + row_height * len(rows) + 24
    body: list[str] = []
    zero = axis(0.0)
    for index, row in enumerate(rows):
        y0 = top + index * row_height
        body.append(_text(left - 6, y0 + bar + 4, _shorten(row.label, int(label_width / 6.5)), anchor="end"))
        for offset, value, colour, name in (
            (0.0, row.baseline, BASELINE_COLOUR, "baseline"),
            (bar + 1, row.current, CURRENT_COLOUR, "current"),
        ):
            if value is None:
                continue
            shown = min(max(value, low), high)
            x0, x1 = sorted((zero, axis(shown)))
            text = formatting.percent(value) if percent else formatting.number(value)
            body.append(
                _rect(
                    x0,
                    y0 + offset,
                    max(x1 - x0, 0.5),
                    bar,
                    f'fill="{colour}"',
                    f"{row.label}, {name}: {text}",
                )
            )
            clipped = "›" if value > high else "‹" if value < low else ""
            anchor_x = x1 + 3 if value >= 0 else x0 - 3
            body.append(
                _text(
                    anchor_x,
                    y0 + offset + bar - 1,
                    f"{clipped}{text}",
                    anchor="start" if value >= 0 else "end",
                    size=9,
                )
            )
    body.append(_line(zero, zero, top - 4, height - 20, AXIS_COLOUR))
    for tick in nice_ticks(low, high, 5):
        label = formatting.percent(tick) if percent else formatting.number(tick, 3)
        body.append(_text(axis(tick), height - 6, label, anchor="middle", size=9, fill="#666"))
    legend_svg, _ = _legend(
        (("baseline", BASELINE_COLOUR), ("current", CURRENT_COLOUR)), left, 14, right - left
    )
    return _svg(width, height, title, body + legend_svg)


# -- lines over executions ----------------------------------------------------------------------------------
@dataclass(frozen=True, slots=True)
class LinePoint:
    when: datetime | None
    value: float | None


@dataclass(frozen=True, slots=True)
class Line:
    name: str
    points: tuple[LinePoint, ...]


def line_chart(
    title: str,
    lines: Sequence[Line],
    *,
    threshold: float | None = None,
    threshold_label: str | None = None,
    width: float = 320,
    height: float = 190,
) -> Markup:
    """Values over executions; x is time when every execution has one, else the execution's position."""
    points = lines[0].points if lines else ()
    timed = bool(points) and all(p.when is not None for p in points)

    def position(index: int, point: LinePoint) -> float:
        return point.when.timestamp() if timed and point.when is not None else float(index)

    xs = [position(i, p) for i, p in enumerate(points)]
    values = [p.value for line in lines for p in line.points if p.value is not None and plottable(p.value)]
    if threshold is not None:
        values.append(threshold)
    low, high = _padded(min(values), max(values)) if values else (0.0, 1.0)
    legend_items = (
        [(line.name, PALETTE[i % len(PALETTE)]) for i, line in enumerate(lines)] if len(lines) > 1 else []
    )
    legend_svg, legend_height = (
        _legend(legend_items, 8, height + 12, width - 16) if legend_items else ([], 0.0)
    )
    # Margins leave room for the time labels centred under the first and last points.
    left, right, top, bottom = 48.0, width - 30, 12.0, height - 30
    x = _Axis(min(xs), max(xs), left, right) if xs else _Axis(0, 1, left, right)
    y = _Axis(low, high, bottom, top)
    body: list[str] = []
    for tick in nice_ticks(low, high, 4):
        body.append(_line(left, right, y(tick), y(tick), "#eee"))
        body.append(_text(left - 4, y(tick) + 4, formatting.number(tick, 3), anchor="end", size=9))
    if threshold is not None:
        body.append(
            _line(left, right, y(threshold), y(threshold), THRESHOLD_COLOUR, ' stroke-dasharray="4 3"')
        )
        body.append(
            _text(
                right,
                y(threshold) - 3,
                threshold_label or "threshold",
                anchor="end",
                size=9,
                fill=THRESHOLD_COLOUR,
            )
        )
    for index, line in enumerate(lines):
        colour = PALETTE[index % len(PALETTE)]
        path: list[str] = []
        for i, point in enumerate(line.points):
            if point.value is None or not plottable(point.value):
                if path:
                    body.append(_path(path, colour))
                path = []
                continue
            px, py = x(position(i, point)), y(point.value)
            path.append(f"{_f(px)},{_f(py)}")
            if len(line.points) <= MAX_MARKERS:
                tip = f"{line.name}, {formatting.hour(point.when)}: {formatting.number(point.value)}"
                circle = f'<circle cx="{_f(px)}" cy="{_f(py)}" r="2.5" fill="{colour}">'
                body.append(f"{circle}<title>{escape(tip)}</title></circle>")
        if path:
            body.append(_path(path, colour))
    body.append(_line(left, right, bottom, bottom, AXIS_COLOUR))
    for i in _label_indices(len(points), 4):
        label = formatting.short_hour(points[i].when) if points[i].when else f"#{i + 1}"
        body.append(_text(x(xs[i]), bottom + 14, label, anchor="middle", size=9, fill="#666"))
    return _svg(width, height + legend_height + (8 if legend_items else 0), title, body + legend_svg)


def plottable(value: float | None) -> bool:
    """Clarify writes -inf/inf for some undefined metrics: those stay in the tables, not on the axes."""
    return value is not None and math.isfinite(value)


def _path(points: list[str], colour: str) -> str:
    if len(points) == 1:
        return ""
    return f'<polyline points="{" ".join(points)}" fill="none" stroke="{colour}" stroke-width="1.5"/>'


def _label_indices(count: int, wanted: int) -> list[int]:
    """Up to ``wanted`` evenly spread indices, always the first and the last."""
    if count <= wanted:
        return list(range(count))
    step = (count - 1) / (wanted - 1)
    return sorted({round(i * step) for i in range(wanted)})
