"""``python -m pipelines.processing.job``: one monitoring execution, inside a SageMaker Processing job.

The state machine starts the job with these arguments (``bootstrap`` passes them on)::

    --stage-config s3://.../stage-export.json   the stage's export: baselines, offsets, outputs, schedules
    --capture s3://... [--variant NAME]          the endpoint's data capture destination
    [--model s3://.../model.tar.gz]              the model the explainability monitor explains
    --monitors DataQuality,ModelQuality          the monitors of the schedule that fired
    --scheduled-time 2026-07-29T14:00:00Z        EventBridge Scheduler's <aws.scheduler.scheduled-time>
    [--window-start 2026-07-29T10:00:00Z]        run now / backfill: an explicit window start
    --output /opt/ml/processing/output           SageMaker uploads it to each monitor's MonitoringOutputS3Uri
    --exit-message /opt/ml/output/message        DescribeProcessingJob's ExitMessage
    --metrics-namespace PortableModelMonitor     CloudWatch namespace prefix (``metrics``)
    --engine local|spark                         what reads the windows (``MonitoringEngine``)

What it does:

1. The window comes from the scheduled time, never from the clock: it ends at the scheduled time's hour and
   starts at the hour of the schedule's previous firing (``execution_windows``): an hourly schedule at
   14:00 (or 14:10) analyses 13:00-14:00, a daily one at 02:00 the day before it. ``--window-start`` gives
   the start explicitly (the window then ends at the scheduled time itself).
2. The monitors run as ``python -m pipelines.monitoring run --stage-config`` runs them (``RunOptions`` of
   the window, capture, model and output, ``resolve_run_settings`` with the stage export, ``run_execution``)
   and write Model Monitor's result files under ``--output``. The local engine uses every core of the
   instance; the spark engine (under ``smspark-submit``: ``pipelines.container.bootstrap``) the session
   ``spark-submit`` started, on YARN over all the job's instances.
3. The result files become CloudWatch metrics with Model Monitor's names (``metrics``).
4. The exit message starts with the worst status (``Failed``, ``CompletedWithViolations``, ``Completed``)
   and names each monitor's: the state machine alerts on the first two.

Exit status 0 when the monitors ran, whatever they found (findings are in the message, results and
metrics); 2 when the settings cannot be used (one ``error:`` line each, and in the message).
"""

from __future__ import annotations

import argparse
import logging
import sys
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

from botocore.exceptions import BotoCoreError, ClientError

from pipelines import aws
from pipelines.cli import LOG_LEVELS, configure_logging
from pipelines.deploy.processing import TEMPLATE_MONITORS
from pipelines.deploy.schedule_rules import ScheduleRuleError, parse_schedule
from pipelines.errors import UserError
from pipelines.monitoring.data_quality.constraints import read_constraints
from pipelines.monitoring.engines import EngineKind, EngineSpec
from pipelines.monitoring.execution import run_execution
from pipelines.monitoring.explainers import load_explainer
from pipelines.monitoring.report.loader import NoResultsFound, load_report
from pipelines.monitoring.report.results import Execution, ExecutionStatus
from pipelines.monitoring.run_settings import ExplainerSpec, RunOptions
from pipelines.monitoring.settings_resolution import resolve_run_settings
from pipelines.monitors import MONITORS, MonitorType
from pipelines.processing.metrics import DEFAULT_NAMESPACE_PREFIX, Metric, execution_metrics, publish
from pipelines.setting_names import show, shown_problems
from pipelines.stage_export import StageExport
from pipelines.storage import Storage
from pipelines.timewindow import TimeWindow, floor_hour, format_utc, parse_utc

if TYPE_CHECKING:
    from mypy_boto3_cloudwatch import CloudWatchClient

log = logging.getLogger(__name__)

MESSAGE_LIMIT = 1024  # DescribeProcessingJob keeps the first 1 KB of the message file
REASON_LIMIT = 300  # of one failed monitor's reason in the message: the others' statuses must fit too
# The order in which statuses lead the exit message (the state machine matches its first word).
_SEVERITY = (
    ExecutionStatus.FAILED,
    ExecutionStatus.SKIPPED,
    ExecutionStatus.COMPLETED_WITH_VIOLATIONS,
    ExecutionStatus.COMPLETED,
)


class JobSettingsError(UserError):
    """Job arguments or a stage export the job cannot run with."""


@dataclass(frozen=True, slots=True)
class JobArguments:
    stage_config: str
    capture: str
    monitors: tuple[MonitorType, ...]
    scheduled_time: datetime
    output: str
    exit_message: Path
    metrics_namespace: str = DEFAULT_NAMESPACE_PREFIX
    variant: str | None = None
    model: str | None = None
    window_start: datetime | None = None
    engine: EngineKind = EngineKind.LOCAL


