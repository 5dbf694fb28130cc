"""Fixtures of the data-quality tests: the analyzer's reference files and the reference table."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import polars as pl
import pytest
from paths import SAGEMAKER_REFERENCE

from pipelines.monitoring.data_quality import read_csv_batches
from pipelines.storage import Storage

REFERENCE = SAGEMAKER_REFERENCE / "sagemaker-sdk-quality-check" / "data_quality"


@pytest.fixture(scope="session")
def reference_dir() -> Path:
    if not REFERENCE.is_dir():
        pytest.fail(f"reference files not found at {REFERENCE}")
    return REFERENCE


@pytest.fixture(scope="session")
def reference_statistics(reference_dir: Path) -> dict[str, Any]:
    return json.loads((reference_dir / "statistics.json").read_text())


@pytest.fixture(scope="session")
def reference_constraints(reference_dir: Path) -> dict[str, Any]:
    return json.loads((reference_dir / "good_cases" / "constraints.json").read_text())


@pytest.fixture
def reference_table(reference_dir: Path) -> pl.DataFrame:
    return pl.concat(list(read_csv_batches(Storage(), str(reference_dir / "baseline_dataset.csv"))))
