"""Clarify's ``predictor``: how SageMaker's Clarify calls a shadow endpoint of the model.

Both Clarify configs (bias and explainability) carry it when one is given; the check steps need it and the
deployment script requires it in the explainability config (it sets ``model_name`` per stage).
``contract_predictor`` describes this pipeline's endpoint contract.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from transaction_scoring import contract

# Clarify's ``predictor`` keys (https://docs.aws.amazon.com/sagemaker/latest/dg/
# clarify-processing-job-configure-analysis.html, "predictor"; ``accelerator_type``: the SDK's ModelConfig).
PREDICTOR_KEYS = frozenset(
    {
        "model_name",
        "endpoint_name",
        "endpoint_name_prefix",
        "initial_instance_count",
        "instance_type",
        "accelerator_type",
        "target_model",
        "custom_attributes",
        "content_type",
        "accept_type",
        "content_template",
        "record_template",
        "label",
        "label_headers",
        "probability",
        "time_series_predictor_config",
    }
)
# The registry's config is written before any stage runs the model; the deployment script replaces it with
# the model deployed on each stage (``pipelines.deploy.clarify.explainability_monitoring_config``).
PREDICTOR_MODEL_NAME_PLACEHOLDER = "set-per-stage-by-get_baselines_and_configs"
DEFAULT_PREDICTOR_INSTANCE_TYPE = "ml.m5.large"


def contract_predictor(
    *,
    model_name: str = PREDICTOR_MODEL_NAME_PLACEHOLDER,
    instance_type: str = DEFAULT_PREDICTOR_INSTANCE_TYPE,
    instance_count: int = 1,
) -> dict[str, Any]:
    """Clarify's ``predictor`` for this pipeline's endpoint contract.

    Requests are JSON lists of records keyed by column name (``content_template`` ``$records`` with
    ``record_template`` ``$features_kvp``); the response is ``[{"class": 0|1, "probability": pct}, ...]``,
    read with the JMESPaths ``[*].class`` and ``[*].probability`` (percent, like ``probability_threshold``).
    """
    return {
        "model_name": model_name,
        "instance_type": instance_type,
        "initial_instance_count": instance_count,
        "content_type": contract.CONTENT_TYPE,
        "accept_type": contract.ACCEPT,
        "content_template": "$records",
        "record_template": "$features_kvp",
        "label": f"[*].{contract.CLASS_FIELD}",
        "probability": f"[*].{contract.PROBABILITY_FIELD}",
    }


def predictor_problems(predictor: Any, where: str) -> list[str]:
    """Why Clarify would refuse ``predictor`` (unknown keys, a JSON content type without its templates)."""
    if not isinstance(predictor, Mapping):
        return [f"{where}: the predictor is {type(predictor).__name__}, expected a JSON object"]
    problems = [
        f"{where}: unknown predictor key {key!r}; Clarify's keys are {', '.join(sorted(PREDICTOR_KEYS))}"
        for key in sorted(set(predictor) - PREDICTOR_KEYS)
    ]
    content_type = predictor.get("content_type")
    templates: dict[str, tuple[str, ...]] = {
        "application/json": ("content_template", "record_template"),
        "application/jsonlines": ("content_template",),
    }
    for key in templates.get(str(content_type), ()):
        if not predictor.get(key):
            problems.append(f"{where}: content_type {content_type} needs a {key} (see Clarify's predictor)")
    return problems
