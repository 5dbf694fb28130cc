"""Exact tree SHAP from an xgboost booster, summed back onto the raw input columns."""

from __future__ import annotations

import numpy as np
import polars as pl
import pytest
import xgboost as xgb

from pipelines.monitoring.explainability import (
    TreeContributionModel,
    XGBoostTreeModel,
    aggregate_contributions,
)

MODEL_FEATURES = ["log_amount", "hour_sin", "hour_cos", "age"]
SOURCE_OF = {"log_amount": "amount", "hour_sin": "hour", "hour_cos": "hour"}


def _encode(records) -> xgb.DMatrix:
    rows = [
        [
            np.log(r["amount"]),
            np.sin(r["hour"] / 24 * 2 * np.pi),
            np.cos(r["hour"] / 24 * 2 * np.pi),
            r["age"],
        ]
        for r in records
    ]
    return xgb.DMatrix(np.array(rows, dtype=float), feature_names=MODEL_FEATURES)


@pytest.fixture(scope="module")
def transactions() -> pl.DataFrame:
    rng = np.random.default_rng(0)
    n = 1500
    return pl.DataFrame(
        {"amount": rng.lognormal(3, 1, n), "hour": rng.integers(0, 24, n), "age": rng.integers(18, 80, n)}
    )


@pytest.fixture(scope="module")
def model(transactions: pl.DataFrame) -> XGBoostTreeModel:
    rng = np.random.default_rng(1)
    logit = 0.9 * np.log(transactions["amount"].to_numpy()) - 3 + (transactions["hour"].to_numpy() < 5) * 1.5
    matrix = _encode(transactions.to_dicts())
    matrix.set_label((rng.random(transactions.height) < 1 / (1 + np.exp(-logit))).astype(int))
    booster = xgb.train(
        {"objective": "binary:logistic", "max_depth": 3, "eta": 0.3}, matrix, num_boost_round=20
    )
    return XGBoostTreeModel(booster, _encode, ["amount", "hour", "age"], SOURCE_OF)


def test_contributions_add_up_to_the_margin(model: XGBoostTreeModel, transactions: pl.DataFrame) -> None:
    records = transactions.head(20).to_dicts()
    values, expected = model.contributions(records)
    margin = model.booster.predict(_encode(records), output_margin=True)
    np.testing.assert_allclose(values.sum(axis=1) + expected, margin, atol=1e-5)


def test_engineered_features_are_summed_onto_their_raw_column(
    model: XGBoostTreeModel, transactions: pl.DataFrame
) -> None:
    records = transactions.head(10).to_dicts()
    raw, _ = model.contributions(records)
    per_model_feature = model.booster.predict(_encode(records), pred_contribs=True)[:, :-1]
    np.testing.assert_allclose(raw[:, 1], per_model_feature[:, 1] + per_model_feature[:, 2], atol=1e-6)
    assert raw.shape == (10, 3)


def test_the_adapter_satisfies_the_tree_model_protocol(model: XGBoostTreeModel) -> None:
    assert isinstance(model, TreeContributionModel)


def test_a_model_feature_from_an_unknown_raw_column_is_an_error() -> None:
    with pytest.raises(ValueError, match="'f1' comes from 'zip', which is not a raw feature"):
        aggregate_contributions(np.zeros((1, 2)), ["f0", "f1"], {"f1": "zip"}, ["f0"])
