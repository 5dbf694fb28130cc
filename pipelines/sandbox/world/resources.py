"""The boto3 calls that create the world, one call pattern each (clients passed in; moto in the sandbox).

``register_package`` and ``create_endpoint`` follow ModelDeploy: a package per version with its
``DriftCheckBaselines``, an endpoint config with one variant and ``DataCaptureConfig``, then the endpoint.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Final, cast

from transaction_scoring import contract, store

from pipelines.sandbox.world.settings import (
    BucketKind,
    DeploymentNames,
    PackageReference,
    Stage,
    WorldSettings,
)

if TYPE_CHECKING:
    from mypy_boto3_dynamodb import DynamoDBClient
    from mypy_boto3_iam import IAMClient
    from mypy_boto3_kms import KMSClient
    from mypy_boto3_s3 import S3Client
    from mypy_boto3_sagemaker import SageMakerClient
    from mypy_boto3_sagemaker.type_defs import DataCaptureConfigTypeDef, ProductionVariantTypeDef

VARIANT_NAME = "AllTraffic"
INSTANCE_TYPE: Final = "ml.m5.large"
APPROVED = "Approved"  # a package's ModelApprovalStatus that deploys


@dataclass(frozen=True, slots=True)
class RegisteredBaselines:
    """What a package is registered with: ``DriftCheckBaselines`` and, optionally, ``ModelMetrics``.

    Both in the CreateModelPackage request's shape, every file an ``{"ContentType", "S3Uri"}`` object:
    https://docs.aws.amazon.com/sagemaker/latest/APIReference/API_DriftCheckBaselines.html
    """

    drift_check_baselines: Mapping[str, Any]
    model_metrics: Mapping[str, Any] | None = None


def create_kms_key(kms: KMSClient, settings: WorldSettings) -> str:
    key = kms.create_key(
        Description=f"{settings.project_name} sandbox: buckets, data capture and monitor outputs",
        Tags=[{"TagKey": "sagemaker:project-name", "TagValue": settings.project_name}],
    )["KeyMetadata"]
    kms.create_alias(AliasName=f"alias/{settings.project_name}-sandbox", TargetKeyId=key["KeyId"])
    return str(key["Arn"])


def create_bucket(s3: S3Client, bucket: str, region: str, kms_key_arn: str | None = None) -> None:
    """A private bucket, encrypted with ``kms_key_arn`` by default (without one: S3's own SSE-S3)."""
    # us-east-1 takes no LocationConstraint (and refuses one that names it).
    location: dict[str, Any] = (
        {} if region == "us-east-1" else {"CreateBucketConfiguration": {"LocationConstraint": region}}
    )
    s3.create_bucket(Bucket=bucket, **location)
    if kms_key_arn is not None:
        _encrypt_by_default(s3, bucket, kms_key_arn)
    s3.put_public_access_block(
        Bucket=bucket,
        PublicAccessBlockConfiguration={
            "BlockPublicAcls": True,
            "IgnorePublicAcls": True,
            "BlockPublicPolicy": True,
            "RestrictPublicBuckets": True,
        },
    )


def _encrypt_by_default(s3: S3Client, bucket: str, kms_key_arn: str) -> None:
    s3.put_bucket_encryption(
        Bucket=bucket,
        ServerSideEncryptionConfiguration={
            "Rules": [
                {
                    "ApplyServerSideEncryptionByDefault": {
                        "SSEAlgorithm": "aws:kms",
                        "KMSMasterKeyID": kms_key_arn,
                    },
                    "BucketKeyEnabled": True,
                }
            ]
        },
    )


def create_predictions_table(
    dynamodb: DynamoDBClient, table_name: str, kms_key_arn: str | None = None
) -> None:
    """The table ``lambda/template.yml`` creates: key ``TransactionID``, on demand, KMS (when a key is
    given; else DynamoDB's own encryption), TTL on leases."""
    encryption: dict[str, Any] = (
        {}
        if kms_key_arn is None
        else {"SSESpecification": {"Enabled": True, "SSEType": "KMS", "KMSMasterKeyId": kms_key_arn}}
    )
    dynamodb.create_table(
        TableName=table_name,
        BillingMode="PAY_PER_REQUEST",
        AttributeDefinitions=[{"AttributeName": store.TRANSACTION_ID, "AttributeType": "S"}],
        KeySchema=[{"AttributeName": store.TRANSACTION_ID, "KeyType": "HASH"}],
        **encryption,
    )
    dynamodb.update_time_to_live(
        TableName=table_name,
        TimeToLiveSpecification={"Enabled": True, "AttributeName": store.LEASE_EXPIRES_AT},
    )


def create_role(iam: IAMClient, name: str, settings: WorldSettings, kms_key_arn: str, purpose: str) -> str:
    """A role SageMaker can assume, allowed to use the project's buckets and KMS key."""
    trust = {
        "Version": "2012-10-17",
        "Statement": [
            {
                "Effect": "Allow",
                "Principal": {"Service": "sagemaker.amazonaws.com"},
                "Action": "sts:AssumeRole",
            }
        ],
    }
    buckets = [f"arn:aws:s3:::{settings.bucket(kind)}" for kind in BucketKind]
    policy = {
        "Version": "2012-10-17",
        "Statement": [
            {
                "Effect": "Allow",
                "Action": ["s3:GetObject", "s3:PutObject", "s3:ListBucket"],
                "Resource": buckets + [f"{arn}/*" for arn in buckets],
            },
            {"Effect": "Allow", "Action": ["kms:Decrypt", "kms:GenerateDataKey"], "Resource": kms_key_arn},
        ],
    }
    role = iam.create_role(
        RoleName=name,
        AssumeRolePolicyDocument=json.dumps(trust),
        Description=f"{settings.project_name} sandbox: {purpose}",
    )["Role"]
    iam.put_role_policy(RoleName=name, PolicyName="project-data", PolicyDocument=json.dumps(policy))
    return str(role["Arn"])


def create_package_group(sagemaker: SageMakerClient, settings: WorldSettings) -> None:
    sagemaker.create_model_package_group(
        ModelPackageGroupName=settings.package_group,
        ModelPackageGroupDescription=f"{settings.project_name}: fraud models (sandbox)",
    )


def register_package(
    sagemaker: SageMakerClient,
    settings: WorldSettings,
    *,
    artifact_uri: str,
    baselines: RegisteredBaselines,
    description: str,
    metadata: Mapping[str, str] | None = None,
    approval_status: str = APPROVED,
) -> str:
    """Register a model version in the project's package group with its baselines; returns its ARN."""
    request: dict[str, Any] = {
        "ModelPackageGroupName": settings.package_group,
        "ModelPackageDescription": description,
        "ModelApprovalStatus": approval_status,
        "InferenceSpecification": {
            "Containers": [{"Image": settings.inference_image, "ModelDataUrl": artifact_uri}],
            "SupportedContentTypes": [contract.CONTENT_TYPE],
            "SupportedResponseMIMETypes": [contract.ACCEPT],
            "SupportedRealtimeInferenceInstanceTypes": [INSTANCE_TYPE],
        },
        "DriftCheckBaselines": dict(baselines.drift_check_baselines),
    }
    if metadata:
        request["CustomerMetadataProperties"] = dict(metadata)
    if baselines.model_metrics:
        request["ModelMetrics"] = dict(baselines.model_metrics)
    return str(sagemaker.create_model_package(**request)["ModelPackageArn"])


def create_model(
    sagemaker: SageMakerClient,
    settings: WorldSettings,
    *,
    model_name: str,
    package_arn: str,
    artifact_uri: str,
    reference: PackageReference,
    role_arn: str,
) -> None:
    """A SageMaker model naming ``package_arn`` in its container, or in a tag (see ``PackageReference``)."""
    if reference is PackageReference.CONTAINER:
        sagemaker.create_model(
            ModelName=model_name, ExecutionRoleArn=role_arn, Containers=[{"ModelPackageName": package_arn}]
        )
        return
    sagemaker.create_model(
        ModelName=model_name,
        ExecutionRoleArn=role_arn,
        PrimaryContainer={"Image": settings.inference_image, "ModelDataUrl": artifact_uri},
        Tags=[{"Key": "ModelPackageArn", "Value": package_arn}],
    )


def data_capture_config(settings: WorldSettings, kms_key_arn: str | None = None) -> dict[str, Any]:
    """Capture requests and responses; the contract's JSON is captured as text (encoding JSON)."""
    config: dict[str, Any] = {
        "EnableCapture": True,
        "InitialSamplingPercentage": settings.capture_sampling_percentage,
        "DestinationS3Uri": settings.capture_uri,
        "CaptureOptions": [{"CaptureMode": "Input"}, {"CaptureMode": "Output"}],
        "CaptureContentTypeHeader": {"JsonContentTypes": [contract.CONTENT_TYPE]},
    }
    if kms_key_arn is not None:
        config["KmsKeyId"] = kms_key_arn
    return config


def create_endpoint(
    sagemaker: SageMakerClient,
    names: DeploymentNames,
    stage: Stage,
    capture_config: Mapping[str, Any],
    kms_key_arn: str | None = None,
) -> None:
    """The endpoint config (one variant, data capture) and the endpoint of one stage."""
    encryption: dict[str, Any] = {} if kms_key_arn is None else {"KmsKeyId": kms_key_arn}
    variant: ProductionVariantTypeDef = {
        "VariantName": VARIANT_NAME,
        "ModelName": names.model,
        "InitialInstanceCount": 1,
        "InstanceType": INSTANCE_TYPE,
    }
    sagemaker.create_endpoint_config(
        EndpointConfigName=names.endpoint_config,
        ProductionVariants=[variant],
        DataCaptureConfig=cast("DataCaptureConfigTypeDef", dict(capture_config)),
        **encryption,
    )
    sagemaker.create_endpoint(
        EndpointName=names.endpoint,
        EndpointConfigName=names.endpoint_config,
        Tags=[{"Key": "sagemaker:deployment-stage", "Value": stage.value}],
    )
