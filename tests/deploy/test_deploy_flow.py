"""The whole flow in moto: per-stage packages, baselines, derived files, exports, dry run, reruns."""

from __future__ import annotations

import json
import logging
from pathlib import Path

import pytest
from registry_world import (
    BASELINE_BUCKET,
    IMAGES,
    OUTPUT_BUCKET,
    World,
    drift_check_baselines,
    edit_config,
    make_options,
)

from pipelines.deploy.baselines import BaselineSource
from pipelines.deploy.errors import BaselineError, ConfigError
from pipelines.deploy.flow import StageRequest, deploy, stack_tags_from_project, stage_tags
from pipelines.deploy.stage_config import read_stage_config
from pipelines.errors import StorageError
from pipelines.monitors import MonitorType
from pipelines.sandbox.world import PackageReference


def run(aws, configs, tmp_path, **overrides):
    return deploy(make_options(configs, tmp_path, **overrides), aws, IMAGES)


def exported(tmp_path: Path, stage: str) -> dict:
    return json.loads((tmp_path / "out" / f"{stage}-export.json").read_text())


def read_s3_json(world: World, uri: str) -> dict:
    bucket, _, key = uri[len("s3://") :].partition("/")
    return json.loads(world.s3.get_object(Bucket=bucket, Key=key)["Body"].read())


def test_prod_uses_its_own_package_baselines(aws, world, configs, tmp_path) -> None:
    run(aws, configs, tmp_path)
    staging, prod = exported(tmp_path, "staging")["Parameters"], exported(tmp_path, "prod")["Parameters"]
    assert staging["DataQualityStatisticsS3Uri"] == f"s3://{BASELINE_BUCKET}/v2/data_quality/statistics.json"
    assert prod["DataQualityStatisticsS3Uri"] == f"s3://{BASELINE_BUCKET}/v1/data_quality/statistics.json"
    assert prod["ModelQualityConstraintsS3Uri"] == f"s3://{BASELINE_BUCKET}/v1/model_quality/constraints.json"
    assert prod["EndpointName"] == prod["MonitoringScheduleName"] == "fraud-prod"


def test_each_stage_explainability_config_names_the_model_on_that_stage(
    aws, world, configs, tmp_path
) -> None:
    run(aws, configs, tmp_path)
    for stage, model in (("staging", "fraud-staging-model-v2"), ("prod", "fraud-prod-model-v1")):
        uri = exported(tmp_path, stage)["Parameters"]["ModelExplainabilityConfigS3Uri"]
        assert uri.startswith(f"s3://{OUTPUT_BUCKET}/monitoring-baselines/")
        assert read_s3_json(world, uri)["predictor"]["model_name"] == model


def test_bias_constraints_are_merged_and_written_to_the_outputs_bucket(aws, world, configs, tmp_path) -> None:
    before_baselines = world.object_keys()[BASELINE_BUCKET]
    run(aws, configs, tmp_path)
    parameters = exported(tmp_path, "prod")["Parameters"]
    constraints = read_s3_json(world, parameters["ModelBiasConstraintsS3Uri"])
    assert (
        constraints["pre_training_bias_metrics"] == constraints["post_training_bias_metrics"] == {"v": "v1"}
    )
    # Not next to the package's baselines (another team's bucket, possibly): in the deployment's own bucket.
    assert parameters["ModelBiasConstraintsS3Uri"].startswith(f"s3://{OUTPUT_BUCKET}/monitoring-baselines/")
    assert world.object_keys()[BASELINE_BUCKET] == before_baselines
    assert "predictor" not in read_s3_json(world, parameters["ModelBiasConfigS3Uri"])


def test_exports_come_in_the_codepipeline_form_and_as_cli_lists(aws, world, configs, tmp_path) -> None:
    run(aws, configs, tmp_path)
    document = exported(tmp_path, "staging")
    assert set(document) == {"Parameters", "Tags"}
    assert document["Tags"] == {
        "sagemaker:deployment-stage": "staging",
        "sagemaker:project-id": "p-abc123",
        "sagemaker:project-name": "fraud",
    }
    overrides = json.loads((tmp_path / "out" / "staging-export.parameter-overrides.json").read_text())
    assert overrides == [f"{k}={v}" for k, v in sorted(document["Parameters"].items())]
    tags = json.loads((tmp_path / "out" / "staging-export.tags.json").read_text())
    assert "sagemaker:project-name=fraud" in tags


def test_the_data_quality_monitor_gets_the_record_preprocessor(aws, world, configs, tmp_path) -> None:
    run(aws, configs, tmp_path)
    uri = exported(tmp_path, "prod")["Parameters"]["DataQualityRecordPreprocessorS3Uri"]
    assert uri.startswith(f"s3://{OUTPUT_BUCKET}/monitoring-code/record-preprocessor-")
    assert uri.endswith(".py")
    bucket, _, key = uri[len("s3://") :].partition("/")
    assert b"def preprocess_handler(" in world.s3.get_object(Bucket=bucket, Key=key)["Body"].read()


