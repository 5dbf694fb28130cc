"""Model-quality ``constraints.json``: suggested from a baseline's statistics, then checked against a run.

Format (see the reference ``model_quality/good_cases/constraints.json`` written by SageMaker's analyzer)::

    {"version": 0.0, "regression_constraints" | "binary_classification_constraints" | ...: {
        "<metric>": {"threshold": <baseline value>, "comparison_operator": "LessThanThreshold" | ...}}}

The analyzer suggests the baseline value itself as the threshold, with ``GreaterThanThreshold`` for error
metrics (mae, mse, rmse, false positive/negative rates) and ``LessThanThreshold`` for the others; a metric
violates its constraint when ``value <operator> threshold`` holds. AWS recommends reviewing the suggested
thresholds (https://docs.aws.amazon.com/sagemaker/latest/dg/model-monitor-model-quality-baseline.html);
``slack`` moves every threshold in the tolerant direction by a fixed amount.

Violation wording follows the model-quality violations written by AWS's model-monitor containers:
``Metric <name> with <value> was <operator> <threshold>`` (e.g. "Metric auc with 0.7 was LessThanThreshold
0.9", the format AWS's ``MonitoringCustomMetrics`` sample package writes to "follow the formats and
standards defined by Amazon SageMaker Model Monitor"), numbers as the analyzer (a Spark program) prints
doubles (``java_double_string``). No violation file of the analyzer itself is published.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from enum import StrEnum
from typing import Any

from pipelines.errors import UserError
from pipelines.monitoring.java_double import java_double_string
from pipelines.monitoring.model_quality.statistics import STATISTICS_VERSION, ProblemType


class ConstraintsError(UserError):
    """A constraints file that does not fit the statistics it is checked against."""


class ComparisonOperator(StrEnum):
    """The comparison operators of Model Monitor's model-quality constraints."""

    GREATER_THAN = "GreaterThanThreshold"
    GREATER_THAN_OR_EQUAL = "GreaterThanOrEqualToThreshold"
    LESS_THAN = "LessThanThreshold"
    LESS_THAN_OR_EQUAL = "LessThanOrEqualToThreshold"

    def violated(self, value: float, threshold: float) -> bool:
        """True when ``value <operator> threshold`` holds, i.e. the metric breaks the constraint."""
        if math.isnan(value):
            return False
        if self is ComparisonOperator.GREATER_THAN:
            return value > threshold
        if self is ComparisonOperator.GREATER_THAN_OR_EQUAL:
            return value >= threshold
        if self is ComparisonOperator.LESS_THAN:
            return value < threshold
        return value <= threshold

    @property
    def lower_is_better(self) -> bool:
        return self in (ComparisonOperator.GREATER_THAN, ComparisonOperator.GREATER_THAN_OR_EQUAL)


_LT, _GT = ComparisonOperator.LESS_THAN, ComparisonOperator.GREATER_THAN

# Which metrics get a suggested constraint, in file order, and in which direction they may not move.
SUGGESTED_OPERATORS: Mapping[ProblemType, Mapping[str, ComparisonOperator]] = {
    ProblemType.REGRESSION: {"mae": _GT, "mse": _GT, "rmse": _GT, "r2": _LT},
    ProblemType.BINARY: {
        "recall": _LT,
        "precision": _LT,
        "accuracy": _LT,
        "true_positive_rate": _LT,
        "true_negative_rate": _LT,
        "false_positive_rate": _GT,
        "false_negative_rate": _GT,
        "auc": _LT,
        "au_prc": _LT,
        "f0_5": _LT,
        "f1": _LT,
        "f2": _LT,
    },
    ProblemType.MULTICLASS: {
        "accuracy": _LT,
        "weighted_recall": _LT,
        "weighted_precision": _LT,
        "weighted_f0_5": _LT,
        "weighted_f1": _LT,
        "weighted_f2": _LT,
    },
}


def problem_type_of(document: Mapping[str, Any], *, suffix: str, where: str) -> ProblemType:
    """The problem type a statistics (``_metrics``) or constraints (``_constraints``) document is about."""
    for problem_type in ProblemType:
        key = problem_type.metrics_key if suffix == "metrics" else problem_type.constraints_key
        if isinstance(document.get(key), dict):
            return problem_type
    expected = ", ".join((p.metrics_key if suffix == "metrics" else p.constraints_key) for p in ProblemType)
    raise ConstraintsError(f"{where}: no model-quality section; expected one of {expected}")


def suggest_constraints(statistics: Mapping[str, Any], *, slack: float = 0.0) -> dict[str, Any]:
    """Constraints for a baseline: each suggested metric's value as its threshold (moved by ``slack``)."""
    problem_type = problem_type_of(statistics, suffix="metrics", where="baseline statistics")
    section = statistics[problem_type.metrics_key]
    constraints: dict[str, Any] = {}
    for name, operator in SUGGESTED_OPERATORS[problem_type].items():
        value = _metric_value(section, name)
        if value is None or math.isnan(value):
            continue
        threshold = value + slack if operator.lower_is_better else value - slack
        constraints[name] = {"threshold": threshold, "comparison_operator": operator.value}
    return {"version": STATISTICS_VERSION, problem_type.constraints_key: constraints}


def _metric_value(section: Mapping[str, Any], name: str) -> float | None:
    entry = section.get(name)
    if not isinstance(entry, dict) or "value" not in entry:
        return None
    value = entry["value"]
    return float("nan") if value == "NaN" else float(value)


def check_constraints(statistics: Mapping[str, Any], constraints: Mapping[str, Any]) -> list[dict[str, str]]:
    """The violations of ``constraints`` by ``statistics``, as ``constraint_violations.json`` entries."""
    problem_type = problem_type_of(statistics, suffix="metrics", where="statistics")
    constraints_type = problem_type_of(constraints, suffix="constraints", where="constraints")
    if constraints_type is not problem_type:
        raise ConstraintsError(
            f"constraints are for {constraints_type.value} but the statistics are for {problem_type.value}"
        )
    section = statistics[problem_type.metrics_key]
    problems: list[str] = []
    violations: list[dict[str, str]] = []
    for name, constraint in constraints[problem_type.constraints_key].items():
        operator, threshold = _parse_constraint(name, constraint, problems)
        if operator is None or threshold is None:
            continue
        value = _metric_value(section, name)
        if value is None:
            problems.append(f"constraints: metric {name!r} is not computed for {problem_type.value}")
            continue
        if operator.violated(value, threshold):
            violations.append(
                {
                    "constraint_check_type": operator.value,
                    "description": f"Metric {name} with {java_double_string(value)} was {operator.value} "
                    f"{java_double_string(threshold)}",
                    "metric_name": name,
                }
            )
    if problems:
        raise ConstraintsError(problems)
    return violations


def _parse_constraint(
    name: str, constraint: Any, problems: list[str]
) -> tuple[ComparisonOperator | None, float | None]:
    if not isinstance(constraint, dict):
        problems.append(f"constraints: {name!r} must be an object with threshold and comparison_operator")
        return None, None
    try:
        operator = ComparisonOperator(str(constraint.get("comparison_operator")))
    except ValueError:
        allowed = ", ".join(o.value for o in ComparisonOperator)
        problems.append(
            f"constraints: {name}.comparison_operator is {constraint.get('comparison_operator')!r}; "
            f"allowed: {allowed}"
        )
        return None, None
    threshold = constraint.get("threshold")
    if isinstance(threshold, bool) or not isinstance(threshold, int | float):
        problems.append(f"constraints: {name}.threshold is {threshold!r}, expected a number")
        return operator, None
    return operator, float(threshold)
