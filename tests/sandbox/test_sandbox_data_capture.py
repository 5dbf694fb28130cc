"""Data capture: the endpoint config's settings, and hourly JSON Lines files written like SageMaker's."""

from __future__ import annotations

import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from pipelines.capture import CapturedPayload, CaptureEncoding, CaptureRecord, parse_capture_line
from pipelines.sandbox.data_capture import CaptureConfigError, CaptureMode, CaptureSettings, CaptureWriter
from pipelines.storage import Storage

HOUR = datetime(2026, 3, 1, 14, 5, tzinfo=UTC)


def record(when: datetime, inference_id: str = "t-1") -> CaptureRecord:
    payload = CapturedPayload('{"a":1}', CaptureEncoding.JSON, "application/json")
    return CaptureRecord(
        payload, payload, event_id=f"e-{inference_id}", inference_time=when, inference_id=inference_id
    )


def test_capture_is_enabled_by_default_and_base64_without_a_content_type_header() -> None:
    settings = CaptureSettings.from_config(
        {
            "DestinationS3Uri": "s3://bucket/capture",
            "InitialSamplingPercentage": 20,
            "CaptureOptions": [{"CaptureMode": "Input"}],
        }
    )
    assert settings.enabled
    assert settings.sampling_percentage == 20
    assert settings.modes == {CaptureMode.INPUT}
    assert settings.text_content_types == {}


def test_listed_content_types_are_captured_as_text() -> None:
    settings = CaptureSettings.from_config(
        {
            "DestinationS3Uri": "s3://bucket/capture",
            "InitialSamplingPercentage": 100,
            "CaptureOptions": [{"CaptureMode": "Input"}, {"CaptureMode": "Output"}],
            "CaptureContentTypeHeader": {
                "JsonContentTypes": ["application/json"],
                "CsvContentTypes": ["text/csv"],
            },
            "EnableCapture": False,
            "KmsKeyId": "arn:aws:kms:us-east-1:123456789012:key/k",
        }
    )
    assert settings.text_content_types == {
        "application/json": CaptureEncoding.JSON,
        "text/csv": CaptureEncoding.CSV,
    }
    assert not settings.enabled
    assert settings.kms_key_id == "arn:aws:kms:us-east-1:123456789012:key/k"


def test_a_config_the_endpoint_cannot_follow_is_reported_one_line_each() -> None:
    with pytest.raises(CaptureConfigError) as caught:
        CaptureSettings.from_config(
            {
                "DestinationS3Uri": "bucket/capture",
                "InitialSamplingPercentage": 120,
                "CaptureOptions": [{"CaptureMode": "Both"}],
            },
            where="ec",
        )
    assert caught.value.problems == (
        "ec.DestinationS3Uri 'bucket/capture' is not an S3 URI: expected s3://bucket/key",
        "ec.InitialSamplingPercentage is 120: expected a whole number 0..100",
        "ec.CaptureOptions[0].CaptureMode is 'Both': expected Input or Output",
    )


def writer(tmp_path: Path, **options: float) -> CaptureWriter:
    return CaptureWriter(Storage(), str(tmp_path / "capture"), "ep", "AllTraffic", **options)  # type: ignore[arg-type]


def test_records_are_buffered_until_flushed(tmp_path: Path) -> None:
    capture = writer(tmp_path)
    capture.add(record(HOUR))
    assert capture.files_written == []
    assert capture.records_buffered == 1
    [written] = capture.flush()
    assert written.startswith(str(tmp_path / "capture" / "ep" / "AllTraffic" / "2026" / "03" / "01" / "14"))
    assert written.endswith(".jsonl")
    assert Path(written).name.startswith("05-00-000-")


def test_each_hour_gets_its_own_folder(tmp_path: Path) -> None:
    capture = writer(tmp_path)
    for offset in (0, 30, 60, 61, 125):
        capture.add(record(HOUR + timedelta(minutes=offset), inference_id=str(offset)))
    files = capture.flush()
    hours = sorted(Path(f).parent.name for f in files)
    assert hours == ["14", "15", "16"]
    lines = [line for f in files for line in Path(f).read_text().splitlines()]
    assert sorted(parse_capture_line(line).inference_id for line in lines) == ["0", "125", "30", "60", "61"]


def test_a_full_buffer_is_written_without_waiting(tmp_path: Path) -> None:
    capture = writer(tmp_path, max_records=3)
    for index in range(7):
        capture.add(record(HOUR, inference_id=str(index)))
    assert len(capture.files_written) == 2
    assert capture.records_written == 6
    assert capture.records_buffered == 1


def test_a_buffer_that_waited_long_enough_is_written_by_the_background_flusher(tmp_path: Path) -> None:
    capture = writer(tmp_path, max_wait_s=0.05).start(interval_s=0.02)
    try:
        capture.add(record(HOUR))
        deadline = time.monotonic() + 5
        while not capture.files_written and time.monotonic() < deadline:
            time.sleep(0.01)
        assert capture.records_written == 1
    finally:
        capture.close()


def test_close_writes_what_is_left(tmp_path: Path) -> None:
    capture = writer(tmp_path).start()
    capture.add(record(HOUR))
    assert len(capture.close()) == 1


def test_a_failed_write_keeps_the_records_for_the_next_flush(tmp_path: Path) -> None:
    blocker = tmp_path / "capture"
    blocker.write_text("a file where the capture folder should be")
    capture = writer(tmp_path)
    capture.add(record(HOUR))
    with pytest.raises(OSError, match="capture"):
        capture.flush()
    assert capture.records_buffered == 1
    blocker.unlink()
    assert len(capture.flush()) == 1
    assert capture.records_written == 1


def test_a_failed_write_while_serving_does_not_fail_the_request(tmp_path: Path) -> None:
    (tmp_path / "capture").write_text("not a folder")
    capture = writer(tmp_path, max_records=1)
    capture.add(record(HOUR))  # the write fails: logged, and the record stays buffered
    assert capture.records_buffered == 1
