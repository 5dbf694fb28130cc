"""The function's configuration: environment variables, each with a documented default, checked up front.

A bad value stops the invocation before anything is read, with one line per bad variable naming the value
and what is allowed (``ConfigurationError``), instead of failing half-way through a file.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from transaction_scoring.errors import ConfigurationError

# https://docs.aws.amazon.com/sagemaker/latest/APIReference/API_CreateEndpoint.html (EndpointName pattern)
_ENDPOINT_NAME = re.compile(r"^[a-zA-Z0-9](-*[a-zA-Z0-9]){0,62}$")
# https://docs.aws.amazon.com/amazondynamodb/latest/developerguide/HowItWorks.NamingRulesDataTypes.html
_TABLE_NAME = re.compile(r"^[a-zA-Z0-9_.\-]{3,255}$")
_TRUE = frozenset({"1", "true", "yes", "on"})
_FALSE = frozenset({"0", "false", "no", "off"})

# Largest batch a request may carry: ~300 bytes a record keeps a request far below InvokeEndpoint's payload
# limit (https://docs.aws.amazon.com/sagemaker/latest/dg/realtime-endpoints-test-endpoints.html).
MAX_RECORDS_PER_REQUEST = 500


@dataclass(frozen=True, slots=True)
class Settings:
    """Everything the function can be told through its environment (see ``ENVIRONMENT``)."""

    endpoint_name: str = "fraud-detection-prod"
    table_name: str = "fraud-predictions"
    records_per_request: int = 1
    max_concurrency: int = 32
    max_attempts: int = 5
    retry_base_delay_ms: int = 100
    retry_max_delay_ms: int = 5_000
    store_personal_data: bool = False
    input_prefix: str = "incoming/"
    rejected_rows_prefix: str = "rejected/"
    failed_rows_prefix: str = "failed/"
    time_reserve_s: int = 30

    @classmethod
    def from_environ(cls, environ: Mapping[str, str]) -> Settings:
        """Settings from environment variables; unset ones take their default. All problems at once."""
        values: dict[str, Any] = {}
        problems: list[str] = []
        for variable in ENVIRONMENT:
            raw = environ.get(variable.name)
            if raw is None:
                continue
            try:
                values[variable.field] = variable.parse(raw.strip())
            except ValueError as exc:
                problems.append(f"environment variable {variable.name}={raw!r}: {exc}")
        if problems:
            raise ConfigurationError(problems)
        settings = cls(**values)
        settings.check()
        return settings

    def check(self) -> None:
        """Rules that involve more than one setting."""
        problems: list[str] = []
        if self.retry_max_delay_ms < self.retry_base_delay_ms:
            problems.append(
                f"RETRY_MAX_DELAY_MS={self.retry_max_delay_ms} is below RETRY_BASE_DELAY_MS="
                f"{self.retry_base_delay_ms}: the largest delay must be at least the first one"
            )
        outputs = {
            "REJECTED_ROWS_PREFIX": self.rejected_rows_prefix,
            "FAILED_ROWS_PREFIX": self.failed_rows_prefix,
        }
        for name, prefix in outputs.items():
            # An output written under the input prefix would trigger the function again, on its own output.
            if self.input_prefix and prefix.startswith(self.input_prefix):
                problems.append(
                    f"{name}={prefix!r} is inside INPUT_PREFIX={self.input_prefix!r}: rows written there "
                    "would trigger the function again; choose a prefix outside the input prefix"
                )
        rejected, failed = self.rejected_rows_prefix, self.failed_rows_prefix
        if rejected.startswith(failed) or failed.startswith(rejected):
            problems.append(
                f"REJECTED_ROWS_PREFIX={rejected!r} and FAILED_ROWS_PREFIX={failed!r} overlap: "
                "give them distinct prefixes so rejected and failed rows never share a key"
            )
        if problems:
            raise ConfigurationError(problems)

    @property
    def output_prefixes(self) -> tuple[str, str]:
        return (self.rejected_rows_prefix, self.failed_rows_prefix)


# -- parsing -------------------------------------------------------------------------------------------


def _whole_number(low: int, high: int) -> Callable[[str], int]:
    def parse(raw: str) -> int:
        try:
            value = int(raw)
        except ValueError:
            raise ValueError(f"not a whole number: expected {low}..{high}") from None
        if not low <= value <= high:
            raise ValueError(f"out of range: expected {low}..{high}")
        return value

    return parse


def _boolean(raw: str) -> bool:
    lowered = raw.lower()
    if lowered in _TRUE:
        return True
    if lowered in _FALSE:
        return False
    raise ValueError("not a boolean: expected true or false")


def _matching(pattern: re.Pattern[str], allowed: str) -> Callable[[str], str]:
    def parse(raw: str) -> str:
        if not raw:
            raise ValueError(f"must not be empty: expected {allowed}")
        if not pattern.match(raw):
            raise ValueError(f"invalid: expected {allowed}")
        return raw

    return parse


def _prefix(*, empty_allowed: bool) -> Callable[[str], str]:
    def parse(raw: str) -> str:
        if raw.startswith("/"):
            raise ValueError("an S3 key prefix does not start with '/': e.g. 'incoming/'")
        if not raw and not empty_allowed:
            raise ValueError("must not be empty: e.g. 'rejected/'")
        return raw

    return parse


@dataclass(frozen=True, slots=True)
class EnvironmentVariable:
    """One variable: its name, the ``Settings`` field it sets, how it is parsed, and what it means."""

    name: str
    field: str
    parse: Callable[[str], Any]
    meaning: str


ENVIRONMENT: tuple[EnvironmentVariable, ...] = (
    EnvironmentVariable(
        "ENDPOINT_NAME",
        "endpoint_name",
        _matching(_ENDPOINT_NAME, "a SageMaker endpoint name (letters, digits, hyphens; at most 63)"),
        "SageMaker endpoint that scores the transactions.",
    ),
    EnvironmentVariable(
        "DYNAMODB_TABLE_NAME",
        "table_name",
        _matching(_TABLE_NAME, "a DynamoDB table name (3-255 letters, digits, '_', '-', '.')"),
        "DynamoDB table that receives one prediction per transaction (partition key TransactionID).",
    ),
    EnvironmentVariable(
        "RECORDS_PER_REQUEST",
        "records_per_request",
        _whole_number(1, MAX_RECORDS_PER_REQUEST),
        "Records sent in one InvokeEndpoint request. 1 keeps InferenceId = Transaction ID, which "
        "SageMaker's model-quality monitor needs; more is faster (see docs/lambda.md).",
    ),
    EnvironmentVariable(
        "MAX_CONCURRENCY",
        "max_concurrency",
        _whole_number(1, 256),
        "Endpoint requests in flight at once, per invocation.",
    ),
    EnvironmentVariable(
        "MAX_ATTEMPTS",
        "max_attempts",
        _whole_number(1, 20),
        "Attempts per endpoint request or DynamoDB call when throttled or failing with a 5xx.",
    ),
    EnvironmentVariable(
        "RETRY_BASE_DELAY_MS",
        "retry_base_delay_ms",
        _whole_number(0, 60_000),
        "First backoff delay; it doubles per attempt, with full jitter.",
    ),
    EnvironmentVariable(
        "RETRY_MAX_DELAY_MS",
        "retry_max_delay_ms",
        _whole_number(0, 300_000),
        "Largest backoff delay.",
    ),
    EnvironmentVariable(
        "STORE_PERSONAL_DATA",
        "store_personal_data",
        _boolean,
        "Also store IP Address, Shipping Address and Billing Address in DynamoDB (never sent to the "
        "endpoint).",
    ),
    EnvironmentVariable(
        "INPUT_PREFIX",
        "input_prefix",
        _prefix(empty_allowed=True),
        "Only objects under this key prefix are scored (others are skipped with a warning); '' = any.",
    ),
    EnvironmentVariable(
        "REJECTED_ROWS_PREFIX",
        "rejected_rows_prefix",
        _prefix(empty_allowed=False),
        "Rejected rows of s3://bucket/KEY go to s3://bucket/{prefix}KEY.",
    ),
    EnvironmentVariable(
        "FAILED_ROWS_PREFIX",
        "failed_rows_prefix",
        _prefix(empty_allowed=False),
        "Rows that still failed after retries go to s3://bucket/{prefix}KEY.",
    ),
    EnvironmentVariable(
        "TIME_RESERVE_S",
        "time_reserve_s",
        _whole_number(0, 600),
        "Stop reading new rows when less than this many seconds of the Lambda timeout remain, finish "
        "what is in flight and fail the invocation so that Lambda's retry continues the file.",
    ),
)
