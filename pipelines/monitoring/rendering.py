"""What ``baseline`` and ``run`` print: a few lines per monitor (the report renders results in full); numbers
in violation descriptions are rounded for reading, as in the report (the files keep them in full).

Shared by the command line and the sandbox's log; it reads results and names no flag.
"""

from __future__ import annotations

from typing import Any

from pipelines.monitoring.baseline import BaselineSet
from pipelines.monitoring.execution import ExecutionResult
from pipelines.monitoring.record_source import SourceKind
from pipelines.monitoring.report.formatting import readable
from pipelines.monitors import MONITORS
from pipelines.setting_names import SettingNamer, show

MAX_SHOWN_VIOLATIONS = 5
MAX_SHOWN_INPUT_PROBLEMS = 5


def render_baselines(result: BaselineSet, dataset: str, name_setting: SettingNamer = str) -> str:
    """Per monitor: the files written, or why none was (settings named by ``name_setting``)."""
    lines = [f"Baselines of {dataset} ({result.rows} rows):"]
    for monitor in MONITORS:
        if monitor in result.written:
            lines.append(f"  {monitor.value:<20} {', '.join(result.written[monitor])}")
        elif monitor in result.skipped:
            lines.append(f"  {monitor.value:<20} not made: {show(result.skipped[monitor], name_setting)}")
    lines.append(f"DriftCheckBaselines: {result.location}")
    return "\n".join(lines) + "\n"


def render_execution(result: ExecutionResult) -> str:
    """Per monitor: status, records, violations (the first few) and where the files went."""
    settings = result.settings
    source = settings.source
    if source.kind is SourceKind.ENDPOINT_CAPTURE:
        lines = [f"Endpoint {settings.endpoint}, window {settings.window}:"]
    elif source.kind is SourceKind.DATASET:
        lines = [f"Dataset {source.location} as {settings.endpoint}, execution {settings.window}:"]
    else:
        lines = [f"Transform capture {source.location} as {settings.endpoint}, window {settings.window}:"]
    input_problems: dict[str, None] = {}
    unreadable = 0
    for outcome in result.outcomes:
        summary = outcome.summary
        header = f"  {summary.monitor.value:<20} {summary.status.value}"
        counts = _counts(summary.inputs)
        if counts:
            header += f"  {counts}"
        if summary.violations:
            header += f", {len(summary.violations)} violation{'s' if len(summary.violations) != 1 else ''}"
        lines.append(header)
        if summary.reason:
            lines.append(f"    {summary.reason}")
        for violation in summary.violations[:MAX_SHOWN_VIOLATIONS]:
            check, description = violation.get("constraint_check_type"), violation.get("description")
            lines.append(f"    - {check} {_subject(violation)}: {readable(str(description))}")
        if len(summary.violations) > MAX_SHOWN_VIOLATIONS:
            more = len(summary.violations) - MAX_SHOWN_VIOLATIONS
            lines.append(f"    ... and {more} more in constraint_violations.json")
        lines.append(f"    -> {outcome.folder}")
        unreadable = max(unreadable, int(summary.inputs.get("unreadable_lines", 0)))
        input_problems.update(dict.fromkeys(summary.input_problems))
    for monitor, reason in settings.disabled.items():
        lines.append(f"  {monitor.value:<20} not run: {reason}")
    if input_problems:
        lines.append(f"Input problems ({unreadable} unreadable lines; see summary.json):")
        lines += [f"  {problem}" for problem in list(input_problems)[:MAX_SHOWN_INPUT_PROBLEMS]]
    return "\n".join(lines) + "\n"


def _counts(inputs: Any) -> str:
    if not inputs:
        return ""
    text = f"{inputs.get('records', 0)} records"
    if "ground_truth_matched" in inputs:
        text += f" ({inputs['ground_truth_matched']} labelled)"
    if "records_explained" in inputs:
        text += f" ({inputs['records_explained']} explained)"
    return text


def _subject(violation: Any) -> str:
    if "feature_name" in violation:
        return str(violation["feature_name"])
    if "facet" in violation:
        return f"{violation.get('metric_name')} {violation['facet']}={violation.get('facet_value')}"
    return str(violation.get("metric_name") or violation.get("label") or "")
