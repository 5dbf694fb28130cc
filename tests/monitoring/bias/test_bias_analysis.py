"""Clarify's analysis.json: the reference reproduced bit for bit, and the post-training section."""

from __future__ import annotations

import json

import numpy as np
import polars as pl
import pytest
from paths import CLARIFY_REFERENCE_CONFIG, SAGEMAKER_REFERENCE

from pipelines.monitoring.bias import (
    BiasAnalysisConfig,
    BiasConfigError,
    PredictionColumns,
    Stage,
    bias_analysis,
)
from pipelines.monitoring.tabular import read_csv_table
from pipelines.storage import Storage

REFERENCE = SAGEMAKER_REFERENCE / "sagemaker-sdk-clarify-check"


def _reference_table(config: BiasAnalysisConfig) -> pl.DataFrame:
    return read_csv_table(Storage(), str(REFERENCE / "dataset.csv"), headers=config.headers)


def test_pre_training_metrics_reproduce_clarifys_reference_bit_for_bit() -> None:
    """Exact equality, every float included, on any CPU: LP is computed without BLAS (``lp_norm``), so the
    comparison needs no ulp tolerance (issue 9)."""
    config = BiasAnalysisConfig.from_json(CLARIFY_REFERENCE_CONFIG)
    analysis = bias_analysis(_reference_table(config), config, stages=[Stage.PRE_TRAINING])
    assert analysis.document == json.loads((REFERENCE / "analysis.json").read_text())


def _scored(n: int = 400, seed: int = 0) -> pl.DataFrame:
    rng = np.random.default_rng(seed)
    age = rng.integers(18, 80, n)
    label = (rng.random(n) < 0.2).astype(int)
    probability = np.clip(label * 60 + rng.normal(20, 15, n) + (age > 60) * 10, 0, 100)
    return pl.DataFrame(
        {
            "age": age,
            "amount": rng.lognormal(3, 1, n),
            "device": rng.choice(["mobile", "desktop"], n),
            "fraud": label,
            "probability": probability,
        }
    )


def _config(**overrides: object) -> BiasAnalysisConfig:
    document = {
        "label": "fraud",
        "label_values_or_threshold": [1],
        "facet": [{"name_or_index": "age", "value_or_threshold": [60]}],
        "group_variable": "device",
        "probability_threshold": 50,
        "methods": {"post_training_bias": {"methods": "all"}},
    }
    document.update(overrides)
    return BiasAnalysisConfig.from_json(document)


def test_post_training_section_lists_every_metric_for_the_facet_threshold() -> None:
    table = _scored()
    analysis = bias_analysis(
        table,
        _config(),
        stages=[Stage.POST_TRAINING],
        predictions=PredictionColumns(probability="probability"),
    )
    section = analysis.document["post_training_bias_metrics"]
    assert section["label"] == "fraud"
    assert section["label_value_or_threshold"] == "1"
    [entry] = section["facets"]["age"]
    assert entry["value_or_threshold"] == f"(60, {table['age'].max()}]"
    assert [m["name"] for m in entry["metrics"]] == [
        "AD",
        "CDDPL",
        "DAR",
        "DCA",
        "DCR",
        "DI",
        "DPPL",
        "DRR",
        "FT",
        "GE",
        "RD",
        "SD",
        "TE",
    ]


def test_a_probability_above_the_threshold_is_a_positive_prediction() -> None:
    table = pl.DataFrame(
        {
            "age": [70, 70, 20, 20],
            "fraud": [1, 0, 1, 0],
            "g": ["x"] * 4,
            "probability": [50.0, 50.1, 90.0, 10.0],
        }
    )
    config = _config(
        facet=[{"name_or_index": "age", "value_or_threshold": [60]}],
        group_variable="g",
        methods={"post_training_bias": {"methods": ["DPPL"]}},
    )
    analysis = bias_analysis(
        table, config, stages=[Stage.POST_TRAINING], predictions=PredictionColumns(probability="probability")
    )
    [entry] = analysis.document["post_training_bias_metrics"]["facets"]["age"]
    # a predicted positive 1/2 (90 > 50), d 1/2 (50.1 > 50, 50 is not)
    assert entry["metrics"] == [
        {
            "name": "DPPL",
            "description": "Difference in Positive Proportions in Predicted Labels (DPPL)",
            "value": 0.0,
        }
    ]


