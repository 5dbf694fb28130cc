"""Stage configs: read, validated against the template and SageMaker's rules, every problem at once."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from registry_world import PROD_CONFIG, STAGING_CONFIG, TEMPLATE, edit_config

from pipelines.deploy.errors import ConfigError
from pipelines.deploy.stage_config import load_stage_configs, read_stage_config
from pipelines.deploy.template_parameters import load_template_parameters

TEMPLATE_PARAMETERS = load_template_parameters(TEMPLATE)


def problems_of(*paths: Path, project: str = "fraud") -> list[str]:
    with pytest.raises(ConfigError) as error:
        load_stage_configs(paths, TEMPLATE_PARAMETERS, project)
    return list(error.value.problems)


def test_the_shipped_stage_configs_are_valid() -> None:
    staging, prod = load_stage_configs([STAGING_CONFIG, PROD_CONFIG], TEMPLATE_PARAMETERS, "fraud")
    assert (staging.stage_name, prod.stage_name) == ("staging", "prod")


def test_a_missing_file_and_invalid_json_are_reported_together(tmp_path: Path) -> None:
    broken = tmp_path / "broken.json"
    broken.write_text('{"Parameters": {')
    problems = problems_of(tmp_path / "absent.json", broken)
    assert problems[0] == f"{tmp_path / 'absent.json'}: no such stage config file"
    assert problems[1].startswith(f"{broken}: not valid JSON (")


def test_a_utf8_config_with_or_without_a_byte_order_mark_is_read(tmp_path: Path) -> None:
    text = json.dumps({"Parameters": {"StageName": "prod", "ScheduleExpression": "cron(0 * ? * * *)"}})
    for name, data in (("plain.json", text.encode()), ("bom.json", b"\xef\xbb\xbf" + text.encode())):
        (tmp_path / name).write_bytes(data)
        config, problems = read_stage_config(tmp_path / name)
        assert problems == []
        assert config is not None
        assert config.stage_name == "prod"


@pytest.mark.parametrize(
    ("encoding", "named"),
    [("utf-16", "UTF-16 (little-endian)"), ("utf-32", "UTF-32 (little-endian)")],
)
def test_a_config_in_another_encoding_is_refused_in_one_line(
    tmp_path: Path, encoding: str, named: str
) -> None:
    path = tmp_path / "cfg.json"
    path.write_bytes(json.dumps({"Parameters": {"StageName": "prod"}}).encode(encoding))
    assert read_stage_config(path) == (
        None,
        [f"{path}: encoded as {named} (byte-order mark); save it as UTF-8"],
    )


def test_a_config_that_is_not_utf8_says_which_byte(tmp_path: Path) -> None:
    path = tmp_path / "cfg.json"
    path.write_bytes('{"Parameters": {"StageName": "caf\u00e9"}}'.encode("latin-1"))
    assert read_stage_config(path) == (
        None,
        [f"{path}: not UTF-8 text (byte 33 is b'\\xe9'); save it as UTF-8"],
    )


def test_numbers_instead_of_strings_are_refused_with_the_fix(tmp_path: Path) -> None:
    path = tmp_path / "cfg.json"
    path.write_text(json.dumps({"Parameters": {"StageName": "staging", "MonitoringJobInstanceCount": 1}}))
    _, problems = read_stage_config(path)
    assert problems == [
        f'{path}: Parameters.MonitoringJobInstanceCount is 1: values must be JSON strings, e.g. "1"'
    ]


def test_a_config_without_stage_name_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "cfg.json"
    path.write_text(json.dumps({"Parameters": {}, "Tag": {}}))
    _, problems = read_stage_config(path)
    assert problems == [
        f"{path}: unknown top-level key 'Tag': expected only 'Parameters' and 'Tags'",
        f'{path}: Parameters.StageName is missing: name the stage, e.g. "staging"',
    ]


def test_every_problem_of_a_config_names_the_file_key_value_and_what_is_allowed(configs) -> None:
    edit_config(
        configs["staging"],
        MonitoringBackend="ModelMonitor",
        EnableDataQualityMonitor="Yes",
        ModelQualityScheduleExpression="cron(30 * ? * * *)",
        ModelBiasMaxRuntimeInSeconds="3600",
        EndpointName="mine",
    )
    where = str(configs["staging"])
    problems = problems_of(configs["staging"])
    assert problems[0] == (
        f"{where}: EndpointName is set by get_baselines_and_configs.py (from --sagemaker-project-name and "
        "StageName); remove it from the stage config"
    )
    assert f"{where}: EnableDataQualityMonitor: 'Yes' is not allowed: expected one of 'yes', 'no'" in problems
    assert any(
        p.startswith(
            f"{where}: ModelQualityScheduleExpression: 'cron(30 * ? * * *)' is not a monitoring schedule"
        )
        for p in problems
    )
    assert (
        f"{where}: ModelBiasMaxRuntimeInSeconds: 3600 s is too long for a ModelBias monitor that runs every "
        "hour: at most 1800 s (the merge and analysis jobs share one execution)"
    ) in problems


def test_an_explicitly_empty_ground_truth_input_is_refused_when_model_quality_is_on(configs) -> None:
    edit_config(configs["prod"], GroundTruthInput="", EnableModelBiasMonitor="no")
    (problem,) = problems_of(configs["prod"])
    assert problem.startswith(
        f'{configs["prod"]}: GroundTruthInput is empty but EnableModelQualityMonitor is "yes"'
    )


def test_half_of_a_baseline_pair_is_refused(configs) -> None:
    edit_config(configs["staging"], DataQualityConstraintsS3Uri="s3://bucket/constraints.json")
    (problem,) = problems_of(configs["staging"])
    assert "DataQualityConstraintsS3Uri is set but DataQualityStatisticsS3Uri is not" in problem


def test_a_baseline_uri_that_is_not_s3_is_refused(configs) -> None:
    edit_config(
        configs["staging"],
        ModelQualityConstraintsS3Uri="https://bucket/constraints.json",
    )
    problems = problems_of(configs["staging"])
    assert any(
        "ModelQualityConstraintsS3Uri 'https://bucket/constraints.json' is not an S3 URI" in p
        for p in problems
    )


def test_a_project_name_that_makes_schedule_names_too_long_is_refused(configs) -> None:
    problems = problems_of(configs["staging"], project="p" * 40)
    assert any("ModelExplainability schedule name" in p and "at most 63" in p for p in problems)


def test_an_empty_ground_truth_window_is_refused(configs) -> None:
    edit_config(configs["staging"], GroundTruthStartTimeOffset="-PT1H", GroundTruthEndTimeOffset="-PT2H")
    (problem,) = problems_of(configs["staging"])
    assert (
        "GroundTruthStartTimeOffset/GroundTruthEndTimeOffset: the window from -PT1H to -PT2H is empty"
        in problem
    )


def test_two_configs_for_the_same_stage_are_refused(configs) -> None:
    edit_config(configs["prod"], StageName="staging")
    (problem,) = problems_of(configs["staging"], configs["prod"])
    assert "StageName 'staging' is also the stage of" in problem


def test_two_instances_with_the_local_engine_are_refused_in_one_line_naming_file_key_value(configs) -> None:
    edit_config(configs["prod"], MonitoringJobInstanceCount="2", MonitoringEngine="local")
    where = str(configs["prod"])
    assert problems_of(configs["prod"]) == [
        f"{where}: MonitoringJobInstanceCount is '2': with MonitoringEngine 'local' the Processing backend "
        'runs the monitors on one instance: set it to "1", or set MonitoringEngine to "spark" to run them on '
        "a Spark cluster of that many instances"
    ]


def test_an_engine_the_template_does_not_offer_is_refused_with_the_allowed_ones(configs) -> None:
    edit_config(configs["prod"], MonitoringEngine="dask")
    assert problems_of(configs["prod"]) == [
        f"{configs['prod']}: MonitoringEngine: 'dask' is not allowed: expected one of 'local', 'spark'"
    ]


def test_the_spark_engine_on_model_monitor_is_refused_naming_the_backend(configs) -> None:
    edit_config(configs["prod"], MonitoringBackend="ModelMonitor", MonitoringEngine="spark")
    (problem,) = [p for p in problems_of(configs["prod"]) if "MonitoringEngine" in p]
    assert problem.startswith(f"{configs['prod']}: MonitoringEngine is 'spark': only the Processing backend")
