"""The emulated AWS world the monitoring pipeline runs against: what ModelBuild and ModelDeploy leave behind.

``build_world`` creates, through plain boto3 clients (moto in the sandbox and the tests):

- a KMS key, and three buckets encrypted with it by default: artifacts (models, baselines, training data,
  data capture), monitoring outputs (monitor results and ground truth) and transactions (the Lambda's input);
- the scoring Lambda's DynamoDB predictions table, keyed and encrypted as ``lambda/template.yml`` makes it;
- IAM roles: one the SageMaker models run as, one the monitoring jobs run as;
- two fraud models trained on different data slices, ``v1`` (older) and ``v2`` (newer), their
  ``model.tar.gz`` artifacts, their baselines (made by a ``BaselineFactory``) and their training data;
- the Model Registry: package group ``{project}-{project id}`` with both versions Approved, each with its own
  ``DriftCheckBaselines`` (and ``ModelMetrics`` when the factory gives them);
- SageMaker models, endpoint configs with ``DataCaptureConfig`` (JSON captured as text, KMS-encrypted) and
  endpoints: ``{project}-staging`` runs v2 and names its package in ``Containers[0].ModelPackageName``;
  ``{project}-prod`` runs v1 and names its package in a ``ModelPackageArn`` tag (ModelDeploy's style). The
  deployment script must handle both.

What moto does not do, and how the world copes: moto marks endpoints ``InService`` at once and runs no
container (the sandbox's ``RuntimeServer`` serves the models instead, see ``serving``); ``DescribeEndpoint``
in moto has no ``CaptureStatus``/``CurrentSamplingPercentage`` (the capture settings are read from the
endpoint config, as the monitors' preflight does); moto does not check that a model's ``ModelPackageName``
exists, so the world creates packages before the models that name them, as SageMaker requires.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime, timedelta
from enum import StrEnum
from typing import Any, Protocol

import pandas as pd
from transaction_scoring import contract, store

from pipelines.errors import UserError
from pipelines.model import FraudModel, TrainingSettings, train_fraud_model
from pipelines.model.artifact import ARTIFACT_FILE
from pipelines.s3uri import S3Uri
from pipelines.sandbox.aws_emulator import ACCOUNT_ID, REGION
from pipelines.sandbox.data import GeneratorSettings, generate_transactions, stream_csv
from pipelines.sandbox.progress import Progress, quiet
from pipelines.storage import Storage

# https://docs.aws.amazon.com/sagemaker/latest/APIReference/API_CreateEndpoint.html: endpoint names are at
# most 63 characters of [a-zA-Z0-9](-*[a-zA-Z0-9])*; bucket names add lower case only.
_NAME = re.compile(r"^[a-z0-9](-*[a-z0-9])*$")
_MAX_NAME = 63
VARIANT_NAME = "AllTraffic"
INSTANCE_TYPE = "ml.m5.large"
APPROVED = "Approved"  # a package's ModelApprovalStatus that deploys


class WorldError(UserError):
    """World settings that cannot be built (names AWS would refuse, too few rows to train on)."""


class Stage(StrEnum):
    STAGING = "staging"
    PROD = "prod"


@dataclass(frozen=True, slots=True)
class ModelVersionSpec:
    """How one registered model version is trained: which data slice and seed."""

    label: str
    data_seed: int
    start: datetime
    days: int


@dataclass(frozen=True, slots=True)
class WorldSettings:
    """Names and sizes of the world (defaults match the Lambda's default endpoint, fraud-detection-prod)."""

    project_name: str = "fraud-detection"
    project_id: str = "p-sandbox00001"
    region: str = REGION
    account_id: str = ACCOUNT_ID
    seed: int = 7
    training_rows: int = 20_000
    validation_rows: int = 5_000  # held out from the same period: what the baselines are made from
    capture_sampling_percentage: int = 100
    training: TrainingSettings = field(default_factory=TrainingSettings)

    def validate(self) -> None:
        problems: list[str] = []
        for what, value in (("project name", self.project_name), ("project id", self.project_id)):
            if not _NAME.match(value):
                problems.append(
                    f"{what} {value!r}: expected lower-case letters, digits and single hyphens inside "
                    "(it is part of bucket and endpoint names)"
                )
        longest = max((self.bucket(kind) for kind in BucketKind), key=len)
        if len(longest) > _MAX_NAME or len(self.package_group) > _MAX_NAME:
            problems.append(
                f"project name + id are too long: {longest!r} has {len(longest)} characters, at most "
                f"{_MAX_NAME} are allowed"
            )
        if self.training_rows < 1000:
            problems.append(f"training rows {self.training_rows}: at least 1000 are needed to train a model")
        if self.validation_rows < 500:
            problems.append(f"validation rows {self.validation_rows}: at least 500 are needed for baselines")
        if not 0 <= self.capture_sampling_percentage <= 100:
            problems.append(
                f"capture sampling percentage {self.capture_sampling_percentage}: expected 0..100"
            )
        if problems:
            raise WorldError(problems)

    # -- names ----------------------------------------------------------------------------------------------
    @property
    def package_group(self) -> str:
        return f"{self.project_name}-{self.project_id}"

    def endpoint_name(self, stage: Stage) -> str:
        return f"{self.project_name}-{stage.value}"

    def deployment_names(self, stage: Stage, version_label: str) -> DeploymentNames:
        """The names ModelDeploy gives a stage's endpoint, endpoint config and model for a version."""
        endpoint = self.endpoint_name(stage)
        return DeploymentNames(
            endpoint, f"{endpoint}-config-{version_label}", f"{endpoint}-model-{version_label}"
        )

    def bucket(self, kind: BucketKind) -> str:
        return f"{self.project_name}-{self.project_id}-{kind.value}"

    @property
    def capture_uri(self) -> str:
        return str(S3Uri(self.bucket(BucketKind.ARTIFACTS)).join("data-capture"))

    @property
    def predictions_table(self) -> str:
        return f"{self.project_name}-predictions"

    @property
    def monitor_role_name(self) -> str:
        return f"{self.project_name}-model-monitor-role"

    @property
    def execution_role_name(self) -> str:
        return f"{self.project_name}-sagemaker-execution-role"

    @property
    def inference_image(self) -> str:
        # The model's serving image (the sandbox's RuntimeServer plays its part); a private ECR repository.
        return f"{self.account_id}.dkr.ecr.{self.region}.amazonaws.com/{self.project_name}-inference:latest"

    def versions(self) -> tuple[ModelVersionSpec, ModelVersionSpec]:
        """v1 (older, deployed on prod) and v2 (newer, on staging), trained on consecutive months."""
        start = datetime(2026, 1, 1, tzinfo=UTC)
        return (
            ModelVersionSpec("v1", self.seed * 1000 + 1, start, 31),
            ModelVersionSpec("v2", self.seed * 1000 + 2, start + timedelta(days=31), 28),
        )


@dataclass(frozen=True, slots=True)
class DeploymentNames:
    endpoint: str
    endpoint_config: str
    model: str


class PackageReference(StrEnum):
    """Where a SageMaker model names the package it was built from."""

    CONTAINER = "Containers[0].ModelPackageName"
    TAG = "ModelPackageArn tag"


class BucketKind(StrEnum):
    ARTIFACTS = "artifacts"  # models, baselines, training data, data capture
    MONITORING = (
        "monitoring"  # monitor outputs and ground truth (the deploy script's --monitor-outputs-bucket)
    )
    TRANSACTIONS = "transactions"  # stream files the Lambda scores


@dataclass(frozen=True, slots=True)
class RegisteredBaselines:
    """What a package is registered with: ``DriftCheckBaselines`` and, optionally, ``ModelMetrics``.

    Both in the CreateModelPackage request's shape, every file an ``{"ContentType", "S3Uri"}`` object:
    https://docs.aws.amazon.com/sagemaker/latest/APIReference/API_DriftCheckBaselines.html
    """

    drift_check_baselines: Mapping[str, Any]
    model_metrics: Mapping[str, Any] | None = None


class BaselineFactory(Protocol):
    """Makes a model version's baselines from labelled held-out data (raw columns and label), writes them
    below ``output_prefix`` (an ``s3://`` URI) through ``storage``, and says where they are."""

    def __call__(
        self, data: pd.DataFrame, model: FraudModel, output_prefix: str, storage: Storage
    ) -> RegisteredBaselines: ...


@dataclass(frozen=True, slots=True)
class AwsClients:
    """The boto3 clients the world is built with (``create`` uses ``pipelines.aws.client``)."""

    s3: Any
    sagemaker: Any
    iam: Any
    kms: Any
    dynamodb: Any

    @classmethod
    def create(cls, aws_session: Any = None) -> AwsClients:
        from pipelines.aws import client

        return cls(*(client(name, aws_session) for name in ("s3", "sagemaker", "iam", "kms", "dynamodb")))


@dataclass(frozen=True, slots=True)
class ModelVersion:
    """A registered model version and what it was made from."""

    spec: ModelVersionSpec
    model: FraudModel
    training: pd.DataFrame
    validation: pd.DataFrame
    package_arn: str
    artifact_uri: str
    training_data_uri: str
    baselines_uri: str
    baselines: RegisteredBaselines


@dataclass(frozen=True, slots=True)
class StageDeployment:
    """What runs on one stage's endpoint."""

    stage: Stage
    endpoint_name: str
    endpoint_config_name: str
    model_name: str
    version: ModelVersion
    package_reference: PackageReference

    @property
    def names(self) -> DeploymentNames:
        return DeploymentNames(self.endpoint_name, self.endpoint_config_name, self.model_name)


@dataclass(frozen=True, slots=True)
class World:
    settings: WorldSettings
    kms_key_arn: str
    monitor_role_arn: str
    execution_role_arn: str
    versions: Mapping[str, ModelVersion]
    stages: Mapping[Stage, StageDeployment]

    def bucket(self, kind: BucketKind) -> str:
        return self.settings.bucket(kind)

    def deployment(self, stage: Stage) -> StageDeployment:
        return self.stages[stage]

    def model_for(self, endpoint_name: str) -> FraudModel:
        """The model an endpoint runs (what the runtime server must serve behind that name)."""
        for deployment in self.stages.values():
            if deployment.endpoint_name == endpoint_name:
                return deployment.version.model
        raise KeyError(
            f"no endpoint {endpoint_name} in this world: {[d.endpoint_name for d in self.stages.values()]}"
        )


# -- building ----------------------------------------------------------------------------------------------

BUILD_STEPS = 10


def build_world(
    clients: AwsClients,
    baseline_factory: BaselineFactory,
    settings: WorldSettings | None = None,
    progress: Progress | None = None,
) -> World:
    """Create everything listed in the module docstring; each step is shown by ``progress``."""
    settings = settings or WorldSettings()
    settings.validate()
    progress = progress or quiet()
    storage = Storage(clients.s3)
    with progress.step("Create the KMS key"):
        kms_key_arn = create_kms_key(clients.kms, settings)
    with progress.step("Create the buckets (SSE-KMS by default, public access blocked)"):
        for kind in BucketKind:
            create_bucket(clients.s3, settings.bucket(kind), settings.region, kms_key_arn)
            progress.note(f"s3://{settings.bucket(kind)}")
    with progress.step(f"Create the scoring Lambda's predictions table {settings.predictions_table}"):
        create_predictions_table(clients.dynamodb, settings.predictions_table, kms_key_arn)
    with progress.step("Create the IAM roles for the models and the monitors"):
        execution_role_arn = create_role(
            clients.iam, settings.execution_role_name, settings, kms_key_arn, "runs the fraud models"
        )
        monitor_role_arn = create_role(
            clients.iam, settings.monitor_role_name, settings, kms_key_arn, "runs the monitoring jobs"
        )
    trained: dict[str, tuple[ModelVersionSpec, pd.DataFrame, pd.DataFrame, FraudModel]] = {}
    for spec in settings.versions():
        with progress.step(f"Generate data and train model {spec.label}"):
            start, end = spec.start, spec.start + timedelta(days=spec.days)
            training = generate_transactions(
                GeneratorSettings(rows=settings.training_rows, seed=spec.data_seed, start=start, end=end)
            )
            validation = generate_transactions(
                GeneratorSettings(
                    rows=settings.validation_rows, seed=spec.data_seed + 500, start=start, end=end
                )
            )
            model = train_fraud_model(training, settings.training)
            trained[spec.label] = (spec, training, validation, model)
            progress.note(
                f"{len(training)} training rows ({training[contract.LABEL_COLUMN].mean():.1%} fraud), "
                f"{len(validation)} held out for the baselines"
            )
    versions: dict[str, ModelVersion] = {}
    with progress.step("Upload artifacts and training data, make the baselines"):
        for label, (spec, training, validation, model) in trained.items():
            artifacts = S3Uri(settings.bucket(BucketKind.ARTIFACTS))
            artifact_uri = model.save(str(artifacts.join("models", label, ARTIFACT_FILE)), clients.s3)
            training_data_uri = str(artifacts.join("datasets", label, "training.csv"))
            storage.write_bytes(training_data_uri, stream_csv(training, include_label=True).data, "text/csv")
            baselines_uri = str(artifacts.join("baselines", label))
            baselines = baseline_factory(validation, model, baselines_uri, storage)
            versions[label] = ModelVersion(
                spec,
                model,
                training,
                validation,
                "",
                artifact_uri,
                training_data_uri,
                baselines_uri,
                baselines,
            )
            progress.note(f"{label}: {artifact_uri}")
    with progress.step(f"Register both versions, Approved, in model package group {settings.package_group}"):
        create_package_group(clients.sagemaker, settings)
        for label, version in list(versions.items()):
            arn = register_package(
                clients.sagemaker,
                settings,
                artifact_uri=version.artifact_uri,
                baselines=version.baselines,
                description=f"fraud model {label}, trained on {len(version.training)} rows",
                metadata={
                    "version": label,
                    "training_data": version.training_data_uri,
                    "training_seed": str(version.spec.data_seed),
                },
            )
            versions[label] = replace(version, package_arn=arn)
            progress.note(f"{label}: {arn}")
    stages: dict[Stage, StageDeployment] = {}
    with progress.step("Create the SageMaker models"):
        v1, v2 = versions["v1"], versions["v2"]
        stages[Stage.STAGING] = _deployment(settings, Stage.STAGING, v2, PackageReference.CONTAINER)
        stages[Stage.PROD] = _deployment(settings, Stage.PROD, v1, PackageReference.TAG)
        for deployment in stages.values():
            create_model(
                clients.sagemaker,
                settings,
                model_name=deployment.model_name,
                package_arn=deployment.version.package_arn,
                artifact_uri=deployment.version.artifact_uri,
                reference=deployment.package_reference,
                role_arn=execution_role_arn,
            )
    with progress.step("Create the endpoints with data capture"):
        for deployment in stages.values():
            create_endpoint(
                clients.sagemaker,
                deployment.names,
                deployment.stage,
                data_capture_config(settings, kms_key_arn),
                kms_key_arn,
            )
            progress.note(f"{deployment.endpoint_name} runs {deployment.version.spec.label}")
    return World(settings, kms_key_arn, monitor_role_arn, execution_role_arn, versions, stages)


def _deployment(
    settings: WorldSettings, stage: Stage, version: ModelVersion, reference: PackageReference
) -> StageDeployment:
    names = settings.deployment_names(stage, version.spec.label)
    return StageDeployment(
        stage=stage,
        endpoint_name=names.endpoint,
        endpoint_config_name=names.endpoint_config,
        model_name=names.model,
        version=version,
        package_reference=reference,
    )


# -- one call pattern each ---------------------------------------------------------------------------------


def create_kms_key(kms: Any, settings: WorldSettings) -> str:
    key = kms.create_key(
        Description=f"{settings.project_name} sandbox: buckets, data capture and monitor outputs",
        Tags=[{"TagKey": "sagemaker:project-name", "TagValue": settings.project_name}],
    )["KeyMetadata"]
    kms.create_alias(AliasName=f"alias/{settings.project_name}-sandbox", TargetKeyId=key["KeyId"])
    return str(key["Arn"])


def create_bucket(s3: Any, bucket: str, region: str, kms_key_arn: str | None = None) -> None:
    """A private bucket, encrypted with ``kms_key_arn`` by default (without one: S3's own SSE-S3)."""
    # us-east-1 takes no LocationConstraint (and refuses one that names it).
    location = {} if region == "us-east-1" else {"CreateBucketConfiguration": {"LocationConstraint": region}}
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


def _encrypt_by_default(s3: Any, bucket: str, kms_key_arn: str) -> None:
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


def create_predictions_table(dynamodb: Any, table_name: str, kms_key_arn: str | None = None) -> None:
    """The table ``lambda/template.yml`` creates: key ``TransactionID``, on demand, KMS (when a key is
    given; else DynamoDB's own encryption), TTL on leases."""
    encryption = (
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


def create_role(iam: Any, name: str, settings: WorldSettings, kms_key_arn: str, purpose: str) -> str:
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


def create_package_group(sagemaker: Any, settings: WorldSettings) -> None:
    sagemaker.create_model_package_group(
        ModelPackageGroupName=settings.package_group,
        ModelPackageGroupDescription=f"{settings.project_name}: fraud models (sandbox)",
    )


def register_package(
    sagemaker: Any,
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
    sagemaker: Any,
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
    sagemaker: Any,
    names: DeploymentNames,
    stage: Stage,
    capture_config: Mapping[str, Any],
    kms_key_arn: str | None = None,
) -> None:
    """The endpoint config (one variant, data capture) and the endpoint of one stage."""
    encryption = {} if kms_key_arn is None else {"KmsKeyId": kms_key_arn}
    sagemaker.create_endpoint_config(
        EndpointConfigName=names.endpoint_config,
        ProductionVariants=[
            {
                "VariantName": VARIANT_NAME,
                "ModelName": names.model,
                "InitialInstanceCount": 1,
                "InstanceType": INSTANCE_TYPE,
            }
        ],
        DataCaptureConfig=dict(capture_config),
        **encryption,
    )
    sagemaker.create_endpoint(
        EndpointName=names.endpoint,
        EndpointConfigName=names.endpoint_config,
        Tags=[{"Key": "sagemaker:deployment-stage", "Value": stage.value}],
    )
