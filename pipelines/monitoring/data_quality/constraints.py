"""``constraints.json``: suggested from a baseline profile, and read back (with per-feature overrides).

Format and ``monitoring_config`` options:
https://docs.aws.amazon.com/sagemaker/latest/dg/model-monitor-byoc-constraints.html . Suggestion rules are the
analyzer's (Deequ's constraint suggestion), reproducing the reference ``good_cases/constraints.json``:

- ``inferred_type``: the baseline column's type; ``completeness``: its share of present values;
- ``num_constraints.is_non_negative``: numeric columns whose minimum is ``>= 0`` (``NonNegativeNumbersRule``);
- ``string_constraints.domains``: string columns with at most 120 distinct values (Deequ's
  ``lowCardinalityHistogramThreshold``) where at most 10 % of the categories occur only once
  (``CategoricalRangeRule``), listed most frequent first.

A feature's ``monitoringConfigOverrides`` may override any ``monitoring_config`` option for that feature
(same keys, including a nested ``distribution_constraints``).

``distribution_constraints.categorical_comparison_threshold`` and ``categorical_drift_method`` are written by
recent analyzers (0.1 and ``LInfinity``, the defaults of the analyzer container's
``DataQualityDistributionConstraints``) and suggested by ours too. When a file lacks them, the categorical
threshold is ``comparison_threshold`` and the method L-infinity -- what older analyzers' files (like the
reference ``constraints.json``) meant -- and they stay absent when such a file is written back.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from dataclasses import dataclass, replace
from typing import Any

from pipelines.monitoring.data_quality.errors import ConstraintsFormatError
from pipelines.monitoring.data_quality.profile import DatasetProfile, FeatureProfile
from pipelines.monitoring.data_quality.sketches import frequent_counts
from pipelines.monitoring.data_quality.statistics import (
    LOW_CARDINALITY_THRESHOLD,
    completeness,
    distinct_count,
)
from pipelines.monitoring.data_quality.types import (
    CategoricalDriftMethod,
    ComparisonMethod,
    InferredType,
    Toggle,
    read_feature_header,
)

logger = logging.getLogger(__name__)

CONSTRAINTS_VERSION = 0.0
MAX_UNIQUE_CATEGORY_RATIO = 0.1  # Deequ CategoricalRangeRule: share of categories seen exactly once


@dataclass(frozen=True, slots=True)
class DistributionConstraints:
    perform_comparison: bool = True
    comparison_threshold: float = 0.1
    comparison_method: ComparisonMethod = ComparisonMethod.ROBUST
    categorical_comparison_threshold: float | None = None  # None (absent): use comparison_threshold
    categorical_drift_method: CategoricalDriftMethod | None = None  # None (absent): LInfinity

    @property
    def categorical_threshold(self) -> float:
        if self.categorical_comparison_threshold is None:
            return self.comparison_threshold
        return self.categorical_comparison_threshold

    @property
    def categorical_method(self) -> CategoricalDriftMethod:
        return self.categorical_drift_method or CategoricalDriftMethod.LINFINITY


@dataclass(frozen=True, slots=True)
class MonitoringConfig:
    """``monitoring_config`` with the defaults of the analyzer's suggested constraints."""

    evaluate_constraints: bool = True
    emit_metrics: bool = True
    datatype_check_threshold: float = 1.0
    domain_content_threshold: float = 1.0
    distribution: DistributionConstraints = DistributionConstraints()


# What the analyzer suggests (its container's DataQualityMonitoringConfig defaults, which recent analyzers
# write out in full, categorical options included).
SUGGESTED_MONITORING_CONFIG = MonitoringConfig(
    distribution=DistributionConstraints(
        categorical_comparison_threshold=0.1, categorical_drift_method=CategoricalDriftMethod.LINFINITY
    )
)


@dataclass(frozen=True, slots=True)
class FeatureConstraints:
    name: str
    inferred_type: InferredType
    completeness: float | None
    is_non_negative: bool | None
    domains: tuple[str, ...] | None
    config: MonitoringConfig  # the dataset's monitoring_config with this feature's overrides applied


@dataclass(frozen=True, slots=True)
class Constraints:
    features: Mapping[str, FeatureConstraints]
    monitoring_config: MonitoringConfig


