"""The scoring Lambda's test world: S3 and DynamoDB in moto (in-process), the endpoint on the local runtime.

``scoring_world`` (fixture in conftest.py) gives each test a bucket, the predictions table and a fake fraud
endpoint behind ``AWS_ENDPOINT_URL_SAGEMAKER_RUNTIME``, plus helpers to upload CSVs and call
``lambda_function.lambda_handler``. S3 events, the Lambda context and the handler's import come from the
sandbox (``pipelines.sandbox.lambda_runner``), which runs the function the same way.
"""

from __future__ import annotations

import csv
import io
import json
import threading
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import pytest
from transaction_scoring import contract
from transaction_scoring.rows import RESERVED_ID_PREFIX
from transaction_scoring.store import from_dynamodb

from pipelines.sandbox import lambda_runner
from pipelines.sandbox.lambda_runner import LambdaContext, handler_module
from pipelines.sandbox.runtime_server import EndpointFault, Invocation, InvocationResult, RuntimeServer

BUCKET = "fraud-transactions"
TABLE = "fraud-predictions-test"
ENDPOINT = "fraud-detection-test"
REGION = "us-east-1"

# One valid transaction; tests override the cells they care about.
VALID_ROW: Mapping[str, str] = {
    contract.TRANSACTION_ID: "tx-1",
    contract.CUSTOMER_ID: "cust-1",
    contract.TRANSACTION_AMOUNT: "120.50",
    contract.TRANSACTION_DATE: "2024-02-20 05:58:41",
    contract.PAYMENT_METHOD: "credit card",
    contract.PRODUCT_CATEGORY: "electronics",
    contract.QUANTITY: "2",
    contract.CUSTOMER_AGE: "33",
    contract.CUSTOMER_LOCATION: "Lake Jasmine",
    contract.DEVICE_USED: "mobile",
    contract.IP_ADDRESS: "192.168.0.7",
    contract.SHIPPING_ADDRESS: "12 Main Street, Springfield",
    contract.BILLING_ADDRESS: "12 Main Street, Springfield",
    contract.IS_FRAUDULENT: "0",
    contract.ACCOUNT_AGE_DAYS: "120",
    contract.TRANSACTION_HOUR: "5",
}


def transaction(index: int, **overrides: str) -> dict[str, str]:
    """A valid row with Transaction ID ``tx-{index}``; keyword names use '_' for spaces."""
    row = dict(VALID_ROW)
    row[contract.TRANSACTION_ID] = f"tx-{index}"
    row[contract.CUSTOMER_ID] = f"cust-{index % 7}"
    row[contract.TRANSACTION_AMOUNT] = f"{10 + index * 7.25:.2f}"
    for name, value in overrides.items():
        row[name.replace("_", " ")] = value
    return row


def csv_text(
    rows: Sequence[Mapping[str, str]],
    columns: Sequence[str] = contract.TRANSACTION_COLUMNS,
    *,
    line_end: str = "\n",
    bom: bool = False,
) -> str:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator=line_end)
    writer.writerow(columns)
    for row in rows:
        writer.writerow([row.get(column, "") for column in columns])
    return ("\ufeff" if bom else "") + out.getvalue()


def s3_record(bucket: str, key: str, event_name: str = "ObjectCreated:Put") -> dict[str, Any]:
    """One record of an S3 event notification (the sandbox's, in the tests' region)."""
    return lambda_runner.s3_record(bucket, key, event_name=event_name, region=REGION)


def s3_event(*keys: str, bucket: str = BUCKET) -> dict[str, Any]:
    """An ``ObjectCreated:Put`` notification for ``keys`` of the test bucket."""
    return lambda_runner.s3_event(bucket, keys, region=REGION)


# The first invocation's request ID; a test that plays Lambda's retry passes another.
FIRST_REQUEST_ID = "request-1"


@dataclass
class FakeFraudModel:
    """The fraud endpoint's contract with scripted behaviour: class 1 above an amount, faults on demand."""

    fraud_above_amount: float = 500.0
    throttle_first: int = 0  # answer ThrottlingException to this many requests first
    failing_ids: set[str] = field(default_factory=set)  # requests holding these IDs get a ModelError
    # Requests holding one of these IDs get a ModelError this many times (then the ID scores normally).
    failures_left: dict[str, int] = field(default_factory=dict)
    delay_s: float = 0.0  # answer this late (longer than ENDPOINT_TIMEOUT_S: the endpoint hangs)
    invocations: list[Invocation] = field(default_factory=list)
    answered: list[Invocation] = field(default_factory=list)  # the invocations that got predictions
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def __call__(self, invocation: Invocation) -> InvocationResult:
        with self._lock:
            self.invocations.append(invocation)
            number = len(self.invocations)
        if self.delay_s:
            time.sleep(self.delay_s)
        if number <= self.throttle_first:
            raise EndpointFault(400, "ThrottlingException", "Rate exceeded")
        records = contract.decode_request(invocation.body)
        if any(r[contract.TRANSACTION_ID] in self.failing_ids for r in records) or self._fails_now(records):
            raise EndpointFault(424, "ModelError", "Received server error (500) from primary")
        predictions = [
            contract.Prediction(
                label=int(r[contract.TRANSACTION_AMOUNT] > self.fraud_above_amount),
                probability_pct=round(min(99.5, r[contract.TRANSACTION_AMOUNT] / 10), 3),
            )
            for r in records
        ]
        with self._lock:
            self.answered.append(invocation)
        return InvocationResult(body=contract.encode_response(predictions))

    def _fails_now(self, records: list[dict[str, Any]]) -> bool:
        with self._lock:
            for record in records:
                left = self.failures_left.get(record[contract.TRANSACTION_ID], 0)
                if left:
                    self.failures_left[record[contract.TRANSACTION_ID]] = left - 1
                    return True
        return False

    def records_scored(self) -> list[dict[str, Any]]:
        """Records of the requests the endpoint answered with predictions (what data capture would hold)."""
        return [record for invocation in self.answered for record in contract.decode_request(invocation.body)]

    def records_sent(self) -> list[dict[str, Any]]:
        return [
            record for invocation in self.invocations for record in contract.decode_request(invocation.body)
        ]


