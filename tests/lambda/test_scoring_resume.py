"""Resuming a file where an attempt stopped: a ranged GET from the byte after the last record read.

An attempt given less time than TIME_RESERVE_S stops at its first check (after 100 rows), which makes the stop
point exact: each test then checks where the retry starts and that every row ends stored exactly once.
"""

from __future__ import annotations

from collections import Counter
from decimal import Decimal
from typing import Any

import pytest
from scoring_world import REGION, ScoringWorld, csv_text, s3_event, transaction
from transaction_scoring import contract
from transaction_scoring.errors import RowsFailed

from pipelines.sandbox.lambda_runner import LambdaContext
from pipelines.sandbox.world import create_bucket

SHORT = 20  # seconds left: less than TIME_RESERVE_S=30, so an attempt stops after its first 100 rows


def _ranges(world: ScoringWorld) -> list[str]:
    """Records the Range of every GetObject the function sends."""
    ranges: list[str] = []

    def note(params: dict[str, Any], **_: Any) -> None:
        ranges.append(params.get("Range", ""))

    world.inject(world.clients().s3, "before-parameter-build.s3.GetObject", note)
    return ranges


def _attempt(world: ScoringWorld, event: dict[str, Any], number: int) -> dict[str, Any] | None:
    """One Lambda attempt with little time; None when it stopped early (and raised for Lambda's retry)."""
    try:
        return world.invoke(event, LambdaContext(aws_request_id=f"attempt-{number}", timeout_s=SHORT))
    except RowsFailed as stopped:
        if "stopped after line" not in str(stopped):
            raise
        return None


def _stored_once(world: ScoringWorld, expected_ids: list[str]) -> dict[str, dict[str, Any]]:
    items = world.items()
    assert sorted(items) == sorted(expected_ids)
    assert set(Counter(r[contract.TRANSACTION_ID] for r in world.model.records_sent()).values()) == {1}
    return items


@pytest.fixture
def short_attempts(scoring_world: ScoringWorld) -> ScoringWorld:
    scoring_world.configure(TIME_RESERVE_S="30")
    return scoring_world


def test_each_attempt_continues_with_a_ranged_get_from_the_next_unread_record(
    short_attempts: ScoringWorld,
) -> None:
    world = short_attempts
    text = csv_text([transaction(i) for i in range(250)])
    key = world.put("incoming/three-attempts.csv", text)
    ranges = _ranges(world)

    assert _attempt(world, s3_event(key), 1) is None
    assert _attempt(world, s3_event(key), 2) is None
    last = _attempt(world, s3_event(key), 3)

    assert last is not None
    assert (last["files"][0]["resumed_from_line"], last["rows_read"], last["rows_stored"]) == (202, 50, 50)
    line_102 = len("".join(text.splitlines(keepends=True)[:101]).encode())
    line_202 = len("".join(text.splitlines(keepends=True)[:201]).encode())
    assert ranges == ["", f"bytes={line_102}-", f"bytes={line_202}-"]
    items = _stored_once(world, [f"tx-{i}" for i in range(250)])
    assert items["tx-249"]["SourceLine"] == Decimal(251)


def test_a_quoted_row_spanning_lines_at_the_stop_point_is_read_once_whole(
    short_attempts: ScoringWorld,
) -> None:
    world = short_attempts
    rows = [transaction(i) for i in range(150)]
    rows[99] = transaction(99, Customer_Location="Lake\r\nJasmine")  # the 100th row spans lines 101-102
    key = world.put("incoming/split.csv", csv_text(rows, line_end="\r\n"))

    assert _attempt(world, s3_event(key), 1) is None
    last = _attempt(world, s3_event(key), 2)

    assert last is not None
    assert (last["files"][0]["resumed_from_line"], last["rows_read"], last["rows_rejected"]) == (103, 50, 0)
    items = _stored_once(world, [f"tx-{i}" for i in range(150)])
    assert (items["tx-99"]["SourceLine"], items["tx-100"]["SourceLine"]) == (Decimal(102), Decimal(103))
    sent = {r[contract.TRANSACTION_ID]: r for r in world.model.records_sent()}
    assert sent["tx-99"][contract.CUSTOMER_LOCATION] == "Lake\r\nJasmine"


def test_a_bom_and_crlf_line_ends_keep_offsets_and_line_numbers_exact(short_attempts: ScoringWorld) -> None:
    world = short_attempts
    key = world.put(
        "incoming/windows.csv", csv_text([transaction(i) for i in range(130)], line_end="\r\n", bom=True)
    )
    ranges = _ranges(world)

    assert _attempt(world, s3_event(key), 1) is None
    last = _attempt(world, s3_event(key), 2)

    assert last is not None
    header_and_100_rows = csv_text([transaction(i) for i in range(100)], line_end="\r\n", bom=True)
    assert ranges[-1] == f"bytes={len(header_and_100_rows.encode())}-"  # the BOM's 3 bytes counted
    items = _stored_once(world, [f"tx-{i}" for i in range(130)])
    assert items["tx-129"]["SourceLine"] == Decimal(131)


