"""A file of a million rows end to end: the fan-out path and the single path with resume, against the
straightforward design, in the same run.

Run: ``python -m benchmarks.lambda_large_files`` (not a test; it prints figures for the docs). Options:
``--rows`` (1,000,000), ``--latency-ms`` (10), ``--timeout-s`` (300: the single path's invocations, so that
the file needs several and each resumes where the last stopped), ``--slices-at-once`` (4), ``--baseline-rows``
(5,000: the straightforward design is ~50 rows/s here), ``--skip`` (``single``, ``fan-out``, ``baseline``).

Set-up, as in ``benchmarks.lambda_throughput``: S3, DynamoDB and Step Functions in one moto server process,
the endpoint in its own process with a fixed latency per request (requests counted by the server), and every
Lambda invocation in a fresh Python process, so that its peak RSS is its own. Paths:
- *single path with resume*: the handler on the file's S3 event with ``--timeout-s`` per invocation, invoked
  again (a fresh process: Lambda's retry) while the file is incomplete;
- *fan-out*: the handler on the same event (it checks the file, writes the line index, starts the execution),
  then the execution run by ``pipelines.sandbox.distributed_map`` with the handler for each slice, in one
  process (slices in threads: its peak RSS holds ``--slices-at-once`` slices), and one slice alone in a fresh
  process for the peak RSS of a slice's invocation;
- *straightforward*: one request and one ``PutItem`` per row (``lambda_throughput``'s design).
"""

from __future__ import annotations

import argparse
import csv
import json
import os
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from benchmarks._fake_endpoint import ENDPOINT_NAME
from benchmarks.lambda_throughput import (
    BUCKET,
    REGION,
    REPO,
    Run,
    aws_environment,
    fake_endpoint,
    memory_kb,
    moto_server,
    reset_peak_memory,
    run_child_process,
    run_in_child,
    write_transactions,
)

KEY = "incoming/bench/large.csv"
TABLE = "bench-large"
RECORDS_PER_REQUEST = 25  # the default of the Processing backend
MAX_CONCURRENCY = 32


def _function_environment(runtime_url: str, extra: dict[str, str]) -> dict[str, str]:
    return {
        "AWS_ENDPOINT_URL_SAGEMAKER_RUNTIME": runtime_url,
        "ENDPOINT_NAME": ENDPOINT_NAME,
        "DYNAMODB_TABLE_NAME": TABLE,
        "RECORDS_PER_REQUEST": str(RECORDS_PER_REQUEST),
        "MAX_CONCURRENCY": str(MAX_CONCURRENCY),
        "INPUT_PREFIX": "incoming/",
        "POWERTOOLS_LOG_LEVEL": "WARNING",
        "POWERTOOLS_METRICS_DISABLED": "true",
        "PYTHONPATH": os.pathsep.join([str(REPO), str(REPO / "lambda")]),
        **extra,
    }


def _child(mode: str, environment: dict[str, str], *args: str) -> dict[str, Any]:
    return run_child_process(
        "benchmarks.lambda_large_files",
        ["--child", mode, *args],
        {**os.environ, **environment},
        what=f"{mode} child",
    )


# -- children ----------------------------------------------------------------------------------------------


def child_invoke(event_json: str, timeout_s: float) -> None:
    """One Lambda invocation: the handler on ``event``; prints its report and the process's peak RSS."""
    from transaction_scoring.errors import RowsFailed

    from pipelines.sandbox.lambda_runner import LambdaContext, handler_module

    module = handler_module()
    reset_peak_memory()
    started = time.perf_counter()
    try:
        response = module.lambda_handler(json.loads(event_json), LambdaContext(timeout_s=timeout_s))
        files = response["files"]
    except RowsFailed as stopped:  # an incomplete file: Lambda retries the event
        files = [{"status": "incomplete", "detail": str(stopped)}]
    print(
        json.dumps(
            {
                "files": files,
                "wall_s": time.perf_counter() - started,
                "peak_rss_mb": memory_kb("VmHWM") / 1024,
            }
        )
    )


