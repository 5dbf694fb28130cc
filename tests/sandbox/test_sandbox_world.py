"""The emulated world: registry, endpoints, capture, buckets and roles, as the deploy script finds them."""

from __future__ import annotations

import json

import numpy as np
import pytest
from sandbox_world import FAST_WORLD, PLACEHOLDER_FILES

from pipelines.deploy.registry import PackageSource, ReferenceStyle, resolve_stage_package
from pipelines.model import FraudModel
from pipelines.sandbox.data import request_records
from pipelines.sandbox.world import (
    AwsClients,
    BucketKind,
    PackageReference,
    Stage,
    World,
    WorldError,
    WorldSettings,
)
from pipelines.storage import Storage


def test_the_package_group_holds_two_approved_versions_newest_last(
    world: World, sandbox_clients: AwsClients
) -> None:
    packages = sandbox_clients.sagemaker.list_model_packages(
        ModelPackageGroupName="fraud-detection-p-sandbox00001"
    )["ModelPackageSummaryList"]
    by_arn = {p["ModelPackageArn"]: p for p in packages}
    v1, v2 = world.versions["v1"].package_arn, world.versions["v2"].package_arn
    assert set(by_arn) == {v1, v2}
    assert {p["ModelApprovalStatus"] for p in packages} == {"Approved"}
    assert by_arn[v1]["CreationTime"] < by_arn[v2]["CreationTime"]


def test_staging_runs_the_newer_package_named_in_its_container(
    world: World, sandbox_clients: AwsClients
) -> None:
    package = resolve_stage_package(
        sandbox_clients.sagemaker, "fraud-detection-staging", world.settings.package_group
    )
    assert package.package_arn == world.versions["v2"].package_arn
    assert package.source is PackageSource.ENDPOINT
    assert package.deployed is not None
    assert package.deployed.reference is ReferenceStyle.CONTAINER
    assert world.deployment(Stage.STAGING).package_reference is PackageReference.CONTAINER


def test_prod_runs_the_older_package_named_in_a_tag(world: World, sandbox_clients: AwsClients) -> None:
    package = resolve_stage_package(
        sandbox_clients.sagemaker, "fraud-detection-prod", world.settings.package_group
    )
    assert package.package_arn == world.versions["v1"].package_arn
    assert package.deployed is not None
    assert package.deployed.reference is ReferenceStyle.TAG


def test_each_package_registers_its_own_baselines_and_every_file_exists(
    world: World, sandbox_clients: AwsClients
) -> None:
    storage = Storage(sandbox_clients.s3)
    for label, version in world.versions.items():
        described = sandbox_clients.sagemaker.describe_model_package(ModelPackageName=version.package_arn)
        baselines = described["DriftCheckBaselines"]
        assert {section: tuple(files) for section, files in baselines.items()} == PLACEHOLDER_FILES
        for files in baselines.values():
            for entry in files.values():
                assert f"/baselines/{label}/" in entry["S3Uri"]
                assert storage.read_json(entry["S3Uri"])["rows"] == FAST_WORLD.validation_rows
        assert described["ModelMetrics"]["ModelQuality"] == baselines["ModelQuality"]


def test_the_registered_artifacts_are_the_served_models(world: World, sandbox_clients: AwsClients) -> None:
    for version in world.versions.values():
        described = sandbox_clients.sagemaker.describe_model_package(ModelPackageName=version.package_arn)
        artifact = described["InferenceSpecification"]["Containers"][0]["ModelDataUrl"]
        loaded = FraudModel.load(artifact, sandbox_clients.s3)
        records = request_records(version.training.head(50))
        np.testing.assert_array_equal(loaded.predict_proba(records), version.model.predict_proba(records))


def test_the_two_versions_are_different_models(world: World) -> None:
    records = request_records(world.versions["v1"].training.head(200))
    assert not np.array_equal(
        world.versions["v1"].model.predict_proba(records), world.versions["v2"].model.predict_proba(records)
    )


