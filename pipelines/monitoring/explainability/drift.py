"""Clarify's feature-attribution drift check: nDCG of the current ranking against the baseline's.

https://docs.aws.amazon.com/sagemaker/latest/dg/clarify-model-monitor-feature-attribution-drift.html :
with ``F`` the features sorted by baseline attribution, ``F'`` sorted by current attribution and ``a(f)``
the *baseline* attribution of ``f``::

    nDCG = DCG / iDCG,  DCG = sum_i a(F'_i) / log2(i + 1),  iDCG = sum_i a(F_i) / log2(i + 1)

so it drops when features that mattered in the baseline fall in the ranking, the more the more they
mattered. A violation is logged when nDCG < 0.90
(https://docs.aws.amazon.com/sagemaker/latest/dg/clarify-model-monitor-model-attribution-drift-violations.html),
with that page's schema and wording::

    {"label": "label0", "metric_name": "shap", "constraint_check_type": "feature_attribution_drift_check",
     "description": "Feature attribution drift 0.7639720923277322 exceeds threshold 0.9"}

A baseline feature missing from the current attributions ranks last; current-only features add nothing
(their baseline attribution is 0). Equal current attributions keep the baseline's order.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import Any

from pipelines.monitoring.explainability.attribution import global_values_by_label

NDCG_THRESHOLD = 0.9
CHECK_TYPE = "feature_attribution_drift_check"
METRIC_NAME = "shap"


def _dcg(gains: list[float]) -> float:
    return sum(gain / math.log2(rank + 1) for rank, gain in enumerate(gains, start=1))


def ndcg(baseline: Mapping[str, float], current: Mapping[str, float]) -> float:
    """nDCG of the current ranking with the baseline attributions as relevance (NaN if all are 0)."""
    baseline_order = sorted(baseline, key=lambda f: -baseline[f])
    position = {feature: i for i, feature in enumerate(baseline_order)}
    current_order = sorted(baseline, key=lambda f: (-current.get(f, -math.inf), position[f]))
    ideal = _dcg([baseline[f] for f in baseline_order])
    if ideal == 0:
        return math.nan
    return _dcg([baseline[f] for f in current_order]) / ideal


def attribution_scores(current: Mapping[str, Any], baseline: Mapping[str, Any]) -> dict[str, float]:
    """nDCG per label present in both explanations documents."""
    current_values = global_values_by_label(current, where="current analysis")
    baseline_values = global_values_by_label(baseline, where="baseline constraints")
    return {
        label: ndcg(baseline_values[label], values)
        for label, values in current_values.items()
        if label in baseline_values
    }


def check_attribution_drift(
    current: Mapping[str, Any], baseline: Mapping[str, Any], *, threshold: float = NDCG_THRESHOLD
) -> list[dict[str, str]]:
    violations = []
    for label, score in attribution_scores(current, baseline).items():
        if not math.isnan(score) and score < threshold:
            violations.append(
                {
                    "label": label,
                    "metric_name": METRIC_NAME,
                    "constraint_check_type": CHECK_TYPE,
                    "description": f"Feature attribution drift {score} exceeds threshold {threshold}",
                }
            )
    return violations
