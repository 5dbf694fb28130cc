"""The AWS clients of the scoring function, built once per Lambda container and shared by all threads.

The Lambda package cannot import ``pipelines.aws`` (it ships on its own), so this is its one place for
clients. Endpoints are never hard-coded: boto3 honours ``AWS_ENDPOINT_URL`` and
``AWS_ENDPOINT_URL_<SERVICE>``, which is how tests and the sandbox point the calls at moto and at the
local SageMaker runtime.
"""

from __future__ import annotations

import boto3
from botocore.config import Config

from transaction_scoring.scoring import Clients
from transaction_scoring.settings import Settings

# botocore's own retries are off for the calls in the scoring loop: ``retry.RetryPolicy`` is the one retry
# layer there (attempts and backoff from the settings). S3 calls (one read and two writes per file) keep
# botocore's standard retries.
_NO_RETRIES = Config(retries={"mode": "standard", "total_max_attempts": 1})
_STANDARD_RETRIES = Config(retries={"mode": "standard", "max_attempts": 5})
# The request parameters of these two clients are built by our own code (``store.to_dynamodb``, the
# contract), so botocore's client-side validation of every attribute of every item only costs CPU: a third
# of a BatchWriteItem's client time. A malformed request still fails, with the service's ValidationException.
_BUILT_BY_US = Config(parameter_validation=False)
# SageMaker answers within 60 s or fails the request; wait a little longer than that before giving up.
# https://docs.aws.amazon.com/sagemaker/latest/dg/realtime-endpoints-test-endpoints.html
_INVOKE_READ_TIMEOUT_S = 70


def create_clients(settings: Settings, session: boto3.Session | None = None) -> Clients:
    """Clients with connection pools large enough for the function's concurrency."""
    session = session or boto3.Session()
    return Clients(
        s3=session.client("s3", config=_STANDARD_RETRIES),
        dynamodb=session.client(
            "dynamodb",
            # Every chunk worker holds at most one DynamoDB connection at a time.
            config=_NO_RETRIES.merge(_BUILT_BY_US).merge(
                Config(max_pool_connections=settings.max_concurrency + 4)
            ),
        ),
        sagemaker_runtime=session.client(
            "sagemaker-runtime",
            config=_NO_RETRIES.merge(_BUILT_BY_US).merge(
                Config(max_pool_connections=settings.max_concurrency, read_timeout=_INVOKE_READ_TIMEOUT_S)
            ),
        ),
    )
