"""Results files are recognised by their content and parsed into typed results, or rejected with the key."""

from __future__ import annotations

import json
import math
from pathlib import Path

import pytest
from report_trees import FIRST_HOUR, fixture, reference, summary

from pipelines.monitoring.bias.metrics import Stage
from pipelines.monitoring.model_quality.constraints import ComparisonOperator
from pipelines.monitoring.model_quality.statistics import ProblemType
from pipelines.monitoring.report.documents import (
    DocumentError,
    DocumentKind,
    document_kinds,
    monitor_of_violations,
    number,
    parse_bias_analysis,
    parse_data_quality_statistics,
    parse_explainability_analysis,
    parse_model_quality_constraints,
    parse_model_quality_statistics,
    parse_summary,
    parse_violations,
)
from pipelines.monitoring.report.results import MonitorType


def load(path: Path) -> object:
    return json.loads(path.read_text())


def test_sagemaker_data_quality_statistics_are_recognised_and_parsed() -> None:
    path = reference("sagemaker-sdk-quality-check", "data_quality", "statistics.json")
    document = load(path)
    assert document_kinds(document) == {DocumentKind.DATA_QUALITY_STATISTICS}
    statistics = parse_data_quality_statistics(document, str(path))
    assert statistics.item_count == 100
    assert [f.name for f in statistics.features] == ["_c0", "_c1", "_c2", "_c3", "_c4", "_c5"]
    first = statistics.features[0]
    assert (first.inferred_type, first.mean, first.minimum, first.maximum) == ("Fractional", 2.31, 1.0, 3.0)
    assert len(first.buckets) == 10
    assert (first.buckets[0].lower, first.buckets[0].upper, first.buckets[0].count) == (1.0, 1.2, 24.0)
    assert sum(b.count for b in first.buckets) == 100


def test_sagemaker_data_quality_constraints_are_recognised_as_constraints() -> None:
    document = load(
        reference("sagemaker-sdk-quality-check", "data_quality", "good_cases", "constraints.json")
    )
    assert document_kinds(document) == {DocumentKind.DATA_QUALITY_CONSTRAINTS}


def test_sagemaker_regression_statistics_keep_exact_values_and_nan_deviation() -> None:
    path = reference("sagemaker-sdk-quality-check", "model_quality", "statistics.json")
    document = load(path)
    assert document_kinds(document) == {DocumentKind.MODEL_QUALITY_STATISTICS}
    statistics = parse_model_quality_statistics(document, str(path))
    assert statistics.problem_type is ProblemType.REGRESSION
    assert statistics.metrics["mae"].value == 0.5040653554420981
    assert statistics.metrics["mae"].standard_deviation is None  # "NaN": not computed


def test_sagemaker_regression_constraints_keep_thresholds_and_operators() -> None:
    path = reference("sagemaker-sdk-quality-check", "model_quality", "good_cases", "constraints.json")
    constraints = parse_model_quality_constraints(load(path), str(path))
    assert constraints.constraints["r2"].threshold == -3.208758170289026
    assert constraints.constraints["r2"].comparison_operator is ComparisonOperator.LESS_THAN
    assert constraints.constraints["mae"].comparison_operator is ComparisonOperator.GREATER_THAN


def test_clarify_reference_analysis_is_a_bias_analysis_per_facet_value() -> None:
    path = reference("sagemaker-sdk-clarify-check", "analysis.json")
    document = load(path)
    assert document_kinds(document) == {DocumentKind.BIAS_ANALYSIS}
    analysis = parse_bias_analysis(document, str(path))
    assert analysis.label == "Label"
    assert analysis.label_value_or_threshold == "1"
    (group,) = analysis.groups
    assert (group.stage, group.facet, group.value_or_threshold) == (
        Stage.PRE_TRAINING,
        "F1",
        "(0.5, 0.9936148802477393]",
    )
    assert [m.name for m in group.metrics] == ["CDDL", "CI", "DPL", "JS", "KL", "KS", "LP", "TVD"]
    metric = group.metric("CI")
    assert metric is not None
    assert metric.value == -0.08


def test_documented_binary_metrics_keep_scalars_and_the_confusion_matrix() -> None:
    statistics = parse_model_quality_statistics(fixture("model_quality_statistics.json"), "s.json")
    assert statistics.problem_type is ProblemType.BINARY
    assert statistics.confusion_matrix == {"0": {"0": 1.0, "1": 2.0}, "1": {"0": 0.0, "1": 1.0}}
    assert statistics.metrics["f2"].value == 0.7142857142857143
    # Curves are not scalar metrics.
    assert "receiver_operating_characteristic_curve" not in statistics.metrics
    assert "confusion_matrix" not in statistics.metrics


