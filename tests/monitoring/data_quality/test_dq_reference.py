"""Our baseline of the analyzer's reference CSV equals the analyzer's own files."""

from __future__ import annotations

import copy
import json
from pathlib import Path
from typing import Any

import polars as pl
from analyzer_versions import without_newer_analyzer_fields

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
    ours = without_newer_analyzer_fields(
        _as_json(baseline_files(DatasetProfile.of([reference_table])).statistics)
    )
    # counts, sums, means, min/max, population std, bucket bounds and counts, and the sketch's raw values
    assert _without_sketch_parameters(ours) == _without_sketch_parameters(reference_statistics)


def test_statistics_of_the_reference_csv_carry_the_newer_analyzer_fields(
    reference_dir: Path, reference_table: pl.DataFrame
) -> None:
    ours = baseline_files(DatasetProfile.of([reference_table])).statistics
    texts = pl.read_csv(reference_dir / "baseline_dataset.csv", has_header=False, infer_schema=False)
    for feature, column in zip(ours["features"], texts.columns, strict=True):
        numerical = feature["numerical_statistics"]
        assert numerical["common"]["completeness"] == 1.0
        # the distinct texts of the column, as Deequ's ApproxCountDistinct counts them before the cast
        assert numerical["approximate_num_distinct_values"] == float(texts[column].n_unique())


def test_sketch_parameters_name_our_sketch_not_deequs(reference_table: pl.DataFrame) -> None:
    ours = baseline_files(DatasetProfile.of([reference_table])).statistics
    parameters = ours["features"][0]["numerical_statistics"]["distribution"]["kll"]["sketch"]["parameters"]
    assert parameters == {"c": 2.0 / 3.0, "k": 2048.0}


def test_suggested_constraints_equal_the_analyzer_file(
    reference_table: pl.DataFrame, reference_constraints: dict[str, Any]
) -> None:
    ours = _as_json(baseline_files(DatasetProfile.of([reference_table])).constraints)
    distribution = ours["monitoring_config"]["distribution_constraints"]
    # recent analyzers' categorical options, which the reference's older analyzer did not write (issue 12)
    assert (distribution["categorical_comparison_threshold"], distribution["categorical_drift_method"]) == (
        0.1,
        "LInfinity",
    )
    assert without_newer_analyzer_fields(ours) == reference_constraints


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


def _as_a_recent_analyzer_writes_them(
    statistics: dict[str, Any], constraints: dict[str, Any]
) -> tuple[dict[str, Any], dict[str, Any]]:
    statistics, constraints = copy.deepcopy(statistics), copy.deepcopy(constraints)
    for feature in statistics["features"]:
        numerical = feature["numerical_statistics"]
        numerical["common"]["completeness"] = 1.0
        numerical["approximate_num_distinct_values"] = 3.0
    distribution = constraints["monitoring_config"]["distribution_constraints"]
    distribution.update(categorical_comparison_threshold=0.1, categorical_drift_method="LInfinity")
    return statistics, constraints


def test_the_analyzer_baseline_with_the_newer_fields_gives_the_same_results(
    reference_table: pl.DataFrame, reference_statistics: dict[str, Any], reference_constraints: dict[str, Any]
) -> None:
    current = reference_table.slice(0, 30)
    older = check_data_quality(DatasetProfile.of([current]), reference_statistics, reference_constraints)
    newer = check_data_quality(
        DatasetProfile.of([current]),
        *_as_a_recent_analyzer_writes_them(reference_statistics, reference_constraints),
    )
    assert newer.violations == older.violations
    assert newer.drift == older.drift