def child_execute(machine_arn: str, slices_at_once: int) -> None:
    """Run the execution the planner started; slices in threads of this process."""
    import boto3

    from pipelines.sandbox.lambda_runner import handler_module, handler_task
    from pipelines.sandbox.scoring_fan_out import run_started_executions

    handler_module()
    reset_peak_memory()
    stepfunctions, s3 = boto3.client("stepfunctions"), boto3.client("s3", config=_pool(slices_at_once))
    started = time.perf_counter()
    (run,) = run_started_executions(stepfunctions, s3, machine_arn, handler_task(), already_run=set())
    (map_run,) = run.result.map_runs
    finished = run.result.output["report"]["files"][0] if run.result.status == "SUCCEEDED" else {}
    print(
        json.dumps(
            {
                "status": run.result.status,
                "error": run.result.error,
                "cause": (run.result.cause or "")[:2000],
                "slices": map_run.batches,
                "invocations": run.result.invocations,
                "finished": finished,
                "wall_s": time.perf_counter() - started,
                "peak_rss_mb": memory_kb("VmHWM") / 1024,
            }
        )
    )


def _pool(size: int) -> Any:
    from botocore.config import Config

    return Config(max_pool_connections=size + 4)


def child_slice(machine_arn: str, slice_rows: int) -> None:
    """One slice's invocation alone (the first ``slice_rows`` rows, as the Distributed Map hands them)."""
    import boto3

    from pipelines.sandbox.lambda_runner import LambdaContext, handler_module

    module = handler_module()
    stepfunctions, s3 = boto3.client("stepfunctions"), boto3.client("s3")
    (execution,) = stepfunctions.list_executions(stateMachineArn=machine_arn)["executions"]
    execution_input = json.loads(
        stepfunctions.describe_execution(executionArn=execution["executionArn"])["input"]
    )
    body = s3.get_object(Bucket=BUCKET, Key=KEY, VersionId=execution_input["source"]["version_id"])["Body"]
    lines = (line.decode() for line in body.iter_lines(keepends=True))
    rows = csv.DictReader(lines)
    items = [{"index": i, "row": row} for i, row in zip(range(slice_rows), rows, strict=False)]
    body.close()
    event = {
        "BatchInput": {key: execution_input[key] for key in ("source", "header", "skip", "line_index")},
        "Items": items,
    }
    reset_peak_memory()
    started = time.perf_counter()
    response = module.lambda_handler(event, LambdaContext())
    print(
        json.dumps(
            {
                "rows_read": response["rows_read"],
                "wall_s": time.perf_counter() - started,
                "peak_rss_mb": memory_kb("VmHWM") / 1024,
            }
        )
    )


# -- the runs ----------------------------------------------------------------------------------------------


def _fresh_table(dynamodb: Any) -> None:
    names = dynamodb.list_tables()["TableNames"]
    if TABLE in names:
        dynamodb.delete_table(TableName=TABLE)
    dynamodb.create_table(
        TableName=TABLE,
        KeySchema=[{"AttributeName": "TransactionID", "KeyType": "HASH"}],
        AttributeDefinitions=[{"AttributeName": "TransactionID", "AttributeType": "S"}],
        BillingMode="PAY_PER_REQUEST",
    )


def run_single(
    event: dict[str, Any], rows: int, latency_ms: float, timeout_s: float, dynamodb: Any
) -> dict[str, Any]:
    _fresh_table(dynamodb)
    invocations: list[dict[str, Any]] = []
    with fake_endpoint(latency_ms) as (runtime_url, served):
        environment = _function_environment(runtime_url, {})
        started = time.perf_counter()
        while True:
            result = _child("invoke", environment, json.dumps(event), str(timeout_s))
            invocations.append(result)
            status = result["files"][0]["status"]
            print(f"  invocation {len(invocations)}: {status}, {result['wall_s']:.0f} s", flush=True)
            if status != "incomplete":
                break
            if len(invocations) > 50:
                raise RuntimeError("the file did not finish in 50 invocations")
        wall = time.perf_counter() - started
    items = int(dynamodb.describe_table(TableName=TABLE)["Table"]["ItemCount"])
    return {
        "path": f"single path with resume ({timeout_s:g} s invocations)",
        "rows_per_s": rows / wall,
        "wall_s": wall,
        "invocations": len(invocations),
        "requests": served[0],
        "peak_rss_mb": max(i["peak_rss_mb"] for i in invocations),
        "items": items,
    }