def parse_monitors(text: str) -> tuple[MonitorType, ...]:
    names = [name.strip() for name in text.split(",") if name.strip()]
    unknown = [name for name in names if name not in TEMPLATE_MONITORS]
    if unknown or not names:
        raise JobSettingsError(
            f"--monitors {text!r}: expected MonitoringType names ({', '.join(TEMPLATE_MONITORS)}), "
            "comma-separated"
        )
    return tuple(m for m in TEMPLATE_MONITORS if m in names)


def execution_windows(
    export: StageExport, monitors: Sequence[MonitorType], scheduled: datetime, window_start: datetime | None
) -> dict[TimeWindow, tuple[MonitorType, ...]]:
    """The window each monitor analyses for an execution scheduled at ``scheduled`` (module docstring, 1)."""
    if window_start is not None:
        return {TimeWindow(window_start, scheduled): tuple(monitors)}
    windows: dict[TimeWindow, list[MonitorType]] = {}
    problems = []
    for monitor in monitors:
        parameter = MONITORS[monitor].schedule_parameter
        expression = export.value(parameter)
        if expression is None:
            problems.append(
                f"{export.where}: {parameter} is missing: the {monitor} window follows its schedule"
            )
            continue
        try:
            schedule = parse_schedule(expression, any_minute=True)
        except ScheduleRuleError as error:
            problems.append(f"{export.where}: {parameter}: {error}")
            continue
        window = TimeWindow(floor_hour(schedule.previous_firing(scheduled)), floor_hour(scheduled))
        windows.setdefault(window, []).append(monitor)
    if problems:
        raise JobSettingsError(problems)
    return {window: tuple(members) for window, members in windows.items()}


def run_options(arguments: JobArguments, window: TimeWindow, monitors: Sequence[MonitorType]) -> RunOptions:
    """What the job asks of one run: the window and monitors of the schedule, the capture, the model, one
    local output root; the stage export gives everything else (``resolve_run_settings``)."""
    explainer = None
    if arguments.model and MonitorType.MODEL_EXPLAINABILITY in monitors:
        explainer = ExplainerSpec(model=arguments.model)
    return RunOptions(
        capture=arguments.capture,
        window=window,
        variant=arguments.variant,
        output=arguments.output,
        monitors=tuple(monitors),
        explainer=explainer,
        # Spark: no master of our own; under spark-submit the session is spark-submit's (yarn on SageMaker).
        engine=EngineSpec(arguments.engine),
    )


def exit_message(
    statuses: Mapping[str, ExecutionStatus],
    problems: Sequence[str] = (),
    reasons: Mapping[str, str] | None = None,
) -> str:
    """``{worst status}: {schedule} {status} ({reason}); ...`` (problems after), at most 1 KB; a reason is
    given for the schedules that failed or were skipped (``summary.json``'s, as Model Monitor's
    FailureReason)."""
    ranked = sorted(statuses.items(), key=lambda item: (_SEVERITY.index(item[1]), item[0]))
    worst = ExecutionStatus.FAILED if problems or not ranked else ranked[0][1]
    if worst is ExecutionStatus.SKIPPED:
        worst = ExecutionStatus.FAILED
    reasons = reasons or {}
    parts = [
        f"{schedule} {status.value}" + (f" ({reasons[schedule]})" if reasons.get(schedule) else "")
        for schedule, status in ranked
    ] + list(problems)
    text = f"{worst.value}: {'; '.join(parts) if parts else 'no monitor ran'}"
    return text.encode("utf-8")[:MESSAGE_LIMIT].decode("utf-8", "ignore")


