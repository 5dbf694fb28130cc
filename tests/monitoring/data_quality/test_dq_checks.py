"""Each data-quality check: the violation it reports, the case it accepts, and the options it honours."""

from __future__ import annotations

import copy
import json
from typing import Any

import numpy as np
import polars as pl
import pytest

from pipelines.monitoring.data_quality import (
    DATASET_CHECKS,
    FEATURE_CHECKS,
    CheckType,
    ConstraintsFormatError,
    DatasetProfile,
    StatisticsFormatError,
    baseline_files,
    check_data_quality,
    read_constraints,
    read_statistics,
)
from pipelines.monitoring.data_quality.types import InferredType
from pipelines.monitoring.java_double import java_double_string

N = 2000


def _baseline_frame() -> pl.DataFrame:
    rng = np.random.default_rng(1)
    return pl.DataFrame(
        {
            "amount": [f"{v:.2f}" for v in rng.lognormal(3, 0.5, N)],
            "quantity": [str(v) for v in rng.integers(1, 6, N)],
            "method": rng.choice(["card", "cash", "paypal"], N, p=[0.5, 0.3, 0.2]).tolist(),
        }
    )


@pytest.fixture(scope="module")
def baseline() -> tuple[dict[str, Any], dict[str, Any]]:
    files = baseline_files(DatasetProfile.of([_baseline_frame()]))
    return json.loads(json.dumps(files.statistics)), json.loads(json.dumps(files.constraints))


def _check(
    frame: pl.DataFrame,
    baseline: tuple[dict[str, Any], dict[str, Any]],
    constraints: dict[str, Any] | None = None,
):
    statistics, suggested = baseline
    return check_data_quality(DatasetProfile.of([frame]), statistics, constraints or suggested)


def _of_type(result: Any, check: CheckType) -> list[Any]:
    return [v for v in result.violations if v.constraint_check_type is check]


def _current(n: int = N, seed: int = 2) -> pl.DataFrame:
    rng = np.random.default_rng(seed)
    return pl.DataFrame(
        {
            "amount": [f"{v:.2f}" for v in rng.lognormal(3, 0.5, n)],
            "quantity": [str(v) for v in rng.integers(1, 6, n)],
            "method": rng.choice(["card", "cash", "paypal"], n, p=[0.5, 0.3, 0.2]).tolist(),
        }
    )


def _override(constraints: dict[str, Any], feature: str, overrides: dict[str, Any]) -> dict[str, Any]:
    changed = copy.deepcopy(constraints)
    next(f for f in changed["features"] if f["name"] == feature)["monitoringConfigOverrides"] = overrides
    return changed


def test_data_from_the_baseline_distribution_has_no_violations(baseline) -> None:
    assert _check(_current(), baseline).violations == []


def test_the_suggested_constraints_describe_the_baseline(baseline) -> None:
    features = {f["name"]: f for f in baseline[1]["features"]}
    assert features["quantity"]["inferred_type"] == "Integral"
    assert features["amount"]["inferred_type"] == "Fractional"
    assert features["amount"]["num_constraints"] == {"is_non_negative": True}
    assert features["method"]["string_constraints"] == {"domains": ["card", "cash", "paypal"]}


# --- data_type_check ---------------------------------------------------------------------------------------
def test_data_type_check_reports_the_share_of_matching_values_like_the_analyzer(baseline) -> None:
    current = _current(1000).with_columns(
        pl.when(pl.int_range(pl.len()) < 27)
        .then(pl.lit("n/a"))
        .otherwise(pl.col("quantity"))
        .alias("quantity")
    )
    (violation,) = _of_type(_check(current, baseline), CheckType.DATA_TYPE)
    assert violation.feature_name == "quantity"
    assert violation.description == (
        "Data type match requirement is not met. Expected data type: Integral, Expected match: 100.0%. "
        f"Observed: Only {973 / 1000 * 100!r}% of data is Integral."
    )