# --- suggesting -------------------------------------------------------------------------------------------
def suggest_constraints(profile: DatasetProfile) -> dict[str, Any]:
    """The constraints the analyzer suggests for a baseline profile, as ``constraints.json`` content."""
    return {
        "version": CONSTRAINTS_VERSION,
        "features": [_suggest_feature(f, profile.item_count) for f in profile.features.values()],
        "monitoring_config": monitoring_config_document(SUGGESTED_MONITORING_CONFIG),
    }


def _suggest_feature(feature: FeatureProfile, item_count: int) -> dict[str, Any]:
    inferred = feature.inferred_type
    suggestion: dict[str, Any] = {
        "name": feature.name,
        "inferred_type": inferred.value,
        "completeness": completeness(feature, item_count),
    }
    if inferred.is_numeric:
        suggestion["num_constraints"] = {"is_non_negative": feature.moments.minimum >= 0.0}
    elif inferred is InferredType.STRING:
        domains = suggested_domains(feature)
        if domains is not None:
            suggestion["string_constraints"] = {"domains": domains}
    return suggestion


def suggested_domains(feature: FeatureProfile) -> list[str] | None:
    """Deequ's ``CategoricalRangeRule`` on the feature's categories, or None when it does not apply."""
    if distinct_count(feature) > LOW_CARDINALITY_THRESHOLD:
        return None
    categories = frequent_counts(feature.frequent)
    if not categories:
        return None
    seen_once = sum(1 for count in categories.values() if count == 1.0)
    if seen_once / len(categories) > MAX_UNIQUE_CATEGORY_RATIO:
        return None
    return [value for value, _count in sorted(categories.items(), key=lambda vc: (-vc[1], vc[0]))]


def monitoring_config_document(config: MonitoringConfig) -> dict[str, Any]:
    """``monitoring_config`` as the analyzer writes it (the categorical options when they are set)."""
    distribution = config.distribution
    distribution_doc: dict[str, Any] = {
        "perform_comparison": _toggle(distribution.perform_comparison),
        "comparison_threshold": distribution.comparison_threshold,
        "comparison_method": distribution.comparison_method.value,
    }
    if distribution.categorical_comparison_threshold is not None:
        distribution_doc["categorical_comparison_threshold"] = distribution.categorical_comparison_threshold
    if distribution.categorical_drift_method is not None:
        distribution_doc["categorical_drift_method"] = distribution.categorical_drift_method.value
    return {
        "evaluate_constraints": _toggle(config.evaluate_constraints),
        "emit_metrics": _toggle(config.emit_metrics),
        "datatype_check_threshold": config.datatype_check_threshold,
        "domain_content_threshold": config.domain_content_threshold,
        "distribution_constraints": distribution_doc,
    }


def _toggle(enabled: bool) -> str:
    return (Toggle.ENABLED if enabled else Toggle.DISABLED).value


# --- reading ----------------------------------------------------------------------------------------------
_CONFIG_KEYS = (
    "evaluate_constraints",
    "emit_metrics",
    "datatype_check_threshold",
    "domain_content_threshold",
)
_DISTRIBUTION_KEYS = (
    "perform_comparison",
    "comparison_threshold",
    "comparison_method",
    "categorical_comparison_threshold",
    "categorical_drift_method",
)


def read_constraints(doc: Any, *, where: str = "constraints.json") -> Constraints:
    """Parse a ``constraints.json`` (ours or SageMaker's); every problem names its key path."""
    problems: list[str] = []
    if not isinstance(doc, dict) or not isinstance(doc.get("features", []), list):
        raise ConstraintsFormatError(f"{where}: expected a JSON object with a 'features' list")
    config = apply_config(
        MonitoringConfig(), doc.get("monitoring_config", {}), f"{where}: monitoring_config", problems
    )
    features: dict[str, FeatureConstraints] = {}
    for index, raw in enumerate(doc.get("features", [])):
        feature = _read_feature(raw, config, f"{where}: features[{index}]", problems)
        if feature is not None:
            features[feature.name] = feature
    if problems:
        raise ConstraintsFormatError(problems)
    return Constraints(features, config)


