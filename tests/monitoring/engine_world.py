"""A small world for the run engine's own tests: a data- and model-quality baseline and one hour of traffic.

No model: the predictions are seeded random probabilities, which is all the engine's plumbing needs.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from capture_traffic import END, ENDPOINT, START, Traffic, write_traffic
from transaction_scoring.contract import IDENTIFIER_COLUMNS, LABEL_COLUMN, PERSONAL_DATA_COLUMNS

from pipelines.monitoring.baseline import BaselineOptions, make_baselines
from pipelines.monitoring.run_settings import RunOptions
from pipelines.monitors import MONITORS, MonitorDefinition, MonitorType
from pipelines.sandbox.data import GeneratorSettings, generate_transactions
from pipelines.storage import Storage
from pipelines.timewindow import TimeWindow, parse_utc

WINDOW = TimeWindow(parse_utc(START), parse_utc(END))
PREDICTION = "Predicted Fraud"


@dataclass(frozen=True)
class EngineWorld:
    root: Path
    baseline: Path  # the ``baseline`` layout: data quality and model quality
    traffic: Traffic

    def options(self, out: Path, *monitors: MonitorType, **values: object) -> RunOptions:
        """A run of ``monitors`` (all when none is named) on the traffic hour, with the world's baseline."""
        fields: dict[str, object] = {
            "capture": str(self.traffic.capture),
            "window": WINDOW,
            "endpoint": ENDPOINT,
            "output": str(out),
            "ground_truth": str(self.traffic.ground_truth),
            "baseline": str(self.baseline),
            "monitors": monitors or None,
        }
        fields.update(values)
        return RunOptions(**fields)  # type: ignore[arg-type]


def make_engine_world(root: Path) -> EngineWorld:
    frame = generate_transactions(GeneratorSettings(rows=300, seed=11))
    frame[PREDICTION] = frame[LABEL_COLUMN]
    options = BaselineOptions(
        monitors=frozenset({MonitorType.DATA_QUALITY, MonitorType.MODEL_QUALITY}),
        label=LABEL_COLUMN,
        prediction_column=PREDICTION,
        exclude=(*IDENTIFIER_COLUMNS, *PERSONAL_DATA_COLUMNS),
    )
    make_baselines(Storage(), frame, str(root / "baseline"), options)
    hour = generate_transactions(GeneratorSettings(rows=120, seed=12))
    probabilities = np.random.default_rng(13).random(len(hour))
    return EngineWorld(root, root / "baseline", write_traffic(root / "hour", hour, probabilities, seed=13))


@contextmanager
def registered(*definitions: MonitorDefinition) -> Iterator[None]:
    """``definitions`` in the registry for the duration (a test's own monitors never outlive it)."""
    for definition in definitions:
        MONITORS.register(definition)
    try:
        yield
    finally:
        for definition in definitions:
            MONITORS.unregister(definition.type)