@dataclass(eq=False)
class ScoringWorld:
    """A bucket, the predictions table and the endpoint, with helpers to drive the function."""

    s3: Any
    dynamodb: Any
    model: FakeFraudModel
    runtime: RuntimeServer
    monkeypatch: pytest.MonkeyPatch
    log_stream: io.StringIO
    _hooks: list[tuple[Any, str, Any]] = field(default_factory=list)

    def put(self, key: str, text: str | bytes) -> str:
        body = text.encode() if isinstance(text, str) else text
        self.s3.put_object(Bucket=BUCKET, Key=key, Body=body)
        return key

    def put_event(self, key: str, text: str | bytes, *, bucket: str = BUCKET) -> dict[str, Any]:
        """Upload ``text`` and return the event S3 sends for that upload (its version and ETag)."""
        body = text.encode() if isinstance(text, str) else text
        response = self.s3.put_object(Bucket=bucket, Key=key, Body=body)
        return lambda_runner.put_event(bucket, key, response, len(body), region=REGION)

    def identity(self, key: str) -> str:
        """What leases and checkpoints of the current content of ``key`` are keyed by (ObjectRef.identity)."""
        return f"s3://{BUCKET}/{key}?versionId={self.s3.head_object(Bucket=BUCKET, Key=key)['VersionId']}"

    def configure(self, **variables: str) -> None:
        for name, value in variables.items():
            self.monkeypatch.setenv(name, value)

    def invoke(self, event: Mapping[str, Any], context: LambdaContext | None = None) -> dict[str, Any]:
        result: dict[str, Any] = handler_module().lambda_handler(
            dict(event), context or LambdaContext(aws_request_id=FIRST_REQUEST_ID)
        )
        for file in result["files"]:  # every row read ends in exactly one outcome
            outcomes = ("rows_rejected", "rows_already_stored", "rows_stored", "rows_failed")
            assert file["rows_read"] == sum(file[outcome] for outcome in outcomes), file
        return result

    def clients(self) -> Any:
        """The clients the handler uses (cached per container), e.g. to inject faults with event hooks."""
        import os

        from transaction_scoring.settings import Settings

        return handler_module().clients_for(Settings.from_environ(os.environ), os.environ)

    def log_lines(self) -> list[dict[str, Any]]:
        """The JSON log lines Powertools Logger wrote so far in this test."""
        return [json.loads(line) for line in self.log_stream.getvalue().splitlines() if line.strip()]

    def inject(self, client: Any, event_name: str, hook: Any) -> None:
        """Register a botocore event hook on one of the function's clients, for this test only."""
        client.meta.events.register(event_name, hook)
        self._hooks.append((client, event_name, hook))

    def remove_injected_faults(self) -> None:
        for client, event_name, hook in self._hooks:
            client.meta.events.unregister(event_name, hook)
        self._hooks.clear()

    def item(self, transaction_id: str) -> dict[str, Any] | None:
        response = self.dynamodb.get_item(
            TableName=TABLE, Key={"TransactionID": {"S": transaction_id}}, ConsistentRead=True
        )
        return from_dynamodb(response["Item"]) if "Item" in response else None

    def items(self) -> dict[str, dict[str, Any]]:
        """Prediction items by Transaction ID (the function's own lease items left out)."""
        found: dict[str, dict[str, Any]] = {}
        for page in self.dynamodb.get_paginator("scan").paginate(TableName=TABLE, ConsistentRead=True):
            for raw in page["Items"]:
                item = from_dynamodb(raw)
                if not item["TransactionID"].startswith(RESERVED_ID_PREFIX):
                    found[item["TransactionID"]] = item
        return found

    def object_text(self, key: str) -> str | None:
        try:
            return self.s3.get_object(Bucket=BUCKET, Key=key)["Body"].read().decode()
        except self.s3.exceptions.NoSuchKey:
            return None

    def output_rows(self, key: str) -> list[dict[str, str]]:
        text = self.object_text(key)
        assert text is not None, f"no object s3://{BUCKET}/{key}"
        return list(csv.DictReader(io.StringIO(text)))
