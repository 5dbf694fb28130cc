"""Exactly once under the faults of issue 13, each reproduced with moto and the local endpoint.

Every test ends by checking the same invariant: each valid row is stored once, with the prediction of one
request, and no row reaches the endpoint twice unless a request failed before it was answered.
"""

from __future__ import annotations

import gzip
import json
import threading
import time
from collections import Counter
from decimal import Decimal
from typing import Any, ClassVar

import boto3
import pytest
from scoring_world import BUCKET, REGION, TABLE, ScoringWorld, csv_text, s3_event, transaction
from transaction_scoring import contract, quarantine
from transaction_scoring.errors import RowsFailed
from transaction_scoring.events import objects_in
from transaction_scoring.scoring import InvocationContext, score_object
from transaction_scoring.settings import Settings

from pipelines.sandbox.lambda_runner import LambdaContext


def _rows(n: int, start: int = 0, **overrides: str) -> list[dict[str, str]]:
    return [transaction(i, **overrides) for i in range(start, start + n)]


def _sent(world: ScoringWorld) -> Counter[str]:
    """How many times each Transaction ID reached the endpoint."""
    return Counter(r[contract.TRANSACTION_ID] for r in world.model.records_sent())


class _Answer:
    """An HTTP answer botocore sees instead of calling the service (for ``before-call`` hooks)."""

    headers: ClassVar[dict[str, str]] = {}
    content = b""

    def __init__(self, status: int) -> None:
        self.status_code = status


def _error(code: str, status: int, message: str = "injected") -> tuple[_Answer, dict[str, Any]]:
    return _Answer(status), {
        "Error": {"Code": code, "Message": message},
        "ResponseMetadata": {"HTTPStatusCode": status},
    }


# -- overwrite race ----------------------------------------------------------------------------------


def test_a_key_overwritten_before_its_first_event_is_processed_scores_both_versions(
    scoring_world: ScoringWorld,
) -> None:
    key = "incoming/overwritten.csv"
    first_event = scoring_world.put_event(key, csv_text(_rows(5)))
    second_event = scoring_world.put_event(key, csv_text(_rows(5, start=5)))

    first = scoring_world.invoke(first_event)  # processed after the overwrite
    second = scoring_world.invoke(second_event, LambdaContext(aws_request_id="request-2"))

    assert (first["rows_stored"], second["rows_stored"]) == (5, 5)
    items = scoring_world.items()
    assert sorted(items) == sorted(f"tx-{i}" for i in range(10))
    v1 = first_event["Records"][0]["s3"]["object"]["versionId"]
    assert {items[f"tx-{i}"]["SourceVersion"] for i in range(5)} == {v1}


# -- deadline -----------------------------------------------------------------------------------------


def test_a_hanging_endpoint_cannot_hold_the_invocation_past_its_timeout(scoring_world: ScoringWorld) -> None:
    scoring_world.configure(ENDPOINT_TIMEOUT_S="1", TIME_RESERVE_S="14", MAX_ATTEMPTS="20")
    scoring_world.model.delay_s = 3.0  # longer than ENDPOINT_TIMEOUT_S: every request times out
    key = scoring_world.put("incoming/hanging.csv", csv_text(_rows(60)))
    started = time.monotonic()

    with pytest.raises(RowsFailed, match="60 of 60 rows failed"):
        scoring_world.invoke(s3_event(key), LambdaContext(timeout_s=16))

    # Each attempt lasts at most connect + ENDPOINT_TIMEOUT_S, and none starts after 16 - 10 s: the function
    # answers in time to write its outputs (before, a hanging endpoint held it for 70 s x MAX_ATTEMPTS).
    assert time.monotonic() - started < 16
    failed = scoring_world.output_rows(f"failed/{key}")
    assert len(failed) == 60
    assert all(r[quarantine.PREDICTION_COLUMN] == "" for r in failed)  # never answered: not scored

    scoring_world.model.delay_s = 0.0  # the endpoint is back when Lambda retries
    response = scoring_world.invoke(s3_event(key), LambdaContext(aws_request_id="request-2"))
    assert (response["rows_read"], response["rows_stored"]) == (60, 60)
    assert len(scoring_world.items()) == 60


