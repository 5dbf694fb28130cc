"""The capture reader: every encoding and request shape, bad lines kept and reported, S3 and local alike."""

from __future__ import annotations

import json
from datetime import datetime
from pathlib import Path

import polars as pl
import pytest

from pipelines.capture import CapturedPayload, CaptureEncoding, CaptureRecord, capture_file_key
from pipelines.monitoring.capture_reader import (
    INFERENCE_ID,
    PREDICTED_LABEL,
    PREDICTED_PROBABILITY,
    RECORD_ID,
    RECORD_INDEX,
    CaptureReader,
    ResponseFields,
    capture_files,
)
from pipelines.storage import Storage
from pipelines.timewindow import TimeWindow, parse_utc

WHEN = parse_utc("2026-11-29T10:15:00Z")
HOUR = TimeWindow(parse_utc("2026-11-29T10:00:00Z"), parse_utc("2026-11-29T11:00:00Z"))
JSON_TYPES = {"application/json": CaptureEncoding.JSON, "text/csv": CaptureEncoding.CSV}


def _record(
    body: str, response: str, *, event: str, content_type: str = "application/json", text_types=JSON_TYPES
) -> str:
    return CaptureRecord(
        endpoint_input=CapturedPayload.encode(body.encode(), content_type, text_types),
        endpoint_output=CapturedPayload.encode(response.encode(), content_type, text_types),
        event_id=f"evt-{event}",
        inference_time=WHEN,
        inference_id=f"inf-{event}",
    ).to_line()


def _write(root: Path, lines: list[str], when: datetime = WHEN, name: str = "a") -> str:
    path = root / capture_file_key("ep", "AllTraffic", when, file_id=name)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("\n".join(lines) + "\n")
    return str(path)


def _read(root: Path, **options) -> tuple[pl.DataFrame, CaptureReader]:
    storage = Storage()
    reader = CaptureReader(storage, **options)
    return reader.read(capture_files(storage, str(root), "ep", HOUR)), reader


def _request(n: int, start: int = 0) -> str:
    records = [
        {"Transaction ID": f"t{i}", "Transaction Amount": 10.5 + i, "Quantity": i}
        for i in range(start, start + n)
    ]
    return json.dumps(records if n > 1 else records[0])


def _response(n: int) -> str:
    return json.dumps([{"class": i % 2, "probability": 10.0 * i} for i in range(n)])


def test_a_single_record_request_is_one_row_with_its_prediction(tmp_path: Path) -> None:
    _write(tmp_path, [_record(_request(1), _response(1), event="1")])
    frame, reader = _read(tmp_path)
    assert frame.select(
        "Transaction ID", "Transaction Amount", "Quantity", RECORD_INDEX, RECORD_ID
    ).rows() == [("t0", 10.5, 0, 0, "t0")]
    assert frame.select(INFERENCE_ID, PREDICTED_LABEL, PREDICTED_PROBABILITY).row(0) == ("inf-1", 0, 0.0)
    assert (reader.report.captured_requests, reader.report.records, reader.report.unreadable) == (1, 1, [])


def test_a_multi_record_request_gives_one_row_per_record_matched_by_position(tmp_path: Path) -> None:
    _write(tmp_path, [_record(_request(3), _response(3), event="1")])
    frame, _ = _read(tmp_path)
    assert frame.select(RECORD_ID, RECORD_INDEX, PREDICTED_LABEL, PREDICTED_PROBABILITY).rows() == [
        ("t0", 0, 0, 0.0),
        ("t1", 1, 1, 10.0),
        ("t2", 2, 0, 20.0),
    ]


def test_base64_captures_are_decoded_by_content_type(tmp_path: Path) -> None:
    _write(tmp_path, [_record(_request(2), _response(2), event="1", text_types={})])
    frame, reader = _read(tmp_path)
    assert frame.get_column(RECORD_ID).to_list() == ["t0", "t1"]
    assert reader.report.unreadable == []


