"""Clarify's bias-drift rule: a metric violates when it is farther from balance than in the baseline."""

from __future__ import annotations

from typing import Any

from pipelines.monitoring.bias import check_bias_drift


def _analysis(
    values: dict[str, Any], facet_value: str = "40", stage: str = "post_training_bias_metrics"
) -> dict:
    return {
        "version": "1.0",
        stage: {
            "label": "fraud",
            "facets": {
                "age": [
                    {
                        "value_or_threshold": facet_value,
                        "metrics": [{"name": n, "description": n, "value": v} for n, v in values.items()],
                    }
                ]
            },
            "label_value_or_threshold": "1",
        },
    }


def test_a_value_closer_to_zero_than_the_baseline_passes() -> None:
    # the AWS example: baseline DPPL 0.2, current 0.1
    assert check_bias_drift(_analysis({"DPPL": 0.1}), _analysis({"DPPL": 0.2})) == []


def test_a_value_farther_from_zero_than_the_baseline_violates_even_on_the_other_side() -> None:
    violations = check_bias_drift(_analysis({"DPPL": -0.3}), _analysis({"DPPL": 0.2}))
    assert violations == [
        {
            "facet": "age",
            "facet_value": "40",
            "metric_name": "DPPL",
            "constraint_check_type": "bias_drift_check",
            "description": "Value -0.3 does not meet the constraint requirement",
        }
    ]


def test_disparate_impact_is_compared_by_its_distance_from_one_as_a_ratio() -> None:
    # |log 1.22| < |log 0.8| although 1.22 is farther from 1 than 0.8 on a linear scale
    assert check_bias_drift(_analysis({"DI": 1.22}), _analysis({"DI": 0.8})) == []
    assert [v["metric_name"] for v in check_bias_drift(_analysis({"DI": 0.5}), _analysis({"DI": 0.8}))] == [
        "DI"
    ]


def test_continuous_facets_are_matched_on_their_threshold_whatever_the_column_maximum() -> None:
    violations = check_bias_drift(_analysis({"CI": 0.5}, "(40, 85]"), _analysis({"CI": 0.1}, "(40, 90]"))
    assert [(v["facet_value"], v["metric_name"]) for v in violations] == [("40", "CI")]


def test_metrics_without_a_value_are_not_compared() -> None:
    assert check_bias_drift(_analysis({"FT": None}), _analysis({"FT": 0.1})) == []
    assert check_bias_drift(_analysis({"FT": 0.4}), _analysis({"FT": None})) == []


def test_infinite_values_written_as_text_are_compared() -> None:
    violations = check_bias_drift(_analysis({"TE": "Infinity"}), _analysis({"TE": 0.5}))
    assert [v["metric_name"] for v in violations] == ["TE"]


def test_only_stages_present_in_both_documents_are_checked() -> None:
    current = _analysis({"CI": 0.9}, stage="pre_training_bias_metrics")
    assert check_bias_drift(current, _analysis({"CI": 0.1})) == []


def test_a_tolerance_lets_a_metric_drift_that_much_beyond_the_baseline() -> None:
    current, baseline = _analysis({"DPPL": -0.25}), _analysis({"DPPL": 0.2})
    assert check_bias_drift(current, baseline, tolerance=0.1) == []
    assert [v["metric_name"] for v in check_bias_drift(current, baseline, tolerance=0.01)] == ["DPPL"]
