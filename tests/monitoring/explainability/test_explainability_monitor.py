"""The explainability monitor end to end: baseline files, executions, tree and kernel paths."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import polars as pl
import pytest

from pipelines.monitoring.explainability import (
    ExplainabilityAnalysisConfig,
    ExplainabilityConfigError,
    TreeContributionModel,
    baseline_config,
    evaluate_explainability,
    explain,
    suggest_explainability_baseline,
)
from pipelines.storage import Storage

WEIGHTS = {"amount": 0.03, "age": -0.05, "hour": 0.2}


class LinearLogitModel:
    """A logistic model with known log-odds contributions, offering both prediction paths."""

    raw_feature_names = ("amount", "age", "hour")

    def __init__(self, means: dict[str, float]) -> None:
        self.means = means

    def _logit(self, records) -> np.ndarray:
        return np.array([sum(WEIGHTS[f] * r[f] for f in self.raw_feature_names) - 1.0 for r in records])

    def predict_proba(self, records) -> np.ndarray:
        return 1 / (1 + np.exp(-self._logit(records)))

    def contributions(self, records) -> tuple[np.ndarray, float]:
        values = np.array(
            [[WEIGHTS[f] * (r[f] - self.means[f]) for f in self.raw_feature_names] for r in records]
        )
        expected = sum(WEIGHTS[f] * self.means[f] for f in self.raw_feature_names) - 1.0
        return values, expected


class ProbabilityOnly:
    """The same model seen only through predict_proba (like an endpoint)."""

    def __init__(self, model: LinearLogitModel) -> None:
        self.model = model

    def predict_proba(self, records) -> np.ndarray:
        return self.model.predict_proba(records)


def _transactions(n: int, seed: int, amount_spread: float = 30.0) -> pl.DataFrame:
    rng = np.random.default_rng(seed)
    return pl.DataFrame(
        {
            "amount": rng.normal(50, amount_spread, n),
            "age": rng.normal(45, 5, n),
            "hour": rng.normal(12, 2, n),
            "__event_id": ["e"] * n,
        }
    )


@pytest.fixture
def model() -> LinearLogitModel:
    table = _transactions(2000, 0)
    return LinearLogitModel({f: float(table[f].mean()) for f in LinearLogitModel.raw_feature_names})


def test_a_tree_model_is_explained_by_its_own_contributions(model: LinearLogitModel) -> None:
    table = _transactions(50, 1)
    config = baseline_config(table, model)
    shap = explain(table, model, config)
    np.testing.assert_allclose(shap.values, model.contributions(table.to_dicts())[0])
    assert isinstance(model, TreeContributionModel)
    assert config.use_logit is True


def test_a_probability_only_model_is_explained_by_kernel_shap_in_log_odds(model: LinearLogitModel) -> None:
    table = _transactions(20, 2)
    config = baseline_config(table, model)  # use_logit: the same units as the tree path
    kernel = explain(table, ProbabilityOnly(model), config)
    background = config.background()
    expected = np.column_stack(
        [WEIGHTS[f] * (table[f].to_numpy() - background[f].mean()) for f in config.headers]
    )
    np.testing.assert_allclose(kernel.values, expected, atol=1e-9)


def test_the_baseline_writes_clarifys_files_keyed_like_drift_check_baselines(
    model: LinearLogitModel, tmp_path: Path
) -> None:
    table = _transactions(500, 3)
    baseline = suggest_explainability_baseline(table, model, baseline_config(table, model))
    written = baseline.write(Storage(), str(tmp_path))
    assert {k: Path(v).name for k, v in written.items()} == {
        "ConfigFile": "analysis_config.json",
        "Constraints": "analysis.json",
    }
    analysis = json.loads((tmp_path / "analysis.json").read_text())
    global_values = analysis["explanations"]["kernel_shap"]["label0"]["global_shap_values"]
    assert list(global_values) == ["amount", "age", "hour"]
    assert global_values["amount"] > global_values["hour"] > global_values["age"]  # |w| * spread
    config = ExplainabilityAnalysisConfig.from_json(
        json.loads((tmp_path / "analysis_config.json").read_text())
    )
    assert len(config.baseline) == 10


def test_traffic_whose_top_feature_stopped_varying_violates(model: LinearLogitModel) -> None:
    baseline_table = _transactions(2000, 4)
    config = baseline_config(baseline_table, model)
    baseline = suggest_explainability_baseline(baseline_table, model, config)
    same = evaluate_explainability(_transactions(1000, 5), model, config, baseline.analysis)
    drifted = evaluate_explainability(
        _transactions(1000, 6, amount_spread=0.3), model, config, baseline.analysis
    )
    assert same.violations == []
    assert same.scores["label0"] == 1.0
    assert [v["constraint_check_type"] for v in drifted.violations] == ["feature_attribution_drift_check"]
    assert drifted.scores["label0"] < 0.9


def test_an_execution_can_explain_a_seeded_sample_of_the_records(model: LinearLogitModel) -> None:
    table = _transactions(300, 7)
    config = baseline_config(table, model)
    result = evaluate_explainability(table, ProbabilityOnly(model), config, None, max_records=40)
    assert result.records == 40


def test_execution_files_are_the_analysis_and_the_violations(model: LinearLogitModel, tmp_path: Path) -> None:
    table = _transactions(100, 8)
    result = evaluate_explainability(table, model, baseline_config(table, model), None)
    result.write(Storage(), str(tmp_path))
    assert json.loads((tmp_path / "constraint_violations.json").read_text()) == {
        "version": "1.0",
        "violations": [],
    }


def test_config_problems_are_reported_one_per_line() -> None:
    with pytest.raises(ExplainabilityConfigError) as caught:
        ExplainabilityAnalysisConfig.from_json(
            {
                "headers": ["a", "b"],
                "methods": {"shap": {"baseline": [[1]], "num_samples": 1, "agg_method": "max"}},
            }
        )
    problems = caught.value.problems
    assert len(problems) == 3
    assert "baseline[0] has 1 values for 2 headers" in problems[0]
    assert "num_samples is 1" in problems[1]
    assert "agg_method is 'max'; allowed: mean_abs, median, mean_sq" in problems[2]


def test_a_baseline_given_as_a_location_is_rejected_with_what_to_do() -> None:
    with pytest.raises(ExplainabilityConfigError, match="give the rows inline"):
        ExplainabilityAnalysisConfig.from_json(
            {"headers": ["a"], "methods": {"shap": {"baseline": "s3://b/k.csv"}}}
        )


def test_the_config_round_trips_through_clarifys_schema(model: LinearLogitModel) -> None:
    config = baseline_config(_transactions(30, 9), model, predictor={"content_type": "application/json"})
    assert ExplainabilityAnalysisConfig.from_json(config.to_json()) == config
