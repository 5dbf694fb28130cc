"""``python -m pipelines.sandbox demo``: the whole monitoring pipeline on this machine, step by step.

1. Start moto's server and the local SageMaker runtime on free ports of 127.0.0.1 (fake credentials).
2. Build the world (``world``): buckets, roles, two trained and registered model versions with real
   baselines (``baselines``), staging and prod endpoints with data capture, the predictions table.
3. Run buildspec.yml's build phase as written (the real ``get_baselines_and_configs.py``, cfn-lint and
   ``aws cloudformation package``) and deploy both stages' monitoring stacks (``build``).
4. Upload stream files (one ordinary hour, and the same hour a day later with drifted traffic, bad rows in
   both) and run the scoring Lambda's handler on their S3 events (``lambda_runner``): predictions land in
   DynamoDB, bad rows in ``rejected/``, and the prod endpoint writes data capture for those hours.
5. Write ground-truth labels for the scored transactions where the prod monitors read them, each hour's
   during the hour after it.
6. Run the portable monitors for prod on each hour, from exactly what was deployed (the stage export, the
   endpoint's capture destination, the package's model), into the export's output folders, and report them
   as text and HTML (``monitoring_runs``).
7. Print (and save as summary.json) what a person can check: packages per stage, monitors deployed per stage,
   rows scored, files written and where, each hour's monitor results and where the HTML report is.

With ``--serve`` everything keeps running afterwards, so the emulated AWS can be explored with
``aws --endpoint-url ...`` until Ctrl-C.
"""

from __future__ import annotations

import argparse
import csv
import io
import json
import logging
import signal
import sys
import threading
import warnings
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import asdict, dataclass, field
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any, TextIO

from transaction_scoring import contract, s3_objects, store

from pipelines.aws import client
from pipelines.cli import LOG_LEVELS, configure_logging, run
from pipelines.deploy.flow import ground_truth_default
from pipelines.deploy.stage_config import END_OFFSET, START_OFFSET
from pipelines.errors import UserError
from pipelines.ground_truth import GroundTruthRecord
from pipelines.labels import write_ground_truth
from pipelines.sandbox.aws_emulator import AwsEmulator, patched_environ
from pipelines.sandbox.baselines import monitoring_baselines
from pipelines.sandbox.build import (
    BuildInputs,
    StackSummary,
    deploy_stage,
    prepare_build_folder,
    run_build_phase,
)
from pipelines.sandbox.data import Drift, GeneratorSettings, StreamFile, generate_transactions, stream_csv
from pipelines.sandbox.data_capture import describe_endpoint_capture
from pipelines.sandbox.endpoint import ManualClock, ModelEndpoint
from pipelines.sandbox.lambda_runner import FunctionSettings, invoke_function, s3_event
from pipelines.sandbox.monitoring_runs import (
    DeployedStage,
    label_collection_time,
    outcomes,
    plan_monitor_runs,
    render_outcomes,
    render_report,
    run_monitors,
)
from pipelines.sandbox.progress import Progress
from pipelines.sandbox.runtime_server import RuntimeServer
from pipelines.sandbox.serving import CaptureBuffering, serve_world
from pipelines.sandbox.world import (
    BUILD_STEPS,
    AwsClients,
    BucketKind,
    Stage,
    World,
    WorldSettings,
    build_world,
)
from pipelines.stage_export import StageExport
from pipelines.storage import Storage
from pipelines.timewindow import HOUR, as_utc, floor_hour, format_utc, hour_partition, parse_utc, utc_now

DEMO_STEPS = 1 + BUILD_STEPS + 1 + 1 + len(Stage) + 5
STREAM_FILES = 2  # one ordinary hour, then the same hour a day later, drifted
# The traffic hours: 13:00-14:00 UTC, a daytime hour, whatever the time the demo runs (an hour's fraud, and
# so how well the model does, depends on the time of day). A day apart, so that the one-day window of prod's
# model-quality and bias monitors (GroundTruthStartTimeOffset -P1D) holds one of them only; the later one
# is the latest that ended two hours ago, so that the execution analysing it with its labels
# (GroundTruthEndTimeOffset -PT1H) is already past (see ``monitoring_runs``).
TRAFFIC_HOUR_OF_DAY = 13
TRAFFIC_SPACING = timedelta(days=1)
LATEST_TRAFFIC_HOURS_AGO = 2
MONITORING_REPORT = "monitoring-report.html"
MONITORING_LOG = "monitoring.log"
EXAMPLE_REQUEST = json.dumps(
    [
        {
            contract.TRANSACTION_ID: "try-1",
            contract.TRANSACTION_AMOUNT: 980.0,
            contract.TRANSACTION_DATE: "2026-01-31 03:12:00",
            contract.PAYMENT_METHOD: "bank transfer",
            contract.PRODUCT_CATEGORY: "electronics",
            contract.QUANTITY: 4,
            contract.CUSTOMER_AGE: 22,
            contract.CUSTOMER_LOCATION: "Miami",
            contract.DEVICE_USED: "mobile",
            contract.ACCOUNT_AGE_DAYS: 3,
            contract.TRANSACTION_HOUR: 3,
        }
    ]
)


