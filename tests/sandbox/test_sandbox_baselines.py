"""The sandbox's real baselines: ``make_baselines`` with the sandbox's choices, read as the deploy script and
the monitors read them."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pandas as pd
import pytest
from transaction_scoring import contract

from pipelines.deploy.baselines import BaselineSource, resolve_baselines
from pipelines.deploy.clarify import bias_monitoring_config, explainability_monitoring_config
from pipelines.model import FraudModel
from pipelines.monitoring.baseline import BaselineInputError
from pipelines.monitoring.bias.config import BiasAnalysisConfig
from pipelines.monitoring.clarify_predictor import contract_predictor
from pipelines.monitoring.data_quality.constraints import read_constraints
from pipelines.monitoring.explainability.config import ExplainabilityAnalysisConfig
from pipelines.sandbox.baselines import MODEL_QUALITY_SLACK, monitoring_baselines
from pipelines.sandbox.data import GeneratorSettings, generate_transactions
from pipelines.sandbox.world import INSTANCE_TYPE, RegisteredBaselines
from pipelines.storage import Storage

HELD_OUT_ROWS = 1500


@pytest.fixture(scope="module")
def held_out() -> pd.DataFrame:
    return generate_transactions(GeneratorSettings(rows=HELD_OUT_ROWS, seed=77))


@pytest.fixture(scope="module")
def baselines(
    small_model: FraudModel, held_out: pd.DataFrame, tmp_path_factory: pytest.TempPathFactory
) -> tuple[RegisteredBaselines, Path]:
    folder = tmp_path_factory.mktemp("baselines")
    return monitoring_baselines(held_out, small_model, str(folder), Storage()), folder


def read(registered: RegisteredBaselines, section: str, name: str) -> Any:
    """The registered file ``DriftCheckBaselines[section][name]``, parsed."""
    return Storage().read_json(str(registered.drift_check_baselines[section][name]["S3Uri"]))


def test_the_deploy_script_finds_every_monitors_baseline_in_drift_check_baselines(
    baselines: tuple[RegisteredBaselines, Path],
) -> None:
    registered, _ = baselines
    # The registry stores S3 URIs; the local paths written here stand in for them in the resolution.
    as_s3 = {
        section: {name: {**entry, "S3Uri": "s3://bucket" + entry["S3Uri"]} for name, entry in files.items()}
        for section, files in registered.drift_check_baselines.items()
    }
    description = {"DriftCheckBaselines": as_s3, "ModelMetrics": registered.model_metrics}
    resolved = resolve_baselines({}, description, "arn:package/1")
    assert len(resolved) == 4
    assert {r.source for r in resolved.values()} == {BaselineSource.DRIFT_CHECK_BASELINES}


def test_files_are_laid_out_as_the_baseline_command_writes_them(
    baselines: tuple[RegisteredBaselines, Path],
) -> None:
    _, folder = baselines
    assert sorted(str(p.relative_to(folder)) for p in folder.rglob("*.json")) == [
        "bias/analysis_config.json",
        "bias/post_training_bias/analysis.json",
        "bias/pre_training_bias/analysis.json",
        "data-quality/constraints.json",
        "data-quality/statistics.json",
        "drift_check_baselines.json",
        "explainability/analysis.json",
        "explainability/analysis_config.json",
        "model-quality/constraints.json",
        "model-quality/statistics.json",
    ]


def test_data_quality_covers_the_model_inputs_only(baselines: tuple[RegisteredBaselines, Path]) -> None:
    registered, _ = baselines
    statistics = read(registered, "ModelDataQuality", "Statistics")
    assert [f["name"] for f in statistics["features"]] == list(contract.FEATURE_COLUMNS)
    assert statistics["dataset"]["item_count"] == HELD_OUT_ROWS


def test_the_hour_of_day_is_checked_but_its_distribution_is_not_compared(
    baselines: tuple[RegisteredBaselines, Path],
) -> None:
    registered, _ = baselines
    constraints = read_constraints(read(registered, "ModelDataQuality", "Constraints"))
    compared = {name for name, f in constraints.features.items() if f.config.distribution.perform_comparison}
    assert compared == set(contract.FEATURE_COLUMNS) - {contract.TRANSACTION_HOUR}
    assert constraints.features[contract.TRANSACTION_HOUR].inferred_type.value == "Integral"


def test_model_quality_thresholds_are_the_held_out_metrics_less_the_slack(
    baselines: tuple[RegisteredBaselines, Path],
) -> None:
    registered, _ = baselines
    metrics = read(registered, "ModelQuality", "Statistics")["binary_classification_metrics"]
    constraints = read(registered, "ModelQuality", "Constraints")["binary_classification_constraints"]
    assert constraints["accuracy"] == {
        "threshold": pytest.approx(metrics["accuracy"]["value"] - MODEL_QUALITY_SLACK),
        "comparison_operator": "LessThanThreshold",
    }
    assert constraints["false_positive_rate"] == {
        "threshold": pytest.approx(metrics["false_positive_rate"]["value"] + MODEL_QUALITY_SLACK),
        "comparison_operator": "GreaterThanThreshold",
    }


def test_the_bias_facet_is_the_customers_aged_18_to_24(
    baselines: tuple[RegisteredBaselines, Path], held_out: pd.DataFrame
) -> None:
    registered, _ = baselines
    config = BiasAnalysisConfig.from_json(read(registered, "Bias", "ConfigFile"))
    assert config.facets[0].name_or_index == contract.CUSTOMER_AGE
    assert config.facets[0].value_or_threshold == tuple(range(18, 25))
    # Class imbalance (na - nd) / n of the facet Clarify measured is that of the rows aged 18 to 24.
    young = int(held_out[contract.CUSTOMER_AGE].between(18, 24).sum())
    facet = read(registered, "Bias", "PreTrainingConstraints")["pre_training_bias_metrics"]["facets"]
    (group,) = facet[contract.CUSTOMER_AGE]
    assert group["value_or_threshold"] == "18,19,20,21,22,23,24"
    class_imbalance = next(m["value"] for m in group["metrics"] if m["name"] == "CI")
    assert class_imbalance == pytest.approx((HELD_OUT_ROWS - 2 * young) / HELD_OUT_ROWS)
    assert 0 < young < HELD_OUT_ROWS / 3


def test_young_customers_are_flagged_more_often_than_the_others(
    baselines: tuple[RegisteredBaselines, Path],
) -> None:
    registered, _ = baselines
    facet = read(registered, "Bias", "PostTrainingConstraints")["post_training_bias_metrics"]["facets"]
    metrics = {m["name"]: m["value"] for m in facet[contract.CUSTOMER_AGE][0]["metrics"]}
    assert metrics["DPPL"] < 0  # the facet (young) is predicted positive more often than the rest
    assert {"DI", "AD", "RD", "TE"} <= set(metrics)


def test_both_clarify_configs_carry_the_endpoint_contracts_predictor(
    baselines: tuple[RegisteredBaselines, Path],
) -> None:
    registered, _ = baselines
    expected = contract_predictor(instance_type=INSTANCE_TYPE)
    assert read(registered, "Bias", "ConfigFile")["predictor"] == expected
    assert read(registered, "Explainability", "ConfigFile")["predictor"] == expected
    assert expected["probability"] == "[*].probability"
    assert expected["label"] == "[*].class"


def test_the_deploy_script_prepares_both_configs_for_a_stage(
    baselines: tuple[RegisteredBaselines, Path],
) -> None:
    registered, _ = baselines
    bias = bias_monitoring_config(read(registered, "Bias", "ConfigFile"), source="bias")
    assert bias["facet"] == [
        {"name_or_index": contract.CUSTOMER_AGE, "value_or_threshold": list(range(18, 25))}
    ]
    explainability = explainability_monitoring_config(
        read(registered, "Explainability", "ConfigFile"),
        model_name="fraud-detection-prod-model-v1",
        source="x",
    )
    assert explainability["predictor"]["model_name"] == "fraud-detection-prod-model-v1"


def test_explainability_ranks_the_raw_model_inputs(baselines: tuple[RegisteredBaselines, Path]) -> None:
    registered, _ = baselines
    config = ExplainabilityAnalysisConfig.from_json(read(registered, "Explainability", "ConfigFile"))
    assert config.headers == contract.FEATURE_COLUMNS
    analysis = read(registered, "Explainability", "Constraints")
    shap = analysis["explanations"]["kernel_shap"]["label0"]["global_shap_values"]
    assert set(shap) == set(contract.FEATURE_COLUMNS)
    assert max(shap, key=shap.__getitem__) in (contract.TRANSACTION_AMOUNT, contract.ACCOUNT_AGE_DAYS)


def test_model_metrics_point_at_the_same_reports(baselines: tuple[RegisteredBaselines, Path]) -> None:
    registered, _ = baselines
    drift, metrics = registered.drift_check_baselines, registered.model_metrics
    assert metrics is not None
    assert metrics["ModelQuality"] == drift["ModelQuality"]
    assert metrics["ModelDataQuality"] == drift["ModelDataQuality"]
    assert metrics["Bias"]["PostTrainingReport"] == drift["Bias"]["PostTrainingConstraints"]
    assert metrics["Explainability"]["Report"] == drift["Explainability"]["Constraints"]


def test_a_held_out_frame_without_the_label_is_refused(small_model: FraudModel, tmp_path: Path) -> None:
    frame = generate_transactions(GeneratorSettings(rows=100, seed=1)).drop(columns=[contract.LABEL_COLUMN])
    with pytest.raises(BaselineInputError, match=r"^label 'Is Fraudulent': no such column in the dataset"):
        monitoring_baselines(frame, small_model, str(tmp_path), Storage())
