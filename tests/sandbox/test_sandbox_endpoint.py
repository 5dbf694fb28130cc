"""The model behind an endpoint name: SageMaker's checks, the contract, container errors, data capture."""

from __future__ import annotations

import base64
import json
import threading
from datetime import UTC, datetime
from pathlib import Path

import pandas as pd
import pytest
from transaction_scoring import contract

from pipelines.capture import CaptureEncoding, parse_capture_line
from pipelines.model import FraudModel
from pipelines.sandbox.data import request_records
from pipelines.sandbox.data_capture import CaptureMode, CaptureSettings, CaptureWriter
from pipelines.sandbox.endpoint import ManualClock, ModelEndpoint
from pipelines.sandbox.runtime_server import EndpointFault, Invocation
from pipelines.storage import Storage

NAME = "fraud-detection-prod"
RECEIVED = datetime(2026, 3, 1, 9, 30, tzinfo=UTC)


def invocation(body: bytes, *, content_type: str = "application/json", **headers: str | None) -> Invocation:
    return Invocation(
        endpoint_name=NAME,
        body=body,
        content_type=content_type,
        accept=headers.get("accept") or "",
        inference_id=headers.get("inference_id"),
        target_variant=headers.get("target_variant"),
        received_at=RECEIVED,
    )


def capture_settings(tmp_path: Path, **changes: object) -> CaptureSettings:
    base: dict[str, object] = {
        "destination": str(tmp_path / "capture"),
        "text_content_types": {"application/json": CaptureEncoding.JSON},
    }
    return CaptureSettings(**{**base, **changes})  # type: ignore[arg-type]


def endpoint(
    model: FraudModel, tmp_path: Path, settings: CaptureSettings | None = None, **options: object
) -> ModelEndpoint:
    settings = settings or capture_settings(tmp_path)
    writer = CaptureWriter(Storage(), settings.destination, NAME, "AllTraffic")
    return ModelEndpoint(NAME, model, capture_settings=settings, capture_writer=writer, **options)  # type: ignore[arg-type]


def captured_lines(handler: ModelEndpoint) -> list[str]:
    return [line for f in handler.flush() for line in Path(f).read_text().splitlines()]


@pytest.fixture
def body(small_transactions: pd.DataFrame) -> bytes:
    return contract.encode_request(request_records(small_transactions.head(3)))


def test_the_endpoint_answers_the_models_predictions(
    small_model: FraudModel, small_transactions: pd.DataFrame, body: bytes, tmp_path: Path
) -> None:
    result = endpoint(small_model, tmp_path)(invocation(body))
    expected = small_model.predict(request_records(small_transactions.head(3)))
    assert contract.decode_response(result.body, expected=3) == expected
    assert result.content_type == "application/json"
    assert result.invoked_variant == "AllTraffic"


def test_one_record_as_an_object_is_accepted(
    small_model: FraudModel, small_transactions: pd.DataFrame, tmp_path: Path
) -> None:
    record = request_records(small_transactions.head(1))[0]
    result = endpoint(small_model, tmp_path)(invocation(json.dumps(record).encode()))
    assert len(contract.decode_response(result.body)) == 1


def test_a_captured_invocation_carries_its_inference_id_and_both_sides_as_json(
    small_model: FraudModel, body: bytes, tmp_path: Path
) -> None:
    handler = endpoint(small_model, tmp_path)
    result = handler(invocation(body, inference_id="batch-42"))
    [line] = captured_lines(handler)
    captured = parse_capture_line(line)
    assert captured.inference_id == "batch-42"
    assert captured.inference_time == RECEIVED
    assert captured.endpoint_input is not None
    assert captured.endpoint_output is not None
    assert captured.endpoint_input.encoding is CaptureEncoding.JSON
    assert captured.endpoint_input.decoded() == body.decode()
    assert captured.endpoint_output.decoded() == result.body.decode()
    assert json.loads(line)["eventVersion"] == "0"


def test_the_injected_clock_places_traffic_in_its_hour(
    small_model: FraudModel, body: bytes, tmp_path: Path
) -> None:
    clock = ManualClock(datetime(2026, 5, 2, 23, 59, tzinfo=UTC))
    handler = endpoint(small_model, tmp_path, clock=clock)
    handler(invocation(body))
    [path] = handler.flush()
    assert "/2026/05/02/23/" in path


def test_only_the_configured_sides_are_captured(small_model: FraudModel, body: bytes, tmp_path: Path) -> None:
    handler = endpoint(
        small_model, tmp_path, capture_settings(tmp_path, modes=frozenset({CaptureMode.INPUT}))
    )
    handler(invocation(body))
    [line] = captured_lines(handler)
    assert "endpointOutput" not in json.loads(line)["captureData"]


