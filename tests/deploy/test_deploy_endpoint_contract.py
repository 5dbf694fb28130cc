"""The stage configs' attributes and the record preprocessor fit the fraud endpoint's contract.

Model Monitor reads the model-quality attributes as "index or JSONPath", Clarify reads the bias and
explainability ones as JMESPath; the configured expressions must pick the same values under both.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime
from types import SimpleNamespace

import jmespath
import pytest
from jsonpath_ng import parse as jsonpath
from registry_world import PROD_CONFIG, STAGING_CONFIG
from transaction_scoring import contract

from pipelines.capture import CapturedPayload, CaptureEncoding, CaptureRecord, parse_capture_line
from pipelines.deploy import record_preprocessor

RECORD = {
    "Transaction ID": "t-1",
    "Transaction Amount": 42.5,
    "Transaction Date": "2024-03-01 10:00:00",
    "Payment Method": "PayPal",
    "Product Category": "toys & games",
    "Quantity": 2,
    "Customer Age": 33,
    "Customer Location": "Lyon",
    "Device Used": "mobile",
    "Account Age Days": 12,
    "Transaction Hour": 10,
}


@pytest.fixture(params=[STAGING_CONFIG, PROD_CONFIG], ids=["staging", "prod"])
def parameters(request) -> dict[str, str]:
    return json.loads(request.param.read_text())["Parameters"]


def test_inference_and_probability_attributes_select_the_prediction(parameters) -> None:
    response = json.loads(contract.encode_response([contract.Prediction(label=1, probability_pct=87.5)]))
    for attribute, expected in (("InferenceAttribute", 1), ("ProbabilityAttribute", 87.5)):
        expression = parameters[attribute]
        assert jmespath.search(expression, response) == expected
        assert [match.value for match in jsonpath(expression).find(response)] == [expected]


def test_the_threshold_is_in_the_responses_unit_percent(parameters) -> None:
    assert float(parameters["ProbabilityThresholdAttribute"]) == contract.PROBABILITY_THRESHOLD_PCT


def test_the_features_attribute_selects_the_model_features_in_order(parameters) -> None:
    request = json.loads(contract.encode_request([contract.request_record(RECORD)]))
    selected = jmespath.search(parameters["FeaturesAttribute"], request)
    assert selected == [RECORD[column] for column in contract.FEATURE_COLUMNS]


def test_the_preprocessor_knows_the_same_feature_columns_as_the_contract() -> None:
    assert record_preprocessor.FEATURE_COLUMNS == contract.FEATURE_COLUMNS


def _inference_record(body: bytes, encoding_types: dict[str, CaptureEncoding]) -> SimpleNamespace:
    """A captured request as the analyzer hands it to the handler (CapturedData in the AWS docs)."""
    line = CaptureRecord(
        endpoint_input=CapturedPayload.encode(body, contract.CONTENT_TYPE, encoding_types),
        endpoint_output=None,
        event_id="e-1",
        inference_time=datetime(2026, 1, 1, tzinfo=UTC),
    ).to_line()
    captured = parse_capture_line(line).endpoint_input
    assert captured is not None
    return SimpleNamespace(
        endpoint_input=SimpleNamespace(data=captured.data, encoding=str(captured.encoding)),
    )


@pytest.mark.parametrize("encoding", [CaptureEncoding.JSON, CaptureEncoding.BASE64])
def test_the_preprocessor_turns_a_list_of_records_into_one_flat_row_each(encoding) -> None:
    second = {**RECORD, "Transaction ID": "t-2", "Quantity": 5}
    body = contract.encode_request([contract.request_record(RECORD), contract.request_record(second)])
    types = {contract.CONTENT_TYPE: CaptureEncoding.JSON} if encoding is CaptureEncoding.JSON else {}
    rows = record_preprocessor.preprocess_handler(_inference_record(body, types))
    assert [row["Quantity"] for row in rows] == [2, 5]
    assert all(list(row) == list(contract.FEATURE_COLUMNS) for row in rows)


def test_the_preprocessor_skips_an_unreadable_request_and_logs_why() -> None:
    messages: list[str] = []
    logger = SimpleNamespace(warning=lambda message, *args: messages.append(message % args))
    record = SimpleNamespace(endpoint_input=SimpleNamespace(data="not json", encoding="JSON"))
    assert record_preprocessor.preprocess_handler(record, logger) == []
    assert messages
    assert messages[0].startswith("skipping a captured request that is not JSON")