def test_data_type_check_accepts_mismatches_within_the_threshold(baseline) -> None:
    current = _current(1000).with_columns(
        pl.when(pl.int_range(pl.len()) < 27)
        .then(pl.lit("n/a"))
        .otherwise(pl.col("quantity"))
        .alias("quantity")
    )
    constraints = copy.deepcopy(baseline[1])
    constraints["monitoring_config"]["datatype_check_threshold"] = 0.9
    assert _of_type(_check(current, baseline, constraints), CheckType.DATA_TYPE) == []


def test_fractional_values_in_an_integral_column_do_not_match() -> None:
    files = baseline_files(DatasetProfile.of([pl.DataFrame({"q": ["1", "2", "3", "4"]})]))
    result = check_data_quality(
        DatasetProfile.of([pl.DataFrame({"q": ["1.5", "2"]})]), files.statistics, files.constraints
    )
    (violation,) = _of_type(result, CheckType.DATA_TYPE)
    assert violation.description.endswith("Observed: Only 50.0% of data is Integral.")


# --- completeness_check ------------------------------------------------------------------------------------
def test_completeness_check_reports_missing_values(baseline) -> None:
    current = _current(1000).with_columns(
        pl.when(pl.int_range(pl.len()) < 100).then(None).otherwise(pl.col("method")).alias("method")
    )
    (violation,) = _of_type(_check(current, baseline), CheckType.COMPLETENESS)
    assert violation.feature_name == "method"
    # Deequ's message with the analyzer's empty hint: the observed completeness, then "! "
    assert violation.description == "Value: 0.9 does not meet the constraint requirement! "


def test_completeness_check_accepts_the_baseline_completeness(baseline) -> None:
    constraints = copy.deepcopy(baseline[1])
    next(f for f in constraints["features"] if f["name"] == "method")["completeness"] = 0.85
    current = _current(1000).with_columns(
        pl.when(pl.int_range(pl.len()) < 100).then(None).otherwise(pl.col("method")).alias("method")
    )
    assert _of_type(_check(current, baseline, constraints), CheckType.COMPLETENESS) == []


# --- baseline_drift_check ----------------------------------------------------------------------------------
def test_baseline_drift_check_flags_a_shifted_numeric_distribution(baseline) -> None:
    current = _current().with_columns(
        (pl.col("amount").cast(pl.Float64) * 1.5).cast(pl.String).alias("amount")
    )
    result = _check(current, baseline)
    (violation,) = _of_type(result, CheckType.BASELINE_DRIFT)
    assert violation.feature_name == "amount"
    distance = result.drift["amount"].distance
    assert violation.description == (
        f"Baseline drift distance: {java_double_string(distance)} exceeds threshold: 0.1"
    )


def test_baseline_drift_check_flags_changed_category_shares(baseline) -> None:
    current = _current().with_columns(
        pl.Series("method", np.random.default_rng(5).choice(["card", "cash", "paypal"], N, p=[0.2, 0.3, 0.5]))
    )
    (violation,) = _of_type(_check(current, baseline), CheckType.BASELINE_DRIFT)
    assert violation.feature_name == "method"
    assert _check(current, baseline).drift["method"].distance == pytest.approx(0.3, abs=0.05)


def test_robust_comparison_does_not_flag_a_small_sample_that_simple_flags(baseline) -> None:
    small = _current(20, seed=9)
    simple = copy.deepcopy(baseline[1])
    simple["monitoring_config"]["distribution_constraints"]["comparison_method"] = "Simple"
    simple_result = _check(small, baseline, simple)
    robust_result = _check(small, baseline)
    noisy = [name for name, m in simple_result.drift.items() if m.distance > 0.1]
    assert noisy, "a 20-record sample always strays more than 0.1 from its baseline somewhere"
    assert {v.feature_name for v in _of_type(simple_result, CheckType.BASELINE_DRIFT)} == set(noisy)
    assert _of_type(robust_result, CheckType.BASELINE_DRIFT) == []
    assert all(m.effective_threshold > 0.25 for m in robust_result.drift.values())


