"""Feature engineering of the fraud model: raw request records -> the booster's input frame.

The model's inputs are the raw columns of a request record (``contract.FEATURE_COLUMNS``). Most go in as they
are (numbers as floats, categories as pandas Categoricals with the training categories); some are *derived*
(the day of week of ``Transaction Date``). Every model feature remembers the raw column it comes from, so
SHAP values can be summed back onto raw columns and explanations speak the user's language.

The spec is plain data, saved as JSON next to the booster in ``model.tar.gz``: the serving side rebuilds the
exact training encoding from it (same category order, so category codes mean the same thing).
"""

from __future__ import annotations

import functools
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from enum import StrEnum
from typing import Any

import numpy as np
import numpy.typing as npt
import pandas as pd
from transaction_scoring import contract

from pipelines.errors import UserError

SPEC_VERSION = 1
_SHOWN_PROBLEMS = 5

Records = Sequence[Mapping[str, Any]]


class FeatureInputError(UserError):
    """Records the model cannot score: a feature column absent, or a value of the wrong kind."""


class FeatureSpecError(UserError):
    """A feature spec file that is not one this code wrote."""


class FeatureKind(StrEnum):
    NUMERIC = "numeric"  # the raw value as a float; null -> missing
    CATEGORICAL = "categorical"  # one of the training categories; null or unseen -> missing
    DAY_OF_WEEK = "day_of_week"  # Monday=0 .. Sunday=6 of a contract.DATE_FORMAT timestamp


@dataclass(frozen=True, slots=True)
class Feature:
    """One column of the booster's input and the raw column it is computed from."""

    name: str
    source: str
    kind: FeatureKind
    categories: tuple[str, ...] = ()

    def to_json(self) -> dict[str, Any]:
        document: dict[str, Any] = {"name": self.name, "source": self.source, "kind": self.kind.value}
        if self.kind is FeatureKind.CATEGORICAL:
            document["categories"] = list(self.categories)
        return document


@dataclass(frozen=True, slots=True)
class FeatureSpec:
    """The model features, in booster column order, and the raw columns they come from."""

    features: tuple[Feature, ...]
    raw_features: tuple[str, ...]
    label: str = contract.LABEL_COLUMN

    @property
    def names(self) -> list[str]:
        return [f.name for f in self.features]

    @property
    def source_of(self) -> dict[str, str]:
        """Model feature -> the raw column it is derived from."""
        return {f.name: f.source for f in self.features}

    def to_json(self) -> dict[str, Any]:
        return {
            "version": SPEC_VERSION,
            "label": self.label,
            "raw_features": list(self.raw_features),
            "features": [f.to_json() for f in self.features],
        }

    @classmethod
    def from_json(cls, document: Any, *, where: str = "feature spec") -> FeatureSpec:
        if not isinstance(document, dict) or document.get("version") != SPEC_VERSION:
            raise FeatureSpecError(
                f"{where}: not a version-{SPEC_VERSION} feature spec (expected an object with "
                f'"version": {SPEC_VERSION}, "raw_features" and "features")'
            )
        problems: list[str] = []
        features: list[Feature] = []
        for index, raw in enumerate(document.get("features") or []):
            try:
                kind = FeatureKind(raw["kind"])
                features.append(
                    Feature(str(raw["name"]), str(raw["source"]), kind, tuple(raw.get("categories") or ()))
                )
            except (KeyError, TypeError, ValueError):
                problems.append(
                    f"{where}: features[{index}] is {raw!r}: expected name, source and kind (one of "
                    f"{', '.join(k.value for k in FeatureKind)})"
                )
        raw_features = tuple(str(c) for c in document.get("raw_features") or ())
        unknown = [f.source for f in features if f.source not in raw_features]
        if unknown:
            problems.append(f"{where}: features come from {unknown}, which are not in raw_features")
        if not features:
            problems.append(f"{where}: has no features")
        if problems:
            raise FeatureSpecError(problems)
        return cls(tuple(features), raw_features, str(document.get("label", contract.LABEL_COLUMN)))


DAY_OF_WEEK_FEATURE = "Transaction Day Of Week"


