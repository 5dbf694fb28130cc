"""Retries: which errors are worth another attempt, and how long to wait."""

from __future__ import annotations

import pytest
from botocore.exceptions import ClientError, EndpointConnectionError, ParamValidationError
from transaction_scoring.retry import RetryPolicy, describe, is_retryable


def _client_error(code: str, status: int) -> ClientError:
    return ClientError(
        {
            "Error": {"Code": code, "Message": f"{code} happened"},
            "ResponseMetadata": {"HTTPStatusCode": status},
        },
        "AnOperation",
    )


@pytest.mark.parametrize(
    ("code", "status", "retryable"),
    [
        ("ThrottlingException", 400, True),
        ("ProvisionedThroughputExceededException", 400, True),
        ("RequestLimitExceeded", 400, True),
        ("ServiceUnavailable", 503, True),
        ("InternalServerError", 500, True),
        ("InternalDependencyException", 530, True),
        ("ModelNotReadyException", 429, True),
        ("SomethingNew", 502, True),
        ("ModelError", 424, False),
        ("ValidationError", 400, False),
        ("ValidationException", 400, False),
        ("ConditionalCheckFailedException", 400, False),
        ("AccessDeniedException", 400, False),
    ],
)
def test_throttling_and_5xx_are_retryable_and_client_mistakes_are_not(
    code: str, status: int, retryable: bool
) -> None:
    assert is_retryable(_client_error(code, status)) is retryable


def test_connection_failures_are_retryable_and_bugs_are_not() -> None:
    assert is_retryable(EndpointConnectionError(endpoint_url="http://127.0.0.1:1"))
    assert not is_retryable(ParamValidationError(report="bad"))
    assert not is_retryable(ValueError("bug"))


def test_describe_gives_code_and_message() -> None:
    assert (
        describe(_client_error("ThrottlingException", 400))
        == "ThrottlingException: ThrottlingException happened"
    )
    assert describe(ValueError("x")) == "ValueError: x"


def test_delays_double_up_to_the_cap_with_full_jitter() -> None:
    policy = RetryPolicy(max_attempts=6, base_delay_s=0.1, max_delay_s=0.5, uniform=lambda low, high: high)
    assert list(policy.delays()) == [0.1, 0.2, 0.4, 0.5, 0.5]
    jittered = RetryPolicy(max_attempts=3, base_delay_s=1.0, max_delay_s=5.0, uniform=lambda low, high: low)
    assert list(jittered.delays()) == [0.0, 0.0]


def test_a_retryable_error_is_retried_until_success() -> None:
    slept: list[float] = []
    outcomes = [_client_error("ThrottlingException", 400), _client_error("ServiceUnavailable", 503), "ok"]
    retried: list[str] = []

    def operation() -> str:
        outcome = outcomes.pop(0)
        if isinstance(outcome, Exception):
            raise outcome
        return outcome

    policy = RetryPolicy(
        max_attempts=5, base_delay_s=0.01, sleep=slept.append, uniform=lambda low, high: high
    )
    result = policy.call(operation, on_retry=lambda error: retried.append(describe(error)))
    assert result == "ok"
    assert slept == [0.01, 0.02]
    assert retried == [
        "ThrottlingException: ThrottlingException happened",
        "ServiceUnavailable: ServiceUnavailable happened",
    ]


def test_the_last_error_is_raised_when_attempts_run_out() -> None:
    calls: list[int] = []

    def always_throttled() -> None:
        calls.append(1)
        raise _client_error("ThrottlingException", 400)

    with pytest.raises(ClientError, match="ThrottlingException"):
        RetryPolicy(max_attempts=3, sleep=lambda _: None).call(always_throttled)
    assert len(calls) == 3


def test_a_non_retryable_error_is_raised_at_once() -> None:
    calls: list[int] = []

    def refused() -> None:
        calls.append(1)
        raise _client_error("ValidationError", 400)

    with pytest.raises(ClientError, match="ValidationError"):
        RetryPolicy(max_attempts=5, sleep=lambda _: None).call(refused)
    assert len(calls) == 1
