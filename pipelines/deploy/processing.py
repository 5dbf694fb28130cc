"""The ``Processing`` backend, deploy side: its rules for a stage config and the parameters it computes.

Rules (instead of Model Monitor's cron and 1800/3600 s caps, ``schedule_rules``):

- Schedules: the same cron forms, and any minute 0-59 (EventBridge Scheduler runs them; a few minutes past
  the hour lets the hour's last capture files land before the job reads them).
- Instances: with ``MonitoringEngine: local`` (the default) the job runs the monitors on one machine
  (``MonitoringJobInstanceCount`` must be 1: more instances would each run the same job); with ``spark`` the
  job runs in SageMaker's Spark processing image, whose ``smspark-submit`` makes one Spark cluster of all the
  job's instances (any count from 1). Either way of a type ``CreateProcessingJob`` accepts (the AWS SDK's
  service model lists them, ``ProcessingInstanceType``).
- Run time: monitors whose schedules are the same expression run in one job (Model Monitor starts one job
  per monitor per tick, two for model quality and bias). The job's ``MaxRuntimeInSeconds`` is the sum of its
  monitors' ``{Monitor}MaxRuntimeInSeconds``; it must end before the schedule fires again (its shortest gap)
  and stay within ``ProcessingStoppingCondition``'s 777600 s.

The first monitor of a group (in the registry's order) leads it: its schedule starts the job for the whole
group and the others get no schedule of their own (``{Monitor}ProcessingMonitors`` is empty).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from functools import cache

from pipelines.deploy.schedule_rules import Schedule, ScheduleRuleError, parse_schedule
from pipelines.errors import InvalidS3Uri
from pipelines.monitors import MONITORS, MonitorType
from pipelines.s3uri import S3Uri

# Parameters get_baselines_and_configs.py computes for the Processing backend (template parameter names).
IMAGE_PARAMETER = "ProcessingImageUri"
CODE_PARAMETER = "ProcessingCodeS3Uri"
WHEELHOUSE_PARAMETER = "ProcessingWheelhouseS3Uri"
EXPORT_PARAMETER = "StageExportS3Uri"
CAPTURE_PARAMETER = "DataCaptureS3Uri"
VARIANT_PARAMETER = "DataCaptureVariant"
MODEL_PARAMETER = "ProcessingModelS3Uri"
READ_ARNS_PARAMETER = "ProcessingS3ReadArns"
BUCKET_ARNS_PARAMETER = "ProcessingS3BucketArns"
INSTANCE_TYPE = "MonitoringJobInstanceType"
INSTANCE_COUNT = "MonitoringJobInstanceCount"
ENGINE = "MonitoringEngine"  # a stage config key: local (default) or spark
LOCAL_ENGINE = "local"
SPARK_ENGINE = "spark"
# ProcessingStoppingCondition.MaxRuntimeInSeconds (API reference, CreateProcessingJob).
MAX_RUNTIME_API_LIMIT_S = 777600
# The monitors the template deploys, in the registry's order (the order of a group's monitors).
TEMPLATE_MONITORS: tuple[MonitorType, ...] = tuple(spec.type for spec in MONITORS.model_monitor())


def monitors_parameter(monitor: MonitorType) -> str:
    """``DataQualityProcessingMonitors``: the monitors this monitor's schedule runs ('' = none of its own)."""
    return f"{monitor}ProcessingMonitors"


def max_runtime_parameter(monitor: MonitorType) -> str:
    """``DataQualityProcessingMaxRuntimeInSeconds``: the job limit of the schedule this monitor leads."""
    return f"{monitor}ProcessingMaxRuntimeInSeconds"


def interval_parameter(monitor: MonitorType) -> str:
    """``DataQualityScheduleIntervalSeconds``: the longest gap between two executions (the alarms' period)."""
    return f"{monitor}ScheduleIntervalSeconds"


COMPUTED_PARAMETERS: tuple[str, ...] = (
    IMAGE_PARAMETER,
    CODE_PARAMETER,
    WHEELHOUSE_PARAMETER,
    EXPORT_PARAMETER,
    CAPTURE_PARAMETER,
    VARIANT_PARAMETER,
    MODEL_PARAMETER,
    READ_ARNS_PARAMETER,
    BUCKET_ARNS_PARAMETER,
    *(name for m in TEMPLATE_MONITORS for name in (monitors_parameter(m), max_runtime_parameter(m))),
    *(interval_parameter(m) for m in TEMPLATE_MONITORS),
)


@dataclass(frozen=True, slots=True)
class ScheduleGroup:
    """Monitors that share a schedule expression, and so one schedule and one Processing job."""

    monitors: tuple[MonitorType, ...]
    schedule: Schedule
    max_runtime_s: int

    @property
    def lead(self) -> MonitorType:
        return self.monitors[0]


def same_expression(expression: str) -> str:
    """An expression with its spacing normalised (``cron(0  * ? * * *)`` is the hourly schedule too)."""
    return " ".join(expression.split())


def schedule_groups(
    schedules: Mapping[MonitorType, Schedule], runtimes_s: Mapping[MonitorType, int]
) -> list[ScheduleGroup]:
    """The monitors of ``schedules`` grouped by expression, each group in the registry's order."""
    grouped: dict[str, list[MonitorType]] = {}
    for monitor in TEMPLATE_MONITORS:
        if monitor in schedules:
            grouped.setdefault(same_expression(schedules[monitor].expression), []).append(monitor)
    return [
        ScheduleGroup(tuple(members), schedules[members[0]], sum(runtimes_s[m] for m in members))
        for members in grouped.values()
    ]


