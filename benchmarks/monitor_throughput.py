"""Data-quality monitor throughput on 1,000,000 captured records, next to Evidently on the same data.

Run: ``python -m benchmarks.monitor_throughput`` (``make bench`` installs Evidently from
requirements-bench.txt first). Not a test: it prints figures for docs/benchmarks.md.

What it does:
1. generates a baseline (100,000 transactions) and two capture folders in SageMaker's data-capture format
   (JSON, half of the requests with one record, half with 2-10 records) of 100,000 and 1,000,000 records,
   with drift injected in three features (``Transaction Amount`` x1.6, ``Account Age Days`` mostly young
   accounts, ``Payment Method`` shares) and none in the others;
2. in a fresh process per measurement, runs our data-quality path end to end (capture files → records →
   profile → checks → statistics.json + constraint_violations.json): records/s and peak RSS — at 100k and
   1M records, to show memory bounded by features, not records;
3. in a fresh process, runs Evidently's ``DataDriftPreset`` on the same 1M records (read by our capture
   reader into pandas, since Evidently cannot read data capture) against the same baseline: its time and
   peak RSS, the ratio, and whether both flag the same features.
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

import numpy as np
import polars as pl

from pipelines.capture import capture_file_key
from pipelines.timewindow import TimeWindow, parse_utc

HOUR = parse_utc("2026-11-29T10:00:00Z")
WINDOW = TimeWindow(HOUR, parse_utc("2026-11-29T11:00:00Z"))
ENDPOINT = "fraud-bench"
DRIFTED = ("Transaction Amount", "Account Age Days", "Payment Method")
# Identifier and timestamp text: profiled by us (and never flagged), left out of Evidently's drift analysis,
# which would treat every unique value as a category.
NOT_COMPARED = ("Transaction ID", "Transaction Date")
NUMERICAL = ("Transaction Amount", "Quantity", "Customer Age", "Account Age Days", "Transaction Hour")
CATEGORICAL = ("Payment Method", "Product Category", "Customer Location", "Device Used")
PAYMENT_METHODS = ["credit card", "debit card", "PayPal", "bank transfer"]
CATEGORIES = ["electronics", "clothing", "home & garden", "health & beauty", "toys & games"]
DEVICES = ["desktop", "mobile", "tablet"]
LOCATIONS = [f"City {i:03d}" for i in range(300)]
RECORDS_PER_FILE = 20_000


# --- data -------------------------------------------------------------------------------------------------
def transactions(n: int, *, drift: bool, seed: int) -> pl.DataFrame:
    rng = np.random.default_rng(seed)
    amount = rng.lognormal(4.5, 0.8, n) * (1.6 if drift else 1.0)
    account_age = rng.exponential(60 if drift else 180, n).clip(1, 365).astype(np.int64)
    payment_p = [0.2, 0.2, 0.2, 0.4] if drift else [0.4, 0.3, 0.2, 0.1]
    seconds = rng.integers(0, 180 * 86400, n)
    return pl.DataFrame(
        {
            "Transaction ID": [f"{'c' if drift else 'b'}{seed}-{i}" for i in range(n)],
            "Transaction Amount": np.round(amount, 2),
            "Transaction Date": (pl.Series(seconds) * 1_000_000)
            .cast(pl.Datetime("us"))
            .dt.offset_by("54y")
            .dt.strftime("%Y-%m-%d %H:%M:%S"),
            "Payment Method": rng.choice(PAYMENT_METHODS, n, p=payment_p),
            "Product Category": rng.choice(CATEGORIES, n),
            "Quantity": rng.integers(1, 6, n),
            "Customer Age": rng.normal(35, 10, n).clip(18, 80).astype(np.int64),
            "Customer Location": rng.choice(LOCATIONS, n),
            "Device Used": rng.choice(DEVICES, n, p=[0.3, 0.6, 0.1]),
            "Account Age Days": account_age,
            "Transaction Hour": rng.integers(0, 24, n),
        }
    )


def write_capture(records: pl.DataFrame, folder: Path, seed: int) -> None:
    """SageMaker data-capture files (JSON encoding) for these records, in one hour folder."""
    rng = np.random.default_rng(seed)
    n = records.height
    sizes = np.where(rng.random(n) < 0.5, 1, rng.integers(2, 11, n))
    request = np.repeat(np.arange(n), sizes)[:n]
    probability = np.round(rng.random(n) * 100, 2)
    frame = records.with_columns(
        pl.struct(pl.all()).struct.json_encode().alias("record"),
        pl.Series("request", request),
        pl.Series(
            "prediction", [f'{{"class":{int(p >= 50)},"probability":{p}}}' for p in probability.tolist()]
        ),
    )
    requests = frame.group_by("request", maintain_order=True).agg(
        pl.col("record").str.join(","), pl.col("prediction").str.join(","), pl.len().alias("n")
    )
    single = pl.col("n") == 1
    lines = requests.select(
        pl.struct(
            pl.struct(
                pl.struct(
                    pl.lit("application/json").alias("observedContentType"),
                    pl.lit("INPUT").alias("mode"),
                    pl.when(single)
                    .then(pl.col("record"))
                    .otherwise(pl.concat_str(pl.lit("["), "record", pl.lit("]")))
                    .alias("data"),
                    pl.lit("JSON").alias("encoding"),
                ).alias("endpointInput"),
                pl.struct(
                    pl.lit("application/json").alias("observedContentType"),
                    pl.lit("OUTPUT").alias("mode"),
                    pl.concat_str(pl.lit("["), "prediction", pl.lit("]")).alias("data"),
                    pl.lit("JSON").alias("encoding"),
                ).alias("endpointOutput"),
            ).alias("captureData"),
            pl.struct(
                # eventIds unique across calls (seeds): the reader leaves out a repeated eventId
                pl.concat_str(pl.lit(f"evt-{seed}-"), pl.col("request").cast(pl.String)).alias("eventId"),
                pl.concat_str(pl.lit(f"inf-{seed}-"), pl.col("request").cast(pl.String)).alias("inferenceId"),
                pl.lit("2026-11-29T10:15:00Z").alias("inferenceTime"),
            ).alias("eventMetadata"),
            pl.lit("0").alias("eventVersion"),
        )
        .struct.json_encode()
        .alias("line")
    ).get_column("line")
    per_file = max(1, RECORDS_PER_FILE * len(lines) // n)
    for i, start in enumerate(range(0, len(lines), per_file)):
        key = capture_file_key(ENDPOINT, "AllTraffic", HOUR.replace(minute=i % 60), file_id=f"{seed}-{i:05d}")
        path = folder / key
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text("\n".join(lines[start : start + per_file].to_list()) + "\n")


# --- measured runs (each in a fresh process) --------------------------------------------------------------
def measure_ours(capture: Path, baseline: Path, out: Path) -> dict[str, Any]:
    from pipelines.monitoring.capture_reader import CaptureReader, capture_files
    from pipelines.monitoring.data_quality import DatasetProfile, check_data_quality
    from pipelines.storage import Storage

    storage = Storage()
    statistics = json.loads((baseline / "statistics.json").read_text())
    constraints = json.loads((baseline / "constraints.json").read_text())
    start = time.perf_counter()
    reader = CaptureReader(storage)
    profile = DatasetProfile()
    for batch in reader.batches(capture_files(storage, str(capture), ENDPOINT, WINDOW)):
        profile.update(batch)
    read_and_profile = time.perf_counter() - start
    result = check_data_quality(profile, statistics, constraints)
    storage.write_json(str(out / "statistics.json"), result.statistics)
    storage.write_json(str(out / "constraint_violations.json"), result.violations_document)
    seconds = time.perf_counter() - start
    flagged = sorted(
        {v.feature_name for v in result.violations if v.constraint_check_type == "baseline_drift_check"}
    )
    return {
        "records": reader.report.records,
        "seconds": seconds,
        "read_and_profile_seconds": read_and_profile,
        "peak_rss_mb": peak_rss_mb(),
        "flagged": flagged,
        "distances": {k: round(m.distance, 4) for k, m in result.drift.items()},
    }


def measure_evidently(capture: Path, baseline_csv: Path) -> dict[str, Any]:
    import pandas.core.dtypes.common as pandas_common

    # Evidently 0.7.23 imports a helper pandas 3 removed; it is only used by a legacy test we do not run.
    if not hasattr(pandas_common, "infer_dtype_from_object"):
        pandas_common.infer_dtype_from_object = lambda dtype: np.dtype(dtype).type
    from evidently import DataDefinition, Dataset, Report
    from evidently.presets import DataDriftPreset

    from pipelines.monitoring.capture_reader import CaptureReader, capture_files
    from pipelines.storage import Storage

    storage = Storage()
    columns = list(NUMERICAL + CATEGORICAL)
    start = time.perf_counter()
    reader = CaptureReader(storage)
    current = reader.read(capture_files(storage, str(capture), ENDPOINT, WINDOW)).select(columns).to_pandas()
    reference = pl.read_csv(baseline_csv).select(columns).to_pandas()
    read_seconds = time.perf_counter() - start
    definition = DataDefinition(numerical_columns=list(NUMERICAL), categorical_columns=list(CATEGORICAL))
    snapshot = Report([DataDriftPreset()]).run(
        Dataset.from_pandas(current, data_definition=definition),
        Dataset.from_pandas(reference, data_definition=definition),
    )
    seconds = time.perf_counter() - start
    flagged, scores = [], {}
    for metric in snapshot.dict()["metrics"]:
        config = metric.get("config", {})
        column, threshold = config.get("column"), config.get("threshold")
        if column is None or threshold is None:
            continue
        scores[column] = round(float(metric["value"]), 4)
        if float(metric["value"]) >= float(threshold):
            flagged.append(column)
    return {
        "records": len(current),
        "seconds": seconds,
        "read_seconds": read_seconds,
        "peak_rss_mb": peak_rss_mb(),
        "flagged": sorted(flagged),
        "scores": scores,
    }


def peak_rss_mb() -> float:
    """This process's peak resident memory. ``VmHWM`` is per address space, so unlike ``ru_maxrss`` (which
    Linux carries over from the parent across fork/exec) it does not include the generator's peak."""
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024.0
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0


