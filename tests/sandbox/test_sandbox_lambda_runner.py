"""The scoring Lambda's real handler, run in-process on S3 events against the world's prod endpoint."""

from __future__ import annotations

import csv
import io
from collections.abc import Iterator
from typing import Any

import pytest
from transaction_scoring import contract, store

from pipelines.capture import parse_capture_line
from pipelines.sandbox.aws_emulator import patched_environ
from pipelines.sandbox.data import GeneratorSettings, generate_transactions, stream_csv
from pipelines.sandbox.endpoint import ModelEndpoint
from pipelines.sandbox.lambda_runner import FunctionSettings, invoke_function, s3_event
from pipelines.sandbox.runtime_server import RuntimeServer
from pipelines.sandbox.serving import serve_world
from pipelines.sandbox.world import AwsClients, BucketKind, World
from pipelines.storage import Storage


def test_the_event_is_an_object_created_notification_with_url_encoded_keys() -> None:
    event = s3_event("bucket-name", ["incoming/a file+1.csv"])
    [record] = event["Records"]
    assert record["eventSource"] == "aws:s3"
    assert record["eventName"] == "ObjectCreated:Put"
    assert record["s3"]["bucket"]["name"] == "bucket-name"
    assert record["s3"]["object"]["key"] == "incoming/a+file%2B1.csv"


def test_the_function_settings_are_its_environment_variables() -> None:
    environment = FunctionSettings(
        endpoint_name="fraud-detection-prod", table_name="predictions"
    ).environment()
    assert environment["ENDPOINT_NAME"] == "fraud-detection-prod"
    assert environment["DYNAMODB_TABLE_NAME"] == "predictions"
    assert environment["RECORDS_PER_REQUEST"] == "1"


@pytest.fixture
def served(
    world: World, sandbox_clients: AwsClients, aws_emulator_server: Any
) -> Iterator[tuple[World, dict[str, ModelEndpoint]]]:
    """The world's endpoints on a runtime server, this process's clients pointed at it and at moto."""
    with (
        RuntimeServer() as runtime,
        aws_emulator_server.activated(),
        patched_environ(runtime.environment(), remove=()),
    ):
        yield world, serve_world(world, runtime, sandbox_clients.sagemaker, sandbox_clients.s3)


def test_a_stream_file_is_scored_into_dynamodb_and_its_bad_rows_rejected(
    served: tuple[World, dict[str, ModelEndpoint]], sandbox_clients: AwsClients
) -> None:
    world, _ = served
    transactions = generate_transactions(GeneratorSettings(rows=40, seed=3))
    stream = stream_csv(transactions, bad_rows=3, seed=1)
    bucket = world.bucket(BucketKind.TRANSACTIONS)
    sandbox_clients.s3.put_object(Bucket=bucket, Key="incoming/test.csv", Body=stream.data)
    log = io.StringIO()

    response = invoke_function(
        s3_event(bucket, ["incoming/test.csv"]),
        FunctionSettings("fraud-detection-prod", world.settings.predictions_table),
        log,
    )

    assert (response["rows_read"], response["rows_stored"], response["rows_rejected"]) == (43, 40, 3)
    first = transactions.head(1)
    item = sandbox_clients.dynamodb.get_item(
        TableName=world.settings.predictions_table,
        Key={store.TRANSACTION_ID: {"S": first[contract.TRANSACTION_ID].iloc[0]}},
    )["Item"]
    expected = world.versions["v1"].model.predict(first)[0]
    assert float(store.from_dynamodb(item)[store.FRAUD_PROBABILITY_PCT]) == pytest.approx(
        expected.probability_pct
    )
    rejected = list(
        csv.DictReader(
            io.StringIO(Storage(sandbox_clients.s3).read_text(f"s3://{bucket}/rejected/incoming/test.csv"))
        )
    )
    assert [row[contract.TRANSACTION_ID] for row in rejected] == [d.transaction_id for d in stream.defects]
    assert "file scored" in log.getvalue()


def test_each_request_is_captured_with_the_transaction_id_as_inference_id(
    served: tuple[World, dict[str, ModelEndpoint]], sandbox_clients: AwsClients
) -> None:
    world, endpoints = served
    transactions = generate_transactions(GeneratorSettings(rows=5, seed=4))
    bucket = world.bucket(BucketKind.TRANSACTIONS)
    sandbox_clients.s3.put_object(Bucket=bucket, Key="incoming/ids.csv", Body=stream_csv(transactions).data)
    invoke_function(
        s3_event(bucket, ["incoming/ids.csv"]),
        FunctionSettings("fraud-detection-staging", world.settings.predictions_table),
        io.StringIO(),
    )
    storage = Storage(sandbox_clients.s3)
    lines = [
        line
        for f in endpoints["fraud-detection-staging"].flush()
        for line in storage.read_text(f).splitlines()
    ]
    ids = sorted(parse_capture_line(line).inference_id or "" for line in lines)
    assert ids == sorted(transactions[contract.TRANSACTION_ID])
