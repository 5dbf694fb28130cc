"""Scoring Lambda throughput and memory, next to the straightforward design, in the same run.

Run: ``python -m benchmarks.lambda_throughput`` (not a test: its figures go to docs/benchmarks.md). Options:
``--rows`` (10,000), ``--latency-ms`` (10), ``--batch-sizes`` (1,25: RECORDS_PER_REQUEST settings measured),
``--concurrency`` (32), ``--baseline-rows`` (all), ``--memory-rows`` (10,000,100,000,1,000,000),
``--memory-batch-size`` (100).

Set-up, shared by both designs so that only the design differs:
- S3 and DynamoDB: one moto server in its own process (``python -m moto.server``); a fresh table per run;
- the endpoint: ``benchmarks._fake_endpoint`` in its own process, a fixed latency per request, a fresh
  process per run so that its request count (reported by the server, not by the client) is per run;
- each run in a fresh Python process, so that its CPU time and peak RSS are its own.

Designs:
- *handler*: ``lambda_function.lambda_handler`` on an S3 event for the file (the real code path);
- *straightforward*: the same clients, row validation and DynamoDB item, but one request and one
  ``PutItem`` per row, in file order (what the console version did).

It also times single API calls in this machine's Python (client CPU per call) to show where time goes.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import socket
import subprocess
import sys
import tempfile
import threading
import time
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from transaction_scoring import contract

from benchmarks._fake_endpoint import ENDPOINT_NAME
from pipelines.sandbox.aws_emulator import isolated_environment
from pipelines.sandbox.lambda_runner import LambdaContext, handler_module, s3_event

REPO = Path(__file__).resolve().parent.parent

BUCKET = "bench-transactions"
REGION = "us-east-1"
PAYMENT_METHODS = ("credit card", "debit card", "PayPal", "bank transfer")
CATEGORIES = ("electronics", "clothing", "home & garden", "health & beauty", "toys & games")
DEVICES = ("desktop", "mobile", "tablet")
CITIES = tuple(f"City {i:02d}" for i in range(40))
CHILD_TIMEOUT_S = 3 * 3600


# -- data ------------------------------------------------------------------------------------------------
def write_transactions(path: Path, rows: int, seed: int = 7) -> None:
    """A CSV of ``rows`` valid transactions with the real header, streamed to disk."""
    rng = random.Random(seed)
    with path.open("w", newline="") as out:
        out.write(",".join(contract.TRANSACTION_COLUMNS) + "\r\n")
        for i in range(rows):
            day, hour = rng.randint(1, 28), rng.randint(0, 23)
            out.write(
                f"tx-{seed}-{i},cust-{rng.randint(1, 50_000)},{rng.lognormvariate(4.5, 0.8):.2f},"
                f"2024-02-{day:02d} {hour:02d}:{rng.randint(0, 59):02d}:{rng.randint(0, 59):02d},"
                f"{rng.choice(PAYMENT_METHODS)},{rng.choice(CATEGORIES)},{rng.randint(1, 5)},"
                f"{rng.randint(18, 80)},{rng.choice(CITIES)},{rng.choice(DEVICES)},"
                f"10.{rng.randint(0, 255)}.{rng.randint(0, 255)}.{rng.randint(1, 254)},"
                f'"{rng.randint(1, 999)} Main Street, {rng.choice(CITIES)}",'
                f'"{rng.randint(1, 999)} Main Street, {rng.choice(CITIES)}",'
                f"{int(rng.random() < 0.05)},{rng.randint(1, 365)},{hour}\r\n"
            )


# -- servers ---------------------------------------------------------------------------------------------
def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@contextmanager
def moto_server() -> Iterator[str]:
    port = _free_port()
    process = subprocess.Popen(
        [sys.executable, "-m", "moto.server", "-H", "127.0.0.1", "-p", str(port)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    url = f"http://127.0.0.1:{port}"
    try:
        for _ in range(200):
            try:
                urllib.request.urlopen(f"{url}/moto-api/", timeout=1).close()
                break
            except OSError:
                time.sleep(0.1)
        else:
            raise RuntimeError("moto server did not start")
        yield url
    finally:
        process.terminate()
        try:
            process.wait(timeout=30)
        except subprocess.TimeoutExpired:  # holding a million items, moto can take long to exit
            process.kill()
            process.wait()


@contextmanager
def fake_endpoint(latency_ms: float) -> Iterator[tuple[str, list[int]]]:
    """The endpoint's URL, and a list that receives the number of requests it served once it stops."""
    process = subprocess.Popen(
        [sys.executable, "-m", "benchmarks._fake_endpoint", "--latency-ms", str(latency_ms)],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
        cwd=REPO,
    )
    assert process.stdout is not None
    assert process.stdin is not None
    url = process.stdout.readline().strip()
    served: list[int] = []
    try:
        yield url, served
    finally:
        process.stdin.close()
        requests, _faults = process.stdout.readline().split()
        served.append(int(requests))
        process.wait(timeout=30)


