"""Which model package is deployed on a stage: endpoint -> endpoint config -> model -> package.

Each stage is resolved on its own, because prod usually runs an older package than staging, and
each package carries its own baselines. A model names its package either in its container
(``ModelPackageName``, when the model was created from the package) or in a ``ModelPackageArn`` tag (what
this pipeline's deploy stage writes). When the stage has no endpoint yet, the newest Approved package of the
project's group is used instead, sorted by creation time here rather than trusting the API's order.

Functions named ``describe_*``/``find_*`` make AWS calls with a client passed in; the ``*_from_*`` functions
only read the responses, so they are tested without AWS.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from typing import TYPE_CHECKING, Any, Final

from botocore.exceptions import ClientError, NoCredentialsError

from pipelines.deploy.errors import AwsAccessError, RegistryError

if TYPE_CHECKING:
    from mypy_boto3_sagemaker import SageMakerClient

log = logging.getLogger(__name__)

MODEL_PACKAGE_TAG = "ModelPackageArn"
APPROVED: Final = "Approved"
_PACKAGE_ARN = re.compile(r"arn:aws[a-z-]*:sagemaker:[a-z0-9-]+:\d{12}:model-package/[^/\s]+(/\d+)?")
# SageMaker answers DescribeEndpoint for an unknown endpoint with a ValidationException, not a 404.
_ENDPOINT_NOT_FOUND = re.compile(r"Could not find endpoint", re.IGNORECASE)
_ACCESS_CODES = {
    "AccessDenied",
    "AccessDeniedException",
    "UnrecognizedClientException",
    "InvalidClientTokenId",
    "ExpiredToken",
    "ExpiredTokenException",
}


class PackageSource(StrEnum):
    """How a stage's package was found."""

    ENDPOINT = "deployed on the endpoint"
    NEWEST_APPROVED = "newest Approved package (no endpoint yet)"


class ReferenceStyle(StrEnum):
    """Where the deployed model names its package."""

    CONTAINER = "container ModelPackageName"
    TAG = f"{MODEL_PACKAGE_TAG} tag"


@dataclass(frozen=True, slots=True)
class DeployedModel:
    """What runs on an endpoint: its model and the package the model was built from."""

    endpoint_name: str
    endpoint_config_name: str
    variant_name: str
    model_name: str
    package_arn: str
    reference: ReferenceStyle
    data_capture: Mapping[str, Any]
    capture_status: str | None


@dataclass(frozen=True, slots=True)
class StagePackage:
    """The package whose baselines a stage's monitors use, and how it was found."""

    package_arn: str
    source: PackageSource
    description: Mapping[str, Any]
    deployed: DeployedModel | None = None

    @property
    def model_name(self) -> str | None:
        return self.deployed.model_name if self.deployed else None

    @property
    def approval_status(self) -> str:
        return str(self.description.get("ModelApprovalStatus", "unknown"))

    @property
    def group_name(self) -> str | None:
        group = self.description.get("ModelPackageGroupName")
        return str(group) if group else None


# -- AWS errors a user can fix -----------------------------------------------------------------------


@contextmanager
def aws_call(action: str) -> Iterator[None]:
    """Turn refused credentials/permissions into one clear line; anything else keeps its traceback."""
    try:
        yield
    except NoCredentialsError:
        raise AwsAccessError(
            f"{action}: no AWS credentials found (configure a profile, or run inside CodeBuild with its role)"
        ) from None
    except ClientError as error:
        code = error.response.get("Error", {}).get("Code", "")
        if code in _ACCESS_CODES:
            message = error.response.get("Error", {}).get("Message", "")
            raise AwsAccessError(f"{action}: refused by AWS ({code}: {message})") from None
        raise


# -- reading responses (pure) -------------------------------------------------------------------------


