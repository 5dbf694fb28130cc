"""Distinct counts and categorical buckets of columns of any cardinality, as the analyzer writes them."""

from __future__ import annotations

import copy
import uuid
from pathlib import Path
from typing import Any

import numpy as np
import polars as pl

from pipelines.monitoring.data_quality import (
    DatasetProfile,
    baseline_files,
    check_data_quality,
    read_csv_batches,
    statistics_document,
)
from pipelines.storage import Storage

ROWS = 23_432  # the unique identifier column of issue 12


def _unique_ids(n: int, seed: int) -> list[str]:
    rng = np.random.default_rng(seed)
    return [str(uuid.UUID(bytes=rng.bytes(16), version=4)) for _ in range(n)]


def _feature(statistics: dict[str, Any], name: str) -> dict[str, Any]:
    return next(f for f in statistics["features"] if f["name"] == name)


def _within_the_sketchs_3_sigma_bounds(profile: DatasetProfile, name: str, truth: int) -> bool:
    sketch = profile.features[name].distinct
    return sketch.get_lower_bound(3) <= truth <= sketch.get_upper_bound(3)


def test_a_unique_identifier_column_has_its_distinct_count_within_the_sketch_error(tmp_path: Path) -> None:
    ids = _unique_ids(ROWS, seed=12)
    methods = np.random.default_rng(13).choice(["card", "paypal", "bank transfer"], ROWS).tolist()
    pl.DataFrame({"Transaction ID": ids, "Payment Method": methods}).write_csv(tmp_path / "data.csv")
    profile = DatasetProfile.of(read_csv_batches(Storage(), str(tmp_path / "data.csv"), batch_rows=5_000))
    string_statistics = _feature(statistics_document(profile), "Transaction ID")["string_statistics"]
    assert _within_the_sketchs_3_sigma_bounds(profile, "Transaction ID", ROWS)
    sketch = profile.features["Transaction ID"].distinct
    assert sketch.get_lower_bound(3) <= string_statistics["distinct_count"] <= sketch.get_upper_bound(3)
    assert abs(string_statistics["distinct_count"] - ROWS) / ROWS < 0.03  # CPC lgK 12: ~0.93 % per sigma
    # like Deequ's profiler, no histogram above 120 distinct values
    assert string_statistics["distribution"] == {"categorical": {"buckets": []}}
    assert string_statistics["common"] == {"num_present": ROWS, "num_missing": 0, "completeness": 1.0}


def test_profiles_of_parts_merge_into_the_distinct_count_of_the_whole() -> None:
    ids = _unique_ids(ROWS, seed=14)
    merged = DatasetProfile()
    for start in range(0, ROWS, 3_000):  # eight partitions, profiled apart (processes, Spark partitions)
        merged.merge(DatasetProfile.of([pl.DataFrame({"id": ids[start : start + 3_000]})]))
    distinct = _feature(statistics_document(merged), "id")["string_statistics"]["distinct_count"]
    assert _within_the_sketchs_3_sigma_bounds(merged, "id", ROWS)
    assert abs(distinct - ROWS) / ROWS < 0.03


def test_a_column_of_120_values_has_every_bucket_and_one_of_121_none() -> None:
    def buckets(distinct: int) -> list[dict[str, Any]]:
        frame = pl.DataFrame({"city": [f"city-{i % distinct}" for i in range(distinct * 3)]})
        feature = _feature(statistics_document(DatasetProfile.of([frame])), "city")["string_statistics"]
        assert feature["distinct_count"] == float(distinct)  # exact while the frequent-items sketch is
        return feature["distribution"]["categorical"]["buckets"]

    assert len(buckets(120)) == 120
    assert all(b["count"] == 3.0 for b in buckets(120))
    assert buckets(121) == []


def test_typed_numbers_count_their_distinct_values() -> None:
    rng = np.random.default_rng(15)
    frame = pl.DataFrame({"amount": rng.lognormal(3, 1, ROWS), "quantity": rng.integers(1, 6, ROWS)})
    profile = DatasetProfile.of([frame.slice(0, 10_000), frame.slice(10_000)])
    statistics = statistics_document(profile)
    amount = _feature(statistics, "amount")["numerical_statistics"]
    quantity = _feature(statistics, "quantity")["numerical_statistics"]
    assert _within_the_sketchs_3_sigma_bounds(profile, "amount", ROWS)
    assert abs(amount["approximate_num_distinct_values"] - ROWS) / ROWS < 0.03
    assert quantity["approximate_num_distinct_values"] == 5.0
    assert quantity["common"]["completeness"] == 1.0


def test_no_categorical_drift_is_measured_against_a_column_without_baseline_buckets() -> None:
    baseline = baseline_files(DatasetProfile.of([pl.DataFrame({"id": _unique_ids(2_000, seed=16)})]))
    current = DatasetProfile.of([pl.DataFrame({"id": _unique_ids(500, seed=17)})])
    result = check_data_quality(current, baseline.statistics, baseline.constraints)
    assert "id" not in result.drift
    assert result.violations == []


CATEGORICAL = pl.DataFrame({"amount": [1.0, 2.0, 3.0, 4.0] * 50, "method": ["card", "cash"] * 100})


def _method_drift_threshold(distribution: dict[str, Any]) -> float:
    """The threshold the categorical feature's drift is compared with, under these distribution options."""
    files = baseline_files(DatasetProfile.of([CATEGORICAL]))
    constraints = copy.deepcopy(files.constraints)
    constraints["monitoring_config"]["distribution_constraints"] = distribution
    result = check_data_quality(DatasetProfile.of([CATEGORICAL]), files.statistics, constraints)
    return result.drift["method"].threshold


def test_the_categorical_threshold_of_a_baseline_is_separate_from_the_numerical_one() -> None:
    distribution = {
        "perform_comparison": "Enabled",
        "comparison_threshold": 0.5,
        "comparison_method": "Simple",
        "categorical_comparison_threshold": 0.2,
        "categorical_drift_method": "LInfinity",
    }
    assert _method_drift_threshold(distribution) == 0.2


def test_a_baseline_without_a_categorical_threshold_uses_the_numerical_one_as_before() -> None:
    distribution = {
        "perform_comparison": "Enabled",
        "comparison_threshold": 0.5,
        "comparison_method": "Simple",
    }
    assert _method_drift_threshold(distribution) == 0.5


def test_suggested_constraints_write_the_newer_categorical_options() -> None:
    frame = pl.DataFrame({"method": ["card", "cash"] * 10})
    distribution = baseline_files(DatasetProfile.of([frame])).constraints["monitoring_config"][
        "distribution_constraints"
    ]
    assert distribution == {
        "perform_comparison": "Enabled",
        "comparison_threshold": 0.1,
        "comparison_method": "Robust",
        "categorical_comparison_threshold": 0.1,
        "categorical_drift_method": "LInfinity",
    }
