"""Render a ``Report`` as plain text for a terminal: per schedule the latest status, violation counts and
the worst offenders, in 80 columns.
"""

from __future__ import annotations

import textwrap

from pipelines.monitoring.report import formatting
from pipelines.monitoring.report.results import monitor_heading
from pipelines.monitoring.report.views import Report, SeriesSection

WIDTH = 80
MAX_OFFENDERS = 5


def _fit(text: str, width: int) -> str:
    """``text`` cut to ``width`` characters, marking the cut."""
    return text if len(text) <= width else text[: width - 3] + "..."


_plural = formatting.plural


def _wrapped(text: str, indent: str, width: int) -> list[str]:
    """``text`` wrapped at spaces; a path longer than the width stays whole on its own line (copyable)."""
    return textwrap.wrap(
        text,
        width,
        initial_indent=indent,
        subsequent_indent=indent + "  ",
        break_long_words=False,
        break_on_hyphens=False,
    )


def render_terminal(report: Report, *, width: int = WIDTH, html_location: str | None = None) -> str:
    """The report's summary as text (ends with a newline)."""
    span = report.span
    lines = [
        _fit(
            f"Monitoring report: {_plural(report.executions, 'execution')} of "
            f"{_plural(len(report.sections), 'schedule')} on {_plural(len(report.endpoints), 'endpoint')}",
            width,
        ),
        *_wrapped(f"Source: {report.source}", "", width),
    ]
    if span:
        lines.append(f"Executions: {formatting.hour(span[0])} to {formatting.hour(span[1])} UTC")
    for location in report.baseline_locations:
        lines += _wrapped(f"Baseline: {location}", "", width)
    endpoint = None
    for section in report.sections:
        if section.series.endpoint != endpoint:
            endpoint = section.series.endpoint
            lines += ["", _fit(endpoint, width)]
        lines += _section(section, width)
    if report.problems or report.skipped_folders:
        count = len(report.problems) + len(report.skipped_folders)
        lines += ["", f"{_plural(count, 'problem')} with the files (not shown above):"]
        for problem in report.problems:
            lines += _wrapped(str(problem), "  ", width)
        for folder in report.skipped_folders:
            lines += _wrapped(
                f"{folder}: not an execution folder ({{endpoint}}/{{schedule}}/yyyy/mm/dd/hh/)", "  ", width
            )
    if html_location:
        lines += ["", *_wrapped(f"HTML report: {html_location}", "", width)]
    return "\n".join(lines) + "\n"


def _section(section: SeriesSection, width: int) -> list[str]:
    series = section.series
    latest = series.latest
    lines = [
        _fit(f"  {monitor_heading(series.monitor):<26} {series.schedule}", width),
        _fit(
            f"    latest {formatting.hour(latest.when)} UTC  {latest.status.value}, "
            f"{_plural(len(latest.violations), 'violation')}",
            width,
        ),
    ]
    if len(series.executions) > 1:
        lines.append(f"    {series.with_violations} of {len(series.executions)} executions had violations")
    if latest.window:
        lines.append(_fit(f"    traffic analysed {formatting.span(latest.window)} UTC", width))
    if latest.reason:
        lines += _wrapped(f"reason: {formatting.readable(latest.reason)}", "    ", width)
    if section.advice:
        lines += _wrapped(section.advice, "    ", width)
    shown = section.worst[:MAX_OFFENDERS]
    # Columns as wide as their longest entry (capped), so the measure usually fits on the same line.
    check_width = min(max((len(r.violation.check_type) for r in shown), default=0), 24)
    subject_width = min(max((len(r.violation.subject) for r in shown), default=0), 32)
    for ranked in shown:
        violation = ranked.violation
        line = (
            f"    - {_fit(violation.check_type, check_width):<{check_width}} "
            f"{_fit(violation.subject, subject_width):<{subject_width}}"
        )
        evidence = ranked.evidence or ""
        if not evidence:
            lines.append(_fit(line.rstrip(), width))
        elif len(line) + 2 + len(evidence) <= width:
            lines.append(f"{line}  {evidence}")
        else:
            lines += [_fit(line.rstrip(), width), _fit(f"{'':8}{evidence}", width)]
    if len(section.worst) > MAX_OFFENDERS:
        lines.append(f"    ... and {len(section.worst) - MAX_OFFENDERS} more (see the HTML report)")
    return lines
