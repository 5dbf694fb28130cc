"""The data-quality checks Model Monitor makes, as a registry of small named calculations.

Each check is registered with its ``constraint_check_type``, the baseline feature types it applies to and the
constraint options it reads (like Evidently's stattest registry); ``evaluate`` runs them all. Check semantics:
https://docs.aws.amazon.com/sagemaker/latest/dg/model-monitor-interpreting-violations.html .

Violation descriptions are the analyzer's (``constraint_check_type`` values as documented):

- ``data_type_check``: "Data type match requirement is not met. Expected data type: Integral, Expected
  match: 100.0%. Observed: Only 97.3% of data is Integral." -- the wording of the current analyzer, quoted
  from its violation files in several published walkthroughs (older analyzers wrote Deequ's generic text);
- ``completeness_check`` and ``categorical_values_check``: Deequ's constraint message with the analyzer's
  empty hint, "Value: 0.9 does not meet the constraint requirement! " (trailing space included), the value
  being the observed completeness, resp. Deequ's ``isContainedIn`` compliance: the share of *records* that
  are missing or inside the domain. Source: the analyzer's ``constraint_violations.json`` in the SageMaker
  Python SDK's tests (``tests/data/monitor/constraint_violations.json``) and the regular expression AWS's
  own example notebooks parse it with (amazon-sagemaker-examples ``archived/visualization/utils.py``);
- ``baseline_drift_check``: "Baseline drift distance: 0.15 exceeds threshold: 0.1" (parsed by the same
  notebooks with ``distance: (.+) exceeds``); for our ChiSquared reading, "Baseline drift p-value: ... is
  below threshold: ...";
- ``missing_column_check`` / ``extra_column_check``: not published; ours name the column, both counts, and
  the columns missing and extra on each side (a renamed column shows as one of each).

Numbers print as Java prints doubles (``java_double_string``), like the analyzer (a Spark program).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from pipelines.monitoring.data_quality.constraints import Constraints, FeatureConstraints
from pipelines.monitoring.data_quality.distances import (
    chi_squared_p_value,
    ks_critical_value,
    ks_distance,
    linf_distance,
)
from pipelines.monitoring.data_quality.statistics import FeatureSummary, StatisticsSummary
from pipelines.monitoring.data_quality.types import (
    ALL_TYPES,
    NUMERIC_TYPES,
    STRING_TYPES,
    CategoricalDriftMethod,
    CheckType,
    ComparisonMethod,
    InferredType,
)
from pipelines.monitoring.java_double import java_double_string


@dataclass(frozen=True, slots=True)
class Violation:
    """One entry of ``constraint_violations.json``."""

    feature_name: str
    constraint_check_type: CheckType
    description: str

    def to_json(self) -> dict[str, str]:
        return {
            "feature_name": self.feature_name,
            "constraint_check_type": self.constraint_check_type.value,
            "description": self.description,
        }


def violations_document(violations: Sequence[Violation]) -> dict[str, Any]:
    """``constraint_violations.json`` content (written even when empty, as Model Monitor does)."""
    return {"violations": [v.to_json() for v in violations]}


@dataclass(frozen=True, slots=True)
class FeatureContext:
    """Everything a feature check looks at."""

    constraint: FeatureConstraints
    baseline: FeatureSummary | None  # from the baseline statistics.json (None if the feature is not there)
    current: FeatureSummary


FeatureCheck = Callable[[FeatureContext], Violation | None]
DatasetCheck = Callable[[Constraints, StatisticsSummary], list[Violation]]


@dataclass(frozen=True, slots=True)
class CheckSpec:
    """A registered check: what it is called, which baseline types it applies to, which options it reads."""

    check_type: CheckType
    applies_to: frozenset[InferredType]
    parameters: tuple[str, ...]
    run: FeatureCheck


FEATURE_CHECKS: dict[CheckType, CheckSpec] = {}
DATASET_CHECKS: dict[CheckType, DatasetCheck] = {}


def feature_check(
    check_type: CheckType, applies_to: frozenset[InferredType], parameters: tuple[str, ...]
) -> Callable[[FeatureCheck], FeatureCheck]:
    def register(run: FeatureCheck) -> FeatureCheck:
        FEATURE_CHECKS[check_type] = CheckSpec(check_type, applies_to, parameters, run)
        return run

    return register


def dataset_check(check_type: CheckType) -> Callable[[DatasetCheck], DatasetCheck]:
    def register(run: DatasetCheck) -> DatasetCheck:
        DATASET_CHECKS[check_type] = run
        return run

    return register


def percent(ratio: float) -> str:
    return java_double_string(ratio * 100.0)


def deequ_constraint_message(value: float) -> str:
    """Deequ's failed-constraint message with the analyzer's empty hint (hence the trailing space)."""
    return f"Value: {java_double_string(value)} does not meet the constraint requirement! "


# --- feature checks ---------------------------------------------------------------------------------------
_TYPE_ORDER = {InferredType.INTEGRAL: 0, InferredType.FRACTIONAL: 1, InferredType.STRING: 2}


@feature_check(CheckType.DATA_TYPE, ALL_TYPES - {InferredType.UNKNOWN}, ("datatype_check_threshold",))
def data_type_check(ctx: FeatureContext) -> Violation | None:
    """Share of current values of the baseline's type must reach ``datatype_check_threshold``."""
    expected = ctx.constraint.inferred_type
    threshold = ctx.constraint.config.datatype_check_threshold
    if ctx.current.types is not None:
        observed = ctx.current.types.match_ratio(expected)
    elif ctx.current.inferred_type is InferredType.UNKNOWN:
        observed = None
    else:  # a statistics file keeps only the column type: all values fit, or none
        observed = 1.0 if _TYPE_ORDER.get(ctx.current.inferred_type, 3) <= _TYPE_ORDER[expected] else 0.0
    if observed is None or observed >= threshold:
        return None
    return Violation(
        ctx.constraint.name,
        CheckType.DATA_TYPE,
        f"Data type match requirement is not met. Expected data type: {expected.value}, "
        f"Expected match: {percent(threshold)}%. "
        f"Observed: Only {percent(observed)}% of data is {expected.value}.",
    )


