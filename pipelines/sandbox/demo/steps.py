"""The demo's steps in order (the package docstring lists them), from a running sandbox to ``DemoSummary``."""

from __future__ import annotations

import json
import sys
from dataclasses import asdict
from pathlib import Path
from typing import Any, TextIO

from pipelines.aws import client
from pipelines.deploy.flow import ground_truth_default
from pipelines.deploy.stage_config import END_OFFSET, START_OFFSET
from pipelines.sandbox.baselines import monitoring_baselines
from pipelines.sandbox.build import (
    BuildInputs,
    StackSummary,
    deploy_stage,
    prepare_build_folder,
    run_build_phase,
)
from pipelines.sandbox.data_capture import describe_endpoint_capture
from pipelines.sandbox.demo.options import DemoError, DemoOptions
from pipelines.sandbox.demo.scheduled_job import run_scheduled_job
from pipelines.sandbox.demo.session import Sandbox, quiet_emulator, running_sandbox, serve_until_interrupted
from pipelines.sandbox.demo.summary import DemoSummary, render_summary
from pipelines.sandbox.demo.traffic import HourOfTraffic, score_streams, stream_files, write_labels
from pipelines.sandbox.monitoring_runs import (
    DeployedStage,
    outcomes,
    plan_monitor_runs,
    render_outcomes,
    render_report,
    run_monitors,
)
from pipelines.sandbox.progress import Progress
from pipelines.sandbox.serving import CaptureBuffering, serve_world
from pipelines.sandbox.world import BUILD_STEPS, BucketKind, Stage, World, WorldSettings, build_world
from pipelines.stage_export import StageExport
from pipelines.storage import Storage
from pipelines.timewindow import HOUR, format_utc

DEMO_STEPS = 1 + BUILD_STEPS + 1 + 1 + len(Stage) + 6
MONITORING_REPORT = "monitoring-report.html"
MONITORING_LOG = "monitoring.log"
PROCESSING_JOBS = "processing-jobs"  # the stand-in's /opt/ml of each job, with the job's log


def run_demo(options: DemoOptions, stream: TextIO | None = sys.stdout) -> DemoSummary:
    """Every step, summary.json in ``options.output`` and the summary on ``stream``; with ``serve``, keep the
    emulator up until Ctrl-C."""
    options.validate()
    progress = Progress(stream=stream, total=DEMO_STEPS)
    options.output.mkdir(parents=True, exist_ok=True)
    with quiet_emulator(), running_sandbox(progress, options.now) as sandbox:
        summary = demo_steps(sandbox, options, progress)
        Storage().write_json(str(options.output / "summary.json"), summary.to_json())
        if stream is not None:
            stream.write(render_summary(summary, options))
        if options.serve:
            serve_until_interrupted(sandbox, stream or sys.stdout)
        return summary


