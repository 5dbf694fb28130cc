"""The run engines on one window of captured records: one process, all local cores, Spark ``local[2]``.

Run: ``python -m benchmarks.engines`` (``make bench``; the Spark run needs ``make setup-spark`` and Java 17).
Not a test: it prints figures for docs/benchmarks.md.

What it does:
1. generates a data-quality baseline (100,000 transactions) and one hour of data capture of ``--records``
   records (default 10,000,000; JSON, half of the requests with one record, half with 2-10; files of 20,000
   records, as ``benchmarks.monitor_throughput`` writes them);
2. in a fresh process per engine, runs the data-quality monitor end to end through ``run_execution`` (capture
   files → records → partials → merged profile → checks → statistics.json + constraint_violations.json):
   seconds, records/s, records/s per core used, the parent's peak RSS and the largest child's (a worker
   process, or Spark's JVM), and whether the three runs wrote the same files (counts exactly, floats within
   rounding, distances within the KLL sketch's error);
3. measures the merge: data-quality partials of ``P`` slices of a ``F``-feature table, serialized and merged
   (the work the parent or the Spark driver does per slice), for P in 2..128 and F in 10, 50;
4. projects a 24-hour window of a 1,000 and a 10,000 requests/s endpoint (one record per request) on 1, 4
   and 16 instances of 4 vCPUs from the measured per-core rate and merge cost, and Spark's measured fixed
   cost (session, scheduling) for the Spark engine.
"""

from __future__ import annotations

import argparse
import json
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from benchmarks.monitor_throughput import ENDPOINT, HOUR, peak_rss_mb, transactions, write_capture

CHUNK = 1_000_000  # records generated at a time (memory)
VCPUS_PER_INSTANCE = 4  # e.g. ml.m5.xlarge
INSTANCES = (1, 4, 16)
RATES = (1_000, 10_000)  # requests/s
DAY_S = 24 * 3600


# --- data -------------------------------------------------------------------------------------------------
def prepare(workdir: Path, records: int) -> None:
    import polars as pl

    from pipelines.monitoring.data_quality import DatasetProfile, baseline_files
    from pipelines.storage import Storage

    baseline = transactions(100_000, drift=False, seed=1)
    (workdir / "baseline" / "data-quality").mkdir(parents=True, exist_ok=True)
    files = baseline_files(DatasetProfile.of([baseline.select(pl.all().cast(pl.String))]))
    Storage().write_json(str(workdir / "baseline" / "data-quality" / "statistics.json"), files.statistics)
    Storage().write_json(str(workdir / "baseline" / "data-quality" / "constraints.json"), files.constraints)
    for index, start in enumerate(range(0, records, CHUNK)):
        size = min(CHUNK, records - start)
        write_capture(transactions(size, drift=True, seed=100 + index), workdir / "capture", seed=100 + index)


# --- one engine, in a fresh process -------------------------------------------------------------------------
def measure(workdir: Path, engine: str) -> dict[str, Any]:
    from pipelines.monitoring.engines import EngineKind, EngineSpec
    from pipelines.monitoring.engines.local import default_processes
    from pipelines.monitoring.execution import run_execution
    from pipelines.monitoring.run_settings import RunOptions
    from pipelines.monitoring.settings_resolution import resolve_run_settings
    from pipelines.monitors import MonitorType
    from pipelines.storage import Storage
    from pipelines.timewindow import TimeWindow

    spec, cores = {
        "local-1": (EngineSpec(processes=1), 1),
        "local-all": (EngineSpec(), default_processes()),
        "spark-local[2]": (EngineSpec(EngineKind.SPARK, spark_master="local[2]"), 2),
    }[engine]
    fixed = 0.0
    if spec.kind is EngineKind.SPARK:
        from pipelines.monitoring.engines.spark import spark_session

        started = time.perf_counter()
        spark_session(spec.spark_master).range(1).count()  # the JVM and a first job: Spark's fixed cost
        fixed = time.perf_counter() - started
    options = RunOptions(
        capture=str(workdir / "capture"),
        window=TimeWindow(HOUR, HOUR.replace(hour=HOUR.hour + 1)),
        endpoint=ENDPOINT,
        output=str(workdir / f"out-{engine}"),
        monitors=(MonitorType.DATA_QUALITY,),
        baseline=str(workdir / "baseline"),
        engine=spec,
    )
    settings = resolve_run_settings(options, None, Storage()).settings
    started, cpu = time.perf_counter(), _cpu_seconds()
    result = run_execution(Storage(), settings)
    seconds = time.perf_counter() - started
    [outcome] = result.outcomes
    return {
        "engine": engine,
        "cores": cores,
        "records": outcome.summary.inputs["records"],
        "seconds": seconds,
        "cpu_seconds": _cpu_seconds() - cpu,
        "spark_fixed_seconds": fixed,
        "peak_rss_mb": peak_rss_mb(),
        "largest_child_rss_mb": resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024.0,
        "folder": outcome.folder,
    }


