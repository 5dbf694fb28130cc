"""The data-quality section: drifting features with both distributions, the worst violations, trends."""

from __future__ import annotations

from collections.abc import Callable

from pipelines.monitoring.data_quality.types import CheckType
from pipelines.monitoring.report.calculations import (
    bucket_distance,
    feature_distance,
    monitor_distance,
    stated_drift_distance,
)
from pipelines.monitoring.report.results import Baselines, Execution, FeatureStatistics, Violation
from pipelines.monitoring.report.sections.common import by_severity, points, ran
from pipelines.monitoring.report.views import (
    FeatureDrift,
    RankedViolation,
    Series,
    SeriesSection,
    Trend,
    TrendLine,
)

DRIFT_CHECK = CheckType.BASELINE_DRIFT


def build_section(series: Series, baselines: Baselines) -> SeriesSection:
    """The data-quality view of one schedule: features by drift distance, worst violations first."""
    notes: tuple[str, ...] = ()
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
        off = baselines.data_quality_comparison_off or {}
        for feature in execution.data_quality.features:
            base = baseline_stats.feature(feature.name) if baseline_stats else None
            distance = stated.get(feature.name)
            if distance is None:
                distance = monitor_distance(base, feature)
            if distance is None:
                distance = bucket_distance(base, feature)
                if distance is not None:
                    estimated.append(feature.name)
            drift = FeatureDrift(
                feature.name,
                feature,
                base,
                distance,
                tuple(checks.get(feature.name, ())),
                comparison_off=off.get(feature.name),
            )
            # Every feature with a violation of any check is listed first, not only drifted ones.
            (drifting if drift.checks else others).append(drift)
        shown = {feature.name for feature in execution.data_quality.features}
        for name, found in checks.items():  # baseline features the current data lacks
            if name not in shown:
                base = baseline_stats.feature(name) if baseline_stats else None
                placeholder = FeatureStatistics(name, base.inferred_type if base else "Unknown")
                drifting.append(FeatureDrift(name, placeholder, base, None, tuple(found), absent=True))
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
    lines = [TrendLine("all checks", points(series, lambda e: float(len(e.violations)) if ran(e) else None))]
    lines += [TrendLine(check, points(series, _violations_of(check))) for check in check_types]
    return SeriesSection(
        series=series,
        baselines=baselines,
        worst=by_severity(ranked),
        drifting=tuple(drifting),
        other_features=tuple(others),
        statistics_execution=execution,
        trends=(Trend("Violations per execution", tuple(lines)),),
        notes=notes,
    )


def _violations_of(check: str) -> Callable[[Execution], float | None]:
    """How many violations of ``check`` an execution has (None when it did not run)."""

    def count(execution: Execution) -> float | None:
        return float(sum(v.check_type == check for v in execution.violations)) if ran(execution) else None

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
