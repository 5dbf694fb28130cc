"""The demo's last act: prod's scheduled monitoring job on the Processing backend, run as AWS would run it.

prod is deployed on the Processing backend (``build.SANDBOX_STAGE_SETTINGS``). The demo does what EventBridge
Scheduler does when prod's DataQuality schedule comes due at the end of the drifted hour: the schedule leads
the hourly group (data and model quality, one job), and its target's input, with the scheduled time, starts
the stack's state machine. moto executes the state machine (CreateProcessingJob, DescribeProcessingJob until
the job ends, the alert on SNS); the processing stand-in (``pipelines.sandbox.processing_backend``) runs the
job's own command on the code and wheelhouse the build uploaded, with the stack's stage export. The job
writes its results, publishes the CloudWatch metrics and ends with the exit message the state machine reads;
the alert reaches an SQS queue subscribed to the alert topic, where a person's email would be.

It runs after the portable monitors' in-process runs and their report: its data-quality execution is the one
they ran for the drifted hour (same scheduled time, same folder, same verdict); its model-quality execution
reads the window moved by prod's offsets (-P1D to -PT1H): the day before the drifted hour up to its start,
which holds none of the demo's two hours of traffic, so it fails for want of data, as Model Monitor's
execution would. In production every hour has traffic.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

from pipelines.aws import client
from pipelines.monitors import MONITORS, MonitorType
from pipelines.processing.executions import wait
from pipelines.processing.metrics import MetricKind, namespace
from pipelines.sandbox.demo.session import Sandbox
from pipelines.sandbox.processing_backend import (
    BACKEND_RESOURCE,
    BackendStack,
    DeployedSchedule,
    LocalProcessing,
    activate_state_machine,
    alert_queue,
    backend_stack,
    deployed_schedules,
    fire,
    received_alerts,
)
from pipelines.sandbox.progress import Progress
from pipelines.storage import Storage
from pipelines.timewindow import HOUR, format_utc

BACKEND_TEMPLATE = "pipelines/processing/processing-backend.yml"
ALERT_TOPIC = "AlertTopic"  # logical ids: the stage template's topic, the nested template's state machine
STATE_MACHINE = "ProcessingStateMachine"
EXECUTION_TIMEOUT_S = 300


class ScheduledJobError(RuntimeError):
    """The deployed backend is not what the demo deployed (a bug of the sandbox, not a user mistake)."""


@dataclass(frozen=True, slots=True)
class DeployedBackend:
    """prod's stack on the Processing backend, as moto created it: the stage stack's alert topic and the
    nested stack's state machine, by their logical ids (moto leaves a stack deployed through a change set, as
    ``aws cloudformation deploy`` deploys, without its outputs)."""

    stack_name: str
    topic_arn: str
    backend: BackendStack

    @property
    def state_machine_arn(self) -> str:
        return self.backend.physical_ids[STATE_MACHINE]


def deployed_backend(sandbox: Sandbox, stack_name: str) -> DeployedBackend:
    cloudformation = client("cloudformation")
    resources = cloudformation.list_stack_resources(StackName=stack_name)["StackResourceSummaries"]
    ids = {
        r["LogicalResourceId"]: r.get("PhysicalResourceId", "")
        for r in resources
        if r.get("LogicalResourceId")
    }
    if BACKEND_RESOURCE not in ids:
        raise ScheduledJobError(f"stack {stack_name} has no Processing backend (MonitoringBackend)")
    backend = backend_stack(cloudformation, sandbox.clients.iam, client("sqs"), stack_name)
    return DeployedBackend(stack_name, ids[ALERT_TOPIC], backend)


def leading_schedule(schedules: list[DeployedSchedule], monitor: MonitorType) -> DeployedSchedule:
    """The schedule whose job runs ``monitor``."""
    for schedule in schedules:
        if monitor in json.loads(str(schedule.target["Input"]))["Monitors"].split(","):
            return schedule
    raise ScheduledJobError(f"no deployed schedule runs {monitor}: {[s.name for s in schedules]}")


def run_scheduled_job(
    sandbox: Sandbox,
    stack_name: str,
    build_folder: Path,
    scheduled: datetime,
    workdir: Path,
    progress: Progress,
) -> dict[str, Any]:
    """Fire prod's DataQuality schedule at ``scheduled`` and follow it to the alert (module docstring)."""
    stepfunctions, sqs = client("stepfunctions"), client("sqs")
    deployed = deployed_backend(sandbox, stack_name)
    activate_state_machine(sandbox.aws, stepfunctions, deployed.state_machine_arn)
    schedules = deployed_schedules(
        (build_folder / BACKEND_TEMPLATE).read_text(),
        deployed.backend.parameters,
        deployed.backend.physical_ids,
        client("scheduler"),
    )
    schedule = leading_schedule(schedules, MonitorType.DATA_QUALITY)
    queue_url = alert_queue(sqs, client("sns"), deployed.topic_arn, f"{stack_name}-alerts")
    processing = LocalProcessing(sandbox.aws, sandbox.clients.s3, workdir, sandbox.aws.region).start()
    try:
        execution_arn = fire(stepfunctions, schedule, scheduled, f"{schedule.name}-{scheduled:%Y%m%dT%H%M}")
        execution = wait(stepfunctions, execution_arn, poll_s=0.2, timeout_s=EXECUTION_TIMEOUT_S)
    finally:
        processing.stop()
        sandbox.aws.execute_state_machines(False)
    runs = list(processing.runs.values())
    if len(runs) != 1:
        raise ScheduledJobError(f"the execution started {len(runs)} processing jobs, expected one")
    (job,) = runs
    input_document = json.loads(schedule.start_input(scheduled))
    results = _results(
        Storage(sandbox.clients.s3), job.request, input_document["Monitors"].split(","), scheduled
    )
    prefix = deployed.backend.parameters["MetricsNamespacePrefix"]
    metrics = _metrics(prefix)
    violations = _violation_counts(prefix, scheduled)
    alerts = [json.loads(notification["Message"]) for notification in received_alerts(sqs, queue_url)]
    progress.note(f"{schedule.name} ({schedule.expression}) fired: {schedule.start_input(scheduled)}")
    progress.note(f"state machine execution {execution['status']}; job {job.name} {job.status}")
    progress.note(f"exit message: {job.exit_message}")
    progress.note(
        f"{sum(map(len, metrics.values()))} metric names in CloudWatch; {len(alerts)} alert(s) on the topic"
    )
    return {
        "stack": stack_name,
        "nested_stack": deployed.backend.name,
        "state_machine": deployed.state_machine_arn,
        "schedule": schedule.name,
        "schedule_expression": schedule.expression,
        "scheduled_time": format_utc(scheduled),
        "input": input_document,
        "execution_status": execution["status"],
        "job": {
            "name": job.name,
            "status": job.status,
            "exit_message": job.exit_message,
            "failure_reason": job.failure_reason,
            "seconds": round(job.seconds, 1),
            "log": str(job.log) if job.log else "",
            "image": job.request["AppSpecification"]["ImageUri"],
            "instance": job.request["ProcessingResources"]["ClusterConfig"]["InstanceType"],
            "instance_count": job.request["ProcessingResources"]["ClusterConfig"]["InstanceCount"],
            "max_runtime_s": job.request["StoppingCondition"]["MaxRuntimeInSeconds"],
        },
        "results": results,
        "metrics": metrics,
        "constraint_violations": violations,
        "alerts": [
            {
                "source": alert["source"],
                "detail_type": alert["detail-type"],
                "status": alert["detail"]["ProcessingJobStatus"],
                "exit_message": alert["detail"]["ExitMessage"],
                "failure_reason": alert["detail"].get("FailureReason", ""),
                "endpoint": alert["detail"]["Endpoint"],
                "monitors": alert["detail"]["Monitors"],
                "scheduled_time": alert["detail"]["ScheduledTime"],
            }
            for alert in alerts
        ],
    }


