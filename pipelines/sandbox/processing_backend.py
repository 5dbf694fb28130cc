"""The Processing monitoring backend on this machine: what moto lacks, done the way AWS would do it.

moto's CloudFormation creates the stack's state machine, roles, topic, key, log group and dead-letter queue,
but not its EventBridge Scheduler schedules or CloudWatch alarms; its Step Functions interpreter runs a state
machine's tasks (turned on by ``AwsEmulator.execute_state_machines``) but only in a second backend, where
CloudFormation's state machines are not; and its SageMaker stores a processing job as ``Completed`` at once,
without running anything. So, here:

- ``activate_state_machine`` copies a deployed state machine (name, definition, role) into the interpreter's
  backend, under the same ARN;
- ``deployed_schedules`` renders the stack's ``AWS::Scheduler::Schedule`` resources with the stack's own
  parameters (cloud-radar resolves the template's conditions and functions), creates them in moto's
  scheduler, and ``fire`` does what EventBridge Scheduler does when one comes due: its target's input, with
  ``<aws.scheduler.scheduled-time>`` replaced, starts an execution;
- ``LocalProcessing`` is the stand-in for SageMaker Processing: it sees every CreateProcessingJob exactly as
  sent (``AwsEmulator.observe``), marks the job InProgress, downloads its ``ProcessingInputs`` from moto's S3
  into a folder that stands for the container's ``/opt/ml``, runs the job's own command
  (``ContainerEntrypoint`` + ``ContainerArguments``, with this machine's Python for ``python3`` and the
  folder for ``/opt/ml``) in a subprocess with the job's ``Environment``, uploads its ``ProcessingOutputs``,
  and sets the job's status, ``ExitMessage`` (``/opt/ml/output/message``) and ``FailureReason`` in moto.
  The job's bootstrap installs nothing here: this interpreter already has the wheelhouse's pinned versions
  (the wheelhouse's resolution for the image is tested on its own). A job of the spark engine runs its
  ``smspark-submit`` as ``pipelines/sandbox/smspark_submit.py`` (on the job's ``PATH``): PySpark's
  ``spark-submit`` with a local master and the configuration the bootstrap wrote, instead of YARN over the
  job's instances (``InstanceCount`` is not emulated: one machine runs the job).
"""

from __future__ import annotations

import contextlib
import io
import json
import logging
import os
import queue
import shutil
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

from pipelines.s3uri import S3Uri
from pipelines.sandbox.aws_emulator import ACCOUNT_ID, AwsEmulator
from pipelines.storage import Storage
from pipelines.timewindow import format_utc

if TYPE_CHECKING:
    from mypy_boto3_cloudformation import CloudFormationClient
    from mypy_boto3_iam import IAMClient
    from mypy_boto3_s3 import S3Client
    from mypy_boto3_scheduler import EventBridgeSchedulerClient
    from mypy_boto3_scheduler.type_defs import TargetTypeDef
    from mypy_boto3_sns import SNSClient
    from mypy_boto3_sqs import SQSClient
    from mypy_boto3_stepfunctions import SFNClient

log = logging.getLogger(__name__)

CONTAINER_ROOT = "/opt/ml"
MESSAGE_FILE = "/opt/ml/output/message"
SCHEDULED_TIME = "<aws.scheduler.scheduled-time>"
CREATE_PROCESSING_JOB = "SageMaker.CreateProcessingJob"
# The stage template's nested stack (pipelines/processing/processing-backend.yml).
BACKEND_RESOURCE = "ProcessingBackend"


# -- Step Functions ------------------------------------------------------------------------------------------
def activate_state_machine(aws: AwsEmulator, stepfunctions: SFNClient, arn: str) -> str:
    """Copy the deployed state machine ``arn`` into the interpreter's backend; turns the interpreter on."""
    aws.execute_state_machines(False)
    deployed = stepfunctions.describe_state_machine(stateMachineArn=arn)
    aws.execute_state_machines(True)
    created = stepfunctions.create_state_machine(
        name=deployed["name"],
        definition=deployed["definition"],
        roleArn=deployed["roleArn"],
        type=deployed.get("type", "STANDARD"),
    )
    return str(created["stateMachineArn"])


# -- EventBridge Scheduler -----------------------------------------------------------------------------------
@dataclass(frozen=True, slots=True)
class DeployedSchedule:
    """One of the stack's schedules as created in moto's scheduler."""

    name: str
    expression: str
    target: Mapping[str, Any]

    def start_input(self, scheduled: datetime) -> str:
        """The target's input when the schedule fires at ``scheduled`` (Scheduler's context attribute)."""
        return str(self.target["Input"]).replace(SCHEDULED_TIME, format_utc(scheduled))


