"""The fraud model: quality on held-out data, contract predictions, exact SHAP, the SageMaker artifact."""

from __future__ import annotations

import io
import tarfile

import boto3
import numpy as np
import pandas as pd
import pytest
from moto import mock_aws
from transaction_scoring import contract

from pipelines.model import (
    FraudModel,
    ModelArtifactError,
    TrainingDataError,
    TrainingSettings,
    train_fraud_model,
)
from pipelines.model.artifact import BOOSTER_FILE, FEATURE_SPEC_FILE
from pipelines.monitoring.explainability.model import TreeContributionModel
from pipelines.monitoring.model_quality.metrics import area_under_roc, threshold_counts
from pipelines.sandbox.data import Drift, GeneratorSettings, generate_transactions, request_records

# Measured: AUC 0.83-0.84 on held-out generated data (20,000 training rows); 0.5 is chance.
MIN_HELD_OUT_AUC = 0.80


def auc(model: FraudModel, frame: pd.DataFrame) -> float:
    actual = frame[contract.LABEL_COLUMN].to_numpy() == 1
    return area_under_roc(threshold_counts(model.predict_proba(frame), actual))


def test_the_model_ranks_fraud_well_above_chance_on_held_out_data(
    fraud_model: FraudModel, held_out_frame: pd.DataFrame
) -> None:
    assert auc(fraud_model, held_out_frame) > MIN_HELD_OUT_AUC


def test_drifted_traffic_degrades_the_model(fraud_model: FraudModel, held_out_frame: pd.DataFrame) -> None:
    drifted = generate_transactions(GeneratorSettings(rows=20_000, seed=303, drift=Drift.typical()))
    assert auc(fraud_model, drifted) < auc(fraud_model, held_out_frame) - 0.02


def test_predictions_follow_the_endpoint_contract(
    fraud_model: FraudModel, held_out_frame: pd.DataFrame
) -> None:
    records = request_records(held_out_frame.head(500))
    predictions = fraud_model.predict(records)
    probabilities = fraud_model.predict_proba(records)
    assert len(predictions) == 500
    np.testing.assert_allclose([p.probability_pct for p in predictions], probabilities * 100, atol=1e-4)
    assert all(p.label == int(p.probability_pct >= contract.PROBABILITY_THRESHOLD_PCT) for p in predictions)
    assert {p.label for p in predictions} == {0, 1}
    assert contract.decode_response(contract.encode_response(predictions), expected=500) == predictions


def test_contributions_are_per_raw_column_and_add_up_to_the_margin(
    fraud_model: FraudModel, held_out_frame: pd.DataFrame
) -> None:
    records = request_records(held_out_frame.head(300))
    contributions, expected = fraud_model.contributions(records)
    assert contributions.shape == (300, len(contract.FEATURE_COLUMNS))
    margin = fraud_model.booster.predict(fraud_model.matrix(records), output_margin=True)
    np.testing.assert_allclose(contributions.sum(axis=1) + expected, margin, atol=1e-4)


def test_the_day_of_week_attribution_is_reported_on_transaction_date(
    fraud_model: FraudModel, held_out_frame: pd.DataFrame
) -> None:
    records = request_records(held_out_frame.head(300))
    contributions, _ = fraud_model.contributions(records)
    raw_values = fraud_model.booster.predict(fraud_model.matrix(records), pred_contribs=True)
    day_of_week = fraud_model.spec.names.index("Transaction Day Of Week")
    date = list(fraud_model.raw_feature_names).index(contract.TRANSACTION_DATE)
    np.testing.assert_allclose(contributions[:, date], raw_values[:, day_of_week], atol=1e-6)


def test_the_most_important_columns_are_the_ones_the_data_makes_risky(
    fraud_model: FraudModel, held_out_frame: pd.DataFrame
) -> None:
    contributions, _ = fraud_model.contributions(held_out_frame.head(2000))
    importance = dict(zip(fraud_model.raw_feature_names, np.abs(contributions).mean(axis=0), strict=True))
    top_three = sorted(importance, key=importance.__getitem__, reverse=True)[:3]
    assert contract.TRANSACTION_AMOUNT in top_three
    assert contract.ACCOUNT_AGE_DAYS in top_three