def test_a_content_type_not_listed_in_the_header_is_captured_as_base64(
    small_model: FraudModel, body: bytes, tmp_path: Path
) -> None:
    handler = endpoint(small_model, tmp_path, capture_settings(tmp_path, text_content_types={}))
    handler(invocation(body))
    captured = parse_capture_line(captured_lines(handler)[0])
    assert captured.endpoint_input is not None
    assert captured.endpoint_input.encoding is CaptureEncoding.BASE64
    assert base64.b64decode(captured.endpoint_input.data) == body


def test_sampling_captures_about_the_configured_share(
    small_model: FraudModel, body: bytes, tmp_path: Path
) -> None:
    handler = endpoint(
        small_model, tmp_path, capture_settings(tmp_path, sampling_percentage=30), sampling_seed=1
    )
    for _ in range(400):
        handler(invocation(body))
    assert 90 <= handler.counts.captured <= 150
    assert len(captured_lines(handler)) == handler.counts.captured


def test_zero_percent_sampling_captures_nothing(small_model: FraudModel, body: bytes, tmp_path: Path) -> None:
    handler = endpoint(small_model, tmp_path, capture_settings(tmp_path, sampling_percentage=0))
    handler(invocation(body))
    assert handler.flush() == []


def test_an_endpoint_without_capture_scores_without_writing(small_model: FraudModel, body: bytes) -> None:
    handler = ModelEndpoint(NAME, small_model)
    handler(invocation(body))
    assert handler.counts.requests == 1
    assert handler.flush() == []


def fault_of(handler: ModelEndpoint, request: Invocation) -> EndpointFault:
    with pytest.raises(EndpointFault) as caught:
        handler(request)
    return caught.value


def test_a_body_that_is_not_json_is_the_containers_client_error(
    small_model: FraudModel, tmp_path: Path
) -> None:
    fault = fault_of(endpoint(small_model, tmp_path), invocation(b"Transaction ID,Amount\n1,2"))
    assert (fault.status, fault.code) == (424, "ModelError")
    assert fault.details["OriginalStatusCode"] == 400
    assert fault.message.startswith(
        'Received client error (400) from primary with message "request body is not JSON'
    )


def test_a_record_missing_columns_names_them(small_model: FraudModel, tmp_path: Path) -> None:
    fault = fault_of(endpoint(small_model, tmp_path), invocation(b'[{"Transaction ID": "t"}]'))
    assert fault.details["OriginalStatusCode"] == 400
    assert "record 0: has no 'Transaction Amount', 'Transaction Date'" in fault.message


def test_a_csv_content_type_is_unsupported_media(
    small_model: FraudModel, body: bytes, tmp_path: Path
) -> None:
    fault = fault_of(endpoint(small_model, tmp_path), invocation(body, content_type="text/csv"))
    assert fault.details["OriginalStatusCode"] == 415


def test_an_accept_header_the_model_cannot_answer_is_refused(
    small_model: FraudModel, body: bytes, tmp_path: Path
) -> None:
    fault = fault_of(endpoint(small_model, tmp_path), invocation(body, accept="text/csv"))
    assert fault.details["OriginalStatusCode"] == 406


def test_an_unknown_target_variant_is_a_validation_error(
    small_model: FraudModel, body: bytes, tmp_path: Path
) -> None:
    fault = fault_of(endpoint(small_model, tmp_path), invocation(body, target_variant="Canary"))
    assert (fault.status, fault.code) == (400, "ValidationError")
    assert "Variant Canary not found" in fault.message


def test_an_inference_id_over_64_characters_is_a_validation_error(
    small_model: FraudModel, body: bytes, tmp_path: Path
) -> None:
    fault = fault_of(endpoint(small_model, tmp_path), invocation(body, inference_id="x" * 65))
    assert (fault.status, fault.code) == (400, "ValidationError")


def test_refused_requests_are_counted_and_never_captured(small_model: FraudModel, tmp_path: Path) -> None:
    handler = endpoint(small_model, tmp_path)
    fault_of(handler, invocation(b"{"))
    assert handler.counts.refused == 1
    assert handler.flush() == []


def test_concurrent_requests_are_all_scored_and_captured(
    small_model: FraudModel, body: bytes, tmp_path: Path
) -> None:
    handler = endpoint(small_model, tmp_path)
    threads = [
        threading.Thread(
            target=lambda i=i: [handler(invocation(body, inference_id=f"{i}-{n}")) for n in range(10)]
        )
        for i in range(8)
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    ids = sorted(parse_capture_line(line).inference_id or "" for line in captured_lines(handler))
    assert ids == sorted(f"{i}-{n}" for i in range(8) for n in range(10))
    assert handler.counts.records == 8 * 10 * 3
