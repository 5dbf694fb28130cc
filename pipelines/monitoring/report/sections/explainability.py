"""The explainability section: attribution ranks against the baseline, nDCG and attribution trends."""

from __future__ import annotations

from collections.abc import Callable

from pipelines.monitoring.explainability.drift import NDCG_THRESHOLD
from pipelines.monitoring.report.calculations import ndcg, ranks
from pipelines.monitoring.report.results import Baselines, Execution, LabelAttributions
from pipelines.monitoring.report.sections.common import by_severity, points
from pipelines.monitoring.report.views import (
    AttributionRanking,
    AttributionRow,
    RankedViolation,
    Series,
    SeriesSection,
    Trend,
    TrendLine,
)

# The attribution trend follows the current top features only (one line each).
MAX_TOP_ATTRIBUTION_LINES = 5


def build_section(series: Series, baselines: Baselines) -> SeriesSection:
    """The explainability view of one schedule: attribution ranks and nDCG, worst violations first."""
    notes: tuple[str, ...] = ()
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

            lines.append(TrendLine(f"{label} ({method})", points(series, ndcg_of)))
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
                tuple(TrendLine(f, points(series, _attribution_of(ranking, f))) for f in top),
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
        worst=by_severity(ranked),
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
