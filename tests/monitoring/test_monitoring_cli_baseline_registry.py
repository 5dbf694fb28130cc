"""``baseline``'s files as the Model Registry and the deployment script need them: Clarify's ``predictor``,
features whose distribution is not compared, and ``ModelMetrics`` (run in-process through ``main``)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from transaction_scoring.contract import (
    IDENTIFIER_COLUMNS,
    LABEL_COLUMN,
    PERSONAL_DATA_COLUMNS,
    TRANSACTION_HOUR,
)

from pipelines.model import FraudModel, TrainingSettings, train_fraud_model
from pipelines.monitoring.baseline import BaselineOptions, make_baselines
from pipelines.monitoring.clarify_predictor import contract_predictor
from pipelines.monitoring.cli import main
from pipelines.monitoring.data_quality.constraints import read_constraints
from pipelines.sandbox.data import GeneratorSettings, generate_transactions
from pipelines.storage import Storage

NOT_INPUTS = ",".join((*IDENTIFIER_COLUMNS, *PERSONAL_DATA_COLUMNS))
ANOTHER_ENDPOINT = {
    "model_name": "churn-model",
    "instance_type": "ml.c5.xlarge",
    "initial_instance_count": 1,
    "content_type": "text/csv",
    "accept_type": "text/csv",
    "probability": 0,
}


@pytest.fixture(scope="module")
def inputs(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A small fraud model and a held-out CSV."""
    root = tmp_path_factory.mktemp("inputs")
    training = generate_transactions(GeneratorSettings(rows=1500, seed=21))
    train_fraud_model(training, TrainingSettings(rounds=20)).save(str(root / "model.tar.gz"))
    generate_transactions(GeneratorSettings(rows=600, seed=22)).to_csv(root / "held-out.csv", index=False)
    return root


def baseline(inputs: Path, output: Path, *flags: str) -> int:
    return main(
        [
            "baseline",
            "--dataset", str(inputs / "held-out.csv"),
            "--output", str(output),
            "--label", LABEL_COLUMN,
            "--exclude", NOT_INPUTS,
            "--model", str(inputs / "model.tar.gz"),
            "--facet", "Customer Age",
            "--facet-values", "18,19,20,21,22,23,24",
            *flags,
        ]
    )  # fmt: skip


def read(path: Path) -> Any:
    return json.loads(path.read_text())


def test_with_the_model_both_clarify_configs_carry_the_endpoint_contracts_predictor(
    inputs: Path, tmp_path: Path
) -> None:
    assert baseline(inputs, tmp_path) == 0
    expected = contract_predictor()
    assert read(tmp_path / "bias" / "analysis_config.json")["predictor"] == expected
    assert read(tmp_path / "explainability" / "analysis_config.json")["predictor"] == expected
    assert expected["content_type"] == expected["accept_type"] == "application/json"
    assert (expected["content_template"], expected["record_template"]) == ("$records", "$features_kvp")


def test_a_predictor_file_replaces_the_contracts(inputs: Path, tmp_path: Path) -> None:
    (tmp_path / "predictor.json").write_text(json.dumps(ANOTHER_ENDPOINT))
    assert baseline(inputs, tmp_path / "out", "--predictor", str(tmp_path / "predictor.json")) == 0
    assert read(tmp_path / "out" / "explainability" / "analysis_config.json")["predictor"] == ANOTHER_ENDPOINT
    assert read(tmp_path / "out" / "bias" / "analysis_config.json")["predictor"] == ANOTHER_ENDPOINT


