"""``python -m pipelines.sandbox big-file``: a million-row transaction file scored completely on this machine.

What it shows (issue 13): a file far beyond what one Lambda invocation can score goes the fan-out path and
every row ends stored exactly once, including the rows of a slice that fails and is retried.

1. Start moto's server and the local SageMaker runtime; create the versioned bucket, the predictions table and
   lambda/template.yml's fan-out state machine (stored in moto).
2. Train the fraud model on generated data and serve it as the endpoint, which fails once on one chosen row
   (a ModelError), so that the slice holding that row fails.
3. Generate the file (``--rows`` transactions plus ``--bad-rows`` rows the function must reject, postal
   addresses over two lines as in all sandbox data) and upload it as a multipart upload.
4. Run the function on the upload's S3 event: it checks the file, writes its line index and starts the
   execution. Run the execution (``distributed_map``): slices of rows go to the same function, at most
   ``--slices-at-once`` at a time; the failing slice raises, Step Functions' Retry runs it again, and it
   stores its remaining rows without sending its stored rows again.
5. Check and print: items in the table = good rows, records the endpoint scored = good rows (none twice),
   rejected rows = bad rows, no failed rows; summary.json in ``--output``.

It is its own command, not part of ``demo`` (which stays under two minutes): a million rows take minutes.
"""

from __future__ import annotations

import argparse
import io
import json
import logging
import sys
import threading
import time
import warnings
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any, TextIO

from transaction_scoring import contract

from pipelines.aws import client
from pipelines.cli import LOG_LEVELS
from pipelines.errors import UserError
from pipelines.model import train_fraud_model
from pipelines.sandbox.aws_emulator import REGION, AwsEmulator
from pipelines.sandbox.data import GeneratorSettings, generate_transactions, stream_csv
from pipelines.sandbox.endpoint import ModelEndpoint
from pipelines.sandbox.lambda_runner import (
    FunctionSettings,
    LambdaContext,
    function_environment,
    handler_module,
    handler_task,
    put_event,
)
from pipelines.sandbox.progress import Progress
from pipelines.sandbox.runtime_server import EndpointFault, Invocation, InvocationResult, RuntimeServer
from pipelines.sandbox.scoring_fan_out import RESULTS_PREFIX, create_state_machine, run_started_executions
from pipelines.sandbox.world import create_bucket, create_predictions_table

BUCKET = "big-file-transactions"
TABLE = "fraud-predictions-big-file"
ENDPOINT = "fraud-detection-big-file"
KEY = "incoming/big-file/transactions.csv"
CHUNK_ROWS = 100_000
TRAINING_ROWS = 20_000
# Step Functions waits 60 s before retrying a failed slice (the template's Retry); the sandbox 0.6 s.
RETRY_INTERVAL_SCALE = 0.01


class BigFileError(UserError):
    """Options the big-file run cannot work with."""


@dataclass(frozen=True, slots=True)
class BigFileOptions:
    rows: int = 1_000_000  # good transactions in the file
    bad_rows: int = 50  # rows the function must reject (every kind of defect of the sandbox's data)
    seed: int = 11
    slice_rows: int = 400
    slices_at_once: int = 4
    records_per_request: int = 25
    failing_slice: bool = True
    output: Path = Path("sandbox-output/big-file")

    def validate(self) -> None:
        problems = []
        if self.rows < 1:
            problems.append(f"--rows {self.rows}: at least 1")
        if self.bad_rows < 0:
            problems.append(f"--bad-rows {self.bad_rows}: 0 or more")
        if not 1 <= self.slice_rows <= 10_000:
            problems.append(f"--slice-rows {self.slice_rows}: 1..10000")
        if self.slices_at_once < 1:
            problems.append(f"--slices-at-once {self.slices_at_once}: at least 1")
        if not 1 <= self.records_per_request <= 500:
            problems.append(f"--records-per-request {self.records_per_request}: 1..500")
        if problems:
            raise BigFileError(problems)