def _write_message(path: Path, text: str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")


def run_monitors(arguments: JobArguments, export: StageExport, storage: Storage) -> list[str]:
    """The monitors of every window (``resolve_run_settings`` then ``run_execution``, as ``python -m
    pipelines.monitoring run --stage-config`` runs them); returns the user errors of the runs."""
    problems: list[str] = []
    for window, monitors in execution_windows(
        export, arguments.monitors, arguments.scheduled_time, arguments.window_start
    ).items():
        log.info("%s from %s to %s", ",".join(monitors), format_utc(window.start), format_utc(window.end))
        try:
            resolved = resolve_run_settings(run_options(arguments, window, monitors), export, storage)
            explainer = load_explainer(resolved.explainer, storage, _no_endpoint)
            result = run_execution(storage, resolved.settings, explainer)
        except UserError as error:
            problems += shown_problems(error)
            continue
        problems += [show(problem) for problem in result.user_errors]
    return problems


def _no_endpoint() -> Any:
    raise AssertionError("the job explains the model of --model, never an endpoint")


@dataclass(frozen=True, slots=True)
class JobResults:
    """What the job's executions say: status per schedule, why those that failed did, their metrics."""

    statuses: dict[str, ExecutionStatus] = field(default_factory=dict)
    reasons: dict[str, str] = field(default_factory=dict)
    metrics: list[Metric] = field(default_factory=list)


def collect_results(storage: Storage, output: str, scheduled_hours: set[datetime]) -> JobResults:
    """Each execution's status (and reason), and its metrics, from the result files this job wrote."""
    try:
        report = load_report(output, storage=storage)
    except NoResultsFound:
        return JobResults()
    results = JobResults()
    for section in report.sections:
        for execution in section.series.executions:
            if execution.when not in scheduled_hours:
                continue
            results.statuses[execution.schedule] = execution.status
            if execution.reason and execution.status in (ExecutionStatus.FAILED, ExecutionStatus.SKIPPED):
                results.reasons[execution.schedule] = execution.reason[:REASON_LIMIT]
            results.metrics.extend(
                execution_metrics(
                    execution,
                    section.baselines,
                    execution.when,
                    emit_data_metrics=_emits_data_metrics(storage, execution),
                )
            )
    return results


def _emits_data_metrics(storage: Storage, execution: Execution) -> bool:
    """The data-quality baseline constraints' ``monitoring_config.emit_metrics`` (Enabled by default)."""
    location = execution.baseline_locations.get("constraints")
    if execution.monitor is not MonitorType.DATA_QUALITY or not location:
        return True
    return read_constraints(storage.read_json(location), where=location).monitoring_config.emit_metrics


def run_job(arguments: JobArguments, storage: Storage, cloudwatch: CloudWatchClient) -> int:
    """The whole job (module docstring); returns the exit status."""
    try:
        export = StageExport.from_json(
            storage.read_json(arguments.stage_config), where=arguments.stage_config
        )
        problems = run_monitors(arguments, export, storage)
    except UserError as error:
        _write_message(arguments.exit_message, exit_message({}, error.problems))
        raise
    windows = execution_windows(export, arguments.monitors, arguments.scheduled_time, arguments.window_start)
    results = collect_results(storage, arguments.output, {window.end for window in windows})
    try:
        published = publish(cloudwatch, arguments.metrics_namespace, results.metrics)
        log.info("%d metrics published under %s/Endpoints/", published, arguments.metrics_namespace)
    except (ClientError, BotoCoreError) as error:
        problems.append(f"CloudWatch metrics not published: {error}")
    message = exit_message(results.statuses, problems, results.reasons)
    _write_message(arguments.exit_message, message)
    print(message, flush=True)
    if problems and not results.statuses:  # nothing ran: a settings problem (the job fails, exit status 2)
        raise JobSettingsError(problems)
    return 0


def build_job_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m pipelines.processing.job",
        description="One monitoring execution inside a SageMaker Processing job (see the module docstring).",
    )
    parser.add_argument("--stage-config", required=True)
    parser.add_argument("--capture", required=True)
    parser.add_argument("--variant", default="")
    parser.add_argument("--model", default="")
    parser.add_argument("--monitors", required=True)
    parser.add_argument("--scheduled-time", required=True)
    parser.add_argument("--window-start", default="")
    parser.add_argument("--output", required=True)
    parser.add_argument("--exit-message", type=Path, required=True)
    parser.add_argument("--metrics-namespace", default=DEFAULT_NAMESPACE_PREFIX)
    parser.add_argument(
        "--engine", choices=[kind.value for kind in EngineKind], default=EngineKind.LOCAL.value
    )
    parser.add_argument("--region", default=None)
    parser.add_argument("--log-level", type=str.upper, choices=LOG_LEVELS, default="INFO")
    return parser


def job_arguments(args: argparse.Namespace) -> JobArguments:
    scheduled = parse_utc(args.scheduled_time, what="--scheduled-time")
    start = parse_utc(args.window_start, what="--window-start") if args.window_start else None
    if start is not None and start >= scheduled:
        raise JobSettingsError(
            f"--window-start {args.window_start} is not before --scheduled-time {args.scheduled_time}"
        )
    return JobArguments(
        stage_config=args.stage_config,
        capture=args.capture,
        monitors=parse_monitors(args.monitors),
        scheduled_time=scheduled,
        output=args.output,
        exit_message=args.exit_message,
        metrics_namespace=args.metrics_namespace,
        variant=args.variant or None,
        model=args.model or None,
        window_start=start,
        engine=EngineKind(args.engine),
    )


def main(argv: Sequence[str] | None = None) -> int:
    args = build_job_parser().parse_args(argv)
    configure_logging(args.log_level)
    try:
        arguments = job_arguments(args)
    except UserError as error:
        _write_message(args.exit_message, exit_message({}, error.problems))
        raise
    session = aws.session(args.region)
    storage = Storage(aws.client("s3", session))
    return run_job(arguments, storage, aws.client("cloudwatch", session))


if __name__ == "__main__":
    from pipelines.cli import run

    sys.exit(run(main))
