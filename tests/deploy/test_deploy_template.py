"""The monitoring template: linted clean, and rendered with each exported stage config.

Rendering uses cloud-radar (conditions, Refs, Subs and Ifs resolved the way CloudFormation does), so the
tests can say which resources a stage gets and what they point to. moto cannot create the SageMaker
monitoring resources, so this is where their properties are checked (the buildspec test deploys the rest).
"""

from __future__ import annotations

import json

import pytest
from cloud_radar.cf.unit import Template
from registry_world import (
    BASELINE_BUCKET,
    IMAGES,
    PROD_CONFIG,
    STAGING_CONFIG,
    TEMPLATE,
    edit_config,
    make_options,
    standard_world,
)
from template_linters import LINTERS, CfnLintRun, CheckovReport

from pipelines.deploy.flow import deploy

MONITOR_RESOURCES = {
    "DataQuality": ("DataQualityJobDefinition", "DataQualityMonitoringSchedule"),
    "ModelQuality": ("ModelQualityJobDefinition", "ModelQualityMonitoringSchedule"),
    "ModelBias": ("ModelBiasJobDefinition", "ModelBiasMonitoringSchedule"),
    "ModelExplainability": ("ModelExplainabilityJobDefinition", "ModelExplainabilityMonitoringSchedule"),
}
ALERT_RESOURCES = {"AlertTopicKey", "AlertTopic", "AlertTopicPolicy", "MonitoringAlertRule"}


@pytest.fixture(scope="module")
def exports(moto_account, tmp_path_factory) -> dict[str, dict[str, str]]:
    """The parameters get_baselines_and_configs.py exports for each stage of the standard world."""
    mock, aws = moto_account
    mock.reset()
    standard_world(aws.sagemaker, aws.s3)
    folder = tmp_path_factory.mktemp("exports")
    deploy(make_options({"staging": STAGING_CONFIG, "prod": PROD_CONFIG}, folder), aws, IMAGES)
    return {
        stage: json.loads((folder / "out" / f"{stage}-export.json").read_text())["Parameters"]
        for stage in ("staging", "prod")
    }


def render(parameters: dict[str, str]) -> dict:
    """The stage's resources on the ModelMonitor backend (the shipped configs choose Processing, whose
    resources test_deploy_template_processing.py checks)."""
    return Template.from_yaml(TEMPLATE).render({**parameters, "MonitoringBackend": "ModelMonitor"})


@pytest.mark.parametrize("stage", ["staging", "prod"])
def test_each_export_renders_four_schedules_and_the_alert_path(exports, stage) -> None:
    resources = render(exports[stage])["Resources"]
    expected = {name for pair in MONITOR_RESOURCES.values() for name in pair} | ALERT_RESOURCES
    assert set(resources) == expected  # no e-mail given: no subscription


def test_schedules_point_to_their_job_definitions_and_the_stage_endpoint(exports) -> None:
    resources = render(exports["prod"])["Resources"]
    for monitor, (job, schedule) in MONITOR_RESOURCES.items():
        config = resources[schedule]["Properties"]["MonitoringScheduleConfig"]
        assert config["MonitoringJobDefinitionName"] == f"{job}.JobDefinitionName"
        assert config["MonitoringType"] == monitor
        assert resources[schedule]["Properties"]["MonitoringScheduleName"] == f"fraud-prod-{monitor}"
        job_input = next(v for k, v in resources[job]["Properties"].items() if k.endswith("JobInput"))
        assert job_input["EndpointInput"]["EndpointName"] == "fraud-prod"


def test_job_definitions_read_the_stages_own_baselines(exports) -> None:
    resources = render(exports["prod"])["Resources"]
    data_quality = resources["DataQualityJobDefinition"]["Properties"]
    assert data_quality["DataQualityBaselineConfig"]["StatisticsResource"]["S3Uri"] == (
        f"s3://{BASELINE_BUCKET}/v1/data_quality/statistics.json"
    )
    assert data_quality["DataQualityAppSpecification"]["RecordPreprocessorSourceUri"].endswith(".py")
    bias = resources["ModelBiasJobDefinition"]["Properties"]
    assert bias["ModelBiasAppSpecification"]["ConfigUri"] == exports["prod"]["ModelBiasConfigS3Uri"]
    assert bias["ModelBiasAppSpecification"]["ImageUri"] == IMAGES.clarify


def test_ground_truth_monitors_get_the_delay_window_and_the_threshold_in_percent(exports) -> None:
    resources = render(exports["staging"])["Resources"]
    for job, key in (
        ("ModelQualityJobDefinition", "ModelQualityJobInput"),
        ("ModelBiasJobDefinition", "ModelBiasJobInput"),
    ):
        endpoint_input = resources[job]["Properties"][key]["EndpointInput"]
        assert (endpoint_input["StartTimeOffset"], endpoint_input["EndTimeOffset"]) == ("-P1D", "-PT1H")
        assert endpoint_input["ProbabilityThresholdAttribute"] == "50"
        assert (
            resources[job]["Properties"][key]["GroundTruthS3Input"]["S3Uri"]
            == exports["staging"]["GroundTruthInput"]
        )


