"""The demo's last act: the portable monitors run on prod's traffic exactly as the stage was deployed.

For each traffic hour, ``python -m pipelines.monitoring run`` is called in this process (through the CLI's
``main``) with the prod stage's export (``--stage-config``: baselines, ground truth, offsets, outputs), the
capture destination of prod's endpoint config and the model artifact of the package prod runs. Results go to
the export's ``{Type}MonitoringOutputS3Uri`` folders, as Model Monitor's executions would; then ``report``
renders them all (terminal text in the log, HTML into the output folder).

Which executions (``plan_monitor_runs``): data quality and explainability read the execution window itself,
so an hour ``H`` is analysed by the hourly execution scheduled at ``H+1h``. Model quality and bias read the
window moved by the stage's offsets (prod: -P1D to -PT1H, so that late labels have arrived,
https://docs.aws.amazon.com/sagemaker/latest/dg/model-monitor-model-quality-schedule.html): the first
execution whose moved window holds the whole hour is scheduled at ``H+1h-EndTimeOffset`` (``H+2h``), and it
merges the labels collected from the window's start up to that time. Hence the demo's timeline:

- the two traffic hours are a day apart, so the one-day window of one never holds the other;
- labels for an hour are collected during the next hour (``LABEL_DELAY``), before that execution;
- the later hour ends two hours before the current one, so every execution is in the past.

The deployed schedules run bias and explainability daily, not hourly; the portable monitors run whatever
execution they are given, and these are the ones that isolate each hour.
"""

from __future__ import annotations

import contextlib
import logging
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

from pipelines.deploy.monitors import MonitorType
from pipelines.errors import UserError
from pipelines.monitoring.cli import MONITOR_NAMES, main
from pipelines.monitoring.execution import StageExport
from pipelines.monitoring.ground_truth_merge import capture_window
from pipelines.monitoring.report.documents import parse_violations
from pipelines.monitoring.result_files import SUMMARY
from pipelines.monitoring.summary import execution_folder
from pipelines.s3uri import S3Uri
from pipelines.storage import Storage, join_location
from pipelines.timewindow import HOUR, TimeWindow, format_utc

# Labels for an hour's transactions are collected half an hour into the next hour (chargebacks take days in
# reality; the demo compresses that, and the deployed one-day window would accept them that late too).
LABEL_DELAY = HOUR + timedelta(minutes=30)
OWN_WINDOW = (MonitorType.DATA_QUALITY, MonitorType.MODEL_EXPLAINABILITY)
LABELLED = (MonitorType.MODEL_QUALITY, MonitorType.MODEL_BIAS)
_FLAGS = {monitor: name for name, monitor in MONITOR_NAMES.items()}
# Exit statuses that report findings (0: none, 1: violations or a failed monitor); 2 is a user error.
_FINDINGS = (0, 1)


class MonitorRunError(UserError):
    """The monitors could not run as planned (an offset that cannot isolate an hour, a command's error)."""


@dataclass(frozen=True, slots=True)
class MonitorRun:
    """One ``run`` of some monitors for one execution window (its end is the scheduled time)."""

    traffic_hour: datetime
    monitors: tuple[MonitorType, ...]
    window: TimeWindow

    def argv(self, stage_export: str, capture: str, model: str, variant: str) -> list[str]:
        return [
            "run",
            "--stage-config",
            stage_export,
            "--capture",
            capture,
            "--model",
            model,
            "--variant",
            variant,
            "--monitors",
            ",".join(_FLAGS[m] for m in self.monitors),
            "--start",
            format_utc(self.window.start),
            "--end",
            format_utc(self.window.end),
        ]


def plan_monitor_runs(
    traffic_hours: Sequence[datetime], start_offset: timedelta, end_offset: timedelta
) -> list[MonitorRun]:
    """Per traffic hour, the executions that analyse it and nothing else (see the module docstring)."""
    runs: list[MonitorRun] = []
    for hour in traffic_hours:
        runs.append(MonitorRun(hour, OWN_WINDOW, TimeWindow(hour, hour + HOUR)))
        scheduled = hour + HOUR - end_offset
        execution = TimeWindow(scheduled - HOUR, scheduled)
        labelled = capture_window(execution, start_offset, end_offset)
        others = [h for h in traffic_hours if h != hour and labelled.start < h + HOUR and h < labelled.end]
        if not labelled.start <= hour or others:
            raise MonitorRunError(
                f"offsets {start_offset}/{end_offset}: the execution at {format_utc(scheduled)} reads "
                f"{labelled}, which does not hold the hour {format_utc(hour)} alone"
            )
        runs.append(MonitorRun(hour, LABELLED, execution))
    return runs


