"""Data-capture preflight: warn when the monitors would find no usable data."""

from __future__ import annotations

from registry_world import FULL_CAPTURE

from pipelines.deploy.preflight import capture_warnings
from pipelines.monitors import MONITORS, MonitorType

ALL = list(MONITORS)


def warnings_for(capture, status="Started", monitors=ALL):
    return capture_warnings(
        "fraud-prod", capture, status, content_type="application/json", accept="application/json",
        enabled_monitors=monitors,
    )  # fmt: skip


def test_a_complete_capture_config_gives_no_warning() -> None:
    assert warnings_for(FULL_CAPTURE) == []


def test_capture_off_is_one_warning_naming_the_monitors() -> None:
    assert warnings_for({**FULL_CAPTURE, "EnableCapture": False}) == [
        "endpoint fraud-prod: data capture is off: the DataQuality, ModelQuality, ModelBias, "
        "ModelExplainability monitors will find no data"
    ]


def test_zero_sampling_is_reported() -> None:
    (warning,) = warnings_for({**FULL_CAPTURE, "InitialSamplingPercentage": 0})
    assert "samples 0% of requests" in warning


def test_json_not_captured_as_text_is_reported_for_requests_and_responses() -> None:
    warnings = warnings_for({**FULL_CAPTURE, "CaptureContentTypeHeader": {"CsvContentTypes": ["text/csv"]}})
    assert len(warnings) == 2
    assert warnings[0].startswith(
        "endpoint fraud-prod: requests of type application/json are captured as BASE64"
    )
    assert (
        "add application/json to DataCaptureConfig.CaptureContentTypeHeader.JsonContentTypes" in warnings[0]
    )


def test_missing_output_capture_matters_only_to_monitors_that_read_predictions() -> None:
    input_only = {**FULL_CAPTURE, "CaptureOptions": [{"CaptureMode": "Input"}]}
    assert warnings_for(input_only, monitors=[MonitorType.DATA_QUALITY]) == []
    (warning,) = warnings_for(input_only, monitors=[MonitorType.DATA_QUALITY, MonitorType.MODEL_QUALITY])
    assert "does not record responses (CaptureMode Output), which the ModelQuality monitors read" in warning


def test_a_stopped_capture_is_reported() -> None:
    assert warnings_for(FULL_CAPTURE, status="Stopped") == [
        "endpoint fraud-prod: data capture status is Stopped, not Started"
    ]


def test_no_enabled_monitor_needs_no_capture() -> None:
    assert warnings_for({}, monitors=[]) == []
