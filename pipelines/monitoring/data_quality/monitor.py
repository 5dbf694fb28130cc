"""The data-quality monitor end to end, as library calls: profile → baseline files, or → checks + results.

``baseline``: a profile of the training data gives ``statistics.json`` and the suggested ``constraints.json``.
``check``: a profile of the current window, the baseline's statistics and constraints give the window's
``statistics.json`` and its violations (``constraint_violations.json``) — the files a Model Monitor
data-quality execution writes.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from pipelines.monitoring.data_quality.checks import (
    DriftMeasurement,
    FeatureContext,
    Violation,
    evaluate,
    measure_drift,
    positional_renames,
    violations_document,
)
from pipelines.monitoring.data_quality.constraints import read_constraints, suggest_constraints
from pipelines.monitoring.data_quality.profile import DatasetProfile
from pipelines.monitoring.data_quality.statistics import (
    read_statistics,
    statistics_document,
    summarize_profile,
)


@dataclass(frozen=True, slots=True)
class BaselineFiles:
    statistics: dict[str, Any]
    constraints: dict[str, Any]


@dataclass(frozen=True, slots=True)
class DataQualityResult:
    statistics: dict[str, Any]  # the current window's statistics.json
    violations: list[Violation]
    drift: Mapping[str, DriftMeasurement]  # per feature, whether or not it was flagged
    item_count: int

    @property
    def violations_document(self) -> dict[str, Any]:
        return violations_document(self.violations)


def baseline_files(profile: DatasetProfile) -> BaselineFiles:
    """The baselining job's outputs for a profile of the training data."""
    return BaselineFiles(statistics_document(profile), suggest_constraints(profile))


def check_data_quality(
    current: DatasetProfile,
    baseline_statistics: Any,
    constraints: Any,
    *,
    statistics_where: str = "statistics.json",
    constraints_where: str = "constraints.json",
) -> DataQualityResult:
    """Compare the current profile with the baseline (parsed JSON documents, ours or SageMaker's)."""
    parsed_constraints = read_constraints(constraints, where=constraints_where)
    baseline = read_statistics(baseline_statistics, where=statistics_where)
    renames = positional_renames(list(current.features), list(parsed_constraints.features))
    if renames:
        current = current.rename(dict(renames))
    summary = summarize_profile(current)
    violations = evaluate(parsed_constraints, baseline, summary)
    drift = {}
    for name, constraint in parsed_constraints.features.items():
        if name in summary.features:
            measurement = measure_drift(
                FeatureContext(constraint, baseline.features.get(name), summary.features[name])
            )
            if measurement is not None:
                drift[name] = measurement
    return DataQualityResult(statistics_document(current), violations, drift, current.item_count)