# -- leases -------------------------------------------------------------------------------------------


def _request(params: dict[str, Any]) -> dict[str, Any]:
    """The API parameters of a DynamoDB request, as a ``before-call`` hook sees them (its JSON body)."""
    body: dict[str, Any] = json.loads(params["body"])
    return body


def _throttle(world: ScoringWorld, operation: str, *, lease_items_only: bool = False) -> None:
    def before_call(params: dict[str, Any], **_: Any) -> Any:
        key = str(_request(params).get("Item", {}).get("TransactionID", {}).get("S", ""))
        if lease_items_only and not key.startswith("#lease"):
            return None
        return _error("ThrottlingException", 400, "Rate exceeded")

    world.inject(world.clients().dynamodb, f"before-call.dynamodb.{operation}", before_call)


def test_a_lease_that_cannot_be_released_does_not_fail_an_invocation_that_stored_every_row(
    scoring_world: ScoringWorld,
) -> None:
    scoring_world.configure(MAX_ATTEMPTS="3")
    _throttle(scoring_world, "DeleteItem")
    key = scoring_world.put("incoming/lease-stuck.csv", csv_text(_rows(20)))

    response = scoring_world.invoke(s3_event(key))

    assert (response["statusCode"], response["rows_stored"]) == (200, 20)
    assert (
        "lease not released (it expires by itself): ThrottlingException"
        in response["files"][0]["warnings"][0]
    )
    # A replay is acknowledged from the checkpoint, without waiting for the stuck lease.
    replay = scoring_world.invoke(s3_event(key), LambdaContext(aws_request_id="request-2"))
    assert replay["files"][0]["status"] == "already_scored"


def test_a_throttled_lease_write_is_a_busy_file_not_a_traceback(scoring_world: ScoringWorld) -> None:
    scoring_world.configure(MAX_ATTEMPTS="2")
    _throttle(scoring_world, "PutItem", lease_items_only=True)
    key = scoring_world.put("incoming/lease-throttled.csv", csv_text(_rows(3)))

    with pytest.raises(RowsFailed, match="could not take its lease: ThrottlingException: Rate exceeded"):
        scoring_world.invoke(s3_event(key))
    assert scoring_world.model.invocations == []


# -- throttled writes ----------------------------------------------------------------------------------


def test_rows_scored_while_the_table_throttles_every_write_keep_their_predictions_for_the_retry(
    scoring_world: ScoringWorld,
) -> None:
    scoring_world.configure(MAX_ATTEMPTS="2")
    _throttle(scoring_world, "BatchWriteItem")
    key = scoring_world.put("incoming/throttled-writes.csv", csv_text(_rows(120)))

    with pytest.raises(RowsFailed, match="120 of 120 rows failed"):
        scoring_world.invoke(s3_event(key))
    failed = scoring_world.output_rows(f"failed/{key}")
    assert {r[quarantine.PREDICTION_COLUMN] for r in failed} <= {"0", "1"}
    sent_once = _sent(scoring_world)
    requests = {i.inference_id for i in scoring_world.model.invocations}

    scoring_world.remove_injected_faults()
    response = scoring_world.invoke(s3_event(key), LambdaContext(aws_request_id="request-2"))

    assert (response["rows_stored"], response["endpoint_requests"]) == (120, 0)
    assert _sent(scoring_world) == sent_once  # nothing sent again: no duplicate data capture
    items = scoring_world.items()
    assert len(items) == 120
    assert {item["InferenceId"] for item in items.values()} == requests  # the original requests' IDs
    assert items["tx-3"]["FraudProbabilityPct"] == Decimal("3.175")