def label_collection_time(traffic_hour: datetime) -> datetime:
    return traffic_hour + LABEL_DELAY


@dataclass(frozen=True, slots=True)
class DeployedStage:
    """What the runs read: the stage export, the endpoint's capture destination and the model artifact."""

    export_file: Path
    export: StageExport
    capture: str
    variant: str
    model: str


def run_monitors(runs: Sequence[MonitorRun], stage: DeployedStage, log: Path) -> None:
    """Each run through the CLI's ``main``, its terminal output appended to ``log``."""
    for run in runs:
        _command(run.argv(str(stage.export_file), stage.capture, stage.model, stage.variant), log)


def render_report(stage: DeployedStage, html: Path, log: Path) -> str:
    """``report`` over every execution below the stage's outputs; returns the root it read."""
    root = common_root([stage.export.output(m) or "" for m in MonitorType])
    _command(["report", root, "--html", str(html)], log)
    return root


def _command(argv: list[str], log: Path) -> None:
    # The command sets this process's log level: keep the demo's.
    level = logging.getLevelName(logging.getLogger().getEffectiveLevel())
    with log.open("a") as out:
        out.write(f"$ python -m pipelines.monitoring {' '.join(argv)}\n")
        with contextlib.redirect_stdout(out):
            code = main(["--log-level", str(level), *argv])
        out.write(f"(exit status {code})\n\n")
    if code not in _FINDINGS:
        raise MonitorRunError(f"python -m pipelines.monitoring {argv[0]} exited with {code}: see {log}")


def common_root(locations: Sequence[str]) -> str:
    """The deepest S3 prefix holding every location (the monitors' output roots)."""
    uris = [S3Uri.parse(location, what="monitoring output") for location in locations]
    if len({uri.bucket for uri in uris}) != 1:
        raise MonitorRunError(f"the monitoring outputs are in several buckets: {', '.join(locations)}")
    parts = [[p for p in uri.key.split("/") if p] for uri in uris]
    shared: list[str] = []
    for segments in zip(*parts, strict=False):
        if len(set(segments)) != 1:
            break
        shared.append(segments[0])
    return str(S3Uri(uris[0].bucket).join(*shared))


def outcomes(
    storage: Storage, stage: DeployedStage, runs: Sequence[MonitorRun], drifted: Sequence[datetime]
) -> list[dict[str, Any]]:
    """Per traffic hour and monitor: status, records, violations (what and which check), where, from each
    execution's ``summary.json``."""
    endpoint = stage.export.endpoint or ""
    hours: dict[datetime, dict[str, Any]] = {}
    for run in runs:
        entry = hours.setdefault(
            run.traffic_hour,
            {"hour": format_utc(run.traffic_hour), "drifted": run.traffic_hour in drifted, "executions": {}},
        )
        for monitor in run.monitors:
            folder = execution_folder(stage.export.output(monitor) or "", endpoint, monitor, run.window.end)
            location = join_location(folder, SUMMARY)
            summary = storage.read_json(location)
            violations = parse_violations(summary, location)
            entry["executions"][monitor.value] = {
                "status": summary["status"],
                "scheduled": format_utc(run.window.end),
                "window": summary["window"],
                "records": summary.get("inputs", {}).get("records", 0),
                "violations": [
                    {
                        "check": v.check_type,
                        "name": v.feature_name or v.metric_name or v.subject,
                        "subject": v.subject,
                        "description": v.description,
                    }
                    for v in violations
                ],
                "folder": folder,
            }
    return list(hours.values())


def render_outcomes(hours: Sequence[dict[str, Any]]) -> list[str]:
    """A few lines per hour: each monitor's status and what it flagged."""
    lines: list[str] = []
    for hour in hours:
        lines.append(f"  {hour['hour']} ({'drifted' if hour['drifted'] else 'ordinary'} traffic):")
        for monitor, execution in hour["executions"].items():
            violations = execution["violations"]
            line = f"    {monitor:<20} {execution['status']}, {execution['records']} records"
            if violations:
                subjects = list(dict.fromkeys(v["name"] for v in violations))
                shown = ", ".join(subjects[:4]) + (
                    f" and {len(subjects) - 4} more" if len(subjects) > 4 else ""
                )
                line += f": {len(violations)} violation{'s' if len(violations) != 1 else ''} ({shown})"
            lines.append(line)
    return lines