def _read_feature(
    raw: Any, config: MonitoringConfig, where: str, problems: list[str]
) -> FeatureConstraints | None:
    header = read_feature_header(raw, where, problems)
    if header is None:
        return None
    name, inferred, where = header
    completeness = raw.get("completeness")
    if completeness is not None and not _is_fraction(completeness):
        problems.append(f"{where}: completeness {completeness!r} is not a number between 0 and 1")
        completeness = None
    non_negative = (
        raw.get("num_constraints", {}).get("is_non_negative")
        if isinstance(raw.get("num_constraints"), dict)
        else None
    )
    if non_negative is not None and not isinstance(non_negative, bool):
        problems.append(f"{where}: num_constraints.is_non_negative {non_negative!r} is not true or false")
        non_negative = None
    domains = None
    string_constraints = raw.get("string_constraints")
    if isinstance(string_constraints, dict) and "domains" in string_constraints:
        raw_domains = string_constraints["domains"]
        if not isinstance(raw_domains, list):
            problems.append(f"{where}: string_constraints.domains must be a list of values")
        else:
            domains = tuple(str(v) for v in raw_domains)
    overrides = raw.get("monitoringConfigOverrides", {})
    feature_config = apply_config(config, overrides, f"{where}: monitoringConfigOverrides", problems)
    return FeatureConstraints(
        name=name,
        inferred_type=inferred,
        completeness=None if completeness is None else float(completeness),
        is_non_negative=non_negative,
        domains=domains,
        config=feature_config,
    )


def apply_config(base: MonitoringConfig, raw: Any, where: str, problems: list[str]) -> MonitoringConfig:
    """``base`` with the options of a ``monitoring_config`` (or per-feature overrides) object applied."""
    if raw in (None, {}):
        return base
    if not isinstance(raw, dict):
        problems.append(f"{where}: expected an object")
        return base
    _warn_unknown(raw, (*_CONFIG_KEYS, "distribution_constraints"), where)
    changes: dict[str, Any] = {}
    for key in ("evaluate_constraints", "emit_metrics"):
        if key in raw:
            changes[key] = _read_toggle(raw[key], f"{where}.{key}", problems)
    for key in ("datatype_check_threshold", "domain_content_threshold"):
        if key in raw:
            changes[key] = _read_fraction(raw[key], f"{where}.{key}", problems)
    config = replace(base, **{k: v for k, v in changes.items() if v is not None})
    distribution = raw.get("distribution_constraints")
    if distribution is None:
        return config
    if not isinstance(distribution, dict):
        problems.append(f"{where}.distribution_constraints: expected an object")
        return config
    return replace(
        config, distribution=_apply_distribution(config.distribution, distribution, where, problems)
    )


def _apply_distribution(
    base: DistributionConstraints, raw: Mapping[str, Any], where: str, problems: list[str]
) -> DistributionConstraints:
    where = f"{where}.distribution_constraints"
    _warn_unknown(raw, _DISTRIBUTION_KEYS, where)
    changes: dict[str, Any] = {}
    if "perform_comparison" in raw:
        changes["perform_comparison"] = _read_toggle(
            raw["perform_comparison"], f"{where}.perform_comparison", problems
        )
    for key in ("comparison_threshold", "categorical_comparison_threshold"):
        if key in raw:
            changes[key] = _read_fraction(raw[key], f"{where}.{key}", problems)
    if "comparison_method" in raw:
        changes["comparison_method"] = _read_enum(
            ComparisonMethod, raw["comparison_method"], f"{where}.comparison_method", problems
        )
    if "categorical_drift_method" in raw:
        changes["categorical_drift_method"] = _read_enum(
            CategoricalDriftMethod,
            raw["categorical_drift_method"],
            f"{where}.categorical_drift_method",
            problems,
        )
    return replace(base, **{k: v for k, v in changes.items() if v is not None})


def _warn_unknown(raw: Mapping[str, Any], known: tuple[str, ...], where: str) -> None:
    # Unknown options are not errors: SageMaker adds options over time, and its files must stay readable.
    for key in raw:
        if key not in known:
            logger.warning("%s: ignoring unknown option %r (known: %s)", where, key, ", ".join(known))


def _read_toggle(value: Any, where: str, problems: list[str]) -> bool | None:
    if value in (Toggle.ENABLED.value, Toggle.DISABLED.value):
        return value == Toggle.ENABLED.value
    problems.append(f"{where} is {value!r}, expected 'Enabled' or 'Disabled'")
    return None


def _read_fraction(value: Any, where: str, problems: list[str]) -> float | None:
    if _is_fraction(value):
        return float(value)
    problems.append(f"{where} is {value!r}, expected a number between 0 and 1")
    return None


def _read_enum(kind: Any, value: Any, where: str, problems: list[str]) -> Any:
    try:
        return kind(value)
    except ValueError:
        allowed = ", ".join(repr(v.value) for v in kind)
        problems.append(f"{where} is {value!r}, expected one of {allowed}")
        return None


def _is_fraction(value: Any) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool) and 0.0 <= float(value) <= 1.0
