"""A SageMaker endpoint as a ``ProbabilityModel``, so Kernel SHAP can explain models we cannot open.

Requests and responses follow the endpoint contract (``transaction_scoring.contract``): a JSON list of
records in, a JSON list of ``{"class", "probability"}`` (percent) out. Kernel SHAP sends many synthetic
records; like Clarify, which explains through a *shadow* endpoint, point this at an endpoint without data
capture (or a local copy of the model), or the synthetic records end up in the monitored traffic.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any

import numpy as np
import numpy.typing as npt
from botocore.exceptions import ClientError
from transaction_scoring.contract import ACCEPT, CONTENT_TYPE, ContractError, decode_response, encode_request

from pipelines.errors import UserError

if TYPE_CHECKING:
    from mypy_boto3_sagemaker_runtime import SageMakerRuntimeClient
else:
    SageMakerRuntimeClient = Any

DEFAULT_BATCH_SIZE = 500


class EndpointError(UserError):
    """An endpoint that cannot be used to explain the model (unknown, failing, or off-contract)."""


class EndpointModel:
    """``predict_proba`` through ``InvokeEndpoint``, ``batch_size`` records per request."""

    def __init__(
        self, runtime: SageMakerRuntimeClient, endpoint_name: str, *, batch_size: int = DEFAULT_BATCH_SIZE
    ) -> None:
        if batch_size < 1:
            raise ValueError("batch_size must be at least 1")
        self._runtime = runtime
        self.endpoint_name = endpoint_name
        self.batch_size = batch_size

    def predict_proba(self, records: Sequence[Mapping[str, Any]]) -> npt.NDArray[np.float64]:
        probabilities: list[float] = []
        for start in range(0, len(records), self.batch_size):
            chunk = records[start : start + self.batch_size]
            try:
                response = self._runtime.invoke_endpoint(
                    EndpointName=self.endpoint_name,
                    ContentType=CONTENT_TYPE,
                    Accept=ACCEPT,
                    Body=encode_request(chunk),
                )
                predictions = decode_response(response["Body"].read(), expected=len(chunk))
            except ClientError as error:
                details = error.response.get("Error", {})
                code, message = details.get("Code", "error"), details.get("Message", str(error))
                raise EndpointError(f"endpoint {self.endpoint_name}: {code}: {message}") from None
            except ContractError as error:
                raise EndpointError(f"endpoint {self.endpoint_name}: {error}") from None
            probabilities.extend(p.probability_pct / 100.0 for p in predictions)
        return np.asarray(probabilities, dtype=np.float64)