class DemoError(UserError):
    """Demo flags that cannot work (e.g. fewer rows than stream files)."""


@dataclass(frozen=True, slots=True)
class DemoOptions:
    output: Path = Path("sandbox-output")
    seed: int = 7
    rows: int = 2000  # transactions streamed through the Lambda, split over the stream files
    training_rows: int = 20_000
    bad_rows: int = 5  # per stream file
    drift: bool = True  # the second hour's traffic drifts (Drift.typical())
    serve: bool = False
    # The demo's "now" (UTC): None is the real clock. Tests pin it, so that what the demo finds cannot
    # depend on the day the suite runs (the model reads the day of week; issue 9).
    now: datetime | None = None

    def validate(self) -> None:
        problems = []
        if self.rows < STREAM_FILES:
            problems.append(f"--rows {self.rows}: at least {STREAM_FILES} (one per stream file)")
        if self.bad_rows < 0:
            problems.append(f"--bad-rows {self.bad_rows}: expected 0 or more")
        if self.training_rows < 1000:
            problems.append(
                f"--training-rows {self.training_rows}: at least 1000 are needed to train a model"
            )
        if problems:
            raise DemoError(problems)


@dataclass
class ScoringSummary:
    table: str
    files: list[str] = field(default_factory=list)
    rows_read: int = 0
    rows_stored: int = 0
    rows_rejected: int = 0
    rows_failed: int = 0
    endpoint_requests: int = 0
    rejected_objects: list[str] = field(default_factory=list)
    rejected_examples: list[str] = field(default_factory=list)
    table_items: int = 0
    stored_examples: list[dict[str, Any]] = field(default_factory=list)


@dataclass
class DemoSummary:
    aws_endpoint_url: str
    runtime_endpoint_url: str
    packages: dict[str, dict[str, str]]
    stacks: dict[str, dict[str, Any]]
    scoring: ScoringSummary
    capture_files: dict[str, list[str]]
    ground_truth: dict[str, Any]
    baselines: dict[str, str]
    monitoring: dict[str, Any]
    outputs: dict[str, str]

    def to_json(self) -> dict[str, Any]:
        return asdict(self)


@dataclass
class Sandbox:
    """The running pieces: emulator, runtime server, clients, the world and its endpoints."""

    aws: AwsEmulator
    runtime: RuntimeServer
    clients: AwsClients
    clock: ManualClock
    world: World | None = None
    endpoints: dict[str, ModelEndpoint] = field(default_factory=dict)


@contextmanager
def running_sandbox(progress: Progress, now: datetime | None = None) -> Iterator[Sandbox]:
    """Start moto and the runtime server, point this process's AWS clients at them, stop both at the end."""
    with progress.step("Start the local AWS emulator (moto) and the SageMaker runtime"):
        aws = AwsEmulator.start()
        # moto keeps its resources in this process, shared by every server it starts: a second demo in the
        # same process (tests, a notebook) would find the first one's buckets and keys.
        aws.reset()
        runtime = RuntimeServer().start()
        progress.note(f"AWS: {aws.endpoint_url}   SageMaker runtime: {runtime.endpoint_url}")
    try:
        with patched_environ({**aws.environment(), **runtime.environment()}):
            yield Sandbox(aws, runtime, AwsClients.create(), ManualClock(as_utc(now) if now else utc_now()))
    finally:
        runtime.stop()
        aws.stop()