@dataclass
class BigFileSummary:
    rows_in_file: int
    good_rows: int
    bad_rows: int
    file_bytes: int
    execution_status: str = ""
    slices: int = 0
    slices_retried: int = 0
    lambda_invocations: int = 0
    endpoint_requests: int = 0
    endpoint_records_scored: int = 0
    items_in_table: int = 0
    rows_stored: int = 0
    rows_already_stored: int = 0  # stored by an earlier attempt of the same slice (the retried one)
    rows_rejected: int = 0
    rows_failed: int = 0
    seconds: dict[str, float] = field(default_factory=dict)
    rows_per_s: float = 0.0
    checks: dict[str, bool] = field(default_factory=dict)
    log: str = ""


class FailOnce:
    """The endpoint, failing the first request that holds ``transaction_id`` with a ModelError."""

    def __init__(self, endpoint: ModelEndpoint, transaction_id: str | None) -> None:
        self._endpoint, self._id = endpoint, transaction_id
        self.armed = transaction_id is not None
        self._lock = threading.Lock()
        self.requests = 0

    def __call__(self, invocation: Invocation) -> InvocationResult:
        with self._lock:
            self.requests += 1
            failing = self._id is not None and self._id.encode() in invocation.body
            if failing:
                self._id = None
        if failing:
            raise EndpointFault(424, "ModelError", "Received server error (500) from primary (sandbox fault)")
        return self._endpoint(invocation)


def run_big_file(options: BigFileOptions, stream: TextIO | None = sys.stdout) -> BigFileSummary:
    options.validate()
    options.output.mkdir(parents=True, exist_ok=True)
    progress = Progress(stream, total=5)
    started = time.perf_counter()
    with AwsEmulator.start() as aws, aws.activated(), RuntimeServer() as runtime:
        s3 = client("s3", max_pool=options.slices_at_once + 4)
        dynamodb, stepfunctions = client("dynamodb"), client("stepfunctions")
        with progress.step("Create the bucket, the predictions table and the fan-out state machine"):
            create_bucket(s3, BUCKET, REGION)
            s3.put_bucket_versioning(Bucket=BUCKET, VersioningConfiguration={"Status": "Enabled"})
            create_predictions_table(dynamodb, TABLE)
            machine = create_state_machine(stepfunctions, BUCKET)
        with progress.step("Train the fraud model and serve it (failing once on one row)"):
            model = train_fraud_model(
                generate_transactions(GeneratorSettings(rows=TRAINING_ROWS, seed=options.seed))
            )
            endpoint = ModelEndpoint(ENDPOINT, model)
        with progress.step(f"Generate and upload {options.rows + options.bad_rows:,} rows"):
            upload = _upload_file(s3, options)
        failing = FailOnce(endpoint, upload["failing_id"] if options.failing_slice else None)
        runtime.add_endpoint(ENDPOINT, failing)
        summary = BigFileSummary(
            rows_in_file=options.rows + options.bad_rows,
            good_rows=options.rows,
            bad_rows=options.bad_rows,
            file_bytes=upload["size"],
        )
        settings = FunctionSettings(
            endpoint_name=ENDPOINT,
            table_name=TABLE,
            records_per_request=options.records_per_request,
            more={
                **runtime.environment(),
                "FAN_OUT_STATE_MACHINE_ARN": machine,
                "FAN_OUT_MIN_BYTES": "1",  # whatever --rows: this command shows the fan-out path
                "FAN_OUT_SLICE_ROWS": str(options.slice_rows),
                "FAN_OUT_MAX_CONCURRENCY": str(options.slices_at_once),
                "FAN_OUT_RESULTS_PREFIX": RESULTS_PREFIX,
                "POWERTOOLS_METRICS_NAMESPACE": "FraudDetectionSandbox",
            },
        )
        log_path = options.output / "lambda.log"
        with log_path.open("w") as log, function_environment(settings, log):
            with progress.step("Run the function on the upload's event (it plans and starts the fan-out)"):
                planned = handler_module().lambda_handler(upload["event"], LambdaContext())
                if planned["files"][0]["status"] != "fanned_out":
                    raise BigFileError(f"the file was not fanned out: {json.dumps(planned['files'][0])}")
            scoring_started = time.perf_counter()
            with progress.step("Run the execution: slices scored by the function, one failing and retried"):
                (run,) = run_started_executions(
                    stepfunctions,
                    s3,
                    machine,
                    handler_task(),
                    already_run=set(),
                    interval_scale=RETRY_INTERVAL_SCALE,
                )
        summary.seconds = {
            "scoring": time.perf_counter() - scoring_started,
            "total": time.perf_counter() - started,
        }
        _fill(summary, run, failing, endpoint, dynamodb)
        summary.log = str(log_path)
    (options.output / "summary.json").write_text(json.dumps(asdict(summary), indent=2, default=str))
    if stream is not None:
        _print(summary, stream)
    if not all(summary.checks.values()):
        raise BigFileError([f"check failed: {name}" for name, ok in summary.checks.items() if not ok])
    return summary


