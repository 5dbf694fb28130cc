"""Running the scoring Lambda's real handler in this process, on S3 events shaped as S3 sends them.

moto can store a Lambda function but not run Python code without Docker, so the sandbox calls
``lambda/lambda_function.lambda_handler`` itself, the way the Lambda runtime would: with an S3 event
notification (https://docs.aws.amazon.com/AmazonS3/latest/userguide/notification-content-structure.html,
keys URL-encoded), a context object, and the function's environment variables. Its JSON log lines and EMF
metrics, which Lambda would send to CloudWatch, go to a log file instead of the terminal.
"""

from __future__ import annotations

import contextlib
import importlib
import json
import logging
import sys
import time
import uuid
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from types import ModuleType
from typing import Any, TextIO
from urllib.parse import quote_plus

from pipelines.sandbox.aws_emulator import ACCOUNT_ID, REGION, patched_environ
from pipelines.sandbox.distributed_map import Invoke, StatesError
from pipelines.timewindow import utc_now

# lambda/ is the function's deployment package: lambda_function.py sits at its top.
LAMBDA_DIR = Path(__file__).resolve().parents[2] / "lambda"
FUNCTION_NAME = "transaction-scoring"
FUNCTION_ARN = f"arn:aws:lambda:{REGION}:{ACCOUNT_ID}:function:{FUNCTION_NAME}"


def s3_record(
    bucket: str,
    key: str,
    *,
    event_name: str = "ObjectCreated:Put",
    region: str = REGION,
    version_id: str | None = None,
    etag: str | None = None,
    size: int = 0,
) -> dict[str, Any]:
    """One record of an S3 event notification for ``key`` of ``bucket`` (the key URL-encoded, as S3 sends
    it: spaces as ``+``), naming the object's version and ETag when given, as S3 does."""
    found: dict[str, Any] = {"key": quote_plus(key, safe="/"), "size": size, "sequencer": "0"}
    if etag is not None:
        found["eTag"] = etag.strip('"')
    if version_id is not None:
        found["versionId"] = version_id
    return {
        "eventVersion": "2.1",
        "eventSource": "aws:s3",
        "awsRegion": region,
        "eventTime": utc_now().strftime("%Y-%m-%dT%H:%M:%S.000Z"),
        "eventName": event_name,
        "userIdentity": {"principalId": "AWS:SANDBOX"},
        "requestParameters": {"sourceIPAddress": "127.0.0.1"},
        "responseElements": {"x-amz-request-id": "SANDBOX", "x-amz-id-2": "SANDBOX"},
        "s3": {
            "s3SchemaVersion": "1.0",
            "configurationId": "transaction-scoring-trigger",
            "bucket": {
                "name": bucket,
                "ownerIdentity": {"principalId": "SANDBOX"},
                "arn": f"arn:aws:s3:::{bucket}",
            },
            "object": found,
        },
    }


def s3_event(bucket: str, keys: Sequence[str], *, region: str = REGION) -> dict[str, Any]:
    """An ``ObjectCreated:Put`` notification for ``keys`` of ``bucket`` (without version and ETag: the
    function then reads them with HeadObject)."""
    return {"Records": [s3_record(bucket, key, region=region) for key in keys]}


def put_event(
    bucket: str, key: str, put_response: Mapping[str, Any], size: int, *, region: str = REGION
) -> dict[str, Any]:
    """The notification S3 sends for the ``PutObject`` that answered ``put_response``."""
    return {
        "Records": [
            s3_record(
                bucket,
                key,
                region=region,
                version_id=put_response.get("VersionId"),
                etag=str(put_response["ETag"]),
                size=size,
            )
        ]
    }


