"""The scoring function end to end: S3 event -> handler -> endpoint -> DynamoDB, S3 outputs, summary."""

from __future__ import annotations

import json
import re
import time
from decimal import Decimal
from typing import Any, ClassVar

import pytest
from scoring_world import (
    BUCKET,
    ENDPOINT,
    TABLE,
    ScoringWorld,
    csv_text,
    s3_event,
    s3_record,
    transaction,
)
from transaction_scoring import contract, store
from transaction_scoring.errors import ConfigurationError, EventError, RowsFailed

from pipelines.sandbox.lambda_runner import LambdaContext


def _file(world: ScoringWorld, key: str, rows: int, **csv_options: Any) -> str:
    return world.put(key, csv_text([transaction(i) for i in range(rows)], **csv_options))


# -- the happy path ------------------------------------------------------------------------------------


def test_every_row_of_a_file_is_stored_with_its_prediction(scoring_world: ScoringWorld) -> None:
    key = _file(scoring_world, "incoming/day1.csv", 30)

    response = scoring_world.invoke(s3_event(key))

    assert response["statusCode"] == 200
    assert {
        k: response[k] for k in ("rows_read", "rows_scored", "rows_stored", "rows_rejected", "rows_failed")
    } == {
        "rows_read": 30,
        "rows_scored": 30,
        "rows_stored": 30,
        "rows_rejected": 0,
        "rows_failed": 0,
    }
    items = scoring_world.items()
    assert sorted(items) == sorted(f"tx-{i}" for i in range(30))
    item = items["tx-3"]  # amount 10 + 3 * 7.25 = 31.75 -> class 0, 3.175 %
    assert item["Prediction"] == Decimal(0)
    assert item["FraudProbabilityPct"] == Decimal("3.175")
    assert item["EndpointName"] == ENDPOINT
    assert item["SourceObject"] == f"s3://{BUCKET}/incoming/day1.csv"
    assert item["SourceLine"] == Decimal(5)
    assert "SourceVersion" in item  # the object version the row was read from
    assert "CustomerID" not in item  # personal data: stored only with STORE_PERSONAL_DATA=true
    assert item["InferenceId"] in {i.inference_id for i in scoring_world.model.invocations}
    assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z", item["Timestamp"])


def test_a_fraudulent_amount_is_stored_as_class_one(scoring_world: ScoringWorld) -> None:
    key = scoring_world.put("incoming/big.csv", csv_text([transaction(1, Transaction_Amount="950.00")]))
    scoring_world.invoke(s3_event(key))
    item = scoring_world.item("tx-1")
    assert item is not None
    assert (item["Prediction"], item["FraudProbabilityPct"]) == (Decimal(1), Decimal("95.0"))


def test_the_processing_backend_sends_25_records_per_request_by_default(scoring_world: ScoringWorld) -> None:
    key = _file(scoring_world, "incoming/default-batches.csv", 60)
    response = scoring_world.invoke(s3_event(key))
    sizes = sorted(len(contract.decode_request(i.body)) for i in scoring_world.model.invocations)
    assert (response["rows_stored"], sizes) == (60, [10, 25, 25])


def test_one_record_per_request_with_the_transaction_id_as_inference_id_for_model_monitor(
    scoring_world: ScoringWorld,
) -> None:
    scoring_world.configure(MONITORING_BACKEND="ModelMonitor")
    key = _file(scoring_world, "incoming/one-each.csv", 5)
    response = scoring_world.invoke(s3_event(key))
    invocations = scoring_world.model.invocations
    assert response["endpoint_requests"] == len(invocations) == 5
    assert sorted(i.inference_id or "" for i in invocations) == [f"tx-{i}" for i in range(5)]
    assert {i.content_type for i in invocations} == {contract.CONTENT_TYPE}


def test_requests_carry_the_model_features_only(scoring_world: ScoringWorld) -> None:
    key = _file(scoring_world, "incoming/features.csv", 3)
    scoring_world.invoke(s3_event(key))
    for record in scoring_world.model.records_sent():
        assert list(record) == list(contract.REQUEST_COLUMNS)  # no Customer ID, personal data or label
        assert isinstance(record[contract.TRANSACTION_AMOUNT], float)
        assert isinstance(record[contract.QUANTITY], int)


