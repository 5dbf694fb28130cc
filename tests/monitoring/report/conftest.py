"""Fixtures of the report's tests: a baseline folder and a tree of hourly executions of all four monitors."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import pytest
from report_trees import (
    ENDPOINT,
    FIRST_HOUR,
    FIXTURES,
    ResultsTree,
    bias_analysis,
    fixture,
    model_quality_statistics,
    summary,
    write_execution,
)

from pipelines.storage import Storage


@pytest.fixture
def baselines_folder(tmp_path: Path) -> Path:
    """One folder holding a baseline of each kind, named as the baselining jobs name them."""
    folder = tmp_path / "baselines"
    for sub, name, source in (
        ("data_quality", "statistics.json", "data_quality_baseline_statistics.json"),
        ("model_quality", "constraints.json", "model_quality_constraints.json"),
        ("bias", "analysis.json", "bias_baseline_analysis.json"),
        ("explainability", "analysis.json", "explainability_baseline_analysis.json"),
    ):
        (folder / sub).mkdir(parents=True)
        (folder / sub / name).write_text((FIXTURES / source).read_text())
    return folder


@pytest.fixture
def results_tree(tmp_path: Path, baselines_folder: Path) -> ResultsTree:
    """Four hourly executions of each monitor on one endpoint.

    Data quality and bias are ours (with summary.json naming their baselines); model quality and
    explainability are SageMaker's (no summary.json) under schedule names that do not say their type,
    so only the files' content tells what they are.
    """
    root = tmp_path / "monitoring"
    hours = tuple(FIRST_HOUR + timedelta(hours=i) for i in range(4))
    accuracies = (0.95, 0.92, 0.71, 0.5)
    dppl = (-0.02, -0.05, -0.2, -0.31)
    dq_violations = fixture("data_quality_violations.json")
    bias_violations = fixture("bias_violations.json")
    for index, hour in enumerate(hours):
        latest = index == len(hours) - 1
        found = dq_violations["violations"] if index >= 2 else []
        write_execution(
            root,
            ENDPOINT,
            f"{ENDPOINT}-DataQuality",
            hour,
            {
                "statistics.json": fixture("data_quality_statistics.json"),
                "constraint_violations.json": {"violations": found},
                "summary.json": summary(
                    "DataQuality",
                    hour,
                    "CompletedWithViolations" if found else "Completed",
                    found,
                    statistics=str(baselines_folder / "data_quality" / "statistics.json"),
                ),
            },
        )
        write_execution(
            root,
            ENDPOINT,
            "schedule-a",
            hour,
            {
                "statistics.json": model_quality_statistics(accuracies[index]),
                "constraint_violations.json": fixture("model_quality_violations.json")
                if latest
                else {"violations": []},
            },
        )
        bias_found = bias_violations["violations"] if latest else []
        write_execution(
            root,
            ENDPOINT,
            f"{ENDPOINT}-ModelBias",
            hour,
            {
                "analysis.json": bias_analysis(dppl[index]),
                "constraint_violations.json": {"version": "1.0", "violations": bias_found},
                "summary.json": summary(
                    "ModelBias",
                    hour,
                    "CompletedWithViolations" if bias_found else "Completed",
                    bias_found,
                    constraints=str(baselines_folder / "bias" / "analysis.json"),
                ),
            },
        )
        if index >= 1:
            write_execution(
                root,
                ENDPOINT,
                "schedule-b",
                hour,
                {
                    "analysis.json": fixture("explainability_analysis.json"),
                    "constraint_violations.json": fixture("explainability_violations.json")
                    if latest
                    else {"version": "1.0", "violations": []},
                },
            )
    return ResultsTree(root, baselines_folder, hours, accuracies, dppl)


@pytest.fixture
def storage() -> Storage:
    return Storage()