def test_the_training_data_is_stored_with_its_label(world: World, sandbox_clients: AwsClients) -> None:
    text = Storage(sandbox_clients.s3).read_text(world.versions["v1"].training_data_uri)
    assert text.splitlines()[0].endswith("Is Fraudulent,Account Age Days,Transaction Hour")


def test_endpoints_capture_json_as_text_with_the_project_key(
    world: World, sandbox_clients: AwsClients
) -> None:
    for deployment in world.stages.values():
        endpoint = sandbox_clients.sagemaker.describe_endpoint(EndpointName=deployment.endpoint_name)
        assert endpoint["EndpointStatus"] == "InService"
        config = sandbox_clients.sagemaker.describe_endpoint_config(
            EndpointConfigName=endpoint["EndpointConfigName"]
        )
        capture = config["DataCaptureConfig"]
        assert capture["DestinationS3Uri"] == "s3://fraud-detection-p-sandbox00001-artifacts/data-capture"
        assert capture["CaptureContentTypeHeader"] == {"JsonContentTypes": ["application/json"]}
        assert capture["InitialSamplingPercentage"] == 100
        assert capture["KmsKeyId"] == world.kms_key_arn


def test_buckets_are_encrypted_with_the_project_key_and_private(
    world: World, sandbox_clients: AwsClients
) -> None:
    for kind in BucketKind:
        bucket = world.bucket(kind)
        rule = sandbox_clients.s3.get_bucket_encryption(Bucket=bucket)["ServerSideEncryptionConfiguration"][
            "Rules"
        ][0]
        assert rule["ApplyServerSideEncryptionByDefault"] == {
            "SSEAlgorithm": "aws:kms",
            "KMSMasterKeyID": world.kms_key_arn,
        }
        block = sandbox_clients.s3.get_public_access_block(Bucket=bucket)["PublicAccessBlockConfiguration"]
        assert all(block.values())


def test_the_monitor_role_can_be_assumed_by_sagemaker(world: World, sandbox_clients: AwsClients) -> None:
    role = sandbox_clients.iam.get_role(RoleName="fraud-detection-model-monitor-role")["Role"]
    assert role["Arn"] == world.monitor_role_arn
    trust = role["AssumeRolePolicyDocument"]
    trust = json.loads(trust) if isinstance(trust, str) else trust
    assert trust["Statement"][0]["Principal"] == {"Service": "sagemaker.amazonaws.com"}


def test_the_world_knows_which_model_each_endpoint_serves(world: World) -> None:
    assert world.model_for("fraud-detection-prod") is world.versions["v1"].model
    assert world.model_for("fraud-detection-staging") is world.versions["v2"].model
    with pytest.raises(KeyError, match="no endpoint fraud-detection-dev"):
        world.model_for("fraud-detection-dev")


def test_names_aws_would_refuse_are_reported_before_anything_is_created() -> None:
    settings = WorldSettings(project_name="Fraud_Detection", project_id="p-" + "x" * 50, training_rows=10)
    with pytest.raises(WorldError) as caught:
        settings.validate()
    assert caught.value.problems[0].startswith("project name 'Fraud_Detection': expected lower-case letters")
    assert "are too long" in caught.value.problems[1]
    assert caught.value.problems[2] == "training rows 10: at least 1000 are needed to train a model"


def test_the_predictions_table_is_keyed_and_encrypted_like_the_lambda_template_makes_it(
    world: World, sandbox_clients: AwsClients
) -> None:
    table = sandbox_clients.dynamodb.describe_table(TableName="fraud-detection-predictions")["Table"]
    assert table["KeySchema"] == [{"AttributeName": "TransactionID", "KeyType": "HASH"}]
    assert table["SSEDescription"]["KMSMasterKeyArn"] == world.kms_key_arn
    ttl = sandbox_clients.dynamodb.describe_time_to_live(TableName="fraud-detection-predictions")
    assert ttl["TimeToLiveDescription"]["AttributeName"] == "LeaseExpiresAt"
