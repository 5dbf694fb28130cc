"""Fixtures of the model tests: generated training and held-out data, and a model trained once."""

from __future__ import annotations

import pandas as pd
import pytest

from pipelines.model import FraudModel, train_fraud_model
from pipelines.sandbox.data import GeneratorSettings, generate_transactions


@pytest.fixture(scope="session")
def training_frame() -> pd.DataFrame:
    return generate_transactions(GeneratorSettings(rows=20_000, seed=101))


@pytest.fixture(scope="session")
def held_out_frame() -> pd.DataFrame:
    return generate_transactions(GeneratorSettings(rows=20_000, seed=202))


@pytest.fixture(scope="session")
def fraud_model(training_frame: pd.DataFrame) -> FraudModel:
    return train_fraud_model(training_frame)
