"""The monitoring command line's world: a trained model, baselines of the four monitors, a clean and a drifted
hour of captured traffic with ground truth (used by the CLI's tests and the engines' tests)."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np
from capture_traffic import Traffic, write_traffic
from transaction_scoring.contract import IDENTIFIER_COLUMNS, LABEL_COLUMN, PERSONAL_DATA_COLUMNS

from pipelines.model import TrainingSettings, train_fraud_model
from pipelines.monitoring.cli import main
from pipelines.sandbox.data import Drift, GeneratorSettings, generate_transactions

PERSONAL_AND_IDS = ",".join((*IDENTIFIER_COLUMNS, *PERSONAL_DATA_COLUMNS))  # what the endpoint never gets


@dataclass(frozen=True)
class World:
    root: Path
    model: Path
    held_out: Path
    baseline: Path
    clean: Traffic
    drifted: Traffic


def make_world(root: Path) -> World:
    """A model, its baselines of all four monitors (bias facet: Device Used = mobile) and two hours of
    traffic (1,500 records each, in three capture files, with their ground truth)."""
    model = train_fraud_model(
        generate_transactions(GeneratorSettings(rows=3000, seed=1)), TrainingSettings(rounds=30)
    )
    model.save(str(root / "model.tar.gz"))
    generate_transactions(GeneratorSettings(rows=3000, seed=2)).to_csv(root / "held-out.csv", index=False)
    code = main(
        [
            "baseline",
            "--dataset", str(root / "held-out.csv"),
            "--output", str(root / "baseline"),
            "--label", LABEL_COLUMN,
            "--exclude", PERSONAL_AND_IDS,
            "--model", str(root / "model.tar.gz"),
            "--facet", "Device Used",
            "--facet-values", "mobile",
            # the suggested thresholds are the baseline's own values: allow an hour's sampling noise
            # (benchmarks/model_quality_slack.py: 0.05 is crossed by chance in half of the hours)
            "--model-quality-slack", "0.1",
        ]
    )  # fmt: skip
    assert code == 0
    clean = generate_transactions(GeneratorSettings(rows=1500, seed=3))
    drifted = generate_transactions(GeneratorSettings(rows=1500, seed=4, drift=Drift.typical()))
    shuffled = np.random.default_rng(5).permutation(model.predict_proba(drifted))
    return World(
        root=root,
        model=root / "model.tar.gz",
        held_out=root / "held-out.csv",
        baseline=root / "baseline",
        clean=write_traffic(root / "clean", clean, model.predict_proba(clean), seed=3),
        drifted=write_traffic(root / "drifted", drifted, shuffled, seed=4),
    )
