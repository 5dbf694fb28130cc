"""The fan-out path end to end: the S3 event's invocation plans, Step Functions (the template's definition,
run by the sandbox's runner) scores slices with the same function, and every row ends stored once."""

from __future__ import annotations

import csv
import io
import json
from collections import Counter
from decimal import Decimal
from typing import Any, ClassVar

import boto3
import pytest
from scoring_world import BUCKET, REGION, ScoringWorld, csv_text, s3_event, transaction
from transaction_scoring import contract

from pipelines.sandbox.lambda_runner import LambdaContext, handler_task
from pipelines.sandbox.scoring_fan_out import create_state_machine, run_started_executions
from pipelines.sandbox.world import create_bucket


class FanOut:
    """The state machine in moto, and a way to run what the function started."""

    def __init__(self, world: ScoringWorld) -> None:
        self.world = world
        self.stepfunctions = boto3.client("stepfunctions", region_name=REGION)
        self.arn = create_state_machine(self.stepfunctions, BUCKET)
        self._run: set[str] = set()
        world.configure(
            FAN_OUT_STATE_MACHINE_ARN=self.arn,
            FAN_OUT_MIN_BYTES="1",
            FAN_OUT_SLICE_ROWS="40",
            FAN_OUT_MAX_CONCURRENCY="3",
        )

    def run(self) -> Any:
        (run,) = run_started_executions(
            self.stepfunctions, self.world.s3, self.arn, handler_task(), already_run=self._run
        )
        return run

    def executions(self) -> int:
        return len(self.stepfunctions.list_executions(stateMachineArn=self.arn)["executions"])


@pytest.fixture
def fan_out(scoring_world: ScoringWorld) -> FanOut:
    return FanOut(scoring_world)


def _lines(text: str) -> dict[str, int]:
    """The line each row ends on, as the single path numbers them (the csv module's line count)."""
    reader = csv.reader(io.StringIO(text, newline=""))
    next(reader)
    return {row[0]: reader.line_num for row in reader if row}


def _rows(n: int) -> list[dict[str, str]]:
    # Postal addresses over two lines, as the sandbox's generated data has them.
    return [transaction(i, Shipping_Address=f"{i} Main Street\nSpringfield") for i in range(n)]


def test_a_large_file_is_scored_in_slices_with_every_row_stored_once(
    scoring_world: ScoringWorld, fan_out: FanOut
) -> None:
    rows = _rows(300)
    rows[17] = transaction(17, Transaction_Amount="12,50 EUR")
    text = csv_text(rows)
    lines = text.splitlines(keepends=True)
    short_row = len(lines) - 10  # a row with a cell too few, which the planner rejects
    lines[short_row] = lines[short_row].replace("tx-", "short-", 1).replace(",mobile,", ",", 1)
    text = "".join(lines)
    key = scoring_world.put("incoming/big.csv", text)

    planned = scoring_world.invoke(s3_event(key))

    assert planned["files"][0]["status"] == "fanned_out"
    assert scoring_world.model.invocations == []  # the planner scores nothing itself
    run = fan_out.run()
    assert run.result.status == "SUCCEEDED", (run.result.error, run.result.cause)
    (map_run,) = run.result.map_runs
    assert (map_run.items, map_run.batches, map_run.failed) == (300, 8, 0)
    finished = run.result.output["report"]["files"][0]
    assert finished["status"] == "scored"
    assert (finished["rows_read"], finished["rows_stored"], finished["rows_rejected"]) == (300, 298, 2)
    items = scoring_world.items()
    expected = {tx: line for tx, line in _lines(text).items() if tx.startswith("tx-") and tx != "tx-17"}
    assert {tx: int(item["SourceLine"]) for tx, item in items.items()} == expected  # lines as the single path
    scored = Counter(r[contract.TRANSACTION_ID] for r in scoring_world.model.records_scored())
    assert scored == Counter(expected.keys())  # each row sent to the endpoint once
    rejected = scoring_world.s3.list_objects_v2(Bucket=BUCKET, Prefix=f"rejected/{key}.slices/")["Contents"]
    assert len(rejected) == 2  # the slice with tx-17, and the planner's file of rows with a cell too few
    assert any(
        r["Reason"] == "Transaction Amount '12,50 EUR' is not a number"
        for r in _rows_of(scoring_world, rejected)
    )