def _upload_file(s3: Any, options: BigFileOptions) -> dict[str, Any]:
    """Generate the file chunk by chunk (memory stays at one chunk) and upload it as a multipart upload."""
    upload_id = s3.create_multipart_upload(Bucket=BUCKET, Key=KEY, ContentType="text/csv")["UploadId"]
    parts, size = [], 0
    chunks = max(1, -(-options.rows // CHUNK_ROWS))
    failing_id = None
    for index in range(chunks):
        rows = min(CHUNK_ROWS, options.rows - index * CHUNK_ROWS)
        bad = options.bad_rows // chunks + (1 if index < options.bad_rows % chunks else 0)
        transactions = generate_transactions(GeneratorSettings(rows=rows, seed=options.seed * 1000 + index))
        data = stream_csv(transactions, bad_rows=bad, seed=options.seed + index).data
        if index:
            data = data[data.index(b"\n") + 1 :]  # the header once, at the top
        if index == chunks // 2:
            failing_id = str(transactions[contract.TRANSACTION_ID].iloc[rows // 2])
        part = s3.upload_part(Bucket=BUCKET, Key=KEY, UploadId=upload_id, PartNumber=index + 1, Body=data)
        parts.append({"PartNumber": index + 1, "ETag": part["ETag"]})
        size += len(data)
    response = s3.complete_multipart_upload(
        Bucket=BUCKET, Key=KEY, UploadId=upload_id, MultipartUpload={"Parts": parts}
    )
    return {"event": put_event(BUCKET, KEY, response, size), "size": size, "failing_id": failing_id}


def _fill(
    summary: BigFileSummary,
    run: Any,
    failing: FailOnce,
    endpoint: ModelEndpoint,
    dynamodb: Any,
) -> None:
    result = run.result
    summary.execution_status = result.status
    (map_run,) = result.map_runs
    summary.slices = map_run.batches
    summary.slices_retried = result.retries
    summary.lambda_invocations = result.invocations + 1  # and the planner's
    summary.endpoint_requests = failing.requests
    summary.endpoint_records_scored = endpoint.counts.records
    summary.items_in_table = int(dynamodb.describe_table(TableName=TABLE)["Table"]["ItemCount"])
    finished = result.output["report"]["files"][0] if result.status == "SUCCEEDED" else {}
    summary.rows_stored = int(finished.get("rows_stored", 0))
    summary.rows_already_stored = int(finished.get("rows_already_stored", 0))
    summary.rows_rejected = int(finished.get("rows_rejected", 0))
    summary.rows_failed = int(finished.get("rows_failed", 0))
    summary.rows_per_s = summary.rows_in_file / summary.seconds["scoring"]
    summary.checks = {
        "the execution succeeded": result.status == "SUCCEEDED",
        # Its items and the file's checkpoint (leases are gone once released).
        "every good row is in the table, and nothing else but the file's checkpoint": (
            summary.items_in_table == summary.good_rows + 1
        ),
        # A retried slice finds the rows its first attempt stored (already stored) and stores the others.
        "every good row was stored by exactly one write": (
            summary.rows_stored + summary.rows_already_stored == summary.good_rows
        ),
        "the endpoint scored each good row once": summary.endpoint_records_scored == summary.good_rows,
        "every bad row was rejected": summary.rows_rejected == summary.bad_rows,
        "no row failed": summary.rows_failed == 0,
        "a slice failed and was retried": summary.slices_retried >= 1 or not failing.armed,
    }


def _print(summary: BigFileSummary, stream: TextIO) -> None:
    out = io.StringIO()
    s = summary
    out.write(
        f"\nFile: {s.rows_in_file:,} rows ({s.good_rows:,} good, {s.bad_rows:,} bad), "
        f"{s.file_bytes / 1e6:,.0f} MB\n"
        f"Execution {s.execution_status}: {s.slices:,} slices, {s.slices_retried} retried; "
        f"{s.lambda_invocations:,} function invocations, {s.endpoint_requests:,} endpoint requests\n"
        f"Stored {s.rows_stored + s.rows_already_stored:,} ({s.rows_already_stored:,} by the failed slice's "
        f"first attempt), rejected {s.rows_rejected:,}, failed {s.rows_failed:,}\n"
        f"{s.items_in_table:,} items in the table; "
        f"the endpoint scored {s.endpoint_records_scored:,} records\n"
        f"Scoring took {s.seconds['scoring']:,.0f} s ({s.rows_per_s:,.0f} rows/s on this machine), "
        f"{s.seconds['total']:,.0f} s in all\n"
    )
    for name, ok in summary.checks.items():
        out.write(f"  [{'ok' if ok else 'FAILED'}] {name}\n")
    out.write(f"Function log: {summary.log}\n")
    stream.write(out.getvalue())


# -- command line ----------------------------------------------------------------------------------------


def add_arguments(parser: argparse.ArgumentParser) -> None:
    defaults = BigFileOptions()
    parser.add_argument("--rows", type=int, default=defaults.rows, help="good rows (default: %(default)s)")
    parser.add_argument(
        "--bad-rows", type=int, default=defaults.bad_rows, help="rows to reject (default: %(default)s)"
    )
    parser.add_argument(
        "--seed", type=int, default=defaults.seed, help="seed of the data (default: %(default)s)"
    )
    parser.add_argument(
        "--slice-rows", type=int, default=defaults.slice_rows, help="rows per slice (default: %(default)s)"
    )
    parser.add_argument(
        "--slices-at-once",
        type=int,
        default=defaults.slices_at_once,
        help="the Distributed Map's MaxConcurrency (default: %(default)s)",
    )
    parser.add_argument(
        "--records-per-request",
        type=int,
        default=defaults.records_per_request,
        help="records per endpoint request (default: %(default)s)",
    )
    parser.add_argument(
        "--no-failing-slice",
        dest="failing_slice",
        action="store_false",
        help="do not make one slice fail once",
    )
    parser.add_argument(
        "--output", type=Path, default=defaults.output, help="folder for summary.json and the log"
    )
    parser.add_argument("--log-level", default="WARNING", choices=LOG_LEVELS, type=str.upper)
    parser.set_defaults(run=run_command)


def options_from(args: argparse.Namespace) -> BigFileOptions:
    return BigFileOptions(
        rows=args.rows,
        bad_rows=args.bad_rows,
        seed=args.seed,
        slice_rows=args.slice_rows,
        slices_at_once=args.slices_at_once,
        records_per_request=args.records_per_request,
        failing_slice=args.failing_slice,
        output=args.output,
    )


def run_command(args: argparse.Namespace) -> int:
    """``python -m pipelines.sandbox big-file`` (the parser is ``pipelines.sandbox.demo.cli``'s)."""
    # Slices share this process here (on Lambda each has its own container): more requests in flight than a
    # client's pool holds is expected, and so is one slice's Powertools flush finding the metrics buffer they
    # share already emptied by another: both warnings are noise here.
    logging.getLogger("urllib3.connectionpool").setLevel(logging.ERROR)
    warnings.filterwarnings("ignore", message="No application metrics to publish")
    run_big_file(options_from(args))
    return 0
