"""Render a ``Report`` as one self-contained HTML page (inline CSS and SVG; works offline).

The output depends only on the report (no clock, no random ids, sorted orders), so the same results give
the same bytes.
"""

from __future__ import annotations

from collections.abc import Mapping

import jinja2
from markupsafe import Markup

from pipelines.__version__ import __version__
from pipelines.monitoring.report import formatting, svg
from pipelines.monitoring.report.calculations import category_shares
from pipelines.monitoring.report.html_template import FEATURE, TEMPLATE
from pipelines.monitoring.report.results import monitor_heading, stage_heading
from pipelines.monitoring.report.views import AttributionRanking, BiasGroupView, FeatureDrift, Report, Trend

# Categories drawn per feature; the rest are summed into one "(other)" row.
MAX_CATEGORIES = 15
# Bias metrics are differences in [-1, 1] (the axis is capped there); DI is a ratio (fair at 1) and is
# only tabulated. https://docs.aws.amazon.com/sagemaker/latest/dg/clarify-measure-post-training-bias.html
RATIO_METRICS = frozenset({"DI"})
MAX_ATTRIBUTION_BARS = 20


def feature_chart(drift: FeatureDrift) -> Markup:
    """Baseline vs current distribution of one feature: histogram for numbers, bars for categories."""
    if drift.current.buckets:
        baseline = drift.baseline.buckets if drift.baseline else None
        return svg.distribution_chart(drift.name, baseline, drift.current.buckets)
    current = category_shares(drift.current)
    baseline_shares = category_shares(drift.baseline) if drift.baseline else {}
    if not current and not baseline_shares:
        return Markup("")
    ordered = sorted(
        set(current) | set(baseline_shares),
        key=lambda k: (-max(current.get(k, 0.0), baseline_shares.get(k, 0.0)), k),
    )
    shown, rest = ordered[:MAX_CATEGORIES], ordered[MAX_CATEGORIES:]
    rows = [
        svg.BarRow(k, baseline_shares.get(k, 0.0) if drift.baseline else None, current.get(k, 0.0))
        for k in shown
    ]
    if rest:
        rows.append(
            svg.BarRow(
                f"(other {len(rest)})",
                sum(baseline_shares.get(k, 0.0) for k in rest) if drift.baseline else None,
                sum(current.get(k, 0.0) for k in rest),
            )
        )
    return svg.grouped_bars(f"{drift.name}: share of each category, baseline vs current", rows, percent=True)


def bias_chart(group: BiasGroupView) -> Markup:
    rows = [svg.BarRow(r.name, r.baseline, r.value) for r in group.rows if r.name not in RATIO_METRICS]
    if not rows:
        return Markup("")
    title = f"Bias metrics for {group.facet} = {group.value_or_threshold} ({stage_heading(group.stage)})"
    return svg.grouped_bars(title, rows, limit=1.0, label_width=80)


def attribution_chart(ranking: AttributionRanking) -> Markup:
    rows = [
        svg.BarRow(f"#{r.current_rank or '-'} {r.feature}", r.baseline, r.current)
        for r in ranking.rows[:MAX_ATTRIBUTION_BARS]
    ]
    return svg.grouped_bars(f"Global SHAP values, {ranking.label}: baseline vs current", rows)


def trend_chart(trend: Trend) -> Markup:
    """The trend's lines over executions; a note instead of an empty frame when no execution has a value."""
    if not any(svg.plottable(point.value) for line in trend.lines for point in line.points):
        return Markup('<p class="note">No value in any execution (see the table above for why).</p>')
    lines = [
        svg.Line(line.name, tuple(svg.LinePoint(p.when, p.value) for p in line.points))
        for line in trend.lines
    ]
    return svg.line_chart(
        trend.title, lines, threshold=trend.threshold, threshold_label=trend.threshold_label
    )


def _plural(count: int, word: str) -> str:
    return formatting.plural(count, word)


def _confusion_columns(matrix: Mapping[str, Mapping[str, float]]) -> list[str]:
    return sorted({predicted for row in matrix.values() for predicted in row})


def _environment() -> jinja2.Environment:
    environment = jinja2.Environment(
        loader=jinja2.DictLoader({"report": TEMPLATE, "feature": FEATURE}),
        autoescape=True,
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )
    environment.filters.update(
        number=formatting.number,
        percent=formatting.percent,
        hour=formatting.hour,
        span=formatting.span,
        plural=_plural,
        readable=formatting.readable,
        confusion_columns=_confusion_columns,
        heading=monitor_heading,
        stage_heading=stage_heading,
    )
    environment.globals.update(
        feature_chart=feature_chart,
        bias_chart=bias_chart,
        attribution_chart=attribution_chart,
        trend_chart=trend_chart,
        generator=f"pipelines.monitoring report {__version__}",
    )
    return environment


def render_html(report: Report) -> str:
    """The report as one HTML document."""
    return _environment().get_template("report").render(report=report)