@cache
def processing_instance_types() -> frozenset[str]:
    """The instance types CreateProcessingJob accepts, from the AWS SDK's service model (no API call)."""
    import botocore.session
    from botocore.model import StringShape

    shape = botocore.session.get_session().get_service_model("sagemaker").shape_for("ProcessingInstanceType")
    assert isinstance(shape, StringShape)
    return frozenset(shape.enum)


def processing_problems(
    where: str, value: Callable[[str], str | None], enabled: Iterable[MonitorType]
) -> list[str]:
    """Every problem of a stage config that deploys the Processing backend (``value`` reads a parameter, the
    template default when the config does not set it), one line each."""
    problems = _instance_problems(where, value)
    schedules: dict[MonitorType, Schedule] = {}
    runtimes: dict[MonitorType, int] = {}
    for monitor in enabled:
        spec = MONITORS[monitor]
        expression = value(spec.schedule_parameter)
        if expression is None:
            problems.append(
                f"{where}: {spec.schedule_parameter} is missing: the {monitor} monitor is enabled"
            )
            continue
        try:
            schedules[monitor] = parse_schedule(expression, any_minute=True)
        except ScheduleRuleError as error:
            problems.append(f"{where}: {spec.schedule_parameter}: {error}")
        runtime = _whole_seconds(value(spec.max_runtime_parameter))
        if runtime is None or runtime < 1:
            problems.append(
                f"{where}: {spec.max_runtime_parameter} is {value(spec.max_runtime_parameter)!r}: expected a "
                "whole number of seconds, at least 1"
            )
        else:
            runtimes[monitor] = runtime
    if problems:
        return problems
    for group in schedule_groups(schedules, runtimes):
        limit = min(group.schedule.shortest_interval_s, MAX_RUNTIME_API_LIMIT_S)
        if group.max_runtime_s > limit:
            names = " + ".join(MONITORS[m].max_runtime_parameter for m in group.monitors)
            problems.append(
                f"{where}: {names} is {group.max_runtime_s} s: the {', '.join(group.monitors)} monitor"
                f"{'s run' if len(group.monitors) > 1 else ' runs'} in one Processing job "
                f"{group.schedule.describe()} ({group.schedule.expression}), which must end before the "
                f"schedule fires again: at most {limit} s"
            )
    return problems


def _instance_problems(where: str, value: Callable[[str], str | None]) -> list[str]:
    problems = []
    count = value(INSTANCE_COUNT)
    engine = value(ENGINE) or LOCAL_ENGINE
    if count is not None and engine != SPARK_ENGINE and _whole_seconds(count) != 1:
        problems.append(
            f"{where}: {INSTANCE_COUNT} is {count!r}: with {ENGINE} {engine!r} the Processing backend runs "
            f'the monitors on one instance: set it to "1", or set {ENGINE} to "{SPARK_ENGINE}" to run them '
            "on a Spark cluster of that many instances"
        )
    instance_type = value(INSTANCE_TYPE)
    if instance_type is not None and instance_type not in processing_instance_types():
        close = sorted(
            t for t in processing_instance_types() if t.split(".")[1:2] == instance_type.split(".")[1:2]
        )
        hint = f" (this family: {', '.join(close[:6])})" if close else " (e.g. ml.m5.large)"
        problems.append(
            f"{where}: {INSTANCE_TYPE} is {instance_type!r}: not an instance type of SageMaker Processing "
            f"jobs{hint}"
        )
    return problems


def _whole_seconds(text: str | None) -> int | None:
    if text is None:
        return None
    try:
        return int(text)
    except ValueError:
        return None


def group_parameters(groups: Iterable[ScheduleGroup]) -> dict[str, str]:
    """``{Monitor}ProcessingMonitors``, ``...ProcessingMaxRuntimeInSeconds`` and
    ``...ScheduleIntervalSeconds`` of every monitor; one in no group (switched off) keeps the defaults."""
    parameters: dict[str, str] = {}
    for group in groups:
        for monitor in group.monitors:
            leads = monitor is group.lead
            parameters[monitors_parameter(monitor)] = ",".join(group.monitors) if leads else ""
            parameters[max_runtime_parameter(monitor)] = str(group.max_runtime_s)
            parameters[interval_parameter(monitor)] = str(group.schedule.longest_interval_s)
    return parameters


def s3_read_arns(objects: Iterable[str], prefixes: Iterable[str], partition: str) -> tuple[str, str]:
    """The job role's S3 read grants as two comma-separated lists (``ProcessingS3ReadArns``,
    ``ProcessingS3BucketArns``): each object's ARN, each prefix's ``.../*``, and every bucket (for listing).

    Computed here because CloudFormation cannot map over a list of URIs; the template splits them.
    """
    arns: dict[str, None] = {}
    buckets: dict[str, None] = {}
    for location, is_prefix in [*((o, False) for o in objects), *((p, True) for p in prefixes)]:
        try:
            uri = S3Uri.parse(location)
        except InvalidS3Uri:
            continue
        key = uri.key.strip("/")
        path = (
            f"{uri.bucket}/{key}/*"
            if is_prefix and key
            else f"{uri.bucket}/*"
            if is_prefix
            else (f"{uri.bucket}/{key}")
        )
        arns[f"arn:{partition}:s3:::{path}"] = None
        buckets[f"arn:{partition}:s3:::{uri.bucket}"] = None
    return ",".join(arns), ",".join(buckets)