def test_rejected_rows_of_all_attempts_end_in_one_file(short_attempts: ScoringWorld) -> None:
    world = short_attempts
    rows = [transaction(i, Quantity="x") if i in (5, 150) else transaction(i) for i in range(190)]
    key = world.put("incoming/bad-in-both.csv", csv_text(rows))

    assert _attempt(world, s3_event(key), 1) is None
    assert _attempt(world, s3_event(key), 2) is not None

    rejected = world.output_rows(f"rejected/{key}")
    assert [(r["Transaction ID"], r["Source Line"]) for r in rejected] == [("tx-5", "7"), ("tx-150", "152")]


def test_a_duplicate_of_a_row_stored_by_an_earlier_attempt_is_still_rejected(
    short_attempts: ScoringWorld,
) -> None:
    world = short_attempts
    rows = [*(transaction(i) for i in range(150)), transaction(3, Transaction_Amount="999.00")]
    key = world.put("incoming/late-duplicate.csv", csv_text(rows))

    assert _attempt(world, s3_event(key), 1) is None
    assert _attempt(world, s3_event(key), 2) is not None

    (rejected,) = world.output_rows(f"rejected/{key}")
    assert rejected["Reason"] == "duplicate Transaction ID 'tx-3': already stored from line 5 of this file"


def test_an_object_replaced_between_attempts_is_left_to_the_event_of_its_new_content(
    short_attempts: ScoringWorld,
) -> None:
    # A bucket without versioning: the checkpoint is about the ETag the first attempt read.
    world = short_attempts
    bucket = "fraud-unversioned"
    create_bucket(world.s3, bucket, REGION)
    key = "incoming/replaced.csv"
    first = world.put_event(key, csv_text([transaction(i) for i in range(150)]), bucket=bucket)
    assert _attempt(world, first, 1) is None
    second = world.put_event(key, csv_text([transaction(i) for i in range(150, 260)]), bucket=bucket)

    retry = world.invoke(first, LambdaContext(aws_request_id="attempt-2"))
    new_content = world.invoke(second, LambdaContext(aws_request_id="new-content"))

    assert retry["files"][0]["status"] == "skipped"
    assert "PreconditionFailed" in retry["files"][0]["detail"]
    assert "replaced since the last attempt" in retry["files"][0]["detail"]
    # The new content starts over from line 1; its rows are new transactions.
    assert (new_content["rows_read"], new_content["rows_stored"]) == (110, 110)
    stored = world.items()
    assert len(stored) == 100 + 110
    assert all(item["SourceObject"] == f"s3://{bucket}/{key}" for item in stored.values())


def test_the_checkpoint_of_an_unfinished_file_names_where_it_stopped(short_attempts: ScoringWorld) -> None:
    world = short_attempts
    key = world.put("incoming/checkpointed.csv", csv_text([transaction(i) for i in range(150)]))
    assert _attempt(world, s3_event(key), 1) is None

    item = world.item(f"#progress {world.identity(key)}")

    assert item is not None
    assert (item["State"], item["NextLine"]) == ("reading", Decimal(102))
    assert item["Header"] == list(contract.TRANSACTION_COLUMNS)
    assert item["NextOffset"] == len(csv_text([transaction(i) for i in range(100)]).encode())
    assert item["LeaseExpiresAt"] > 0  # the table's TTL removes it a week after its last write


def test_a_checkpoint_whose_rejected_file_is_gone_starts_the_file_over_and_counts_rows_once(
    short_attempts: ScoringWorld,
) -> None:
    world = short_attempts
    rows = [transaction(i, Quantity="x") if i in (5, 150) else transaction(i) for i in range(190)]
    key = world.put("incoming/cleaned-up.csv", csv_text(rows))
    assert _attempt(world, s3_event(key), 1) is None
    (version,) = world.s3.list_object_versions(Bucket="fraud-transactions", Prefix=f"rejected/{key}")[
        "Versions"
    ]
    world.s3.delete_object(Bucket="fraud-transactions", Key=f"rejected/{key}", VersionId=version["VersionId"])

    last = world.invoke(s3_event(key), LambdaContext(aws_request_id="attempt-2"))

    report = last["files"][0]
    assert (
        "started over from line 1: the rejected-rows file of the last attempt is gone"
        in report["warnings"][0]
    )
    assert (
        report["rows_read"],
        report["rows_already_stored"],
        report["rows_stored"],
        report["rows_rejected"],
    ) == (
        190,
        99,
        89,
        2,
    )
    assert [r["Transaction ID"] for r in world.output_rows(f"rejected/{key}")] == ["tx-5", "tx-150"]
