"""Recognise Model Monitor / Clarify / summary JSON documents by their content and parse them.

A document's kind comes from its keys, not its file name (a ``statistics.json`` may hold data-quality or
model-quality statistics; an ``analysis.json`` bias metrics or explanations), so results copied from
anywhere, or written by SageMaker without our ``summary.json``, are still understood.

Every parse function takes the decoded JSON and the location it came from, and raises ``DocumentError``
naming the location, the key, the bad value and what is allowed.
"""

from __future__ import annotations

import logging
import math
from collections.abc import Mapping
from dataclasses import dataclass, replace
from datetime import datetime
from enum import StrEnum
from typing import Any

from pipelines.errors import UserError
from pipelines.monitoring.bias.metrics import Stage
from pipelines.monitoring.data_quality.errors import StatisticsFormatError
from pipelines.monitoring.data_quality.statistics import FeatureSummary, read_statistics
from pipelines.monitoring.data_quality.types import CheckType
from pipelines.monitoring.model_quality.constraints import ComparisonOperator
from pipelines.monitoring.model_quality.statistics import ProblemType
from pipelines.monitoring.report.results import (
    BiasAnalysis,
    BiasMetric,
    DataQualityStatistics,
    ExecutionStatus,
    ExplainabilityAnalysis,
    FacetGroup,
    FeatureStatistics,
    LabelAttributions,
    MetricConstraint,
    MetricValue,
    ModelQualityConstraints,
    ModelQualityStatistics,
    MonitorType,
    NumericBucket,
    Violation,
)
from pipelines.monitors import MONITORS
from pipelines.timewindow import parse_utc

logger = logging.getLogger(__name__)


class DocumentError(UserError):
    """A results file whose content does not have the documented shape."""


class DocumentKind(StrEnum):
    SUMMARY = "summary.json"
    VIOLATIONS = "constraint_violations.json"
    DATA_QUALITY_STATISTICS = "data-quality statistics.json"
    DATA_QUALITY_CONSTRAINTS = "data-quality constraints.json"
    MODEL_QUALITY_STATISTICS = "model-quality statistics.json"
    MODEL_QUALITY_CONSTRAINTS = "model-quality constraints.json"
    BIAS_ANALYSIS = "Clarify bias analysis.json"
    EXPLAINABILITY_ANALYSIS = "Clarify explainability analysis.json"


# Which monitor a document belongs to (summaries and violations say it themselves).
MONITOR_OF_KIND = {
    DocumentKind.DATA_QUALITY_STATISTICS: MonitorType.DATA_QUALITY,
    DocumentKind.DATA_QUALITY_CONSTRAINTS: MonitorType.DATA_QUALITY,
    DocumentKind.MODEL_QUALITY_STATISTICS: MonitorType.MODEL_QUALITY,
    DocumentKind.MODEL_QUALITY_CONSTRAINTS: MonitorType.MODEL_QUALITY,
    DocumentKind.BIAS_ANALYSIS: MonitorType.MODEL_BIAS,
    DocumentKind.EXPLAINABILITY_ANALYSIS: MonitorType.MODEL_EXPLAINABILITY,
}

_METRIC_GROUPS = {p.metrics_key: p for p in ProblemType}
_CONSTRAINT_GROUPS = {p.constraints_key: p for p in ProblemType}

# Check types of each monitor's constraint_violations.json:
# https://docs.aws.amazon.com/sagemaker/latest/dg/model-monitor-interpreting-violations.html
# https://docs.aws.amazon.com/sagemaker/latest/dg/clarify-model-monitor-bias-drift-violations.html
# https://docs.aws.amazon.com/sagemaker/latest/dg/clarify-model-monitor-model-attribution-drift-violations.html
# Model quality uses the constraint's comparison operator as its check type.
DATA_QUALITY_CHECKS = frozenset(CheckType)
_CHECK_MONITORS: dict[str, MonitorType] = {
    **dict.fromkeys(DATA_QUALITY_CHECKS, MonitorType.DATA_QUALITY),
    **{op.value: MonitorType.MODEL_QUALITY for op in ComparisonOperator},
    "bias_drift_check": MonitorType.MODEL_BIAS,
    "feature_attribution_drift_check": MonitorType.MODEL_EXPLAINABILITY,
}


