"""The monitoring state machine, executed by moto: job outcomes, alerts, polling, and the job it asks for.

The stack is deployed by moto's CloudFormation; the definition runs in moto's Step Functions interpreter; the
processing stand-in (``pipelines.sandbox.processing_backend``) marks each job InProgress and, here, ends it
the way each test says (the sandbox's tests run the real job).
"""

from __future__ import annotations

import json
import re
import time
from datetime import UTC, datetime

import pytest
from processing_stack import BUCKET, IMAGE, KMS_KEY, SPARK_IMAGE, deploy_stack, stage_parameters

from pipelines.processing.executions import wait
from pipelines.sandbox.processing_backend import (
    JobRun,
    LocalProcessing,
    activate_state_machine,
    deployed_schedules,
    fire,
    json_input,
)
from pipelines.timewindow import format_utc

SCHEDULED = datetime(2026, 7, 29, 14, 0, tzinfo=UTC)
JOB_NAME = re.compile(r"[a-zA-Z0-9](-*[a-zA-Z0-9]){0,62}")

pytestmark = [pytest.mark.slow, pytest.mark.xdist_group("state-machines")]


def ends_with(status: str, exit_message: str = "", failure_reason: str = "", after_s: float = 0.0):
    def runner(_processing: LocalProcessing, run: JobRun) -> None:
        time.sleep(after_s)
        run.status, run.exit_message, run.failure_reason = status, exit_message, failure_reason

    return runner


def execute(world, monitors: str = "DataQuality,ModelQuality", name: str = "e1") -> dict:
    started = world.clients.stepfunctions.start_execution(
        stateMachineArn=world.state_machine_arn,
        name=name,
        input=json_input(
            {"ScheduledTime": format_utc(SCHEDULED), "Monitors": monitors, "MaxRuntimeInSeconds": 3600}
        ),
    )
    return wait(world.clients.stepfunctions, started["executionArn"], poll_s=0.2, timeout_s=60)


def test_a_clean_execution_succeeds_and_alerts_nobody(state_machine_world) -> None:
    state_machine_world.processing.runner = ends_with(
        "Completed", "Completed: fraud-prod-DataQuality Completed; fraud-prod-ModelQuality Completed"
    )
    assert execute(state_machine_world)["status"] == "SUCCEEDED"
    assert state_machine_world.alerts() == []


def test_violations_reach_the_topic_as_model_monitors_event_and_the_execution_succeeds(
    state_machine_world,
) -> None:
    message = (
        "CompletedWithViolations: fraud-prod-DataQuality CompletedWithViolations; "
        "fraud-prod-ModelQuality Completed"
    )
    state_machine_world.processing.runner = ends_with("Completed", message)
    assert execute(state_machine_world)["status"] == "SUCCEEDED"
    (notification,) = state_machine_world.alerts()
    event = json.loads(notification["Message"])
    assert (event["source"], event["detail-type"]) == (
        "aws.sagemaker",
        "SageMaker Processing Job State Change",
    )
    detail = event["detail"]
    assert (detail["ProcessingJobStatus"], detail["ExitMessage"]) == ("Completed", message)
    assert (detail["Endpoint"], detail["Monitors"], detail["ScheduledTime"]) == (
        "fraud-prod", "DataQuality,ModelQuality", "2026-07-29T14:00:00Z",
    )  # fmt: skip
    assert event["resources"][0] == detail["ProcessingJobArn"]
    assert [o["OutputName"] for o in detail["ProcessingOutputConfig"]["Outputs"]][:2] == [
        "data-quality", "model-quality",
    ]  # fmt: skip


def test_a_failed_job_is_published_and_fails_the_execution(state_machine_world) -> None:
    state_machine_world.processing.runner = ends_with(
        "Failed", failure_reason="AlgorithmError: the job's command exited with status 1"
    )
    execution = execute(state_machine_world)
    assert (execution["status"], execution.get("error")) == ("FAILED", "MonitoringFailed")
    (notification,) = state_machine_world.alerts()
    detail = json.loads(notification["Message"])["detail"]
    assert (detail["ProcessingJobStatus"], detail["ExitMessage"]) == ("Failed", "")
    assert detail["FailureReason"].startswith("AlgorithmError")


def test_a_monitor_that_failed_in_a_completed_job_fails_the_execution(state_machine_world) -> None:
    state_machine_world.processing.runner = ends_with(
        "Completed", "Failed: fraud-prod-ModelQuality Failed; fraud-prod-DataQuality Completed"
    )
    assert execute(state_machine_world)["status"] == "FAILED"
    (notification,) = state_machine_world.alerts()
    assert json.loads(notification["Message"])["detail"]["ExitMessage"].startswith(
        "Failed: fraud-prod-ModelQuality"
    )