# -- memory and /tmp -----------------------------------------------------------------------------------


def test_an_object_without_line_breaks_is_rejected_naming_the_limit(scoring_world: ScoringWorld) -> None:
    key = scoring_world.put("incoming/one-line.csv", b"x," * (1_200 * 1024))

    response = scoring_world.invoke(s3_event(key))

    file_report = response["files"][0]
    assert file_report["status"] == "rejected"
    assert "line 1 (from byte 0) is longer than 1,048,576 bytes" in file_report["detail"]
    (row,) = scoring_world.output_rows(f"rejected/{key}")
    assert "file rejected, no row read" in row["Reason"]


def test_rejected_rows_of_any_volume_stream_to_s3_in_parts_without_temporary_files(
    scoring_world: ScoringWorld, monkeypatch: pytest.MonkeyPatch
) -> None:
    import moto.s3.models
    from transaction_scoring import s3_objects

    # Parts of 8 KiB stand in for 8 MiB (moto's smallest part lowered the same way as ours).
    monkeypatch.setattr(moto.s3.models, "S3_UPLOAD_PART_MIN_SIZE", 1024)
    monkeypatch.setattr(s3_objects, "PART_BYTES", 8 * 1024)
    monkeypatch.setattr(s3_objects, "MIN_PART_BYTES", 1024)
    assert not any("tempfile" in vars(module) for module in _package_modules())  # /tmp is never used
    key = scoring_world.put("incoming/all-bad.csv", csv_text(_rows(400, Quantity="several")))

    response = scoring_world.invoke(s3_event(key))

    assert response["rows_rejected"] == 400
    rows = scoring_world.output_rows(f"rejected/{key}")
    assert [r["Transaction ID"] for r in rows] == [f"tx-{i}" for i in range(400)]
    head = scoring_world.s3.head_object(Bucket=BUCKET, Key=f"rejected/{key}")
    assert head["ETag"].strip('"').endswith(f"-{head['ContentLength'] // 8192 + 1}")  # a multipart upload


def _package_modules() -> list[Any]:
    import sys

    return [module for name, module in sys.modules.items() if name.startswith("transaction_scoring")]


# -- quarantine files ----------------------------------------------------------------------------------


def test_quarantine_files_redact_personal_data_unless_it_may_be_stored(scoring_world: ScoringWorld) -> None:
    key = scoring_world.put("incoming/private-bad.csv", csv_text([transaction(1, Quantity="x")]))
    scoring_world.invoke(s3_event(key))
    (row,) = scoring_world.output_rows(f"rejected/{key}")
    assert {row[c] for c in (contract.CUSTOMER_ID, *contract.PERSONAL_DATA_COLUMNS)} == {quarantine.REDACTED}
    assert row[contract.CUSTOMER_LOCATION] == "Lake Jasmine"  # not personal: kept

    scoring_world.configure(STORE_PERSONAL_DATA="true")
    key = scoring_world.put("incoming/private-bad-2.csv", csv_text([transaction(2, Quantity="x")]))
    scoring_world.invoke(s3_event(key))
    (row,) = scoring_world.output_rows(f"rejected/{key}")
    assert row[contract.IP_ADDRESS] == "192.168.0.7"


def test_quarantine_files_are_encrypted_with_the_configured_kms_key(scoring_world: ScoringWorld) -> None:
    key_arn = boto3.client("kms", region_name=REGION).create_key()["KeyMetadata"]["Arn"]
    scoring_world.configure(QUARANTINE_KMS_KEY_ID=key_arn)
    key = scoring_world.put("incoming/encrypted.csv", csv_text([transaction(1, Quantity="x")]))

    scoring_world.invoke(s3_event(key))

    head = scoring_world.s3.head_object(Bucket=BUCKET, Key=f"rejected/{key}")
    assert (head["ServerSideEncryption"], head["SSEKMSKeyId"]) == ("aws:kms", key_arn)