def test_a_missing_baseline_switches_only_that_monitor_off_with_a_warning(
    aws, world, configs, tmp_path, caplog
) -> None:
    dcb = drift_check_baselines("v3")
    del dcb["Bias"]
    world.upload_baselines("v3")
    world.register("v3", drift_check=dcb)
    world.sagemaker.delete_endpoint(EndpointName="fraud-prod")
    world.deploy("prod", "v3", reference=PackageReference.TAG)
    with caplog.at_level(logging.WARNING):
        result = run(aws, configs, tmp_path)
    prod = exported(tmp_path, "prod")["Parameters"]
    assert prod["EnableModelBiasMonitor"] == "no"
    assert prod["ModelBiasConstraintsS3Uri"] == prod["ModelBiasConfigS3Uri"] == ""
    assert prod["EnableModelQualityMonitor"] == "yes"
    assert exported(tmp_path, "staging")["Parameters"]["EnableModelBiasMonitor"] == "yes"
    expected = (
        f"stage prod: ModelBias monitor of stage prod switched off: model package {world.packages['v3']}: "
        "no DriftCheckBaselines.Bias; ModelMetrics holds no ModelBias constraints"
    )
    assert expected in [r.getMessage() for r in caplog.records]
    assert result.plans[1].monitor(MonitorType.MODEL_BIAS).switched_off


def test_strict_turns_a_missing_baseline_into_an_error_and_writes_nothing(
    aws, world, configs, tmp_path
) -> None:
    world.register("v3", drift_check={})
    world.sagemaker.delete_endpoint(EndpointName="fraud-prod")
    world.deploy("prod", "v3", reference=PackageReference.CONTAINER)
    before = world.object_keys()
    with pytest.raises(BaselineError) as error:
        run(aws, configs, tmp_path, strict=True)
    assert len(error.value.problems) == 4
    assert all(
        p.startswith("--strict: ") and "monitor of stage prod cannot run: model package" in p
        for p in error.value.problems
    )
    assert world.object_keys() == before
    assert not (tmp_path / "out").exists()


def test_without_an_endpoint_explainability_is_off_for_lack_of_a_model(aws, world, configs, tmp_path) -> None:
    world.sagemaker.delete_endpoint(EndpointName="fraud-prod")
    result = run(aws, configs, tmp_path)
    prod = result.plans[1]
    assert prod.package.package_arn == world.packages["v2"]  # the newest Approved
    assert not prod.monitor(MonitorType.MODEL_EXPLAINABILITY).enabled
    assert prod.monitor(MonitorType.DATA_QUALITY).enabled
    assert "endpoint fraud-prod does not exist yet: its data capture could not be checked" in prod.warnings


def test_baselines_given_in_the_stage_config_are_used_as_they_are(aws, world, configs, tmp_path) -> None:
    world.s3.create_bucket(Bucket="mine")
    for name in ("constraints.json", "analysis_config.json"):
        world.s3.put_object(Bucket="mine", Key=f"explainability/{name}", Body=b"{}")
    edit_config(
        configs["prod"],
        ModelExplainabilityConstraintsS3Uri="s3://mine/explainability/constraints.json",
        ModelExplainabilityConfigS3Uri="s3://mine/explainability/analysis_config.json",
    )
    result = run(aws, configs, tmp_path)
    prod = result.plans[1]
    assert prod.monitor(MonitorType.MODEL_EXPLAINABILITY).baseline_source is BaselineSource.STAGE_CONFIG
    assert (
        prod.parameters["ModelExplainabilityConfigS3Uri"] == "s3://mine/explainability/analysis_config.json"
    )
    assert not any("/v1/explainability/" in write.location for write in prod.writes)


def test_dry_run_leaves_s3_untouched_and_writes_no_export(aws, world, configs, tmp_path) -> None:
    before = world.object_keys()
    options = make_options(
        configs,
        tmp_path,
        dry_run=True,
        stages=(StageRequest(str(configs["staging"]), None), StageRequest(str(configs["prod"]), None)),
    )
    result = deploy(options, aws, IMAGES)
    assert result.written == []
    assert world.object_keys() == before
    assert not (tmp_path / "out").exists()
    assert result.plans[0].writes  # the plan still says what a real run would write


def test_dry_run_writes_an_export_only_when_asked(aws, world, configs, tmp_path) -> None:
    before = world.object_keys()
    export = tmp_path / "asked.json"
    options = make_options(
        configs,
        tmp_path,
        dry_run=True,
        stages=(StageRequest(str(configs["staging"]), str(export)), StageRequest(str(configs["prod"]), None)),
    )
    deploy(options, aws, IMAGES)
    assert world.object_keys() == before
    assert sorted(p.name for p in tmp_path.glob("*export*")) == []
    assert sorted(p.name for p in tmp_path.glob("asked*")) == [
        "asked.json", "asked.parameter-overrides.json", "asked.tags.json",
    ]  # fmt: skip


