"""The AWS clients of the scoring function, built once per Lambda container and shared by all threads.

The Lambda package cannot import ``pipelines.aws`` (it ships on its own), so this is its one place for
clients. Endpoints are never hard-coded: boto3 honours ``AWS_ENDPOINT_URL`` and
``AWS_ENDPOINT_URL_<SERVICE>``, which is how tests and the sandbox point the calls at moto and at the
local SageMaker runtime.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import boto3
from botocore.config import Config

from transaction_scoring.settings import CONNECT_TIMEOUT_S, Settings


@dataclass(frozen=True, slots=True)
class Clients:
    """The AWS clients scoring needs (thread-safe; shared by all workers)."""

    s3: Any
    dynamodb: Any
    sagemaker_runtime: Any
    stepfunctions: Any = None  # only when the fan-out state machine is configured


# botocore's own retries are off for the calls in the scoring loop: ``retry.RetryPolicy`` is the one retry
# layer there (attempts and backoff from the settings). S3 calls (one read and two writes per file) keep
# botocore's standard retries.
_NO_RETRIES = Config(retries={"mode": "standard", "total_max_attempts": 1})
_STANDARD_RETRIES = Config(retries={"mode": "standard", "max_attempts": 5})
# The request parameters of these two clients are built by our own code (``store.to_dynamodb``, the
# contract), so botocore's client-side validation of every attribute of every item only costs CPU: a third
# of a BatchWriteItem's client time. A malformed request still fails, with the service's ValidationException.
_BUILT_BY_US = Config(parameter_validation=False)
# Every call's time is bounded (issue 13, "deadline overrun"): an attempt lasts at most connect + read
# timeout, which is what the retry policy's deadline counts on (``attempt_s``). botocore's default read
# timeout is 60 s; the endpoint's is ENDPOINT_TIMEOUT_S (SageMaker itself answers within 60 s or fails:
# https://docs.aws.amazon.com/sagemaker/latest/dg/realtime-endpoints-test-endpoints.html).
DYNAMODB_READ_TIMEOUT_S = 5
S3_READ_TIMEOUT_S = 20


def endpoint_attempt_s(settings: Settings) -> float:
    return CONNECT_TIMEOUT_S + settings.endpoint_timeout_s


def dynamodb_attempt_s() -> float:
    return CONNECT_TIMEOUT_S + DYNAMODB_READ_TIMEOUT_S


def create_clients(settings: Settings, session: boto3.Session | None = None) -> Clients:
    """Clients with connection pools large enough for the function's concurrency, every call time-bounded."""
    session = session or boto3.Session()
    return Clients(
        s3=session.client(
            "s3",
            config=_STANDARD_RETRIES.merge(
                Config(connect_timeout=CONNECT_TIMEOUT_S, read_timeout=S3_READ_TIMEOUT_S)
            ),
        ),
        dynamodb=session.client(
            "dynamodb",
            # Every chunk worker holds at most one DynamoDB connection at a time.
            config=_NO_RETRIES.merge(_BUILT_BY_US).merge(
                Config(
                    max_pool_connections=settings.max_concurrency + 4,
                    connect_timeout=CONNECT_TIMEOUT_S,
                    read_timeout=DYNAMODB_READ_TIMEOUT_S,
                )
            ),
        ),
        sagemaker_runtime=session.client(
            "sagemaker-runtime",
            config=_NO_RETRIES.merge(_BUILT_BY_US).merge(
                Config(
                    max_pool_connections=settings.max_concurrency,
                    connect_timeout=CONNECT_TIMEOUT_S,
                    read_timeout=settings.endpoint_timeout_s,
                )
            ),
        ),
        stepfunctions=(
            session.client("stepfunctions", config=_STANDARD_RETRIES)
            if settings.fan_out_state_machine_arn
            else None
        ),
    )
