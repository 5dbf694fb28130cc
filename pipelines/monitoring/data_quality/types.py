"""The vocabulary of Model Monitor's data-quality files, as enums (no magic strings elsewhere).

Names and values follow https://docs.aws.amazon.com/sagemaker/latest/dg/model-monitor-byoc-constraints.html
and https://docs.aws.amazon.com/sagemaker/latest/dg/model-monitor-interpreting-violations.html .
"""

from __future__ import annotations

from enum import StrEnum
from typing import Any


class InferredType(StrEnum):
    """A feature's ``inferred_type``."""

    INTEGRAL = "Integral"
    FRACTIONAL = "Fractional"
    STRING = "String"
    UNKNOWN = "Unknown"

    @property
    def is_numeric(self) -> bool:
        return self in (InferredType.INTEGRAL, InferredType.FRACTIONAL)


NUMERIC_TYPES = frozenset({InferredType.INTEGRAL, InferredType.FRACTIONAL})
STRING_TYPES = frozenset({InferredType.STRING})
ALL_TYPES = frozenset(InferredType)


class CheckType(StrEnum):
    """A violation's ``constraint_check_type``."""

    DATA_TYPE = "data_type_check"
    COMPLETENESS = "completeness_check"
    BASELINE_DRIFT = "baseline_drift_check"
    MISSING_COLUMN = "missing_column_check"
    EXTRA_COLUMN = "extra_column_check"
    CATEGORICAL_VALUES = "categorical_values_check"


class Toggle(StrEnum):
    """``Enabled`` / ``Disabled`` switches of ``monitoring_config``."""

    ENABLED = "Enabled"
    DISABLED = "Disabled"


class ComparisonMethod(StrEnum):
    """``distribution_constraints.comparison_method`` for numerical features."""

    SIMPLE = "Simple"
    ROBUST = "Robust"


class CategoricalDriftMethod(StrEnum):
    """``distribution_constraints.categorical_drift_method`` for string features."""

    LINFINITY = "LInfinity"
    CHI_SQUARED = "ChiSquared"


def read_feature_header(raw: Any, where: str, problems: list[str]) -> tuple[str, InferredType, str] | None:
    """``name`` and ``inferred_type`` of a feature entry of statistics/constraints files, and ``where`` with
    the name appended (for the messages about the rest of the entry); None, with a problem, if invalid."""
    if not isinstance(raw, dict) or not isinstance(raw.get("name"), str):
        problems.append(f"{where}: expected an object with a string 'name'")
        return None
    name = raw["name"]
    where = f"{where} ({name!r})"
    try:
        return name, InferredType(str(raw.get("inferred_type"))), where
    except ValueError:
        allowed = ", ".join(t.value for t in InferredType)
        problems.append(f"{where}: inferred_type {raw.get('inferred_type')!r} is not one of {allowed}")
        return None
