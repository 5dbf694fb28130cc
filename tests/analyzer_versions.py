"""The reference files come from an older analyzer than the one our files follow: what tells them apart.

Recent Model Monitor analyzers add ``completeness`` to each feature's ``common`` statistics,
``approximate_num_distinct_values`` to numerical statistics and the categorical options to
``distribution_constraints`` (issue 12); the reference files (SageMaker Python SDK tests) lack them.
Comparisons with the reference remove exactly these fields from our documents -- which must hold them -- and
stay exact.
"""

from __future__ import annotations

import copy
from typing import Any

NEWER_DISTRIBUTION_OPTIONS = ("categorical_comparison_threshold", "categorical_drift_method")


def without_newer_analyzer_fields(document: dict[str, Any]) -> dict[str, Any]:
    """A copy of our ``statistics.json`` or ``constraints.json`` without the newer fields (KeyError if any is
    missing: ours always writes them)."""
    document = copy.deepcopy(document)
    for feature in document["features"]:
        for key, statistics in feature.items():
            if key.endswith("_statistics"):
                del statistics["common"]["completeness"]
                if key == "numerical_statistics":
                    del statistics["approximate_num_distinct_values"]
    if "monitoring_config" in document:
        distribution = document["monitoring_config"]["distribution_constraints"]
        for option in NEWER_DISTRIBUTION_OPTIONS:
            del distribution[option]
    return document
