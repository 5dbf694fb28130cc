"""Training the fraud model: gradient-boosted trees with xgboost's native categorical support, in seconds.

Categorical columns go in as pandas Categoricals (no one-hot encoding); the label is ``Is Fraudulent``. The
positive class is up-weighted by ``positive_weight`` so that, at the contract's 50 % threshold, the model
flags a useful share of fraud instead of almost never predicting it (fraud is a few percent of the rows).
Measured on generated data (20,000 training rows, 20,000 held-out rows, 5 % fraud): weight 1 flags 1 % of
rows (precision 0.52, recall 0.13); the class ratio (~19) flags 17 % (precision 0.18, recall 0.61); the
default 4 flags 5 % with precision and recall both about 0.33. AUC is about 0.83 for all three.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd
import xgboost as xgb
from transaction_scoring import contract

from pipelines.errors import UserError
from pipelines.model.features import encode, fraud_feature_spec
from pipelines.model.fraud_model import DEFAULT_THREADS, FraudModel


class TrainingDataError(UserError):
    """Training data the model cannot learn from (no label column, one class only, bad values)."""


@dataclass(frozen=True, slots=True)
class TrainingSettings:
    """Booster parameters (https://xgboost.readthedocs.io/en/stable/parameter.html)."""

    rounds: int = 120
    max_depth: int = 4
    learning_rate: float = 0.1
    subsample: float = 0.9
    min_child_weight: float = 2.0
    # Weight of a fraud row relative to a legitimate one (see the module docstring for the choice).
    positive_weight: float = 4.0
    seed: int = 0
    threads: int = DEFAULT_THREADS

    def params(self) -> dict[str, object]:
        return {
            "objective": "binary:logistic",
            "eval_metric": "auc",
            "tree_method": "hist",
            "max_depth": self.max_depth,
            "eta": self.learning_rate,
            "subsample": self.subsample,
            "min_child_weight": self.min_child_weight,
            "scale_pos_weight": self.positive_weight,
            "max_cat_to_onehot": 1,  # partition-based splits for every categorical column
            "seed": self.seed,
            "nthread": self.threads,
        }


def train_fraud_model(training: pd.DataFrame, settings: TrainingSettings | None = None) -> FraudModel:
    """A model trained on a frame with the raw feature columns and the ``Is Fraudulent`` label."""
    settings = settings or TrainingSettings()
    labels = _labels(training)
    spec = fraud_feature_spec(training)
    matrix = xgb.DMatrix(
        encode(spec, training), label=labels, enable_categorical=True, nthread=settings.threads
    )
    booster = xgb.train(settings.params(), matrix, num_boost_round=settings.rounds)
    return FraudModel(booster, spec, threads=settings.threads)


def _labels(training: pd.DataFrame) -> np.ndarray:
    column = contract.LABEL_COLUMN
    if column not in training.columns:
        raise TrainingDataError(f"training data has no label column {column!r}")
    labels = pd.to_numeric(training[column], errors="coerce")
    bad = training[column][labels.isna() | ~labels.isin([0, 1])]
    if len(bad):
        raise TrainingDataError(
            f"training data: label {column!r} is {bad.iloc[0]!r} in row {bad.index[0]} "
            f"({len(bad)} rows like it): expected 0 or 1"
        )
    positives = int(labels.sum())
    if positives in (0, len(labels)):
        raise TrainingDataError(
            f"training data has {positives} fraudulent rows out of {len(labels)}: both classes are needed"
        )
    return labels.to_numpy(dtype=np.float64)
