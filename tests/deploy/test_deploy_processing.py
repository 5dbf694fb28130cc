"""get_baselines_and_configs.py for a stage on the Processing backend: what it computes, uploads, checks."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from registry_world import (
    FULL_CAPTURE,
    IMAGES,
    OUTPUT_BUCKET,
    edit_config,
    make_options,
    uri,
)

from pipelines.container.code_bundle import bundle_files
from pipelines.deploy.errors import ConfigError
from pipelines.deploy.flow import deploy
from pipelines.deploy.plan import render_plan


def run(aws, configs, tmp_path, **overrides):
    return deploy(make_options(configs, tmp_path, **overrides), aws, IMAGES)


def exported(tmp_path: Path, stage: str) -> dict[str, str]:
    return json.loads((tmp_path / "out" / f"{stage}-export.json").read_text())["Parameters"]


def s3_keys(s3, prefix: str) -> list[str]:
    return [o["Key"] for o in s3.list_objects_v2(Bucket=OUTPUT_BUCKET, Prefix=prefix).get("Contents", [])]


def test_prod_runs_data_and_model_quality_in_one_hourly_job_and_the_daily_monitors_alone(
    aws, world, configs, tmp_path
) -> None:
    run(aws, configs, tmp_path)
    prod = exported(tmp_path, "prod")
    assert prod["MonitoringBackend"] == "Processing"
    monitors = ("DataQuality", "ModelQuality", "ModelBias", "ModelExplainability")
    assert {m: prod[f"{m}ProcessingMonitors"] for m in monitors} == {
        "DataQuality": "DataQuality,ModelQuality", "ModelQuality": "",
        "ModelBias": "ModelBias", "ModelExplainability": "ModelExplainability",
    }  # fmt: skip
    assert prod["DataQualityProcessingMaxRuntimeInSeconds"] == "3600"  # 1800 + 1800
    assert (prod["DataQualityScheduleIntervalSeconds"], prod["ModelBiasScheduleIntervalSeconds"]) == (
        "3600",
        "86400",
    )


def test_the_job_gets_the_image_the_endpoints_capture_and_the_model_of_the_stages_package(
    aws, world, configs, tmp_path
) -> None:
    run(aws, configs, tmp_path)
    prod = exported(tmp_path, "prod")
    assert prod["ProcessingImageUri"] == IMAGES.processing
    assert prod["DataCaptureS3Uri"] == FULL_CAPTURE["DestinationS3Uri"].rstrip("/")
    assert prod["DataCaptureVariant"] == "AllTraffic"
    assert prod["ProcessingModelS3Uri"] == uri("v1", "model.tar.gz")  # prod runs v1


def test_the_export_is_on_s3_as_written_and_the_job_may_read_exactly_what_it_names(
    aws, world, configs, tmp_path
) -> None:
    run(aws, configs, tmp_path)
    prod = exported(tmp_path, "prod")
    on_s3 = json.loads(
        world.s3.get_object(Bucket=OUTPUT_BUCKET, Key=prod["StageExportS3Uri"].split("/", 3)[3])[
            "Body"
        ].read()
    )
    assert on_s3["Parameters"] == prod
    reads = prod["ProcessingS3ReadArns"].split(",")
    key = prod["StageExportS3Uri"].removeprefix("s3://")
    assert f"arn:aws:s3:::{key}" in reads
    assert f"arn:aws:s3:::{prod['DataQualityStatisticsS3Uri'].removeprefix('s3://')}" in reads
    assert f"arn:aws:s3:::{prod['GroundTruthInput'].removeprefix('s3://')}/*" in reads
    assert f"arn:aws:s3:::{prod['DataCaptureS3Uri'].removeprefix('s3://')}/fraud-prod/*" in reads
    assert set(prod["ProcessingS3BucketArns"].split(",")) == {
        f"arn:aws:s3:::{b}" for b in {r.removeprefix("arn:aws:s3:::").split("/")[0] for r in reads}
    }


def test_the_code_and_the_wheelhouse_are_uploaded_once_for_both_stages(aws, world, configs, tmp_path) -> None:
    run(aws, configs, tmp_path)
    staging, prod = exported(tmp_path, "staging"), exported(tmp_path, "prod")
    assert staging["ProcessingCodeS3Uri"] == prod["ProcessingCodeS3Uri"]
    code_prefix = prod["ProcessingCodeS3Uri"].split("/", 3)[3]
    keys = s3_keys(world.s3, code_prefix)
    assert f"{code_prefix}pipelines/container/bootstrap.py" in keys
    assert f"{code_prefix}transaction_scoring/contract.py" in keys
    assert not [k for k in keys if "/sandbox/" in k]
    assert len(keys) == len(bundle_files()) + 1  # and bundle.json
    wheelhouse = s3_keys(world.s3, prod["ProcessingWheelhouseS3Uri"].split("/", 3)[3])
    assert sorted(k.rsplit("/", 1)[1] for k in wheelhouse) == ["requirements.txt", "wheelhouse.json"]


def test_the_plan_names_each_stages_backend_and_where_it_came_from(aws, world, configs, tmp_path) -> None:
    edit_config(configs["staging"], MonitoringBackend=None)
    result = run(aws, configs, tmp_path)
    text = render_plan(result.plans, dry_run=False)
    assert "  backend   ModelMonitor  (from the template's default)" in text
    assert "  backend   Processing  (from the stage config)" in text
    assert "ProcessingCodeS3Uri" not in exported(tmp_path, "staging")


def test_a_processing_stage_without_a_wheelhouse_is_refused_before_anything_is_written(
    aws, world, configs, tmp_path
) -> None:
    before = world.object_keys()
    with pytest.raises(
        ConfigError, match="stage staging, prod uses the Processing backend: give --processing-wheelhouse"
    ):
        run(aws, configs, tmp_path, processing_wheelhouse=None)
    with pytest.raises(ConfigError, match=r"--processing-wheelhouse .*: no such folder"):
        run(aws, configs, tmp_path, processing_wheelhouse=str(tmp_path / "missing"))
    assert world.object_keys() == before


def test_a_stage_without_an_endpoint_is_warned_that_its_stack_will_not_deploy(aws, configs, tmp_path) -> None:
    from registry_world import (
        World,
        standard_world,  # noqa: F401 - the world without prod's endpoint is built below
    )

    world = World(aws.sagemaker, aws.s3)
    world.create_buckets()
    world.create_group()
    world.upload_baselines("v1")
    world.register("v1")
    world.deploy("staging", "v1")
    result = run(aws, configs, tmp_path)
    (prod,) = [p for p in result.plans if p.stage_name == "prod"]
    assert any("DataCaptureS3Uri is empty" in w for w in prod.warnings)
    assert exported(tmp_path, "prod")["DataCaptureS3Uri"] == ""


def test_a_spark_stage_gets_the_spark_processing_image_and_its_instance_count(
    aws, world, configs, tmp_path
) -> None:
    edit_config(configs["prod"], MonitoringEngine="spark", MonitoringJobInstanceCount="4")
    run(aws, configs, tmp_path)
    prod, staging = exported(tmp_path, "prod"), exported(tmp_path, "staging")
    assert (prod["MonitoringEngine"], prod["MonitoringJobInstanceCount"]) == ("spark", "4")
    assert prod["ProcessingImageUri"] == IMAGES.spark_processing
    assert staging["ProcessingImageUri"] == IMAGES.processing  # the other stage keeps the local engine
