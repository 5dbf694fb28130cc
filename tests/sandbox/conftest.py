"""Fixtures of the sandbox tests: a small trained model (once per session) and a built world per test."""

from __future__ import annotations

from datetime import datetime

import pandas as pd
import pytest
from demo_story import DEFAULT_DEMO_NOW
from sandbox_world import FAST_WORLD, placeholder_baselines

from pipelines.model import FraudModel, TrainingSettings, train_fraud_model
from pipelines.sandbox.aws_emulator import AwsEmulator
from pipelines.sandbox.data import GeneratorSettings, generate_transactions
from pipelines.sandbox.world import AwsClients, World, build_world
from pipelines.timewindow import parse_utc


@pytest.fixture(scope="session")
def demo_now(request: pytest.FixtureRequest) -> datetime:
    """The demo's pinned "now" (``--demo-now`` / ``$FAKE_NOW``, else ``DEFAULT_DEMO_NOW``): never the real
    clock, so no test depends on the day it runs."""
    text = request.config.getoption("--demo-now")
    return parse_utc(text, what="--demo-now") if text else DEFAULT_DEMO_NOW


@pytest.fixture(scope="session")
def small_transactions() -> pd.DataFrame:
    return generate_transactions(GeneratorSettings(rows=3000, seed=11))


@pytest.fixture(scope="session")
def small_model(small_transactions: pd.DataFrame) -> FraudModel:
    return train_fraud_model(small_transactions, TrainingSettings(rounds=30))


@pytest.fixture(scope="session")
def sandbox_clients(aws_emulator_server: AwsEmulator) -> AwsClients:
    """Clients pointed at the session's moto server (creating boto3 clients is slow: do it once)."""
    with aws_emulator_server.activated():
        return AwsClients.create()


@pytest.fixture(scope="module")
def world(aws_emulator_server: AwsEmulator, sandbox_clients: AwsClients) -> World:
    """A world with placeholder baselines, built once per test module in a clean moto account.

    Shared by the tests of a module: use it read-only (a test that changes the world builds its own).
    """
    aws_emulator_server.reset()
    return build_world(sandbox_clients, placeholder_baselines, FAST_WORLD)