def _rows_of(world: ScoringWorld, objects: list[dict[str, Any]]) -> list[dict[str, str]]:
    return [row for obj in objects for row in world.output_rows(obj["Key"])]


def test_a_fanned_out_file_is_complete_after_its_execution_and_a_replay_does_nothing(
    scoring_world: ScoringWorld, fan_out: FanOut
) -> None:
    key = scoring_world.put("incoming/replayed-big.csv", csv_text(_rows(50)))
    scoring_world.invoke(s3_event(key))
    redelivered = scoring_world.invoke(s3_event(key), LambdaContext(aws_request_id="again"))
    assert redelivered["files"][0]["status"] == "fanned_out"  # the same execution: not started twice
    assert fan_out.executions() == 1

    fan_out.run()
    replay = scoring_world.invoke(s3_event(key), LambdaContext(aws_request_id="replay"))

    assert replay["files"][0]["status"] == "already_scored"
    assert len(scoring_world.items()) == 50


def test_a_slice_that_fails_is_retried_by_step_functions_without_duplicates(
    scoring_world: ScoringWorld, fan_out: FanOut
) -> None:
    scoring_world.model.failures_left = {"tx-57": 1}  # the model fails once on the slice holding tx-57
    key = scoring_world.put("incoming/flaky-slice.csv", csv_text(_rows(120)))

    scoring_world.invoke(s3_event(key))
    run = fan_out.run()

    assert run.result.status == "SUCCEEDED"
    assert run.result.retries == 1  # the slice's task, after RowsFailed
    assert len(scoring_world.items()) == 120
    scored = Counter(r[contract.TRANSACTION_ID] for r in scoring_world.model.records_scored())
    assert set(scored.values()) == {1}  # rows stored by the first attempt were not sent again
    assert scoring_world.s3.list_objects_v2(Bucket=BUCKET, Prefix=f"failed/{key}").get("KeyCount") == 0


def test_a_retried_slice_takes_over_the_lease_its_failed_attempt_could_not_release(
    scoring_world: ScoringWorld, fan_out: FanOut
) -> None:
    scoring_world.model.failures_left = {"tx-57": 1}

    def throttled_lease_release(params: dict[str, Any], **_: Any) -> Any:
        if "#lease" in json.loads(params["body"])["Key"]["TransactionID"]["S"]:
            return _Throttled(), {
                "Error": {"Code": "ThrottlingException", "Message": "Rate exceeded"},
                "ResponseMetadata": {"HTTPStatusCode": 400},
            }
        return None

    scoring_world.inject(
        scoring_world.clients().dynamodb, "before-call.dynamodb.DeleteItem", throttled_lease_release
    )
    key = scoring_world.put("incoming/stuck-lease.csv", csv_text(_rows(120)))

    scoring_world.invoke(s3_event(key))
    run = fan_out.run()

    # The retry (the same child execution) is not told the slice is busy until its lease expires.
    assert run.result.status == "SUCCEEDED"
    assert run.result.retries == 1
    assert len(scoring_world.items()) == 120


class _Throttled:
    """The HTTP answer botocore sees instead of calling DynamoDB."""

    status_code = 400
    headers: ClassVar[dict[str, str]] = {}
    content = b""


