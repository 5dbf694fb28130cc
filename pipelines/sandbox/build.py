"""The CodeBuild part, locally: buildspec.yml's build phase as written, then each stage's stack deployed.

The build phase's commands are read from ``buildspec.yml`` and run one by one with bash (the buildspec's
shell) in a build folder holding the files CodeBuild checks out, with the variables CodeBuild would provide
and every AWS call going to the emulator (``AWS_ENDPOINT_URL``). Each stage's stack is then deployed with the
documented ``aws cloudformation deploy`` command (docs/deploy.md; ``pipelines.deploy.export.deploy_command``),
with ``--capabilities CAPABILITY_IAM`` for a stage on the Processing backend (its stack creates roles).

The pre_build phase is not run: its wheelhouse is downloaded from PyPI (hundreds of MB, and the sandbox works
offline); its stand-in is a wheelhouse of the pins alone, which is all the sandbox's jobs need (this
interpreter already has the pinned versions; ``pipelines.container.bootstrap`` installs what is missing).
The stage configs are the shipped ones but for ``SANDBOX_STAGE_SETTINGS``: staging on the ModelMonitor
backend and prod on Processing, so the demo deploys both backends side by side, and prod's state machine
asking every second whether its job has ended instead of every minute.

moto's CloudFormation creates the resource types it implements (the alert path's KMS key, SNS topic and
EventBridge rule) and skips the rest, the SageMaker monitoring job definitions and schedules among them: the
monitors a stack deploys are therefore read from its parameters (``Enable...Monitor``), which decide the
template's conditions.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import yaml

from pipelines.container import wheelhouse
from pipelines.deploy.backends import BACKEND_PARAMETER, MonitoringBackend
from pipelines.deploy.export import deploy_command, stack_name
from pipelines.errors import UserError
from pipelines.jsonio import dumps_pretty
from pipelines.monitors import ENABLED, MONITORS

if TYPE_CHECKING:
    from mypy_boto3_cloudformation import CloudFormationClient

REPO_ROOT = Path(__file__).resolve().parents[2]
# What CodeBuild checks out and the build phase reads (the pipelines package is installed in the venv).
BUILD_FILES = (
    "buildspec.yml",
    "get_baselines_and_configs.py",
    "model-monitor-template.yml",
    "staging-monitoring-schedule-config.json",
    "prod-monitoring-schedule-config.json",
)
# Checked out too: the package the build installs, which holds the nested Processing template
# (pipelines/processing/processing-backend.yml). A folder with that template alone would shadow the
# installed package as an empty namespace package when the script runs from the build folder.
BUILD_TREES = ("pipelines",)
WHEELHOUSE = "wheelhouse"  # pre_build's output folder (buildspec.yml)
# What the sandbox changes in the shipped stage configs (see the module docstring).
SANDBOX_STAGE_SETTINGS: Mapping[str, Mapping[str, str]] = {
    "staging": {BACKEND_PARAMETER: MonitoringBackend.MODEL_MONITOR.value},
    "prod": {BACKEND_PARAMETER: MonitoringBackend.PROCESSING.value, "ProcessingJobPollSeconds": "1"},
}


class BuildFailed(UserError):
    """A build or deploy command exited non-zero (its output is in the build log)."""


@dataclass(frozen=True, slots=True)
class BuildInputs:
    """The variables the CodeBuild project provides (see buildspec.yml's header)."""

    project_name: str
    project_id: str
    monitor_role_arn: str
    artifact_bucket: str  # also the monitor outputs bucket (--monitor-outputs-bucket)
    project_arn: str = ""  # moto has no SageMaker projects: the script skips project tags when empty

    def environment(self) -> dict[str, str]:
        return {
            "SAGEMAKER_PROJECT_NAME": self.project_name,
            "SAGEMAKER_PROJECT_ID": self.project_id,
            "SAGEMAKER_PROJECT_ARN": self.project_arn,
            "MODEL_MONITOR_ROLE_ARN": self.monitor_role_arn,
            "ARTIFACT_BUCKET": self.artifact_bucket,
        }


@dataclass(frozen=True, slots=True)
class BuildResult:
    folder: Path
    variables: Mapping[str, str]  # buildspec env variables (export file names)
    commands: int
    log: Path

    def export_file(self, stage: str) -> Path:
        return self.folder / self.variables[f"EXPORT_TEMPLATE_{stage.upper()}_CONFIG"]

    def parameters(self, stage: str) -> dict[str, str]:
        return dict(json.loads(self.export_file(stage).read_text())["Parameters"])


@dataclass(frozen=True, slots=True)
class StackSummary:
    stage: str
    stack_name: str
    status: str
    monitors: tuple[str, ...]  # enabled by the stack's parameters
    resources: tuple[str, ...]  # what the emulated CloudFormation created


def prepare_build_folder(
    folder: Path,
    repo_root: Path = REPO_ROOT,
    stage_settings: Mapping[str, Mapping[str, str]] | None = None,
) -> Path:
    """What CodeBuild checks out, with ``SANDBOX_STAGE_SETTINGS`` and then ``stage_settings`` (by stage)
    applied, and the wheelhouse pre_build would have built (its pins alone: module docstring)."""
    folder.mkdir(parents=True, exist_ok=True)
    for name in BUILD_FILES:
        shutil.copy(repo_root / name, folder / name)
    for tree in BUILD_TREES:
        shutil.copytree(
            repo_root / tree, folder / tree, ignore=shutil.ignore_patterns("__pycache__"), dirs_exist_ok=True
        )
    for stage, settings in SANDBOX_STAGE_SETTINGS.items():
        config = folder / f"{stage}-monitoring-schedule-config.json"
        document = json.loads(config.read_text())
        document["Parameters"].update(settings)
        document["Parameters"].update((stage_settings or {}).get(stage, {}))
        config.write_bytes(dumps_pretty(document))
    wheelhouse.build(folder / WHEELHOUSE, repo_root / wheelhouse.JOB_REQUIREMENTS, with_wheels=False)
    return folder


def build_environment(buildspec: Mapping[str, Any], inputs: BuildInputs) -> dict[str, str]:
    """This process's environment (the emulator's endpoint and fake credentials) + CodeBuild's variables."""
    bin_folder = str(Path(sys.executable).parent)
    return {
        **os.environ,
        **{k: str(v) for k, v in buildspec["env"]["variables"].items()},
        **inputs.environment(),
        "PATH": f"{bin_folder}{os.pathsep}{os.environ.get('PATH', '')}",
    }


def _bash(command: str, folder: Path, env: Mapping[str, str], log: Path) -> None:
    with log.open("a") as out:
        out.write(f"$ {command}\n")
        out.flush()
        result = subprocess.run(
            ["bash", "-c", command],
            cwd=folder,
            env=dict(env),
            stdout=out,
            stderr=subprocess.STDOUT,
            check=False,
        )
        out.write(f"(exit status {result.returncode})\n\n")
    if result.returncode != 0:
        raise BuildFailed(f"{command.splitlines()[0]} ... exited with {result.returncode}: see {log}")


def run_build_phase(folder: Path, inputs: BuildInputs) -> BuildResult:
    """Run buildspec.yml's build commands as written, in ``folder`` (see ``prepare_build_folder``)."""
    buildspec = yaml.safe_load((folder / "buildspec.yml").read_text())
    env = build_environment(buildspec, inputs)
    log = folder / "build.log"
    log.write_text("")
    commands = buildspec["phases"]["build"]["commands"]
    for command in commands:
        _bash(command, folder, env, log)
    return BuildResult(folder, dict(buildspec["env"]["variables"]), len(commands), log)


def deploy_stage(
    build: BuildResult, inputs: BuildInputs, stage: str, cloudformation: CloudFormationClient
) -> StackSummary:
    """Deploy one stage's exported parameters with the documented command; read back the stack."""
    buildspec = yaml.safe_load((build.folder / "buildspec.yml").read_text())
    processing = build.parameters(stage).get(BACKEND_PARAMETER) == MonitoringBackend.PROCESSING
    command = deploy_command(
        inputs.project_name,
        stage,
        build.variables[f"EXPORT_TEMPLATE_{stage.upper()}_CONFIG"],
        creates_roles=processing,
    )
    _bash(command, build.folder, build_environment(buildspec, inputs), build.log)
    return describe_stack(cloudformation, stack_name(inputs.project_name, stage), stage)


def describe_stack(cloudformation: CloudFormationClient, name: str, stage: str) -> StackSummary:
    stack = cloudformation.describe_stacks(StackName=name)["Stacks"][0]
    parameters = {p["ParameterKey"]: p.get("ParameterValue") for p in stack.get("Parameters", [])}
    monitors = tuple(
        m.type.value for m in MONITORS.model_monitor() if parameters.get(m.enable_parameter) == ENABLED
    )
    resources = cloudformation.list_stack_resources(StackName=name)["StackResourceSummaries"]
    return StackSummary(
        stage=stage,
        stack_name=name,
        status=stack["StackStatus"],
        monitors=monitors,
        # moto lists the resources it skipped without an id or type: only what it created is shown.
        resources=tuple(
            sorted(
                f"{r['LogicalResourceId']} ({r['ResourceType']})"
                for r in resources
                if r.get("LogicalResourceId")
            )
        ),
    )