def document_kinds(doc: Any) -> frozenset[DocumentKind]:
    """What a decoded JSON document is, from its keys; empty when it is none of the known files.

    A Clarify ``analysis.json`` can hold bias metrics and explanations at once, hence a set.
    """
    if not isinstance(doc, dict):
        return frozenset()
    if "monitor" in doc and "status" in doc:
        return frozenset({DocumentKind.SUMMARY})
    if isinstance(doc.get("violations"), list):
        return frozenset({DocumentKind.VIOLATIONS})
    kinds: set[DocumentKind] = set()
    if any(key in doc for key in _METRIC_GROUPS):
        kinds.add(DocumentKind.MODEL_QUALITY_STATISTICS)
    if any(key in doc for key in _CONSTRAINT_GROUPS):
        kinds.add(DocumentKind.MODEL_QUALITY_CONSTRAINTS)
    if any(stage.analysis_key in doc for stage in Stage):
        kinds.add(DocumentKind.BIAS_ANALYSIS)
    if isinstance(doc.get("explanations"), dict):
        kinds.add(DocumentKind.EXPLAINABILITY_ANALYSIS)
    if isinstance(doc.get("features"), list):
        kinds.add(_features_kind(doc))
    return frozenset(kinds)


def _features_kind(doc: dict[str, Any]) -> DocumentKind:
    """Data-quality statistics and constraints both list ``features``; their per-feature keys differ."""
    statistics_keys = {"numerical_statistics", "string_statistics"}
    constraint_keys = {"completeness", "num_constraints", "string_constraints", "monitoringConfigOverrides"}
    features = [f for f in doc["features"] if isinstance(f, dict)]
    if any(statistics_keys & f.keys() for f in features) or "dataset" in doc:
        return DocumentKind.DATA_QUALITY_STATISTICS
    if any(constraint_keys & f.keys() for f in features) or "monitoring_config" in doc:
        return DocumentKind.DATA_QUALITY_CONSTRAINTS
    return DocumentKind.DATA_QUALITY_STATISTICS


def monitor_of_violations(violations: tuple[Violation, ...]) -> MonitorType | None:
    """The monitor that writes these check types (None for an empty or unrecognised list)."""
    for violation in violations:
        if violation.check_type in _CHECK_MONITORS:
            return _CHECK_MONITORS[violation.check_type]
        if violation.facet is not None:
            return MonitorType.MODEL_BIAS
        if violation.label is not None:
            return MonitorType.MODEL_EXPLAINABILITY
    return None


# -- small typed accessors ----------------------------------------------------------------------------------
def _type_name(value: Any) -> str:
    return "null" if value is None else type(value).__name__


def _get(doc: Mapping[str, Any], key: str, kind: type | tuple[type, ...], location: str, path: str) -> Any:
    value = doc.get(key)
    if not isinstance(value, kind):
        names = " or ".join(k.__name__ for k in (kind if isinstance(kind, tuple) else (kind,)))
        shown = repr(value) if not isinstance(value, dict | list) else _type_name(value)
        raise DocumentError(f"{location}: {path}{key} is {shown}, expected a {names}")
    return value


def number(value: Any, location: str = "", path: str = "") -> float | None:
    """A JSON number, or one of the strings SageMaker writes for non-finite values; NaN becomes None."""
    if value is None:
        return None
    if isinstance(value, bool):
        raise DocumentError(f"{location}: {path} is {value!r}, expected a number")
    if isinstance(value, int | float):
        result = float(value)
    elif isinstance(value, str) and value in ("NaN", "Infinity", "-Infinity"):
        result = float(value.lower().replace("infinity", "inf"))
    else:
        raise DocumentError(f'{location}: {path} is {value!r}, expected a number (or "NaN")')
    return None if math.isnan(result) else result


