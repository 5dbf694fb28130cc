"""Model-quality constraints: suggested like the analyzer, checked with Model Monitor's operators."""

from __future__ import annotations

import json

import pytest
from paths import SAGEMAKER_REFERENCE

from pipelines.monitoring.model_quality import ConstraintsError, check_constraints, suggest_constraints

REFERENCE = SAGEMAKER_REFERENCE / "sagemaker-sdk-quality-check" / "model_quality"


def _binary_statistics(**values: float) -> dict:
    return {
        "version": 0.0,
        "dataset": {"item_count": 10},
        "binary_classification_metrics": {
            name: {"value": value, "standard_deviation": "NaN"} for name, value in values.items()
        },
    }


def _constraint(name: str, threshold: float, operator: str) -> dict:
    return {
        "version": 0.0,
        "binary_classification_constraints": {
            name: {"threshold": threshold, "comparison_operator": operator}
        },
    }


def test_suggested_regression_constraints_equal_the_analyzer_reference() -> None:
    statistics = json.loads((REFERENCE / "statistics.json").read_text())
    expected = json.loads((REFERENCE / "good_cases" / "constraints.json").read_text())
    assert suggest_constraints(statistics) == expected


def test_suggested_binary_constraints_guard_rates_from_rising_and_scores_from_falling() -> None:
    constraints = suggest_constraints(_binary_statistics(auc=0.9, false_positive_rate=0.1, f1=0.7))
    assert constraints["binary_classification_constraints"] == {
        "false_positive_rate": {"threshold": 0.1, "comparison_operator": "GreaterThanThreshold"},
        "auc": {"threshold": 0.9, "comparison_operator": "LessThanThreshold"},
        "f1": {"threshold": 0.7, "comparison_operator": "LessThanThreshold"},
    }


def test_slack_moves_each_threshold_in_the_tolerant_direction() -> None:
    constraints = suggest_constraints(_binary_statistics(auc=0.9, false_positive_rate=0.1), slack=0.05)
    section = constraints["binary_classification_constraints"]
    assert section["auc"]["threshold"] == pytest.approx(0.85)
    assert section["false_positive_rate"]["threshold"] == pytest.approx(0.15)


def test_a_metric_below_a_less_than_threshold_is_a_violation_in_model_monitor_wording() -> None:
    violations = check_constraints(_binary_statistics(auc=0.7), _constraint("auc", 0.9, "LessThanThreshold"))
    assert violations == [
        {
            "constraint_check_type": "LessThanThreshold",
            "description": "Metric auc with 0.7 was LessThanThreshold 0.9",
            "metric_name": "auc",
        }
    ]


def test_a_metric_equal_to_its_threshold_is_not_a_violation() -> None:
    assert check_constraints(_binary_statistics(auc=0.9), _constraint("auc", 0.9, "LessThanThreshold")) == []


def test_or_equal_operators_include_the_threshold() -> None:
    violations = check_constraints(
        _binary_statistics(auc=0.9), _constraint("auc", 0.9, "LessThanOrEqualToThreshold")
    )
    assert [v["metric_name"] for v in violations] == ["auc"]


def test_an_error_rate_above_a_greater_than_threshold_is_a_violation() -> None:
    statistics = _binary_statistics(false_positive_rate=0.3)
    violations = check_constraints(
        statistics, _constraint("false_positive_rate", 0.1, "GreaterThanThreshold")
    )
    assert [v["constraint_check_type"] for v in violations] == ["GreaterThanThreshold"]


def test_an_undefined_metric_never_violates() -> None:
    statistics = _binary_statistics(auc=float("nan"))
    assert check_constraints(statistics, _constraint("auc", 0.9, "LessThanThreshold")) == []


def test_constraints_for_another_problem_type_are_rejected() -> None:
    regression = json.loads((REFERENCE / "good_cases" / "constraints.json").read_text())
    with pytest.raises(
        ConstraintsError, match="constraints are for Regression but the statistics are for Binary"
    ):
        check_constraints(_binary_statistics(auc=0.9), regression)


def test_every_bad_constraint_is_reported_on_its_own_line() -> None:
    constraints = {
        "binary_classification_constraints": {
            "auc": {"threshold": 0.9, "comparison_operator": "Below"},
            "f1": {"threshold": "high", "comparison_operator": "LessThanThreshold"},
            "weighted_f1": {"threshold": 0.5, "comparison_operator": "LessThanThreshold"},
        }
    }
    with pytest.raises(ConstraintsError) as caught:
        check_constraints(_binary_statistics(auc=0.9, f1=0.5), constraints)
    assert len(caught.value.problems) == 3
    assert "auc.comparison_operator is 'Below'; allowed: GreaterThanThreshold" in caught.value.problems[0]
    assert "f1.threshold is 'high', expected a number" in caught.value.problems[1]
    assert "'weighted_f1' is not computed for BinaryClassification" in caught.value.problems[2]