def deployed_schedules(
    template_body: str,
    stack_parameters: Mapping[str, str],
    physical_ids: Mapping[str, str],
    scheduler: EventBridgeSchedulerClient,
) -> list[DeployedSchedule]:
    """Create the stack's ``AWS::Scheduler::Schedule`` resources in moto, as CloudFormation would have.

    ``physical_ids`` maps the stack's logical resource ids (and ``{id}.Arn``) to what moto created.
    """
    rendered = render_template(template_body, stack_parameters)
    schedules = []
    for resource in rendered.get("Resources", {}).values():
        if resource.get("Type") != "AWS::Scheduler::Schedule":
            continue
        properties = _resolve(resource["Properties"], physical_ids)
        target: TargetTypeDef = {  # type: ignore[assignment]  # the template's keys, as they are
            key: properties["Target"][key]
            for key in ("Arn", "RoleArn", "Input", "RetryPolicy", "DeadLetterConfig")
            if key in properties["Target"]
        }
        scheduler.create_schedule(
            Name=properties["Name"],
            ScheduleExpression=properties["ScheduleExpression"],
            ScheduleExpressionTimezone=properties.get("ScheduleExpressionTimezone", "UTC"),
            FlexibleTimeWindow=properties["FlexibleTimeWindow"],
            Target=target,
            State=properties.get("State", "ENABLED"),
            Description=properties.get("Description", ""),
        )
        schedules.append(DeployedSchedule(properties["Name"], properties["ScheduleExpression"], target))
    return schedules


@dataclass(frozen=True, slots=True)
class BackendStack:
    """A stage stack's Processing backend: its nested stack's name, parameters and resources."""

    name: str
    parameters: Mapping[str, str]
    physical_ids: Mapping[str, str]


def backend_stack(
    cloudformation: CloudFormationClient, iam: IAMClient, sqs: SQSClient, stage_stack: str
) -> BackendStack:
    """The nested ``ProcessingBackend`` stack of ``stage_stack``, as moto created it."""
    resources = cloudformation.list_stack_resources(StackName=stage_stack)["StackResourceSummaries"]
    (nested,) = [r["PhysicalResourceId"] for r in resources if r.get("LogicalResourceId") == BACKEND_RESOURCE]
    described = cloudformation.describe_stacks(StackName=nested)["Stacks"][0]
    parameters = {p["ParameterKey"]: p.get("ParameterValue", "") for p in described.get("Parameters", [])}
    return BackendStack(nested, parameters, stack_physical_ids(cloudformation, iam, sqs, nested))


def stack_physical_ids(
    cloudformation: CloudFormationClient, iam: IAMClient, sqs: SQSClient, stack_name: str
) -> dict[str, str]:
    """What moto created for the stack's resources, by logical id, plus ``{id}.Arn`` for roles and queues
    (the values cloud-radar leaves for ``Ref`` and ``GetAtt``)."""
    ids: dict[str, str] = {}
    for resource in cloudformation.list_stack_resources(StackName=stack_name)["StackResourceSummaries"]:
        logical, physical = resource.get("LogicalResourceId"), resource.get("PhysicalResourceId")
        if not logical or not physical:
            continue  # a type moto's CloudFormation skipped
        ids[logical] = physical
        if resource["ResourceType"] == "AWS::IAM::Role":
            ids[f"{logical}.Arn"] = iam.get_role(RoleName=physical)["Role"]["Arn"]
        elif resource["ResourceType"] == "AWS::SQS::Queue":
            attributes = sqs.get_queue_attributes(QueueUrl=physical, AttributeNames=["QueueArn"])
            ids[f"{logical}.Arn"] = attributes["Attributes"]["QueueArn"]
    return ids


def render_template(body: str, parameters: Mapping[str, str]) -> dict[str, Any]:
    """The template's resources for ``parameters``, conditions and functions resolved (cloud-radar, the tests'
    renderer; loaded as its ``Template.from_yaml`` loads a file)."""
    import yaml
    from cfn_tools import dump_yaml, load_yaml
    from cloud_radar.cf.unit import Template

    document = yaml.load(dump_yaml(load_yaml(body)), Loader=yaml.FullLoader)
    with contextlib.redirect_stdout(io.StringIO()):  # cloud-radar prints the template object it renders
        return dict(Template(document).render(dict(parameters)))


def template_document(body: str) -> dict[str, Any]:
    """The template in CloudFormation's long form (what ``aws cloudformation package`` writes)."""
    from awscli.customizations.cloudformation.yamlhelper import yaml_parse

    return dict(yaml_parse(body))