def _dict(value: Any, location: str, path: str) -> dict[str, Any]:
    if not isinstance(value, dict):
        raise DocumentError(f"{location}: {path} is {_type_name(value)}, expected an object")
    return value


def _present(value: Any, default: Any) -> Any:
    """``value``, or ``default`` when the key is absent or null (a wrong type is still reported)."""
    return default if value is None else value


def _object(value: Any) -> dict[str, Any]:
    """An optional sub-object: itself, or empty when absent (or not an object)."""
    return value if isinstance(value, dict) else {}


def _list(value: Any, location: str, path: str) -> list[Any]:
    if not isinstance(value, list):
        raise DocumentError(f"{location}: {path} is {_type_name(value)}, expected a list")
    return value


# -- summary.json -------------------------------------------------------------------------------------------
@dataclass(frozen=True, slots=True)
class SummaryDocument:
    """Our ``summary.json`` (format: docs/monitors/formats.md)."""

    monitor: MonitorType
    status: ExecutionStatus
    endpoint: str | None
    reason: str | None
    window: tuple[datetime, datetime] | None
    inputs: dict[str, float]
    baseline: dict[str, str]
    violations: tuple[Violation, ...]
    files: tuple[str, ...]


def parse_summary(doc: Any, location: str) -> SummaryDocument:
    doc = _dict(doc, location, "the document")
    monitor_text = _get(doc, "monitor", str, location, "")
    status_text = _get(doc, "status", str, location, "")
    problems = []
    definition = MONITORS.of_type(monitor_text)
    if definition is None:
        problems.append(
            f"{location}: monitor is {monitor_text!r}, expected one of {', '.join(m.value for m in MONITORS)}"
        )
    if status_text not in ExecutionStatus._value2member_map_:
        problems.append(
            f"{location}: status is {status_text!r}, expected one of "
            f"{', '.join(s.value for s in ExecutionStatus)}"
        )
    if problems:
        raise DocumentError(problems)
    assert definition is not None
    window = None
    if isinstance(doc.get("window"), dict):
        raw = doc["window"]
        try:
            window = (
                parse_utc(str(raw.get("start")), what="window.start"),
                parse_utc(str(raw.get("end")), what="window.end"),
            )
        except UserError as error:
            raise DocumentError(f"{location}: {error.problems[0]}") from None
    inputs = {
        str(k): n
        for k, v in _dict(_present(doc.get("inputs"), {}), location, "inputs").items()
        if (n := number(v, location, f"inputs.{k}")) is not None
    }
    baseline = {
        str(k): v
        for k, v in _dict(_present(doc.get("baseline"), {}), location, "baseline").items()
        if isinstance(v, str)
    }
    violations = parse_violations({"violations": _present(doc.get("violations"), [])}, location)
    files = tuple(str(f) for f in _list(_present(doc.get("files"), []), location, "files"))
    reason = doc.get("reason")
    return SummaryDocument(
        monitor=definition.type,
        status=ExecutionStatus(status_text),
        endpoint=doc.get("endpoint") if isinstance(doc.get("endpoint"), str) else None,
        reason=reason if isinstance(reason, str) and reason else None,
        window=window,
        inputs=inputs,
        baseline=baseline,
        violations=violations,
        files=files,
    )


# -- constraint_violations.json -----------------------------------------------------------------------------
def parse_violations(doc: Any, location: str) -> tuple[Violation, ...]:
    doc = _dict(doc, location, "the document")
    entries = _list(doc.get("violations"), location, "violations")
    result = []
    for index, entry in enumerate(entries):
        path = f"violations[{index}]."
        entry = _dict(entry, location, f"violations[{index}]")
        check_type = _get(entry, "constraint_check_type", str, location, path)

        def optional(key: str, entry: dict[str, Any] = entry) -> str | None:
            value = entry.get(key)
            return None if value is None else str(value)

        result.append(
            Violation(
                check_type=check_type,
                description=str(entry.get("description") or ""),
                feature_name=optional("feature_name"),
                metric_name=optional("metric_name"),
                facet=optional("facet"),
                facet_value=optional("facet_value"),
                label=optional("label"),
            )
        )
    return tuple(result)


