"""Data capture, ground truth, time windows and the endpoint contract: the formats every piece shares."""

from __future__ import annotations

import base64
import json
from datetime import UTC, datetime

import pytest
from transaction_scoring import contract

from pipelines.capture import (
    CapturedPayload,
    CaptureEncoding,
    CaptureFormatError,
    CaptureRecord,
    capture_file_key,
    parse_capture_line,
)
from pipelines.errors import UserError
from pipelines.ground_truth import (
    GroundTruthFormatError,
    GroundTruthRecord,
    ground_truth_file_key,
    parse_ground_truth_line,
)
from pipelines.timewindow import TimeWindow, last_full_hour, parse_utc, window

WHEN = datetime(2026, 11, 29, 14, 5, 9, 123000, tzinfo=UTC)
TEXT_TYPES = {"application/json": CaptureEncoding.JSON, "text/csv": CaptureEncoding.CSV}


def test_capture_line_has_sagemakers_shape() -> None:
    record = CaptureRecord(
        endpoint_input=CapturedPayload.encode(b'[{"a":1}]', "application/json", TEXT_TYPES),
        endpoint_output=CapturedPayload.encode(
            b'[{"class":0,"probability":1.5}]', "application/json", TEXT_TYPES
        ),
        event_id="e-1",
        inference_id="T-1",
        inference_time=WHEN,
    )
    line = json.loads(record.to_line())
    assert line == {
        "captureData": {
            "endpointInput": {
                "observedContentType": "application/json",
                "mode": "INPUT",
                "data": '[{"a":1}]',
                "encoding": "JSON",
            },
            "endpointOutput": {
                "observedContentType": "application/json",
                "mode": "OUTPUT",
                "data": '[{"class":0,"probability":1.5}]',
                "encoding": "JSON",
            },
        },
        "eventMetadata": {"eventId": "e-1", "inferenceId": "T-1", "inferenceTime": "2026-11-29T14:05:09Z"},
        "eventVersion": "0",
    }
    assert parse_capture_line(record.to_line()) == CaptureRecord(
        record.endpoint_input, record.endpoint_output, "e-1", WHEN.replace(microsecond=0), "T-1"
    )


def test_unlisted_content_type_is_captured_as_base64_and_decodes_back() -> None:
    payload = CapturedPayload.encode(b"1,2,3", "application/x-custom", TEXT_TYPES)
    assert payload.encoding is CaptureEncoding.BASE64
    assert payload.data == base64.b64encode(b"1,2,3").decode()
    assert payload.decoded() == "1,2,3"


@pytest.mark.parametrize(
    ("line", "message"),
    [
        ("not json", "not JSON"),
        ('{"x": 1}', "no 'captureData'"),
        ('{"captureData": {}, "eventMetadata": {"eventId": "e"}}', "needs 'eventId' and 'inferenceTime'"),
        (
            '{"captureData": {"endpointInput": {"data": "x", "encoding": "XML"}}, '
            '"eventMetadata": {"eventId": "e", "inferenceTime": "2026-01-01T00:00:00Z"}}',
            "encoding 'XML' is not one of CSV, JSON, BASE64",
        ),
    ],
)
def test_malformed_capture_lines_name_the_place_and_problem(line: str, message: str) -> None:
    with pytest.raises(CaptureFormatError, match=message) as error:
        parse_capture_line(line, where="f.jsonl:7")
    assert str(error.value).startswith("f.jsonl:7")


def test_capture_key_layout() -> None:
    assert (
        capture_file_key("ep", "AllTraffic", WHEN, "abc") == "ep/AllTraffic/2026/11/29/14/05-09-123-abc.jsonl"
    )


def test_ground_truth_round_trip_and_key() -> None:
    record = GroundTruthRecord(event_id="T-9", label="1")
    assert json.loads(record.to_line()) == {
        "groundTruthData": {"data": "1", "encoding": "CSV"},
        "eventMetadata": {"eventId": "T-9"},
        "eventVersion": "0",
    }
    assert parse_ground_truth_line(record.to_line()) == record
    assert ground_truth_file_key(WHEN, "x") == "2026/11/29/14/labels-x.jsonl"
    with pytest.raises(GroundTruthFormatError, match="needs 'eventMetadata'"):
        parse_ground_truth_line('{"groundTruthData": {"data": "1"}}')


def test_last_full_hour_and_partitions() -> None:
    assert str(last_full_hour(WHEN)) == "[2026-11-29T13:00:00Z, 2026-11-29T14:00:00Z)"
    span = TimeWindow(parse_utc("2026-11-29T13:30:00Z"), parse_utc("2026-11-29T15:00:00Z"))
    assert span.partitions() == ["2026/11/29/13", "2026/11/29/14"]
    assert span.contains(parse_utc("2026-11-29T14:59:59Z"))
    assert not span.contains(parse_utc("2026-11-29T15:00:00Z"))


@pytest.mark.parametrize(
    ("start", "end", "message"),
    [("x", "2026-01-01T00:00:00Z", "not an ISO-8601"), ("2026-01-01T00:00:00Z", None, "give both")],
)
def test_bad_windows_are_user_errors(start, end, message) -> None:
    with pytest.raises(UserError, match=message):
        window(start, end)


def test_contract_round_trip() -> None:
    body = contract.encode_request([{"Transaction ID": "t1", "Quantity": 2}])
    assert contract.decode_request(body) == [{"Transaction ID": "t1", "Quantity": 2}]
    assert contract.decode_request(b'{"Quantity": 2}') == [{"Quantity": 2}]
    predictions = [contract.Prediction(1, 87.5), contract.Prediction(0, 3.0)]
    assert contract.decode_response(contract.encode_response(predictions), expected=2) == predictions


@pytest.mark.parametrize(
    ("body", "message"),
    [
        (b"nope", "not JSON"),
        (b'[{"class": 2, "probability": 1}]', "'class' is 2"),
        (b'[{"class": 1, "probability": 101}]', "expected a number in 0..100"),
        (
            b'[{"class": 1, "probability": 50}, {"class": 1, "probability": 50}]',
            "2 predictions for 1 records",
        ),
    ],
)
def test_contract_rejects_bad_responses(body: bytes, message: str) -> None:
    with pytest.raises(contract.ContractError, match=message):
        contract.decode_response(body, expected=1)


def test_canonical_column_handles_bom_spaces_and_alias() -> None:
    assert contract.canonical_column("\ufeffTransactionID ") == "Transaction ID"
    assert set(contract.REQUEST_COLUMNS).isdisjoint(contract.PERSONAL_DATA_COLUMNS)