def _resolve(value: Any, physical_ids: Mapping[str, str]) -> Any:
    """Replace the logical ids cloud-radar leaves for ``Ref``/``GetAtt`` of resources with moto's ids."""
    if isinstance(value, dict):
        return {k: _resolve(v, physical_ids) for k, v in value.items()}
    if isinstance(value, list):
        return [_resolve(v, physical_ids) for v in value]
    if isinstance(value, str) and value in physical_ids:
        return physical_ids[value]
    return value


def fire(
    stepfunctions: SFNClient, schedule: DeployedSchedule, scheduled: datetime, execution_name: str
) -> str:
    """What EventBridge Scheduler does when ``schedule`` comes due at ``scheduled``: start its target."""
    started = stepfunctions.start_execution(
        stateMachineArn=schedule.target["Arn"], name=execution_name, input=schedule.start_input(scheduled)
    )
    return str(started["executionArn"])


# -- SageMaker Processing ------------------------------------------------------------------------------------
@dataclass(slots=True)
class JobRun:
    """One processing job the stand-in ran."""

    name: str
    request: Mapping[str, Any]
    status: str = "InProgress"
    exit_message: str = ""
    failure_reason: str = ""
    seconds: float = 0.0
    folder: Path | None = None
    log: Path | None = None


@dataclass
class LocalProcessing:
    """The stand-in for SageMaker Processing (module docstring). ``runner`` runs one job (the default runs its
    command for real; tests of the state machine pass one that decides the outcome)."""

    aws: AwsEmulator
    s3: S3Client
    workdir: Path
    region: str
    python: str = sys.executable
    runner: Callable[[LocalProcessing, JobRun], None] | None = None
    runs: dict[str, JobRun] = field(default_factory=dict)
    _queue: queue.Queue[JobRun | None] = field(default_factory=queue.Queue)
    _worker: threading.Thread | None = None

    def start(self) -> LocalProcessing:
        self.aws.observe(self._observe)
        self._worker = threading.Thread(target=self._work, name="local-processing", daemon=True)
        self._worker.start()
        return self

    def stop(self) -> None:
        self.aws.stop_observing(self._observe)
        self._queue.put(None)
        if self._worker is not None:
            self._worker.join(timeout=30)

    def _observe(self, target: str, request: dict[str, Any], status: int) -> None:
        if target != CREATE_PROCESSING_JOB or status != 200:
            return
        run = JobRun(str(request["ProcessingJobName"]), request)
        self.runs[run.name] = run
        self._update_moto(run)  # InProgress until the job has run (moto marks a new job Completed)
        self._queue.put(run)

    def _work(self) -> None:
        while (run := self._queue.get()) is not None:
            started = time.monotonic()
            try:
                (self.runner or LocalProcessing.run_job)(self, run)
            except Exception as error:
                log.exception("the local processing job %s could not run", run.name)
                run.status, run.failure_reason = "Failed", f"InternalServerError: {error}"
            run.seconds = time.monotonic() - started
            self._update_moto(run)

    def wait(self, name: str, timeout_s: float = 300) -> JobRun:
        deadline = time.monotonic() + timeout_s
        while name not in self.runs or self.runs[name].status == "InProgress":
            if time.monotonic() > deadline:
                raise TimeoutError(f"processing job {name} did not end in {timeout_s} s")
            time.sleep(0.1)
        return self.runs[name]

    def _update_moto(self, run: JobRun) -> None:
        from moto.backends import get_backend
        from moto.core.utils import utcnow  # the time type moto's responses serialise

        job = get_backend("sagemaker")[ACCOUNT_ID][self.region].processing_jobs[run.name]
        job.processing_job_status = run.status
        job.last_modified_time = utcnow()
        if run.status != "InProgress":
            job.processing_end_time = job.last_modified_time
            # moto's job answers DescribeProcessingJob with its attributes (exit_message -> ExitMessage).
            if run.exit_message:
                setattr(job, "exit_message", run.exit_message)  # noqa: B010 - not a field of moto's class
            if run.failure_reason:
                setattr(job, "failure_reason", run.failure_reason)  # noqa: B010

    # -- running a job for real --------------------------------------------------------------------------
    def run_job(self, run: JobRun) -> None:
        """Inputs down, the job's command, outputs up (module docstring)."""
        request = run.request
        folder = self.workdir / run.name
        if folder.exists():
            shutil.rmtree(folder)
        run.folder = folder
        storage = Storage(self.s3)
        for job_input in request.get("ProcessingInputs", []):
            self._download(storage, job_input["S3Input"], folder)
        app = request["AppSpecification"]
        command = [
            self._local(part, folder)
            for part in [*app["ContainerEntrypoint"], *app.get("ContainerArguments", [])]
        ]
        if command[0] in ("python", "python3"):
            command[0] = self.python
        env = {
            **os.environ,
            **request.get("Environment", {}),
            **spark_image_environment(folder, self.workdir, self.python),
        }
        run.log = folder / "job.log"
        limit = request.get("StoppingCondition", {}).get("MaxRuntimeInSeconds")
        with run.log.open("w") as out:
            try:
                result = subprocess.run(
                    command, env=env, stdout=out, stderr=subprocess.STDOUT, timeout=limit, check=False
                )
                code: int | None = result.returncode
            except subprocess.TimeoutExpired:
                code = None
        for job_output in request.get("ProcessingOutputConfig", {}).get("Outputs", []):
            self._upload(storage, job_output["S3Output"], folder)
        message = Path(self._local(MESSAGE_FILE, folder))
        run.exit_message = message.read_text(encoding="utf-8")[:1024] if message.is_file() else ""
        if code == 0:
            run.status = "Completed"
        elif code is None:
            run.status, run.failure_reason = (
                "Stopped",
                f"the job ran longer than MaxRuntimeInSeconds ({limit} s)",
            )
        else:
            run.status = "Failed"
            run.failure_reason = (
                f"AlgorithmError: the job's command exited with status {code} (log: {run.log})"
            )

    @staticmethod
    def _local(value: str, folder: Path) -> str:
        """A container path (``/opt/ml/...``) in the folder that stands for the container."""
        if value == CONTAINER_ROOT or value.startswith(CONTAINER_ROOT + "/"):
            return str(folder) + value
        return value

    def _download(self, storage: Storage, s3_input: Mapping[str, Any], folder: Path) -> None:
        prefix = S3Uri.parse(s3_input["S3Uri"])
        target = Path(self._local(s3_input["LocalPath"], folder))
        target.mkdir(parents=True, exist_ok=True)
        for location in storage.list_files(str(prefix)):
            key = S3Uri.parse(location).key
            relative = key[len(prefix.key) :].lstrip("/") or S3Uri.parse(location).name
            path = target / relative
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_bytes(storage.read_bytes(location))

    def _upload(self, storage: Storage, s3_output: Mapping[str, Any], folder: Path) -> None:
        source = Path(self._local(s3_output["LocalPath"], folder))
        if not source.is_dir():
            return
        base = S3Uri.parse(s3_output["S3Uri"])
        for path in sorted(p for p in source.rglob("*") if p.is_file()):
            data = path.read_bytes()
            content_type = "application/json" if path.suffix == ".json" else "application/octet-stream"
            storage.write_bytes(str(base.join(path.relative_to(source).as_posix())), data, content_type)


