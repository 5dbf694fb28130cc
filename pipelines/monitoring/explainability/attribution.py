"""Global feature attributions and Clarify's explanations ``analysis.json``.

``agg_method``: https://docs.aws.amazon.com/sagemaker/latest/dg/clarify-processing-job-configure-analysis.html
format: https://docs.aws.amazon.com/sagemaker/latest/dg/clarify-feature-attribute-shap-baselines.html ::

    {"version": "1.0",
     "explanations": {"kernel_shap": {"label0": {"global_shap_values": {"<feature>": 0.0224, ...},
                                                 "expected_value": 0.508}}}}

Global values aggregate the per-record SHAP values: ``mean_abs`` (mean of |SHAP|, Clarify's default),
``median`` (median of SHAP values) or ``mean_sq`` (mean of squared SHAP values). Attributions computed by
exact tree SHAP are written under the same ``kernel_shap`` key, because that is the section SageMaker's
attribution-drift check reads; they are in the model's margin (log-odds), which the analysis config states
with ``use_logit: true``.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from enum import StrEnum
from typing import Any

import numpy as np
import numpy.typing as npt

from pipelines.errors import UserError
from pipelines.monitoring.result_files import CLARIFY_VERSION

ANALYSIS_VERSION = CLARIFY_VERSION
DEFAULT_LABEL = "label0"
METHOD_KEY = "kernel_shap"


class AggregationMethod(StrEnum):
    MEAN_ABS = "mean_abs"
    MEDIAN = "median"
    MEAN_SQ = "mean_sq"

    @classmethod
    def parse(cls, text: str) -> AggregationMethod:
        try:
            return cls(text)
        except ValueError:
            allowed = ", ".join(m.value for m in cls)
            raise UserError(f"agg_method {text!r} is not one of {allowed}") from None


def global_attributions(
    values: npt.NDArray[np.float64], method: AggregationMethod
) -> npt.NDArray[np.float64]:
    """One number per feature from the (records, features) SHAP values."""
    if values.shape[0] == 0:
        return np.zeros(values.shape[1])
    if method is AggregationMethod.MEAN_ABS:
        return np.abs(values).mean(axis=0)
    if method is AggregationMethod.MEDIAN:
        return np.median(values, axis=0)
    return (values**2).mean(axis=0)


def explanations_document(
    features: Sequence[str],
    global_values: npt.NDArray[np.float64],
    expected_value: float,
    *,
    label: str = DEFAULT_LABEL,
) -> dict[str, Any]:
    return {
        "version": ANALYSIS_VERSION,
        "explanations": {
            METHOD_KEY: {
                label: {
                    "global_shap_values": {f: float(v) for f, v in zip(features, global_values, strict=True)},
                    "expected_value": float(expected_value),
                }
            }
        },
    }


def global_values_by_label(document: Mapping[str, Any], *, where: str) -> dict[str, dict[str, float]]:
    """``{label: {feature: global SHAP value}}`` from an explanations analysis.json."""
    explanations = document.get("explanations")
    section = explanations.get(METHOD_KEY) if isinstance(explanations, dict) else None
    if not isinstance(section, dict) or not section:
        raise UserError(f"{where}: no explanations.{METHOD_KEY} section with global SHAP values")
    result: dict[str, dict[str, float]] = {}
    for label, entry in section.items():
        values = entry.get("global_shap_values") if isinstance(entry, dict) else None
        if not isinstance(values, dict):
            raise UserError(f"{where}: explanations.{METHOD_KEY}.{label} has no global_shap_values object")
        result[label] = {str(k): float(v) for k, v in values.items()}
    return result