def aws_environment(moto_url: str, runtime_url: str) -> dict[str, str]:
    return {**isolated_environment(moto_url, REGION), "AWS_ENDPOINT_URL_SAGEMAKER_RUNTIME": runtime_url}


# -- one measured run (in a child process) ---------------------------------------------------------------
@dataclass(frozen=True)
class Run:
    design: str  # "handler" or "straightforward"
    key: str
    table: str
    rows: int
    batch_size: int
    concurrency: int


def run_in_child(run: Run, environment: dict[str, str], latency_ms: float) -> dict[str, Any]:
    """Measure ``run`` in a fresh process against a fresh endpoint process and table."""
    import boto3

    os.environ.update(environment)
    dynamodb = boto3.client("dynamodb", region_name=REGION, endpoint_url=environment["AWS_ENDPOINT_URL"])
    dynamodb.create_table(
        TableName=run.table,
        KeySchema=[{"AttributeName": "TransactionID", "KeyType": "HASH"}],
        AttributeDefinitions=[{"AttributeName": "TransactionID", "AttributeType": "S"}],
        BillingMode="PAY_PER_REQUEST",
    )
    try:
        with fake_endpoint(latency_ms) as (runtime_url, served):
            child_env = {**os.environ, **environment, "AWS_ENDPOINT_URL_SAGEMAKER_RUNTIME": runtime_url}
            child_env.update(
                ENDPOINT_NAME=ENDPOINT_NAME,
                DYNAMODB_TABLE_NAME=run.table,
                RECORDS_PER_REQUEST=str(run.batch_size),
                MAX_CONCURRENCY=str(run.concurrency),
                INPUT_PREFIX="incoming/",
                POWERTOOLS_LOG_LEVEL="WARNING",
                POWERTOOLS_METRICS_DISABLED="true",
                PYTHONPATH=os.pathsep.join([str(REPO), str(REPO / "lambda")]),
            )
            result = run_child_process(
                "benchmarks.lambda_throughput",
                ["--child", run.design, "--key", run.key],
                child_env,
                what=f"{run.design} run",
            )
        stored = dynamodb.describe_table(TableName=run.table)["Table"]["ItemCount"]
        result.update(requests_served=served[0], items_in_table=stored)
        return result
    finally:
        dynamodb.delete_table(TableName=run.table)


def run_child_process(module: str, args: list[str], env: dict[str, str], *, what: str) -> dict[str, Any]:
    """``python -m module args`` in a fresh process; its last stdout line, parsed as JSON."""
    completed = subprocess.run(
        [sys.executable, "-m", module, *args],
        env=env,
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=CHILD_TIMEOUT_S,
        check=False,
    )
    if completed.returncode != 0:
        raise RuntimeError(f"{what} failed:\n{completed.stderr[-4000:]}")
    result: dict[str, Any] = json.loads(completed.stdout.strip().splitlines()[-1])
    return result