def test_cells_a_spreadsheet_would_run_as_formulas_are_neutralised_and_restored_on_retry(
    scoring_world: ScoringWorld,
) -> None:
    formula = '=HYPERLINK("http://x","click")'
    rows = [
        transaction(1, Quantity="=1+2", Customer_Location="@SUM(A1)"),
        transaction(2, Customer_Location=formula, Quantity="-1"),
    ]
    scoring_world.configure(RECORDS_PER_REQUEST="1")
    scoring_world.model.failing_ids = {"tx-2"}
    key = scoring_world.put("incoming/formulas.csv", csv_text(rows))

    with pytest.raises(RowsFailed):
        scoring_world.invoke(s3_event(key))

    (rejected,) = scoring_world.output_rows(f"rejected/{key}")
    assert (rejected[contract.QUANTITY], rejected[contract.CUSTOMER_LOCATION]) == ("'=1+2", "'@SUM(A1)")
    (failed,) = scoring_world.output_rows(f"failed/{key}")
    assert failed[contract.CUSTOMER_LOCATION] == "'" + formula
    assert failed[contract.QUANTITY] == "-1"  # a number: left alone

    scoring_world.model.failing_ids = set()
    scoring_world.invoke(s3_event(key), LambdaContext(aws_request_id="request-2"))
    last = contract.decode_request(scoring_world.model.invocations[-1].body)[0]
    assert last[contract.CUSTOMER_LOCATION] == formula  # the original value, not the neutralised one


def test_a_formula_is_not_accepted_as_a_transaction_id(scoring_world: ScoringWorld) -> None:
    key = scoring_world.put("incoming/formula-id.csv", csv_text([transaction(1, Transaction_ID="=1+1")]))
    response = scoring_world.invoke(s3_event(key))
    assert (response["rows_rejected"], response["rows_stored"]) == (1, 0)
    (row,) = scoring_world.output_rows(f"rejected/{key}")
    assert row[contract.TRANSACTION_ID] == "'=1+1"
    assert "is not a valid ID: expected 1-64 letters, digits" in row["Reason"]


# -- oversized cells -----------------------------------------------------------------------------------


def test_an_oversized_cell_is_rejected_at_validation(scoring_world: ScoringWorld) -> None:
    rows = [*_rows(24), transaction(24, Customer_ID="c" * 100_000)]
    key = scoring_world.put("incoming/huge-cell.csv", csv_text(rows))

    response = scoring_world.invoke(s3_event(key))

    assert (response["rows_stored"], response["rows_rejected"], response["rows_failed"]) == (24, 1, 0)
    (row,) = scoring_world.output_rows(f"rejected/{key}")
    assert row["Reason"] == "Customer ID has 100,000 characters: at most 1,000 are allowed"


def test_an_item_dynamodb_refuses_fails_alone_not_with_its_batch(scoring_world: ScoringWorld) -> None:
    def before_call(params: dict[str, Any], **_: Any) -> Any:
        (requests,) = _request(params)["RequestItems"].values()
        ids = {r["PutRequest"]["Item"]["TransactionID"]["S"] for r in requests}
        if "tx-13" in ids:
            return _error("ValidationException", 400, "Item size has exceeded the maximum allowed size")
        return None

    scoring_world.inject(scoring_world.clients().dynamodb, "before-call.dynamodb.BatchWriteItem", before_call)
    key = scoring_world.put("incoming/refused-item.csv", csv_text(_rows(25)))

    with pytest.raises(RowsFailed, match="1 of 25 rows failed"):
        scoring_world.invoke(s3_event(key))

    assert len(scoring_world.items()) == 24
    (failed,) = scoring_world.output_rows(f"failed/{key}")
    assert failed["Transaction ID"] == "tx-13"
    assert "ValidationException: Item size has exceeded the maximum allowed size" in failed["Reason"]


