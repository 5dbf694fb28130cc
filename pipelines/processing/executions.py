"""Run now and backfill: starting the stack's monitoring state machine without waiting for a schedule.

An execution's input is what a schedule passes (``ScheduledTime``, ``Monitors``, ``MaxRuntimeInSeconds``)
plus, for run now, an optional ``WindowStart``. Everything else (image, code, role, outputs, alerts) comes
from the deployed stack, so a manual execution behaves exactly like a scheduled one: same job, same result
folders (the window's end hour), same metrics, same alerts.

- run now: one execution whose window ends at ``--end`` (and starts at ``--start``, or where the monitors'
  schedule would start it);
- backfill: one execution per time each monitor's schedule would have fired in ``(--from, --to]``, monitors
  that share a schedule in one job, as the schedules run them. Executions are named after their scheduled
  time and monitors, so a second backfill of the same range starts nothing that already ran.

Pure functions decide what to start (``run_now_start``, ``backfill_starts``); ``start`` and ``wait`` call AWS.
"""

from __future__ import annotations

import hashlib
import json
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING, Any

from botocore.exceptions import ClientError

from pipelines.deploy.processing import MAX_RUNTIME_API_LIMIT_S, TEMPLATE_MONITORS, same_expression
from pipelines.deploy.schedule_rules import parse_schedule
from pipelines.errors import UserError
from pipelines.monitors import ENABLED, MONITORS, MonitorType
from pipelines.timewindow import format_utc

if TYPE_CHECKING:
    from mypy_boto3_cloudformation import CloudFormationClient
    from mypy_boto3_stepfunctions import SFNClient
    from mypy_boto3_stepfunctions.type_defs import DescribeExecutionOutputTypeDef

STATE_MACHINE_OUTPUT = "ProcessingStateMachineArn"
TERMINAL = ("SUCCEEDED", "FAILED", "TIMED_OUT", "ABORTED")
DEFAULT_MAX_EXECUTIONS = 500


class ExecutionRequestError(UserError):
    """A run-now or backfill request that cannot be started (stack, monitors, window)."""


@dataclass(frozen=True, slots=True)
class ExecutionStart:
    """One StartExecution: its name and input."""

    name: str
    scheduled_time: datetime
    monitors: tuple[MonitorType, ...]
    max_runtime_s: int
    window_start: datetime | None = None

    def input(self) -> str:
        document: dict[str, Any] = {
            "ScheduledTime": format_utc(self.scheduled_time),
            "Monitors": ",".join(self.monitors),
            "MaxRuntimeInSeconds": self.max_runtime_s,
        }
        if self.window_start is not None:
            document["WindowStart"] = format_utc(self.window_start)
        return json.dumps(document)


def _name(kind: str, scheduled: datetime, monitors: Sequence[MonitorType], extra: str = "") -> str:
    """``{kind}-{yyyymmddThhmm}-{digest}``: Step Functions' names allow no ':'; the digest tells the monitors
    (and the window start) apart, so the same request always gets the same name."""
    digest = hashlib.sha256((",".join(monitors) + extra).encode()).hexdigest()[:8]
    return f"{kind}-{scheduled:%Y%m%dT%H%M}-{digest}"


def max_runtime_s(parameters: Mapping[str, str], monitors: Sequence[MonitorType]) -> int:
    """The job limit of ``monitors`` run together: the sum of their ``{Monitor}MaxRuntimeInSeconds``."""
    total = sum(int(parameters.get(MONITORS[m].max_runtime_parameter, "3600")) for m in monitors)
    return min(total, MAX_RUNTIME_API_LIMIT_S)


def enabled_monitors(parameters: Mapping[str, str]) -> tuple[MonitorType, ...]:
    return tuple(m for m in TEMPLATE_MONITORS if parameters.get(MONITORS[m].enable_parameter) == ENABLED)


def check_monitors(parameters: Mapping[str, str], monitors: Sequence[MonitorType], stack: str) -> None:
    disabled = [m for m in monitors if m not in enabled_monitors(parameters)]
    if disabled:
        raise ExecutionRequestError(
            f"stack {stack} does not run the {', '.join(disabled)} monitor (Enable...Monitor is not yes): "
            f"it runs {', '.join(enabled_monitors(parameters)) or 'none'}"
        )