def memory_kb(field: str) -> int:
    """``VmRSS`` (now) or ``VmHWM`` (peak) of this process from /proc, in kB.

    Not ``getrusage().ru_maxrss``: after fork + exec it still holds the parent's peak.
    """
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith(f"{field}:"):
            return int(line.split()[1])
    raise RuntimeError(f"no {field} in /proc/self/status")


def reset_peak_memory() -> None:
    # Writing 5 to clear_refs resets VmHWM to the current RSS (Linux >= 4.0), so the peak is the run's own.
    Path("/proc/self/clear_refs").write_text("5")


class _ThreadCpu:
    """CPU time (``time.thread_time``) spent in wrapped functions, summed over the threads running them."""

    def __init__(self) -> None:
        self.seconds: dict[str, float] = {}
        self._lock = threading.Lock()

    def wrap(self, owner: Any, name: str, label: str) -> None:
        function = getattr(owner, name)

        def timed(*args: Any, **kwargs: Any) -> Any:
            start = time.thread_time()
            try:
                return function(*args, **kwargs)
            finally:
                with self._lock:
                    self.seconds[label] = self.seconds.get(label, 0.0) + time.thread_time() - start

        setattr(owner, name, timed)


def child_main(design: str, key: str) -> None:
    """Runs in the child: one design on one object; prints one JSON line of measurements."""
    lambda_function = handler_module()  # imported (with boto3, Powertools) before the memory baseline
    from transaction_scoring import scoring, store

    reset_peak_memory()
    start_rss_kb = memory_kb("VmRSS")
    split: dict[str, float] = {}
    if design == "handler":
        # Where the CPU goes: the endpoint calls (worker threads), the DynamoDB calls (chunk threads),
        # and the main thread (reading, validating, collecting results).
        threads = _ThreadCpu()
        threads.wrap(scoring, "score_batch", "endpoint calls")
        threads.wrap(store, "find_stored", "DynamoDB calls")
        threads.wrap(store, "write_items", "DynamoDB calls")
        event = s3_event(BUCKET, [key], region=REGION)
        context = LambdaContext(function_name="bench")
        main_cpu, cpu, wall = time.thread_time(), time.process_time(), time.perf_counter()
        response = lambda_function.lambda_handler(event, context)
        wall, cpu = time.perf_counter() - wall, time.process_time() - cpu
        split = {
            **threads.seconds,
            "main thread (clients, read, validate, collect)": time.thread_time() - main_cpu,
        }
        counts = {
            name: response[name] for name in ("rows_read", "rows_stored", "rows_rejected", "rows_failed")
        }
    else:
        cpu, wall = time.process_time(), time.perf_counter()
        counts = _straightforward(key)
        wall, cpu = time.perf_counter() - wall, time.process_time() - cpu
    peak_rss_kb = memory_kb("VmHWM")
    print(
        json.dumps(
            {
                **counts,
                "wall_s": wall,
                "cpu_s": cpu,
                "cpu_split_s": split,
                "rows_per_s": counts["rows_stored"] / wall,
                "peak_rss_mb": peak_rss_kb / 1024,
                "rss_growth_mb": (peak_rss_kb - start_rss_kb) / 1024,
            }
        )
    )


