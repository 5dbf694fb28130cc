"""The bias monitor end to end: Clarify's baseline files, then a drift execution over captured records."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import numpy as np
import polars as pl

from pipelines.monitoring.bias import (
    BiasAnalysisConfig,
    DisparateImpactRule,
    PredictionColumns,
    evaluate_bias,
    suggest_bias_baseline,
)
from pipelines.monitoring.ground_truth_merge import GROUND_TRUTH_COLUMN
from pipelines.storage import Storage

CONFIG = BiasAnalysisConfig.from_json(
    {
        "label": "Is Fraudulent",
        "label_values_or_threshold": [1],
        "facet": [{"name_or_index": "Customer Age", "value_or_threshold": [60]}],
        "group_variable": "Device Used",
        "probability_threshold": 50,
        "methods": {"pre_training_bias": {"methods": "all"}, "post_training_bias": {"methods": "all"}},
    }
)


def _transactions(n: int, seed: int, older_penalty: float) -> pl.DataFrame:
    """Transactions with a label and the model's probability (percent); older customers scored higher by
    ``older_penalty`` points whatever their label."""
    rng = np.random.default_rng(seed)
    age = rng.integers(18, 80, n)
    fraud = (rng.random(n) < 0.2).astype(int)
    probability = np.clip(fraud * 55 + rng.normal(20, 12, n) + (age > 60) * older_penalty, 0, 100)
    return pl.DataFrame(
        {
            "Customer Age": age,
            "Device Used": rng.choice(["mobile", "desktop", "tablet"], n),
            "Is Fraudulent": fraud,
            "probability": probability,
        }
    )


def _captured(n: int, seed: int, older_penalty: float) -> pl.DataFrame:
    """The same, as captured records merged with ground truth: text labels, metadata columns."""
    table = _transactions(n, seed, older_penalty)
    return table.select(
        "Customer Age",
        "Device Used",
        pl.col("Is Fraudulent").cast(pl.String).alias(GROUND_TRUTH_COLUMN),
        pl.col("probability").alias("__predicted_probability"),
        pl.lit("e").alias("__event_id"),
    )


def test_the_baseline_writes_clarifys_files_keyed_like_drift_check_baselines(tmp_path: Path) -> None:
    baseline = suggest_bias_baseline(
        _transactions(2000, 1, 0.0), CONFIG, PredictionColumns(probability="probability")
    )
    written = baseline.write(Storage(), str(tmp_path))
    assert {k: Path(v).relative_to(tmp_path).as_posix() for k, v in written.items()} == {
        "ConfigFile": "analysis_config.json",
        "PreTrainingConstraints": "pre_training_bias/analysis.json",
        "PostTrainingConstraints": "post_training_bias/analysis.json",
    }
    post = json.loads((tmp_path / "post_training_bias" / "analysis.json").read_text())
    assert list(post) == ["version", "post_training_bias_metrics"]
    assert BiasAnalysisConfig.from_json(json.loads((tmp_path / "analysis_config.json").read_text())) == CONFIG


def _penalising_window(di_rule: DisparateImpactRule) -> list[dict[str, str]]:
    baseline = suggest_bias_baseline(
        _transactions(3000, 1, 0.0), CONFIG, PredictionColumns(probability="probability")
    )
    result = evaluate_bias(
        _captured(3000, 2, 35.0),
        CONFIG,
        baseline.constraints(),
        predictions=PredictionColumns(probability="__predicted_probability"),
        di_rule=di_rule,
    )
    return result.violations


def test_traffic_that_penalises_a_group_more_than_the_baseline_violates() -> None:
    violations = _penalising_window(DisparateImpactRule.DISTANCE_FROM_ZERO)
    violated = {v["metric_name"] for v in violations if v["facet"] == "Customer Age"}
    # DI falls from 1.34 to 0.42: closer to 0, so the service's rule does not report it (issue 12)
    assert "DPPL" in violated
    assert "DI" not in violated
    assert all(v["facet_value"] == "60" for v in violations)


def test_under_the_log_ratio_rule_the_penalised_group_also_violates_disparate_impact() -> None:
    violated = {v["metric_name"] for v in _penalising_window(DisparateImpactRule.LOG_RATIO)}
    assert {"DPPL", "DI"} <= violated


def test_a_tolerance_given_to_the_execution_reaches_the_drift_check() -> None:
    baseline = suggest_bias_baseline(
        _transactions(3000, 1, 0.0), CONFIG, PredictionColumns(probability="probability")
    )
    predictions = PredictionColumns(probability="__predicted_probability")
    window = _captured(3000, 2, 35.0)
    assert evaluate_bias(window, CONFIG, baseline.constraints(), predictions=predictions).violations
    tolerant = evaluate_bias(window, CONFIG, baseline.constraints(), predictions=predictions, tolerance=1e6)
    assert tolerant.violations == []


def test_a_small_window_keeps_the_baseline_facet_semantics() -> None:
    baseline = suggest_bias_baseline(
        _transactions(3000, 1, 0.0), CONFIG, PredictionColumns(probability="probability")
    )
    # 30 rows: a 0/1 label has 2/30 >= 5% distinct values, which Clarify alone would call continuous
    result = evaluate_bias(
        _captured(30, 3, 0.0),
        CONFIG,
        baseline.constraints(),
        predictions=PredictionColumns(probability="__predicted_probability"),
    )
    assert result.analysis["post_training_bias_metrics"]["label_value_or_threshold"] == "1"


def test_execution_files_are_the_analysis_and_the_violations(tmp_path: Path) -> None:
    result = evaluate_bias(
        _captured(500, 4, 0.0),
        CONFIG,
        None,
        predictions=PredictionColumns(probability="__predicted_probability"),
    )
    result.write(Storage(), str(tmp_path))
    assert json.loads((tmp_path / "constraint_violations.json").read_text()) == {
        "version": "1.0",
        "violations": [],
    }
    assert "post_training_bias_metrics" in json.loads((tmp_path / "analysis.json").read_text())
    assert result.rows_used == 500


NUMERIC_CONFIG = BiasAnalysisConfig.from_json(
    {
        "label": "Is Fraudulent",
        "label_values_or_threshold": [1],
        "facet": [{"name_or_index": "Customer Age", "value_or_threshold": [60]}],
        "probability_threshold": 50,
        "methods": {"post_training_bias": {"methods": ["FT"]}},
    }
)


def _with_record_key(table: pl.DataFrame) -> pl.DataFrame:
    """Numeric features only (the flip test can run), plus a text record key."""
    return table.drop("Device Used").with_columns(
        pl.format("tx-{}", pl.int_range(pl.len())).alias("Transaction ID"),
        (pl.col("Customer Age") * 3.5).alias("Transaction Amount"),
    )


def _flip_test(analysis: dict[str, Any]) -> dict[str, Any]:
    [entry] = analysis["post_training_bias_metrics"]["facets"]["Customer Age"]
    [metric] = entry["metrics"]
    assert metric["name"] == "FT"
    return metric


def test_the_record_key_is_not_a_flip_test_feature_of_an_execution() -> None:
    captured = _with_record_key(_captured(300, 5, 0.0))
    predictions = PredictionColumns(probability="__predicted_probability")
    with_key = evaluate_bias(captured, NUMERIC_CONFIG, None, predictions=predictions)
    assert "Transaction ID" in _flip_test(with_key.analysis)["error"]
    without_key = evaluate_bias(
        captured, NUMERIC_CONFIG, None, predictions=predictions, excluded_columns=["Transaction ID"]
    )
    assert _flip_test(without_key.analysis)["value"] is not None


def test_excluded_columns_are_not_flip_test_features_of_the_baseline() -> None:
    table = _with_record_key(_transactions(300, 6, 0.0))
    predictions = PredictionColumns(probability="probability")
    with_key = suggest_bias_baseline(table, NUMERIC_CONFIG, predictions)
    assert "Transaction ID" in _flip_test(with_key.constraints())["error"]
    without_key = suggest_bias_baseline(
        table, NUMERIC_CONFIG, predictions, excluded_columns=("Transaction ID",)
    )
    assert _flip_test(without_key.constraints())["value"] is not None