def test_explanations_give_global_shap_values_per_label() -> None:
    document = fixture("explainability_analysis.json")
    document["explanations"]["pdp"] = [{"feature_name": "Quantity", "data_type": "numerical"}]
    assert document_kinds(document) == {DocumentKind.EXPLAINABILITY_ANALYSIS}
    (label,) = parse_explainability_analysis(document, "a.json").labels
    assert (label.method, label.label, label.expected_value) == ("kernel_shap", "label0", 0.09)
    assert label.global_shap_values["Payment Method"] == 0.26


def test_analysis_with_bias_and_explanations_is_both() -> None:
    document = {**fixture("bias_analysis.json"), **fixture("explainability_analysis.json")}
    assert document_kinds(document) == {DocumentKind.BIAS_ANALYSIS, DocumentKind.EXPLAINABILITY_ANALYSIS}


@pytest.mark.parametrize(
    ("name", "monitor"),
    [
        ("data_quality_violations.json", MonitorType.DATA_QUALITY),
        ("model_quality_violations.json", MonitorType.MODEL_QUALITY),
        ("bias_violations.json", MonitorType.MODEL_BIAS),
        ("explainability_violations.json", MonitorType.MODEL_EXPLAINABILITY),
    ],
)
def test_violations_tell_which_monitor_wrote_them(name: str, monitor: MonitorType) -> None:
    document = fixture(name)
    assert document_kinds(document) == {DocumentKind.VIOLATIONS}
    assert monitor_of_violations(parse_violations(document, name)) is monitor


def test_violation_subjects_name_feature_metric_facet_or_label() -> None:
    subjects = [
        v.subject
        for name in ("data_quality_violations.json", "bias_violations.json", "explainability_violations.json")
        for v in parse_violations(fixture(name), name)
    ]
    assert "Transaction Amount" in subjects
    assert "DPPL Customer Age=(40, 90]" in subjects
    assert "label0 (shap)" in subjects


def test_summary_gives_monitor_status_window_inputs_and_baseline() -> None:
    document = summary("DataQuality", FIRST_HOUR, "Completed", [], statistics="s3://b/base/statistics.json")
    parsed = parse_summary(document, "summary.json")
    assert parsed.monitor is MonitorType.DATA_QUALITY
    assert parsed.window is not None
    assert parsed.window[1] == FIRST_HOUR
    assert parsed.inputs["records"] == 480
    assert parsed.baseline == {"statistics": "s3://b/base/statistics.json"}


def test_summary_with_unknown_status_names_file_value_and_allowed_values() -> None:
    document = summary("DataQuality", FIRST_HOUR, "Done", [])
    with pytest.raises(DocumentError) as error:
        parse_summary(document, "x/summary.json")
    (problem,) = error.value.problems
    assert problem.startswith(
        "x/summary.json: status is 'Done', expected one of Completed, CompletedWithViolations"
    )


def test_bad_bucket_count_names_the_key_path_and_value() -> None:
    document = fixture("data_quality_statistics.json")
    document["features"][0]["numerical_statistics"]["distribution"]["kll"]["buckets"][2]["count"] = "many"
    with pytest.raises(DocumentError, match="many") as error:
        parse_data_quality_statistics(document, "s.json")
    assert "s.json: features[0].numerical_statistics.distribution.kll.buckets[2].count is 'many'" in str(
        error.value
    )


def test_bias_facets_of_the_wrong_type_name_the_key() -> None:
    document = fixture("bias_analysis.json")
    document["post_training_bias_metrics"]["facets"] = []
    with pytest.raises(
        DocumentError, match=r"a\.json: post_training_bias_metrics\.facets is list, expected an object"
    ):
        parse_bias_analysis(document, "a.json")


def test_unknown_comparison_operator_lists_the_allowed_ones() -> None:
    document = fixture("model_quality_constraints.json")
    document["binary_classification_constraints"]["recall"]["comparison_operator"] = "Below"
    with pytest.raises(
        DocumentError, match=r"recall\.comparison_operator is 'Below', expected one of GreaterThan"
    ):
        parse_model_quality_constraints(document, "c.json")


def test_non_finite_numbers_sagemaker_writes_as_strings() -> None:
    assert number("NaN") is None
    assert number("-Infinity") == -math.inf
    assert number(float("inf")) == math.inf
    with pytest.raises(DocumentError):
        number(True)


def test_unrecognised_documents_have_no_kind() -> None:
    assert document_kinds({"hello": 1}) == frozenset()
    assert document_kinds([1, 2]) == frozenset()