def _straightforward(key: str) -> dict[str, int]:
    """One InvokeEndpoint and one PutItem per row, in file order: the design the function replaces."""
    import io

    from transaction_scoring import store
    from transaction_scoring.clients import create_clients
    from transaction_scoring.rows import Header, RowValidator, ValidRow, csv_lines
    from transaction_scoring.settings import Settings

    settings = Settings.from_environ(os.environ)
    clients = create_clients(settings)
    body = clients.s3.get_object(Bucket=BUCKET, Key=key)["Body"]
    lines = csv_lines(io.TextIOWrapper(body, encoding="utf-8-sig", newline=""))
    validator = RowValidator(Header.parse(next(lines).cells, where=key), keep_personal_data=False)
    source = f"s3://{BUCKET}/{key}"
    counts = {"rows_read": 0, "rows_stored": 0, "rows_rejected": 0, "rows_failed": 0}
    for csv_line in lines:
        counts["rows_read"] += 1
        row = validator.validate(csv_line.line, csv_line.cells)
        if not isinstance(row, ValidRow):
            counts["rows_rejected"] += 1
            continue
        response = clients.sagemaker_runtime.invoke_endpoint(
            EndpointName=settings.endpoint_name,
            Body=contract.encode_request([row.record]),
            ContentType=contract.CONTENT_TYPE,
            Accept=contract.ACCEPT,
            InferenceId=row.transaction_id,
        )
        (prediction,) = contract.decode_response(response["Body"].read(), expected=1)
        scored = store.ScoredRow(row, prediction, row.transaction_id, "", "2026-11-29T10:00:00.000Z")
        item = store.prediction_item(scored, endpoint_name=settings.endpoint_name, source_object=source)
        clients.dynamodb.put_item(TableName=settings.table_name, Item=store.to_dynamodb(item))
        counts["rows_stored"] += 1
    return counts


# -- where time goes -------------------------------------------------------------------------------------
def call_costs(environment: dict[str, str], runtime_url: str, calls: int = 300) -> dict[str, float]:
    """Client CPU per call (ms) of each API the function uses, and per row of parsing + validation."""
    import boto3
    from transaction_scoring import store
    from transaction_scoring.clients import create_clients
    from transaction_scoring.rows import Header, RowValidator, ValidRow
    from transaction_scoring.settings import Settings

    os.environ.update({**environment, "AWS_ENDPOINT_URL_SAGEMAKER_RUNTIME": runtime_url})
    clients = create_clients(Settings())
    table = "bench-call-costs"
    boto3.client("dynamodb").create_table(
        TableName=table,
        KeySchema=[{"AttributeName": "TransactionID", "KeyType": "HASH"}],
        AttributeDefinitions=[{"AttributeName": "TransactionID", "AttributeType": "S"}],
        BillingMode="PAY_PER_REQUEST",
    )
    record = {c: 1 for c in contract.REQUEST_COLUMNS} | {"Transaction ID": "x", "Transaction Amount": 10.0}
    item = {"TransactionID": {"S": "x"}, "Prediction": {"N": "0"}, "SourceObject": {"S": "s3://b/k"}}

    def cpu_ms(operation: Any, n: int = calls) -> float:
        start = time.process_time()
        for i in range(n):
            operation(i)
        return (time.process_time() - start) * 1000 / n

    costs = {
        "InvokeEndpoint (1 record)": cpu_ms(
            lambda i: clients.sagemaker_runtime.invoke_endpoint(
                EndpointName=ENDPOINT_NAME,
                Body=contract.encode_request([record]),
                ContentType="application/json",
            )["Body"].read()
        ),
        "PutItem (1 item)": cpu_ms(
            lambda i: clients.dynamodb.put_item(
                TableName=table, Item={**item, "TransactionID": {"S": f"p{i}"}}
            )
        ),
        "BatchWriteItem (25 items)": cpu_ms(
            lambda i: clients.dynamodb.batch_write_item(
                RequestItems={
                    table: [
                        {"PutRequest": {"Item": {**item, "TransactionID": {"S": f"w{i}-{k}"}}}}
                        for k in range(25)
                    ]
                }
            ),
            calls // 5,
        ),
        "BatchGetItem (100 keys)": cpu_ms(
            lambda i: clients.dynamodb.batch_get_item(
                RequestItems={table: {"Keys": [{"TransactionID": {"S": f"w{i}-{k}"}} for k in range(100)]}}
            ),
            calls // 5,
        ),
    }
    header = Header.parse(list(contract.TRANSACTION_COLUMNS), where="bench")
    validator = RowValidator(header, keep_personal_data=False)
    cells = [
        "tx-1",
        "c-1",
        "12.50",
        "2024-02-03 04:05:06",
        "PayPal",
        "toys & games",
        "2",
        "33",
        "City 01",
        "mobile",
        "1.2.3.4",
        "a",
        "b",
        "0",
        "100",
        "4",
    ]
    costs["parse + validate (1 row)"] = cpu_ms(lambda i: validator.validate(i, cells), 20_000)
    valid = validator.validate(2, cells)
    assert isinstance(valid, ValidRow)
    scored = store.ScoredRow(
        valid, contract.Prediction(0, 12.5), "x", "AllTraffic", "2026-11-29T10:00:00.000Z"
    )
    costs["item + serialize (1 row)"] = cpu_ms(
        lambda i: store.to_dynamodb(
            store.prediction_item(scored, endpoint_name="e", source_object="s3://b/k")
        ),
        20_000,
    )
    boto3.client("dynamodb").delete_table(TableName=table)
    return costs


