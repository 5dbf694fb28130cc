"""An endpoint as a model: Kernel SHAP's predictions through InvokeEndpoint (local runtime server)."""

from __future__ import annotations

import json
from collections.abc import Iterator

import numpy as np
import pytest
from transaction_scoring.contract import Prediction, decode_request, encode_response

from pipelines.aws import client
from pipelines.monitoring.explainability import EndpointError, EndpointModel
from pipelines.sandbox.runtime_server import Invocation, InvocationResult, RuntimeServer


def _scorer(invocation: Invocation) -> InvocationResult:
    records = decode_request(invocation.body)
    predictions = [
        Prediction(label=int(r["amount"] > 50), probability_pct=float(r["amount"])) for r in records
    ]
    return InvocationResult(body=encode_response(predictions))


def _off_contract(invocation: Invocation) -> InvocationResult:
    return InvocationResult(body=json.dumps({"score": 1}).encode())


@pytest.fixture
def runtime(monkeypatch: pytest.MonkeyPatch) -> Iterator[RuntimeServer]:
    with RuntimeServer({"scorer": _scorer, "broken": _off_contract}) as server:
        for name, value in server.environment().items():
            monkeypatch.setenv(name, value)
        yield server


def test_probabilities_come_back_in_order_as_fractions_across_batches(runtime: RuntimeServer) -> None:
    model = EndpointModel(client("sagemaker-runtime"), "scorer", batch_size=2)
    records = [{"amount": a} for a in (10.0, 80.0, 55.5, 0.0, 100.0)]
    np.testing.assert_allclose(model.predict_proba(records), [0.1, 0.8, 0.555, 0.0, 1.0])
    assert runtime.counts("scorer").requests == 3


def test_an_unknown_endpoint_is_a_user_error_naming_it(runtime: RuntimeServer) -> None:
    model = EndpointModel(client("sagemaker-runtime"), "missing")
    with pytest.raises(EndpointError, match="endpoint missing: ValidationError"):
        model.predict_proba([{"amount": 1.0}])


def test_an_answer_off_the_contract_is_a_user_error(runtime: RuntimeServer) -> None:
    model = EndpointModel(client("sagemaker-runtime"), "broken")
    with pytest.raises(EndpointError, match="endpoint broken: prediction 0"):
        model.predict_proba([{"amount": 1.0}])