def test_an_undefined_metric_is_reported_with_a_null_value_and_the_error() -> None:
    analysis = bias_analysis(
        _scored(),
        _config(),
        stages=[Stage.POST_TRAINING],
        predictions=PredictionColumns(probability="probability"),
    )
    [entry] = analysis.document["post_training_bias_metrics"]["facets"]["age"]
    flip = next(m for m in entry["metrics"] if m["name"] == "FT")
    assert flip["value"] is None
    assert flip["error"] == "FlipTest does not support non-numeric columns (device)"


def test_flip_test_runs_when_every_other_column_is_numeric() -> None:
    table = _scored().drop("device")
    config = _config(group_variable=None)
    analysis = bias_analysis(
        table, config, stages=[Stage.POST_TRAINING], predictions=PredictionColumns(probability="probability")
    )
    [entry] = analysis.document["post_training_bias_metrics"]["facets"]["age"]
    flip = next(m for m in entry["metrics"] if m["name"] == "FT")
    assert isinstance(flip["value"], float)
    assert -1.0 <= flip["value"] <= 1.0


def test_rows_with_a_missing_label_or_facet_are_left_out_and_counted() -> None:
    table = _scored(100).with_columns(
        pl.when(pl.int_range(pl.len()) < 7).then(None).otherwise(pl.col("age")).alias("age")
    )
    analysis = bias_analysis(
        table,
        _config(),
        stages=[Stage.POST_TRAINING],
        predictions=PredictionColumns(probability="probability"),
    )
    assert (analysis.rows_used, analysis.rows_dropped) == (93, 7)


def test_config_problems_are_all_reported_one_per_line() -> None:
    with pytest.raises(BiasConfigError) as caught:
        BiasAnalysisConfig.from_json(
            {
                "label_values_or_threshold": [],
                "facet": [{"value_or_threshold": [1]}],
                "methods": {"post_training_bias": {"methods": ["XYZ"]}},
            }
        )
    problems = caught.value.problems
    assert any("label is missing" in p for p in problems)
    assert any("label_values_or_threshold is []" in p for p in problems)
    assert any("facet[0].name_or_index is missing" in p for p in problems)
    assert any("post_training_bias.methods is ['XYZ']" in p for p in problems)


def test_column_indexes_resolve_through_headers() -> None:
    config = BiasAnalysisConfig.from_json(
        {**CLARIFY_REFERENCE_CONFIG, "label": 0, "facet": [{"name_or_index": 1, "value_or_threshold": [0.5]}]}
    )
    assert (config.label_column, config.column(config.facets[0].name_or_index)) == ("Label", "F1")


def test_the_config_is_written_back_in_clarifys_schema() -> None:
    config = BiasAnalysisConfig.from_json(CLARIFY_REFERENCE_CONFIG)
    assert BiasAnalysisConfig.from_json(config.to_json()) == config
    assert config.to_json()["facet"] == [{"name_or_index": "F1", "value_or_threshold": [0.5]}]


def test_predicted_label_and_excluded_columns_are_read_resolved_and_written_back() -> None:
    document = {**CLARIFY_REFERENCE_CONFIG, "predicted_label": 4, "excluded_columns": ["F3", 3]}
    config = BiasAnalysisConfig.from_json(document)
    assert config.predicted_label_column == "F4"
    assert config.excluded_column_names == ["F3", "F3"]
    assert BiasAnalysisConfig.from_json(config.to_json()) == config
    with pytest.raises(BiasConfigError) as caught:
        BiasAnalysisConfig.from_json({**CLARIFY_REFERENCE_CONFIG, "excluded_columns": "F3"})
    assert caught.value.problems == (
        "analysis config: excluded_columns is 'F3': expected a list of column names or 0-based indices",
    )
