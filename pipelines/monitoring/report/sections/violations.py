"""The section of a monitor the report has no views of its own for (a registered fifth monitor): its
violations, worst listed as the files give them, and their count per execution over time."""

from __future__ import annotations

from pipelines.monitoring.report.results import Baselines
from pipelines.monitoring.report.sections.common import points, ran
from pipelines.monitoring.report.views import RankedViolation, Series, SeriesSection, Trend, TrendLine


def build_section(series: Series, baselines: Baselines) -> SeriesSection:
    count = TrendLine("violations", points(series, lambda e: float(len(e.violations)) if ran(e) else None))
    return SeriesSection(
        series,
        baselines,
        worst=tuple(RankedViolation(v) for v in series.latest.violations),
        trends=(Trend("Violations per execution", (count,)),),
    )