def test_the_state_machine_waits_while_the_job_runs(state_machine_world) -> None:
    state_machine_world.processing.runner = ends_with("Completed", "Completed: x", after_s=2.5)
    execution = execute(state_machine_world)
    assert execution["status"] == "SUCCEEDED"
    history = state_machine_world.clients.stepfunctions.get_execution_history(
        executionArn=execution["executionArn"], maxResults=1000
    )["events"]
    entered = [e["stateEnteredEventDetails"]["name"] for e in history if "stateEnteredEventDetails" in e]
    assert entered.count("WaitForJob") >= 2  # described InProgress, waited, described again
    assert entered[-1] == "Done"


def test_the_job_is_requested_with_the_image_code_wheelhouse_command_role_and_outputs(
    state_machine_world,
) -> None:
    state_machine_world.processing.runner = ends_with("Completed", "Completed: x")
    execute(state_machine_world)
    (run,) = state_machine_world.processing.runs.values()
    request, parameters = run.request, state_machine_world.stack.parameters
    assert JOB_NAME.fullmatch(request["ProcessingJobName"])
    assert len(request["ProcessingJobName"]) <= 63
    assert request["AppSpecification"]["ImageUri"] == IMAGE
    assert request["AppSpecification"]["ContainerEntrypoint"] == [
        "python3", "/opt/ml/processing/input/code/pipelines/container/bootstrap.py",
    ]  # fmt: skip
    arguments = request["AppSpecification"]["ContainerArguments"]
    job = dict(
        zip(arguments[arguments.index("--") + 1 :: 2], arguments[arguments.index("--") + 2 :: 2], strict=True)
    )
    assert job == {
        "--stage-config": parameters["StageExportS3Uri"],
        "--capture": parameters["DataCaptureS3Uri"],
        "--variant": "AllTraffic",
        "--model": parameters["ProcessingModelS3Uri"],
        "--monitors": "DataQuality,ModelQuality",
        "--scheduled-time": "2026-07-29T14:00:00Z",
        "--window-start": "",
        "--output": "/opt/ml/processing/output",
        "--exit-message": "/opt/ml/output/message",
        "--metrics-namespace": "PortableModelMonitor",
    }
    inputs = {i["InputName"]: i["S3Input"] for i in request["ProcessingInputs"]}
    assert inputs["code"]["S3Uri"] == parameters["ProcessingCodeS3Uri"]
    assert inputs["wheelhouse"]["LocalPath"] == "/opt/ml/processing/input/wheelhouse"
    outputs = {o["OutputName"]: o["S3Output"] for o in request["ProcessingOutputConfig"]["Outputs"]}
    assert outputs["data-quality"] == {
        "S3Uri": f"s3://{BUCKET}/monitor-output/data-quality/fraud-prod/fraud-prod-DataQuality",
        "LocalPath": "/opt/ml/processing/output/fraud-prod/fraud-prod-DataQuality",
        "S3UploadMode": "EndOfJob",
    }
    assert request["RoleArn"] == state_machine_world.stack.physical_ids["ProcessingJobRole.Arn"]
    assert arguments[arguments.index("--engine") + 1] == "local"  # the stage config names no engine
    assert request["ProcessingResources"]["ClusterConfig"] == {
        "InstanceCount": 1, "InstanceType": "ml.m5.large", "VolumeSizeInGB": 20,
    }  # fmt: skip
    assert "KmsKeyId" not in request["ProcessingOutputConfig"]
    assert request["NetworkConfig"] == {
        "EnableInterContainerTrafficEncryption": True,
        "EnableNetworkIsolation": False,
    }
    assert request["StoppingCondition"] == {"MaxRuntimeInSeconds": 3600}
    tags = {t["Key"]: t["Value"] for t in request["Tags"]}
    assert tags["monitoring:stack"] == state_machine_world.stack.backend.name  # the nested stack


def run_on(world, stack, monitors: str, max_runtime_s: int) -> JobRun:
    """One execution of another deployed stack's state machine, its job completed; the job it requested."""
    arn = activate_state_machine(world.aws, world.clients.stepfunctions, stack.state_machine_arn)
    world.processing.runner = ends_with("Completed", "Completed: x")
    started = world.clients.stepfunctions.start_execution(
        stateMachineArn=arn,
        input=json_input(
            {
                "ScheduledTime": "2026-07-29T14:00:00Z",
                "Monitors": monitors,
                "MaxRuntimeInSeconds": max_runtime_s,
            }
        ),
    )
    wait(world.clients.stepfunctions, started["executionArn"], poll_s=0.2, timeout_s=60)
    (run,) = world.processing.runs.values()
    return run