def test_robust_comparison_equals_simple_on_large_samples(baseline) -> None:
    current = _current().with_columns(
        (pl.col("amount").cast(pl.Float64) * 1.5).cast(pl.String).alias("amount")
    )
    simple = copy.deepcopy(baseline[1])
    simple["monitoring_config"]["distribution_constraints"]["comparison_method"] = "Simple"
    assert _check(current, baseline, simple).violations == _check(current, baseline).violations


def test_chi_squared_method_flags_changed_category_shares(baseline) -> None:
    current = _current().with_columns(
        pl.Series("method", np.random.default_rng(5).choice(["card", "cash", "paypal"], N, p=[0.4, 0.3, 0.3]))
    )
    constraints = _override(
        baseline[1],
        "method",
        {
            "distribution_constraints": {
                "categorical_drift_method": "ChiSquared",
                "categorical_comparison_threshold": 0.05,
            }
        },
    )
    (violation,) = _of_type(_check(current, baseline, constraints), CheckType.BASELINE_DRIFT)
    assert violation.description.startswith("Baseline drift p-value: ")


def test_drift_comparison_can_be_disabled_per_feature(baseline) -> None:
    current = _current().with_columns(
        (pl.col("amount").cast(pl.Float64) * 1.5).cast(pl.String).alias("amount")
    )
    constraints = _override(
        baseline[1], "amount", {"distribution_constraints": {"perform_comparison": "Disabled"}}
    )
    assert _of_type(_check(current, baseline, constraints), CheckType.BASELINE_DRIFT) == []


def test_a_per_feature_threshold_override_applies_to_that_feature_only(baseline) -> None:
    current = _current().with_columns(
        (pl.col("amount").cast(pl.Float64) * 1.5).cast(pl.String).alias("amount")
    )
    constraints = _override(
        baseline[1], "amount", {"distribution_constraints": {"comparison_threshold": 0.9}}
    )
    assert _of_type(_check(current, baseline, constraints), CheckType.BASELINE_DRIFT) == []


# --- categorical_values_check ------------------------------------------------------------------------------
def test_categorical_values_check_reports_values_outside_the_domain(baseline) -> None:
    current = _current(1000).with_columns(
        pl.when(pl.int_range(pl.len()) < 50)
        .then(pl.lit("crypto"))
        .otherwise(pl.col("method"))
        .alias("method")
    )
    (violation,) = _of_type(_check(current, baseline), CheckType.CATEGORICAL_VALUES)
    assert violation.feature_name == "method"
    # Deequ's isContainedIn compliance: 950 of 1000 records inside the domain
    assert violation.description == "Value: 0.95 does not meet the constraint requirement! "


def test_categorical_values_check_counts_missing_records_as_compliant_like_deequ(baseline) -> None:
    row = pl.int_range(pl.len())
    current = _current(1000).with_columns(
        pl.when(row < 50)
        .then(pl.lit("crypto"))
        .when(row < 150)
        .then(None)
        .otherwise(pl.col("method"))
        .alias("method")
    )
    constraints = _override(baseline[1], "method", {"domain_content_threshold": 0.96})
    (violation,) = _of_type(_check(current, baseline, constraints), CheckType.CATEGORICAL_VALUES)
    # (100 missing + 850 inside) / 1000 records, not 850 / 900 present values
    assert violation.description == "Value: 0.95 does not meet the constraint requirement! "


def test_domain_content_threshold_tolerates_some_unknown_values(baseline) -> None:
    current = _current(1000).with_columns(
        pl.when(pl.int_range(pl.len()) < 50)
        .then(pl.lit("crypto"))
        .otherwise(pl.col("method"))
        .alias("method")
    )
    constraints = _override(baseline[1], "method", {"domain_content_threshold": 0.9})
    assert _of_type(_check(current, baseline, constraints), CheckType.CATEGORICAL_VALUES) == []


# --- missing_column_check / extra_column_check -------------------------------------------------------------
def test_missing_column_check_names_each_missing_column(baseline) -> None:
    (violation,) = _of_type(_check(_current().drop("quantity"), baseline), CheckType.MISSING_COLUMN)
    assert violation.feature_name == "quantity"


