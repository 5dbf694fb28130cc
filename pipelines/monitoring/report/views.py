"""What the renderers show, derived from parsed executions and baselines (no I/O, no formatting).

``build_section`` turns one schedule's executions and its baselines into a ``SeriesSection``: the worst
offenders of the latest execution, the drifting features with both distributions, metric trends across
executions, bias metrics per facet and attribution ranks. Renderers read these objects and nothing else.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime

from pipelines.monitoring.bias.metrics import Stage
from pipelines.monitoring.data_quality.types import CheckType
from pipelines.monitoring.explainability.drift import NDCG_THRESHOLD
from pipelines.monitoring.model_quality.constraints import ComparisonOperator
from pipelines.monitoring.model_quality.statistics import ProblemType
from pipelines.monitoring.report.calculations import (
    bucket_distance,
    feature_distance,
    monitor_distance,
    ndcg,
    ranks,
    stated_drift_distance,
)
from pipelines.monitoring.report.results import (
    Baselines,
    BiasAnalysis,
    Execution,
    ExecutionStatus,
    FacetGroup,
    FeatureStatistics,
    LabelAttributions,
    MonitorType,
    Problem,
    Violation,
    facet_key,
    facet_value_key,
    stage_heading,
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
DRIFT_CHECK = CheckType.BASELINE_DRIFT
# The attribution trend follows the current top features only (one line each).
MAX_TOP_ATTRIBUTION_LINES = 5


@dataclass(frozen=True, slots=True)
class Series:
    """The executions of one schedule, oldest first."""

    endpoint: str
    schedule: str
    monitor: MonitorType
    executions: tuple[Execution, ...]

    @property
    def latest(self) -> Execution:
        return self.executions[-1]

    def latest_with(self, has: Callable[[Execution], object]) -> Execution | None:
        """The newest execution for which ``has`` is truthy (e.g. that holds statistics)."""
        return next((e for e in reversed(self.executions) if has(e)), None)

    @property
    def with_violations(self) -> int:
        return sum(1 for e in self.executions if e.violations)


@dataclass(frozen=True, slots=True)
class RankedViolation:
    """A violation with the figure that measures it, when the files allow one (``severity`` orders them)."""

    violation: Violation
    evidence: str | None = None
    severity: float | None = None


@dataclass(frozen=True, slots=True)
class FeatureDrift:
    name: str
    current: FeatureStatistics
    baseline: FeatureStatistics | None
    distance: float | None
    checks: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class TrendPoint:
    when: datetime | None
    value: float | None
    execution: str


@dataclass(frozen=True, slots=True)
class TrendLine:
    name: str
    points: tuple[TrendPoint, ...]


@dataclass(frozen=True, slots=True)
class Trend:
    title: str
    lines: tuple[TrendLine, ...]
    threshold: float | None = None
    threshold_label: str | None = None


@dataclass(frozen=True, slots=True)
class MetricRow:
    name: str
    value: float | None
    standard_deviation: float | None
    threshold: float | None = None
    operator: ComparisonOperator | None = None
    violated: bool = False


@dataclass(frozen=True, slots=True)
class BiasRow:
    name: str
    description: str
    value: float | None
    baseline: float | None
    violated: bool = False
    error: str | None = None


@dataclass(frozen=True, slots=True)
class BiasGroupView:
    stage: Stage
    facet: str
    value_or_threshold: str
    rows: tuple[BiasRow, ...]


@dataclass(frozen=True, slots=True)
class AttributionRow:
    feature: str
    current_rank: int | None
    current: float | None
    baseline_rank: int | None
    baseline: float | None


@dataclass(frozen=True, slots=True)
class AttributionRanking:
    method: str
    label: str
    rows: tuple[AttributionRow, ...]
    ndcg: float | None
    threshold: float = NDCG_THRESHOLD


@dataclass(frozen=True, slots=True)
class SeriesSection:
    series: Series
    baselines: Baselines
    worst: tuple[RankedViolation, ...] = ()
    drifting: tuple[FeatureDrift, ...] = ()
    other_features: tuple[FeatureDrift, ...] = ()
    statistics_execution: Execution | None = None
    trends: tuple[Trend, ...] = ()
    metrics: tuple[MetricRow, ...] = ()
    confusion_matrix: dict[str, dict[str, float]] | None = None
    bias: tuple[BiasGroupView, ...] = ()
    attributions: tuple[AttributionRanking, ...] = ()
    notes: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class ViolationRow:
    execution: Execution
    violation: Violation


@dataclass(frozen=True, slots=True)
class Report:
    """Everything the renderers show. ``problems`` are files that could not be used (never dropped)."""

    source: str
    sections: tuple[SeriesSection, ...]
    problems: tuple[Problem, ...] = ()
    skipped_folders: tuple[str, ...] = ()
    baseline_locations: tuple[str, ...] = field(default=())

    @property
    def executions(self) -> int:
        return sum(len(s.series.executions) for s in self.sections)

    @property
    def endpoints(self) -> tuple[str, ...]:
        return tuple(sorted({s.series.endpoint for s in self.sections}))

    @property
    def span(self) -> tuple[datetime, datetime] | None:
        times = [e.when for s in self.sections for e in s.series.executions if e.when is not None]
        return (min(times), max(times)) if times else None

    @property
    def violation_rows(self) -> tuple[ViolationRow, ...]:
        """Every violation of every execution, newest execution first."""
        rows = [
            ViolationRow(execution, violation)
            for section in self.sections
            for execution in section.series.executions
            for violation in execution.violations
        ]
        rows.sort(key=lambda r: (_sort_time(r.execution), r.execution.location), reverse=True)
        return tuple(rows)

    @property
    def has_violations(self) -> bool:
        """Whether the latest execution of any schedule has violations (what a CI gate asks)."""
        return any(
            s.series.latest.status is ExecutionStatus.COMPLETED_WITH_VIOLATIONS or s.series.latest.violations
            for s in self.sections
        )


def _sort_time(execution: Execution) -> float:
    return execution.when.timestamp() if execution.when else float("-inf")


# -- building ------------------------------------------------------------------------------------------------
def build_section(series: Series, baselines: Baselines) -> SeriesSection:
    """The views for one schedule, by monitor type."""
    builder = {
        MonitorType.DATA_QUALITY: _data_quality_section,
        MonitorType.MODEL_QUALITY: _model_quality_section,
        MonitorType.MODEL_BIAS: _bias_section,
        MonitorType.MODEL_EXPLAINABILITY: _explainability_section,
    }.get(series.monitor, _violations_section)
    return builder(series, baselines, ())


def _violations_section(series: Series, baselines: Baselines, notes: tuple[str, ...]) -> SeriesSection:
    """A monitor the report has no views of its own for: its violations, and their count over time."""
    count = TrendLine("violations", _points(series, lambda e: float(len(e.violations)) if _ran(e) else None))
    return SeriesSection(
        series,
        baselines,
        worst=tuple(RankedViolation(v) for v in series.latest.violations),
        trends=(Trend("Violations per execution", (count,)),),
        notes=notes,
    )


def _by_severity(ranked: list[RankedViolation]) -> tuple[RankedViolation, ...]:
    """Measured violations first, largest first; the rest in file order (the sort is stable)."""
    return tuple(sorted(ranked, key=lambda r: (r.severity is None, -(r.severity or 0.0))))


def _points(series: Series, value: Callable[[Execution], float | None]) -> tuple[TrendPoint, ...]:
    return tuple(TrendPoint(e.when, value(e), e.location) for e in series.executions)


def _ran(execution: Execution) -> bool:
    return execution.status not in (ExecutionStatus.FAILED, ExecutionStatus.SKIPPED)


# -- data quality -------------------------------------------------------------------------------------------
def _data_quality_section(series: Series, baselines: Baselines, notes: tuple[str, ...]) -> SeriesSection:
    execution = series.latest_with(lambda e: e.data_quality)
    baseline_stats = baselines.data_quality_statistics
    drifting: list[FeatureDrift] = []
    others: list[FeatureDrift] = []
    if execution is not None and execution.data_quality is not None:
        checks: dict[str, list[str]] = {}
        stated: dict[str, float] = {}
        for violation in execution.violations:
            if violation.feature_name is not None:
                checks.setdefault(violation.feature_name, []).append(violation.check_type)
                distance = _stated_distance(violation)
                if distance is not None:
                    stated[violation.feature_name] = distance
        estimated = []
        for feature in execution.data_quality.features:
            base = baseline_stats.feature(feature.name) if baseline_stats else None
            distance = stated.get(feature.name)
            if distance is None:
                distance = monitor_distance(base, feature)
            if distance is None:
                distance = bucket_distance(base, feature)
                if distance is not None:
                    estimated.append(feature.name)
            drift = FeatureDrift(feature.name, feature, base, distance, tuple(checks.get(feature.name, ())))
            (drifting if DRIFT_CHECK in drift.checks else others).append(drift)
        drifting.sort(key=_by_distance)
        others.sort(key=_by_distance)
        if estimated:
            notes += (
                f"distances of {', '.join(sorted(estimated))} are estimated from the files' 10 histogram "
                "buckets (no KLL sketch or category counts the monitor can read); the monitor's can differ",
            )
    elif series.executions:
        notes += ("no readable statistics.json in any execution: no distributions to show",)
    if baseline_stats is None:
        notes += ("no baseline statistics: distributions are shown without a baseline (give --baseline)",)

    latest_stats = series.latest.data_quality
    ranked = []
    for violation in series.latest.violations:
        current = latest_stats.feature(violation.feature_name or "") if latest_stats else None
        base = baseline_stats.feature(violation.feature_name or "") if baseline_stats else None
        ranked.append(_rank_data_quality(violation, current, base))

    check_types = sorted({v.check_type for e in series.executions for v in e.violations})
    lines = [
        TrendLine("all checks", _points(series, lambda e: float(len(e.violations)) if _ran(e) else None))
    ]
    lines += [TrendLine(check, _points(series, _violations_of(check))) for check in check_types]
    return SeriesSection(
        series=series,
        baselines=baselines,
        worst=_by_severity(ranked),
        drifting=tuple(drifting),
        other_features=tuple(others),
        statistics_execution=execution,
        trends=(Trend("Violations per execution", tuple(lines)),),
        notes=notes,
    )


def _violations_of(check: str) -> Callable[[Execution], float | None]:
    """How many violations of ``check`` an execution has (None when it did not run)."""

    def count(execution: Execution) -> float | None:
        return float(sum(v.check_type == check for v in execution.violations)) if _ran(execution) else None

    return count


def _stated_distance(violation: Violation) -> float | None:
    """What the execution measured, as its ``baseline_drift_check`` violation states it."""
    return stated_drift_distance(violation.description) if violation.check_type == DRIFT_CHECK else None


def _by_distance(drift: FeatureDrift) -> tuple[bool, float, str]:
    """Largest distance first; features without one last, by name."""
    return (drift.distance is None, -(drift.distance or 0.0), drift.name)


def _rank_data_quality(
    violation: Violation, current: FeatureStatistics | None, baseline: FeatureStatistics | None
) -> RankedViolation:
    if current is None:
        return RankedViolation(violation)
    if violation.check_type == DRIFT_CHECK:
        distance = _stated_distance(violation)
        if distance is None:
            distance = feature_distance(baseline, current)
        if distance is not None:
            return RankedViolation(violation, f"distance {distance:.3g}", distance)
    if violation.check_type == CheckType.COMPLETENESS and current.completeness is not None:
        base = baseline.completeness if baseline else None
        drop = (base - current.completeness) if base is not None else None
        evidence = f"complete {current.completeness:.1%}" + (f" (baseline {base:.1%})" if base else "")
        return RankedViolation(violation, evidence, drop)
    return RankedViolation(violation)


# -- model quality ------------------------------------------------------------------------------------------
def _model_quality_section(series: Series, baselines: Baselines, notes: tuple[str, ...]) -> SeriesSection:
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
                (TrendLine(name, _points(series, value)),),
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
        worst=_by_severity(ranked),
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


# -- bias ---------------------------------------------------------------------------------------------------
def _bias_section(series: Series, baselines: Baselines, notes: tuple[str, ...]) -> SeriesSection:
    execution = series.latest_with(lambda e: e.bias)
    baseline = baselines.bias
    groups: list[BiasGroupView] = []
    if execution is not None and execution.bias is not None:
        # Violations name no stage; the facet value is matched like the bias drift check matches it.
        violated = {
            (*facet_value_key(v.facet or "", v.facet_value or ""), v.metric_name)
            for v in execution.violations
        }
        for group in execution.bias.groups:
            base_group = baseline.group(group.key) if baseline else None
            rows = []
            for metric in group.metrics:
                base_metric = base_group.metric(metric.name) if base_group else None
                rows.append(
                    BiasRow(
                        name=metric.name,
                        description=metric.description,
                        value=metric.value,
                        baseline=base_metric.value if base_metric else None,
                        error=metric.error,
                        violated=(*facet_value_key(group.facet, group.value_or_threshold), metric.name)
                        in violated,
                    )
                )
            groups.append(BiasGroupView(group.stage, group.facet, group.value_or_threshold, tuple(rows)))
    if baseline is None:
        notes += ("no bias baseline: baseline values are not shown (give --baseline)",)

    keys: dict[tuple[str, str, str], FacetGroup] = {}
    for e in series.executions:
        for group in e.bias.groups if e.bias else ():
            keys.setdefault(group.key, group)
    stages = {key[0] for key in keys}
    metric_names: dict[str, None] = {}
    for group in keys.values():
        metric_names.update(dict.fromkeys(m.name for m in group.metrics))
    trends = []
    for name in metric_names:
        lines = []
        for key, group in keys.items():
            if group.metric(name) is None:
                continue
            stage_note = f" ({stage_heading(group.stage)})" if len(stages) > 1 else ""

            def value(e: Execution, key: tuple[str, str, str] = key, name: str = name) -> float | None:
                found = e.bias.group(key) if e.bias else None
                metric = found.metric(name) if found else None
                return metric.value if metric else None

            lines.append(
                TrendLine(f"{group.facet}={group.value_or_threshold}{stage_note}", _points(series, value))
            )
        trends.append(Trend(name, tuple(lines)))

    latest = series.latest.bias
    ranked = [_rank_bias(v, latest, baseline) for v in series.latest.violations]
    return SeriesSection(
        series=series,
        baselines=baselines,
        worst=_by_severity(ranked),
        statistics_execution=execution,
        trends=tuple(trends),
        bias=tuple(groups),
        notes=notes,
    )


def _rank_bias(
    violation: Violation, latest: BiasAnalysis | None, baseline: BiasAnalysis | None
) -> RankedViolation:
    def find(analysis: BiasAnalysis | None) -> float | None:
        # The bias drift monitor computes post-training metrics; a pre-training one is the fallback.
        for stage in (Stage.POST_TRAINING, Stage.PRE_TRAINING):
            key = facet_key(stage, violation.facet or "", violation.facet_value or "")
            group = analysis.group(key) if analysis else None
            metric = group.metric(violation.metric_name or "") if group else None
            if metric is not None:
                return metric.value
        return None

    value = find(latest)
    if value is None:
        return RankedViolation(violation)
    base = find(baseline)
    evidence = f"value {value:.3g}" + (f" (baseline {base:.3g})" if base is not None else "")
    return RankedViolation(violation, evidence, _imbalance(violation.metric_name, value))


def _imbalance(metric: str | None, value: float) -> float:
    """How far a bias metric is from balance, as the bias drift check measures it (``bias.drift``):
    ``|value|`` for differences, ``|log DI|`` for the disparate-impact ratio (balanced at 1)."""
    if metric == "DI":
        return abs(math.log(value)) if value > 0 else math.inf
    return abs(value)


# -- explainability -----------------------------------------------------------------------------------------
def _explainability_section(series: Series, baselines: Baselines, notes: tuple[str, ...]) -> SeriesSection:
    execution = series.latest_with(lambda e: e.explainability)
    baseline = baselines.explainability
    rankings: list[AttributionRanking] = []
    if execution is not None and execution.explainability is not None:
        for attributions in execution.explainability.labels:
            base = baseline.label(attributions.method, attributions.label) if baseline else None
            rankings.append(_ranking(attributions, base))
    if baseline is None:
        notes += ("no explainability baseline: ranks and nDCG need one (give --baseline)",)

    labels: dict[tuple[str, str], None] = {}
    for e in series.executions:
        labels.update(
            dict.fromkeys((a.method, a.label) for a in (e.explainability.labels if e.explainability else ()))
        )
    trends = []
    if baseline is not None:
        lines = []
        for method, label in labels:
            base = baseline.label(method, label)
            if base is None:
                continue

            def ndcg_of(
                e: Execution, method: str = method, label: str = label, base: LabelAttributions = base
            ) -> float | None:
                current = e.explainability.label(method, label) if e.explainability else None
                return ndcg(base.global_shap_values, current.global_shap_values) if current else None

            lines.append(TrendLine(f"{label} ({method})", _points(series, ndcg_of)))
        if lines:
            trends.append(
                Trend(
                    "nDCG against the baseline",
                    tuple(lines),
                    NDCG_THRESHOLD,
                    f"Clarify threshold {NDCG_THRESHOLD}",
                )
            )
    for ranking in rankings:
        top = [row.feature for row in ranking.rows[:MAX_TOP_ATTRIBUTION_LINES]]
        trends.append(
            Trend(
                f"Global SHAP of the top features, {ranking.label}",
                tuple(TrendLine(f, _points(series, _attribution_of(ranking, f))) for f in top),
            )
        )

    latest = series.latest.explainability
    ranked = []
    for violation in series.latest.violations:
        current = next((a for a in latest.labels if a.label == violation.label), None) if latest else None
        base = baseline.label(current.method, current.label) if baseline and current else None
        score = ndcg(base.global_shap_values, current.global_shap_values) if base and current else None
        if score is None:
            ranked.append(RankedViolation(violation))
        else:
            ranked.append(
                RankedViolation(violation, f"nDCG {score:.3f} (threshold {NDCG_THRESHOLD})", 1 - score)
            )
    return SeriesSection(
        series=series,
        baselines=baselines,
        worst=_by_severity(ranked),
        statistics_execution=execution,
        trends=tuple(trends),
        attributions=tuple(rankings),
        notes=notes,
    )


def _attribution_of(ranking: AttributionRanking, feature: str) -> Callable[[Execution], float | None]:
    def attribution(execution: Execution) -> float | None:
        analysis = execution.explainability
        current = analysis.label(ranking.method, ranking.label) if analysis else None
        return current.global_shap_values.get(feature) if current else None

    return attribution


def _ranking(current: LabelAttributions, baseline: LabelAttributions | None) -> AttributionRanking:
    current_ranks = ranks(current.global_shap_values)
    base_values = baseline.global_shap_values if baseline else {}
    base_ranks = ranks(base_values)
    features = sorted(
        set(current_ranks) | set(base_ranks),
        key=lambda f: (current_ranks.get(f, len(current_ranks) + base_ranks.get(f, 0)), f),
    )
    rows = tuple(
        AttributionRow(
            feature=f,
            current_rank=current_ranks.get(f),
            current=current.global_shap_values.get(f),
            baseline_rank=base_ranks.get(f),
            baseline=base_values.get(f),
        )
        for f in features
    )
    score = ndcg(base_values, current.global_shap_values) if baseline else None
    return AttributionRanking(current.method, current.label, rows, score)