def spark_image_environment(folder: Path, workdir: Path, python: str) -> dict[str, str]:
    """What the job's environment needs for the Spark processing image's ``smspark-submit``: the sandbox's
    stand-in first on ``PATH``, and the folder that stands for ``/opt/ml``."""
    from pipelines.sandbox import smspark_submit

    tools = workdir / "image-tools"
    tools.mkdir(parents=True, exist_ok=True)
    launcher = tools / "smspark-submit"
    launcher.write_text(f'#!/bin/sh\nexec "{python}" "{smspark_submit.__file__}" "$@"\n', encoding="utf-8")
    launcher.chmod(0o755)
    return {
        "PATH": os.pathsep.join([str(tools), os.environ.get("PATH", "")]),
        smspark_submit.CONTAINER_ROOT_ENV: str(folder) + CONTAINER_ROOT,
    }


# -- SNS -----------------------------------------------------------------------------------------------------
def alert_queue(sqs: SQSClient, sns: SNSClient, topic_arn: str, name: str) -> str:
    """An SQS queue subscribed to the alert topic (where a person's email would be); its URL."""
    url = sqs.create_queue(QueueName=name)["QueueUrl"]
    arn = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
    sns.subscribe(TopicArn=topic_arn, Protocol="sqs", Endpoint=arn)
    return url


def received_alerts(sqs: SQSClient, queue_url: str) -> list[dict[str, Any]]:
    """The SNS notifications the queue holds (``Message`` is what the state machine published)."""
    received = sqs.receive_message(QueueUrl=queue_url, MaxNumberOfMessages=10)
    return [json.loads(message["Body"]) for message in received.get("Messages", [])]


def json_input(document: Mapping[str, Any]) -> str:
    return json.dumps(document, separators=(",", ":"))
