"""The function's configuration: environment variables, each with a documented default, checked up front.

A bad value stops the invocation before anything is read, with one line per bad variable naming the value
and what is allowed (``ConfigurationError``), instead of failing half-way through a file.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from enum import StrEnum
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
# https://docs.aws.amazon.com/step-functions/latest/apireference/API_StartExecution.html (stateMachineArn)
_STATE_MACHINE_ARN = re.compile(r"^arn:aws[a-z-]*:states:[a-z0-9-]+:\d{12}:stateMachine:[A-Za-z0-9_-]{1,80}$")
_KMS_KEY = re.compile(
    r"^(arn:aws[a-z-]*:kms:[a-z0-9-]+:\d{12}:(key|alias)/[A-Za-z0-9/_-]+|alias/[A-Za-z0-9/_-]+|[a-f0-9-]{36})$"
)
# Writing the outputs and the checkpoint after the last request: what TIME_RESERVE_S must leave beyond a
# request's longest attempt (a few S3 and DynamoDB calls, each well under a second unless throttled).
FINISH_S = 10
# A fan-out slice's rows travel in the Lambda invocation payload (256 KiB at most): the state machine cuts
# slices at this many bytes of rows (ItemBatcher.MaxInputBytesPerBatch), leaving room for the file's header
# and identity (BatchInput). A row is ~550 bytes as the CSV reader's JSON, so ~370 rows fit.
SLICE_INPUT_BYTES = 200 * 1024
MAX_SLICE_ROWS = 10_000
# Longest wait for a connection to any AWS endpoint (clients.py); part of every attempt's time.
CONNECT_TIMEOUT_S = 3
MiB = 1024 * 1024


class MonitoringBackend(StrEnum):
    """How the stage is monitored (the deployment parameter ``MonitoringBackend`` of both templates)."""

    MODEL_MONITOR = "ModelMonitor"  # SageMaker Model Monitor: joins ground truth on the request's InferenceId
    PROCESSING = (
        "Processing"  # our monitors as Processing jobs: join on the Transaction ID inside each record
    )


# RECORDS_PER_REQUEST when it is not set, by backend. Model Monitor's merge needs InferenceId = Transaction
# ID, so one record per request. Our monitors lose nothing with batches; 25 records per request measured 28x
# the straightforward design here and more per request buys little, while every record of a request shares its
# fate when the model fails on one of them (see docs/lambda-exactly-once.md, "Batch size").
DEFAULT_RECORDS_PER_REQUEST: Mapping[MonitoringBackend, int] = {
    MonitoringBackend.MODEL_MONITOR: 1,
    MonitoringBackend.PROCESSING: 25,
}


@dataclass(frozen=True, slots=True)
class Settings:
    """Everything the function can be told through its environment (see ``ENVIRONMENT``)."""

    endpoint_name: str = "fraud-detection-prod"
    table_name: str = "fraud-predictions"
    monitoring_backend: MonitoringBackend = MonitoringBackend.PROCESSING
    records_per_request: int = 0  # 0: DEFAULT_RECORDS_PER_REQUEST of the monitoring backend
    max_concurrency: int = 32
    max_attempts: int = 5
    retry_base_delay_ms: int = 100
    retry_max_delay_ms: int = 5_000
    endpoint_timeout_s: int = 15
    store_personal_data: bool = False
    input_prefix: str = "incoming/"
    rejected_rows_prefix: str = "rejected/"
    failed_rows_prefix: str = "failed/"
    time_reserve_s: int = 30
    quarantine_kms_key_id: str = ""
    fan_out_state_machine_arn: str = ""
    fan_out_min_bytes: int = 32 * MiB
    fan_out_slice_rows: int = 400
    fan_out_max_concurrency: int = 4
    fan_out_tolerated_failure_percentage: int = 10
    fan_out_results_prefix: str = "fan-out-results/"

    def __post_init__(self) -> None:
        object.__setattr__(self, "monitoring_backend", MonitoringBackend(self.monitoring_backend))
        if not self.records_per_request:
            object.__setattr__(
                self,
                "records_per_request",
                DEFAULT_RECORDS_PER_REQUEST[MonitoringBackend(self.monitoring_backend)],
            )

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
            "FAN_OUT_RESULTS_PREFIX": self.fan_out_results_prefix,
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
        least_reserve = self.endpoint_timeout_s + CONNECT_TIMEOUT_S + FINISH_S
        if self.time_reserve_s < least_reserve:
            # A request started just before the reserve begins may take the connect timeout plus
            # ENDPOINT_TIMEOUT_S; then the outputs and the checkpoint must still be written before Lambda ends
            # the invocation.
            problems.append(
                f"TIME_RESERVE_S={self.time_reserve_s} is less than "
                f"ENDPOINT_TIMEOUT_S={self.endpoint_timeout_s} + {CONNECT_TIMEOUT_S} s to connect + "
                f"{FINISH_S} s to write the outputs: raise TIME_RESERVE_S to at least {least_reserve} or "
                "lower ENDPOINT_TIMEOUT_S"
            )
        if problems:
            raise ConfigurationError(problems)

    @property
    def output_prefixes(self) -> tuple[str, str, str]:
        return (self.rejected_rows_prefix, self.failed_rows_prefix, self.fan_out_results_prefix)


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


def _choice(options: type[StrEnum]) -> Callable[[str], StrEnum]:
    def parse(raw: str) -> StrEnum:
        try:
            return options(raw)
        except ValueError:
            raise ValueError(f"expected one of {', '.join(o.value for o in options)}") from None

    return parse


def _optional(pattern: re.Pattern[str], allowed: str) -> Callable[[str], str]:
    def parse(raw: str) -> str:
        if raw and not pattern.match(raw):
            raise ValueError(f"invalid: expected {allowed}, or '' for none")
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
        "MONITORING_BACKEND",
        "monitoring_backend",
        _choice(MonitoringBackend),
        "How the stage is monitored: ModelMonitor (SageMaker Model Monitor, which joins ground truth on "
        "InferenceId) or Processing (our monitors, which join on the Transaction ID in each record); it sets "
        "the default of RECORDS_PER_REQUEST.",
    ),
    EnvironmentVariable(
        "RECORDS_PER_REQUEST",
        "records_per_request",
        _whole_number(1, MAX_RECORDS_PER_REQUEST),
        "Records sent in one InvokeEndpoint request; unset: 1 with MONITORING_BACKEND=ModelMonitor "
        "(InferenceId = Transaction ID), 25 with Processing.",
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
        "ENDPOINT_TIMEOUT_S",
        "endpoint_timeout_s",
        _whole_number(1, 65),
        "Longest wait for one InvokeEndpoint answer (SageMaker itself gives up after 60 s); a retry is only "
        "started when it can end 10 s before the Lambda timeout.",
    ),
    EnvironmentVariable(
        "STORE_PERSONAL_DATA",
        "store_personal_data",
        _boolean,
        "Also store Customer ID, IP Address, Shipping Address and Billing Address in DynamoDB and keep them "
        "in rejected/failed-rows files (else they are stored nowhere and shown as [redacted]); never sent to "
        "the endpoint.",
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
        "what is in flight, write where the file stopped and fail the invocation so that Lambda's retry "
        "continues from there; at least ENDPOINT_TIMEOUT_S + 13.",
    ),
    EnvironmentVariable(
        "QUARANTINE_KMS_KEY_ID",
        "quarantine_kms_key_id",
        _optional(_KMS_KEY, "a KMS key ARN, key ID or alias"),
        "KMS key that encrypts the rejected/failed-rows files ('' = the bucket's default encryption).",
    ),
    EnvironmentVariable(
        "FAN_OUT_STATE_MACHINE_ARN",
        "fan_out_state_machine_arn",
        _optional(_STATE_MACHINE_ARN, "a Step Functions state machine ARN"),
        "State machine that scores large files in parallel slices (Distributed Map); '' = every file is "
        "scored by the invocation its event starts (resuming across Lambda's retries).",
    ),
    EnvironmentVariable(
        "FAN_OUT_MIN_BYTES",
        "fan_out_min_bytes",
        _whole_number(1, 10 * 1024**4),
        "Objects of at least this size are scored by the fan-out state machine (when one is set).",
    ),
    EnvironmentVariable(
        "FAN_OUT_SLICE_ROWS",
        "fan_out_slice_rows",
        _whole_number(1, MAX_SLICE_ROWS),
        "Rows per slice of a fanned-out file (the Distributed Map's MaxItemsPerBatch; a slice is also cut at "
        f"{SLICE_INPUT_BYTES // 1024} KiB of rows, within Lambda's 256 KiB payload).",
    ),
    EnvironmentVariable(
        "FAN_OUT_MAX_CONCURRENCY",
        "fan_out_max_concurrency",
        _whole_number(1, 10_000),
        "Slices scored at once (the Distributed Map's MaxConcurrency); keep it below the function's reserved "
        "concurrency, and slices x MAX_CONCURRENCY within what the endpoint serves.",
    ),
    EnvironmentVariable(
        "FAN_OUT_TOLERATED_FAILURE_PERCENTAGE",
        "fan_out_tolerated_failure_percentage",
        _whole_number(0, 100),
        "Percentage of slices that may fail (after Step Functions' retries) before the Map Run stops, e.g. "
        "when the endpoint is down; failed slices' rows are in their failed-rows files either way.",
    ),
    EnvironmentVariable(
        "FAN_OUT_RESULTS_PREFIX",
        "fan_out_results_prefix",
        _prefix(empty_allowed=False),
        "Where the fan-out writes its line indexes and the Distributed Map its results (ResultWriter).",
    ),
)
