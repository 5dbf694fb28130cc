"""The model the explainability monitor explains, from its ``ExplainerSpec``: loaded only when it runs.

A model artifact is read through ``storage`` (exact tree SHAP of the fraud model); an endpoint is called
through a SageMaker runtime client the caller makes on demand (Kernel SHAP).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

from pipelines.monitoring.run_settings import Explainer, ExplainerSpec
from pipelines.storage import Storage

if TYPE_CHECKING:
    from mypy_boto3_sagemaker_runtime import SageMakerRuntimeClient

    from pipelines.monitoring.explainability.model import ProbabilityModel


def fraud_model(location: str, storage: Storage) -> ProbabilityModel:
    """The fraud model of a ``model.tar.gz`` (local or S3)."""
    # Imported here: xgboost takes seconds to import, and only these paths need it.
    from pipelines.model import FraudModel

    return FraudModel.from_artifact(storage.read_bytes(location), where=location)


def load_explainer(
    spec: ExplainerSpec | None, storage: Storage, runtime: Callable[[], SageMakerRuntimeClient]
) -> Explainer | None:
    """What ``run_execution`` explains with (None without a spec)."""
    if spec is None:
        return None
    model, endpoint = spec.model, spec.endpoint
    if model is not None:
        return Explainer(spec.description, lambda: fraud_model(model, storage))
    assert endpoint is not None

    def call_endpoint() -> ProbabilityModel:
        from pipelines.monitoring.explainability import EndpointModel

        return EndpointModel(runtime(), endpoint)

    return Explainer(spec.description, call_endpoint)
