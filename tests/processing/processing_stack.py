"""The Processing backend's nested stack in moto, for the state machine's tests.

``processing-backend.yml`` is deployed by moto's CloudFormation (in the long form ``aws cloudformation
package`` writes) with the parameters the stage template passes it for a stage export (cloud-radar renders
the parent's ``ProcessingBackend`` resource), an alert topic and key made here; the stage parameters name
placeholder S3 files: these tests run the state machine, not the monitors (the sandbox's tests run the job
for real). The execution-side plumbing is the sandbox's (``pipelines.sandbox.processing_backend``).
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from paths import REPO_ROOT

from pipelines.sandbox.processing_backend import (
    BackendStack,
    backend_stack,
    render_template,
    template_document,
)

TEMPLATE = REPO_ROOT / "model-monitor-template.yml"
BACKEND_TEMPLATE = REPO_ROOT / "pipelines/processing/processing-backend.yml"
STACK = "sagemaker-fraud-monitoring-prod"
BUCKET = "fraud-monitoring-bucket"
IMAGE = "683313688378.dkr.ecr.us-east-1.amazonaws.com/sagemaker-scikit-learn:1.4-2-py312-cpu-py3"
SPARK_IMAGE = "173754725891.dkr.ecr.us-east-1.amazonaws.com/sagemaker-spark-processing:3.5-cpu-py312"
KMS_KEY = "arn:aws:kms:us-east-1:123456789012:key/1234abcd-12ab-34cd-56ef-1234567890ab"


def stage_parameters(**overrides: str) -> dict[str, str]:
    """A prod stage on the Processing backend, as get_baselines_and_configs.py would export it."""
    bucket = f"s3://{BUCKET}"
    parameters = {
        **json.loads((REPO_ROOT / "prod-monitoring-schedule-config.json").read_text())["Parameters"],
        "SageMakerProjectName": "fraud",
        "ModelMonitorRoleArn": "arn:aws:iam::123456789012:role/monitor",
        "EndpointName": "fraud-prod",
        "MonitoringScheduleName": "fraud-prod",
        "ModelMonitorImageUri": "156813124566.dkr.ecr.us-east-1.amazonaws.com/sagemaker-model-monitor",
        "ClarifyImageUri": "205585389593.dkr.ecr.us-east-1.amazonaws.com/sagemaker-clarify-processing:1.0",
        "GroundTruthInput": f"{bucket}/ground-truth/fraud-prod",
        "ProcessingImageUri": IMAGE,
        "ProcessingCodeS3Uri": f"{bucket}/monitoring-code/processing/code-0123456789abcdef/",
        "ProcessingWheelhouseS3Uri": f"{bucket}/monitoring-code/processing/wheelhouse-0123456789abcdef/",
        "StageExportS3Uri": f"{bucket}/monitoring-code/stage-exports/fraud-prod-0123456789abcdef.json",
        "DataCaptureS3Uri": f"{bucket}/datacapture",
        "DataCaptureVariant": "AllTraffic",
        "ProcessingModelS3Uri": f"{bucket}/models/model.tar.gz",
        "ProcessingS3ReadArns": f"arn:aws:s3:::{BUCKET}/*",
        "ProcessingS3BucketArns": f"arn:aws:s3:::{BUCKET}",
        "DataQualityProcessingMonitors": "DataQuality,ModelQuality",
        "DataQualityProcessingMaxRuntimeInSeconds": "3600",
        "ModelQualityProcessingMonitors": "",
        "ModelQualityProcessingMaxRuntimeInSeconds": "3600",
        "ModelBiasScheduleIntervalSeconds": "86400",
        "ModelExplainabilityScheduleIntervalSeconds": "86400",
        "ProcessingJobPollSeconds": "1",
    }
    for monitor in ("DataQuality", "ModelQuality", "ModelBias", "ModelExplainability"):
        folder = {"DataQuality": "data-quality", "ModelQuality": "model-quality"}.get(monitor, monitor)
        parameters[f"{monitor}MonitoringOutputS3Uri"] = f"{bucket}/monitor-output/{folder}"
    for name in (
        "DataQualityConstraintsS3Uri", "DataQualityStatisticsS3Uri", "ModelQualityConstraintsS3Uri",
        "ModelBiasConstraintsS3Uri", "ModelBiasConfigS3Uri", "ModelExplainabilityConstraintsS3Uri",
        "ModelExplainabilityConfigS3Uri",
    ):  # fmt: skip
        parameters[name] = f"{bucket}/baselines/{name}.json"
    parameters.update(overrides)
    return parameters


def backend_parameters(stage: Mapping[str, str]) -> dict[str, str]:
    """What the stage template passes its ProcessingBackend nested stack for ``stage`` (rendered)."""
    rendered = render_template(TEMPLATE.read_text(), stage)
    return dict(rendered["Resources"]["ProcessingBackend"]["Properties"]["Parameters"])


@dataclass(frozen=True)
class DeployedStack:
    """A stage stack and its Processing backend's nested stack (None on the ModelMonitor backend)."""

    name: str
    outputs: Mapping[str, str]
    backend: BackendStack | None

    @property
    def parameters(self) -> Mapping[str, str]:
        assert self.backend is not None
        return self.backend.parameters

    @property
    def physical_ids(self) -> Mapping[str, str]:
        assert self.backend is not None
        return self.backend.physical_ids

    @property
    def state_machine_arn(self) -> str:
        return self.outputs["ProcessingStateMachineArn"]

    @property
    def topic_arn(self) -> str:
        return self.outputs["AlertTopicArn"]


def deploy_stack(clients: Any, stage: Mapping[str, str], name: str = STACK) -> DeployedStack:
    """The stage stack in moto, as ``aws cloudformation package`` + deploy would make it: the nested
    template uploaded to S3 and named by URL (``clients``: cloudformation, iam, sqs, s3)."""
    key = f"templates/{name}-processing-backend.json"
    clients.s3.put_object(
        Bucket=BUCKET, Key=key, Body=json.dumps(template_document(BACKEND_TEMPLATE.read_text()))
    )
    document = template_document(TEMPLATE.read_text())
    endpoint = clients.s3.meta.endpoint_url  # http://localhost:port, where moto finds nested templates
    document["Resources"]["ProcessingBackend"]["Properties"]["TemplateURL"] = f"{endpoint}/{BUCKET}/{key}"
    cloudformation = clients.cloudformation
    cloudformation.create_stack(
        StackName=name,
        TemplateBody=json.dumps(document),
        Parameters=[{"ParameterKey": k, "ParameterValue": v} for k, v in stage.items()],
        Capabilities=["CAPABILITY_IAM"],
    )
    stack = cloudformation.describe_stacks(StackName=name)["Stacks"][0]
    assert stack["StackStatus"] == "CREATE_COMPLETE", stack.get("StackStatusReason")
    outputs = {o["OutputKey"]: o["OutputValue"] for o in stack.get("Outputs", [])}
    backend = None
    if stage.get("MonitoringBackend") == "Processing":
        backend = backend_stack(cloudformation, clients.iam, clients.sqs, name)
    return DeployedStack(name, outputs, backend)
