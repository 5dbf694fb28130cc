"""What every monitor's section builder uses: trend points, the executions that ran, severity order."""

from __future__ import annotations

from collections.abc import Callable

from pipelines.monitoring.report.results import Execution, ExecutionStatus
from pipelines.monitoring.report.views import RankedViolation, Series, TrendPoint


def by_severity(ranked: list[RankedViolation]) -> tuple[RankedViolation, ...]:
    """Measured violations first, largest first; the rest in file order (the sort is stable)."""
    return tuple(sorted(ranked, key=lambda r: (r.severity is None, -(r.severity or 0.0))))


def points(series: Series, value: Callable[[Execution], float | None]) -> tuple[TrendPoint, ...]:
    return tuple(TrendPoint(e.when, value(e), e.location) for e in series.executions)


def ran(execution: Execution) -> bool:
    return execution.status not in (ExecutionStatus.FAILED, ExecutionStatus.SKIPPED)