def test_batched_requests_carry_several_records_under_a_batch_inference_id(
    scoring_world: ScoringWorld,
) -> None:
    scoring_world.configure(RECORDS_PER_REQUEST="10")
    key = _file(scoring_world, "incoming/batched.csv", 25)

    response = scoring_world.invoke(s3_event(key))

    assert response["rows_stored"] == 25
    sizes = sorted(len(contract.decode_request(i.body)) for i in scoring_world.model.invocations)
    assert sizes == [5, 10, 10]
    assert all((i.inference_id or "").startswith("batch-") for i in scoring_world.model.invocations)
    stored_ids = {item["InferenceId"] for item in scoring_world.items().values()}
    assert stored_ids == {i.inference_id for i in scoring_world.model.invocations}


def test_personal_data_is_not_stored_by_default(scoring_world: ScoringWorld) -> None:
    key = _file(scoring_world, "incoming/private.csv", 2)
    scoring_world.invoke(s3_event(key))
    item = scoring_world.item("tx-0")
    assert item is not None
    assert not set(store.PERSONAL_DATA_ATTRIBUTES.values()) & set(item)
    assert "CustomerID" in store.PERSONAL_DATA_ATTRIBUTES.values()


def test_personal_data_is_stored_when_the_setting_asks_for_it(scoring_world: ScoringWorld) -> None:
    scoring_world.configure(STORE_PERSONAL_DATA="true")
    key = _file(scoring_world, "incoming/private.csv", 2)
    scoring_world.invoke(s3_event(key))
    item = scoring_world.item("tx-0")
    assert item is not None
    assert item["CustomerID"] == "cust-0"
    assert item["IPAddress"] == "192.168.0.7"
    assert item["ShippingAddress"] == item["BillingAddress"] == "12 Main Street, Springfield"
    assert all(contract.IP_ADDRESS not in r for r in scoring_world.model.records_sent())


# -- file shapes ---------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "key",
    ["incoming/March 2026/batch one.csv", "incoming/O'Brien's shop/day 1.csv", "incoming/a+b=c&d/é.csv"],
    ids=["spaces", "apostrophes", "plus-and-unicode"],
)
def test_url_encoded_keys_are_decoded(scoring_world: ScoringWorld, key: str) -> None:
    scoring_world.put(key, csv_text([transaction(1), transaction(2, Transaction_Amount="x")]))
    event = s3_event(key)
    assert event["Records"][0]["s3"]["object"]["key"] != key  # as S3 sends it: encoded

    response = scoring_world.invoke(event)

    assert response["files"][0]["object"] == f"s3://{BUCKET}/{key}"
    assert scoring_world.item("tx-1") is not None
    assert scoring_world.item("tx-1")["SourceObject"] == f"s3://{BUCKET}/{key}"  # type: ignore[index]
    assert [r["Transaction ID"] for r in scoring_world.output_rows(f"rejected/{key}")] == ["tx-2"]


def test_a_file_with_bom_and_crlf_line_ends_is_read_like_any_other(scoring_world: ScoringWorld) -> None:
    key = _file(scoring_world, "incoming/windows.csv", 4, line_end="\r\n", bom=True)
    response = scoring_world.invoke(s3_event(key))
    assert (response["rows_read"], response["rows_stored"], response["rows_rejected"]) == (4, 4, 0)
    assert scoring_world.item("tx-3")["SourceLine"] == Decimal(5)  # type: ignore[index]


def test_the_alternative_transaction_id_header_is_accepted(scoring_world: ScoringWorld) -> None:
    columns = ["TransactionID", *contract.TRANSACTION_COLUMNS[1:]]
    rows = [{("TransactionID" if k == contract.TRANSACTION_ID else k): v for k, v in transaction(7).items()}]
    key = scoring_world.put("incoming/alias.csv", csv_text(rows, columns))
    assert scoring_world.invoke(s3_event(key))["rows_stored"] == 1
    assert scoring_world.item("tx-7") is not None


def test_an_empty_file_scores_nothing_and_writes_nothing(scoring_world: ScoringWorld) -> None:
    key = scoring_world.put("incoming/empty.csv", b"")
    response = scoring_world.invoke(s3_event(key))
    assert response["statusCode"] == 200
    assert response["rows_read"] == 0
    assert "empty file" in response["files"][0]["detail"]
    assert scoring_world.object_text("rejected/incoming/empty.csv") is None
    assert scoring_world.model.invocations == []