# -- data-quality statistics.json ---------------------------------------------------------------------------
def parse_data_quality_statistics(doc: Any, location: str) -> DataQualityStatistics:
    doc = _dict(doc, location, "the document")
    dataset = _object(doc.get("dataset"))
    summaries = _monitor_summaries(doc, location)
    features = []
    for index, raw in enumerate(_list(doc.get("features"), location, "features")):
        feature = _parse_feature(_dict(raw, location, f"features[{index}]"), location, f"features[{index}].")
        features.append(replace(feature, summary=summaries.get(feature.name)))
    return DataQualityStatistics(
        item_count=number(dataset.get("item_count"), location, "dataset.item_count"), features=tuple(features)
    )


def _monitor_summaries(doc: dict[str, Any], location: str) -> Mapping[str, FeatureSummary]:
    """The data-quality monitor's own reading of the file (KLL sketches, category counts), so that the
    report measures distances with the monitor's code; empty when the monitor would refuse the file (the
    report still shows it, with distances estimated from the buckets, and says so)."""
    try:
        return read_statistics(doc, where=location).features
    except StatisticsFormatError as error:
        logger.info("%s: distances from the buckets: %s", location, "; ".join(error.problems))
        return {}


def _parse_feature(raw: dict[str, Any], location: str, path: str) -> FeatureStatistics:
    name = _get(raw, "name", str, location, path)
    inferred_type = str(raw.get("inferred_type") or "Unknown")
    numerical = isinstance(raw.get("numerical_statistics"), dict)
    key = "numerical_statistics" if numerical else "string_statistics"
    stats = _object(raw.get(key))
    where = f"{path}{key}."
    common = _object(stats.get("common"))
    distribution = _object(stats.get("distribution"))
    buckets: list[NumericBucket] = []
    kll = distribution.get("kll")
    if isinstance(kll, dict):
        for i, bucket in enumerate(
            _list(_present(kll.get("buckets"), []), location, f"{where}distribution.kll.buckets")
        ):
            b = _dict(bucket, location, f"{where}distribution.kll.buckets[{i}]")
            bpath = f"{where}distribution.kll.buckets[{i}]."
            lower = number(b.get("lower_bound"), location, f"{bpath}lower_bound")
            upper = number(b.get("upper_bound"), location, f"{bpath}upper_bound")
            count = number(b.get("count"), location, f"{bpath}count")
            if lower is None or upper is None or count is None:
                raise DocumentError(f"{location}: {bpath[:-1]} needs lower_bound, upper_bound and count")
            buckets.append(NumericBucket(lower, upper, count))
    categories: list[tuple[str, float]] = []
    categorical = distribution.get("categorical")
    if isinstance(categorical, dict):
        cpath = f"{where}distribution.categorical.buckets"
        for i, bucket in enumerate(_list(_present(categorical.get("buckets"), []), location, cpath)):
            b = _dict(bucket, location, f"{cpath}[{i}]")
            count = number(b.get("count"), location, f"{cpath}[{i}].count")
            categories.append((str(b.get("value")), count or 0.0))
    return FeatureStatistics(
        name=name,
        inferred_type=inferred_type,
        num_present=number(common.get("num_present"), location, f"{where}common.num_present"),
        num_missing=number(common.get("num_missing"), location, f"{where}common.num_missing"),
        mean=number(stats.get("mean"), location, f"{where}mean"),
        std_dev=number(stats.get("std_dev"), location, f"{where}std_dev"),
        minimum=number(stats.get("min"), location, f"{where}min"),
        maximum=number(stats.get("max"), location, f"{where}max"),
        distinct_count=number(stats.get("distinct_count"), location, f"{where}distinct_count"),
        buckets=tuple(buckets),
        categories=tuple(categories),
    )


