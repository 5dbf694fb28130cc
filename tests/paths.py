"""Paths (and the reference inputs behind them) the tests share; importable from any test module: pytest puts
``tests/`` on sys.path."""

from __future__ import annotations

from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parent.parent
# Real outputs of SageMaker's analyzer and of Clarify next to their inputs (Apache-2.0, see its README.md).
SAGEMAKER_REFERENCE = REPO_ROOT / "tests" / "fixtures" / "sagemaker_reference"
# The analysis config the Clarify reference (sagemaker-sdk-clarify-check/analysis.json) was computed with, as
# its README describes it (the folder is read-only and holds no config file).
CLARIFY_REFERENCE_CONFIG = {
    "dataset_type": "text/csv",
    "headers": ["Label", "F1", "F2", "F3", "F4"],
    "label": "Label",
    "label_values_or_threshold": [1],
    "facet": [{"name_or_index": "F1", "value_or_threshold": [0.5]}],
    "group_variable": "F2",
    "methods": {"pre_training_bias": {"methods": "all"}},
}
# A real Clarify bias-drift execution: baseline analysis.json and its violations (see its README.md).
CLARIFY_BIAS_DRIFT_EXECUTION = REPO_ROOT / "tests" / "fixtures" / "clarify_bias_drift_execution"
