"""The report's own measures: distances between bucketed distributions and Clarify's nDCG."""

from __future__ import annotations

import pytest
from report_trees import fixture

from pipelines.monitoring.explainability.drift import ndcg as monitor_ndcg
from pipelines.monitoring.report.calculations import (
    category_shares,
    feature_distance,
    ndcg,
    numeric_distance,
    ranks,
)
from pipelines.monitoring.report.documents import parse_data_quality_statistics
from pipelines.monitoring.report.results import FeatureStatistics, NumericBucket


def features(name: str) -> dict[str, FeatureStatistics]:
    return {f.name: f for f in parse_data_quality_statistics(fixture(name), name).features}


BASELINE = features("data_quality_baseline_statistics.json")
CURRENT = features("data_quality_statistics.json")


def test_identical_buckets_have_no_distance() -> None:
    buckets = BASELINE["Transaction Amount"].buckets
    assert numeric_distance(buckets, buckets) == 0


def test_numeric_distance_is_the_largest_cdf_gap() -> None:
    # At 400 the baseline has 80% of its values below, the current 10% (50 of 500): gap 0.7.
    assert numeric_distance(
        BASELINE["Transaction Amount"].buckets, CURRENT["Transaction Amount"].buckets
    ) == (pytest.approx(0.7))


def test_cdf_is_interpolated_inside_buckets() -> None:
    baseline = [NumericBucket(0.0, 10.0, 10.0)]
    current = [NumericBucket(5.0, 15.0, 10.0)]
    # Uniform on [0, 10] vs [5, 15]: the gap is 0.5, at 10 (1.0 vs 0.5) and at 5 (0.5 vs 0.0).
    assert numeric_distance(baseline, current) == pytest.approx(0.5)


def test_constant_features_at_different_values_are_fully_apart() -> None:
    assert numeric_distance([NumericBucket(3.0, 3.0, 10.0)], [NumericBucket(4.0, 4.0, 5.0)]) == 1.0
    assert numeric_distance([NumericBucket(3.0, 3.0, 10.0)], [NumericBucket(3.0, 3.0, 5.0)]) == 0.0


def test_categorical_distance_is_the_largest_share_difference() -> None:
    # "crypto" is new: 0% in the baseline, 250 of 500 now.
    assert feature_distance(BASELINE["Payment Method"], CURRENT["Payment Method"]) == pytest.approx(0.5)


def test_category_shares_count_values_the_file_does_not_list() -> None:
    truncated = FeatureStatistics("f", "String", num_present=10, categories=(("a", 4.0), ("b", 1.0)))
    assert category_shares(truncated) == {"a": 0.4, "b": 0.1}


def test_no_distance_without_a_baseline_or_with_different_kinds() -> None:
    assert feature_distance(None, CURRENT["Transaction Amount"]) is None
    assert feature_distance(BASELINE["Payment Method"], CURRENT["Transaction Amount"]) is None


def test_ranks_put_the_largest_first_and_break_ties_by_name() -> None:
    assert ranks({"b": 0.2, "a": 0.2, "c": 0.9}) == {"c": 1, "a": 2, "b": 3}


def test_ndcg_is_the_explainability_monitors_score() -> None:
    baseline, current = {"a": 3.0, "b": 2.0, "c": 1.0}, {"a": 0.1, "b": 0.2, "c": 0.3}
    assert ndcg(baseline, current) == monitor_ndcg(baseline, current) < 1


def test_ndcg_of_an_unchanged_ranking_is_one() -> None:
    assert ndcg({"a": 3.0, "b": 2.0, "c": 1.0}, {"a": 0.3, "b": 0.2, "c": 0.1}) == pytest.approx(1.0)


def test_ndcg_is_none_without_baseline_attributions() -> None:
    assert ndcg({"a": 0.0}, {"a": 1.0}) is None
