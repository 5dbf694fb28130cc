"""Our baseline of the analyzer's reference CSV equals the analyzer's own files."""

from __future__ import annotations

import copy
import json
from pathlib import Path
from typing import Any

import polars as pl

from pipelines.monitoring.data_quality import (
    DatasetProfile,
    baseline_files,
    check_data_quality,
    read_constraints,
    read_csv_batches,
    read_statistics,
)
from pipelines.storage import Storage


def _as_json(doc: dict[str, Any]) -> dict[str, Any]:
    return json.loads(json.dumps(doc))


def _without_sketch_parameters(doc: dict[str, Any]) -> dict[str, Any]:
    doc = copy.deepcopy(doc)
    for feature in doc["features"]:
        del feature["numerical_statistics"]["distribution"]["kll"]["sketch"]["parameters"]
    return doc


def test_statistics_of_the_reference_csv_equal_the_analyzer_file(
    reference_table: pl.DataFrame, reference_statistics: dict[str, Any]
) -> None:
    ours = _as_json(baseline_files(DatasetProfile.of([reference_table])).statistics)
    # counts, sums, means, min/max, population std, bucket bounds and counts, and the sketch's raw values
    assert _without_sketch_parameters(ours) == _without_sketch_parameters(reference_statistics)


def test_sketch_parameters_name_our_sketch_not_deequs(reference_table: pl.DataFrame) -> None:
    ours = baseline_files(DatasetProfile.of([reference_table])).statistics
    parameters = ours["features"][0]["numerical_statistics"]["distribution"]["kll"]["sketch"]["parameters"]
    assert parameters == {"c": 2.0 / 3.0, "k": 2048.0}


def test_suggested_constraints_equal_the_analyzer_file(
    reference_table: pl.DataFrame, reference_constraints: dict[str, Any]
) -> None:
    ours = _as_json(baseline_files(DatasetProfile.of([reference_table])).constraints)
    assert ours == reference_constraints


def test_header_less_csv_columns_are_named_like_the_analyzer(reference_dir: Path) -> None:
    batch = next(read_csv_batches(Storage(), str(reference_dir / "baseline_dataset.csv")))
    assert batch.columns == ["_c0", "_c1", "_c2", "_c3", "_c4", "_c5"]
    assert batch.height == 100


def test_the_analyzer_files_are_readable_as_a_baseline(
    reference_statistics: dict[str, Any], reference_constraints: dict[str, Any]
) -> None:
    statistics = read_statistics(reference_statistics)
    constraints = read_constraints(reference_constraints)
    assert statistics.item_count == 100
    assert statistics.features["_c2"].sample is not None
    assert statistics.features["_c2"].sample.total == 100.0
    assert set(constraints.features) == {f"_c{i}" for i in range(6)}


def test_reference_data_checked_against_the_analyzer_baseline_has_no_violations(
    reference_table: pl.DataFrame, reference_statistics: dict[str, Any], reference_constraints: dict[str, Any]
) -> None:
    result = check_data_quality(
        DatasetProfile.of([reference_table]), reference_statistics, reference_constraints
    )
    assert result.violations == []
    assert all(m.distance == 0.0 for m in result.drift.values())
