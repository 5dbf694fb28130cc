"""Profiles of parts of a dataset merge into the profile of the whole (within the sketches' error)."""

from __future__ import annotations

import numpy as np
import polars as pl
import pytest

from pipelines.monitoring.data_quality import DatasetProfile, statistics_document


def _merged(parts: list[pl.DataFrame]) -> DatasetProfile:
    merged = DatasetProfile()
    for part in parts:
        merged.merge(DatasetProfile.of([part]))
    return merged


def _split(frame: pl.DataFrame, parts: int) -> list[pl.DataFrame]:
    size = -(-frame.height // parts)
    return [frame.slice(i * size, size) for i in range(parts)]


def test_merged_reference_parts_give_the_statistics_of_the_whole(reference_table: pl.DataFrame) -> None:
    whole = statistics_document(DatasetProfile.of([reference_table]))
    merged = statistics_document(_merged(_split(reference_table, 4)))
    assert merged["dataset"] == whole["dataset"]
    for ours, expected in zip(merged["features"], whole["features"], strict=True):
        got, want = ours["numerical_statistics"], expected["numerical_statistics"]
        assert got["common"] == want["common"]
        assert (got["sum"], got["min"], got["max"]) == (want["sum"], want["min"], want["max"])
        assert got["mean"] == pytest.approx(want["mean"], rel=1e-12)
        assert got["std_dev"] == pytest.approx(want["std_dev"], rel=1e-12)
        # with 100 rows every sketch is exact: the buckets are identical
        assert got["distribution"]["kll"]["buckets"] == want["distribution"]["kll"]["buckets"]


def test_merged_hourly_partitions_keep_buckets_within_the_sketch_error() -> None:
    rng = np.random.default_rng(11)
    frame = pl.DataFrame({"amount": rng.lognormal(3, 1, 200_000)})
    whole = statistics_document(DatasetProfile.of([frame]))["features"][0]["numerical_statistics"]
    merged = statistics_document(_merged(_split(frame, 8)))["features"][0]["numerical_statistics"]
    bound = 0.01 * 200_000  # far above KLL k=2048's normalized rank error (~0.1 %) on each side
    for got, want in zip(
        merged["distribution"]["kll"]["buckets"], whole["distribution"]["kll"]["buckets"], strict=True
    ):
        assert got["lower_bound"] == want["lower_bound"]
        assert abs(got["count"] - want["count"]) <= bound
    assert sum(b["count"] for b in merged["distribution"]["kll"]["buckets"]) == 200_000


def test_merged_string_profiles_keep_exact_category_counts() -> None:
    frame = pl.DataFrame({"method": ["card", "cash", "card", "paypal"] * 250})
    merged = statistics_document(_merged(_split(frame, 3)))["features"][0]["string_statistics"]
    assert merged["distinct_count"] == 3.0
    buckets = {b["value"]: b["count"] for b in merged["distribution"]["categorical"]["buckets"]}
    assert buckets == {"card": 500.0, "cash": 250.0, "paypal": 250.0}


def test_a_feature_absent_from_some_parts_counts_those_records_as_missing() -> None:
    first = pl.DataFrame({"a": [1, 2]})
    second = pl.DataFrame({"a": [3], "b": ["x"]})
    merged = statistics_document(_merged([first, second]))
    b = next(f for f in merged["features"] if f["name"] == "b")
    assert b["string_statistics"]["common"] == {"num_present": 1, "num_missing": 2, "completeness": 1 / 3}


def test_distinct_count_of_a_high_cardinality_column_comes_from_the_distinct_sketch() -> None:
    values = [f"id-{i}" for i in range(5000)] + ["common"] * 100
    statistics = statistics_document(DatasetProfile.of([pl.DataFrame({"id": values})]))
    string_statistics = statistics["features"][0]["string_statistics"]
    assert string_statistics["distinct_count"] == pytest.approx(5001, rel=0.05)
    # above Deequ's 120-value histogram threshold the analyzer lists no categories, frequent ones included
    assert string_statistics["distribution"]["categorical"]["buckets"] == []