# -- report ----------------------------------------------------------------------------------------------
def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--rows", type=int, default=10_000)
    parser.add_argument("--latency-ms", type=float, default=10.0)
    parser.add_argument("--batch-sizes", default="1,25", help="RECORDS_PER_REQUEST values to measure")
    parser.add_argument("--concurrency", type=int, default=32)
    parser.add_argument("--baseline-rows", type=int, default=None, help="rows for the straightforward run")
    parser.add_argument("--memory-rows", default="10000,100000,1000000", help="'' to skip the memory runs")
    parser.add_argument("--memory-batch-size", type=int, default=100)
    parser.add_argument("--child", choices=("handler", "straightforward"), help=argparse.SUPPRESS)
    parser.add_argument("--key", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.child:
        child_main(args.child, args.key)
        return

    batch_sizes = [int(b) for b in args.batch_sizes.split(",") if b]
    memory_rows = [int(n) for n in args.memory_rows.split(",") if n]
    baseline_rows = args.baseline_rows or args.rows
    print(f"# Lambda throughput: {args.rows:,} rows, endpoint latency {args.latency_ms:g} ms per request")
    print(
        f"python {sys.version.split()[0]}, {os.cpu_count()} CPUs; "
        "moto server and endpoint in their own processes; "
        f"load average at start {os.getloadavg()[0]:.1f}"
    )
    with moto_server() as moto_url, tempfile.TemporaryDirectory() as scratch:
        import boto3

        environment = aws_environment(moto_url, runtime_url="")
        os.environ.update(environment)
        s3 = boto3.client("s3", region_name=REGION, endpoint_url=moto_url)
        s3.create_bucket(Bucket=BUCKET)

        def upload(rows: int) -> str:
            path = Path(scratch) / f"transactions-{rows}.csv"
            write_transactions(path, rows)
            key = f"incoming/bench/{rows} rows.csv"
            s3.upload_file(str(path), BUCKET, key)
            path.unlink()
            return key

        keys = {n: upload(n) for n in sorted({args.rows, baseline_rows, *memory_rows})}

        with fake_endpoint(0) as (runtime_url, _):
            costs = call_costs(environment, runtime_url)
        print("\n## Client CPU per call on this machine (ms)")
        for name, ms in costs.items():
            print(f"  {name:28s} {ms:8.3f}")

        results: dict[str, dict[str, Any]] = {}
        runs = [Run("straightforward", keys[baseline_rows], "bench-straightforward", baseline_rows, 1, 1)]
        runs += [
            Run("handler", keys[args.rows], f"bench-handler-{b}", args.rows, b, args.concurrency)
            for b in batch_sizes
        ]
        for run in runs:
            label = (
                run.design
                if run.design == "straightforward"
                else f"handler, RECORDS_PER_REQUEST={run.batch_size}"
            )
            print(f"\nrunning {label} ...", flush=True)
            results[label] = run_in_child(run, environment, args.latency_ms)
            _print_result(label, results[label])

        base = results["straightforward"]["rows_per_s"]
        print(
            f"\n## Throughput ({args.rows:,} rows, {args.latency_ms:g} ms per request, "
            f"MAX_CONCURRENCY={args.concurrency}; load average now {os.getloadavg()[0]:.1f})"
        )
        print(
            f"  {'design':40s} {'rows/s':>9s} {'ratio':>7s} {'requests':>9s} {'CPU ms/row':>11s} "
            f"{'model ms/row':>13s} {'peak RSS MB':>12s}"
        )
        for label, result in results.items():
            batch = 1 if label == "straightforward" else int(label.rsplit("=", 1)[1])
            modelled = _modelled_cpu_ms(costs, label == "straightforward", batch)
            print(
                f"  {label:40s} {result['rows_per_s']:9.0f} {result['rows_per_s'] / base:6.1f}x "
                f"{result['requests_served']:9d} {1000 * result['cpu_s'] / result['rows_read']:11.3f} "
                f"{modelled:13.3f} {result['peak_rss_mb']:12.1f}"
            )
        print(
            "  (model ms/row: the client CPU per call above, summed per row for the calls each design makes; "
            "the rest is threads, JSON and Python overhead)"
        )

        if memory_rows:
            print(f"\n## Memory against file size (handler, RECORDS_PER_REQUEST={args.memory_batch_size})")
            print(f"  {'rows':>10s} {'rows/s':>9s} {'peak RSS MB':>12s} {'RSS growth MB':>14s}")
            for rows in memory_rows:
                run = Run(
                    "handler",
                    keys[rows],
                    f"bench-memory-{rows}",
                    rows,
                    args.memory_batch_size,
                    args.concurrency,
                )
                result = run_in_child(run, environment, args.latency_ms)
                if result["rows_stored"] != rows:
                    raise RuntimeError(f"memory run stored {result['rows_stored']} of {rows} rows: {result}")
                print(
                    f"  {rows:10,d} {result['rows_per_s']:9.0f} {result['peak_rss_mb']:12.1f} "
                    f"{result['rss_growth_mb']:14.1f}",
                    flush=True,
                )


def _modelled_cpu_ms(costs: dict[str, float], straightforward: bool, batch: int) -> float:
    """Client CPU per row predicted from the per-call costs: what the calls alone cost, per design."""
    per_row = costs["parse + validate (1 row)"] + costs["item + serialize (1 row)"]
    if straightforward:
        return per_row + costs["InvokeEndpoint (1 record)"] + costs["PutItem (1 item)"]
    return (
        per_row
        + costs["InvokeEndpoint (1 record)"] / batch
        + costs["BatchGetItem (100 keys)"] / 100
        + costs["BatchWriteItem (25 items)"] / 25
    )


def _print_result(label: str, result: dict[str, Any]) -> None:
    split = result.get("cpu_split_s") or {}
    if split:
        shares = ", ".join(
            f"{name} {100 * seconds / result['cpu_s']:.0f}%" for name, seconds in split.items()
        )
        print(f"  CPU split: {shares}, other {100 * (1 - sum(split.values()) / result['cpu_s']):.0f}%")
    print(
        f"  {label}: {result['rows_stored']:,} of {result['rows_read']:,} rows stored in "
        f"{result['wall_s']:.1f} s "
        f"({result['rows_per_s']:.0f} rows/s), CPU {result['cpu_s']:.1f} s, {result['requests_served']:,} "
        f"requests, {result['items_in_table']:,} items in the table, peak RSS {result['peak_rss_mb']:.0f} MB",
        flush=True,
    )


if __name__ == "__main__":
    main()
