"""The Processing backend in the template, rendered by cloud-radar: the resources a stage gets, their links.

cfn-lint and checkov run over the whole template (both backends' resources) in tests/deploy; the state
machine's definition is executed in test_processing_state_machine.py.
"""

from __future__ import annotations

import json

import pytest
from cloud_radar.cf.unit import Template
from processing_stack import BACKEND_TEMPLATE, KMS_KEY, TEMPLATE, backend_parameters, stage_parameters

MONITORS = ("DataQuality", "ModelQuality", "ModelBias", "ModelExplainability")
PROCESSING = {
    "ProcessingJobRole", "ProcessingStateMachineRole", "ProcessingStateMachineLogs", "ProcessingStateMachine",
    "ProcessingSchedulerRole", "ScheduleDeadLetterQueue", "ProcessingExecutionsFailedAlarm",
    "ScheduleDeadLetterAlarm", "DataQualityProcessingSchedule", "ModelBiasProcessingSchedule",
    "ModelExplainabilityProcessingSchedule",
    *(f"{m}{alarm}" for m in MONITORS for alarm in ("ViolationsAlarm", "MissedExecutionsAlarm")),
}  # fmt: skip
ALERT_PATH = {"AlertTopicKey", "AlertTopic", "AlertTopicPolicy"}


def render_stage(**overrides: str) -> dict:
    """The stage template's resources (``model-monitor-template.yml``)."""
    return Template.from_yaml(TEMPLATE).render(stage_parameters(**overrides))["Resources"]


def render(**overrides: str) -> dict:
    """The Processing backend's resources: its nested template with what the stage template passes it."""
    return Template.from_yaml(BACKEND_TEMPLATE).render(backend_parameters(stage_parameters(**overrides)))[
        "Resources"
    ]


def definition(resources: dict) -> dict:
    return json.loads(resources["ProcessingStateMachine"]["Properties"]["DefinitionString"])


def test_a_processing_stage_gets_the_alert_path_and_the_nested_backend_and_no_model_monitor_resources() -> (
    None
):
    assert set(render_stage()) == ALERT_PATH | {"ProcessingBackend"}
    # model quality shares data quality's hourly schedule: no schedule of its own
    assert set(render()) == PROCESSING


def test_a_model_monitor_stage_gets_no_processing_backend() -> None:
    resources = render_stage(MonitoringBackend="ModelMonitor")
    assert "ProcessingBackend" not in resources
    assert "MonitoringAlertRule" in resources


def test_the_backend_is_told_which_monitors_run_and_where_alerts_go() -> None:
    passed = render_stage(GroundTruthInput="")["ProcessingBackend"]["Properties"]["Parameters"]
    # without ground truth, model quality and bias cannot run
    assert [passed[f"{m}Enabled"] for m in MONITORS] == ["yes", "no", "no", "yes"]
    assert (passed["AlertTopicArn"], passed["AlertTopicKeyArn"]) == ("AlertTopic", "AlertTopicKey.Arn")


def test_the_template_default_keeps_model_monitor_for_configs_that_name_no_backend() -> None:
    parameters = stage_parameters()
    del parameters["MonitoringBackend"]
    assert "DataQualityMonitoringSchedule" in Template.from_yaml(TEMPLATE).render(parameters)["Resources"]


def test_every_next_default_and_catch_target_of_the_state_machine_exists() -> None:
    states = definition(render())["States"]
    targets = set()
    for state in states.values():
        targets |= {state[k] for k in ("Next", "Default") if k in state}
        targets |= {c["Next"] for key in ("Catch", "Choices") for c in state.get(key, [])}
    assert targets <= set(states)
    assert definition(render())["StartAt"] in states
    assert {name for name, s in states.items() if s["Type"] in ("Succeed", "Fail")} == {"Done", "Failed"}


def test_every_state_is_reachable_from_the_start() -> None:
    document = definition(render())
    states, seen, todo = document["States"], set(), [document["StartAt"]]
    while todo:
        name = todo.pop()
        if name in seen:
            continue
        seen.add(name)
        state = states[name]
        todo += [state[k] for k in ("Next", "Default") if k in state]
        todo += [c["Next"] for key in ("Catch", "Choices") for c in state.get(key, [])]
    assert seen == set(states)


