"""Numbers in the analyzer's texts read as Java's Double.toString writes them."""

from __future__ import annotations

import pytest

from pipelines.monitoring.java_double import java_double_string


@pytest.mark.parametrize(
    ("value", "text"),
    [
        (100.0, "100.0"),
        (0.9, "0.9"),
        (0.009009009009009009, "0.009009009009009009"),
        (99.71751412429379, "99.71751412429379"),
        (-0.25, "-0.25"),
        (0.001, "0.001"),
        (9999999.0, "9999999.0"),
    ],
)
def test_numbers_between_a_thousandth_and_ten_million_are_plain_decimals(value: float, text: str) -> None:
    assert java_double_string(value) == text


@pytest.mark.parametrize(
    ("value", "text"),
    [
        (0.0001, "1.0E-4"),
        (0.00025, "2.5E-4"),
        (12345678.0, "1.2345678E7"),
        (1e21, "1.0E21"),
        (-3e-5, "-3.0E-5"),
    ],
)
def test_other_numbers_use_javas_scientific_notation(value: float, text: str) -> None:
    assert java_double_string(value) == text


@pytest.mark.parametrize(
    ("value", "text"),
    [
        (0.0, "0.0"),
        (-0.0, "-0.0"),
        (float("inf"), "Infinity"),
        (float("-inf"), "-Infinity"),
        (float("nan"), "NaN"),
    ],
)
def test_zeros_and_non_finite_values_are_spelled_like_java(value: float, text: str) -> None:
    assert java_double_string(value) == text
