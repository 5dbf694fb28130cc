"""Attributions per raw input column: SHAP values of engineered model features summed onto their sources.

A model often reads features engineered from one raw column (day-of-week and hour from a timestamp, the log
of an amount); its SHAP values are per model feature. SHAP values are additive, so the sum over the
features made from one raw column is that column's attribution, which is what Clarify reports and a person
can act on. Both the sandbox's ``pipelines.model.FraudModel`` and the explainability monitor's
``XGBoostTreeModel`` use this; it lives below both (numpy only) so neither imports the other.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import numpy as np
import numpy.typing as npt


def aggregate_contributions(
    contributions: npt.NDArray[np.float64],
    model_features: Sequence[str],
    source_of: Mapping[str, str],
    raw_features: Sequence[str],
) -> npt.NDArray[np.float64]:
    """Sum per-model-feature contributions onto the raw columns they come from (``source_of``).

    A model feature missing from ``source_of`` is its own raw column.
    """
    if contributions.shape[1] != len(model_features):
        raise ValueError(
            f"{contributions.shape[1]} contribution columns for {len(model_features)} model features"
        )
    position = {name: i for i, name in enumerate(raw_features)}
    aggregated = np.zeros((contributions.shape[0], len(raw_features)), dtype=np.float64)
    for j, feature in enumerate(model_features):
        raw = source_of.get(feature, feature)
        if raw not in position:
            raise ValueError(f"model feature {feature!r} comes from {raw!r}, which is not a raw feature")
        aggregated[:, position[raw]] += contributions[:, j]
    return aggregated