def run_demo(options: DemoOptions, stream: TextIO | None = sys.stdout) -> DemoSummary:
    options.validate()
    progress = Progress(stream=stream, total=DEMO_STEPS)
    options.output.mkdir(parents=True, exist_ok=True)
    with _quiet_emulator(), running_sandbox(progress, options.now) as sandbox:
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
        build = run_build_phase(prepare_build_folder(options.output / "build"), inputs)
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
        outputs={
            "build folder": str(build.folder),
            "build log": str(build.log),
            "lambda log": str(options.output / "lambda.log"),
            "monitoring log": str(options.output / MONITORING_LOG),
            "monitoring report": str(options.output / MONITORING_REPORT),
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


# -- traffic ---------------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class HourOfTraffic:
    hour: datetime
    key: str
    stream: StreamFile
    drifted: bool


def stream_files(options: DemoOptions, world: World, clock: ManualClock) -> list[HourOfTraffic]:
    """Two hours of transactions a day apart (see ``TRAFFIC_HOUR_OF_DAY``); the second drifts when asked."""
    latest = floor_hour(clock()) - HOUR * LATEST_TRAFFIC_HOURS_AGO
    if latest.hour != TRAFFIC_HOUR_OF_DAY:
        latest -= timedelta(hours=(latest.hour - TRAFFIC_HOUR_OF_DAY) % 24)
    hours = [latest - TRAFFIC_SPACING * (STREAM_FILES - 1 - i) for i in range(STREAM_FILES)]
    sizes = [
        options.rows // STREAM_FILES + (1 if i < options.rows % STREAM_FILES else 0)
        for i in range(STREAM_FILES)
    ]
    traffic = []
    for index, (hour, rows) in enumerate(zip(hours, sizes, strict=True)):
        drifted = options.drift and index == STREAM_FILES - 1
        transactions = generate_transactions(
            GeneratorSettings(
                rows=rows,
                seed=options.seed * 1000 + 100 + index,
                start=hour,
                end=hour + HOUR,
                drift=Drift.typical() if drifted else None,
            )
        )
        stream = stream_csv(transactions, bad_rows=options.bad_rows, seed=options.seed + index)
        key = f"incoming/{hour_partition(hour)}/transactions-{hour:%Y%m%d-%H}00.csv"
        traffic.append(HourOfTraffic(hour, key, stream, drifted))
    return traffic


def score_streams(
    sandbox: Sandbox, world: World, traffic: list[HourOfTraffic], log_path: Path, progress: Progress
) -> ScoringSummary:
    """Upload each file, place the endpoint's clock in its hour, and run the Lambda on its S3 event."""
    bucket = world.bucket(BucketKind.TRANSACTIONS)
    prod = world.deployment(Stage.PROD)
    settings = FunctionSettings(endpoint_name=prod.endpoint_name, table_name=world.settings.predictions_table)
    summary = ScoringSummary(table=settings.table_name)
    with log_path.open("w") as log:
        for item in traffic:
            sandbox.clients.s3.put_object(
                Bucket=bucket, Key=item.key, Body=item.stream.data, ContentType="text/csv"
            )
            sandbox.clock.set(item.hour + timedelta(minutes=30))
            response = invoke_function(
                s3_event(bucket, [item.key], region=world.settings.region), settings, log
            )
            summary.files.append(f"s3://{bucket}/{item.key}")
            summary.rows_read += response["rows_read"]
            summary.rows_stored += response["rows_stored"]
            summary.rows_rejected += response["rows_rejected"]
            summary.rows_failed += response["rows_failed"]
            summary.endpoint_requests += response["endpoint_requests"]
            for file in response["files"]:
                if file["rejected_rows_object"]:
                    summary.rejected_objects.append(file["rejected_rows_object"])
            progress.note(
                f"{item.key}{' (drifted)' if item.drifted else ''}: {response['rows_read']} rows read, "
                f"{response['rows_stored']} stored, {response['rows_rejected']} rejected"
            )
    storage = Storage(sandbox.clients.s3)
    for location in summary.rejected_objects[:1]:
        rows = list(csv.DictReader(io.StringIO(storage.read_text(location))))
        summary.rejected_examples = [row[s3_objects.REASON_COLUMN] for row in rows[:3]]
    summary.table_items, summary.stored_examples = _table_contents(
        sandbox.clients.dynamodb, settings.table_name
    )
    return summary


def _table_contents(dynamodb: Any, table: str) -> tuple[int, list[dict[str, Any]]]:
    items: list[dict[str, Any]] = []
    for page in dynamodb.get_paginator("scan").paginate(TableName=table):
        items += [store.from_dynamodb(raw) for raw in page["Items"]]
    predictions = [i for i in items if not str(i[store.TRANSACTION_ID]).startswith(store.RESERVED_ID_PREFIX)]
    examples = sorted(predictions, key=lambda i: -float(i[store.FRAUD_PROBABILITY_PCT]))[:3]
    shown = (store.TRANSACTION_ID, store.PREDICTION, store.FRAUD_PROBABILITY_PCT, store.INFERENCE_ID)
    return len(predictions), [{k: str(example.get(k)) for k in shown} for example in examples]


def write_labels(
    sandbox: Sandbox, world: World, traffic: list[HourOfTraffic], ground_truth_uri: str
) -> dict[str, Any]:
    """One label per stored prediction (its ``Is Fraudulent`` from the generated data); each hour's labels
    are collected in the hour after it (``monitoring_runs.label_collection_time``), one file per hour."""
    stored = {
        str(store.from_dynamodb(raw)[store.TRANSACTION_ID])
        for page in sandbox.clients.dynamodb.get_paginator("scan").paginate(
            TableName=world.settings.predictions_table
        )
        for raw in page["Items"]
    }
    files, collected, count = [], [], 0
    for item in traffic:
        transactions = item.stream.transactions
        scored = transactions[transactions[contract.TRANSACTION_ID].isin(stored)]
        records = [
            GroundTruthRecord(event_id=str(tid), label=str(int(label)))
            for tid, label in zip(scored[contract.TRANSACTION_ID], scored[contract.LABEL_COLUMN], strict=True)
        ]
        collected_at = label_collection_time(item.hour)
        files.append(write_ground_truth(Storage(sandbox.clients.s3), ground_truth_uri, records, collected_at))
        collected.append(format_utc(collected_at))
        count += len(records)
    return {"labels": count, "files": files, "collected_at": collected, "uri": ground_truth_uri}


# -- presentation ----------------------------------------------------------------------------------------


def render_summary(summary: DemoSummary, options: DemoOptions) -> str:
    lines = ["", "Summary", "", "Packages per stage:"]
    for stage, package in summary.packages.items():
        lines.append(
            f"  {stage:8} {package['endpoint']} runs {package['version']}: {package['package']} "
            f"(named in {package['package_named_in']})"
        )
    lines += ["", "Monitors deployed per stage (from the stack's parameters):"]
    for stage, stack in summary.stacks.items():
        lines.append(
            f"  {stage:8} {stack['stack_name']} {stack['status']}: {', '.join(stack['monitors']) or 'none'}"
        )
    scoring = summary.scoring
    lines += [
        "",
        "Rows scored (Lambda -> SageMaker endpoint -> DynamoDB):",
        f"  {len(scoring.files)} files, {scoring.rows_read} rows read: {scoring.rows_stored} stored, "
        f"{scoring.rows_rejected} rejected, {scoring.rows_failed} failed; "
        f"{scoring.endpoint_requests} endpoint requests",
        f"  DynamoDB table now holds {scoring.table_items} predictions, e.g. the riskiest:",
        *(f"    {example}" for example in scoring.stored_examples),
        f"  rejected rows, with their reasons: {', '.join(scoring.rejected_objects) or 'none'}",
        *(f"    {reason}" for reason in scoring.rejected_examples),
        "",
        "Files written:",
    ]
    for endpoint, files in summary.capture_files.items():
        folders = sorted({f.rsplit("/", 1)[0] + "/" for f in files})
        lines.append(
            f"  data capture of {endpoint}: {len(files)} files in {', '.join(folders) or '(no traffic)'}"
        )
    ground_truth = summary.ground_truth
    lines.append(f"  ground truth: {ground_truth['labels']} labels in {', '.join(ground_truth['files'])}")
    for label, prefix in summary.baselines.items():
        lines.append(f"  baselines of {label}: {prefix}/")
    for what, where in summary.outputs.items():
        lines.append(f"  {what}: {where}")
    monitoring = summary.monitoring
    lines += [
        "",
        f"Portable monitors on {summary.packages['prod']['endpoint']}, as deployed "
        f"(--stage-config {monitoring['stage_config']}):",
        *render_outcomes(monitoring["hours"]),
        "  (Bias drift applies Clarify's rule as written: a metric farther from balance than in the",
        "  baseline is a violation. An hour holds about 15 % of customers aged 18-24 and a handful of their",
        "  frauds, so some metrics cross it in any hour, drifted or not; prod's schedule runs it daily.)",
        f"  results in {monitoring['results']}/, commands and their output in {monitoring['log']}",
        f"  HTML report: {monitoring['report']}",
    ]
    if options.serve:
        lines += _poke_hints(summary)
    else:
        lines += [
            "",
            "The emulator stops now; run with --serve to keep it up and explore it with the AWS CLI.",
        ]
    return "\n".join(lines) + "\n"


def _poke_hints(summary: DemoSummary) -> list[str]:
    url = summary.aws_endpoint_url
    return [
        "",
        "Still running (Ctrl-C to stop). In another shell:",
        "  export AWS_ACCESS_KEY_ID=testing AWS_SECRET_ACCESS_KEY=testing AWS_DEFAULT_REGION=us-east-1",
        f"  aws --endpoint-url {url} s3 ls --recursive s3://{summary.ground_truth['uri'].split('/')[2]}/",
        f"  aws --endpoint-url {url} sagemaker list-model-packages --model-package-group-name "
        f"{summary.packages['prod']['package'].split('/')[1]}",
        f"  aws --endpoint-url {url} cloudformation describe-stacks",
        f"  aws --endpoint-url {url} dynamodb scan --table-name {summary.scoring.table}",
        f"  aws --endpoint-url {summary.runtime_endpoint_url} sagemaker-runtime invoke-endpoint "
        f"--endpoint-name "
        f"{summary.packages['prod']['endpoint']} --content-type application/json --body '{EXAMPLE_REQUEST}' "
        "out.json && cat out.json",
    ]


def serve_until_interrupted(sandbox: Sandbox, stream: TextIO) -> None:
    """Wait for Ctrl-C (or SIGTERM, e.g. from a container runtime), then write buffered capture."""
    stream.flush()
    stop = threading.Event()
    previous = signal.signal(signal.SIGTERM, lambda *_: stop.set())
    try:
        while not stop.wait(0.5):
            pass
    except KeyboardInterrupt:
        pass
    finally:
        signal.signal(signal.SIGTERM, previous)
        stream.write("\nstopping: writing buffered data capture\n")
        for endpoint in sandbox.endpoints.values():
            endpoint.close()


@contextmanager
def _quiet_emulator() -> Iterator[None]:
    """moto's server logs every request and warns about each resource type it skips: keep quiet."""
    loggers = {name: logging.getLogger(name) for name in ("werkzeug", "moto")}
    levels = {name: logger.level for name, logger in loggers.items()}
    loggers["werkzeug"].setLevel(logging.WARNING)
    loggers["moto"].setLevel(logging.ERROR)  # "No Moto CloudFormation support for AWS::SageMaker::..."
    try:
        with warnings.catch_warnings():
            warnings.filterwarnings("ignore", message="Tried to parse AWS")
            yield
    finally:
        for name, logger in loggers.items():
            logger.setLevel(levels[name])


# -- command line ----------------------------------------------------------------------------------------


def parser() -> argparse.ArgumentParser:
    result = argparse.ArgumentParser(
        prog="python -m pipelines.sandbox",
        description="The monitoring pipeline on this machine, with AWS emulated locally (no account needed).",
    )
    commands = result.add_subparsers(dest="command", required=True)
    demo = commands.add_parser(
        "demo", help="build the world, run the build and deploy, score traffic, label it"
    )
    defaults = DemoOptions()
    demo.add_argument(
        "--output",
        type=Path,
        default=defaults.output,
        help="folder for build artifacts, logs, summary.json (default: %(default)s)",
    )
    demo.add_argument(
        "--seed",
        type=int,
        default=defaults.seed,
        help="seed of every generated data set (default: %(default)s)",
    )
    demo.add_argument(
        "--rows",
        type=int,
        default=defaults.rows,
        help="transactions streamed through the Lambda, over two hourly files (default: %(default)s)",
    )
    demo.add_argument(
        "--training-rows",
        type=int,
        default=defaults.training_rows,
        help="training rows per model version (default: %(default)s)",
    )
    demo.add_argument(
        "--bad-rows",
        type=int,
        default=defaults.bad_rows,
        help="bad rows injected into each stream file (default: %(default)s)",
    )
    demo.add_argument(
        "--no-drift", dest="drift", action="store_false", help="no drift in the second hour's traffic"
    )
    demo.add_argument(
        "--serve", action="store_true", help="keep the emulator and the endpoints running until Ctrl-C"
    )
    demo.add_argument(
        "--now",
        type=lambda text: parse_utc(text, what="--now"),
        help="run as if it were this UTC time, ISO-8601 (default: the clock); the traffic hours follow it",
    )
    demo.add_argument("--log-level", default="WARNING", choices=LOG_LEVELS, type=str.upper)
    return result


def main(argv: Sequence[str] | None = None) -> int:
    args = parser().parse_args(argv)
    configure_logging(args.log_level)
    options = DemoOptions(
        output=args.output,
        seed=args.seed,
        rows=args.rows,
        training_rows=args.training_rows,
        bad_rows=args.bad_rows,
        drift=args.drift,
        serve=args.serve,
        now=args.now,
    )
    run_demo(options)
    return 0


def entry_point() -> None:
    sys.exit(run(main))
