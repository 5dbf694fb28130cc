"""The world's models behind their endpoint names, called with boto3's sagemaker-runtime client."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from botocore.exceptions import ClientError
from transaction_scoring import contract

from pipelines.aws import client
from pipelines.capture import parse_capture_line
from pipelines.sandbox.aws_emulator import patched_environ
from pipelines.sandbox.data import request_records
from pipelines.sandbox.endpoint import ManualClock
from pipelines.sandbox.runtime_server import RuntimeServer
from pipelines.sandbox.serving import serve_world
from pipelines.sandbox.world import AwsClients, Stage, World
from pipelines.storage import Storage


@pytest.fixture(scope="module")
def runtime() -> Iterator[tuple[RuntimeServer, Any]]:
    with RuntimeServer() as server, patched_environ(server.environment(), remove=()):
        yield server, client("sagemaker-runtime")


def test_each_endpoint_answers_with_the_model_of_its_stage(
    world: World, sandbox_clients: AwsClients, runtime: tuple[RuntimeServer, Any]
) -> None:
    server, sagemaker_runtime = runtime
    serve_world(world, server, sandbox_clients.sagemaker, sandbox_clients.s3)
    records = request_records(world.versions["v1"].training.head(5))
    for stage in Stage:
        deployment = world.deployment(stage)
        response = sagemaker_runtime.invoke_endpoint(
            EndpointName=deployment.endpoint_name,
            Body=contract.encode_request(records),
            ContentType=contract.CONTENT_TYPE,
            Accept=contract.ACCEPT,
        )
        assert contract.decode_response(response["Body"].read()) == deployment.version.model.predict(records)
        assert response["InvokedProductionVariant"] == "AllTraffic"


def test_capture_lands_where_the_endpoint_config_says_in_the_clocks_hour(
    world: World, sandbox_clients: AwsClients, runtime: tuple[RuntimeServer, Any]
) -> None:
    server, sagemaker_runtime = runtime
    clock = ManualClock(datetime(2026, 4, 10, 8, 15, tzinfo=UTC))
    endpoints = serve_world(world, server, sandbox_clients.sagemaker, sandbox_clients.s3, clock=clock)
    records = request_records(world.versions["v1"].training.head(4))
    for minute, record in zip((15, 50, 65, 115), records, strict=True):
        clock.set(datetime(2026, 4, 10, 8, tzinfo=UTC) + timedelta(minutes=minute))
        sagemaker_runtime.invoke_endpoint(
            EndpointName="fraud-detection-prod",
            Body=contract.encode_request([record]),
            ContentType=contract.CONTENT_TYPE,
            InferenceId=record[contract.TRANSACTION_ID],
        )
    written = endpoints["fraud-detection-prod"].flush()
    prefix = "s3://fraud-detection-p-sandbox00001-artifacts/data-capture/fraud-detection-prod/AllTraffic/2026/04/10/"
    assert sorted(location.removeprefix(prefix)[:9] for location in written) == ["08/15-00-", "09/05-00-"]
    storage = Storage(sandbox_clients.s3)
    ids = [
        parse_capture_line(line).inference_id
        for location in storage.list_files(world.settings.capture_uri)
        for line in storage.read_text(location).splitlines()
    ]
    assert sorted(ids) == sorted(r[contract.TRANSACTION_ID] for r in records)
    assert endpoints["fraud-detection-staging"].flush() == []


def test_a_request_the_model_refuses_is_a_model_error_for_botocore(
    world: World, sandbox_clients: AwsClients, runtime: tuple[RuntimeServer, Any]
) -> None:
    server, sagemaker_runtime = runtime
    serve_world(world, server, sandbox_clients.sagemaker, sandbox_clients.s3)
    with pytest.raises(ClientError) as caught:
        sagemaker_runtime.invoke_endpoint(
            EndpointName="fraud-detection-staging", Body=b"not json", ContentType=contract.CONTENT_TYPE
        )
    error = caught.value.response
    assert error["Error"]["Code"] == "ModelError"
    assert error["OriginalStatusCode"] == 400
    assert error["ResponseMetadata"]["RetryAttempts"] == 0