def model_from_endpoint_config(endpoint_name: str, config: Mapping[str, Any]) -> tuple[str, str]:
    """The first production variant's (variant name, model name) of an endpoint config."""
    variants = config.get("ProductionVariants") or []
    if not variants or not isinstance(variants[0], dict) or not variants[0].get("ModelName"):
        raise RegistryError(
            f"endpoint {endpoint_name}: its endpoint config {config.get('EndpointConfigName')!r} has no "
            "production variant with a ModelName: nothing to monitor"
        )
    first = variants[0]
    if len(variants) > 1:
        log.warning(
            "endpoint %s has %d production variants: monitoring uses the first one, %s (model %s)",
            endpoint_name,
            len(variants),
            first.get("VariantName"),
            first["ModelName"],
        )
    return str(first.get("VariantName", "")), str(first["ModelName"])


def container_package(model: Mapping[str, Any]) -> str | None:
    """The ``ModelPackageName`` of the model's (first) container that has one."""
    for container in [model.get("PrimaryContainer") or {}, *(model.get("Containers") or [])]:
        if isinstance(container, dict) and container.get("ModelPackageName"):
            return str(container["ModelPackageName"])
    return None


def package_from_model(
    model: Mapping[str, Any], tags: Sequence[Mapping[str, Any]]
) -> tuple[str, ReferenceStyle]:
    """The package a model was built from: its container's ``ModelPackageName``, else its tag."""
    name = model.get("ModelName", "?")
    in_container = container_package(model)
    if in_container is not None:
        return in_container, ReferenceStyle.CONTAINER
    tagged = [tag.get("Value", "") for tag in tags if tag.get("Key") == MODEL_PACKAGE_TAG]
    if not tagged:
        raise RegistryError(
            f"model {name}: names no model package: expected Containers[0].ModelPackageName or a "
            f"{MODEL_PACKAGE_TAG} tag holding the package ARN"
        )
    if not _PACKAGE_ARN.fullmatch(tagged[0]):
        raise RegistryError(
            f"model {name}: tag {MODEL_PACKAGE_TAG} is {tagged[0]!r}: expected a model package ARN like "
            "arn:aws:sagemaker:<region>:<account>:model-package/<group>/<version>"
        )
    return tagged[0], ReferenceStyle.TAG


def newest_approved(summaries: list[Mapping[str, Any]], group_name: str) -> Mapping[str, Any] | None:
    """The Approved package created last; ties are broken by version so the choice is stable."""
    approved = [s for s in summaries if s.get("ModelApprovalStatus") == APPROVED]
    for summary in approved:
        if not isinstance(summary.get("CreationTime"), datetime) or not summary.get("ModelPackageArn"):
            raise RegistryError(
                f"model package group {group_name}: entry {summary.get('ModelPackageArn')!r} has no "
                "CreationTime or ModelPackageArn: cannot tell which Approved package is newest"
            )
    if not approved:
        return None
    return max(approved, key=lambda s: (s["CreationTime"], int(s.get("ModelPackageVersion") or 0)))


# -- AWS calls (thin) ---------------------------------------------------------------------------------


def describe_deployed_model(sagemaker: SageMakerClient, endpoint_name: str) -> DeployedModel | None:
    """Follow an endpoint to its model package; ``None`` when the endpoint does not exist."""
    try:
        with aws_call(f"sagemaker:DescribeEndpoint {endpoint_name}"):
            endpoint = sagemaker.describe_endpoint(EndpointName=endpoint_name)
    except ClientError as error:
        if _ENDPOINT_NOT_FOUND.search(error.response.get("Error", {}).get("Message", "")):
            return None
        raise
    config_name = endpoint["EndpointConfigName"]
    with aws_call(f"sagemaker:DescribeEndpointConfig {config_name}"):
        config = sagemaker.describe_endpoint_config(EndpointConfigName=config_name)
    variant, model_name = model_from_endpoint_config(endpoint_name, config)
    with aws_call(f"sagemaker:DescribeModel {model_name}"):
        model = sagemaker.describe_model(ModelName=model_name)
    tags: Sequence[Mapping[str, Any]] = []
    if container_package(model) is None:
        with aws_call(f"sagemaker:ListTags {model['ModelArn']}"):
            tags = sagemaker.list_tags(ResourceArn=model["ModelArn"]).get("Tags", [])
    package_arn, style = package_from_model(model, tags)
    return DeployedModel(
        endpoint_name=endpoint_name,
        endpoint_config_name=config_name,
        variant_name=variant,
        model_name=model_name,
        package_arn=package_arn,
        reference=style,
        data_capture=config.get("DataCaptureConfig") or {},
        capture_status=(endpoint.get("DataCaptureConfig") or {}).get("CaptureStatus"),
    )