def test_a_slice_that_keeps_failing_leaves_its_rows_in_its_failed_file_and_fails_the_execution(
    scoring_world: ScoringWorld, fan_out: FanOut
) -> None:
    scoring_world.configure(FAN_OUT_TOLERATED_FAILURE_PERCENTAGE="50")
    scoring_world.model.failing_ids = {"tx-57"}
    key = scoring_world.put("incoming/poison-slice.csv", csv_text(_rows(120)))

    scoring_world.invoke(s3_event(key))
    run = fan_out.run()

    # Within the tolerance the other slices finish; the Finish step reports the file and fails the execution.
    assert (run.result.status, run.result.error) == ("FAILED", "RowsFailed")
    assert "1 slices failed after Step Functions' retries" in run.result.cause
    (failed_file,) = scoring_world.s3.list_objects_v2(Bucket=BUCKET, Prefix=f"failed/{key}.slices/")[
        "Contents"
    ]
    failed = scoring_world.output_rows(failed_file["Key"])
    assert "tx-57" in {r["Transaction ID"] for r in failed}
    assert len(scoring_world.items()) + len(failed) == 120


def test_a_map_run_over_its_failure_tolerance_is_reported_by_the_finish_step(
    scoring_world: ScoringWorld, fan_out: FanOut
) -> None:
    scoring_world.configure(FAN_OUT_TOLERATED_FAILURE_PERCENTAGE="0")
    scoring_world.model.failing_ids = {"tx-3"}
    key = scoring_world.put("incoming/intolerable.csv", csv_text(_rows(80)))

    scoring_world.invoke(s3_event(key))
    run = fan_out.run()

    assert run.result.status == "FAILED"
    assert (
        "the Map Run failed: States.ExceedToleratedFailureThreshold"
        in json.loads(run.result.cause)["errorMessage"]
    )


def test_a_file_with_a_blank_line_between_rows_is_scored_by_one_invocation(
    scoring_world: ScoringWorld, fan_out: FanOut
) -> None:
    text = csv_text(_rows(10)).replace("\n", "\n\n", 1)  # a blank line after the header
    key = scoring_world.put("incoming/blank-line.csv", text)

    response = scoring_world.invoke(s3_event(key))

    assert (response["files"][0]["status"], response["rows_stored"]) == ("scored", 10)
    assert "not fanned out: line 2 is blank, between rows" in response["files"][0]["warnings"][0]
    assert fan_out.executions() == 0


def test_a_bucket_without_versioning_is_not_fanned_out(scoring_world: ScoringWorld, fan_out: FanOut) -> None:
    create_bucket(scoring_world.s3, "fraud-unversioned", REGION)
    event = scoring_world.put_event("incoming/plain.csv", csv_text(_rows(10)), bucket="fraud-unversioned")

    response = scoring_world.invoke(event)

    assert (response["files"][0]["status"], response["rows_stored"]) == ("scored", 10)
    assert "the bucket has no versioning" in response["files"][0]["warnings"][0]
    assert fan_out.executions() == 0


def test_stored_items_of_both_paths_are_the_same(scoring_world: ScoringWorld, fan_out: FanOut) -> None:
    text = csv_text(_rows(60))
    scoring_world.invoke(s3_event(scoring_world.put("incoming/fanned.csv", text)))
    fan_out.run()
    fanned = scoring_world.items()
    for item in fanned.values():
        scoring_world.dynamodb.delete_item(
            TableName="fraud-predictions-test", Key={"TransactionID": {"S": item["TransactionID"]}}
        )
    scoring_world.configure(FAN_OUT_MIN_BYTES=str(10**9))
    scoring_world.invoke(s3_event(scoring_world.put("incoming/fanned.csv", text)))
    single = scoring_world.items()

    def comparable(item: dict[str, Any]) -> dict[str, Any]:
        return {k: v for k, v in item.items() if k not in ("Timestamp", "InferenceId", "SourceVersion")}

    assert {k: comparable(v) for k, v in single.items()} == {k: comparable(v) for k, v in fanned.items()}
    assert fanned["tx-5"]["SourceLine"] == Decimal(13)