def _in_fresh_process(*args: str) -> dict[str, Any]:
    completed = subprocess.run(
        [sys.executable, "-m", "benchmarks.monitor_throughput", *args],
        check=True,
        capture_output=True,
        text=True,
    )
    return json.loads(completed.stdout.strip().splitlines()[-1])


# --- driver -----------------------------------------------------------------------------------------------
def prepare(workdir: Path, sizes: list[int]) -> None:
    from pipelines.monitoring.data_quality import DatasetProfile, baseline_files
    from pipelines.storage import Storage

    baseline = transactions(100_000, drift=False, seed=1)
    (workdir / "baseline").mkdir(parents=True, exist_ok=True)
    baseline.write_csv(workdir / "baseline" / "train.csv")
    text_columns = baseline.select(pl.all().cast(pl.String))  # the baseline is read from CSV text
    files = baseline_files(DatasetProfile.of([text_columns]))
    Storage().write_json(str(workdir / "baseline" / "statistics.json"), files.statistics)
    Storage().write_json(str(workdir / "baseline" / "constraints.json"), files.constraints)
    for size in sizes:
        write_capture(transactions(size, drift=True, seed=size), workdir / f"capture-{size}", seed=size)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--records", type=int, default=1_000_000, help="records in the large run")
    parser.add_argument("--small", type=int, default=100_000, help="records in the small run (memory check)")
    parser.add_argument("--workdir", type=Path, help="keep generated data here (default: a temporary folder)")
    parser.add_argument("--measure", choices=("ours", "evidently"), help=argparse.SUPPRESS)
    parser.add_argument("--size", type=int, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.measure:
        capture = args.workdir / f"capture-{args.size}"
        if args.measure == "ours":
            out = args.workdir / f"out-{args.size}"
            result = measure_ours(capture, args.workdir / "baseline", out)
        else:
            result = measure_evidently(capture, args.workdir / "baseline" / "train.csv")
        print(json.dumps(result))
        return 0

    workdir = args.workdir or Path(tempfile.mkdtemp(prefix="monitor-bench-"))
    try:
        started = time.perf_counter()
        prepare(workdir, [args.small, args.records])
        print(f"generated baseline + captures in {time.perf_counter() - started:.1f} s ({workdir})")
        small = _in_fresh_process("--measure", "ours", "--size", str(args.small), "--workdir", str(workdir))
        large = _in_fresh_process("--measure", "ours", "--size", str(args.records), "--workdir", str(workdir))
        evidently = _in_fresh_process(
            "--measure", "evidently", "--size", str(args.records), "--workdir", str(workdir)
        )
        report(small, large, evidently)
    finally:
        if args.workdir is None:
            shutil.rmtree(workdir, ignore_errors=True)
    return 0


def report(small: dict[str, Any], large: dict[str, Any], evidently: dict[str, Any]) -> None:
    def line(name: str, run: dict[str, Any]) -> str:
        rate = run["records"] / run["seconds"]
        return (
            f"{name:<9} {run['records']:>9,} records: {run['seconds']:6.2f} s {rate:>10,.0f} records/s"
            f"  peak RSS {run['peak_rss_mb']:5.0f} MB"
        )

    print(line("ours", small))
    print(line("ours", large) + f"  (read+profile {large['read_and_profile_seconds']:.2f} s)")
    print(line("evidently", evidently) + f"  (reading capture {evidently['read_seconds']:.2f} s of it)")
    drift_only = (evidently["seconds"] - evidently["read_seconds"]) / large["seconds"]
    print(
        f"ratio: Evidently takes {evidently['seconds'] / large['seconds']:.1f}x our time "
        f"({drift_only:.1f}x counting its drift step only), "
        f"peak memory {evidently['peak_rss_mb'] / large['peak_rss_mb']:.1f}x"
    )
    compared = [c for c in large["flagged"] if c not in NOT_COMPARED]
    print(f"drift flagged by ours:      {compared}   (injected: {sorted(DRIFTED)})")
    print(f"drift flagged by Evidently: {evidently['flagged']}")
    print(f"same features flagged: {sorted(compared) == sorted(evidently['flagged'])}")
    print(f"our distances: {large['distances']}")
    print(f"Evidently scores: {evidently['scores']}")


if __name__ == "__main__":
    raise SystemExit(main())