def test_a_header_only_file_scores_nothing(scoring_world: ScoringWorld) -> None:
    key = scoring_world.put("incoming/header-only.csv", csv_text([]))
    response = scoring_world.invoke(s3_event(key))
    assert (response["statusCode"], response["rows_read"], response["rows_stored"]) == (200, 0, 0)


def test_missing_header_columns_reject_the_whole_file_once_naming_them(scoring_world: ScoringWorld) -> None:
    # Issue 13: the reason is written once, not on every row (a header typo in a large file used to fill /tmp
    # with a rejected file 3.6x the input); the rows stay in the input object, which is fixed and re-uploaded.
    columns = [
        c for c in contract.TRANSACTION_COLUMNS if c not in (contract.CUSTOMER_AGE, contract.DEVICE_USED)
    ]
    key = scoring_world.put("incoming/old-export.csv", csv_text([transaction(1), transaction(2)], columns))

    response = scoring_world.invoke(s3_event(key))

    file_report = response["files"][0]
    assert response["statusCode"] == 200  # nothing a retry could fix: no failure, a rejection
    assert file_report["status"] == "rejected"
    assert "missing required columns: 'Customer Age', 'Device Used'" in file_report["detail"]
    assert (response["rows_read"], response["rows_rejected"], response["rows_stored"]) == (0, 0, 0)
    (rejected,) = scoring_world.output_rows("rejected/incoming/old-export.csv")
    assert rejected["Source Line"] == "1"
    assert rejected["Reason"].startswith("file rejected, no row read: header is missing required columns: ")
    assert "'Customer Age', 'Device Used'" in rejected["Reason"]
    assert f"its rows are in s3://{BUCKET}/{key} (version " in rejected["Reason"]
    assert scoring_world.model.invocations == []


# -- bad rows ------------------------------------------------------------------------------------------


def test_bad_rows_go_to_the_rejected_object_with_their_reason_and_the_rest_is_stored(
    scoring_world: ScoringWorld,
) -> None:
    rows = [
        transaction(1),
        transaction(2, Transaction_Amount="12,50 EUR"),
        transaction(3, Transaction_Date="2024-02-30 10:00:00"),
        transaction(4, Transaction_ID=""),
        transaction(5, Transaction_Hour="24"),
        transaction(6),
    ]
    key = scoring_world.put("incoming/mixed.csv", csv_text(rows))

    response = scoring_world.invoke(s3_event(key))

    assert (response["rows_read"], response["rows_stored"], response["rows_rejected"]) == (6, 2, 4)
    assert response["files"][0]["rejected_rows_object"] == f"s3://{BUCKET}/rejected/incoming/mixed.csv"
    rejected = scoring_world.output_rows("rejected/incoming/mixed.csv")
    assert [r["Source Line"] for r in rejected] == ["3", "4", "5", "6"]
    assert rejected[0]["Transaction Amount"] == "12,50 EUR"  # the original cells, unchanged
    assert rejected[0]["Reason"] == "Transaction Amount '12,50 EUR' is not a number"
    assert "Transaction Date '2024-02-30 10:00:00' is not a date" in rejected[1]["Reason"]
    assert rejected[2]["Reason"] == "Transaction ID is empty"
    assert rejected[3]["Reason"] == "Transaction Hour 24 is out of range: expected 0..23"
    assert sorted(scoring_world.items()) == ["tx-1", "tx-6"]


def test_rejected_rows_file_can_be_uploaded_again_once_corrected(scoring_world: ScoringWorld) -> None:
    key = scoring_world.put("incoming/typo.csv", csv_text([transaction(1, Quantity="two")]))
    scoring_world.invoke(s3_event(key))
    corrected = scoring_world.object_text("rejected/incoming/typo.csv").replace(",two,", ",2,")  # type: ignore[union-attr]

    scoring_world.put("incoming/typo-fixed.csv", corrected)
    response = scoring_world.invoke(s3_event("incoming/typo-fixed.csv"))

    assert response["rows_stored"] == 1  # the extra Source Line / Reason columns are ignored


# -- duplicates ----------------------------------------------------------------------------------------


def test_a_duplicate_id_close_to_its_first_occurrence_is_rejected_and_the_first_wins(
    scoring_world: ScoringWorld,
) -> None:
    rows = [transaction(1), transaction(2), transaction(1, Transaction_Amount="999.00")]
    key = scoring_world.put("incoming/dupes.csv", csv_text(rows))

    response = scoring_world.invoke(s3_event(key))

    assert (response["rows_stored"], response["rows_rejected"]) == (2, 1)
    (rejected,) = scoring_world.output_rows("rejected/incoming/dupes.csv")
    assert rejected["Source Line"] == "4"
    assert rejected["Reason"] == "duplicate Transaction ID 'tx-1': first seen on line 2 of this file"
    assert scoring_world.item("tx-1")["SourceLine"] == Decimal(2)  # type: ignore[index]


