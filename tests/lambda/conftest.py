"""Fixtures of the scoring Lambda's tests (the world itself is in scoring_world.py).

Each test gets a clean moto account (``mock_aws``) holding the bucket and the predictions table, made by the
sandbox's world functions as lambda/template.yml makes them, and a fresh fake model; the runtime server, the
test's own clients and the function's cached clients are shared by all tests, because creating boto3 clients
is what would otherwise dominate the run time.
"""

from __future__ import annotations

import io
import logging
from collections.abc import Iterator
from typing import Any

import boto3
import pytest
from moto import mock_aws
from scoring_world import BUCKET, ENDPOINT, REGION, TABLE, FakeFraudModel, ScoringWorld

from pipelines.sandbox.lambda_runner import handler_module
from pipelines.sandbox.runtime_server import RuntimeServer
from pipelines.sandbox.world import create_bucket, create_predictions_table


@pytest.fixture(scope="session")
def scoring_runtime() -> Iterator[RuntimeServer]:
    with RuntimeServer() as runtime:
        yield runtime


@pytest.fixture(scope="session")
def test_clients() -> tuple[Any, Any]:
    # moto intercepts calls of clients created before or inside mock_aws alike.
    return boto3.client("s3", region_name=REGION), boto3.client("dynamodb", region_name=REGION)


@pytest.fixture
def scoring_world(
    monkeypatch: pytest.MonkeyPatch, scoring_runtime: RuntimeServer, test_clients: tuple[Any, Any]
) -> Iterator[ScoringWorld]:
    lambda_function = handler_module()
    model = FakeFraudModel()
    scoring_runtime.add_endpoint(ENDPOINT, model)
    scoring_runtime.reset_counts()
    for name, value in {
        **scoring_runtime.environment(),
        "AWS_DEFAULT_REGION": REGION,
        "AWS_REGION": REGION,
        "ENDPOINT_NAME": ENDPOINT,
        "DYNAMODB_TABLE_NAME": TABLE,
        "RETRY_BASE_DELAY_MS": "1",
        "RETRY_MAX_DELAY_MS": "5",
        "MAX_CONCURRENCY": "8",
        # The local endpoint answers in milliseconds; a short timeout keeps the deadline arithmetic of tests
        # that give the function little time (TIME_RESERVE_S >= ENDPOINT_TIMEOUT_S + 13).
        "ENDPOINT_TIMEOUT_S": "2",
    }.items():
        monkeypatch.setenv(name, value)
    s3, dynamodb = test_clients
    with mock_aws():
        create_bucket(s3, BUCKET, REGION)
        # Versioned, as lambda/template.yml creates it.
        s3.put_bucket_versioning(Bucket=BUCKET, VersioningConfiguration={"Status": "Enabled"})
        create_predictions_table(dynamodb, TABLE)
        # Powertools Logger writes JSON lines to the stream it was created with; read them from ours.
        log_stream = io.StringIO()
        handler = lambda_function.logger.registered_handler
        assert isinstance(handler, logging.StreamHandler)
        previous_stream = handler.setStream(log_stream)
        world = ScoringWorld(s3, dynamodb, model, scoring_runtime, monkeypatch, log_stream)
        try:
            yield world
        finally:
            handler.setStream(previous_stream)
            world.remove_injected_faults()
    scoring_runtime.remove_endpoint(ENDPOINT)