def test_a_rerun_with_the_same_inputs_writes_no_new_object(aws, world, configs, tmp_path) -> None:
    first = run(aws, configs, tmp_path)
    keys_after_first = world.object_keys()
    second = run(aws, configs, tmp_path)
    assert world.object_keys() == keys_after_first
    assert [w for w in second.written if w.startswith("s3://")] == []
    assert [p.parameters for p in first.plans] == [p.parameters for p in second.plans]
    # 3 per stage + the shared script, less the bias config both versions reduce to the same content (one
    # content-addressed file in the outputs bucket); the Processing backend adds each stage's export on S3
    # and the shared code bundle and wheelhouse
    assert len([w for w in first.written if w.startswith("s3://")]) == 6 + 2 + 2


def test_an_invalid_config_stops_before_any_aws_call(aws, configs, tmp_path) -> None:
    edit_config(configs["prod"], EnableModelQualityMonitor="maybe")
    with pytest.raises(ConfigError) as error:
        run(aws, configs, tmp_path)  # the account is empty: any AWS lookup would fail differently
    assert error.value.problems == (
        f"{configs['prod']}: EnableModelQualityMonitor: 'maybe' is not allowed: expected one of 'yes', 'no'",
    )


def test_an_invalid_bucket_name_is_a_config_error(aws, configs, tmp_path) -> None:
    with pytest.raises(
        ConfigError, match="--monitor-outputs-bucket 's3://Bad_Bucket' has an invalid bucket name"
    ):
        run(aws, configs, tmp_path, monitor_outputs_bucket="Bad_Bucket")


def test_an_invalid_role_arn_is_caught_before_writing(aws, world, configs, tmp_path) -> None:
    before = world.object_keys()
    with pytest.raises(ConfigError) as error:
        run(aws, configs, tmp_path, model_monitor_role="monitor-role")
    assert error.value.problems[0].startswith(
        "export of stage staging (computed): ModelMonitorRoleArn: 'monitor-role' does not match the pattern"
    )
    assert world.object_keys() == before


def test_a_baseline_file_missing_from_s3_is_named(aws, world, configs, tmp_path) -> None:
    world.s3.delete_object(Bucket=BASELINE_BUCKET, Key="v1/bias/post_training_constraints.json")
    with pytest.raises(
        StorageError, match=f"s3://{BASELINE_BUCKET}/v1/bias/post_training_constraints.json: no such"
    ):
        run(aws, configs, tmp_path)


def test_a_capture_problem_shows_up_as_a_stage_warning(aws, world, configs, tmp_path) -> None:
    world.sagemaker.delete_endpoint(EndpointName="fraud-prod")
    capture_off = {
        "EnableCapture": False,
        "InitialSamplingPercentage": 0,
        "DestinationS3Uri": "s3://x-bucket/c",
    }
    world.deploy("prod", "v1", capture={**capture_off, "CaptureOptions": [{"CaptureMode": "Input"}]})
    result = run(aws, configs, tmp_path)
    assert any("data capture is off" in w for w in result.plans[1].warnings)


def test_project_tags_are_added_except_reserved_ones(configs, tmp_path) -> None:
    config, _ = read_stage_config(configs["staging"])
    assert config is not None
    project = stack_tags_from_project(
        [{"Key": "team", "Value": "risk"}, {"Key": "aws:servicecatalog:productArn", "Value": "arn"}]
    )
    tags = stage_tags(config, make_options(configs, tmp_path), project)
    assert tags["team"] == "risk"
    assert "aws:servicecatalog:productArn" not in tags
    assert tags["sagemaker:deployment-stage"] == "staging"


def test_a_baseline_uri_of_the_stage_config_that_does_not_exist_stops_before_anything_is_written(
    aws, world, configs, tmp_path
) -> None:
    world.s3.create_bucket(Bucket="mine")
    edit_config(
        configs["prod"],
        DataQualityStatisticsS3Uri="s3://mine/data-quality/statistics.json",
        DataQualityConstraintsS3Uri="s3://nobody-has-this-bucket/constraints.json",
    )
    before = world.object_keys()
    with pytest.raises(BaselineError) as error:
        run(aws, configs, tmp_path)
    assert error.value.problems == (
        "stage prod: DataQualityConstraintsS3Uri (baseline from stage config): "
        "s3://nobody-has-this-bucket/constraints.json: bucket 'nobody-has-this-bucket' does not exist; its "
        "schedule would fail on every execution",
        "stage prod: DataQualityStatisticsS3Uri (baseline from stage config): "
        "s3://mine/data-quality/statistics.json: no such object; its schedule would fail on every execution",
    )
    assert world.object_keys() == before
    assert not (tmp_path / "out").exists() or not list((tmp_path / "out").iterdir())


def test_a_registry_baseline_deleted_since_registration_is_refused(aws, world, configs, tmp_path) -> None:
    world.s3.delete_object(Bucket=BASELINE_BUCKET, Key="v1/model_quality/constraints.json")
    with pytest.raises(BaselineError) as error:
        run(aws, configs, tmp_path)
    assert error.value.problems == (
        "stage prod: ModelQualityConstraintsS3Uri (baseline from DriftCheckBaselines): "
        f"s3://{BASELINE_BUCKET}/v1/model_quality/constraints.json: no such object; its schedule would fail "
        "on every execution",
    )