def run_fan_out(
    event: dict[str, Any],
    rows: int,
    latency_ms: float,
    slices_at_once: int,
    stepfunctions: Any,
    dynamodb: Any,
) -> dict[str, Any]:
    from pipelines.sandbox.scoring_fan_out import RESULTS_PREFIX, create_state_machine

    _fresh_table(dynamodb)
    machine = create_state_machine(stepfunctions, BUCKET, name=f"bench-fan-out-{int(time.time())}")
    with fake_endpoint(latency_ms) as (runtime_url, served):
        environment = _function_environment(
            runtime_url,
            {
                "FAN_OUT_STATE_MACHINE_ARN": machine,
                "FAN_OUT_MIN_BYTES": "1",
                "FAN_OUT_MAX_CONCURRENCY": str(slices_at_once),
                "FAN_OUT_RESULTS_PREFIX": RESULTS_PREFIX,
            },
        )
        started = time.perf_counter()
        planned = _child("invoke", environment, json.dumps(event), "900")
        print(f"  planner: {planned['files'][0]['status']}, {planned['wall_s']:.0f} s", flush=True)
        executed = _child("execute", environment, machine, str(slices_at_once))
        wall = time.perf_counter() - started
        print(f"  execution: {executed['status']}, {executed['slices']} slices, {executed['wall_s']:.0f} s")
        one_slice = _child("slice", environment, machine, "400")
    items = int(dynamodb.describe_table(TableName=TABLE)["Table"]["ItemCount"])
    stored = executed["finished"].get("rows_stored", 0) + executed["finished"].get("rows_already_stored", 0)
    if executed["status"] != "SUCCEEDED" or stored != rows:
        raise RuntimeError(f"fan-out did not store every row: {executed}")
    return {
        "path": f"fan-out ({slices_at_once} slices at once)",
        "rows_per_s": rows / wall,
        "wall_s": wall,
        "invocations": 1 + executed["invocations"],
        "requests": served[0],
        "peak_rss_mb": one_slice["peak_rss_mb"],
        "planner_peak_rss_mb": planned["peak_rss_mb"],
        "planner_s": planned["wall_s"],
        "slices_process_peak_rss_mb": executed["peak_rss_mb"],
        "slice_rows_per_s": one_slice["rows_read"] / one_slice["wall_s"],
        "items": items,
    }


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--latency-ms", type=float, default=10.0)
    parser.add_argument("--timeout-s", type=float, default=300.0)
    parser.add_argument("--slices-at-once", type=int, default=4)
    parser.add_argument("--baseline-rows", type=int, default=5_000)
    parser.add_argument("--skip", action="append", default=[], choices=("single", "fan-out", "baseline"))
    parser.add_argument("--child", choices=("invoke", "execute", "slice"), help=argparse.SUPPRESS)
    parser.add_argument("child_args", nargs="*", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.child == "invoke":
        child_invoke(args.child_args[0], float(args.child_args[1]))
        return
    if args.child == "execute":
        child_execute(args.child_args[0], int(args.child_args[1]))
        return
    if args.child == "slice":
        child_slice(args.child_args[0], int(args.child_args[1]))
        return

    print(f"# {args.rows:,} rows end to end, endpoint latency {args.latency_ms:g} ms per request")
    print(
        f"python {sys.version.split()[0]}, {os.cpu_count()} CPUs; moto server and endpoint in their own "
        f"processes; load average at start {os.getloadavg()[0]:.1f}"
    )
    results: list[dict[str, Any]] = []
    with moto_server() as moto_url, tempfile.TemporaryDirectory() as scratch:
        import boto3

        environment = aws_environment(moto_url, runtime_url="")
        os.environ.update(environment)
        s3, dynamodb = boto3.client("s3", region_name=REGION), boto3.client("dynamodb", region_name=REGION)
        stepfunctions = boto3.client("stepfunctions", region_name=REGION)
        s3.create_bucket(Bucket=BUCKET)
        s3.put_bucket_versioning(Bucket=BUCKET, VersioningConfiguration={"Status": "Enabled"})
        path = Path(scratch) / "large.csv"
        write_transactions(path, args.rows)
        size = path.stat().st_size
        s3.upload_file(str(path), BUCKET, KEY)
        head = s3.head_object(Bucket=BUCKET, Key=KEY)
        from pipelines.sandbox.lambda_runner import put_event

        event = put_event(BUCKET, KEY, head, size, region=REGION)
        print(f"file: {size / 1e6:,.0f} MB")
        if "baseline" not in args.skip:
            print(f"\nrunning straightforward on {args.baseline_rows:,} rows ...", flush=True)
            baseline_path = Path(scratch) / "baseline.csv"
            write_transactions(baseline_path, args.baseline_rows, seed=8)
            s3.upload_file(str(baseline_path), BUCKET, "incoming/bench/baseline.csv")
            run = Run(
                "straightforward", "incoming/bench/baseline.csv", "bench-baseline", args.baseline_rows, 1, 1
            )
            base = run_in_child(run, environment, args.latency_ms)
            results.append(
                {
                    "path": f"straightforward ({args.baseline_rows:,} rows)",
                    "rows_per_s": base["rows_per_s"],
                    "wall_s": base["wall_s"] * args.rows / args.baseline_rows,
                    "invocations": None,
                    "requests": base["requests_served"],
                    "peak_rss_mb": base["peak_rss_mb"],
                    "extrapolated": True,
                }
            )
        if "single" not in args.skip:
            print(f"\nrunning the single path with resume ({args.timeout_s:g} s invocations) ...", flush=True)
            results.append(run_single(event, args.rows, args.latency_ms, args.timeout_s, dynamodb))
        if "fan-out" not in args.skip:
            print(f"\nrunning the fan-out ({args.slices_at_once} slices at once) ...", flush=True)
            results.append(
                run_fan_out(event, args.rows, args.latency_ms, args.slices_at_once, stepfunctions, dynamodb)
            )

    base_rate = next((r["rows_per_s"] for r in results if r["path"].startswith("straightforward")), None)
    load = os.getloadavg()[0]
    print(f"\n## {args.rows:,} rows, {args.latency_ms:g} ms a request (load average now {load:.1f})")
    columns = ("rows/s", "ratio", "time", "invocations", "requests", "peak RSS/invocation")
    widths = (8, 7, 9, 12, 9, 20)
    print(f"  {'path':48s} " + " ".join(f"{c:>{w}s}" for c, w in zip(columns, widths, strict=True)))
    for r in results:
        ratio = f"{r['rows_per_s'] / base_rate:6.1f}x" if base_rate else "   -"
        time_text = f"{r['wall_s'] / 60:6.1f} min" + ("*" if r.get("extrapolated") else " ")
        invocations = "-" if r["invocations"] is None else f"{r['invocations']:,}"
        print(
            f"  {r['path']:48s} {r['rows_per_s']:8.0f} {ratio:>7s} {time_text:>9s} {invocations:>12s} "
            f"{r['requests']:9,d} {r['peak_rss_mb']:17.0f} MB"
        )
        if "planner_peak_rss_mb" in r:
            print(
                f"    planner {r['planner_s']:.0f} s (peak RSS {r['planner_peak_rss_mb']:.0f} MB); slices' "
                f"process peak RSS {r['slices_process_peak_rss_mb']:.0f} MB; one slice alone "
                f"{r['slice_rows_per_s']:.0f} rows/s"
            )
            print(
                f"    on Lambda, slices run in their own containers: {args.rows:,} rows at "
                f"{args.slices_at_once} slices at once take about planner + rows / ({args.slices_at_once} x "
                f"{r['slice_rows_per_s']:.0f} rows/s) = "
                f"{(r['planner_s'] + args.rows / (args.slices_at_once * r['slice_rows_per_s'])) / 60:.1f} min"
            )
        elif "items" in r:
            print(f"    items in the table {r['items']:,}")
    print(
        "  (* the straightforward time is extrapolated from its rows/s; peak RSS of a slice: one 400-row "
        "slice alone)"
    )


if __name__ == "__main__":
    main()
