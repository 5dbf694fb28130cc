"""Which rows are the sensitive group and which labels are positive, decided the way Clarify decides.

Clarify (https://docs.aws.amazon.com/sagemaker/latest/dg/clarify-processing-job-configure-analysis.html)
first classifies a facet or label column as categorical or continuous, then:

- categorical: a row belongs to the group when its value is one of ``value_or_threshold``; without values,
  every distinct value is compared with all the others ("one vs all");
- continuous: a row belongs to the group when its value lies in ``(threshold, max]`` (Clarify builds the
  intervals from the breaks ``[threshold, column max]``, so the reported value is e.g.
  ``"(0.5, 0.9936148802477393]"``).

Classification rules (Clarify's ``series_datatype``): more than one value given -> categorical; floats ->
continuous; integers (or text that parses as integers) -> continuous when at least 5% of the non-missing
values are distinct, else categorical; anything else -> categorical. The 5% rule depends on the number of
rows, so the same column can flip kind between a large baseline and a small monitoring window; callers that
have a baseline pass its kinds (see ``kinds_from_analysis``) to keep the groups stable.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from enum import Enum
from typing import Any

import numpy as np
import numpy.typing as npt
import polars as pl

UNIQUENESS_THRESHOLD = 0.05

BoolArray = npt.NDArray[np.bool_]


class ColumnKind(Enum):
    CATEGORICAL = "categorical"
    CONTINUOUS = "continuous"


def _parses_as_integers(series: pl.Series) -> bool:
    return series.cast(pl.Int64, strict=False).null_count() == series.null_count()


def column_kind(
    series: pl.Series, values: Sequence[Any] | None, weights: pl.Series | None = None
) -> ColumnKind:
    """Clarify's classification of a facet/label column (see the module docstring); ``weights``: records
    per row (rows of counted records)."""
    present_mask = series.is_not_null()
    if series.dtype.is_float():
        present_mask = present_mask & ~series.is_nan().fill_null(True)
    present = series.filter(present_mask)
    count = present.len() if weights is None else int(weights.filter(present_mask).sum())
    uniqueness = 0.0 if count == 0 else present.n_unique() / count
    if values is not None and len(values) > 1:
        return ColumnKind.CATEGORICAL
    if present.dtype == pl.String:
        numeric_text = _parses_as_integers(present)
        if numeric_text and uniqueness >= UNIQUENESS_THRESHOLD:
            return ColumnKind.CONTINUOUS
        return ColumnKind.CATEGORICAL
    if present.dtype.is_float():
        return ColumnKind.CONTINUOUS
    if present.dtype.is_integer() and uniqueness >= UNIQUENESS_THRESHOLD:
        return ColumnKind.CONTINUOUS
    return ColumnKind.CATEGORICAL


# -- categorical ----------------------------------------------------------------------------------------
def _converted(value: Any, dtype: pl.DataType) -> Any:
    """``value`` as the column's Python type (Clarify retries with converted values when none match)."""
    if dtype.is_integer():
        try:
            return int(value)
        except ValueError:
            return float(value)  # "1.0" for an integer column, as Clarify does
    if dtype.is_float():
        return float(value)
    if dtype == pl.Boolean:
        return str(value).strip().lower() in ("true", "1") if isinstance(value, str) else bool(value)
    return str(value)


def _comparable(value: Any, dtype: pl.DataType) -> bool:
    if dtype.is_numeric():
        return isinstance(value, int | float) and not isinstance(value, bool)
    if dtype == pl.Boolean:
        return isinstance(value, bool)
    return isinstance(value, str)


def _is_in(series: pl.Series, values: Sequence[Any]) -> BoolArray:
    if not values:
        return np.zeros(series.len(), dtype=bool)
    if series.dtype.is_numeric() and any(isinstance(v, float) for v in values):
        series = series.cast(pl.Float64)
    candidates = pl.Series(list(values)).cast(series.dtype).implode()
    return series.is_in(candidates).fill_null(False).to_numpy()


def categorical_index(series: pl.Series, values: Sequence[Any]) -> BoolArray:
    """Rows whose value is one of ``values``; values of another type are converted when nothing matches."""
    same_type = [v for v in values if _comparable(v, series.dtype)]
    index = _is_in(series, same_type)
    if index.any():
        return index
    try:
        converted = [_converted(v, series.dtype) for v in values]
    except (TypeError, ValueError):
        return index
    return _is_in(series, converted)


