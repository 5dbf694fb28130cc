"""Clarify's rules for facet and label columns: categorical or continuous, and which rows they select."""

from __future__ import annotations

import polars as pl
import pytest

from pipelines.monitoring.bias.facets import (
    ColumnKind,
    categorical_index,
    column_kind,
    facet_groups,
    interval_threshold,
    positive_index,
    threshold_intervals,
)


def test_integers_with_few_distinct_values_are_categorical() -> None:
    assert column_kind(pl.Series([0, 1] * 50), [1]) is ColumnKind.CATEGORICAL


def test_integers_with_at_least_five_percent_distinct_values_are_continuous() -> None:
    assert column_kind(pl.Series(list(range(10)) * 10), [5]) is ColumnKind.CONTINUOUS


def test_floats_are_continuous() -> None:
    assert column_kind(pl.Series([0.0, 1.0] * 50), [1.0]) is ColumnKind.CONTINUOUS


def test_more_than_one_value_means_categorical() -> None:
    assert column_kind(pl.Series([0.5, 1.5, 2.5] * 10), [0.5, 1.5]) is ColumnKind.CATEGORICAL


def test_text_that_parses_as_integers_follows_the_integer_rule() -> None:
    assert column_kind(pl.Series([str(i) for i in range(40)]), ["20"]) is ColumnKind.CONTINUOUS
    assert column_kind(pl.Series(["0", "1"] * 50), ["1"]) is ColumnKind.CATEGORICAL
    assert column_kind(pl.Series(["mobile", "desktop"] * 50), ["mobile"]) is ColumnKind.CATEGORICAL


def test_a_threshold_interval_runs_to_the_column_maximum() -> None:
    intervals = threshold_intervals(pl.Series([0.2, 0.9936148802477393, 0.7]), [0.5])
    assert str(intervals) == "(0.5, 0.9936148802477393]"


def test_integer_breaks_print_without_a_decimal_point() -> None:
    assert str(threshold_intervals(pl.Series([18, 90, 40]), [40])) == "(40, 90]"
    assert str(threshold_intervals(pl.Series([18, 90, 40]), ["40"])) == "(40.0, 90.0]"


def test_a_continuous_facet_selects_values_above_the_threshold() -> None:
    [group] = facet_groups(pl.Series("age", list(range(18, 80))), [40])
    assert group.label == "(40, 79]"
    assert group.index.sum() == 79 - 40


def test_categorical_values_of_another_type_are_converted_when_nothing_matches() -> None:
    assert categorical_index(pl.Series([0, 1, 1]), ["1"]).tolist() == [False, True, True]
    assert categorical_index(pl.Series(["0", "1", "1"]), [1]).tolist() == [False, True, True]


def test_without_values_every_category_is_compared_with_the_rest_in_order_of_appearance() -> None:
    groups = facet_groups(pl.Series("device", ["mobile", "desktop", "mobile", "tablet"] * 10), None)
    assert [g.label for g in groups] == ["mobile", "desktop", "tablet"]
    assert [int(g.index.sum()) for g in groups] == [20, 10, 10]


def test_a_given_kind_overrides_inference() -> None:
    series = pl.Series("age", [30, 50, 70])  # 100% distinct: inferred continuous
    [group] = facet_groups(series, [50], kind=ColumnKind.CATEGORICAL)
    assert group.label == "50"
    assert group.index.tolist() == [False, True, False]


def test_the_label_text_lists_the_positive_values() -> None:
    group = positive_index(pl.Series([0, 1] * 50), [1])
    assert group.label == "1"
    assert int(group.index.sum()) == 50


def test_a_continuous_facet_needs_a_threshold() -> None:
    with pytest.raises(ValueError, match="give value_or_threshold as \\[threshold\\]"):
        facet_groups(pl.Series("score", [0.1, 0.2]), None)


def test_the_threshold_of_an_interval_text_is_its_left_bound() -> None:
    assert interval_threshold("(40, 90]") == "40"
    assert interval_threshold("mobile") == "mobile"
