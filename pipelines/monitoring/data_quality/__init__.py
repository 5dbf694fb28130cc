"""The data-quality monitor: Model Monitor's ``statistics.json``, ``constraints.json`` and
``constraint_violations.json`` computed by our own code from baseline CSVs and data capture.

Public API (see ``monitor.py`` for the end-to-end calls)::

    profile = DatasetProfile.of(read_csv_batches(storage, "train.csv"))      # or capture batches
    files = baseline_files(profile)                                          # statistics + constraints
    result = check_data_quality(current_profile, files.statistics, files.constraints)
    result.statistics, result.violations_document                            # the execution's files
"""

from pipelines.monitoring.data_quality.checks import (
    DATASET_CHECKS,
    FEATURE_CHECKS,
    CheckSpec,
    DriftMeasurement,
    Violation,
    violations_document,
)
from pipelines.monitoring.data_quality.constraints import Constraints, read_constraints, suggest_constraints
from pipelines.monitoring.data_quality.dataset import read_csv_batches
from pipelines.monitoring.data_quality.errors import (
    ConstraintsFormatError,
    DatasetReadError,
    StatisticsFormatError,
)
from pipelines.monitoring.data_quality.monitor import (
    BaselineFiles,
    DataQualityResult,
    baseline_files,
    check_data_quality,
)
from pipelines.monitoring.data_quality.profile import DatasetProfile, FeatureProfile
from pipelines.monitoring.data_quality.statistics import read_statistics, statistics_document
from pipelines.monitoring.data_quality.types import (
    CategoricalDriftMethod,
    CheckType,
    ComparisonMethod,
    InferredType,
)

__all__ = [
    "DATASET_CHECKS",
    "FEATURE_CHECKS",
    "BaselineFiles",
    "CategoricalDriftMethod",
    "CheckSpec",
    "CheckType",
    "ComparisonMethod",
    "Constraints",
    "ConstraintsFormatError",
    "DataQualityResult",
    "DatasetProfile",
    "DatasetReadError",
    "DriftMeasurement",
    "FeatureProfile",
    "InferredType",
    "StatisticsFormatError",
    "Violation",
    "baseline_files",
    "check_data_quality",
    "read_constraints",
    "read_csv_batches",
    "read_statistics",
    "statistics_document",
    "suggest_constraints",
    "violations_document",
]
