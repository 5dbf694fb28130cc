"""The one place that creates AWS clients.

Endpoints are never hard-coded: boto3 honours ``AWS_ENDPOINT_URL`` and the per-service
``AWS_ENDPOINT_URL_<SERVICE>`` variables, which is how the sandbox and the tests point every call at
moto (and ``sagemaker-runtime`` at the sandbox's model server) without a line of code knowing.

Clients are typed (``boto3-stubs``, for type checking only): ``client("s3")`` is an ``S3Client``, so mypy
checks every call's operation and parameters.
"""

from __future__ import annotations

import os
from typing import TYPE_CHECKING, Any, Literal, overload

import boto3
from botocore.config import Config

from pipelines.errors import UserError

if TYPE_CHECKING:
    from mypy_boto3_cloudformation import CloudFormationClient
    from mypy_boto3_cloudwatch import CloudWatchClient
    from mypy_boto3_dynamodb import DynamoDBClient
    from mypy_boto3_iam import IAMClient
    from mypy_boto3_kms import KMSClient
    from mypy_boto3_s3 import S3Client
    from mypy_boto3_sagemaker import SageMakerClient
    from mypy_boto3_sagemaker_runtime import SageMakerRuntimeClient
    from mypy_boto3_scheduler import EventBridgeSchedulerClient
    from mypy_boto3_sns import SNSClient
    from mypy_boto3_sqs import SQSClient
    from mypy_boto3_stepfunctions import SFNClient

# Standard retry mode retries throttling and 5xx with exponential backoff and jitter.
_RETRIES = Config(retries={"mode": "standard", "max_attempts": 5})


def session(region: str | None = None, profile: str | None = None) -> boto3.Session:
    """A boto3 session; fails with a user error when no region is configured anywhere.

    The region is ``region``, else ``AWS_REGION``, else what boto3 finds (``AWS_DEFAULT_REGION``, the
    profile). boto3 alone never reads ``AWS_REGION``, but the AWS CLI v2, the other SDKs, the Lambda runtime
    and CodeBuild set or honour it, ahead of ``AWS_DEFAULT_REGION``
    (https://docs.aws.amazon.com/cli/latest/userguide/cli-configure-envvars.html): we do the same.
    """
    result = boto3.Session(region_name=region or os.environ.get("AWS_REGION") or None, profile_name=profile)
    if not result.region_name:
        raise UserError("no AWS region configured: set AWS_REGION (or AWS_DEFAULT_REGION), or pass --region")
    return result


@overload
def client(
    service: Literal["s3"], aws_session: boto3.Session | None = None, *, max_pool: int = 10
) -> S3Client: ...
@overload
def client(
    service: Literal["sagemaker"], aws_session: boto3.Session | None = None, *, max_pool: int = 10
) -> SageMakerClient: ...
@overload
def client(
    service: Literal["sagemaker-runtime"], aws_session: boto3.Session | None = None, *, max_pool: int = 10
) -> SageMakerRuntimeClient: ...
@overload
def client(
    service: Literal["dynamodb"], aws_session: boto3.Session | None = None, *, max_pool: int = 10
) -> DynamoDBClient: ...
@overload
def client(
    service: Literal["cloudformation"], aws_session: boto3.Session | None = None, *, max_pool: int = 10
) -> CloudFormationClient: ...
@overload
def client(
    service: Literal["iam"], aws_session: boto3.Session | None = None, *, max_pool: int = 10
) -> IAMClient: ...
@overload
def client(
    service: Literal["kms"], aws_session: boto3.Session | None = None, *, max_pool: int = 10
) -> KMSClient: ...
@overload
def client(
    service: Literal["cloudwatch"], aws_session: boto3.Session | None = None, *, max_pool: int = 10
) -> CloudWatchClient: ...
@overload
def client(
    service: Literal["stepfunctions"], aws_session: boto3.Session | None = None, *, max_pool: int = 10
) -> SFNClient: ...
@overload
def client(
    service: Literal["scheduler"], aws_session: boto3.Session | None = None, *, max_pool: int = 10
) -> EventBridgeSchedulerClient: ...
@overload
def client(
    service: Literal["sns"], aws_session: boto3.Session | None = None, *, max_pool: int = 10
) -> SNSClient: ...
@overload
def client(
    service: Literal["sqs"], aws_session: boto3.Session | None = None, *, max_pool: int = 10
) -> SQSClient: ...
def client(service: str, aws_session: boto3.Session | None = None, *, max_pool: int = 10) -> Any:
    """A client for ``service`` with standard retries and a connection pool of ``max_pool``."""
    aws_session = aws_session or session()
    config = _RETRIES.merge(Config(max_pool_connections=max_pool))
    return aws_session.client(service, config=config)  # type: ignore[call-overload]