# -- unreadable objects --------------------------------------------------------------------------------


def test_a_deleted_version_is_reported_missing(scoring_world: ScoringWorld) -> None:
    event = scoring_world.put_event("incoming/gone-version.csv", csv_text(_rows(2)))
    version = event["Records"][0]["s3"]["object"]["versionId"]
    scoring_world.s3.delete_object(Bucket=BUCKET, Key="incoming/gone-version.csv", VersionId=version)

    response = scoring_world.invoke(event)

    assert (response["statusCode"], response["files"][0]["status"]) == (200, "missing")
    assert "NoSuchVersion" in response["files"][0]["detail"]


def test_access_denied_fails_that_file_only_and_the_next_file_is_scored(scoring_world: ScoringWorld) -> None:
    denied = scoring_world.put("incoming/denied.csv", csv_text(_rows(2)))
    fine = scoring_world.put("incoming/fine.csv", csv_text(_rows(2, start=10)))

    def note_key(params: dict[str, Any], context: dict[str, Any], **_: Any) -> None:
        context["denied"] = params.get("Key") == denied

    def before_call(context: dict[str, Any], **_: Any) -> Any:
        return _error("AccessDenied", 403, "Access Denied") if context.get("denied") else None

    s3 = scoring_world.clients().s3
    for operation in ("HeadObject", "GetObject"):
        scoring_world.inject(s3, f"before-parameter-build.s3.{operation}", note_key)
        scoring_world.inject(s3, f"before-call.s3.{operation}", before_call)

    with pytest.raises(RowsFailed, match="does not allow reading it"):
        scoring_world.invoke(s3_event(denied, fine))

    assert sorted(scoring_world.items()) == ["tx-10", "tx-11"]


def test_a_gzip_file_named_csv_is_rejected_as_compressed(scoring_world: ScoringWorld) -> None:
    key = scoring_world.put("incoming/packed.csv", gzip.compress(csv_text(_rows(3)).encode()))

    response = scoring_world.invoke(s3_event(key))

    assert response["files"][0]["status"] == "rejected"
    assert "looks gzip-compressed, not a CSV (first bytes 1f 8b" in response["files"][0]["detail"]
    assert scoring_world.model.invocations == []


# -- replayed and concurrent deliveries ----------------------------------------------------------------


def test_concurrent_deliveries_of_one_event_score_each_row_once(scoring_world: ScoringWorld) -> None:
    import os

    key = scoring_world.put("incoming/twice-at-once.csv", csv_text(_rows(300)))
    settings = Settings.from_environ(os.environ)
    (ref,) = objects_in(s3_event(key)).objects
    clients = scoring_world.clients()
    reports = []

    def deliver(request_id: str) -> None:
        context = InvocationContext(request_id=request_id, remaining_s=lambda: 900.0)
        reports.append(score_object(ref, settings, clients, context))

    threads = [threading.Thread(target=deliver, args=(f"delivery-{n}",)) for n in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    statuses = sorted(r.status.value for r in reports)
    # Either one waits for the other's lease (busy, retried later) or it starts after the first finished.
    assert statuses in (["busy", "scored"], ["already_scored", "scored"])
    assert len(scoring_world.items()) == 300
    assert set(_sent(scoring_world).values()) == {1}
    retry = scoring_world.invoke(s3_event(key), LambdaContext(aws_request_id="retry"))
    assert retry["files"][0]["status"] == "already_scored"


def test_the_table_missing_is_a_configuration_error_even_before_the_lease(
    scoring_world: ScoringWorld,
) -> None:
    scoring_world.dynamodb.delete_table(TableName=TABLE)
    key = scoring_world.put("incoming/no-table.csv", csv_text(_rows(1)))
    from transaction_scoring.errors import ConfigurationError

    with pytest.raises(ConfigurationError, match="does not exist"):
        scoring_world.invoke(s3_event(key))