def test_csv_captures_name_columns_like_the_analyzer(tmp_path: Path) -> None:
    _write(tmp_path, [_record("1.5,2,card\n3.5,4,cash", "0.12\n0.93", event="1", content_type="text/csv")])
    frame, _ = _read(tmp_path)
    assert frame.select("_c0", "_c1", "_c2", RECORD_INDEX, PREDICTED_PROBABILITY).rows() == [
        ("1.5", "2", "card", 0, 0.12),
        ("3.5", "4", "cash", 1, 0.93),
    ]


def test_csv_responses_with_label_and_probability_give_both(tmp_path: Path) -> None:
    _write(tmp_path, [_record("1,2", "1,87.5", event="1", content_type="text/csv")])
    frame, _ = _read(tmp_path)
    assert frame.select(PREDICTED_LABEL, PREDICTED_PROBABILITY).row(0) == (1, 87.5)


def test_base64_csv_captures_are_read_as_csv(tmp_path: Path) -> None:
    _write(tmp_path, [_record("7,8", "0.5", event="1", content_type="text/csv", text_types={})])
    frame, _ = _read(tmp_path)
    assert frame.select("_c0", "_c1").row(0) == ("7", "8")


def test_bad_lines_are_reported_with_file_and_line_and_the_rest_is_read(tmp_path: Path) -> None:
    path = _write(
        tmp_path,
        [
            _record(_request(1), _response(1), event="1"),
            "not json at all",
            json.dumps({"hello": "world"}),
            _record(_request(2, start=5), _response(2), event="2"),
        ],
    )
    frame, reader = _read(tmp_path)
    assert frame.get_column(RECORD_ID).to_list() == ["t0", "t5", "t6"]
    assert [str(p) for p in reader.report.unreadable] == [
        f"{path}:2: not JSON (Expecting value)",
        f"{path}:3: no 'captureData' object: not a SageMaker data-capture record",
    ]


def test_an_undecodable_payload_is_reported_and_the_other_requests_are_read(tmp_path: Path) -> None:
    path = _write(
        tmp_path,
        [
            _record(_request(1), _response(1), event="1"),
            _record("{broken", _response(1), event="2"),
            _record("[1, 2]", _response(1), event="3"),
        ],
    )
    frame, reader = _read(tmp_path)
    assert frame.get_column(RECORD_ID).to_list() == ["t0"]
    assert [str(p) for p in reader.report.unreadable] == [
        f"{path}:2: payload is not JSON (Expecting property name enclosed in double quotes at column 2)",
        f"{path}:3: payload is not a JSON object or a list of objects",
    ]


def test_a_response_with_another_record_count_leaves_predictions_empty(tmp_path: Path) -> None:
    path = _write(tmp_path, [_record(_request(2), _response(1), event="1")])
    frame, reader = _read(tmp_path)
    assert frame.get_column(PREDICTED_PROBABILITY).to_list() == [None, None]
    assert [str(p) for p in reader.report.response_problems] == [
        f"{path}:1: response has 1 predictions for 2 records; predictions left empty"
    ]


def test_response_attribute_names_are_configurable(tmp_path: Path) -> None:
    _write(tmp_path, [_record(_request(1), json.dumps({"label": 1, "score": 0.8}), event="1")])
    frame, _ = _read(tmp_path, response_fields=ResponseFields(label="label", probability="score"))
    assert frame.select(PREDICTED_LABEL, PREDICTED_PROBABILITY).row(0) == (1, 0.8)


def test_a_field_that_is_a_number_in_one_record_and_text_in_another_is_text(tmp_path: Path) -> None:
    _write(
        tmp_path,
        [
            _record(json.dumps({"code": 5}), _response(1), event="1"),
            _record(json.dumps({"code": "x7"}), _response(1), event="2"),
        ],
    )
    frame, reader = _read(tmp_path)
    assert frame.get_column("code").to_list() == ["5", "x7"]
    assert reader.report.unreadable == []


