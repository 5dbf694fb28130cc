"""How often the sandbox's model-quality constraints are violated on an hour of traffic, per slack.

Run: ``python -m benchmarks.model_quality_slack`` (about 20 s on two cores). Not a test and not a speed
figure: it measures the false-alarm and detection rates behind ``pipelines.sandbox.baselines``'s
``MODEL_QUALITY_SLACK``. The prod model of the demo (seed 7: 20,000 January rows) is baselined on its 5,000
held-out rows with each slack; then ``--hours`` hours of ``--rows`` transactions each, at several times of
day, undrifted and with ``Drift.typical()``, are scored and checked against those constraints. Printed per
slack, kind of traffic and hour of day: the share of hours with a violation and the metrics most often
violated.
"""

from __future__ import annotations

import argparse
import collections
from datetime import UTC, datetime, timedelta

import polars as pl
from transaction_scoring import contract

from pipelines.model import FraudModel, train_fraud_model
from pipelines.monitoring.capture_reader import PREDICTED_LABEL, PREDICTED_PROBABILITY
from pipelines.monitoring.model_quality.monitor import (
    ModelQualityColumns,
    evaluate,
    suggest_baseline,
    with_model_predictions,
)
from pipelines.monitoring.model_quality.statistics import ModelQualityConfig
from pipelines.sandbox.data import Drift, GeneratorSettings, generate_transactions
from pipelines.sandbox.world import WorldSettings

SLACKS = (0.0, 0.05, 0.1, 0.15)
HOURS_OF_DAY = (3, 10, 13, 16, 20)
COLUMNS = ModelQualityColumns(contract.LABEL_COLUMN, PREDICTED_LABEL, PREDICTED_PROBABILITY)


def scored(model: FraudModel, frame: object) -> pl.DataFrame:
    import pandas as pd

    assert isinstance(frame, pd.DataFrame)
    table = pl.from_pandas(frame[[*contract.FEATURE_COLUMNS, contract.LABEL_COLUMN]])
    return with_model_predictions(
        table, model.predict_proba(frame), threshold=contract.PROBABILITY_THRESHOLD_PCT
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--hours", type=int, default=30, help="hours of traffic per case (default 30)")
    parser.add_argument("--rows", type=int, default=1000, help="transactions per hour (default 1000)")
    args = parser.parse_args()

    settings = WorldSettings()
    spec = settings.versions()[0]  # v1, the model prod runs
    end = spec.start + timedelta(days=spec.days)
    training = generate_transactions(
        GeneratorSettings(rows=settings.training_rows, seed=spec.data_seed, start=spec.start, end=end)
    )
    held_out = generate_transactions(
        GeneratorSettings(rows=settings.validation_rows, seed=spec.data_seed + 500, start=spec.start, end=end)
    )
    model = train_fraud_model(training, settings.training)
    baseline = scored(model, held_out)
    traffic = {
        (kind, hour): [
            scored(
                model,
                generate_transactions(
                    GeneratorSettings(
                        rows=args.rows,
                        seed=10_000 + index,
                        start=datetime(2026, 3, 4, hour, tzinfo=UTC),
                        end=datetime(2026, 3, 4, hour + 1, tzinfo=UTC),
                        drift=drift,
                    )
                ),
            )
            for index in range(args.hours)
        ]
        for kind, drift in (("undrifted", None), ("drifted", Drift.typical()))
        for hour in HOURS_OF_DAY
    }
    print(
        f"{args.hours} hours of {args.rows} transactions per line; slack = distance below the held-out value"
    )
    for slack in SLACKS:
        constraints = suggest_baseline(baseline, COLUMNS, ModelQualityConfig(), slack=slack).constraints
        for (kind, hour), hours in traffic.items():
            violated: collections.Counter[str] = collections.Counter()
            hours_with_violations = 0
            for table in hours:
                names = [
                    v["metric_name"]
                    for v in evaluate(table, COLUMNS, ModelQualityConfig(), constraints).violations
                ]
                hours_with_violations += bool(names)
                violated.update(names)
            common = ", ".join(f"{name} {count}" for name, count in violated.most_common(4))
            print(
                f"slack {slack:<4} {kind:<9} {hour:02d}:00  {hours_with_violations:>2}/{len(hours)} hours"
                f" with violations  ({common or 'none'})"
            )


if __name__ == "__main__":
    main()
