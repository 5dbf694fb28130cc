"""Global attributions: Clarify's aggregation methods and explanations format."""

from __future__ import annotations

import numpy as np
import pytest

from pipelines.errors import UserError
from pipelines.monitoring.explainability import AggregationMethod, explanations_document, global_attributions

VALUES = np.array([[1.0, -2.0], [-3.0, 0.0], [2.0, 4.0]])


@pytest.mark.parametrize(
    ("method", "expected"),
    [
        (AggregationMethod.MEAN_ABS, [2.0, 2.0]),
        (AggregationMethod.MEDIAN, [1.0, 0.0]),
        (AggregationMethod.MEAN_SQ, [14 / 3, 20 / 3]),
    ],
)
def test_aggregation_methods(method: AggregationMethod, expected: list[float]) -> None:
    np.testing.assert_allclose(global_attributions(VALUES, method), expected)


def test_the_document_has_clarifys_explanations_shape() -> None:
    document = explanations_document(["a", "b"], np.array([0.2, 0.1]), 0.3)
    assert document == {
        "version": "1.0",
        "explanations": {
            "kernel_shap": {"label0": {"global_shap_values": {"a": 0.2, "b": 0.1}, "expected_value": 0.3}}
        },
    }


def test_an_unknown_aggregation_method_lists_the_allowed_ones() -> None:
    with pytest.raises(UserError, match="mean_abs, median, mean_sq"):
        AggregationMethod.parse("max")
