"""A small Model Registry world in moto for the deployment tests, built with the sandbox's world functions.

Two Approved versions of the project's package group, each with its own baselines in S3; staging runs the
newer one (model names its package in its container), prod the older one (model names it in a
``ModelPackageArn`` tag), as the project's deploy stage does. Names, requests and capture settings are the
sandbox's (``pipelines.sandbox.world``); what differs is that no model is trained: the packages point at
hand-made baseline files, which name their version so a test can tell whose baselines a stage got. Each
piece is a method so a test can build the variation it needs (no endpoint, a missing baseline, a malformed
tag, ...).
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from transaction_scoring import contract

from pipelines.container import wheelhouse
from pipelines.deploy.flow import DeployOptions, StageRequest
from pipelines.deploy.image_uris import MonitorImages
from pipelines.sandbox.aws_emulator import ACCOUNT_ID
from pipelines.sandbox.world import (
    APPROVED,
    BucketKind,
    PackageReference,
    RegisteredBaselines,
    Stage,
    WorldSettings,
    create_bucket,
    create_endpoint,
    create_model,
    create_package_group,
    data_capture_config,
    register_package,
)
from pipelines.storage import Storage

SETTINGS = WorldSettings(project_name="fraud", project_id="p-abc123")
PROJECT = SETTINGS.project_name
PROJECT_ID = SETTINGS.project_id
GROUP = SETTINGS.package_group
REGION = SETTINGS.region
ROLE = f"arn:aws:iam::{ACCOUNT_ID}:role/{SETTINGS.monitor_role_name}"
BASELINE_BUCKET = SETTINGS.bucket(BucketKind.ARTIFACTS)
OUTPUT_BUCKET = SETTINGS.bucket(BucketKind.MONITORING)
FULL_CAPTURE = data_capture_config(SETTINGS)


def baseline_documents(version: str) -> dict[str, Any]:
    """Distinct, realistic-shaped baseline files for one package version."""
    facet = {"name_or_index": contract.CUSTOMER_AGE, "value_or_threshold": [40]}
    return {
        "data_quality/statistics.json": {
            "version": 0.0,
            "dataset": {"item_count": 100},
            "features": [],
            "v": version,
        },
        "data_quality/constraints.json": {"version": 0.0, "features": [], "v": version},
        "model_quality/constraints.json": {
            "version": 0.0,
            "binary_classification_constraints": {
                "f1": {"threshold": 0.7, "comparison_operator": "LessThanThreshold"}
            },
            "v": version,
        },
        "bias/pre_training_constraints.json": {"version": "1.0", "pre_training_bias_metrics": {"v": version}},
        "bias/post_training_constraints.json": {
            "version": "1.0",
            "post_training_bias_metrics": {"v": version},
        },
        "bias/analysis_config.json": {
            "dataset_type": "text/csv",
            "headers": [*contract.FEATURE_COLUMNS, contract.LABEL_COLUMN],
            "label": contract.LABEL_COLUMN,
            "label_values_or_threshold": [1],
            "facet": [facet],
            "methods": {"pre_training_bias": {"methods": "all"}, "post_training_bias": {"methods": "all"}},
            "predictor": {"model_name": f"training-model-{version}", "instance_type": "ml.m5.large"},
            "probability_threshold": 0.5,
        },
        "explainability/constraints.json": {"version": "1.0", "explanations": {"v": version}},
        "explainability/analysis_config.json": {
            "dataset_type": "text/csv",
            "headers": list(contract.FEATURE_COLUMNS),
            "methods": {"shap": {"num_samples": 100, "agg_method": "mean_abs"}},
            "predictor": {
                "model_name": f"training-model-{version}",
                "instance_type": "ml.m5.large",
                "initial_instance_count": 1,
                "content_type": contract.CONTENT_TYPE,
            },
        },
    }


def uri(version: str, name: str) -> str:
    return f"s3://{BASELINE_BUCKET}/{version}/{name}"


def metrics_source(location: str) -> dict[str, str]:
    return {"ContentType": "application/json", "S3Uri": location}


def drift_check_baselines(version: str) -> dict[str, Any]:
    return {
        "ModelDataQuality": {
            "Statistics": metrics_source(uri(version, "data_quality/statistics.json")),
            "Constraints": metrics_source(uri(version, "data_quality/constraints.json")),
        },
        "ModelQuality": {"Constraints": metrics_source(uri(version, "model_quality/constraints.json"))},
        "Bias": {
            "ConfigFile": metrics_source(uri(version, "bias/analysis_config.json")),
            "PreTrainingConstraints": metrics_source(uri(version, "bias/pre_training_constraints.json")),
            "PostTrainingConstraints": metrics_source(uri(version, "bias/post_training_constraints.json")),
        },
        "Explainability": {
            "Constraints": metrics_source(uri(version, "explainability/constraints.json")),
            "ConfigFile": metrics_source(uri(version, "explainability/analysis_config.json")),
        },
    }


@dataclass
class World:
    sagemaker: Any
    s3: Any
    packages: dict[str, str] = field(default_factory=dict)  # version label -> package ARN

    def create_buckets(self) -> None:
        for bucket in (BASELINE_BUCKET, OUTPUT_BUCKET):
            create_bucket(self.s3, bucket, REGION)

    def upload_baselines(self, version: str) -> None:
        storage = Storage(self.s3)
        for name, document in baseline_documents(version).items():
            storage.write_json(uri(version, name), document)

    def create_group(self) -> None:
        create_package_group(self.sagemaker, SETTINGS)

    def register(
        self, version: str, *, status: str = APPROVED, drift_check: dict[str, Any] | None = None
    ) -> str:
        """Register package ``version`` with its baselines (or ``drift_check`` as DriftCheckBaselines)."""
        arn = register_package(
            self.sagemaker,
            SETTINGS,
            artifact_uri=uri(version, "model.tar.gz"),
            baselines=RegisteredBaselines(
                drift_check_baselines(version) if drift_check is None else drift_check
            ),
            description=f"fraud model {version}",
            approval_status=status,
        )
        self.packages[version] = arn
        return arn

    def deploy(
        self,
        stage: str,
        version: str,
        *,
        reference: PackageReference = PackageReference.CONTAINER,
        capture: dict[str, Any] | None = None,
        tag_value: str | None = None,
    ) -> str:
        """Model, endpoint config and endpoint ``fraud-{stage}`` running package ``version``; the model names
        it as ``reference`` says (a tag holding ``tag_value`` instead of the ARN, if given)."""
        names = SETTINGS.deployment_names(Stage(stage), version)
        package_arn = self.packages[version]
        if reference is PackageReference.TAG and tag_value is not None:
            package_arn = tag_value
        create_model(
            self.sagemaker,
            SETTINGS,
            model_name=names.model,
            package_arn=package_arn,
            artifact_uri=uri(version, "model.tar.gz"),
            reference=reference,
            role_arn=ROLE,
        )
        create_endpoint(self.sagemaker, names, Stage(stage), FULL_CAPTURE if capture is None else capture)
        return names.model

    def object_keys(self) -> dict[str, set[str]]:
        return {
            bucket: {o["Key"] for o in self.s3.list_objects_v2(Bucket=bucket).get("Contents", [])}
            for bucket in (BASELINE_BUCKET, OUTPUT_BUCKET)
        }


def standard_world(sagemaker: Any, s3: Any) -> World:
    """Packages v1 (older) and v2 (newer); staging runs v2 (container style), prod v1 (tag style)."""
    world = World(sagemaker, s3)
    world.create_buckets()
    world.create_group()
    for version in ("v1", "v2"):
        world.upload_baselines(version)
        world.register(version)
    world.deploy("staging", "v2", reference=PackageReference.CONTAINER)
    world.deploy("prod", "v1", reference=PackageReference.TAG)
    return world


REPO_ROOT = Path(__file__).resolve().parents[2]
TEMPLATE = REPO_ROOT / "model-monitor-template.yml"
STAGING_CONFIG = REPO_ROOT / "staging-monitoring-schedule-config.json"
PROD_CONFIG = REPO_ROOT / "prod-monitoring-schedule-config.json"
# The flow tests pass the images in; the real SDK lookup has its own test (test_image_uris.py).
IMAGES = MonitorImages(
    model_monitor="156813124566.dkr.ecr.us-east-1.amazonaws.com/sagemaker-model-monitor-analyzer",
    clarify="205585389593.dkr.ecr.us-east-1.amazonaws.com/sagemaker-clarify-processing:1.0",
    processing="683313688378.dkr.ecr.us-east-1.amazonaws.com/sagemaker-scikit-learn:1.4-2-py312-cpu-py3",
    spark_processing="173754725891.dkr.ecr.us-east-1.amazonaws.com/sagemaker-spark-processing:3.5-cpu-py312",
)
JOB_REQUIREMENTS = REPO_ROOT / "requirements-job.txt"


def requirements_only_wheelhouse(folder: Path) -> Path:
    """A wheelhouse of requirements.txt and wheelhouse.json only (the flow uploads whatever it lists)."""
    wheelhouse.build(folder, JOB_REQUIREMENTS, with_wheels=False)
    return folder


def edit_config(path: Path, **changes: Any) -> None:
    """Set (or, with value None, remove) parameters of a stage config file."""
    document = json.loads(path.read_text())
    for name, value in changes.items():
        if value is None:
            document["Parameters"].pop(name, None)
        else:
            document["Parameters"][name] = value
    path.write_text(json.dumps(document))


def make_options(configs: dict[str, Path], tmp_path: Path, **overrides: Any) -> DeployOptions:
    values: dict[str, Any] = {
        "project_name": PROJECT,
        "project_id": PROJECT_ID,
        "model_monitor_role": ROLE,
        "monitor_outputs_bucket": OUTPUT_BUCKET,
        "stages": (
            StageRequest(str(configs["staging"]), str(tmp_path / "out" / "staging-export.json")),
            StageRequest(str(configs["prod"]), str(tmp_path / "out" / "prod-export.json")),
        ),
        "template_file": str(TEMPLATE),
        "processing_wheelhouse": str(requirements_only_wheelhouse(tmp_path / "wheelhouse")),
    }
    values.update(overrides)
    return DeployOptions(**values)
