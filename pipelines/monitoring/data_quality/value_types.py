"""Per-value type detection and the column type decision, the way Model Monitor's analyzer (Deequ) does it.

The analyzer reads CSV cells as text and classifies each with Deequ's ``StatefulDataType`` regular
expressions (fractional ``^(-|\\+)? ?\\d*\\.\\d*$``, integral ``^(-|\\+)? ?\\d*$``, boolean
``^(true|false)$``, anything else a string); ``DataTypeHistogram.determineType`` then decides the column's
type: Unknown when every value is null, String as soon as one value is a string (or booleans mix with
numbers), Fractional as soon as one value is fractional, else Integral
(https://github.com/awslabs/deequ/blob/master/src/main/scala/com/amazon/deequ/analyzers/DataType.scala).

Typed JSON values (from data capture) keep their JSON type, like Spark's JSON reader does: a JSON integer
is Integral, a JSON float Fractional, a JSON boolean Boolean; JSON strings go through the regexes.

Differences, on purpose: empty text counts as missing (Spark's CSV reader reads it as null, and Deequ's
integral regex would otherwise call ``""`` a number); Model Monitor only documents Integral, Fractional,
String and Unknown, so a Boolean column is reported as String.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import polars as pl

from pipelines.monitoring.data_quality.types import InferredType

# Deequ's patterns with [0-9] for \d: Java's \d is ASCII-only, Rust's (polars) is Unicode.
FRACTIONAL_PATTERN = r"^(?:-|\+)? ?[0-9]*\.[0-9]*$"
INTEGRAL_PATTERN = r"^(?:-|\+)? ?[0-9]*$"
BOOLEAN_PATTERN = r"^(?:true|false)$"


@dataclass(slots=True)
class TypeCounts:
    """How many present values of a feature looked like each type (Deequ's ``DataTypeHistogram``)."""

    fractional: int = 0
    integral: int = 0
    boolean: int = 0
    string: int = 0

    @property
    def present(self) -> int:
        return self.fractional + self.integral + self.boolean + self.string

    def merge(self, other: TypeCounts) -> None:
        self.fractional += other.fractional
        self.integral += other.integral
        self.boolean += other.boolean
        self.string += other.string

    def decide(self) -> InferredType:
        """Deequ's ``determineType``, with Boolean reported as String (see the module docstring)."""
        if self.present == 0:
            return InferredType.UNKNOWN
        if self.string > 0 or self.boolean > 0:
            return InferredType.STRING
        if self.fractional > 0:
            return InferredType.FRACTIONAL
        return InferredType.INTEGRAL

    def match_ratio(self, expected: InferredType) -> float | None:
        """Share of present values that fit ``expected`` (None without present values).

        Integral accepts integral values only; Fractional accepts any number (Deequ's "Numeric" data
        type: integral and fractional values); String accepts everything, since every value has a text.
        """
        if self.present == 0 or expected is InferredType.UNKNOWN:
            return None
        if expected is InferredType.INTEGRAL:
            matching = self.integral
        elif expected is InferredType.FRACTIONAL:
            matching = self.integral + self.fractional
        else:
            matching = self.present
        return matching / self.present


@dataclass(slots=True)
class ClassifiedColumn:
    """One batch of one column, split the way the profile needs it."""

    counts: TypeCounts
    numbers: np.ndarray  # float64 values of the numeric-looking entries, in arrival order
    texts: pl.Series | None  # present values as text (String columns only), for categorical statistics


def classify(series: pl.Series) -> ClassifiedColumn:
    """Type counts, numeric values and texts of one column batch (nulls and empty texts are missing)."""
    dtype = series.dtype
    if dtype == pl.Null:
        return ClassifiedColumn(TypeCounts(), np.empty(0), None)
    if dtype.is_integer() or dtype == pl.Decimal:
        values = series.drop_nulls()
        return ClassifiedColumn(TypeCounts(integral=len(values)), _floats(values), None)
    if dtype.is_float():
        values = series.drop_nulls()
        return ClassifiedColumn(TypeCounts(fractional=len(values)), _floats(values), None)
    if dtype == pl.Boolean:
        texts = series.drop_nulls().cast(pl.String)
        return ClassifiedColumn(TypeCounts(boolean=len(texts)), np.empty(0), texts)
    texts = series.cast(pl.String) if dtype != pl.String else series
    texts = texts.filter(texts.is_not_null() & (texts != ""))
    is_fractional = texts.str.contains(FRACTIONAL_PATTERN)
    is_integral = texts.str.contains(INTEGRAL_PATTERN) & ~is_fractional
    is_boolean = texts.str.contains(BOOLEAN_PATTERN)
    n_fractional = int(is_fractional.sum())
    n_integral = int(is_integral.sum())
    n_boolean = int(is_boolean.sum())
    counts = TypeCounts(
        fractional=n_fractional,
        integral=n_integral,
        boolean=n_boolean,
        string=len(texts) - n_fractional - n_integral - n_boolean,
    )
    numeric_texts = texts.filter(is_fractional | is_integral)
    # Spark casts the text to double; what cannot be cast ("-", ".", "+ 1") becomes null, i.e. missing.
    numbers = numeric_texts.str.replace(r"^([-+]) ", "$1").cast(pl.Float64, strict=False).drop_nulls()
    return ClassifiedColumn(counts, _writable(numbers.to_numpy()), texts)


def _floats(values: pl.Series) -> np.ndarray:
    return _writable(values.cast(pl.Float64).to_numpy())


def _writable(array: np.ndarray) -> np.ndarray:
    # polars hands out read-only views; DataSketches' array update only binds writable float64 arrays.
    return array if array.flags.writeable else array.copy()
