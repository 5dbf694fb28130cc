"""Ground-truth merge: Model Monitor's matching on inferenceId, extended to records inside a batch."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import polars as pl
import pytest
from transaction_scoring.contract import Prediction, encode_request, encode_response

from pipelines.aws import client
from pipelines.capture import CapturedPayload, CaptureEncoding, CaptureRecord, capture_file_key
from pipelines.errors import UserError
from pipelines.ground_truth import GroundTruthRecord, ground_truth_file_key
from pipelines.monitoring.capture_reader import CaptureReader, capture_files
from pipelines.monitoring.ground_truth_merge import (
    GROUND_TRUTH_COLUMN,
    GroundTruthLabels,
    capture_window,
    ground_truth_window,
    merge_ground_truth,
    read_ground_truth,
)
from pipelines.monitoring.model_quality import ModelQualityColumns, ModelQualityConfig, evaluate
from pipelines.storage import Storage
from pipelines.timewindow import TimeWindow, parse_duration


def _labels(*pairs: tuple[str, str]) -> GroundTruthLabels:
    labels = GroundTruthLabels()
    labels.add_lines(
        "labels.jsonl", [GroundTruthRecord(event_id, label).to_line() for event_id, label in pairs]
    )
    return labels


def _records(rows: list[tuple[str, str | None, str | None]]) -> pl.DataFrame:
    """(eventId, inferenceId, Transaction ID) per captured record, as the capture reader lays them out."""
    return pl.DataFrame(
        {
            "__event_id": [r[0] for r in rows],
            "__inference_id": [r[1] for r in rows],
            "__record_id": [r[2] for r in rows],
        },
        schema={"__event_id": pl.String, "__inference_id": pl.String, "__record_id": pl.String},
    )


def _merged_labels(records: pl.DataFrame, labels: GroundTruthLabels) -> list[str | None]:
    merged, _ = merge_ground_truth(records, labels)
    return merged[GROUND_TRUTH_COLUMN].to_list()


def test_a_single_record_request_matches_on_its_inference_id() -> None:
    records = _records([("e-1", "inf-1", "t-1")])
    assert _merged_labels(records, _labels(("inf-1", "1"))) == ["1"]


def test_a_request_without_inference_id_matches_on_its_event_id() -> None:
    records = _records([("e-1", None, "t-1")])
    assert _merged_labels(records, _labels(("e-1", "0"))) == ["0"]


def test_records_of_a_batch_request_match_on_the_transaction_id_inside_each_record() -> None:
    records = _records([("e-1", "batch-1", "t-1"), ("e-1", "batch-1", "t-2"), ("e-1", "batch-1", "t-3")])
    assert _merged_labels(records, _labels(("t-3", "1"), ("t-1", "0"))) == ["0", None, "1"]


def test_a_label_for_a_batch_inference_id_matches_no_record() -> None:
    records = _records([("e-1", "batch-1", "t-1"), ("e-1", "batch-1", "t-2")])
    merged, report = merge_ground_truth(records, _labels(("batch-1", "1")))
    assert merged[GROUND_TRUTH_COLUMN].to_list() == [None, None]
    assert report.unmatched_ground_truth == 1


def test_a_single_record_request_falls_back_to_its_transaction_id() -> None:
    records = _records([("e-1", "some-other-id", "t-1")])
    assert _merged_labels(records, _labels(("t-1", "1"))) == ["1"]


def test_the_last_collected_label_wins_and_earlier_ones_are_counted_as_superseded() -> None:
    labels = _labels(("t-1", "0"), ("t-1", "1"))
    merged, report = merge_ground_truth(_records([("e-1", "t-1", "t-1")]), labels)
    assert merged[GROUND_TRUTH_COLUMN].to_list() == ["1"]
    assert report.superseded_labels == 1


def test_unreadable_lines_are_counted_and_kept_without_stopping_the_merge() -> None:
    labels = GroundTruthLabels()
    labels.add_lines(
        "s3://b/gt/2026/01/01/10/a.jsonl", ["not json", GroundTruthRecord("t-1", "1").to_line(), "{}"]
    )
    assert labels.unreadable_lines == 2
    assert labels.problems[0].startswith("s3://b/gt/2026/01/01/10/a.jsonl:1: not JSON")
    assert "a.jsonl:3: needs 'groundTruthData' with 'data'" in labels.problems[1]
    assert labels.labels == {"t-1": "1"}


def test_unmatched_records_and_unused_labels_are_both_counted() -> None:
    records = _records([("e-1", "t-1", "t-1"), ("e-2", "t-2", "t-2"), ("e-3", "t-3", "t-3")])
    _, report = merge_ground_truth(records, _labels(("t-1", "1"), ("t-9", "0")))
    assert report.as_json() == {
        "records": 3,
        "ground_truth_matched": 1,
        "ground_truth_unmatched": 2,
        "ground_truth_labels": 2,
        "ground_truth_labels_unused": 1,
        "ground_truth_superseded": 0,
        "ground_truth_unreadable_lines": 0,
    }


def _write_labels(
    storage: Storage, root: str, collected_at: datetime, pairs: list[tuple[str, str]], name: str
) -> None:
    lines = "\n".join(GroundTruthRecord(event_id, label).to_line() for event_id, label in pairs) + "\n"
    storage.write_text(f"{root}/{ground_truth_file_key(collected_at, name)}", lines)


def test_labels_are_read_from_the_window_hours_only_and_in_collection_order(tmp_path: Path) -> None:
    storage, root = Storage(), str(tmp_path / "ground-truth")
    _write_labels(storage, root, datetime(2026, 1, 1, 9, 30, tzinfo=UTC), [("t-1", "0")], "before")
    _write_labels(storage, root, datetime(2026, 1, 1, 10, 5, tzinfo=UTC), [("t-1", "0"), ("t-2", "1")], "a")
    _write_labels(storage, root, datetime(2026, 1, 1, 11, 59, tzinfo=UTC), [("t-1", "1")], "b")
    _write_labels(storage, root, datetime(2026, 1, 1, 12, 0, tzinfo=UTC), [("t-3", "1")], "after")
    window = TimeWindow(datetime(2026, 1, 1, 10, tzinfo=UTC), datetime(2026, 1, 1, 12, tzinfo=UTC))
    labels = read_ground_truth(storage, root, window)
    assert labels.labels == {"t-1": "1", "t-2": "1"}
    assert labels.superseded == 1


def test_labels_are_read_from_s3(aws_emulator: object) -> None:
    s3 = client("s3")
    s3.create_bucket(Bucket="labels")
    storage = Storage(s3)
    _write_labels(storage, "s3://labels/gt", datetime(2026, 1, 1, 10, 5, tzinfo=UTC), [("t-1", "1")], "a")
    window = TimeWindow(datetime(2026, 1, 1, 10, tzinfo=UTC), datetime(2026, 1, 1, 11, tzinfo=UTC))
    assert read_ground_truth(storage, "s3://labels/gt", window).labels == {"t-1": "1"}


def test_offsets_move_the_capture_window_back_from_the_execution_time_like_the_aws_example() -> None:
    execution = TimeWindow(datetime(2020, 1, 9, 12, tzinfo=UTC), datetime(2020, 1, 9, 13, tzinfo=UTC))
    window = capture_window(execution, parse_duration("-P8D"), parse_duration("-P1D"))
    assert window == TimeWindow(datetime(2020, 1, 1, 13, tzinfo=UTC), datetime(2020, 1, 8, 13, tzinfo=UTC))


def test_without_offsets_the_capture_window_is_the_execution_window() -> None:
    execution = TimeWindow(datetime(2020, 1, 9, 12, tzinfo=UTC), datetime(2020, 1, 9, 13, tzinfo=UTC))
    assert capture_window(execution) == execution


def test_labels_are_looked_for_from_the_capture_start_to_the_execution_time() -> None:
    execution = TimeWindow(datetime(2020, 1, 9, 12, tzinfo=UTC), datetime(2020, 1, 9, 13, tzinfo=UTC))
    capture = capture_window(execution, timedelta(days=-2), timedelta(days=-1))
    assert ground_truth_window(capture, execution) == TimeWindow(capture.start, execution.end)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("-PT7H", timedelta(hours=-7)),
        ("-P1D", timedelta(days=-1)),
        ("PT30M", timedelta(minutes=30)),
        ("-P1DT12H", timedelta(days=-1, hours=-12)),
    ],
)
def test_iso_8601_offsets_are_parsed(text: str, expected: timedelta) -> None:
    assert parse_duration(text) == expected


@pytest.mark.parametrize("text", ["P", "-PT", "1D", "-P1X", ""])
def test_malformed_offsets_are_rejected_with_an_example(text: str) -> None:
    with pytest.raises(UserError, match=r"expected e\.g\. -PT1H, -P1D"):
        parse_duration(text, what="--start-offset")


def test_records_read_by_the_capture_reader_merge_with_labels_end_to_end(tmp_path: Path) -> None:
    storage, capture_root, when = (
        Storage(),
        str(tmp_path / "capture"),
        datetime(2026, 1, 1, 10, 15, tzinfo=UTC),
    )
    text = {"application/json": CaptureEncoding.JSON}

    def request(event_id: str, inference_id: str, ids: list[str], probabilities: list[float]) -> str:
        records = [{"Transaction ID": i, "Transaction Amount": 10.0} for i in ids]
        predictions = [Prediction(label=int(p >= 50), probability_pct=p) for p in probabilities]
        return CaptureRecord(
            endpoint_input=CapturedPayload.encode(encode_request(records), "application/json", text),
            endpoint_output=CapturedPayload.encode(encode_response(predictions), "application/json", text),
            event_id=event_id,
            inference_time=when,
            inference_id=inference_id,
        ).to_line()

    lines = [request("e-1", "t-1", ["t-1"], [90.0]), request("e-2", "batch-7", ["t-2", "t-3"], [80.0, 10.0])]
    storage.write_text(
        f"{capture_root}/{capture_file_key('fraud', 'AllTraffic', when, 'f')}", "\n".join(lines) + "\n"
    )
    window = TimeWindow(datetime(2026, 1, 1, 10, tzinfo=UTC), datetime(2026, 1, 1, 11, tzinfo=UTC))
    records = CaptureReader(storage, prefetch=False).read(
        capture_files(storage, capture_root, "fraud", window)
    )

    merged, report = merge_ground_truth(records, _labels(("t-1", "1"), ("t-2", "0"), ("t-3", "0")))
    assert merged.sort("__record_id")[GROUND_TRUTH_COLUMN].to_list() == ["1", "0", "0"]
    assert (report.matched_records, report.unmatched_ground_truth) == (3, 0)
    result = evaluate(merged, ModelQualityColumns.for_capture(), ModelQualityConfig(), None)
    assert result.statistics["binary_classification_metrics"]["confusion_matrix"] == {
        "0": {"0": 1, "1": 1},
        "1": {"0": 0, "1": 1},
    }


def test_a_label_line_with_an_invalid_utf8_byte_is_skipped_and_reported(tmp_path: Path) -> None:
    storage, root = Storage(), str(tmp_path / "ground-truth")
    collected = datetime(2026, 1, 1, 10, 5, tzinfo=UTC)
    _write_labels(storage, root, collected, [("t-1", "0"), ("t-marked", "1"), ("t-3", "1")], "a")
    path = f"{root}/{ground_truth_file_key(collected, 'a')}"
    Path(path).write_bytes(Path(path).read_bytes().replace(b"marked", b"x\xffy"))
    offset = Path(path).read_bytes().split(b"\n")[1].index(b"\xff")
    window = TimeWindow(datetime(2026, 1, 1, 10, tzinfo=UTC), datetime(2026, 1, 1, 11, tzinfo=UTC))
    labels = read_ground_truth(storage, root, window)
    assert labels.labels == {"t-1": "0", "t-3": "1"}
    assert labels.unreadable_lines == 1
    assert labels.problems == [f"{path}:2: not UTF-8 text (invalid start byte at byte {offset} of the line)"]