def test_the_model_is_what_the_explainability_monitor_expects(fraud_model: FraudModel) -> None:
    assert isinstance(fraud_model, TreeContributionModel)


def test_the_artifact_holds_the_booster_and_the_feature_spec(fraud_model: FraudModel) -> None:
    with tarfile.open(fileobj=io.BytesIO(fraud_model.to_artifact()), mode="r:gz") as archive:
        assert sorted(archive.getnames()) == [FEATURE_SPEC_FILE, BOOSTER_FILE]


def test_a_saved_and_loaded_model_predicts_identically(
    fraud_model: FraudModel, held_out_frame: pd.DataFrame, tmp_path: object
) -> None:
    location = fraud_model.save(f"{tmp_path}/model.tar.gz")
    loaded = FraudModel.load(location)
    records = request_records(held_out_frame.head(200))
    np.testing.assert_array_equal(loaded.predict_proba(records), fraud_model.predict_proba(records))
    assert loaded.spec == fraud_model.spec


def test_the_artifact_is_byte_for_byte_reproducible(fraud_model: FraudModel) -> None:
    assert fraud_model.to_artifact() == FraudModel.from_artifact(fraud_model.to_artifact()).to_artifact()


def test_the_model_loads_from_s3(fraud_model: FraudModel) -> None:
    with mock_aws():
        s3 = boto3.client("s3", region_name="us-east-1")
        s3.create_bucket(Bucket="models")
        fraud_model.save("s3://models/v1/model.tar.gz", s3)
        assert FraudModel.load("s3://models/v1/model.tar.gz", s3).spec == fraud_model.spec


def test_a_file_that_is_not_an_archive_is_a_clear_error(tmp_path: object) -> None:
    path = f"{tmp_path}/model.tar.gz"
    with open(path, "wb") as handle:
        handle.write(b"not gzip")
    with pytest.raises(ModelArtifactError, match=r"model.tar.gz: not a model.tar.gz archive"):
        FraudModel.load(path)


def test_an_archive_without_the_feature_spec_is_a_clear_error(fraud_model: FraudModel) -> None:
    from pipelines.model.artifact import pack

    data = pack({BOOSTER_FILE: bytes(fraud_model.booster.save_raw(raw_format="json"))})
    with pytest.raises(
        ModelArtifactError, match=r"has no feature-spec.json \(it holds \['xgboost-model.json'\]\)"
    ):
        FraudModel.from_artifact(data, where="s3://b/model.tar.gz")


def test_training_is_deterministic_for_a_seed(training_frame: pd.DataFrame) -> None:
    rows = training_frame.head(3000)
    first = train_fraud_model(rows, TrainingSettings(rounds=20))
    second = train_fraud_model(rows, TrainingSettings(rounds=20))
    assert first.to_artifact() == second.to_artifact()


def test_training_needs_both_classes(training_frame: pd.DataFrame) -> None:
    legit_only = training_frame[training_frame[contract.LABEL_COLUMN] == 0].head(500)
    with pytest.raises(TrainingDataError, match="0 fraudulent rows out of 500: both classes are needed"):
        train_fraud_model(legit_only)


def test_training_refuses_labels_other_than_0_and_1(training_frame: pd.DataFrame) -> None:
    rows = training_frame.head(100).copy()
    rows[contract.LABEL_COLUMN] = rows[contract.LABEL_COLUMN].astype(str)
    rows.loc[rows.index[3], contract.LABEL_COLUMN] = "yes"
    with pytest.raises(
        TrainingDataError, match=r"label 'Is Fraudulent' is 'yes' in row 3 \(1 rows like it\)"
    ):
        train_fraud_model(rows)