# -- data-quality constraints.json --------------------------------------------------------------------------
def parse_data_quality_comparison_off(doc: Any, location: str) -> dict[str, str]:
    """Per feature, why its distribution is not compared with the baseline (features compared are absent):
    ``perform_comparison: Disabled`` in the file's ``monitoring_config`` or in the feature's
    ``monitoringConfigOverrides`` (what ``baseline --no-drift-check`` writes), or a feature whose constraints
    are not evaluated at all (https://docs.aws.amazon.com/sagemaker/latest/dg/model-monitor-byoc-constraints.html)."""
    doc = _dict(doc, location, "the document")
    config = _object(doc.get("monitoring_config"))
    if _disabled(config.get("evaluate_constraints")):
        everything = "no constraint is evaluated (monitoring_config.evaluate_constraints: Disabled)"
    elif _disabled(_object(config.get("distribution_constraints")).get("perform_comparison")):
        everything = "comparison switched off for every feature (distribution_constraints.perform_comparison)"
    else:
        everything = ""
    off: dict[str, str] = {}
    for index, raw in enumerate(_list(doc.get("features", []), location, "features")):
        feature = _dict(raw, location, f"features[{index}]")
        name = _get(feature, "name", str, location, f"features[{index}].")
        overrides = _object(feature.get("monitoringConfigOverrides"))
        if _disabled(overrides.get("evaluate_constraints")):
            off[name] = "its constraints are not evaluated (monitoringConfigOverrides.evaluate_constraints)"
        elif _disabled(_object(overrides.get("distribution_constraints")).get("perform_comparison")):
            off[name] = (
                "drift comparison switched off in the baseline constraints (perform_comparison: Disabled, "
                "as baseline --no-drift-check writes it)"
            )
        elif everything:
            off[name] = everything
    return off


def _disabled(value: Any) -> bool:
    return isinstance(value, str) and value.strip().lower() == "disabled"


# -- model quality ------------------------------------------------------------------------------------------
def parse_model_quality_statistics(doc: Any, location: str) -> ModelQualityStatistics:
    doc = _dict(doc, location, "the document")
    group_key, problem_type = _only_group(doc, _METRIC_GROUPS, location)
    group = _dict(doc[group_key], location, group_key)
    metrics: dict[str, MetricValue] = {}
    confusion: dict[str, dict[str, float]] | None = None
    for name, raw in group.items():
        if name == "confusion_matrix" and isinstance(raw, dict):
            confusion = {
                str(actual): {
                    str(predicted): number(
                        count, location, f"{group_key}.confusion_matrix.{actual}.{predicted}"
                    )
                    or 0.0
                    for predicted, count in _dict(
                        row, location, f"{group_key}.confusion_matrix.{actual}"
                    ).items()
                }
                for actual, row in raw.items()
            }
        elif isinstance(raw, dict) and "value" in raw:
            metrics[name] = MetricValue(
                value=number(raw.get("value"), location, f"{group_key}.{name}.value"),
                standard_deviation=number(
                    raw.get("standard_deviation"), location, f"{group_key}.{name}.standard_deviation"
                ),
            )
        # Curves (receiver_operating_characteristic_curve, precision_recall_curve) are not scalar metrics.
    dataset = _object(doc.get("dataset"))
    return ModelQualityStatistics(
        problem_type=problem_type,
        metrics=metrics,
        item_count=number(dataset.get("item_count"), location, "dataset.item_count"),
        confusion_matrix=confusion,
    )


def parse_model_quality_constraints(doc: Any, location: str) -> ModelQualityConstraints:
    doc = _dict(doc, location, "the document")
    group_key, problem_type = _only_group(doc, _CONSTRAINT_GROUPS, location)
    constraints: dict[str, MetricConstraint] = {}
    problems: list[str] = []
    for name, raw in _dict(doc[group_key], location, group_key).items():
        raw = _dict(raw, location, f"{group_key}.{name}")
        threshold = number(raw.get("threshold"), location, f"{group_key}.{name}.threshold")
        operator = raw.get("comparison_operator")
        if operator not in ComparisonOperator._value2member_map_:
            problems.append(
                f"{location}: {group_key}.{name}.comparison_operator is {operator!r}, expected one of "
                f"{', '.join(op.value for op in ComparisonOperator)}"
            )
        elif threshold is None:
            problems.append(f"{location}: {group_key}.{name}.threshold is missing, expected a number")
        else:
            constraints[name] = MetricConstraint(threshold, ComparisonOperator(str(operator)))
    if problems:
        raise DocumentError(problems)
    return ModelQualityConstraints(problem_type=problem_type, constraints=constraints)