def _results(
    storage: Storage, request: Mapping[str, Any], monitors: list[str], scheduled: datetime
) -> dict[str, list[str]]:
    """The files of the job's monitors for ``scheduled``, by output (their execution folders)."""
    hour = f"/{scheduled:%Y/%m/%d/%H}/"
    names = {MONITORS[MonitorType(monitor)].output_folder for monitor in monitors}
    found: dict[str, list[str]] = {}
    for output in request["ProcessingOutputConfig"]["Outputs"]:
        if output["OutputName"] not in names:
            continue
        files = [f for f in storage.list_files(output["S3Output"]["S3Uri"]) if hour in f]
        if files:
            found[output["OutputName"]] = files
    return found


def _metrics(prefix: str) -> dict[str, list[str]]:
    """The metric names in each of the job's namespaces."""
    cloudwatch = client("cloudwatch")
    names = {}
    for kind in MetricKind:
        name = namespace(prefix, kind)
        pages = cloudwatch.get_paginator("list_metrics").paginate(Namespace=name)
        names[name] = sorted({metric["MetricName"] for page in pages for metric in page["Metrics"]})
    return {name: metrics for name, metrics in names.items() if metrics}


def _violation_counts(prefix: str, scheduled: datetime) -> dict[str, float]:
    """The ``constraint_violations`` metric of each schedule at ``scheduled`` (what the alarms watch)."""
    cloudwatch = client("cloudwatch")
    name = namespace(prefix, MetricKind.EXECUTIONS)
    counts: dict[str, float] = {}
    listed = cloudwatch.list_metrics(Namespace=name, MetricName="constraint_violations")["Metrics"]
    for metric in listed:
        dimensions = metric.get("Dimensions", [])
        schedule = next(d["Value"] for d in dimensions if d["Name"] == "MonitoringSchedule")
        points = cloudwatch.get_metric_statistics(
            Namespace=name,
            MetricName="constraint_violations",
            Dimensions=dimensions,
            StartTime=scheduled - HOUR,
            EndTime=scheduled + HOUR,
            Period=int(HOUR.total_seconds()),
            Statistics=["Sum"],
        )["Datapoints"]
        counts[schedule] = sum(point.get("Sum", 0.0) for point in points)
    return dict(sorted(counts.items()))
