"""buildspec.yml's build phase, run as written against moto's server, then the documented deploy command.

The commands are taken from buildspec.yml and run one by one with bash (CodeBuild's shell here), with
AWS_ENDPOINT_URL pointing every AWS call at the emulator. The pre_build phase (lint of the nested template,
the wheelhouse downloaded from PyPI) is not run: its stand-in is a wheelhouse of the pins alone.
moto's CloudFormation skips resource types it does not implement (the SageMaker monitoring resources,
Scheduler schedules, CloudWatch alarms, SNS topic policy and subscription), so the deploy checks cover each
stack, its parameters and what moto creates: staging on the ModelMonitor backend (as the sandbox deploys it:
its alert rule) and prod on the shipped Processing backend (the nested stack's state machine, roles, queue);
the other resources' properties are checked by rendering (test_deploy_template.py, tests/processing).
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
from pathlib import Path

import boto3
import pytest
import yaml
from registry_world import (
    OUTPUT_BUCKET,
    PROJECT,
    PROJECT_ID,
    REPO_ROOT,
    ROLE,
    edit_config,
    requirements_only_wheelhouse,
    standard_world,
)

from pipelines.deploy.export import deploy_command, stack_name

FILES = (
    "buildspec.yml",
    "get_baselines_and_configs.py",
    "model-monitor-template.yml",
    "staging-monitoring-schedule-config.json",
    "prod-monitoring-schedule-config.json",
)


def bash(command: str, cwd: Path, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        ["bash", "-c", command], cwd=cwd, env=env, capture_output=True, text=True, check=False
    )


@pytest.fixture
def build_folder(tmp_path: Path) -> Path:
    """The files the build reads, in a scratch folder (the build writes its artifacts next to them)."""
    for name in FILES:
        shutil.copy(REPO_ROOT / name, tmp_path / name)
    # the package the build installs (it holds the nested Processing template), as CodeBuild checks it out
    shutil.copytree(
        REPO_ROOT / "pipelines", tmp_path / "pipelines", ignore=shutil.ignore_patterns("__pycache__")
    )
    # pre_build's wheelhouse (downloaded from PyPI in CodeBuild): the pins alone here
    requirements_only_wheelhouse(tmp_path / "wheelhouse")
    edit_config(tmp_path / "staging-monitoring-schedule-config.json", MonitoringBackend="ModelMonitor")
    return tmp_path


@pytest.mark.slow
# moto's CloudFormation names each resource type it skips (listed in the module docstring).
@pytest.mark.filterwarnings("ignore:Tried to parse AWS")
def test_the_build_phase_runs_as_written_and_its_output_deploys(aws_emulator, build_folder) -> None:
    world = standard_world(boto3.client("sagemaker"), boto3.client("s3"))
    buildspec = yaml.safe_load((build_folder / "buildspec.yml").read_text())
    env = {
        **os.environ,
        **buildspec["env"]["variables"],
        "PATH": f"{REPO_ROOT / '.venv' / 'bin'}{os.pathsep}{os.environ['PATH']}",
        "SAGEMAKER_PROJECT_NAME": PROJECT,
        "SAGEMAKER_PROJECT_ID": PROJECT_ID,
        "SAGEMAKER_PROJECT_ARN": "",  # moto has no SageMaker projects (ListTags on one fails there)
        "MODEL_MONITOR_ROLE_ARN": ROLE,
        "ARTIFACT_BUCKET": OUTPUT_BUCKET,
    }
    for command in buildspec["phases"]["build"]["commands"]:
        result = bash(command, build_folder, env)
        assert result.returncode == 0, f"{command}\n{result.stdout}\n{result.stderr}"

    for artifact in buildspec["artifacts"]["files"]:
        pattern = env[artifact[1:]] if artifact.startswith("$") else artifact
        assert list(build_folder.glob(pattern)), f"no artifact matches {artifact}"
    staging = json.loads((build_folder / "staging-monitoring-schedule-config-export.json").read_text())
    assert staging["Parameters"]["DataQualityStatisticsS3Uri"].endswith("/v2/data_quality/statistics.json")

    command = deploy_command(PROJECT, "staging", "staging-monitoring-schedule-config-export.json")
    result = bash(command, build_folder, env)
    assert result.returncode == 0, f"{command}\n{result.stdout}\n{result.stderr}"

    cloudformation = boto3.client("cloudformation")
    stack = cloudformation.describe_stacks(StackName=stack_name(PROJECT, "staging"))["Stacks"][0]
    assert stack["StackStatus"] == "CREATE_COMPLETE"
    deployed = {p["ParameterKey"]: p.get("ParameterValue") for p in stack["Parameters"]}
    assert {k: deployed[k] for k in staging["Parameters"]} == staging["Parameters"]
    assert {t["Key"]: t["Value"] for t in stack["Tags"]} == staging["Tags"]
    resources = {
        r["LogicalResourceId"]: r["ResourceType"]
        for r in cloudformation.list_stack_resources(StackName=stack["StackName"])["StackResourceSummaries"]
    }
    assert {resources.get(n) for n in ("AlertTopicKey", "AlertTopic", "MonitoringAlertRule")} == {
        "AWS::KMS::Key", "AWS::SNS::Topic", "AWS::Events::Rule",
    }  # fmt: skip
    (rule,) = boto3.client("events").list_rules()["Rules"]
    pattern = json.loads(rule["EventPattern"])
    schedules = [entry["equals-ignore-case"] for entry in pattern["detail"]["MonitoringScheduleArn"] if entry]
    assert [arn.rsplit("/", 1)[1] for arn in schedules] == [
        "fraud-staging-DataQuality", "fraud-staging-ModelQuality",
        "fraud-staging-ModelBias", "fraud-staging-ModelExplainability",
    ]  # fmt: skip
    packaged = build_folder / buildspec["env"]["variables"]["EXPORT_TEMPLATE_NAME"]
    assert "AWS::SageMaker::MonitoringSchedule" in packaged.read_text()
    assert world.packages  # the world the build read from

    command = deploy_command(
        PROJECT, "prod", "prod-monitoring-schedule-config-export.json", creates_roles=True
    )
    result = bash(command, build_folder, env)
    assert result.returncode == 0, f"{command}\n{result.stdout}\n{result.stderr}"
    prod = cloudformation.list_stack_resources(StackName=stack_name(PROJECT, "prod"))[
        "StackResourceSummaries"
    ]
    created = {r["LogicalResourceId"]: r["ResourceType"] for r in prod if r.get("LogicalResourceId")}
    assert created == {
        "AlertTopicKey": "AWS::KMS::Key",
        "AlertTopic": "AWS::SNS::Topic",
        "ProcessingBackend": "AWS::CloudFormation::Stack",
    }
    (nested,) = [r["PhysicalResourceId"] for r in prod if r.get("LogicalResourceId") == "ProcessingBackend"]
    backend = cloudformation.list_stack_resources(StackName=nested)["StackResourceSummaries"]
    assert {r["ResourceType"] for r in backend if r.get("LogicalResourceId")} == {
        "AWS::IAM::Role", "AWS::Logs::LogGroup", "AWS::StepFunctions::StateMachine", "AWS::SQS::Queue",
    }  # fmt: skip


def test_docs_deploy_shows_the_command_of_a_stage_on_the_processing_backend() -> None:
    commands = shell_commands((REPO_ROOT / "docs/deploy.md").read_text())
    processing = deploy_command(
        PROJECT, "prod", "prod-monitoring-schedule-config-export.json", creates_roles=True
    )
    assert processing in commands


# Where the build phase by hand and the deploy command are documented (docs/deploy.md; the README's recipe).
DOCUMENTED_IN = ("docs/deploy.md", "README.md")


def shell_commands(page: str) -> str:
    """The page's bash blocks as one text: continuation lines joined, whitespace runs made single spaces."""
    blocks = re.findall(r"```bash\n(.*?)```", page, flags=re.DOTALL)
    return " ".join(" ".join(block.replace("\\\n", " ").split()) for block in blocks)


