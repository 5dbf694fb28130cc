"""What a built world is: its model versions, what runs on each stage, the clients it was built with."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Protocol

import pandas as pd

from pipelines.model import FraudModel
from pipelines.sandbox.world.resources import RegisteredBaselines
from pipelines.sandbox.world.settings import (
    BucketKind,
    DeploymentNames,
    ModelVersionSpec,
    PackageReference,
    Stage,
    WorldSettings,
)
from pipelines.storage import Storage

if TYPE_CHECKING:
    from mypy_boto3_dynamodb import DynamoDBClient
    from mypy_boto3_iam import IAMClient
    from mypy_boto3_kms import KMSClient
    from mypy_boto3_s3 import S3Client
    from mypy_boto3_sagemaker import SageMakerClient


class BaselineFactory(Protocol):
    """Makes a model version's baselines from labelled held-out data (raw columns and label), writes them
    below ``output_prefix`` (an ``s3://`` URI) through ``storage``, and says where they are."""

    def __call__(
        self, data: pd.DataFrame, model: FraudModel, output_prefix: str, storage: Storage
    ) -> RegisteredBaselines: ...


@dataclass(frozen=True, slots=True)
class AwsClients:
    """The boto3 clients the world is built with (``create`` uses ``pipelines.aws.client``)."""

    s3: S3Client
    sagemaker: SageMakerClient
    iam: IAMClient
    kms: KMSClient
    dynamodb: DynamoDBClient

    @classmethod
    def create(cls, aws_session: Any = None) -> AwsClients:
        from pipelines.aws import client

        return cls(
            client("s3", aws_session),
            client("sagemaker", aws_session),
            client("iam", aws_session),
            client("kms", aws_session),
            client("dynamodb", aws_session),
        )


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
