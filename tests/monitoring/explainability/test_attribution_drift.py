"""Feature-attribution drift: nDCG of the current ranking, with the baseline attributions as relevance."""

from __future__ import annotations

import math

import pytest

from pipelines.monitoring.explainability import check_attribution_drift, explanations_document, ndcg


def _document(values: dict[str, float]) -> dict:
    import numpy as np

    return explanations_document(list(values), np.array(list(values.values())), 0.5)


def test_the_documented_college_admission_example() -> None:
    training = {"SAT score": 0.70, "GPA": 0.50, "Class rank": 0.05}
    live = {"SAT score": 0.10, "GPA": 0.20, "Class rank": 0.70}
    dcg = 0.05 / math.log2(2) + 0.50 / math.log2(3) + 0.70 / math.log2(4)
    ideal = 0.70 / math.log2(2) + 0.50 / math.log2(3) + 0.05 / math.log2(4)
    assert ndcg(training, live) == pytest.approx(dcg / ideal)
    assert ndcg(training, live) < 0.9


def test_the_same_ranking_scores_one_whatever_the_magnitudes() -> None:
    assert ndcg({"a": 0.7, "b": 0.2, "c": 0.1}, {"a": 7.0, "b": 0.5, "c": 0.4}) == 1.0


def test_swapping_features_that_mattered_more_costs_more() -> None:
    baseline = {"a": 0.6, "b": 0.3, "c": 0.05, "d": 0.04}
    top_swapped = ndcg(baseline, {"a": 0.3, "b": 0.6, "c": 0.05, "d": 0.04})
    bottom_swapped = ndcg(baseline, {"a": 0.6, "b": 0.3, "c": 0.04, "d": 0.05})
    assert top_swapped < bottom_swapped < 1.0


def test_a_baseline_feature_missing_now_ranks_last() -> None:
    assert ndcg({"a": 0.6, "b": 0.3}, {"b": 0.3}) == ndcg({"a": 0.6, "b": 0.3}, {"a": 0.0, "b": 0.3})


def test_a_score_below_the_threshold_is_a_violation_in_clarifys_wording() -> None:
    baseline = _document({"SAT score": 0.70, "GPA": 0.50, "Class rank": 0.05})
    current = _document({"SAT score": 0.10, "GPA": 0.20, "Class rank": 0.70})
    [violation] = check_attribution_drift(current, baseline)
    score = ndcg(
        {"SAT score": 0.70, "GPA": 0.50, "Class rank": 0.05},
        {"SAT score": 0.10, "GPA": 0.20, "Class rank": 0.70},
    )
    assert violation == {
        "label": "label0",
        "metric_name": "shap",
        "constraint_check_type": "feature_attribution_drift_check",
        "description": f"Feature attribution drift {score} exceeds threshold 0.9",
    }


def test_a_score_at_or_above_the_threshold_passes() -> None:
    baseline = _document({"a": 0.6, "b": 0.3, "c": 0.1})
    assert check_attribution_drift(_document({"a": 0.6, "b": 0.1, "c": 0.3}), baseline) == []