@dataclass
class LambdaContext:
    """What the Lambda runtime's context object offers the handler (and Powertools reads).

    The remaining time runs down from ``timeout_s`` as Lambda's does, from the first time the handler asks.
    """

    function_name: str = FUNCTION_NAME
    memory_limit_in_mb: int = 1769
    timeout_s: float = 900
    aws_request_id: str = field(default_factory=lambda: str(uuid.uuid4()))
    function_version: str = "$LATEST"
    invoked_function_arn: str = FUNCTION_ARN
    log_group_name: str = f"/aws/lambda/{FUNCTION_NAME}"
    log_stream_name: str = "sandbox"
    clock: Callable[[], float] = field(default=time.monotonic, repr=False)
    _started: float | None = field(default=None, repr=False)

    def get_remaining_time_in_millis(self) -> int:
        now = self.clock()
        if self._started is None:
            self._started = now
        return max(0, int((self.timeout_s - (now - self._started)) * 1000))


@dataclass(frozen=True, slots=True)
class FunctionSettings:
    """The function's environment (``transaction_scoring.settings``), as lambda/template.yml sets it."""

    endpoint_name: str
    table_name: str
    input_prefix: str = "incoming/"
    records_per_request: int = 1  # InferenceId = Transaction ID, which Model Monitor joins labels on
    max_concurrency: int = 8
    # Other variables of the function (e.g. the fan-out's), by name.
    more: Mapping[str, str] = field(default_factory=dict)

    def environment(self) -> dict[str, str]:
        return {
            "ENDPOINT_NAME": self.endpoint_name,
            "DYNAMODB_TABLE_NAME": self.table_name,
            "INPUT_PREFIX": self.input_prefix,
            "RECORDS_PER_REQUEST": str(self.records_per_request),
            "MAX_CONCURRENCY": str(self.max_concurrency),
            "POWERTOOLS_SERVICE_NAME": FUNCTION_NAME,
            **self.more,
        }


def handler_module() -> ModuleType:
    """``lambda_function``, imported from the deployment package folder as the Lambda runtime does."""
    if str(LAMBDA_DIR) not in sys.path:
        sys.path.insert(0, str(LAMBDA_DIR))
    return importlib.import_module("lambda_function")


@contextlib.contextmanager
def _function_output(log: TextIO) -> Iterator[None]:
    """Send the handler's JSON log lines (Powertools Logger) and EMF metrics (printed) to ``log``."""
    module = handler_module()
    handler = module.logger.registered_handler
    previous = handler.setStream(log) if isinstance(handler, logging.StreamHandler) else None
    try:
        with contextlib.redirect_stdout(log):
            yield
    finally:
        if isinstance(handler, logging.StreamHandler) and previous is not None:
            handler.setStream(previous)


@contextlib.contextmanager
def function_environment(settings: FunctionSettings, log: TextIO) -> Iterator[None]:
    """The function's environment variables, and its output going to ``log``, for the block (every
    invocation inside it, from any thread: both are process-wide)."""
    with patched_environ(settings.environment(), remove=()), _function_output(log):
        yield


def invoke_function(event: Mapping[str, Any], settings: FunctionSettings, log: TextIO) -> dict[str, Any]:
    """Call the handler once with ``event``; returns its response (it raises when Lambda would retry)."""
    with function_environment(settings, log):
        response: dict[str, Any] = handler_module().lambda_handler(dict(event), LambdaContext())
    return response


def handler_task(function_arn: str = FUNCTION_ARN, *, timeout_s: float = 900) -> Invoke:
    """Step Functions' ``lambda:invoke`` of the function, calling the handler here: the payload goes in as
    JSON, the response comes back as JSON, and an exception is the task's failure named by its type, as
    Lambda reports a function error (``errorType``) to Step Functions."""
    module = handler_module()
    names = {function_arn, function_arn.rsplit(":", 1)[-1]}

    def invoke(function_name: str, payload: Any) -> Any:
        if function_name not in names:
            raise StatesError("Lambda.ResourceNotFoundException", f"Function not found: {function_name}")
        event = json.loads(json.dumps(payload))
        try:
            response = module.lambda_handler(event, LambdaContext(timeout_s=timeout_s))
        except Exception as error:  # a function error is the task's result, with its type and message
            cause = json.dumps({"errorMessage": str(error), "errorType": type(error).__name__})
            raise StatesError(type(error).__name__, cause) from error
        return json.loads(json.dumps(response))

    return invoke
