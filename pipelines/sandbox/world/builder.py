"""``build_world``: every resource of the world, created step by step (the package's docstring lists them)."""

from __future__ import annotations

from dataclasses import replace
from datetime import timedelta

import pandas as pd
from transaction_scoring import contract

from pipelines.model import FraudModel, train_fraud_model
from pipelines.model.artifact import ARTIFACT_FILE
from pipelines.s3uri import S3Uri
from pipelines.sandbox.data import GeneratorSettings, generate_transactions, stream_csv
from pipelines.sandbox.progress import Progress, quiet
from pipelines.sandbox.world.resources import (
    create_bucket,
    create_endpoint,
    create_kms_key,
    create_model,
    create_package_group,
    create_predictions_table,
    create_role,
    data_capture_config,
    register_package,
)
from pipelines.sandbox.world.settings import (
    BucketKind,
    ModelVersionSpec,
    PackageReference,
    Stage,
    WorldSettings,
)
from pipelines.sandbox.world.types import (
    AwsClients,
    BaselineFactory,
    ModelVersion,
    StageDeployment,
    World,
)
from pipelines.storage import Storage

BUILD_STEPS = 10


def build_world(
    clients: AwsClients,
    baseline_factory: BaselineFactory,
    settings: WorldSettings | None = None,
    progress: Progress | None = None,
) -> World:
    """Create everything ``pipelines.sandbox.world``'s docstring lists; each step is shown by ``progress``."""
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