def find_newest_approved(sagemaker: SageMakerClient, group_name: str) -> str | None:
    """ARN of the newest Approved package of a group (``None`` if it has none)."""
    summaries: list[Mapping[str, Any]] = []
    paginator = sagemaker.get_paginator("list_model_packages")
    try:
        with aws_call(f"sagemaker:ListModelPackages {group_name}"):
            for page in paginator.paginate(ModelPackageGroupName=group_name, ModelApprovalStatus=APPROVED):
                summaries.extend(page.get("ModelPackageSummaryList", []))
    except ClientError as error:
        # A group that does not exist is answered with a ValidationException: same as an empty group here.
        if error.response.get("Error", {}).get("Code") == "ValidationException":
            return None
        raise
    newest = newest_approved(summaries, group_name)
    return str(newest["ModelPackageArn"]) if newest else None


def describe_package(sagemaker: SageMakerClient, package_arn: str, *, found_on: str) -> Mapping[str, Any]:
    """DescribeModelPackage, with a clear error when the package does not exist."""
    try:
        with aws_call(f"sagemaker:DescribeModelPackage {package_arn}"):
            return dict(sagemaker.describe_model_package(ModelPackageName=package_arn))
    except ClientError as error:
        if error.response.get("Error", {}).get("Code") == "ValidationException":
            raise RegistryError(
                f"{found_on} references model package {package_arn}, which the Model Registry does not know "
                f"({error.response['Error'].get('Message', '')})"
            ) from None
        raise


def resolve_stage_package(sagemaker: SageMakerClient, endpoint_name: str, group_name: str) -> StagePackage:
    """The package a stage's monitors should use (see the module docstring for the rules)."""
    deployed = describe_deployed_model(sagemaker, endpoint_name)
    if deployed is not None:
        description = describe_package(
            sagemaker,
            deployed.package_arn,
            found_on=f"model {deployed.model_name} on endpoint {endpoint_name}",
        )
        package = StagePackage(deployed.package_arn, PackageSource.ENDPOINT, description, deployed)
        if package.approval_status != APPROVED:
            log.warning(
                "endpoint %s runs model package %s, whose approval status is %s (expected %s)",
                endpoint_name,
                deployed.package_arn,
                package.approval_status,
                APPROVED,
            )
        if package.group_name and package.group_name != group_name:
            log.warning(
                "endpoint %s runs model package %s of group %s, not of the project's group %s",
                endpoint_name,
                deployed.package_arn,
                package.group_name,
                group_name,
            )
        return package
    newest = find_newest_approved(sagemaker, group_name)
    if newest is None:
        raise RegistryError(
            f"endpoint {endpoint_name} does not exist and model package group {group_name} has no Approved "
            "package: approve a model (or deploy the stage) before configuring its monitors"
        )
    log.warning(
        "endpoint %s does not exist yet: using the newest Approved package of %s, %s",
        endpoint_name,
        group_name,
        newest,
    )
    description = describe_package(sagemaker, newest, found_on=f"model package group {group_name}")
    return StagePackage(newest, PackageSource.NEWEST_APPROVED, description)
