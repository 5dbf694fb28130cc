"""``report``: read the results of one or many monitoring executions and render them.

Works on our monitors' results (with ``summary.json``) and on SageMaker Model Monitor's / Clarify's own
(``statistics.json``, ``constraint_violations.json``, ``analysis.json``), from a local folder or an S3
prefix laid out as ``{endpoint}/{schedule}/yyyy/mm/dd/hh/``.

Calculation is separate from presentation: ``load_report`` turns files into typed results and views
(``results``, ``views``); ``render_terminal`` and ``render_html`` only read those.

    summary = render_report("s3://bucket/monitoring", baseline=None, html_out="report.html", storage=storage)
    print(render_terminal(summary.report, html_location=summary.html_location), end="")
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from pipelines.monitoring.report.html import render_html
from pipelines.monitoring.report.loader import BaselineError, NoResultsFound, load_baselines, load_report
from pipelines.monitoring.report.results import ExecutionStatus, MonitorType
from pipelines.monitoring.report.terminal import render_terminal
from pipelines.monitoring.report.views import Report
from pipelines.storage import Storage

__all__ = [
    "BaselineError",
    "NoResultsFound",
    "Report",
    "ReportSummary",
    "load_baselines",
    "load_report",
    "render_html",
    "render_report",
    "render_terminal",
]


@dataclass(frozen=True, slots=True)
class LatestStatus:
    endpoint: str
    schedule: str
    monitor: MonitorType
    status: ExecutionStatus
    violations: int


@dataclass(frozen=True, slots=True)
class ReportSummary:
    """What ``render_report`` found, for the CLI: the report itself and where the HTML went."""

    report: Report
    html_location: str | None

    @property
    def latest(self) -> tuple[LatestStatus, ...]:
        return tuple(
            LatestStatus(
                s.series.endpoint,
                s.series.schedule,
                s.series.monitor,
                s.series.latest.status,
                len(s.series.latest.violations),
            )
            for s in self.report.sections
        )

    @property
    def has_violations(self) -> bool:
        """Whether the latest execution of any schedule has violations."""
        return self.report.has_violations


def render_report(
    source: str,
    *,
    baseline: str | Sequence[str] | None,
    html_out: str | None,
    storage: Storage,
    last: int | None = None,
) -> ReportSummary:
    """Read the executions below ``source`` and write the HTML report to ``html_out`` (local or S3).

    ``baseline``: baseline files or folders (recognised by content) for every schedule; None uses the
    files each schedule's latest ``summary.json`` names. ``last``: only the newest N executions per
    schedule.
    """
    report = load_report(source, storage=storage, baseline=baseline, last=last)
    if html_out is not None:
        storage.write_text(html_out, render_html(report), content_type="text/html; charset=utf-8")
    return ReportSummary(report=report, html_location=html_out)