def run_now_start(
    parameters: Mapping[str, str], monitors: Sequence[MonitorType], end: datetime, start: datetime | None
) -> ExecutionStart:
    """One execution of ``monitors`` for the window ending at ``end``."""
    if start is not None and start >= end:
        raise ExecutionRequestError(f"--start {format_utc(start)} is not before --end {format_utc(end)}")
    extra = format_utc(start) if start else ""
    return ExecutionStart(
        _name("run", end, monitors, extra), end, tuple(monitors), max_runtime_s(parameters, monitors), start
    )


def backfill_starts(
    parameters: Mapping[str, str],
    monitors: Sequence[MonitorType],
    since: datetime,
    until: datetime,
    *,
    max_executions: int = DEFAULT_MAX_EXECUTIONS,
) -> list[ExecutionStart]:
    """Every execution the schedules of ``monitors`` would have started in ``(since, until]``, oldest
    first."""
    if since >= until:
        raise ExecutionRequestError(f"--from {format_utc(since)} is not before --to {format_utc(until)}")
    groups: dict[str, list[MonitorType]] = {}
    for monitor in monitors:
        expression = parameters.get(MONITORS[monitor].schedule_parameter, "")
        groups.setdefault(same_expression(expression), []).append(monitor)
    starts = []
    for expression, members in groups.items():
        schedule = parse_schedule(expression, any_minute=True)
        for scheduled in schedule.firings(since, until):
            starts.append(
                ExecutionStart(
                    _name("backfill", scheduled, members),
                    scheduled,
                    tuple(members),
                    max_runtime_s(parameters, members),
                )
            )
    starts.sort(key=lambda s: (s.scheduled_time, s.name))
    if len(starts) > max_executions:
        raise ExecutionRequestError(
            f"{len(starts)} executions from {format_utc(since)} to {format_utc(until)}: more than "
            f"--max-executions {max_executions} (narrow the range or raise the limit)"
        )
    return starts


# -- AWS calls ---------------------------------------------------------------------------------------------
@dataclass(frozen=True, slots=True)
class DeployedStage:
    stack: str
    parameters: Mapping[str, str]
    state_machine_arn: str


def describe_stage(cloudformation: CloudFormationClient, stack: str) -> DeployedStage:
    """The stack's parameters and its state machine (refused unless it runs the Processing backend)."""
    try:
        described = cloudformation.describe_stacks(StackName=stack)["Stacks"][0]
    except ClientError as error:
        raise ExecutionRequestError(
            f"stack {stack}: {error.response['Error'].get('Message', error)}"
        ) from None
    parameters = {p["ParameterKey"]: p.get("ParameterValue", "") for p in described.get("Parameters", [])}
    outputs = {o["OutputKey"]: o["OutputValue"] for o in described.get("Outputs", [])}
    if STATE_MACHINE_OUTPUT not in outputs:
        raise ExecutionRequestError(
            f"stack {stack} has no {STATE_MACHINE_OUTPUT} output: its MonitoringBackend is "
            f"{parameters.get('MonitoringBackend', 'ModelMonitor')!r} (run now and backfill need Processing)"
        )
    return DeployedStage(stack, parameters, outputs[STATE_MACHINE_OUTPUT])


def start(stepfunctions: SFNClient, state_machine_arn: str, request: ExecutionStart) -> str | None:
    """Start ``request``; None when an execution of that name already ran (a backfill already done)."""
    try:
        response = stepfunctions.start_execution(
            stateMachineArn=state_machine_arn, name=request.name, input=request.input()
        )
    except ClientError as error:
        if error.response["Error"].get("Code") == "ExecutionAlreadyExists":
            return None
        raise
    return str(response["executionArn"])


def wait(
    stepfunctions: SFNClient, execution_arn: str, *, poll_s: float = 10, timeout_s: float | None = None
) -> DescribeExecutionOutputTypeDef:
    """Describe the execution until it ends; its last description."""
    deadline = None if timeout_s is None else time.monotonic() + timeout_s
    while True:
        description = stepfunctions.describe_execution(executionArn=execution_arn)
        if description["status"] in TERMINAL:
            return description
        if deadline is not None and time.monotonic() > deadline:
            raise TimeoutError(f"{execution_arn} still {description['status']} after {timeout_s} s")
        time.sleep(poll_s)