def test_every_job_encrypts_inter_container_traffic(exports) -> None:
    resources = render(exports["staging"])["Resources"]
    for job, _ in MONITOR_RESOURCES.values():
        assert (
            resources[job]["Properties"]["NetworkConfig"]["EnableInterContainerTrafficEncryption"] == "true"
        )


def test_model_monitors_jobs_are_network_isolated_and_clarifys_are_not(exports) -> None:
    """Model Monitor's analyzer gets its inputs and outputs from SageMaker; Clarify calls the model
    (issue 13)."""
    resources = render(exports["staging"])["Resources"]
    isolation = {
        monitor: resources[job]["Properties"]["NetworkConfig"]["EnableNetworkIsolation"]
        for monitor, (job, _) in MONITOR_RESOURCES.items()
    }
    assert isolation == {
        "DataQuality": True, "ModelQuality": True, "ModelBias": False, "ModelExplainability": False,
    }  # fmt: skip


def test_kms_is_used_only_when_a_key_is_given(exports) -> None:
    key = "arn:aws:kms:us-east-1:123456789012:key/1234abcd-12ab-34cd-56ef-1234567890ab"
    without = render(exports["prod"])["Resources"]["DataQualityJobDefinition"]["Properties"]
    assert "KmsKeyId" not in without["DataQualityJobOutputConfig"]
    with_key = render({**exports["prod"], "KMSKeyArn": key})["Resources"]["DataQualityJobDefinition"][
        "Properties"
    ]
    assert with_key["DataQualityJobOutputConfig"]["KmsKeyId"] == key
    assert with_key["JobResources"]["ClusterConfig"]["VolumeKmsKeyId"] == key


def test_a_switched_off_monitor_has_no_resources_and_no_alert_pattern(exports) -> None:
    rendered = render({**exports["prod"], "EnableModelBiasMonitor": "no", "ModelBiasConstraintsS3Uri": ""})
    assert not {"ModelBiasJobDefinition", "ModelBiasMonitoringSchedule"} & set(rendered["Resources"])
    pattern = rendered["Resources"]["MonitoringAlertRule"]["Properties"]["EventPattern"]
    # CloudFormation drops an AWS::NoValue list item; cloud-radar leaves "" in its place.
    arns = [
        entry["equals-ignore-case"] for entry in pattern["detail"]["MonitoringScheduleArn"] if entry != ""
    ]
    assert [arn.rsplit("/", 1)[1] for arn in arns] == [
        "fraud-prod-DataQuality", "fraud-prod-ModelQuality", "fraud-prod-ModelExplainability",
    ]  # fmt: skip


def test_the_alert_rule_catches_failures_and_violations_and_publishes_to_the_topic(exports) -> None:
    resources = render(exports["prod"])["Resources"]
    rule = resources["MonitoringAlertRule"]["Properties"]
    assert rule["EventPattern"]["detail-type"] == ["SageMaker Processing Job State Change"]
    assert rule["EventPattern"]["detail"]["$or"] == [
        {"ProcessingJobStatus": ["Failed"]},
        {"ExitMessage": [{"prefix": "CompletedWithViolations"}]},
    ]
    assert rule["Targets"] == [{"Id": "MonitoringAlertsTopic", "Arn": "AlertTopic"}]
    statement = resources["AlertTopicPolicy"]["Properties"]["PolicyDocument"]["Statement"][0]
    assert statement["Principal"] == {"Service": "events.amazonaws.com"}
    assert resources["AlertTopic"]["Properties"]["KmsMasterKeyId"] == "AlertTopicKey"


def test_an_alert_email_adds_a_subscription(exports) -> None:
    resources = render({**exports["staging"], "AlertEmail": "ml-oncall@example.com"})["Resources"]
    assert resources["AlertEmailSubscription"]["Properties"] == {
        "TopicArn": "AlertTopic", "Protocol": "email", "Endpoint": "ml-oncall@example.com",
    }  # fmt: skip


def test_a_stage_with_every_monitor_off_gets_no_resources(exports) -> None:
    off = {f"Enable{m}Monitor": "no" for m in MONITOR_RESOURCES}
    assert render({**exports["staging"], **off}).get("Resources", {}) == {}


@LINTERS
@pytest.mark.slow
def test_cfn_lint_reports_nothing(cfn_lint: CfnLintRun) -> None:
    assert cfn_lint.findings(TEMPLATE) == []
    assert cfn_lint.stderr == ""


@LINTERS
@pytest.mark.slow
def test_checkov_reports_no_failed_check(checkov: CheckovReport) -> None:
    failed = checkov.checks("failed", TEMPLATE)
    assert failed == []
    assert checkov.checks("passed", TEMPLATE) != []


def test_a_config_with_an_email_exports_it(aws, world, configs, tmp_path) -> None:
    edit_config(configs["prod"], AlertEmail="oncall@example.com")
    result = deploy(make_options(configs, tmp_path), aws, IMAGES)
    assert result.plans[1].parameters["AlertEmail"] == "oncall@example.com"
