"""The bias section: bias metrics per facet against the baseline, metric trends, the worst violations."""

from __future__ import annotations

import math

from pipelines.monitoring.bias.metrics import Stage
from pipelines.monitoring.report.results import (
    Baselines,
    BiasAnalysis,
    Execution,
    FacetGroup,
    Violation,
    facet_key,
    facet_value_key,
    stage_heading,
)
from pipelines.monitoring.report.sections.advice import BIAS_NOISE_CAVEAT
from pipelines.monitoring.report.sections.common import by_severity, points
from pipelines.monitoring.report.views import (
    BiasGroupView,
    BiasRow,
    RankedViolation,
    Series,
    SeriesSection,
    Trend,
    TrendLine,
)


def build_section(series: Series, baselines: Baselines) -> SeriesSection:
    """The bias view of one schedule: each facet's metrics with their baseline, worst violations first."""
    notes: tuple[str, ...] = ()
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
    notes += (BIAS_NOISE_CAVEAT,)
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
                TrendLine(f"{group.facet}={group.value_or_threshold}{stage_note}", points(series, value))
            )
        trends.append(Trend(name, tuple(lines)))

    latest = series.latest.bias
    ranked = [_rank_bias(v, latest, baseline) for v in series.latest.violations]
    return SeriesSection(
        series=series,
        baselines=baselines,
        worst=by_severity(ranked),
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
    """How far a bias metric is from balance, to rank violations: ``|value|`` for differences, ``|log DI|``
    for the disparate-impact ratio (balanced at 1: the ``log-ratio`` reading of ``bias.drift``)."""
    if metric == "DI":
        return abs(math.log(value)) if value > 0 else math.inf
    return abs(value)
