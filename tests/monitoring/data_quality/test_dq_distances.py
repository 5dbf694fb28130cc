"""The distance calculations behind baseline_drift_check."""

from __future__ import annotations

import math

import pytest

from pipelines.monitoring.data_quality.distances import (
    chi_squared_p_value,
    chi_squared_survival,
    ks_critical_value,
    ks_distance,
    linf_distance,
)
from pipelines.monitoring.data_quality.sketches import WeightedSample


def test_ks_distance_is_the_largest_cdf_gap() -> None:
    baseline = WeightedSample.of([1, 2, 3, 4], [1, 1, 1, 1])
    current = WeightedSample.of([3, 4, 5, 6], [1, 1, 1, 1])
    assert ks_distance(baseline, current) == 0.5


def test_ks_distance_uses_the_weights_of_sketch_items() -> None:
    baseline = WeightedSample.of([1.0, 2.0], [3, 1])  # CDF 0.75 at 1
    current = WeightedSample.of([1.0, 2.0], [1, 1])  # CDF 0.5 at 1
    assert ks_distance(baseline, current) == 0.25


def test_identical_samples_have_distance_zero() -> None:
    sample = WeightedSample.of([1, 5, 9], [2, 1, 4])
    assert ks_distance(sample, sample) == 0.0


def test_linf_distance_compares_frequencies_with_missing_categories_at_zero() -> None:
    assert linf_distance({"a": 50, "b": 50}, 100, {"a": 30, "c": 70}, 100) == pytest.approx(0.7)


def test_ks_critical_value_shrinks_with_sample_size() -> None:
    assert ks_critical_value(100, 100) == pytest.approx(1.3581 * math.sqrt(2 / 100), rel=1e-4)
    assert ks_critical_value(1_000_000, 1_000_000) < 0.002


@pytest.mark.parametrize(
    ("x", "dof", "p"),
    [
        (3.841458820694124, 1, 0.05),
        (5.991464547107979, 2, 0.05),
        (11.070497693516351, 5, 0.05),
        (0.0, 3, 1.0),
    ],
)
def test_chi_squared_survival_matches_the_tables(x: float, dof: int, p: float) -> None:
    assert chi_squared_survival(x, dof) == pytest.approx(p, rel=1e-9)


def test_chi_squared_p_value_is_one_for_equal_shares_and_tiny_for_different_ones() -> None:
    assert chi_squared_p_value({"a": 50, "b": 50}, {"a": 500, "b": 500}) == pytest.approx(1.0)
    assert chi_squared_p_value({"a": 500, "b": 500}, {"a": 800, "b": 200}) < 1e-10