def demo_steps(sandbox: Sandbox, options: DemoOptions, progress: Progress) -> DemoSummary:
    settings = WorldSettings(seed=options.seed, training_rows=options.training_rows)
    world = sandbox.world = build_world(sandbox.clients, monitoring_baselines, settings, progress)
    with progress.step("Serve the models behind the endpoint names (capture as configured)"):
        buffering = CaptureBuffering(background_flush=options.serve)
        sandbox.endpoints = serve_world(
            world,
            sandbox.runtime,
            sandbox.clients.sagemaker,
            sandbox.clients.s3,
            clock=sandbox.clock,
            buffering=buffering,
        )
    inputs = BuildInputs(
        project_name=settings.project_name,
        project_id=settings.project_id,
        monitor_role_arn=world.monitor_role_arn,
        artifact_bucket=world.bucket(BucketKind.MONITORING),
    )
    with progress.step("Run buildspec.yml's build phase (get_baselines_and_configs.py, cfn-lint, package)"):
        build = run_build_phase(
            prepare_build_folder(options.output / "build", stage_settings=_stage_settings(options)), inputs
        )
        progress.note(f"{build.commands} commands, output in {build.log}")
    cloudformation = client("cloudformation")
    stacks: dict[str, StackSummary] = {}
    for stage in Stage:
        with progress.step(f"Deploy the {stage.value} monitoring stack (aws cloudformation deploy)"):
            stacks[stage.value] = deploy_stage(build, inputs, stage.value, cloudformation)
            progress.note(f"{stacks[stage.value].stack_name}: {stacks[stage.value].status}")
    prod = world.deployment(Stage.PROD)
    with progress.step(f"Upload stream files and run the scoring Lambda against {prod.endpoint_name}"):
        streams = stream_files(options, world, sandbox.clock)
        scoring = score_streams(sandbox, world, streams, options.output / "lambda.log", progress)
    with progress.step("Write ground-truth labels for the scored transactions"):
        ground_truth_uri = build.parameters(Stage.PROD.value).get("GroundTruthInput") or ground_truth_default(
            world.bucket(BucketKind.MONITORING), prod.endpoint_name
        )
        ground_truth = write_labels(sandbox, world, streams, ground_truth_uri)
        for location in ground_truth["files"]:
            progress.note(location)
    with progress.step("Flush data capture"):
        for endpoint in sandbox.endpoints.values():
            endpoint.flush()
        capture_files = {name: endpoint.capture_files for name, endpoint in sandbox.endpoints.items()}
    monitoring = monitor_prod(sandbox, world, build.export_file(Stage.PROD.value), streams, options, progress)
    # The drifted hour's execution (the latest hour's without drift).
    scheduled = max([item.hour for item in streams if item.drifted] or [item.hour for item in streams]) + HOUR
    with progress.step(
        f"Fire prod's DataQuality schedule for {format_utc(scheduled)} (Processing backend: Scheduler, "
        "Step Functions, the job, metrics, alert)"
    ):
        scheduled_job = run_scheduled_job(
            sandbox,
            stacks[Stage.PROD.value].stack_name,
            build.folder,
            scheduled,
            options.output / PROCESSING_JOBS,
            progress,
        )
    return DemoSummary(
        aws_endpoint_url=sandbox.aws.endpoint_url,
        runtime_endpoint_url=sandbox.runtime.endpoint_url,
        packages={
            d.stage.value: {
                "endpoint": d.endpoint_name,
                "version": d.version.spec.label,
                "package": d.version.package_arn,
                "package_named_in": d.package_reference.value,
            }
            for d in world.stages.values()
        },
        stacks={stage: asdict(stack) for stage, stack in stacks.items()},
        scoring=scoring,
        capture_files=capture_files,
        ground_truth=ground_truth,
        baselines={label: version.baselines_uri for label, version in world.versions.items()},
        monitoring=monitoring,
        scheduled_job=scheduled_job,
        outputs={
            "build folder": str(build.folder),
            "build log": str(build.log),
            "lambda log": str(options.output / "lambda.log"),
            "monitoring log": str(options.output / MONITORING_LOG),
            "monitoring report": str(options.output / MONITORING_REPORT),
            "processing jobs": str(options.output / PROCESSING_JOBS),
            "summary": str(options.output / "summary.json"),
        },
    )


def monitor_prod(
    sandbox: Sandbox,
    world: World,
    export_file: Path,
    traffic: list[HourOfTraffic],
    options: DemoOptions,
    progress: Progress,
) -> dict[str, Any]:
    """The portable monitors on each traffic hour, as prod was deployed, then the report of all of them."""
    prod = world.deployment(Stage.PROD)
    export = StageExport.from_json(json.loads(export_file.read_text()), where=str(export_file))
    capture = describe_endpoint_capture(sandbox.clients.sagemaker, prod.endpoint_name)
    if capture.settings is None:
        raise DemoError(f"endpoint {prod.endpoint_name} has no data capture: nothing to monitor")
    package = sandbox.clients.sagemaker.describe_model_package(ModelPackageName=prod.version.package_arn)
    stage = DeployedStage(
        export_file=export_file,
        export=export,
        capture=capture.settings.destination,
        variant=capture.variant_name,
        model=package["InferenceSpecification"]["Containers"][0]["ModelDataUrl"],
    )
    start_offset, end_offset = export.offset(START_OFFSET), export.offset(END_OFFSET)
    if start_offset is None or end_offset is None:
        raise DemoError(f"{export_file}: the demo needs {START_OFFSET} and {END_OFFSET} to place the labels")
    runs = plan_monitor_runs([item.hour for item in traffic], start_offset, end_offset)
    log = options.output / MONITORING_LOG
    log.write_text("")
    storage = Storage(sandbox.clients.s3)
    with progress.step(f"Run the portable monitors on {prod.endpoint_name}'s two hours, as deployed"):
        run_monitors(runs, stage, log, storage)
        hours = outcomes(storage, stage, runs, [item.hour for item in traffic if item.drifted])
        for line in render_outcomes(hours):
            progress.note(line.removeprefix("  "))
    html = options.output / MONITORING_REPORT
    with progress.step("Report the monitors' results (terminal text in the log, HTML)"):
        root = render_report(stage, html, log, storage)
        progress.note(f"{root} -> {html}")
    return {
        "stage_config": str(export_file),
        "capture": stage.capture,
        "model": stage.model,
        "hours": hours,
        "results": root,
        "report": str(html),
        "log": str(log),
    }


def _stage_settings(options: DemoOptions) -> dict[str, dict[str, str]]:
    """What the demo's flags change in the stage configs: ``--prod-engine spark`` puts prod's Processing jobs
    on SageMaker's Spark image with two instances (one machine's Spark stands for them here)."""
    if options.prod_engine == "spark":
        return {Stage.PROD.value: {"MonitoringEngine": "spark", "MonitoringJobInstanceCount": "2"}}
    return {}
