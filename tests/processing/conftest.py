"""Fixtures of the Processing backend's tests: a deployed stack whose state machine moto executes."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import boto3
import pytest
from processing_stack import BUCKET, DeployedStack, deploy_stack, stage_parameters

from pipelines.sandbox.aws_emulator import AwsEmulator
from pipelines.sandbox.processing_backend import (
    LocalProcessing,
    activate_state_machine,
    alert_queue,
    received_alerts,
)

SERVICES = (
    "cloudformation",
    "iam",
    "sqs",
    "sns",
    "stepfunctions",
    "sagemaker",
    "s3",
    "scheduler",
    "cloudwatch",
    "kms",
)


@dataclass(frozen=True)
class Clients:
    cloudformation: Any
    iam: Any
    sqs: Any
    sns: Any
    stepfunctions: Any
    sagemaker: Any
    s3: Any
    scheduler: Any
    cloudwatch: Any
    kms: Any


@pytest.fixture(scope="session")
def clients(aws_emulator_server: AwsEmulator) -> Clients:
    """Clients of the session's moto server, made once (creating boto3 clients is slow)."""
    with aws_emulator_server.activated():
        return Clients(*(boto3.client(name) for name in SERVICES))


@dataclass
class StateMachineWorld:
    aws: AwsEmulator
    clients: Clients
    stack: DeployedStack
    state_machine_arn: str
    alerts_queue_url: str
    processing: LocalProcessing

    def alerts(self) -> list[dict[str, Any]]:
        """The SNS notifications the queue subscribed to the alert topic received."""
        return received_alerts(self.clients.sqs, self.alerts_queue_url)


@pytest.fixture
def state_machine_world(
    aws_emulator: AwsEmulator, clients: Clients, tmp_path: Path
) -> Iterator[StateMachineWorld]:
    """The prod stack on the Processing backend, its state machine executable, an SQS queue on its topic and
    the processing stand-in (tests set ``processing.runner`` to decide each job's outcome)."""
    clients.s3.create_bucket(Bucket=BUCKET)
    stack = deploy_stack(clients, stage_parameters())
    queue_url = alert_queue(clients.sqs, clients.sns, stack.topic_arn, "alerts")
    arn = activate_state_machine(aws_emulator, clients.stepfunctions, stack.state_machine_arn)
    processing = LocalProcessing(aws_emulator, clients.s3, tmp_path / "jobs", aws_emulator.region).start()
    try:
        yield StateMachineWorld(aws_emulator, clients, stack, arn, queue_url, processing)
    finally:
        processing.stop()
        aws_emulator.execute_state_machines(False)