def test_a_kms_key_encrypts_the_jobs_volume_and_outputs(state_machine_world) -> None:
    world = state_machine_world
    stack = deploy_stack(
        world.clients,
        stage_parameters(KMSKeyArn=KMS_KEY, MonitoringScheduleName="fraud-prod-kms"),
        name="with-kms",
    )
    run = run_on(world, stack, "ModelBias", 1800)
    assert run.request["ProcessingOutputConfig"]["KmsKeyId"] == KMS_KEY
    assert run.request["ProcessingResources"]["ClusterConfig"]["VolumeKmsKeyId"] == KMS_KEY


def test_a_spark_stage_requests_the_spark_image_on_its_instance_count_with_the_spark_bootstrap(
    state_machine_world,
) -> None:
    world = state_machine_world
    stack = deploy_stack(
        world.clients,
        stage_parameters(
            MonitoringEngine="spark",
            MonitoringJobInstanceCount="3",
            ProcessingImageUri=SPARK_IMAGE,
            MonitoringScheduleName="fraud-prod-spark",
        ),
        name="with-spark",
    )
    run = run_on(world, stack, "DataQuality", 3600)
    app = run.request["AppSpecification"]
    assert app["ImageUri"] == SPARK_IMAGE
    assert run.request["ProcessingResources"]["ClusterConfig"]["InstanceCount"] == 3
    assert app["ContainerEntrypoint"] == [
        "python3", "/opt/ml/processing/input/code/pipelines/container/bootstrap.py",
    ]  # fmt: skip
    arguments = app["ContainerArguments"]
    bootstrap = arguments[: arguments.index("--")]
    assert dict(zip(bootstrap[::2], bootstrap[1::2], strict=True)) == {
        "--wheelhouse": "/opt/ml/processing/input/wheelhouse",
        "--packages": "/opt/ml/processing/packages",
        "--exit-message": "/opt/ml/output/message",
        "--engine": "spark",
        "--spark-configuration": "/opt/ml/processing/input/conf/configuration.json",
    }
    # every instance gets the code and the wheelhouse (each one installs the packages its executors import)
    assert {
        i["InputName"]: i["S3Input"]["S3DataDistributionType"] for i in run.request["ProcessingInputs"]
    } == {
        "code": "FullyReplicated",
        "wheelhouse": "FullyReplicated",
    }


def test_a_schedule_starts_its_group_of_monitors_with_the_scheduled_time(
    state_machine_world, tmp_path
) -> None:
    world = state_machine_world
    from processing_stack import BACKEND_TEMPLATE

    schedules = {
        s.name: s
        for s in deployed_schedules(
            BACKEND_TEMPLATE.read_text(),
            world.stack.parameters,
            world.stack.physical_ids,
            world.clients.scheduler,
        )
    }
    # Model quality shares data quality's hourly expression: no schedule of its own.
    assert sorted(schedules) == [
        "fraud-prod-DataQuality",
        "fraud-prod-ModelBias",
        "fraud-prod-ModelExplainability",
    ]
    stored = world.clients.scheduler.get_schedule(Name="fraud-prod-DataQuality")
    assert (stored["ScheduleExpression"], stored["FlexibleTimeWindow"]) == (
        "cron(0 * ? * * *)",
        {"Mode": "OFF"},
    )
    assert (
        stored["Target"]["DeadLetterConfig"]["Arn"] == world.stack.physical_ids["ScheduleDeadLetterQueue.Arn"]
    )
    world.processing.runner = ends_with("Completed", "Completed: x")
    execution_arn = fire(world.clients.stepfunctions, schedules["fraud-prod-DataQuality"], SCHEDULED, "tick")
    assert wait(world.clients.stepfunctions, execution_arn, poll_s=0.2, timeout_s=60)["status"] == "SUCCEEDED"
    (run,) = world.processing.runs.values()
    arguments = run.request["AppSpecification"]["ContainerArguments"]
    assert arguments[arguments.index("--monitors") + 1] == "DataQuality,ModelQuality"
    assert arguments[arguments.index("--scheduled-time") + 1] == "2026-07-29T14:00:00Z"
    assert run.request["StoppingCondition"] == {"MaxRuntimeInSeconds": 3600}