def _cpu_seconds() -> float:
    own, children = resource.getrusage(resource.RUSAGE_SELF), resource.getrusage(resource.RUSAGE_CHILDREN)
    return own.ru_utime + own.ru_stime + children.ru_utime + children.ru_stime


def _in_fresh_process(*args: str) -> dict[str, Any]:
    completed = subprocess.run(
        [sys.executable, "-m", "benchmarks.engines", *args], check=True, capture_output=True, text=True
    )
    return json.loads(completed.stdout.strip().splitlines()[-1])


# --- the merge ----------------------------------------------------------------------------------------------
def merge_costs(rows: int = 200_000) -> list[dict[str, Any]]:
    """Seconds to serialize and merge the data-quality partials of P slices of an F-feature table."""
    import numpy as np
    import polars as pl

    from pipelines.monitoring.data_quality.hooks import ProfilePartials
    from pipelines.monitoring.partial_results import with_positions

    rng = np.random.default_rng(0)
    spec = ProfilePartials()
    costs = []
    for features in (10, 50):
        table = with_positions(pl.DataFrame({f"f{i}": rng.lognormal(3, 1, rows) for i in range(features)}))
        for slices in (2, 8, 32, 128):
            pieces = [
                spec.to_bytes(spec.add(spec.empty(), piece)) for piece in table.iter_slices(rows // slices)
            ]
            started = time.perf_counter()
            merged = spec.empty()
            for data in pieces:
                merged = spec.merge(merged, spec.from_bytes(data))
            seconds = time.perf_counter() - started
            costs.append(
                {
                    "features": features,
                    "slices": len(pieces),
                    "seconds": seconds,
                    "per_slice_ms": 1000 * seconds / len(pieces),
                    "partial_kb": sum(len(p) for p in pieces) / len(pieces) / 1024,
                }
            )
    return costs


# --- comparing the engines' files ---------------------------------------------------------------------------
def same_files(folders: list[str]) -> tuple[bool, list[str]]:
    """Counts exactly, moments within rounding, bucket counts within the KLL error (k=2048: 0.33 % of the
    records, a generous 1 %), the same violations."""
    documents = [
        (
            json.loads(Path(f, "statistics.json").read_text()),
            json.loads(Path(f, "constraint_violations.json").read_text()),
        )
        for f in folders
    ]
    problems = []
    first_stats, first_violations = documents[0]
    for stats, violations in documents[1:]:
        if stats["dataset"] != first_stats["dataset"]:
            problems.append(f"item_count {stats['dataset']} != {first_stats['dataset']}")
        for a, b in zip(first_stats["features"], stats["features"], strict=True):
            for key in ("numerical_statistics", "string_statistics"):
                if key in a:
                    if a[key]["common"]["num_present"] != b[key]["common"]["num_present"]:
                        problems.append(f"{a['name']}: num_present differs")
                    for moment in ("sum", "mean", "std_dev", "min", "max"):
                        if moment in a[key] and abs(a[key][moment] - b[key][moment]) > 1e-9 * max(
                            1.0, abs(a[key][moment])
                        ):
                            problems.append(f"{a['name']}: {moment} {a[key][moment]} != {b[key][moment]}")
        checks = sorted(
            (v["feature_name"], v["constraint_check_type"]) for v in first_violations["violations"]
        )
        if (
            sorted((v["feature_name"], v["constraint_check_type"]) for v in violations["violations"])
            != checks
        ):
            problems.append("violations differ")
    return not problems, problems


# --- the driver ---------------------------------------------------------------------------------------------
def project(per_core: float, merge_ms: float, spark_fixed: float) -> list[str]:
    lines = []
    for rate in RATES:
        records = rate * DAY_S
        for instances in INSTANCES:
            cores = instances * VCPUS_PER_INSTANCE
            partitions = max(1, records // 2_000_000)  # ~128 MiB of capture per partition
            seconds = records / (per_core * cores) + partitions * merge_ms / 1000 + spark_fixed
            size = f"{instances:>2} x {VCPUS_PER_INSTANCE} vCPU"
            lines.append(
                f"  {rate:>6,} req/s  {records / 1e6:>6,.0f}M records  {size}: {seconds / 60:7.1f} min"
            )
    return lines


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--records", type=int, default=10_000_000, help="captured records in the window")
    parser.add_argument("--workdir", type=Path, help="keep generated data here (default: a temporary folder)")
    parser.add_argument("--engines", default="local-1,local-all,spark-local[2]", help="comma-separated")
    parser.add_argument("--measure", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.measure:
        print(json.dumps(measure(args.workdir, args.measure)))
        return 0
    workdir = args.workdir or Path(tempfile.mkdtemp(prefix="engines-bench-"))
    try:
        if not (workdir / "capture").exists():
            started = time.perf_counter()
            prepare(workdir, args.records)
            print(f"generated {args.records:,} records in {time.perf_counter() - started:.0f} s ({workdir})")
        runs = [
            _in_fresh_process("--measure", engine, "--workdir", str(workdir))
            for engine in args.engines.split(",")
        ]
        header = (
            f"{'engine':<15} {'records':>11} {'seconds':>8} {'records/s':>10} {'per core':>9} {'CPU s':>7}"
        )
        print(header + "  peak RSS MB (parent / largest child)")
        for run in runs:
            rate = run["records"] / run["seconds"]
            print(
                f"{run['engine']:<15} {run['records']:>11,} {run['seconds']:>8.1f} {rate:>10,.0f} "
                f"{rate / run['cores']:>9,.0f} {run['cpu_seconds']:>7.1f} "
                f"{run['peak_rss_mb']:>17.0f} / {run['largest_child_rss_mb']:.0f}"
                + (
                    f"   (Spark fixed cost {run['spark_fixed_seconds']:.1f} s, not counted)"
                    if run["spark_fixed_seconds"]
                    else ""
                )
            )
        same, problems = same_files([run["folder"] for run in runs])
        print(f"same files across engines: {same} {problems[:5] if problems else ''}")
        costs = merge_costs()
        print("merge of data-quality partials (serialized, merged in order):")
        for cost in costs:
            what = f"{cost['features']:>3} features, {cost['slices']:>4} slices"
            print(
                f"  {what}: {cost['seconds'] * 1000:8.1f} ms "
                f"({cost['per_slice_ms']:.2f} ms per slice, {cost['partial_kb']:.0f} KiB per partial)"
            )
        # Records per CPU second of the local engine's runs: what a busy core does (one process already uses
        # more than one core, its prefetch thread decoding ahead). Spark's CPU is in the JVM's workers, not
        # counted here, so a Spark run's wall-clock rate per core is the fallback.
        local = [run for run in runs if run["cpu_seconds"] > 1.0]
        per_core = (
            max(run["records"] / run["cpu_seconds"] for run in local)
            if local
            else max(run["records"] / run["seconds"] / run["cores"] for run in runs)
        )
        merge_ms = max(c["per_slice_ms"] for c in costs if c["features"] == 10)
        spark = next((run for run in runs if run["spark_fixed_seconds"]), None)
        print(
            f"projected 24-hour windows (one record per request, {per_core:,.0f} records per CPU second, "
            f"{merge_ms:.1f} ms merge per ~128 MiB partition{', plus Spark fixed cost' if spark else ''}):"
        )
        for line in project(per_core, merge_ms, spark["spark_fixed_seconds"] if spark else 0.0):
            print(line)
    finally:
        if args.workdir is None:
            shutil.rmtree(workdir, ignore_errors=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
