"""Result trees for the report's tests, built from Model Monitor-format fixture files (helpers).

``fixtures/`` holds hand-made files in the documented formats (data-quality statistics and violations,
model-quality statistics with ``binary_classification_metrics``, Clarify bias and explainability
``analysis.json``, each with a baseline); ``write_execution`` lays them out as Model Monitor does:
``{root}/{endpoint}/{schedule}/yyyy/mm/dd/hh/``.
"""

from __future__ import annotations

import copy
import json
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from paths import SAGEMAKER_REFERENCE

FIXTURES = Path(__file__).parent / "fixtures"
REFERENCE = SAGEMAKER_REFERENCE
FIRST_HOUR = datetime(2026, 11, 29, 10, tzinfo=UTC)
ENDPOINT = "fraud-prod"


def fixture(name: str) -> Any:
    return json.loads((FIXTURES / name).read_text())


def reference(*parts: str) -> Path:
    """A file of SageMaker's real outputs (vendored under tests/fixtures/sagemaker_reference)."""
    path = REFERENCE.joinpath(*parts)
    if not path.is_file():
        pytest.fail(f"SageMaker reference output missing: {path}")
    return path


def write_execution(root: Path, endpoint: str, schedule: str, hour: datetime, files: dict[str, Any]) -> Path:
    folder = root / endpoint / schedule / hour.strftime("%Y/%m/%d/%H")
    folder.mkdir(parents=True, exist_ok=True)
    for name, content in files.items():
        (folder / name).write_text(content if isinstance(content, str) else json.dumps(content, indent=2))
    return folder


def summary(
    monitor: str, hour: datetime, status: str, violations: list[dict[str, Any]], **baseline: str
) -> dict:
    """Our ``summary.json`` (the layout shared by the monitoring helpers)."""
    return {
        "version": "1.0",
        "tool": "pipelines.monitoring 0.1.0",
        "monitor": monitor,
        "endpoint": ENDPOINT,
        "window": {
            "start": (hour - timedelta(hours=1)).strftime("%Y-%m-%dT%H:%M:%SZ"),
            "end": hour.strftime("%Y-%m-%dT%H:%M:%SZ"),
        },
        "generated_at": hour.strftime("%Y-%m-%dT%H:%M:%SZ"),
        "status": status,
        "reason": "",
        "inputs": {"captured_requests": 120, "records": 480, "unreadable_lines": 0},
        "baseline": baseline,
        "violations": violations,
        "files": ["statistics.json", "constraint_violations.json"],
    }


def model_quality_statistics(accuracy: float) -> dict[str, Any]:
    document = copy.deepcopy(fixture("model_quality_statistics.json"))
    document["binary_classification_metrics"]["accuracy"]["value"] = accuracy
    return document


def bias_analysis(dppl: float) -> dict[str, Any]:
    document = copy.deepcopy(fixture("bias_analysis.json"))
    for metric in document["post_training_bias_metrics"]["facets"]["Customer Age"][0]["metrics"]:
        if metric["name"] == "DPPL":
            metric["value"] = dppl
    return document


@dataclass(frozen=True)
class ResultsTree:
    root: Path
    baselines: Path
    hours: tuple[datetime, ...]
    accuracies: tuple[float, ...]
    dppl: tuple[float, ...]
