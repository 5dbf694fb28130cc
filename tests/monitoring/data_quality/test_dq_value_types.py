"""Value types and the column type decision follow the analyzer (Deequ's regexes and determineType)."""

from __future__ import annotations

import polars as pl
import pytest

from pipelines.monitoring.data_quality.types import InferredType
from pipelines.monitoring.data_quality.value_types import TypeCounts, classify


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("3.0", "fractional"),
        (".5", "fractional"),
        ("-2.25", "fractional"),
        ("3", "integral"),
        ("-1", "integral"),
        ("+ 7", "integral"),
        ("true", "boolean"),
        ("abc", "string"),
        ("1e5", "string"),
        ("3.0.1", "string"),
    ],
)
def test_text_values_are_classified_with_deequs_patterns(text: str, expected: str) -> None:
    counts = classify(pl.Series([text])).counts
    assert getattr(counts, expected) == 1
    assert counts.present == 1


def test_nulls_and_empty_texts_are_missing() -> None:
    column = classify(pl.Series(["1", "", None]))
    assert column.counts.present == 1


def test_numeric_texts_are_parsed_as_numbers_in_order() -> None:
    column = classify(pl.Series(["2", "x", "-1.5", "+ 4"]))
    assert column.numbers.tolist() == [2.0, -1.5, 4.0]


def test_json_integers_are_integral_and_json_floats_fractional() -> None:
    assert classify(pl.Series([1, 2, None])).counts == TypeCounts(integral=2)
    assert classify(pl.Series([1.0, 2.5])).counts == TypeCounts(fractional=2)


def test_one_string_value_makes_the_column_a_string() -> None:
    assert TypeCounts(integral=99, string=1).decide() is InferredType.STRING


def test_one_fractional_value_makes_a_numeric_column_fractional() -> None:
    assert TypeCounts(integral=99, fractional=1).decide() is InferredType.FRACTIONAL


def test_only_integral_values_make_an_integral_column() -> None:
    assert TypeCounts(integral=5).decide() is InferredType.INTEGRAL


def test_a_column_without_values_is_unknown() -> None:
    assert TypeCounts().decide() is InferredType.UNKNOWN


def test_booleans_are_reported_as_strings() -> None:
    assert TypeCounts(boolean=3).decide() is InferredType.STRING


def test_integral_match_counts_only_integral_values() -> None:
    assert TypeCounts(integral=3, fractional=1).match_ratio(InferredType.INTEGRAL) == 0.75


def test_fractional_match_counts_every_number() -> None:
    assert TypeCounts(integral=3, fractional=1, string=4).match_ratio(InferredType.FRACTIONAL) == 0.5
