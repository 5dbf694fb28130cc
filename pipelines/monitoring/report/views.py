"""What the renderers show: the view types, derived from executions and baselines (no I/O, no formatting).

``sections`` builds one schedule's ``SeriesSection`` from its executions and baselines, one module per
monitor: the worst offenders of the latest execution, the drifting features with both distributions, metric
trends across executions, bias metrics per facet and attribution ranks. Renderers read these objects and
nothing else.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime

from pipelines.monitoring.bias.metrics import Stage
from pipelines.monitoring.explainability.drift import NDCG_THRESHOLD
from pipelines.monitoring.model_quality.constraints import ComparisonOperator
from pipelines.monitoring.report.results import (
    Baselines,
    Execution,
    ExecutionStatus,
    FeatureStatistics,
    MonitorType,
    Problem,
    Violation,
)


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
    comparison_off: str | None = None  # why its distribution is not compared with the baseline
    absent: bool = False  # a baseline feature the current data lacks (missing_column_check)


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
    advice: str | None = None  # what the latest execution's finding means and what to check next


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