def test_date_like_texts_keep_their_original_form(tmp_path: Path) -> None:
    _write(tmp_path, [_record(json.dumps({"when": "2024-01-02 03:04:05", "n": 1}), _response(1), event="1")])
    frame, _ = _read(tmp_path)
    assert frame.select("when", "n").row(0) == ("2024-01-02 03:04:05", 1)


def test_only_the_hours_of_the_window_are_read(tmp_path: Path) -> None:
    _write(tmp_path, [_record(_request(1), _response(1), event="1")])
    _write(
        tmp_path,
        [_record(_request(1, start=9), _response(1), event="2")],
        when=parse_utc("2026-11-29T11:05:00Z"),
        name="b",
    )
    frame, _ = _read(tmp_path)
    assert frame.get_column(RECORD_ID).to_list() == ["t0"]


def test_small_batches_and_no_prefetch_read_the_same_records(tmp_path: Path) -> None:
    for i in range(5):
        _write(tmp_path, [_record(_request(2, start=10 * i), _response(2), event=str(i))], name=f"f{i}")
    whole, _ = _read(tmp_path)
    batched, reader = _read(tmp_path, batch_bytes=1, prefetch=False)
    assert batched.equals(whole)
    assert reader.report.files == 5


def test_an_error_while_reading_reaches_the_caller(tmp_path: Path) -> None:
    storage = Storage()
    reader = CaptureReader(storage)
    with pytest.raises(Exception, match="no such file"):
        list(reader.batches([str(tmp_path / "missing.jsonl")]))


def test_captures_are_read_from_s3(aws_emulator) -> None:
    from pipelines.aws import client

    s3 = client("s3")
    s3.create_bucket(Bucket="capture-bucket")
    key = "datacapture/" + capture_file_key("ep", "AllTraffic", WHEN, file_id="s3")
    body = _record(_request(2), _response(2), event="1") + "\n"
    s3.put_object(Bucket="capture-bucket", Key=key, Body=body.encode())
    storage = Storage(s3)
    reader = CaptureReader(storage)
    frame = reader.read(capture_files(storage, "s3://capture-bucket/datacapture", "ep", HOUR))
    assert frame.get_column(RECORD_ID).to_list() == ["t0", "t1"]


def test_a_consumer_that_stops_early_does_not_leave_the_reader_hanging(tmp_path: Path) -> None:
    for i in range(4):
        _write(tmp_path, [_record(_request(1, start=i), _response(1), event=str(i))], name=f"f{i}")
    storage = Storage()
    batches = CaptureReader(storage, batch_bytes=1).batches(capture_files(storage, str(tmp_path), "ep", HOUR))
    first = next(batches)
    batches.close()  # joins the reader thread; a hang here would fail the test by timeout
    assert first.height == 1


def test_csv_requests_with_another_column_count_are_reported(tmp_path: Path) -> None:
    path = _write(
        tmp_path,
        [
            _record("1,2,3", "0.5", event="1", content_type="text/csv"),
            _record("4,5", "0.5", event="2", content_type="text/csv"),
            _record("6,7,8", "0.5", event="3", content_type="text/csv"),
        ],
    )
    frame, reader = _read(tmp_path)
    assert frame.select("_c0", "_c1", "_c2").rows() == [("1", "2", "3"), ("6", "7", "8")]
    assert [str(p) for p in reader.report.unreadable] == [
        f"{path}:2: CSV records do not all have 3 columns like the others"
    ]


def test_a_named_variant_limits_the_files(tmp_path: Path) -> None:
    _write(tmp_path, [_record(_request(1), _response(1), event="1")])
    other = tmp_path / capture_file_key("ep", "Shadow", WHEN, file_id="s")
    other.parent.mkdir(parents=True)
    other.write_text(_record(_request(1, start=5), _response(1), event="2") + "\n")
    storage = Storage()
    assert len(capture_files(storage, str(tmp_path), "ep", HOUR)) == 2
    (only,) = capture_files(storage, str(tmp_path), "ep", HOUR, variant="Shadow")
    assert "/Shadow/" in only


