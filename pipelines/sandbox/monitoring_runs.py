"""The demo's last act: the portable monitors run on prod's traffic exactly as the stage was deployed.

For each traffic hour the monitors run in this process, through the engine's API with typed values
(``resolve_run_settings`` then ``run_execution``, as ``python -m pipelines.monitoring run`` does): the prod
stage's export (baselines, ground truth, offsets, outputs), the capture destination of prod's endpoint
config and the model artifact of the package prod runs. The log shows each run as the equivalent command
line and its output. Results go to the export's ``{Type}MonitoringOutputS3Uri`` folders, as Model Monitor's
executions would; then the report renders them all (terminal text in the log, HTML into the output folder).

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

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

from pipelines import aws
from pipelines.errors import UserError
from pipelines.monitoring import report
from pipelines.monitoring.cli import flag_of, run_argv
from pipelines.monitoring.execution import run_execution
from pipelines.monitoring.explainers import load_explainer
from pipelines.monitoring.ground_truth_merge import capture_window
from pipelines.monitoring.rendering import render_execution
from pipelines.monitoring.report.documents import parse_violations
from pipelines.monitoring.result_files import SUMMARY
from pipelines.monitoring.run_settings import ExplainerSpec, RunOptions
from pipelines.monitoring.settings_resolution import resolve_run_settings
from pipelines.monitoring.summary import execution_folder
from pipelines.monitors import MONITORS, MonitorType
from pipelines.s3uri import S3Uri
from pipelines.setting_names import show
from pipelines.stage_export import StageExport
from pipelines.storage import Storage, join_location
from pipelines.timewindow import HOUR, TimeWindow, format_utc

# Labels for an hour's transactions are collected half an hour into the next hour (chargebacks take days in
# reality; the demo compresses that, and the deployed one-day window would accept them that late too).
LABEL_DELAY = HOUR + timedelta(minutes=30)
COMMAND = "python -m pipelines.monitoring"


class MonitorRunError(UserError):
    """The monitors could not run as planned (an offset that cannot isolate an hour, a run's error)."""


@dataclass(frozen=True, slots=True)
class DeployedStage:
    """What the runs read: the stage export, the endpoint's capture destination and the model artifact."""

    export_file: Path
    export: StageExport
    capture: str
    variant: str
    model: str


@dataclass(frozen=True, slots=True)
class MonitorRun:
    """One run of some monitors for one execution window (its end is the scheduled time)."""

    traffic_hour: datetime
    monitors: tuple[MonitorType, ...]
    window: TimeWindow

    def options(self, capture: str, model: str, variant: str) -> RunOptions:
        """The run's options over the stage export: its capture, its monitors, its window, the model."""
        return RunOptions(
            capture=capture,
            window=self.window,
            variant=variant,
            monitors=self.monitors,
            explainer=ExplainerSpec(model=model),
        )


def plan_monitor_runs(
    traffic_hours: Sequence[datetime], start_offset: timedelta, end_offset: timedelta
) -> list[MonitorRun]:
    """Per traffic hour, the executions that analyse it and nothing else (see the module docstring)."""
    own_window = tuple(m.type for m in MONITORS.values() if not m.needs_ground_truth)
    labelled_window = tuple(m.type for m in MONITORS.values() if m.needs_ground_truth)
    runs: list[MonitorRun] = []
    for hour in traffic_hours:
        runs.append(MonitorRun(hour, own_window, TimeWindow(hour, hour + HOUR)))
        scheduled = hour + HOUR - end_offset
        execution = TimeWindow(scheduled - HOUR, scheduled)
        labelled = capture_window(execution, start_offset, end_offset)
        others = [h for h in traffic_hours if h != hour and labelled.start < h + HOUR and h < labelled.end]
        if not labelled.start <= hour or others:
            raise MonitorRunError(
                f"offsets {start_offset}/{end_offset}: the execution at {format_utc(scheduled)} reads "
                f"{labelled}, which does not hold the hour {format_utc(hour)} alone"
            )
        runs.append(MonitorRun(hour, labelled_window, execution))
    return runs


def label_collection_time(traffic_hour: datetime) -> datetime:
    return traffic_hour + LABEL_DELAY


def run_monitors(runs: Sequence[MonitorRun], stage: DeployedStage, log: Path, storage: Storage) -> None:
    """Each run through the engine, logged as the equivalent ``run`` command line and its output."""
    for run in runs:
        options = run.options(stage.capture, stage.model, stage.variant)
        argv = run_argv(options, str(stage.export_file))
        try:
            resolved = resolve_run_settings(options, stage.export, storage)
        except UserError as error:
            raise MonitorRunError(
                [f"{COMMAND} {argv[0]}: {show(p, flag_of)}" for p in error.problems]
            ) from None
        explainer = load_explainer(resolved.explainer, storage, lambda: aws.client("sagemaker-runtime"))
        result = run_execution(storage, resolved.settings, explainer, name_setting=flag_of)
        _log(log, argv, render_execution(result), result.exit_code)
        if result.user_errors:
            raise _failed(argv, result.user_errors)


def render_report(stage: DeployedStage, html: Path, log: Path, storage: Storage) -> str:
    """The report over every execution below the stage's outputs; returns the root it read."""
    root = common_root([stage.export.output(m) or "" for m in MONITORS.model_monitor()])
    summary = report.render_report(root, baseline=None, html_out=str(html), storage=storage)
    text = report.render_terminal(summary.report, html_location=summary.html_location)
    _log(log, ["report", root, "--html", str(html)], text, 1 if summary.has_violations else 0)
    return root


def _failed(argv: list[str], problems: Sequence[str]) -> MonitorRunError:
    """The problems of a run, with the settings named as the command line names them."""
    return MonitorRunError([f"{COMMAND} {argv[0]}: {show(problem, flag_of)}" for problem in problems])


def _log(log: Path, argv: list[str], output: str, code: int) -> None:
    with log.open("a") as out:
        out.write(f"$ {COMMAND} {' '.join(argv)}\n")
        out.write(output)
        out.write(f"(exit status {code})\n\n")


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
            output = stage.export.output(MONITORS[monitor]) or ""
            folder = execution_folder(output, endpoint, monitor, run.window.end)
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
