"""The one place that creates AWS clients.

Endpoints are never hard-coded: boto3 honours ``AWS_ENDPOINT_URL`` and the per-service
``AWS_ENDPOINT_URL_<SERVICE>`` variables, which is how the sandbox and the tests point every call at
moto (and ``sagemaker-runtime`` at the sandbox's model server) without a line of code knowing.
"""

from __future__ import annotations

from typing import Any

import boto3
from botocore.config import Config

from pipelines.errors import UserError

# Standard retry mode retries throttling and 5xx with exponential backoff and jitter.
_RETRIES = {"mode": "standard", "max_attempts": 5}


def session(region: str | None = None, profile: str | None = None) -> boto3.Session:
    """A boto3 session; fails with a user error when no region is configured anywhere."""
    result = boto3.Session(region_name=region, profile_name=profile)
    if not result.region_name:
        raise UserError("no AWS region configured: set AWS_REGION (or AWS_DEFAULT_REGION), or pass --region")
    return result


def client(service: str, aws_session: boto3.Session | None = None, *, max_pool: int = 10) -> Any:
    """A client for ``service`` with standard retries and a connection pool of ``max_pool``."""
    aws_session = aws_session or session()
    config = Config(retries=_RETRIES, max_pool_connections=max_pool)
    return aws_session.client(service, config=config)
