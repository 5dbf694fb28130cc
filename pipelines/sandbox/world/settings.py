"""The world's names and sizes: ``WorldSettings`` and the names it gives every resource.

Every resource name derives from the project name and id (as the SageMaker project template names its
resources); ``validate`` refuses a name AWS would refuse before anything is created.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from enum import StrEnum

from pipelines.errors import UserError
from pipelines.model import TrainingSettings
from pipelines.s3uri import S3Uri
from pipelines.sandbox.aws_emulator import ACCOUNT_ID, REGION

# https://docs.aws.amazon.com/sagemaker/latest/APIReference/API_CreateEndpoint.html: endpoint names are at
# most 63 characters of [a-zA-Z0-9](-*[a-zA-Z0-9])*; bucket names add lower case only.
_NAME = re.compile(r"^[a-z0-9](-*[a-z0-9])*$")
_MAX_NAME = 63


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
