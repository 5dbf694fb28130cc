"""The sandbox's real baselines: each monitor's files, in the shapes the deploy script and monitors read."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest
from transaction_scoring import contract

from pipelines.deploy.baselines import BaselineSource, resolve_baselines
from pipelines.deploy.clarify import bias_monitoring_config, explainability_monitoring_config
from pipelines.model import FraudModel
from pipelines.monitoring.bias.config import BiasAnalysisConfig
from pipelines.monitoring.data_quality.constraints import read_constraints
from pipelines.monitoring.explainability.config import ExplainabilityAnalysisConfig
from pipelines.sandbox.baselines import BaselineDataError, monitoring_baselines
from pipelines.sandbox.data import GeneratorSettings, generate_transactions
from pipelines.sandbox.world import RegisteredBaselines
from pipelines.storage import Storage


@pytest.fixture(scope="module")
def baselines(
    small_model: FraudModel, tmp_path_factory: pytest.TempPathFactory
) -> tuple[RegisteredBaselines, Path]:
    held_out = generate_transactions(GeneratorSettings(rows=1500, seed=77))
    folder = tmp_path_factory.mktemp("baselines")
    return monitoring_baselines(held_out, small_model, str(folder), Storage()), folder


def uri(registered: RegisteredBaselines, section: str, name: str) -> str:
    return str(registered.drift_check_baselines[section][name]["S3Uri"])


def test_the_deploy_script_finds_every_monitors_baseline_in_drift_check_baselines(
    baselines: tuple[RegisteredBaselines, Path],
) -> None:
    registered, _ = baselines
    description = {
        "DriftCheckBaselines": registered.drift_check_baselines,
        "ModelMetrics": registered.model_metrics,
    }
    # The registry stores S3 URIs; the local paths written here stand in for them in the resolution.
    as_s3 = {
        section: {name: {**entry, "S3Uri": "s3://bucket" + entry["S3Uri"]} for name, entry in files.items()}
        for section, files in registered.drift_check_baselines.items()
    }
    resolved = resolve_baselines({}, {**description, "DriftCheckBaselines": as_s3}, "arn:package/1")
    assert {monitor.value: r.source for monitor, r in resolved.items()} == {
        monitor.value: BaselineSource.DRIFT_CHECK_BASELINES for monitor in resolved
    }


def test_data_quality_covers_the_model_inputs(baselines: tuple[RegisteredBaselines, Path]) -> None:
    registered, _ = baselines
    statistics = Storage().read_json(uri(registered, "ModelDataQuality", "Statistics"))
    assert [f["name"] for f in statistics["features"]] == list(contract.FEATURE_COLUMNS)
    assert statistics["dataset"]["item_count"] == 1500
    constraints = read_constraints(Storage().read_json(uri(registered, "ModelDataQuality", "Constraints")))
    assert set(constraints.features) == set(contract.FEATURE_COLUMNS)


def test_model_quality_constraints_are_binary_classification_metrics_with_slack(
    baselines: tuple[RegisteredBaselines, Path],
) -> None:
    registered, _ = baselines
    statistics = Storage().read_json(uri(registered, "ModelQuality", "Statistics"))
    constraints = Storage().read_json(uri(registered, "ModelQuality", "Constraints"))
    accuracy = statistics["binary_classification_metrics"]["accuracy"]["value"]
    assert constraints["binary_classification_constraints"]["accuracy"] == {
        "threshold": pytest.approx(accuracy - 0.05),
        "comparison_operator": "LessThanThreshold",
    }


def test_bias_is_measured_on_customer_age_and_prepared_by_the_deploy_script(
    baselines: tuple[RegisteredBaselines, Path],
) -> None:
    registered, _ = baselines
    document = Storage().read_json(uri(registered, "Bias", "ConfigFile"))
    config = BiasAnalysisConfig.from_json(document)
    assert config.facets[0].name_or_index == contract.CUSTOMER_AGE
    assert config.facets[0].value_or_threshold == (24,)
    assert bias_monitoring_config(document, source="analysis_config.json")["facet"] == document["facet"]
    post = Storage().read_json(uri(registered, "Bias", "PostTrainingConstraints"))
    metrics = {
        m["name"] for m in post["post_training_bias_metrics"]["facets"][contract.CUSTOMER_AGE][0]["metrics"]
    }
    assert {"DPPL", "DI", "AD", "RD"} <= metrics


def test_explainability_ranks_raw_columns_and_names_a_predictor(
    baselines: tuple[RegisteredBaselines, Path],
) -> None:
    registered, _ = baselines
    document = Storage().read_json(uri(registered, "Explainability", "ConfigFile"))
    config = ExplainabilityAnalysisConfig.from_json(document)
    assert config.headers == contract.FEATURE_COLUMNS
    prepared = explainability_monitoring_config(
        document, model_name="fraud-detection-prod-model-v1", source="x"
    )
    assert prepared["predictor"]["model_name"] == "fraud-detection-prod-model-v1"
    analysis = Storage().read_json(uri(registered, "Explainability", "Constraints"))
    shap = analysis["explanations"]["kernel_shap"]["label0"]["global_shap_values"]
    assert set(shap) == set(contract.FEATURE_COLUMNS)
    assert max(shap, key=shap.__getitem__) in (contract.TRANSACTION_AMOUNT, contract.ACCOUNT_AGE_DAYS)


def test_files_are_laid_out_like_sagemakers_baselining_jobs(
    baselines: tuple[RegisteredBaselines, Path],
) -> None:
    _, folder = baselines
    written = sorted(str(p.relative_to(folder)) for p in folder.rglob("*.json"))
    assert written == [
        "bias/analysis_config.json",
        "bias/post_training_bias/analysis.json",
        "bias/pre_training_bias/analysis.json",
        "data_quality/constraints.json",
        "data_quality/statistics.json",
        "explainability/analysis.json",
        "explainability/analysis_config.json",
        "model_quality/constraints.json",
        "model_quality/statistics.json",
    ]


def test_model_metrics_point_at_the_same_reports(baselines: tuple[RegisteredBaselines, Path]) -> None:
    registered, _ = baselines
    assert registered.model_metrics is not None
    assert registered.model_metrics["ModelQuality"] == registered.drift_check_baselines["ModelQuality"]
    assert (
        registered.model_metrics["Bias"]["PostTrainingReport"]
        == registered.drift_check_baselines["Bias"]["PostTrainingConstraints"]
    )


def test_a_held_out_frame_without_the_label_is_refused(small_model: FraudModel, tmp_path: Path) -> None:
    frame = generate_transactions(GeneratorSettings(rows=100, seed=1)).drop(columns=[contract.LABEL_COLUMN])
    with pytest.raises(BaselineDataError, match="the baseline data has no column 'Is Fraudulent'"):
        monitoring_baselines(pd.DataFrame(frame), small_model, str(tmp_path), Storage())
