"""Calling the endpoint: InferenceId, retries of throttling, failures as reasons (local runtime server)."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import boto3
import pytest
from botocore.config import Config
from scoring_world import FakeFraudModel
from transaction_scoring import contract
from transaction_scoring.endpoint import EndpointFailure, inference_id_for, score_batch
from transaction_scoring.retry import RetryPolicy

from pipelines.sandbox.runtime_server import InvocationResult, RuntimeServer

POLICY = RetryPolicy(max_attempts=4, base_delay_s=0.001, max_delay_s=0.002)
RECORD = {c: 1 for c in contract.REQUEST_COLUMNS} | {
    contract.TRANSACTION_ID: "tx-1",
    contract.TRANSACTION_AMOUNT: 700.0,
}


@pytest.fixture
def model() -> FakeFraudModel:
    return FakeFraudModel()


@pytest.fixture
def client(model: FakeFraudModel) -> Iterator[Any]:
    with RuntimeServer({"fraud": model}) as server:
        yield boto3.client(
            "sagemaker-runtime",
            region_name="us-east-1",
            endpoint_url=server.endpoint_url,
            config=Config(retries={"mode": "standard", "total_max_attempts": 1}),
        )


def test_one_record_uses_its_transaction_id_as_inference_id() -> None:
    assert inference_id_for(["tx-42"]) == "tx-42"


def test_a_batch_gets_a_stable_digest_that_is_no_transaction_id() -> None:
    batch_id = inference_id_for(["tx-1", "tx-2", "tx-3"])
    assert batch_id == inference_id_for(["tx-1", "tx-2", "tx-3"])
    assert batch_id != inference_id_for(["tx-1", "tx-2", "tx-4"])
    assert batch_id.startswith("batch-")
    assert len(batch_id) <= 64
    assert "tx-1" not in batch_id


def test_score_batch_sends_the_contract_body_with_inference_id(client: Any, model: FakeFraudModel) -> None:
    answer = score_batch(client, "fraud", [RECORD], ["tx-1"], POLICY)
    assert answer.predictions == [contract.Prediction(label=1, probability_pct=70.0)]
    assert (answer.inference_id, answer.variant, answer.retries) == ("tx-1", "AllTraffic", 0)
    (invocation,) = model.invocations
    assert contract.decode_request(invocation.body) == [RECORD]
    assert (invocation.inference_id, invocation.content_type, invocation.accept) == (
        "tx-1",
        "application/json",
        "application/json",
    )


def test_throttling_is_retried_with_backoff(client: Any, model: FakeFraudModel) -> None:
    model.throttle_first = 2
    answer = score_batch(client, "fraud", [RECORD], ["tx-1"], POLICY)
    assert answer.retries == 2
    assert len(model.invocations) == 3


def test_throttling_beyond_the_attempts_is_a_failure_naming_endpoint_and_error(
    client: Any, model: FakeFraudModel
) -> None:
    model.throttle_first = 10
    with pytest.raises(EndpointFailure) as raised:
        score_batch(client, "fraud", [RECORD], ["tx-1"], POLICY)
    assert raised.value.reason == "endpoint fraud: ThrottlingException: Rate exceeded (attempt 4 of 4)"
    assert len(model.invocations) == 4


def test_a_model_error_is_not_retried(client: Any, model: FakeFraudModel) -> None:
    model.failing_ids = {"tx-1"}
    with pytest.raises(EndpointFailure, match=r"endpoint fraud: ModelError: .* \(attempt 1 of 4\)"):
        score_batch(client, "fraud", [RECORD], ["tx-1"], POLICY)
    assert len(model.invocations) == 1


def test_an_answer_outside_the_contract_is_a_failure(client: Any) -> None:
    with RuntimeServer({"short": lambda invocation: InvocationResult(body=b"[]")}) as server:
        short_client = boto3.client(
            "sagemaker-runtime", region_name="us-east-1", endpoint_url=server.endpoint_url
        )
        with pytest.raises(
            EndpointFailure, match="answered outside the contract: response has 0 predictions for 1"
        ):
            score_batch(short_client, "short", [RECORD], ["tx-1"], POLICY)


def test_an_unknown_endpoint_is_a_failure_naming_it(client: Any) -> None:
    with pytest.raises(
        EndpointFailure, match="endpoint nowhere: ValidationError: Endpoint nowhere of account"
    ):
        score_batch(client, "nowhere", [RECORD], ["tx-1"], POLICY)
