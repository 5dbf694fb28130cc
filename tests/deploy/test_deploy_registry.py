"""Endpoint -> endpoint config -> model -> package, per stage, in moto."""

from __future__ import annotations

import logging
from datetime import UTC, datetime

import pytest
from registry_world import GROUP, World, standard_world

from pipelines.deploy.errors import RegistryError
from pipelines.deploy.registry import (
    PackageSource,
    ReferenceStyle,
    model_from_endpoint_config,
    newest_approved,
    resolve_stage_package,
)
from pipelines.sandbox.world import PackageReference


def test_each_stage_resolves_the_package_deployed_on_its_own_endpoint(world: World) -> None:
    staging = resolve_stage_package(world.sagemaker, "fraud-staging", GROUP)
    prod = resolve_stage_package(world.sagemaker, "fraud-prod", GROUP)
    assert (staging.package_arn, prod.package_arn) == (world.packages["v2"], world.packages["v1"])
    assert (staging.model_name, prod.model_name) == ("fraud-staging-model-v2", "fraud-prod-model-v1")
    assert staging.source is prod.source is PackageSource.ENDPOINT


def test_a_model_created_from_the_package_names_it_in_its_container(world: World) -> None:
    staging = resolve_stage_package(world.sagemaker, "fraud-staging", GROUP)
    assert staging.deployed is not None
    assert staging.deployed.reference is ReferenceStyle.CONTAINER


def test_a_model_tagged_by_the_deploy_stage_names_its_package_in_the_tag(world: World) -> None:
    prod = resolve_stage_package(world.sagemaker, "fraud-prod", GROUP)
    assert prod.deployed is not None
    assert prod.deployed.reference is ReferenceStyle.TAG


def test_without_an_endpoint_the_newest_approved_package_is_used_with_one_warning(aws, caplog) -> None:
    world = World(aws.sagemaker, aws.s3)
    world.create_buckets()
    world.create_group()
    world.register("v1")
    world.register("v2")
    world.register("v3", status="PendingManualApproval")
    with caplog.at_level(logging.WARNING):
        package = resolve_stage_package(aws.sagemaker, "fraud-staging", GROUP)
    assert package.package_arn == world.packages["v2"]
    assert package.source is PackageSource.NEWEST_APPROVED
    assert package.model_name is None
    assert [r.getMessage() for r in caplog.records] == [
        f"endpoint fraud-staging does not exist yet: using the newest Approved package of {GROUP}, "
        f"{world.packages['v2']}"
    ]


def test_without_an_endpoint_or_an_approved_package_the_stage_cannot_be_configured(aws) -> None:
    world = World(aws.sagemaker, aws.s3)
    world.create_group()
    world.register("v1", status="Rejected")
    with pytest.raises(
        RegistryError, match=f"endpoint fraud-prod does not exist and model package group {GROUP} has"
    ):
        resolve_stage_package(aws.sagemaker, "fraud-prod", GROUP)


def test_newest_is_decided_by_creation_time_not_by_list_order() -> None:
    older = {
        "ModelPackageArn": "a/1",
        "ModelApprovalStatus": "Approved",
        "CreationTime": datetime(2026, 1, 1, tzinfo=UTC),
    }
    newer = {
        "ModelPackageArn": "a/2",
        "ModelApprovalStatus": "Approved",
        "CreationTime": datetime(2026, 2, 1, tzinfo=UTC),
    }
    rejected = {
        "ModelPackageArn": "a/3",
        "ModelApprovalStatus": "Rejected",
        "CreationTime": datetime(2026, 3, 1, tzinfo=UTC),
    }
    assert newest_approved([newer, rejected, older], "g") == newer
    assert newest_approved([older, newer], "g") == newer


def test_a_listing_entry_without_creation_time_is_a_registry_error() -> None:
    with pytest.raises(RegistryError, match="has no CreationTime or ModelPackageArn"):
        newest_approved([{"ModelPackageArn": "a/1", "ModelApprovalStatus": "Approved"}], "g")


def test_a_model_tag_that_is_not_a_package_arn_is_a_registry_error(aws) -> None:
    world = World(aws.sagemaker, aws.s3)
    world.create_group()
    world.register("v1")
    world.deploy("prod", "v1", reference=PackageReference.TAG, tag_value="fraud-v1")
    with pytest.raises(
        RegistryError, match="tag ModelPackageArn is 'fraud-v1': expected a model package ARN"
    ):
        resolve_stage_package(aws.sagemaker, "fraud-prod", GROUP)


def test_a_model_that_names_no_package_is_a_registry_error(aws) -> None:
    world = World(aws.sagemaker, aws.s3)
    aws.sagemaker.create_model(
        ModelName="bare",
        PrimaryContainer={"Image": "img"},
        ExecutionRoleArn="arn:aws:iam::123456789012:role/r",
    )
    aws.sagemaker.create_endpoint_config(
        EndpointConfigName="c",
        ProductionVariants=[
            {
                "VariantName": "v",
                "ModelName": "bare",
                "InstanceType": "ml.m5.large",
                "InitialInstanceCount": 1,
            }
        ],
    )
    aws.sagemaker.create_endpoint(EndpointName="fraud-prod", EndpointConfigName="c")
    with pytest.raises(RegistryError, match="model bare: names no model package"):
        resolve_stage_package(world.sagemaker, "fraud-prod", GROUP)


def test_a_tag_pointing_to_an_unknown_package_is_a_registry_error(aws) -> None:
    world = World(aws.sagemaker, aws.s3)
    world.create_group()
    world.register("v1")
    ghost = world.packages["v1"].replace("/1", "/9")
    world.deploy("prod", "v1", reference=PackageReference.TAG, tag_value=ghost)
    with pytest.raises(
        RegistryError,
        match=f"model fraud-prod-model-v1 on endpoint fraud-prod references model package {ghost}",
    ):
        resolve_stage_package(aws.sagemaker, "fraud-prod", GROUP)


def test_an_endpoint_config_without_variants_is_a_registry_error() -> None:
    with pytest.raises(RegistryError, match="has no production variant with a ModelName"):
        model_from_endpoint_config("fraud-prod", {"EndpointConfigName": "c", "ProductionVariants": []})


def test_a_package_that_is_not_approved_is_used_but_warned_about(aws, caplog) -> None:
    world = standard_world(aws.sagemaker, aws.s3)
    aws.sagemaker.update_model_package(ModelPackageArn=world.packages["v1"], ModelApprovalStatus="Rejected")
    with caplog.at_level(logging.WARNING):
        prod = resolve_stage_package(aws.sagemaker, "fraud-prod", GROUP)
    assert prod.package_arn == world.packages["v1"]
    assert any("whose approval status is Rejected" in r.getMessage() for r in caplog.records)