def fraud_feature_spec(training: pd.DataFrame) -> FeatureSpec:
    """The fraud model's features, with categories learnt from ``training``.

    Categories are sorted, so the same training data always gives the same spec.
    """
    features: list[Feature] = []
    for column in contract.FEATURE_COLUMNS:
        if column == contract.TRANSACTION_DATE:
            features.append(Feature(DAY_OF_WEEK_FEATURE, column, FeatureKind.DAY_OF_WEEK))
        elif column in contract.CATEGORICAL_FEATURE_COLUMNS:
            seen = training[column].dropna().astype(str).unique()
            features.append(Feature(column, column, FeatureKind.CATEGORICAL, tuple(sorted(seen))))
        else:
            features.append(Feature(column, column, FeatureKind.NUMERIC))
    return FeatureSpec(tuple(features), tuple(contract.FEATURE_COLUMNS))


def encode(spec: FeatureSpec, data: pd.DataFrame | Records) -> pd.DataFrame:
    """The booster's input frame for a frame of raw columns or a list of request records.

    A feature's raw column must be present (null values are fine: they are missing values); numbers must be
    numbers and dates must follow ``contract.DATE_FORMAT``. Every problem is reported, by record index.
    """
    columns = _raw_columns(spec, data)
    problems: list[str] = []
    encoded: dict[str, Any] = {}
    for feature in spec.features:
        values = columns[feature.source]
        if feature.kind is FeatureKind.NUMERIC:
            encoded[feature.name] = _numeric(feature.source, values, problems)
        elif feature.kind is FeatureKind.CATEGORICAL:
            encoded[feature.name] = _categorical(values, feature.categories)
        else:
            encoded[feature.name] = _day_of_week(feature.source, values, problems)
    if problems:
        raise FeatureInputError(problems[:_SHOWN_PROBLEMS] + _more(len(problems)))
    return pd.DataFrame(encoded, columns=spec.names)


def _raw_columns(spec: FeatureSpec, data: pd.DataFrame | Records) -> dict[str, Any]:
    sources = list(dict.fromkeys(f.source for f in spec.features))
    if isinstance(data, pd.DataFrame):
        missing = [c for c in sources if c not in data.columns]
        if missing:
            raise FeatureInputError(
                f"the data has no column {', '.join(map(repr, missing))}: the model needs them"
            )
        return {c: data[c].to_numpy() for c in sources}
    problems = [
        f"record {index}: has no {', '.join(map(repr, absent))} (send null for a missing value)"
        for index, record in enumerate(data)
        if (absent := [column for column in sources if column not in record])
    ]
    if problems:
        raise FeatureInputError(problems[:_SHOWN_PROBLEMS] + _more(len(problems)))
    return {c: [record[c] for record in data] for c in sources}


def _more(count: int) -> list[str]:
    return [f"... and {count - _SHOWN_PROBLEMS} more problems"] if count > _SHOWN_PROBLEMS else []


def _numeric(column: str, values: Any, problems: list[str]) -> npt.NDArray[np.float64]:
    if isinstance(values, np.ndarray) and values.dtype.kind in "iuf":
        return values.astype(np.float64)
    for index, value in enumerate(values):
        # bool is an int in Python, but true/false is not an amount: reject it like a string.
        if value is not None and (isinstance(value, bool) or not isinstance(value, int | float | np.number)):
            problems.append(f"record {index}: {column!r} is {value!r}: expected a number or null")
    if problems:
        return np.zeros(len(values))
    return np.array([np.nan if v is None else v for v in values], dtype=np.float64)


@functools.lru_cache(maxsize=64)
def _category_index(categories: tuple[str, ...]) -> pd.Index:
    # Built once per feature: rebuilding it for every one-record request was a fifth of the scoring time.
    return pd.Index(categories, dtype="str")


def _categorical(values: Any, categories: tuple[str, ...]) -> pd.Categorical:
    """Training categories only: a null or a value not seen in training becomes a missing value."""
    index = _category_index(categories)
    as_text = pd.array([v if isinstance(v, str) else None for v in values], dtype="str")
    codes = index.get_indexer(as_text)
    return pd.Categorical.from_codes(codes, categories=index)


def _day_of_week(column: str, values: Any, problems: list[str]) -> npt.NDArray[np.float64]:
    text = pd.Series(values, dtype="str")
    moments = pd.to_datetime(text, format=contract.DATE_FORMAT, errors="coerce")
    bad = moments.isna() & text.notna()
    for index in np.flatnonzero(bad.to_numpy()):
        problems.append(
            f"record {index}: {column!r} is {values[index]!r}: "
            "expected a date like 2026-01-31 23:59:59 or null"
        )
    return moments.dt.day_of_week.to_numpy(dtype=np.float64, na_value=np.nan)
