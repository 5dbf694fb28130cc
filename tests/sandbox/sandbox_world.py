"""Test-only helpers for building sandbox worlds quickly.

``placeholder_baselines`` stands in for the real baseline factory (``pipelines.monitoring``'s baseline
functions, plugged in by the demo) where a test only checks the world's wiring: it writes one small JSON file
per DriftCheckBaselines entry, recording what it was made from, so a test can check that every registered URI
points at an object that exists and belongs to the right model version. It is not a baseline and never ships.
"""

from __future__ import annotations

from typing import Any

import pandas as pd

from pipelines.model import FraudModel, TrainingSettings
from pipelines.sandbox.world import RegisteredBaselines, WorldSettings
from pipelines.storage import Storage, join_location

# Small and fast: two models of 2,000 rows and 30 trees each.
FAST_WORLD = WorldSettings(training_rows=2000, validation_rows=500, training=TrainingSettings(rounds=30))

PLACEHOLDER_FILES: dict[str, tuple[str, ...]] = {
    "ModelDataQuality": ("Statistics", "Constraints"),
    "ModelQuality": ("Constraints",),
    "Bias": ("ConfigFile", "PreTrainingConstraints", "PostTrainingConstraints"),
    "Explainability": ("Constraints", "ConfigFile"),
}


def placeholder_baselines(
    data: pd.DataFrame, model: FraudModel, output_prefix: str, storage: Storage
) -> RegisteredBaselines:
    drift: dict[str, Any] = {}
    for section, files in PLACEHOLDER_FILES.items():
        drift[section] = {}
        for name in files:
            location = join_location(output_prefix, f"{section}-{name}.json")
            storage.write_json(location, {"placeholder": True, "rows": len(data), "prefix": output_prefix})
            drift[section][name] = {"ContentType": "application/json", "S3Uri": location}
    return RegisteredBaselines(
        drift_check_baselines=drift, model_metrics={"ModelQuality": drift["ModelQuality"]}
    )