def test_a_duplicate_id_far_from_its_first_occurrence_is_rejected_and_the_first_wins(
    scoring_world: ScoringWorld,
) -> None:
    # Chunks of 100 rows: the first occurrence is either still in flight or already in the table when the
    # duplicate is read; either way the first wins.
    rows = [transaction(i) for i in range(250)] + [transaction(0, Transaction_Amount="999.00")]
    key = scoring_world.put("incoming/far-dupe.csv", csv_text(rows))

    response = scoring_world.invoke(s3_event(key))

    assert (response["rows_stored"], response["rows_rejected"]) == (250, 1)
    (rejected,) = scoring_world.output_rows("rejected/incoming/far-dupe.csv")
    assert rejected["Reason"].startswith("duplicate Transaction ID 'tx-0'")
    assert "line 2 of this file" in rejected["Reason"]
    assert scoring_world.item("tx-0")["FraudProbabilityPct"] == Decimal("1.0")  # type: ignore[index]


def test_a_reuploaded_file_with_an_id_moved_to_another_line_rejects_it_as_a_duplicate(
    scoring_world: ScoringWorld,
) -> None:
    key = scoring_world.put("incoming/resent.csv", csv_text([transaction(1), transaction(2)]))
    scoring_world.invoke(s3_event(key))
    scoring_world.put(
        key, csv_text([transaction(3), transaction(2), transaction(1)])
    )  # same key, new content

    response = scoring_world.invoke(s3_event(key), LambdaContext(aws_request_id="request-2"))

    assert (response["rows_stored"], response["rows_already_stored"], response["rows_rejected"]) == (1, 1, 1)
    (rejected,) = scoring_world.output_rows(f"rejected/{key}")
    assert rejected["Reason"] == "duplicate Transaction ID 'tx-1': already stored from line 2 of this file"


def test_an_id_already_stored_from_another_file_is_rejected_naming_that_file(
    scoring_world: ScoringWorld,
) -> None:
    first = _file(scoring_world, "incoming/monday.csv", 2)
    scoring_world.invoke(s3_event(first))
    second = scoring_world.put("incoming/tuesday.csv", csv_text([transaction(1), transaction(9)]))

    response = scoring_world.invoke(s3_event(second))

    assert (response["rows_stored"], response["rows_rejected"]) == (1, 1)
    (rejected,) = scoring_world.output_rows("rejected/incoming/tuesday.csv")
    assert rejected["Reason"] == (
        f"duplicate Transaction ID 'tx-1': already stored from s3://{BUCKET}/incoming/monday.csv line 3"
    )


# -- re-delivery and retries ---------------------------------------------------------------------------


def test_a_replayed_event_neither_calls_the_endpoint_nor_changes_stored_items(
    scoring_world: ScoringWorld,
) -> None:
    key = _file(scoring_world, "incoming/replayed.csv", 12)
    scoring_world.invoke(s3_event(key))
    before = scoring_world.items()
    requests_before = len(scoring_world.model.invocations)

    response = scoring_world.invoke(s3_event(key), LambdaContext(aws_request_id="request-2"))

    # The file's checkpoint says it is complete: acknowledged without reading it again.
    assert response["statusCode"] == 200
    assert response["files"][0]["status"] == "already_scored"
    assert (response["rows_read"], response["rows_already_stored"], response["rows_stored"]) == (0, 0, 0)
    assert len(scoring_world.model.invocations) == requests_before
    assert scoring_world.items() == before


def test_several_records_in_one_event_are_all_scored(scoring_world: ScoringWorld) -> None:
    first = scoring_world.put("incoming/a.csv", csv_text([transaction(1), transaction(2)]))
    second = scoring_world.put("incoming/b.csv", csv_text([transaction(3)]))
    response = scoring_world.invoke(s3_event(first, second))
    assert [f["object"] for f in response["files"]] == [f"s3://{BUCKET}/{first}", f"s3://{BUCKET}/{second}"]
    assert response["rows_stored"] == 3


