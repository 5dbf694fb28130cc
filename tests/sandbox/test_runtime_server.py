"""The local SageMaker runtime: boto3's sagemaker-runtime client works against it unchanged."""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from datetime import UTC, datetime

import boto3
import pytest
from botocore.config import Config
from botocore.exceptions import ClientError

from pipelines.sandbox.runtime_server import (
    EndpointFault,
    Invocation,
    InvocationResult,
    RuntimeServer,
)


def _echo(invocation: Invocation) -> InvocationResult:
    """Answers with what it received, so tests can see the request as the handler saw it."""
    return InvocationResult(
        body=json.dumps(
            {
                "endpoint": invocation.endpoint_name,
                "body": invocation.body.decode(),
                "content_type": invocation.content_type,
                "accept": invocation.accept,
                "inference_id": invocation.inference_id,
                "target_variant": invocation.target_variant,
                "received_at_is_utc": invocation.received_at.tzinfo is UTC,
            }
        ).encode(),
        invoked_variant="Blue",
    )


def _fails_once(fault: EndpointFault) -> object:
    """A handler that answers ``fault`` to its first request and succeeds afterwards."""
    calls = {"n": 0}
    lock = threading.Lock()

    def handler(invocation: Invocation) -> InvocationResult:
        with lock:
            calls["n"] += 1
            first = calls["n"] == 1
        if first:
            raise fault
        return InvocationResult(body=b"[]")

    return handler


@pytest.fixture
def server(monkeypatch: pytest.MonkeyPatch) -> Iterator[RuntimeServer]:
    with RuntimeServer({"echo": _echo}) as running:
        # The route the Lambda and the sandbox use: only the sagemaker-runtime client goes there.
        for name, value in running.environment().items():
            monkeypatch.setenv(name, value)
        yield running


def _client(max_attempts: int = 1):
    return boto3.client(
        "sagemaker-runtime",
        region_name="us-east-1",
        config=Config(retries={"mode": "standard", "max_attempts": max_attempts}),
    )


def test_environment_points_only_the_sagemaker_runtime_client_at_the_server(server: RuntimeServer) -> None:
    assert server.environment() == {"AWS_ENDPOINT_URL_SAGEMAKER_RUNTIME": server.endpoint_url}
    assert server.endpoint_url.startswith("http://127.0.0.1:")


def test_handler_receives_body_headers_and_inference_id(server: RuntimeServer) -> None:
    response = _client().invoke_endpoint(
        EndpointName="echo",
        Body=b'[{"Transaction ID":"t-1"}]',
        ContentType="application/json",
        Accept="application/json",
        InferenceId="t-1",
        TargetVariant="Blue",
    )
    seen = json.loads(response["Body"].read())
    assert seen == {
        "endpoint": "echo",
        "body": '[{"Transaction ID":"t-1"}]',
        "content_type": "application/json",
        "accept": "application/json",
        "inference_id": "t-1",
        "target_variant": "Blue",
        "received_at_is_utc": True,
    }


def test_response_carries_content_type_and_invoked_variant(server: RuntimeServer) -> None:
    response = _client().invoke_endpoint(EndpointName="echo", Body=b"{}")
    response["Body"].read()
    assert response["ContentType"] == "application/json"
    assert response["InvokedProductionVariant"] == "Blue"


def test_missing_headers_reach_the_handler_as_empty_and_none(server: RuntimeServer) -> None:
    seen = json.loads(_client().invoke_endpoint(EndpointName="echo", Body=b"x")["Body"].read())
    assert seen["accept"] == ""
    assert seen["inference_id"] is None
    assert seen["target_variant"] is None


def test_unknown_endpoint_is_a_validation_error_naming_it(server: RuntimeServer) -> None:
    with pytest.raises(ClientError) as caught:
        _client().invoke_endpoint(EndpointName="fraud-prod", Body=b"{}")
    error = caught.value.response["Error"]
    assert error["Code"] == "ValidationError"
    assert "Endpoint fraud-prod of account" in error["Message"]
    assert caught.value.response["ResponseMetadata"]["HTTPStatusCode"] == 400


def test_endpoint_fault_is_answered_with_its_status_code_and_message(server: RuntimeServer) -> None:
    def refuse(invocation: Invocation) -> InvocationResult:
        raise EndpointFault(400, "ValidationError", "body is not JSON")

    server.add_endpoint("strict", refuse)
    with pytest.raises(ClientError) as caught:
        _client().invoke_endpoint(EndpointName="strict", Body=b"not json")
    assert caught.value.response["Error"] == {"Code": "ValidationError", "Message": "body is not JSON"}