def test_extra_column_check_names_each_extra_column(baseline) -> None:
    current = _current().with_columns(pl.lit("x").alias("note"))
    (violation,) = _of_type(_check(current, baseline), CheckType.EXTRA_COLUMN)
    assert violation.feature_name == "note"


def test_a_renamed_column_is_named_on_both_sides_in_both_descriptions(baseline) -> None:
    current = _current().rename({"quantity": "qty"})
    violations = _check(current, baseline)
    (missing,) = _of_type(violations, CheckType.MISSING_COLUMN)
    (extra,) = _of_type(violations, CheckType.EXTRA_COLUMN)
    differences = (
        "Baseline columns missing from current dataset: quantity; current columns not in baseline "
        "constraints: qty."
    )
    assert missing.description == (
        "There are missing columns in current dataset. Number of columns in current dataset: 3, Number of "
        f"columns in baseline constraints: 3. Missing column: quantity. {differences}"
    )
    assert extra.description.endswith(f"Extra column: qty. {differences}")


def test_header_less_current_columns_take_the_baseline_names_by_position(baseline) -> None:
    current = _current().rename({"amount": "_c0", "quantity": "_c1", "method": "_c2"})
    result = _check(current, baseline)
    assert result.violations == []
    assert [f["name"] for f in result.statistics["features"]] == ["amount", "quantity", "method"]


# --- monitoring_config -------------------------------------------------------------------------------------
def test_evaluate_constraints_disabled_reports_nothing(baseline) -> None:
    constraints = copy.deepcopy(baseline[1])
    constraints["monitoring_config"]["evaluate_constraints"] = "Disabled"
    assert _check(_current().drop("quantity"), baseline, constraints).violations == []


def test_invalid_options_are_reported_with_their_key_path(baseline) -> None:
    constraints = copy.deepcopy(baseline[1])
    constraints["monitoring_config"]["distribution_constraints"]["comparison_method"] = "Fancy"
    constraints["features"][0]["monitoringConfigOverrides"] = {"datatype_check_threshold": 2}
    with pytest.raises(ConstraintsFormatError) as error:
        read_constraints(constraints, where="s3://b/constraints.json")
    assert error.value.problems == (
        "s3://b/constraints.json: monitoring_config.distribution_constraints.comparison_method is 'Fancy', "
        "expected one of 'Simple', 'Robust'",
        "s3://b/constraints.json: features[0] ('amount'): monitoringConfigOverrides.datatype_check_threshold "
        "is 2, expected a number between 0 and 1",
    )


def test_a_malformed_statistics_file_is_reported_with_its_key_path() -> None:
    with pytest.raises(StatisticsFormatError) as error:
        read_statistics(
            {"dataset": {"item_count": 3}, "features": [{"name": "a", "inferred_type": "Number"}]}
        )
    assert error.value.problems == (
        "statistics.json: features[0] ('a'): inferred_type 'Number' is not one of "
        "Integral, Fractional, String, Unknown",
    )


def test_malformed_newer_analyzer_fields_are_reported_with_their_key_path() -> None:
    feature = {
        "name": "a",
        "inferred_type": "Integral",
        "numerical_statistics": {
            "common": {"num_present": 3, "num_missing": 0, "completeness": 1.5},
            "approximate_num_distinct_values": "three",
        },
    }
    with pytest.raises(StatisticsFormatError) as error:
        read_statistics({"dataset": {"item_count": 3}, "features": [feature]})
    assert error.value.problems == (
        "statistics.json: features[0] ('a').numerical_statistics: common.completeness is 1.5, "
        "expected a number between 0 and 1",
        "statistics.json: features[0] ('a').numerical_statistics: approximate_num_distinct_values is "
        "'three', expected a non-negative number",
    )


# --- the registry ------------------------------------------------------------------------------------------
def test_every_documented_check_is_registered_with_its_metadata() -> None:
    assert set(FEATURE_CHECKS) | set(DATASET_CHECKS) == set(CheckType)
    assert FEATURE_CHECKS[CheckType.CATEGORICAL_VALUES].applies_to == frozenset({InferredType.STRING})
    assert "comparison_method" in FEATURE_CHECKS[CheckType.BASELINE_DRIFT].parameters