@feature_check(CheckType.COMPLETENESS, ALL_TYPES, ("completeness",))
def completeness_check(ctx: FeatureContext) -> Violation | None:
    """The share of present values must not fall below the constraint's ``completeness``."""
    expected = ctx.constraint.completeness
    observed = ctx.current.completeness
    if expected is None or observed is None or observed >= expected:
        return None
    return Violation(ctx.constraint.name, CheckType.COMPLETENESS, deequ_constraint_message(observed))


@dataclass(frozen=True, slots=True)
class DriftMeasurement:
    """The outcome of comparing one feature's baseline and current distributions."""

    method: str
    distance: float  # CDF or frequency distance; for ChiSquared the test's p-value
    threshold: float  # the configured threshold
    effective_threshold: float  # what the distance was compared with (Robust: at least the KS critical value)
    drifted: bool


def measure_drift(ctx: FeatureContext) -> DriftMeasurement | None:
    """Baseline-vs-current distance under the feature's drift options (None when not comparable)."""
    baseline, current = ctx.baseline, ctx.current
    distribution = ctx.constraint.config.distribution
    if baseline is None or not distribution.perform_comparison:
        return None
    robust = distribution.comparison_method is ComparisonMethod.ROBUST
    if baseline.sample is not None and current.sample is not None:
        distance = ks_distance(baseline.sample, current.sample)
        threshold = distribution.comparison_threshold
        critical = ks_critical_value(baseline.sample.total, current.sample.total) if robust else 0.0
        effective = max(threshold, critical)
        return DriftMeasurement(
            f"KS/{distribution.comparison_method.value}", distance, threshold, effective, distance > effective
        )
    # No baseline buckets: the analyzer keeps no histogram above 120 distinct values (``statistics``).
    if baseline.categories and current.categories is not None:
        threshold = distribution.categorical_threshold
        if distribution.categorical_method is CategoricalDriftMethod.CHI_SQUARED:
            p_value = chi_squared_p_value(baseline.categories, current.categories)
            return DriftMeasurement("ChiSquared", p_value, threshold, threshold, p_value < threshold)
        distance = linf_distance(
            baseline.categories, baseline.num_present, current.categories, current.num_present
        )
        critical = ks_critical_value(baseline.num_present, current.num_present) if robust else 0.0
        effective = max(threshold, critical)
        return DriftMeasurement(
            f"LInfinity/{distribution.comparison_method.value}",
            distance,
            threshold,
            effective,
            distance > effective,
        )
    return None


@feature_check(
    CheckType.BASELINE_DRIFT,
    NUMERIC_TYPES | STRING_TYPES,
    (
        "comparison_threshold",
        "comparison_method",
        "categorical_comparison_threshold",
        "categorical_drift_method",
    ),
)
def baseline_drift_check(ctx: FeatureContext) -> Violation | None:
    """Distribution distance must not exceed the threshold (see ``distances`` for the methods)."""
    measurement = measure_drift(ctx)
    if measurement is None or not measurement.drifted:
        return None
    distance, threshold = java_double_string(measurement.distance), java_double_string(measurement.threshold)
    if measurement.method == "ChiSquared":
        description = f"Baseline drift p-value: {distance} is below threshold: {threshold}"
    else:
        description = f"Baseline drift distance: {distance} exceeds threshold: {threshold}"
    return Violation(ctx.constraint.name, CheckType.BASELINE_DRIFT, description)