def test_a_crashing_handler_becomes_a_model_error_with_the_original_status(server: RuntimeServer) -> None:
    def crash(invocation: Invocation) -> InvocationResult:
        raise KeyError("Transaction Amount")

    server.add_endpoint("crashy", crash)
    with pytest.raises(ClientError) as caught:
        _client().invoke_endpoint(EndpointName="crashy", Body=b"{}")
    response = caught.value.response
    assert response["Error"]["Code"] == "ModelError"
    assert response["ResponseMetadata"]["HTTPStatusCode"] == 424
    assert response["OriginalStatusCode"] == 500
    assert "KeyError" in response["Error"]["Message"]


@pytest.mark.parametrize(
    ("fault", "retried"),
    [
        (EndpointFault(400, "ThrottlingException", "Rate exceeded"), True),
        (EndpointFault(503, "ServiceUnavailable", "try later"), True),
        (EndpointFault(424, "ModelError", "model failed"), False),
        (EndpointFault(400, "ValidationError", "bad input"), False),
    ],
    ids=["throttling", "service-unavailable", "model-error", "validation-error"],
)
def test_botocore_standard_retries_treat_faults_like_sagemaker(
    server: RuntimeServer, fault: EndpointFault, retried: bool
) -> None:
    server.add_endpoint("flaky", _fails_once(fault))  # type: ignore[arg-type]
    client = _client(max_attempts=2)
    if retried:
        response = client.invoke_endpoint(EndpointName="flaky", Body=b"{}")
        assert response["ResponseMetadata"]["RetryAttempts"] == 1
    else:
        with pytest.raises(ClientError) as caught:
            client.invoke_endpoint(EndpointName="flaky", Body=b"{}")
        assert caught.value.response["Error"]["Code"] == fault.code
    assert server.counts("flaky").requests == (2 if retried else 1)
    assert server.counts("flaky").faults == 1


def test_counters_count_requests_and_faults_per_endpoint(server: RuntimeServer) -> None:
    client = _client()
    for _ in range(3):
        client.invoke_endpoint(EndpointName="echo", Body=b"{}")["Body"].read()
    with pytest.raises(ClientError):
        client.invoke_endpoint(EndpointName="nowhere", Body=b"{}")
    assert server.requests_served == {"echo": 3, "nowhere": 1}
    assert server.faults_answered == {"nowhere": 1}
    server.reset_counts()
    assert server.counts("echo").requests == 0


def test_concurrent_requests_are_served_in_parallel(server: RuntimeServer) -> None:
    # Eight requests that each wait for the others: they only finish if the server runs them concurrently.
    barrier = threading.Barrier(8, timeout=5)

    def waits_for_everyone(invocation: Invocation) -> InvocationResult:
        barrier.wait()
        return InvocationResult(body=invocation.body)

    server.add_endpoint("together", waits_for_everyone)
    client = boto3.client(
        "sagemaker-runtime",
        region_name="us-east-1",
        endpoint_url=server.endpoint_url,
        config=Config(max_pool_connections=8, retries={"mode": "standard", "max_attempts": 1}),
    )
    results: list[bytes] = []

    def call(index: int) -> None:
        body = client.invoke_endpoint(EndpointName="together", Body=str(index).encode())["Body"].read()
        results.append(body)

    threads = [threading.Thread(target=call, args=(i,)) for i in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=10)
    assert sorted(results) == sorted(str(i).encode() for i in range(8))


def test_removed_endpoint_is_not_found_any_more(server: RuntimeServer) -> None:
    server.remove_endpoint("echo")
    assert server.endpoint_names == ()
    with pytest.raises(ClientError, match="ValidationError"):
        _client().invoke_endpoint(EndpointName="echo", Body=b"{}")


def test_stopped_server_has_no_url_and_can_be_stopped_twice() -> None:
    server = RuntimeServer().start()
    server.stop()
    server.stop()
    with pytest.raises(RuntimeError, match="not started"):
        _ = server.endpoint_url


def test_invocation_time_is_the_time_of_the_request(server: RuntimeServer) -> None:
    seen: list[datetime] = []

    def record(invocation: Invocation) -> InvocationResult:
        seen.append(invocation.received_at)
        return InvocationResult(body=b"[]")

    server.add_endpoint("clock", record)
    before = datetime.now(UTC)
    _client().invoke_endpoint(EndpointName="clock", Body=b"{}")["Body"].read()
    assert before <= seen[0] <= datetime.now(UTC)