def test_a_file_being_scored_by_another_invocation_fails_this_one_for_a_later_retry(
    scoring_world: ScoringWorld,
) -> None:
    key = _file(scoring_world, "incoming/twice.csv", 3)
    # Another delivery of the same event holds the file's lease (it is scoring the file right now).
    now = int(time.time())
    store.acquire_lease(
        scoring_world.dynamodb,
        TABLE,
        scoring_world.identity(key),
        owner="request-0",
        now_s=now,
        expires_at_s=now + 600,
    )

    with pytest.raises(RowsFailed, match="being scored by another invocation \\(lease owner request-0"):
        scoring_world.invoke(s3_event(key))

    assert scoring_world.model.invocations == []
    assert scoring_world.items() == {}


def test_the_lease_is_released_after_scoring(scoring_world: ScoringWorld) -> None:
    key = _file(scoring_world, "incoming/leased.csv", 1)
    scoring_world.invoke(s3_event(key))
    assert scoring_world.item(store.lease_key(scoring_world.identity(key))) is None


def test_a_throttled_endpoint_is_retried_and_nothing_is_lost(scoring_world: ScoringWorld) -> None:
    scoring_world.configure(MONITORING_BACKEND="ModelMonitor")  # 10 requests, 6 of them throttled once
    scoring_world.model.throttle_first = 6
    key = _file(scoring_world, "incoming/throttled.csv", 10)

    response = scoring_world.invoke(s3_event(key))

    assert response["statusCode"] == 200
    assert (response["rows_stored"], response["rows_failed"]) == (10, 0)
    assert response["retries"] == 6
    assert scoring_world.runtime.counts(ENDPOINT).faults == 6


def test_rows_the_endpoint_keeps_failing_go_to_the_failed_object_and_the_invocation_fails(
    scoring_world: ScoringWorld,
) -> None:
    scoring_world.configure(RECORDS_PER_REQUEST="1")
    scoring_world.model.failing_ids = {"tx-2"}
    key = _file(scoring_world, "incoming/poison.csv", 5)

    with pytest.raises(RowsFailed) as raised:
        scoring_world.invoke(s3_event(key))

    assert f"s3://{BUCKET}/failed/incoming/poison.csv" in str(raised.value)
    assert "1 of 5 rows failed" in str(raised.value)
    (failed,) = scoring_world.output_rows("failed/incoming/poison.csv")
    assert failed["Transaction ID"] == "tx-2"
    assert failed["Source Line"] == "4"
    assert failed["Reason"].startswith(f"not scored: endpoint {ENDPOINT}: ModelError")
    assert sorted(scoring_world.items()) == ["tx-0", "tx-1", "tx-3", "tx-4"]  # the others stay stored


def _fail_batch_writes_after(
    world: ScoringWorld, successful_calls: int, code: str = "InternalServerError"
) -> None:
    """Make every BatchWriteItem after the first ``successful_calls`` fail with ``code`` (HTTP 500)."""
    calls = {"n": 0}

    class _Failure:  # the HTTP response botocore sees
        status_code = 500
        headers: ClassVar[dict[str, str]] = {}
        content = b""

    def before_call(**_: Any) -> Any:
        calls["n"] += 1
        if calls["n"] <= successful_calls:
            return None
        return _Failure(), {
            "Error": {"Code": code, "Message": "injected: DynamoDB is down"},
            "ResponseMetadata": {"HTTPStatusCode": 500},
        }

    world.inject(world.clients().dynamodb, "before-call.dynamodb.BatchWriteItem", before_call)


def test_a_dynamodb_failure_in_the_middle_of_a_file_keeps_what_was_stored_and_fails_the_rest(
    scoring_world: ScoringWorld,
) -> None:
    scoring_world.configure(MAX_ATTEMPTS="3")
    # 100 rows: one chunk, written in 4 calls of 25 one after the other; DynamoDB goes down after the 2nd.
    key = _file(scoring_world, "incoming/outage.csv", 100)
    _fail_batch_writes_after(scoring_world, successful_calls=2)

    with pytest.raises(RowsFailed, match="scored but not stored: DynamoDB BatchWriteItem"):
        scoring_world.invoke(s3_event(key))

    assert len(scoring_world.items()) == 50
    failed = scoring_world.output_rows("failed/incoming/outage.csv")
    assert len(failed) == 50
    assert {r["Transaction ID"] for r in failed} | set(scoring_world.items()) == {
        f"tx-{i}" for i in range(100)
    }
    assert all("InternalServerError: injected: DynamoDB is down" in r["Reason"] for r in failed)