def test_invalid_base64_data_is_reported_and_valid_base64_is_read(tmp_path: Path) -> None:
    broken = CaptureRecord(
        endpoint_input=CapturedPayload("!!not base64", CaptureEncoding.BASE64, "application/json"),
        endpoint_output=None,
        event_id="evt-x",
        inference_time=WHEN,
    ).to_line()
    path = _write(tmp_path, [_record(_request(1), _response(1), event="1", text_types={}), broken])
    frame, reader = _read(tmp_path)
    assert frame.get_column(RECORD_ID).to_list() == ["t0"]
    (problem,) = reader.report.unreadable
    assert problem.where == f"{path}:2"
    assert "BASE64 data is not UTF-8 text" in problem.reason


def _with_invalid_byte(path: str, marker: bytes) -> None:
    """Replace ``marker`` in the file by a byte that is not UTF-8 (as a broken producer would write)."""
    data = Path(path).read_bytes()
    assert marker in data
    Path(path).write_bytes(data.replace(marker, b"x\xffy", 1))


@pytest.mark.parametrize("content_type", ["application/json", "text/csv"])
def test_an_invalid_utf8_byte_in_a_payload_skips_and_reports_that_line_only(
    tmp_path: Path, content_type: str
) -> None:
    bodies = (
        [json.dumps({"Transaction ID": f"t{i}", "Device": f"mark{i}"}) for i in range(3)]
        if content_type == "application/json"
        else [f"t{i},mark{i}" for i in range(3)]
    )
    responses = [json.dumps({"class": 0, "probability": 1.0}) if "json" in content_type else "0,1.0"] * 3
    lines = [
        _record(body, response, event=str(i), content_type=content_type)
        for i, (body, response) in enumerate(zip(bodies, responses, strict=True))
    ]
    path = _write(tmp_path, lines)
    _with_invalid_byte(path, b"mark1")
    frame, reader = _read(tmp_path)
    assert frame.height == 2
    assert [str(p) for p in reader.report.unreadable] == [f"{path}:2: not UTF-8 text"]
    assert reader.report.captured_requests == 2


def test_a_request_delivered_twice_is_read_once_and_the_copy_reported(tmp_path: Path) -> None:
    first = _record(_request(2), _response(2), event="1")
    other = _record(_request(1, start=5), _response(1), event="2")
    path = _write(tmp_path, [first, other, first])
    copy = _write(tmp_path, [first], name="b")
    frame, reader = _read(tmp_path)
    assert frame.get_column(RECORD_ID).to_list() == ["t0", "t1", "t5"]
    assert reader.report.duplicate_requests == 2
    assert [str(p) for p in reader.report.duplicates] == [
        f"{path}:3: eventId 'evt-1' was already read in this window: this copy is left out",
        f"{copy}:1: eventId 'evt-1' was already read in this window: this copy is left out",
    ]


def test_a_request_repeated_across_batches_is_read_once(tmp_path: Path) -> None:
    first = _record(_request(1), _response(1), event="1")
    _write(tmp_path, [first], name="a")
    _write(tmp_path, [first, _record(_request(1, start=3), _response(1), event="3")], name="b")
    frame, reader = _read(tmp_path, batch_bytes=1, prefetch=False)
    assert frame.get_column(RECORD_ID).to_list() == ["t0", "t3"]
    assert reader.report.duplicate_requests == 1


def test_json_fields_named_like_the_readers_own_columns_are_left_out_and_reported(tmp_path: Path) -> None:
    body = json.dumps({"__request": 1, "__event_id": "spoofed", "Amount": 3.5})
    path = _write(tmp_path, [_record(body, _response(1), event="1")])
    frame, reader = _read(tmp_path)
    assert frame.get_column("Amount").to_list() == [3.5]
    assert frame.get_column("__event_id").to_list() == ["evt-1"]
    assert reader.report.unreadable == []
    assert [str(p) for p in reader.report.left_out_fields] == [
        f"{path}:1: field(s) '__request', '__event_id' left out of this batch's records: names starting "
        "with '__' are the monitors' own columns"
    ]