def test_no_predictor_leaves_it_out_and_warns_that_clarify_needs_one(
    inputs: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert baseline(inputs, tmp_path, "--no-predictor") == 0
    assert "predictor" not in read(tmp_path / "explainability" / "analysis_config.json")
    assert "predictor" not in read(tmp_path / "bias" / "analysis_config.json")
    assert "the explainability config has no predictor" in capsys.readouterr().err


def test_a_bias_config_keeps_its_own_predictor(inputs: Path, tmp_path: Path) -> None:
    config = {
        "label": LABEL_COLUMN,
        "label_values_or_threshold": [1],
        "facet": [{"name_or_index": "Device Used", "value_or_threshold": ["mobile"]}],
        "predictor": ANOTHER_ENDPOINT,
    }
    (tmp_path / "bias.json").write_text(json.dumps(config))
    code = main(
        [
            "baseline",
            "--dataset", str(inputs / "held-out.csv"),
            "--output", str(tmp_path / "out"),
            "--exclude", NOT_INPUTS,
            "--model", str(inputs / "model.tar.gz"),
            "--bias-config", str(tmp_path / "bias.json"),
        ]
    )  # fmt: skip
    assert code == 0
    assert read(tmp_path / "out" / "bias" / "analysis_config.json")["predictor"] == ANOTHER_ENDPOINT
    assert (
        read(tmp_path / "out" / "explainability" / "analysis_config.json")["predictor"]
        == contract_predictor()
    )


def test_a_predictor_clarify_would_refuse_is_reported_key_by_key(
    inputs: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    predictor = {
        "model_name": "m",
        "content_type": "application/json",
        "content_template": "$records",
        "prob": 0,
    }
    (tmp_path / "predictor.json").write_text(json.dumps(predictor))
    assert baseline(inputs, tmp_path / "out", "--predictor", str(tmp_path / "predictor.json")) == 2
    errors = capsys.readouterr().err.splitlines()
    where = f"--predictor {tmp_path / 'predictor.json'}"
    assert errors[0].startswith(
        f"error: {where}: unknown predictor key 'prob'; Clarify's keys are accelerator_type"
    )
    assert (
        errors[1]
        == f"error: {where}: content_type application/json needs a record_template (see Clarify's predictor)"
    )
    assert not (tmp_path / "out").exists()


def test_predictor_and_no_predictor_together_are_refused(
    inputs: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    (tmp_path / "predictor.json").write_text(json.dumps(ANOTHER_ENDPOINT))
    assert baseline(inputs, tmp_path, "--predictor", str(tmp_path / "predictor.json"), "--no-predictor") == 2
    assert "error: give --predictor or --no-predictor, not both" in capsys.readouterr().err


def test_no_drift_check_keeps_a_features_checks_but_not_its_distribution_comparison(
    inputs: Path, tmp_path: Path
) -> None:
    assert baseline(inputs, tmp_path, "--no-drift-check", TRANSACTION_HOUR) == 0
    document = read(tmp_path / "data-quality" / "constraints.json")
    (hour,) = [f for f in document["features"] if f["name"] == TRANSACTION_HOUR]
    assert hour["monitoringConfigOverrides"] == {
        "distribution_constraints": {"perform_comparison": "Disabled"}
    }
    constraints = read_constraints(document)
    compared = {name for name, f in constraints.features.items() if f.config.distribution.perform_comparison}
    assert compared == set(constraints.features) - {TRANSACTION_HOUR}
    assert constraints.features[TRANSACTION_HOUR].completeness == 1.0


def test_no_drift_check_on_a_column_the_dataset_lacks_is_refused(
    inputs: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert baseline(inputs, tmp_path, "--no-drift-check", "Hour Of Day") == 2
    assert "error: --no-drift-check 'Hour Of Day': no such column in" in capsys.readouterr().err


def test_model_metrics_name_the_same_reports_as_the_drift_check_baselines(
    inputs: Path, tmp_path: Path
) -> None:
    model = FraudModel.load(str(inputs / "model.tar.gz"))
    options = BaselineOptions(
        label=LABEL_COLUMN,
        exclude=tuple(NOT_INPUTS.split(",")),
        facet="Device Used",
        facet_values=("mobile",),
    )
    made = make_baselines(Storage(), str(inputs / "held-out.csv"), str(tmp_path), options, model)
    drift = made.drift_check_baselines
    assert made.model_metrics == {
        "ModelQuality": drift["ModelQuality"],
        "ModelDataQuality": drift["ModelDataQuality"],
        "Bias": {
            "PreTrainingReport": drift["Bias"]["PreTrainingConstraints"],
            "PostTrainingReport": drift["Bias"]["PostTrainingConstraints"],
        },
        "Explainability": {"Report": drift["Explainability"]["Constraints"]},
    }