def test_lambdas_retry_after_an_outage_completes_the_file_and_removes_the_failed_object(
    scoring_world: ScoringWorld,
) -> None:
    scoring_world.configure(MAX_ATTEMPTS="2")
    key = _file(scoring_world, "incoming/recovered.csv", 60)  # one chunk: writes of 25, 25 and 10
    _fail_batch_writes_after(scoring_world, successful_calls=1)
    with pytest.raises(RowsFailed):
        scoring_world.invoke(s3_event(key))
    stored_before = scoring_world.items()
    scoring_world.remove_injected_faults()  # DynamoDB is back when Lambda retries

    requests_before = len(scoring_world.model.invocations)
    response = scoring_world.invoke(s3_event(key))

    # The retry reads only the 35 rows of the failed-rows file, whose predictions it kept: it stores them
    # without sending them to the endpoint again (no duplicate data capture).
    assert (response["rows_read"], response["rows_stored"], response["rows_failed"]) == (35, 35, 0)
    assert len(scoring_world.model.invocations) == requests_before
    items = scoring_world.items()
    assert len(items) == 60
    assert all(items[i] == stored_before[i] for i in stored_before)  # stored results did not change
    assert scoring_world.object_text("failed/incoming/recovered.csv") is None


def test_throttled_batch_writes_are_retried_until_processed(scoring_world: ScoringWorld) -> None:
    # DynamoDB reports throttled writes as UnprocessedItems (moto never does): the first call writes only
    # 10 of its items and hands back the others, as DynamoDB would.
    dynamodb = scoring_world.clients().dynamodb
    original = dynamodb.batch_write_item
    state = {"throttled": False}

    def batch_write_item(**kwargs: Any) -> dict[str, Any]:
        if state["throttled"]:
            return original(**kwargs)
        state["throttled"] = True
        ((table, requests),) = kwargs["RequestItems"].items()
        original(RequestItems={table: requests[:10]})
        return {"UnprocessedItems": {table: requests[10:]}}

    scoring_world.monkeypatch.setattr(dynamodb, "batch_write_item", batch_write_item)
    key = _file(scoring_world, "incoming/unprocessed.csv", 25)

    response = scoring_world.invoke(s3_event(key))

    assert (response["rows_stored"], response["rows_failed"]) == (25, 0)
    assert len(scoring_world.items()) == 25


def test_running_out_of_time_stops_reading_and_the_retry_continues(scoring_world: ScoringWorld) -> None:
    scoring_world.configure(TIME_RESERVE_S="30")
    key = _file(scoring_world, "incoming/long.csv", 250)

    with pytest.raises(RowsFailed, match="stopped after line 101"):
        scoring_world.invoke(s3_event(key), LambdaContext(timeout_s=20))
    assert len(scoring_world.items()) == 100

    response = scoring_world.invoke(s3_event(key), LambdaContext(aws_request_id="request-2"))
    # The retry continues at line 102: the first 100 rows are neither read nor checked again.
    assert response["files"][0]["resumed_from_line"] == 102
    assert (response["rows_read"], response["rows_already_stored"], response["rows_stored"]) == (150, 0, 150)


# -- what is not ours to score -------------------------------------------------------------------------


def test_objects_under_the_output_prefixes_are_skipped(scoring_world: ScoringWorld) -> None:
    key = scoring_world.put("rejected/incoming/x.csv", csv_text([transaction(1)]))
    scoring_world.configure(INPUT_PREFIX="")
    response = scoring_world.invoke(s3_event(key))
    assert response["files"][0]["status"] == "skipped"
    assert "is an output of this function" in response["files"][0]["detail"]
    assert scoring_world.items() == {}


def test_objects_outside_the_input_prefix_are_skipped(scoring_world: ScoringWorld) -> None:
    key = scoring_world.put("elsewhere/x.csv", csv_text([transaction(1)]))
    response = scoring_world.invoke(s3_event(key))
    assert response["files"][0]["status"] == "skipped"
    assert "outside INPUT_PREFIX='incoming/'" in response["files"][0]["detail"]


def test_a_deleted_object_is_reported_missing(scoring_world: ScoringWorld) -> None:
    response = scoring_world.invoke(s3_event("incoming/gone.csv"))
    assert response["files"][0]["status"] == "missing"
    assert response["statusCode"] == 200


