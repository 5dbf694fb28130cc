"""A small Model Registry world in moto for the deployment tests.

Two Approved versions of the project's package group, each with its own baselines in S3; staging runs the
newer one (model names its package in its container), prod the older one (model names it in a
``ModelPackageArn`` tag), as the project's deploy stage does. Each piece is a function so a test can build
the variation it needs (no endpoint, a missing baseline, a malformed tag, ...).
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from transaction_scoring import contract

from pipelines.deploy.flow import DeployOptions, StageRequest
from pipelines.deploy.image_uris import MonitorImages

PROJECT = "fraud"
PROJECT_ID = "p-abc123"
GROUP = f"{PROJECT}-{PROJECT_ID}"
REGION = "us-east-1"
ROLE = "arn:aws:iam::123456789012:role/model-monitor"
BASELINE_BUCKET = "fraud-baselines"
OUTPUT_BUCKET = "fraud-monitoring"
IMAGE = "123456789012.dkr.ecr.us-east-1.amazonaws.com/fraud-model:1"

FULL_CAPTURE = {
    "EnableCapture": True,
    "InitialSamplingPercentage": 100,
    "DestinationS3Uri": f"s3://{OUTPUT_BUCKET}/capture",
    "CaptureOptions": [{"CaptureMode": "Input"}, {"CaptureMode": "Output"}],
    "CaptureContentTypeHeader": {"JsonContentTypes": [contract.CONTENT_TYPE]},
}


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
            self.s3.create_bucket(Bucket=bucket)

    def upload_baselines(self, version: str) -> None:
        for name, document in baseline_documents(version).items():
            self.s3.put_object(
                Bucket=BASELINE_BUCKET, Key=f"{version}/{name}", Body=json.dumps(document).encode()
            )

    def create_group(self) -> None:
        self.sagemaker.create_model_package_group(ModelPackageGroupName=GROUP)

    def register(
        self,
        version: str,
        *,
        status: str = "Approved",
        drift_check: dict[str, Any] | None = None,
        model_metrics: dict[str, Any] | None = None,
    ) -> str:
        kwargs: dict[str, Any] = {
            "ModelPackageGroupName": GROUP,
            "ModelApprovalStatus": status,
            "InferenceSpecification": {
                "Containers": [
                    {"Image": IMAGE, "ModelDataUrl": f"s3://{BASELINE_BUCKET}/{version}/model.tar.gz"}
                ],
                "SupportedContentTypes": [contract.CONTENT_TYPE],
                "SupportedResponseMIMETypes": [contract.ACCEPT],
            },
            "DriftCheckBaselines": drift_check_baselines(version) if drift_check is None else drift_check,
        }
        if model_metrics is not None:
            kwargs["ModelMetrics"] = model_metrics
        arn = self.sagemaker.create_model_package(**kwargs)["ModelPackageArn"]
        self.packages[version] = arn
        return arn

    def deploy(
        self,
        stage: str,
        version: str,
        *,
        style: str = "container",
        capture: dict[str, Any] | None = None,
        tag_value: str | None = None,
    ) -> str:
        """Create model, endpoint config and endpoint ``fraud-{stage}`` running package ``version``."""
        model_name = f"{PROJECT}-{stage}-model-{version}"
        if style == "container":
            self.sagemaker.create_model(
                ModelName=model_name,
                Containers=[{"ModelPackageName": self.packages[version]}],
                ExecutionRoleArn=ROLE,
            )
        else:
            self.sagemaker.create_model(
                ModelName=model_name,
                PrimaryContainer={
                    "Image": IMAGE,
                    "ModelDataUrl": f"s3://{BASELINE_BUCKET}/{version}/model.tar.gz",
                },
                ExecutionRoleArn=ROLE,
                Tags=[{"Key": "ModelPackageArn", "Value": tag_value or self.packages[version]}],
            )
        config_name = f"{PROJECT}-{stage}-config-{version}"
        self.sagemaker.create_endpoint_config(
            EndpointConfigName=config_name,
            ProductionVariants=[
                {
                    "VariantName": "AllTraffic",
                    "ModelName": model_name,
                    "InstanceType": "ml.m5.large",
                    "InitialInstanceCount": 1,
                }
            ],
            DataCaptureConfig=FULL_CAPTURE if capture is None else capture,
        )
        self.sagemaker.create_endpoint(EndpointName=f"{PROJECT}-{stage}", EndpointConfigName=config_name)
        return model_name

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
    world.deploy("staging", "v2", style="container")
    world.deploy("prod", "v1", style="tag")
    return world


REPO_ROOT = Path(__file__).resolve().parents[2]
TEMPLATE = REPO_ROOT / "model-monitor-template.yml"
STAGING_CONFIG = REPO_ROOT / "staging-monitoring-schedule-config.json"
PROD_CONFIG = REPO_ROOT / "prod-monitoring-schedule-config.json"
# The flow tests pass the images in; the real SDK lookup has its own test (test_image_uris.py).
IMAGES = MonitorImages(
    model_monitor="156813124566.dkr.ecr.us-east-1.amazonaws.com/sagemaker-model-monitor-analyzer",
    clarify="205585389593.dkr.ecr.us-east-1.amazonaws.com/sagemaker-clarify-processing:1.0",
)


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
    }
    values.update(overrides)
    return DeployOptions(**values)