@pytest.mark.parametrize("page", DOCUMENTED_IN)
def test_the_docs_show_the_deploy_command_the_build_test_runs(page: str) -> None:
    commands = shell_commands((REPO_ROOT / page).read_text())
    # prod as shipped: the Processing backend, whose roles need --capabilities CAPABILITY_IAM
    prod = "prod-monitoring-schedule-config-export.json"
    assert deploy_command(PROJECT, "prod", prod, creates_roles=True) in commands


@pytest.mark.parametrize("page", DOCUMENTED_IN)
def test_the_docs_show_the_build_phase_as_buildspec_runs_it(page: str) -> None:
    buildspec = yaml.safe_load((REPO_ROOT / "buildspec.yml").read_text())
    commands = shell_commands((REPO_ROOT / page).read_text())
    for command in buildspec["phases"]["build"]["commands"]:
        assert " ".join(command.split()) in commands, f"{page} does not show: {command}"
    for name, value in buildspec["env"]["variables"].items():
        assert f"export {name}={value}" in commands, f"{page} does not export {name}"
    # Every variable the build phase reads is set by the page (CodeBuild's own, then buildspec's env).
    read = set(re.findall(r"\$\{?([A-Z_]+)", " ".join(buildspec["phases"]["build"]["commands"])))
    exported = set(re.findall(r"\b([A-Z_]+)=", commands))
    assert sorted(read - exported) == []


def test_the_deploy_page_shows_the_install_phase_as_buildspec_runs_it() -> None:
    buildspec = yaml.safe_load((REPO_ROOT / "buildspec.yml").read_text())
    commands = shell_commands((REPO_ROOT / "docs" / "deploy.md").read_text())
    for command in buildspec["phases"]["install"]["commands"]:
        assert " ".join(command.split()) in commands