def test_s3_test_event_is_acknowledged_without_scoring(scoring_world: ScoringWorld) -> None:
    response = scoring_world.invoke({"Service": "Amazon S3", "Event": "s3:TestEvent", "Bucket": BUCKET})
    assert (response["statusCode"], response["files"]) == (200, [])


def test_other_event_types_are_refused_with_a_clear_error(scoring_world: ScoringWorld) -> None:
    with pytest.raises(EventError, match="expected an S3 event notification"):
        scoring_world.invoke({"detail-type": "Object Created"})


def test_a_refused_invocation_is_counted_for_an_alarm(
    scoring_world: ScoringWorld, capsys: pytest.CaptureFixture[str]
) -> None:
    scoring_world.configure(MAX_CONCURRENCY="lots")
    with pytest.raises(ConfigurationError):
        scoring_world.invoke(s3_event("incoming/x.csv"))
    (emf,) = [json.loads(line) for line in capsys.readouterr().out.splitlines() if '"_aws"' in line]
    assert emf["InvocationsRefused"] == [1.0]


def test_a_bad_setting_stops_the_invocation_before_anything_is_read(scoring_world: ScoringWorld) -> None:
    scoring_world.configure(RECORDS_PER_REQUEST="0", MAX_ATTEMPTS="many")
    key = _file(scoring_world, "incoming/never.csv", 1)
    with pytest.raises(ConfigurationError) as raised:
        scoring_world.invoke(s3_event(key))
    assert raised.value.problems == (
        "environment variable RECORDS_PER_REQUEST='0': out of range: expected 1..500",
        "environment variable MAX_ATTEMPTS='many': not a whole number: expected 1..20",
    )


def test_a_missing_table_is_named_instead_of_failing_every_row(scoring_world: ScoringWorld) -> None:
    scoring_world.configure(DYNAMODB_TABLE_NAME="fraud-predictions-typo")
    key = _file(scoring_world, "incoming/lost.csv", 1)
    with pytest.raises(ConfigurationError, match="table 'fraud-predictions-typo' does not exist"):
        scoring_world.invoke(s3_event(key))
    assert scoring_world.model.invocations == []


def test_records_other_than_object_creation_are_ignored(scoring_world: ScoringWorld) -> None:
    event = {"Records": [s3_record(BUCKET, "incoming/x.csv", event_name="ObjectRemoved:Delete")]}
    assert scoring_world.invoke(event)["files"] == []


# -- logs and metrics ----------------------------------------------------------------------------------


def test_counts_are_published_as_cloudwatch_metrics(
    scoring_world: ScoringWorld, capsys: pytest.CaptureFixture[str]
) -> None:
    key = scoring_world.put("incoming/metrics.csv", csv_text([transaction(1), transaction(2, Quantity="x")]))
    scoring_world.invoke(s3_event(key))

    printed = [json.loads(line) for line in capsys.readouterr().out.splitlines() if line.startswith("{")]
    (emf,) = [line for line in printed if "_aws" in line]  # embedded metric format, one line
    metric_names = {m["Name"] for m in emf["_aws"]["CloudWatchMetrics"][0]["Metrics"]}
    assert {"RowsRead", "RowsScored", "RowsStored", "RowsRejected", "RowsFailed"} <= metric_names
    assert (emf["RowsRead"], emf["RowsStored"], emf["RowsRejected"]) == ([2.0], [1.0], [1.0])


def test_logs_are_json_lines_without_row_values(scoring_world: ScoringWorld) -> None:
    rows = [transaction(1), transaction(2, Transaction_Amount="secret-amount")]
    key = scoring_world.put("incoming/logged.csv", csv_text(rows))
    scoring_world.invoke(s3_event(key))

    output = scoring_world.log_stream.getvalue()
    logs = scoring_world.log_lines()  # each line parses as JSON
    assert [line["message"] for line in logs] == ["file scored", "invocation scored"]
    assert all(line["service"] == "transaction-scoring" for line in logs)
    assert all(line["function_request_id"] == "request-1" for line in logs)
    for forbidden in ("secret-amount", "12 Main Street", "192.168.0.7", "Lake Jasmine"):
        assert forbidden not in output
    (file_line,) = [line for line in logs if line.get("object", "").endswith("logged.csv")]
    assert file_line["rejected_columns"] == {"Transaction Amount": 1}
    assert file_line["first_rejected_lines"] == [3]
