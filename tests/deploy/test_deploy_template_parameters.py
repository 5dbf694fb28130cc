"""The template's Parameters are the single definition of what a stage config may hold."""

from __future__ import annotations

from pathlib import Path

import pytest
from registry_world import TEMPLATE

from pipelines.deploy.errors import TemplateError
from pipelines.deploy.template_parameters import ParameterType, load_template_parameters
from pipelines.monitors import MONITORS

SEED_PARAMETERS = {
    "SageMakerProjectName", "StageName", "ModelMonitorRoleArn", "EndpointName", "EnableDataQualityMonitor",
    "EnableModelQualityMonitor", "EnableModelBiasMonitor", "EnableModelExplainabilityMonitor",
    "MonitoringJobInstanceType", "MonitoringJobInstanceCount", "MonitoringJobInstanceVolumeSizeInGB",
    "DataQualityMaxRuntimeInSeconds", "ModelQualityMaxRuntimeInSeconds", "ModelBiasMaxRuntimeInSeconds",
    "ModelExplainabilityMaxRuntimeInSeconds", "KMSKeyArn", "DataQualityConstraintsS3Uri",
    "DataQualityStatisticsS3Uri", "ModelQualityConstraintsS3Uri", "ModelBiasConstraintsS3Uri",
    "ModelExplainabilityConstraintsS3Uri", "MonitoringScheduleName", "DataQualityMonitoringOutputS3Uri",
    "ModelQualityMonitoringOutputS3Uri", "ModelBiasMonitoringOutputS3Uri",
    "ModelExplainabilityMonitoringOutputS3Uri", "DataQualityScheduleExpression",
    "ModelQualityScheduleExpression",
    "ModelBiasScheduleExpression", "ModelExplainabilityScheduleExpression", "ModelBiasConfigS3Uri",
    "ModelExplainabilityConfigS3Uri", "ModelMonitorImageUri", "ClarifyImageUri", "GroundTruthInput",
    "ProblemType", "InferenceAttribute", "ProbabilityAttribute", "ProbabilityThresholdAttribute",
    "FeaturesAttribute",
}  # fmt: skip


@pytest.fixture(scope="module")
def template():
    return load_template_parameters(TEMPLATE)


def test_the_template_keeps_every_parameter_name_of_the_seed(template) -> None:
    assert set(template.names) >= SEED_PARAMETERS


def test_every_monitor_parameter_the_code_names_exists_in_the_template(template) -> None:
    for spec in MONITORS.values():
        names = [
            spec.enable_parameter,
            spec.schedule_parameter,
            spec.max_runtime_parameter,
            spec.output_parameter,
        ]
        assert set(names + list(spec.baseline_parameters)) <= set(template.names)


def test_short_form_tags_do_not_stop_the_parameters_from_loading(template) -> None:
    assert template["MonitoringJobInstanceCount"].type is ParameterType.NUMBER
    assert template["EnableDataQualityMonitor"].allowed_values == ("yes", "no")


def test_an_unknown_key_is_named_with_a_suggestion(template) -> None:
    problems = template.problems({"enabledataqualitymonitor": "yes"}, where="cfg.json")
    assert problems == [
        "cfg.json: unknown parameter 'enabledataqualitymonitor': did you mean 'EnableDataQualityMonitor'?"
    ]


def test_a_value_outside_allowed_values_lists_what_is_allowed(template) -> None:
    (problem,) = template.problems({"EnableModelBiasMonitor": "true"}, where="cfg.json")
    assert problem == "cfg.json: EnableModelBiasMonitor: 'true' is not allowed: expected one of 'yes', 'no'"


def test_allowed_pattern_must_match_the_whole_value(template) -> None:
    (problem,) = template.problems({"KMSKeyArn": "not-an-arn"}, where="cfg.json")
    assert "KMSKeyArn: 'not-an-arn' does not match the pattern" in problem


def test_lengths_and_number_ranges_are_checked(template) -> None:
    problems = template.problems(
        {
            "SageMakerProjectName": "p" * 33,
            "MonitoringJobInstanceCount": "0",
            "DataQualityMaxRuntimeInSeconds": "x",
        },
        where="cfg.json",
    )
    assert problems == [
        f"cfg.json: SageMakerProjectName: '{'p' * 33}' is 33 characters long: at most 32 allowed",
        "cfg.json: MonitoringJobInstanceCount: 0 is below the minimum 1",
        "cfg.json: DataQualityMaxRuntimeInSeconds: 'x' is not a number",
    ]


def test_a_complete_export_needs_every_parameter_without_default(template) -> None:
    problems = template.problems({}, where="export", complete=True)
    assert "export: EndpointName has no value and the template gives it no default" in problems
    assert not any("KMSKeyArn" in p for p in problems)


def test_a_missing_template_file_is_a_user_error(tmp_path: Path) -> None:
    with pytest.raises(TemplateError, match="no such template file"):
        load_template_parameters(tmp_path / "nope.yml")