@feature_check(CheckType.CATEGORICAL_VALUES, STRING_TYPES, ("domains", "domain_content_threshold"))
def categorical_values_check(ctx: FeatureContext) -> Violation | None:
    """The share of records missing or inside the baseline's ``domains`` must reach
    ``domain_content_threshold`` (Deequ's ``isContainedIn``: ``col IS NULL OR col IN (domains)``)."""
    domains = ctx.constraint.domains
    categories = ctx.current.categories
    records = ctx.current.num_present + ctx.current.num_missing
    if not domains or categories is None or ctx.current.num_present == 0:
        return None
    threshold = ctx.constraint.config.domain_content_threshold
    inside = sum(categories.get(value, 0.0) for value in set(domains))
    observed = (ctx.current.num_missing + inside) / records
    if observed >= threshold:
        return None
    return Violation(ctx.constraint.name, CheckType.CATEGORICAL_VALUES, deequ_constraint_message(observed))


# --- dataset checks ---------------------------------------------------------------------------------------
@dataset_check(CheckType.MISSING_COLUMN)
def missing_column_check(constraints: Constraints, current: StatisticsSummary) -> list[Violation]:
    """Every baseline column must be in the current dataset (one violation per missing column)."""
    missing = [name for name in constraints.features if name not in current.features]
    return _column_violations(missing, CheckType.MISSING_COLUMN, "missing", constraints, current)


@dataset_check(CheckType.EXTRA_COLUMN)
def extra_column_check(constraints: Constraints, current: StatisticsSummary) -> list[Violation]:
    """The current dataset must not have columns the baseline lacks (one violation per extra column)."""
    extra = [name for name in current.features if name not in constraints.features]
    return _column_violations(extra, CheckType.EXTRA_COLUMN, "extra", constraints, current)


def _column_violations(
    names: list[str], check: CheckType, kind: str, constraints: Constraints, current: StatisticsSummary
) -> list[Violation]:
    counts = (
        f"Number of columns in current dataset: {len(current.features)}, "
        f"Number of columns in baseline constraints: {len(constraints.features)}."
    )
    # Both differences by name: with a renamed column the counts alone read "8 columns vs 8 columns".
    missing = [name for name in constraints.features if name not in current.features]
    extra = [name for name in current.features if name not in constraints.features]
    differences = (
        f"Baseline columns missing from current dataset: {_names(missing)}; "
        f"current columns not in baseline constraints: {_names(extra)}."
    )
    return [
        Violation(
            name,
            check,
            f"There are {kind} columns in current dataset. {counts} {kind.capitalize()} column: {name}. "
            f"{differences}",
        )
        for name in names
    ]


MAX_NAMED_COLUMNS = 10


def _names(names: Sequence[str]) -> str:
    if not names:
        return "none"
    shown = ", ".join(names[:MAX_NAMED_COLUMNS])
    return shown + (f" and {len(names) - MAX_NAMED_COLUMNS} more" if len(names) > MAX_NAMED_COLUMNS else "")


# --- running them -----------------------------------------------------------------------------------------
def evaluate(
    constraints: Constraints, baseline: StatisticsSummary, current: StatisticsSummary
) -> list[Violation]:
    """All violations of the current dataset against the baseline constraints, dataset checks first."""
    if not constraints.monitoring_config.evaluate_constraints:
        return []
    violations = [v for run in DATASET_CHECKS.values() for v in run(constraints, current)]
    for name, constraint in constraints.features.items():
        current_feature = current.features.get(name)
        if current_feature is None or not constraint.config.evaluate_constraints:
            continue
        ctx = FeatureContext(constraint, baseline.features.get(name), current_feature)
        for spec in FEATURE_CHECKS.values():
            if constraint.inferred_type in spec.applies_to:
                violation = spec.run(ctx)
                if violation is not None:
                    violations.append(violation)
    return violations


_POSITIONAL = re.compile(r"^_c(\d+)$")


def positional_renames(current_names: Sequence[str], baseline_names: Sequence[str]) -> Mapping[str, str]:
    """``_c0``, ``_c1``... of a header-less current dataset mapped to the baseline's column names by position.

    Model Monitor requires captured CSV to have the baseline's columns in the baseline's order; columns past
    the baseline's count keep their positional names (and are reported by ``extra_column_check``).
    """
    if not current_names or not all(_POSITIONAL.match(n) for n in current_names):
        return {}
    if all(_POSITIONAL.match(n) for n in baseline_names):
        return {}
    renames = {}
    for name in current_names:
        match = _POSITIONAL.match(name)
        index = int(match.group(1)) if match else -1
        if 0 <= index < len(baseline_names):
            renames[name] = baseline_names[index]
    return renames