# -- continuous -----------------------------------------------------------------------------------------
@dataclass(frozen=True, slots=True)
class Intervals:
    """Left-open, right-closed intervals between consecutive breaks (pandas ``IntervalIndex.from_breaks``)."""

    breaks: tuple[float, ...]
    integral: bool  # all breaks are integers: printed without a decimal point, like pandas' int intervals

    def contains(self, values: npt.NDArray[np.float64]) -> BoolArray:
        inside = np.zeros(values.shape, dtype=bool)
        for left, right in zip(self.breaks[:-1], self.breaks[1:], strict=False):
            inside |= (values > left) & (values <= right)
        return inside

    def __str__(self) -> str:
        def fmt(x: float) -> str:
            return str(int(x)) if self.integral else repr(float(x))

        pairs = zip(self.breaks[:-1], self.breaks[1:], strict=False)
        return ",".join(f"({fmt(left)}, {fmt(right)}]" for left, right in pairs)


def threshold_intervals(series: pl.Series, thresholds: Sequence[Any]) -> Intervals:
    """Clarify's intervals for ``thresholds``: the column maximum is appended as the last break.

    Clarify checks ``abs(max) not in thresholds`` before appending the maximum; we keep that test as is.
    """
    numbers: list[Any] = [
        t if isinstance(t, int | float) and not isinstance(t, bool) else float(t) for t in thresholds
    ]
    values = series.cast(pl.Float64).drop_nulls().drop_nans()
    if values.len() == 0:
        raise ValueError(f"column {series.name!r} has no numeric values")
    maximum_float = float(values.max())  # type: ignore[arg-type]
    column_integral = series.dtype.is_integer()
    maximum: int | float = int(maximum_float) if column_integral else maximum_float
    breaks = list(numbers)
    if abs(maximum) not in breaks:
        breaks.append(maximum)
    integral = all(isinstance(b, int) for b in breaks)
    return Intervals(breaks=tuple(sorted(float(b) for b in breaks)), integral=integral)


def continuous_index(series: pl.Series, intervals: Intervals) -> BoolArray:
    values = series.cast(pl.Float64).fill_null(float("nan")).to_numpy()
    return intervals.contains(values)


# -- groups -----------------------------------------------------------------------------------------------
@dataclass(frozen=True, slots=True)
class Group:
    """A selection of rows and how Clarify prints it (``value_or_threshold``); ``select`` applies the same
    selection to another series of the column (e.g. the flip test's sample)."""

    label: str
    index: BoolArray
    kind: ColumnKind
    select: Callable[[pl.Series], BoolArray]


def _group(
    label: str, series: pl.Series, kind: ColumnKind, select: Callable[[pl.Series], BoolArray]
) -> Group:
    return Group(label, select(series), kind, select)


def _in_intervals(intervals: Intervals) -> Callable[[pl.Series], BoolArray]:
    return lambda series: continuous_index(series, intervals)


def _in_values(values: Sequence[Any]) -> Callable[[pl.Series], BoolArray]:
    return lambda series: categorical_index(series, values)


def facet_groups(
    series: pl.Series,
    values: Sequence[Any] | None,
    kind: ColumnKind | None = None,
    weights: pl.Series | None = None,
) -> list[Group]:
    """The sensitive group(s) of a facet: one for given values or a threshold, one per value otherwise."""
    kind = kind or column_kind(series, values, weights)
    if kind is ColumnKind.CONTINUOUS:
        if not values:
            raise ValueError(f"facet {series.name!r} is continuous: give value_or_threshold as [threshold]")
        intervals = threshold_intervals(series, values)
        return [_group(str(intervals), series, kind, _in_intervals(intervals))]
    if values:
        return [_group(",".join(map(str, values)), series, kind, _in_values(values))]
    return [
        _group(str(value), series, kind, _in_values([value]))
        for value in series.drop_nulls().unique(maintain_order=True).to_list()
    ]


def positive_index(
    series: pl.Series, values: Sequence[Any], kind: ColumnKind | None = None, weights: pl.Series | None = None
) -> Group:
    """Rows with a positive label (``label_values_or_threshold``), and the text Clarify reports for it."""
    kind = kind or column_kind(series, values, weights)
    if kind is ColumnKind.CONTINUOUS:
        intervals = threshold_intervals(series, values)
        return _group(str(intervals), series, kind, _in_intervals(intervals))
    return _group(",".join(map(str, values)), series, kind, _in_values(values))


def is_interval_text(value_or_threshold: str) -> bool:
    """Whether a reported ``value_or_threshold`` is an interval, i.e. its column was continuous."""
    return value_or_threshold.startswith("(") and value_or_threshold.endswith("]")


def interval_threshold(value_or_threshold: str) -> str:
    """The threshold (left bound) of ``"(t, max]"``; other text unchanged."""
    if is_interval_text(value_or_threshold):
        return value_or_threshold[1:].split(",", 1)[0].strip()
    return value_or_threshold
