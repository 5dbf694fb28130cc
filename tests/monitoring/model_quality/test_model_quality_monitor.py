"""The model-quality monitor end to end: a baseline from a CSV, an execution over captured records."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import polars as pl
import pytest
from paths import SAGEMAKER_REFERENCE

from pipelines.monitoring.ground_truth_merge import GROUND_TRUTH_COLUMN
from pipelines.monitoring.model_quality import (
    ModelQualityColumns,
    ModelQualityConfig,
    ProblemType,
    evaluate,
    suggest_baseline,
    with_model_predictions,
)
from pipelines.monitoring.tabular import DatasetError, read_csv_table
from pipelines.storage import Storage

REFERENCE = SAGEMAKER_REFERENCE / "sagemaker-sdk-quality-check" / "model_quality"


def _captured(n: int, accuracy: float, seed: int) -> pl.DataFrame:
    """Captured records merged with ground truth: text labels, probabilities in percent."""
    rng = np.random.default_rng(seed)
    actual = rng.random(n) < 0.3
    correct = rng.random(n) < accuracy
    positive = np.where(correct, actual, ~actual)
    probability = np.where(positive, rng.uniform(50, 100, n), rng.uniform(0, 50, n))
    return pl.DataFrame(
        {
            GROUND_TRUTH_COLUMN: np.where(actual, "1", "0"),
            "__predicted_label": positive.astype(int),
            "__predicted_probability": probability,
        }
    )


def test_baseline_of_the_reference_csv_writes_the_analyzer_files(tmp_path: Path) -> None:
    table = read_csv_table(Storage(), str(REFERENCE / "baseline_dataset.csv"))
    baseline = suggest_baseline(
        table,
        ModelQualityColumns("Label", "Prediction"),
        ModelQualityConfig(problem_type=ProblemType.REGRESSION),
    )
    written = baseline.write(Storage(), str(tmp_path))
    assert [Path(p).name for p in written] == ["statistics.json", "constraints.json"]
    constraints = json.loads((tmp_path / "constraints.json").read_text())
    assert constraints == json.loads((REFERENCE / "good_cases" / "constraints.json").read_text())
    statistics = json.loads((tmp_path / "statistics.json").read_text())
    assert statistics["regression_metrics"]["r2"] == {
        "value": -3.208758170289026,
        "standard_deviation": "NaN",
    }


def test_a_degraded_model_violates_the_baseline_constraints() -> None:
    columns, config = ModelQualityColumns.for_capture(), ModelQualityConfig()
    baseline = suggest_baseline(_captured(2000, 0.9, seed=1), columns, config, slack=0.02)
    healthy = evaluate(_captured(2000, 0.9, seed=2), columns, config, baseline.constraints)
    degraded = evaluate(_captured(2000, 0.6, seed=3), columns, config, baseline.constraints)
    assert healthy.violations == []
    assert {"accuracy", "auc", "f1"} <= {v["metric_name"] for v in degraded.violations}


def test_records_without_ground_truth_are_left_out_of_the_metrics() -> None:
    table = _captured(300, 0.9, seed=4).with_columns(
        pl.when(pl.int_range(pl.len()) < 100)
        .then(None)
        .otherwise(pl.col(GROUND_TRUTH_COLUMN))
        .alias(GROUND_TRUTH_COLUMN)
    )
    result = evaluate(table, ModelQualityColumns.for_capture(), ModelQualityConfig(), None)
    assert result.item_count == 200


def test_execution_files_include_an_empty_violations_list(tmp_path: Path) -> None:
    result = evaluate(
        _captured(50, 0.9, seed=5), ModelQualityColumns.for_capture(), ModelQualityConfig(), None
    )
    result.write(Storage(), str(tmp_path))
    assert json.loads((tmp_path / "constraint_violations.json").read_text()) == {"violations": []}
    assert "binary_classification_metrics" in json.loads((tmp_path / "statistics.json").read_text())


def test_a_missing_column_is_reported_with_the_columns_the_table_has() -> None:
    table = pl.DataFrame({"label": [1], "score": [0.3]})
    with pytest.raises(DatasetError, match=r"no column 'Prediction'; the table has: label, score"):
        evaluate(table, ModelQualityColumns("label", "Prediction"), ModelQualityConfig(), None)


def test_model_probabilities_become_the_captured_prediction_columns_in_percent() -> None:
    table = with_model_predictions(pl.DataFrame({"x": [1, 2]}), np.array([0.7, 0.2]), threshold=50.0)
    assert table["__predicted_probability"].to_list() == pytest.approx([70.0, 20.0])
    assert table["__predicted_label"].to_list() == [1, 0]


def test_records_whose_response_could_not_be_decoded_are_left_out() -> None:
    table = _captured(300, 0.9, seed=6).with_columns(
        pl.when(pl.int_range(pl.len()) < 30).then(None).otherwise(pl.col(c)).alias(c)
        for c in ("__predicted_label", "__predicted_probability")
    )
    result = evaluate(table, ModelQualityColumns.for_capture(), ModelQualityConfig(), None)
    assert result.item_count == 270