def _only_group(
    doc: dict[str, Any], groups: dict[str, ProblemType], location: str
) -> tuple[str, ProblemType]:
    present = [key for key in groups if key in doc]
    if len(present) != 1:
        raise DocumentError(
            f"{location}: expected exactly one of {', '.join(groups)}, found {', '.join(present) or 'none'}"
        )
    return present[0], groups[present[0]]


# -- Clarify analysis.json ----------------------------------------------------------------------------------
def parse_bias_analysis(doc: Any, location: str) -> BiasAnalysis:
    """Both stages of a Clarify bias ``analysis.json``; a metric Clarify could not compute has value None."""
    doc = _dict(doc, location, "the document")
    groups: list[FacetGroup] = []
    label = label_value = None
    for stage in Stage:
        key = stage.analysis_key
        if key not in doc:
            continue
        section = _dict(doc[key], location, key)
        label = label or (str(section["label"]) if section.get("label") is not None else None)
        if section.get("label_value_or_threshold") is not None:
            label_value = label_value or str(section["label_value_or_threshold"])
        facets = _dict(section.get("facets", {}), location, f"{key}.facets")
        for facet, entries in facets.items():
            fpath = f"{key}.facets.{facet}"
            for index, entry in enumerate(_list(entries, location, fpath)):
                entry = _dict(entry, location, f"{fpath}[{index}]")
                metrics = []
                mpath = f"{fpath}[{index}].metrics"
                for m_index, metric in enumerate(_list(_present(entry.get("metrics"), []), location, mpath)):
                    metric = _dict(metric, location, f"{mpath}[{m_index}]")
                    metrics.append(
                        BiasMetric(
                            name=_get(metric, "name", str, location, f"{mpath}[{m_index}]."),
                            description=str(metric.get("description") or ""),
                            value=number(metric.get("value"), location, f"{mpath}[{m_index}].value"),
                            error=str(metric["error"]) if metric.get("error") else None,
                        )
                    )
                groups.append(
                    FacetGroup(stage, str(facet), str(entry.get("value_or_threshold")), tuple(metrics))
                )
    return BiasAnalysis(label=label, label_value_or_threshold=label_value, groups=tuple(groups))


def parse_explainability_analysis(doc: Any, location: str) -> ExplainabilityAnalysis:
    """Global SHAP values per method and label (``explanations.kernel_shap.label0.global_shap_values``)."""
    doc = _dict(doc, location, "the document")
    labels: list[LabelAttributions] = []
    for method, per_label in _dict(doc.get("explanations"), location, "explanations").items():
        if not isinstance(per_label, dict):
            continue  # e.g. "pdp" is a list of partial-dependence plots, not attributions
        for label, entry in per_label.items():
            if not isinstance(entry, dict) or "global_shap_values" not in entry:
                continue
            path = f"explanations.{method}.{label}.global_shap_values"
            values = {}
            for feature, value in _dict(entry["global_shap_values"], location, path).items():
                parsed = number(value, location, f"{path}.{feature}")
                if parsed is not None:
                    values[str(feature)] = parsed
            expected = entry.get("expected_value")
            labels.append(
                LabelAttributions(
                    method=str(method),
                    label=str(label),
                    global_shap_values=values,
                    expected_value=number(expected, location, f"explanations.{method}.{label}.expected_value")
                    if not isinstance(expected, list)
                    else None,
                )
            )
    return ExplainabilityAnalysis(labels=tuple(labels))
