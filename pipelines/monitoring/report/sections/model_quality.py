"""The model-quality section: metrics against their constraints, metric trends, the worst violations."""

from __future__ import annotations

from pipelines.monitoring.model_quality.statistics import ProblemType
from pipelines.monitoring.report.results import Baselines, Execution
from pipelines.monitoring.report.sections.common import by_severity, points
from pipelines.monitoring.report.views import (
    MetricRow,
    RankedViolation,
    Series,
    SeriesSection,
    Trend,
    TrendLine,
)

# The model-quality metrics always plotted (others only when constrained or violated).
HEADLINE_METRICS = {
    ProblemType.BINARY: (
        "accuracy",
        "precision",
        "recall",
        "f1",
        "auc",
        "false_positive_rate",
        "false_negative_rate",
    ),
    ProblemType.MULTICLASS: (
        "accuracy",
        "weighted_precision",
        "weighted_recall",
        "weighted_f1",
    ),
    ProblemType.REGRESSION: ("mae", "mse", "rmse", "r2"),
}


def build_section(series: Series, baselines: Baselines) -> SeriesSection:
    """The model-quality view of one schedule: metrics with their constraints, worst violations first."""
    notes: tuple[str, ...] = ()
    execution = series.latest_with(lambda e: e.model_quality)
    constraints = baselines.model_quality_constraints
    limits = constraints.constraints if constraints else {}
    violated_anywhere = {v.metric_name for e in series.executions for v in e.violations if v.metric_name}
    rows: list[MetricRow] = []
    problem_type = None
    if execution is not None and execution.model_quality is not None:
        statistics = execution.model_quality
        problem_type = statistics.problem_type
        violated_now = {v.metric_name for v in execution.violations}
        for name, metric in statistics.metrics.items():
            limit = limits.get(name)
            rows.append(
                MetricRow(
                    name=name,
                    value=metric.value,
                    standard_deviation=metric.standard_deviation,
                    threshold=limit.threshold if limit else None,
                    operator=limit.comparison_operator if limit else None,
                    violated=name in violated_now,
                )
            )
    if constraints is None:
        notes += ("no model-quality constraints: thresholds are not shown (give --baseline)",)

    headline = HEADLINE_METRICS[problem_type] if problem_type else ()
    plotted = [n for n in _metric_names(series) if n in headline or n in limits or n in violated_anywhere]
    trends = []
    for name in plotted:
        limit = limits.get(name)

        def value(e: Execution, name: str = name) -> float | None:
            metric = e.model_quality.metrics.get(name) if e.model_quality else None
            return metric.value if metric else None

        trends.append(
            Trend(
                name,
                (TrendLine(name, points(series, value)),),
                threshold=limit.threshold if limit else None,
                threshold_label=f"{limit.comparison_operator.value} {limit.threshold:.4g}" if limit else None,
            )
        )

    latest = series.latest.model_quality
    ranked = []
    for violation in series.latest.violations:
        found = latest.metrics.get(violation.metric_name or "") if latest else None
        limit = limits.get(violation.metric_name or "")
        if found is None or found.value is None:
            ranked.append(RankedViolation(violation))
        elif limit is None:
            ranked.append(RankedViolation(violation, f"value {found.value:.4g}"))
        else:
            gap = abs(found.value - limit.threshold) / max(abs(limit.threshold), 1e-12)
            ranked.append(
                RankedViolation(violation, f"{found.value:.4g} (threshold {limit.threshold:.4g})", gap)
            )
    return SeriesSection(
        series=series,
        baselines=baselines,
        worst=by_severity(ranked),
        statistics_execution=execution,
        trends=tuple(trends),
        metrics=tuple(rows),
        confusion_matrix=execution.model_quality.confusion_matrix
        if execution and execution.model_quality
        else None,
        notes=notes,
    )


def _metric_names(series: Series) -> list[str]:
    """Metric names in the order they first appear across executions."""
    names: dict[str, None] = {}
    for execution in series.executions:
        if execution.model_quality:
            names.update(dict.fromkeys(execution.model_quality.metrics))
    return list(names)
