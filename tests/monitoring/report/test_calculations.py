"""The report's own measures: drift distances (the monitor's, else estimated from buckets) and nDCG."""

from __future__ import annotations

import json
from typing import Any

import polars as pl
import pytest
from report_trees import fixture
from transaction_scoring import contract

from pipelines.monitoring.data_quality import DatasetProfile, baseline_files, check_data_quality
from pipelines.monitoring.explainability.drift import ndcg as monitor_ndcg
from pipelines.monitoring.report.calculations import (
    category_shares,
    feature_distance,
    monitor_distance,
    ndcg,
    numeric_distance,
    ranks,
    stated_drift_distance,
)
from pipelines.monitoring.report.documents import parse_data_quality_statistics
from pipelines.monitoring.report.results import FeatureStatistics, NumericBucket
from pipelines.sandbox.data import Drift, GeneratorSettings, generate_transactions


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


def _as_file(document: dict[str, Any]) -> Any:
    return json.loads(json.dumps(document))


def test_every_features_distance_is_the_one_the_monitor_measured_on_the_same_files() -> None:
    columns = list(contract.FEATURE_COLUMNS)
    held_out = generate_transactions(GeneratorSettings(rows=2000, seed=21))[columns]
    drifted = generate_transactions(GeneratorSettings(rows=800, seed=22, drift=Drift.typical()))[columns]
    baseline = baseline_files(DatasetProfile.of([pl.from_pandas(held_out)]))
    result = check_data_quality(
        DatasetProfile.of([pl.from_pandas(drifted)]), baseline.statistics, baseline.constraints
    )
    base = parse_data_quality_statistics(_as_file(baseline.statistics), "baseline/statistics.json")
    current = parse_data_quality_statistics(_as_file(result.statistics), "execution/statistics.json")
    measured = {name: drift.distance for name, drift in result.drift.items()}
    assert {"Transaction Amount", "Device Used", "Payment Method"} <= set(measured)  # numbers and strings
    assert {
        name: feature_distance(base.feature(name), current.feature(name)) for name in measured
    } == measured


def test_a_drift_violation_states_the_distance_the_monitor_measured() -> None:
    assert stated_drift_distance("Baseline drift distance: 0.23712 exceeds threshold: 0.1") == 0.23712
    assert stated_drift_distance("Baseline drift distance: 1.5E-1 exceeds threshold: 0.1") == 0.15
    assert stated_drift_distance("Baseline drift p-value: 0.001 is below threshold: 0.05") is None


def test_without_sketches_the_distance_is_estimated_from_the_buckets() -> None:
    # The current fixture lists buckets only: the monitor could not measure, the report estimates.
    assert monitor_distance(BASELINE["Transaction Amount"], CURRENT["Transaction Amount"]) is None
    assert feature_distance(BASELINE["Transaction Amount"], CURRENT["Transaction Amount"]) == pytest.approx(
        0.7
    )


def test_ranks_put_the_largest_first_and_break_ties_by_name() -> None:
    assert ranks({"b": 0.2, "a": 0.2, "c": 0.9}) == {"c": 1, "a": 2, "b": 3}


def test_ndcg_is_the_explainability_monitors_score() -> None:
    baseline, current = {"a": 3.0, "b": 2.0, "c": 1.0}, {"a": 0.1, "b": 0.2, "c": 0.3}
    assert ndcg(baseline, current) == monitor_ndcg(baseline, current) < 1


def test_ndcg_of_an_unchanged_ranking_is_one() -> None:
    assert ndcg({"a": 3.0, "b": 2.0, "c": 1.0}, {"a": 0.3, "b": 0.2, "c": 0.1}) == pytest.approx(1.0)


def test_ndcg_is_none_without_baseline_attributions() -> None:
    assert ndcg({"a": 0.0}, {"a": 1.0}) is None