def test_a_schedule_runs_its_group_at_the_scheduled_time_in_utc_with_retries_and_a_dead_letter_queue() -> (
    None
):
    schedule = render()["DataQualityProcessingSchedule"]["Properties"]
    assert (schedule["ScheduleExpression"], schedule["ScheduleExpressionTimezone"]) == (
        "cron(0 * ? * * *)",
        "UTC",
    )
    assert schedule["FlexibleTimeWindow"] == {"Mode": "OFF"}
    target = schedule["Target"]
    assert json.loads(target["Input"]) == {
        "ScheduledTime": "<aws.scheduler.scheduled-time>",
        "Monitors": "DataQuality,ModelQuality",
        "MaxRuntimeInSeconds": 3600,
    }
    assert target["RetryPolicy"] == {"MaximumEventAgeInSeconds": 3600, "MaximumRetryAttempts": 10}
    assert target["DeadLetterConfig"] == {"Arn": "ScheduleDeadLetterQueue.Arn"}
    assert "KmsKeyArn" not in schedule
    assert render(KMSKeyArn=KMS_KEY)["DataQualityProcessingSchedule"]["Properties"]["KmsKeyArn"] == KMS_KEY


@pytest.mark.parametrize("monitor", MONITORS)
def test_each_monitor_alarms_on_violations_and_on_two_intervals_without_an_execution(monitor) -> None:
    resources = render()
    violations = resources[f"{monitor}ViolationsAlarm"]["Properties"]
    missed = resources[f"{monitor}MissedExecutionsAlarm"]["Properties"]
    dimensions = [
        {"Name": "Endpoint", "Value": "fraud-prod"},
        {"Name": "MonitoringSchedule", "Value": f"fraud-prod-{monitor}"},
    ]
    assert violations["Dimensions"] == missed["Dimensions"] == dimensions
    assert (violations["MetricName"], violations["ComparisonOperator"], violations["Threshold"]) == (
        "constraint_violations", "GreaterThanThreshold", 0,
    )  # fmt: skip
    assert (missed["MetricName"], missed["EvaluationPeriods"], missed["DatapointsToAlarm"]) == (
        "executions",
        2,
        2,
    )
    assert missed["TreatMissingData"] == "breaching"
    period = "86400" if monitor in ("ModelBias", "ModelExplainability") else "3600"
    assert str(missed["Period"]) == str(violations["Period"]) == period
    assert violations["AlarmActions"] == missed["AlarmActions"] == ["AlertTopic"]  # the parent's topic


def test_the_state_machines_failed_executions_alarm() -> None:
    alarm = render()["ProcessingExecutionsFailedAlarm"]["Properties"]
    assert (alarm["Namespace"], alarm["MetricName"]) == ("AWS/States", "ExecutionsFailed")
    assert alarm["Dimensions"] == [{"Name": "StateMachineArn", "Value": "ProcessingStateMachine"}]


def statements(resources: dict, role: str) -> dict:
    policy = resources[role]["Properties"]["Policies"][0]["PolicyDocument"]["Statement"]
    return {s["Sid"]: s for s in policy if isinstance(s, dict) and "Sid" in s}


def test_the_state_machine_may_pass_only_the_job_role_and_only_to_sagemaker() -> None:
    resources = render()
    granted = statements(resources, "ProcessingStateMachineRole")
    assert granted["PassTheJobRole"]["Resource"] == "ProcessingJobRole.Arn"
    assert granted["PassTheJobRole"]["Condition"] == {
        "StringEquals": {"iam:PassedToService": "sagemaker.amazonaws.com"}
    }
    start = granted["StartMonitoringJobsOfThisStack"]
    assert start["Resource"].endswith(":processing-job/monitoring-*")
    assert start["Condition"]["ForAllValues:StringEquals"] == {"sagemaker:InstanceTypes": ["ml.m5.large"]}


def test_the_job_reads_what_the_stage_names_writes_its_outputs_and_publishes_only_its_namespace() -> None:
    granted = statements(render(), "ProcessingJobRole")
    assert granted["ReadSettingsBaselinesCaptureAndLabels"]["Resource"] == [
        "arn:aws:s3:::fraud-monitoring-bucket/*"
    ]
    assert granted["WriteTheResults"]["Resource"][0] == (
        "arn:aws:s3:::fraud-monitoring-bucket/monitor-output/data-quality/*"
    )
    assert granted["PublishTheMonitorsMetrics"]["Condition"] == {
        "StringLike": {"cloudwatch:namespace": "PortableModelMonitor/*"}
    }
    assert granted["PullTheImage"]["Resource"] == (
        "arn:aws:ecr:us-east-1:683313688378:repository/sagemaker-scikit-learn"
    )
    assert "EncryptTheVolumeAndTheResults" not in granted
    assert "EncryptTheVolumeAndTheResults" in statements(render(KMSKeyArn=KMS_KEY), "ProcessingJobRole")


def test_only_this_accounts_services_may_assume_the_roles() -> None:
    resources = render()
    for role in ("ProcessingJobRole", "ProcessingStateMachineRole", "ProcessingSchedulerRole"):
        (statement,) = resources[role]["Properties"]["AssumeRolePolicyDocument"]["Statement"]
        assert statement["Condition"] == {"StringEquals": {"aws:SourceAccount": "555555555555"}}
