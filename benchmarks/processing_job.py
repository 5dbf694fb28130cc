"""The Processing backend's job: container time per job, one job per schedule group next to one job per
monitor (Model Monitor's layout), and what the shipped schedules add up to per day.

Run: ``python -m benchmarks.processing_job`` (a few minutes on two cores). Not a test: it prints figures for
docs/benchmarks.md and docs/backends.md. Options: ``--rows`` (transactions of the sandbox's traffic, 2,000),
``--repeat`` (runs of each job, 2; the fastest counts), ``--price-per-hour`` (the instance's on-demand price,
to turn seconds into dollars), ``--wheelhouse DIR --python PYTHON`` (also time installing a real wheelhouse,
built by ``python -m pipelines.container.wheelhouse``, with the image's Python, as the bootstrap does).

Set-up: the sandbox demo's world (``pipelines.sandbox.demo.demo_steps``: trained models, baselines, prod's
stage export on moto's S3, an hour of ordinary and an hour of drifted traffic with labels). Each job is the
container's command (``python -m pipelines.processing.job``, a fresh process, as on the instance) over a
two-hour window holding the drifted hour (and, for the monitors with ground truth, the ordinary hour of the
day before: the window moved by prod's offsets), writing to a local folder as the container does; the time
is the process's wall-clock time (interpreter start, imports, reading S3, the monitors, CloudWatch metrics).

Compared, in the same run:
- *grouped* (the Processing backend): the monitors of one schedule expression in one job;
- *one job per monitor* (how Model Monitor schedules them; its model-quality and bias executions are two jobs
  each, a merge and an analysis, which this does not split).

Per day: the shipped stage configs' schedules give the jobs per day of each layout
(``pipelines.deploy.processing.schedule_groups``; Model Monitor: one execution per monitor per firing, two
jobs for the monitors with ground truth). Container seconds per day = jobs x measured seconds of that job.
What SageMaker adds before the container starts (instance start, image pull, input download) cannot be
measured without AWS: it is paid once per job, so the layouts' job counts are what it multiplies.
"""

from __future__ import annotations

import argparse
import json
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from pipelines.container.bootstrap import install_command
from pipelines.container.wheelhouse import REQUIREMENTS_FILE
from pipelines.deploy import processing
from pipelines.deploy.schedule_rules import Schedule, parse_schedule
from pipelines.monitors import MONITORS, MonitorType
from pipelines.timewindow import HOUR, format_utc, parse_utc

REPO_ROOT = Path(__file__).resolve().parents[1]
STAGES = ("staging", "prod")
DAY = timedelta(days=1)


@dataclass(frozen=True, slots=True)
class JobTiming:
    monitors: tuple[MonitorType, ...]
    seconds: float
    exit_message: str


def time_job(
    export: dict[str, str],
    monitors: Sequence[MonitorType],
    window_start: datetime,
    scheduled: datetime,
    repeat: int,
) -> JobTiming:
    """The fastest of ``repeat`` runs of the job's command for ``monitors`` over the window."""
    best, message = float("inf"), ""
    for _ in range(repeat):
        with tempfile.TemporaryDirectory(prefix="processing-job-") as folder:
            exit_file = Path(folder) / "message"
            command = [
                sys.executable, "-m", "pipelines.processing.job",
                "--stage-config", export[processing.EXPORT_PARAMETER],
                "--capture", export[processing.CAPTURE_PARAMETER],
                "--variant", export[processing.VARIANT_PARAMETER],
                "--model", export[processing.MODEL_PARAMETER],
                "--monitors", ",".join(monitors),
                "--scheduled-time", format_utc(scheduled),
                "--window-start", format_utc(window_start),
                "--output", str(Path(folder) / "output"),
                "--exit-message", str(exit_file),
                "--log-level", "WARNING",
            ]  # fmt: skip
            started = time.perf_counter()
            subprocess.run(command, check=True, stdout=subprocess.DEVNULL)
            best = min(best, time.perf_counter() - started)
            message = exit_file.read_text()
    return JobTiming(tuple(monitors), best, message)


def firings_per_day(schedule: Schedule) -> int:
    start = datetime(2026, 1, 5, tzinfo=UTC)  # any day: the schedules fire every day alike
    return len(schedule.firings(start, start + DAY))


def stage_schedules(stage: str) -> tuple[dict[MonitorType, Schedule], dict[MonitorType, int]]:
    """The enabled monitors' schedules and run-time limits of a shipped stage config."""
    parameters = json.loads((REPO_ROOT / f"{stage}-monitoring-schedule-config.json").read_text())[
        "Parameters"
    ]
    schedules, runtimes = {}, {}
    for monitor in processing.TEMPLATE_MONITORS:
        spec = MONITORS[monitor]
        if parameters.get(spec.enable_parameter) == "yes":
            schedules[monitor] = parse_schedule(parameters[spec.schedule_parameter], any_minute=True)
            runtimes[monitor] = int(parameters[spec.max_runtime_parameter])
    return schedules, runtimes


def per_day(
    stage: str, grouped: dict[tuple[MonitorType, ...], float], alone: dict[MonitorType, float]
) -> dict[str, Any]:
    """Jobs and container seconds per day of both layouts for a shipped stage config."""
    schedules, runtimes = stage_schedules(stage)
    processing_jobs, processing_s = 0, 0.0
    for group in processing.schedule_groups(schedules, runtimes):
        runs = firings_per_day(group.schedule)
        processing_jobs += runs
        processing_s += runs * grouped[group.monitors]
    model_monitor_jobs, model_monitor_s = 0, 0.0
    for monitor, schedule in schedules.items():
        runs = firings_per_day(schedule)
        model_monitor_jobs += runs * MONITORS[monitor].jobs_per_execution
        model_monitor_s += runs * alone[monitor]  # its merge + analysis jobs as our one job
    return {
        "stage": stage,
        "processing": {"jobs": processing_jobs, "container_s": processing_s},
        "model_monitor_layout": {"jobs": model_monitor_jobs, "container_s": model_monitor_s},
    }


def time_install(wheelhouse: Path, python: str) -> float:
    """``pip install --no-index`` of the wheelhouse's pins into an empty target, as the bootstrap does."""
    with tempfile.TemporaryDirectory(prefix="wheelhouse-install-") as target:
        requirements = ["-r", str(wheelhouse / REQUIREMENTS_FILE)]
        started = time.perf_counter()
        subprocess.run(install_command(wheelhouse, Path(target), requirements, python), check=True)
        seconds = time.perf_counter() - started
        size = sum(p.stat().st_size for p in Path(target).rglob("*") if p.is_file())
    print(f"wheelhouse install ({python}): {seconds:.1f} s, {size / 1e6:.0f} MB installed", flush=True)
    return seconds


def measure(rows: int, repeat: int) -> tuple[dict[tuple[MonitorType, ...], float], dict[MonitorType, float]]:
    """Build the sandbox's world, then time every group of both stages and every monitor alone."""
    from pipelines.sandbox.demo import DemoOptions, demo_steps
    from pipelines.sandbox.demo.session import quiet_emulator, running_sandbox
    from pipelines.sandbox.progress import Progress

    output = Path(tempfile.mkdtemp(prefix="processing-bench-"))
    try:
        options = DemoOptions(output=output, rows=rows)
        with quiet_emulator(), running_sandbox(Progress(stream=None)) as sandbox:
            summary = demo_steps(sandbox, options, Progress(stream=None))
            export_file = (
                Path(summary.outputs["build folder"]) / "prod-monitoring-schedule-config-export.json"
            )
            export = json.loads(export_file.read_text())["Parameters"]
            (drifted,) = [
                parse_utc(h["hour"], what="hour") for h in summary.monitoring["hours"] if h["drifted"]
            ]
            window_start, scheduled = drifted, drifted + 2 * HOUR
            groups = {
                group.monitors
                for stage in STAGES
                for group in processing.schedule_groups(*stage_schedules(stage))
            }
            grouped: dict[tuple[MonitorType, ...], float] = {}
            for monitors in sorted(groups, key=len, reverse=True):
                timing = time_job(export, monitors, window_start, scheduled, repeat)
                grouped[monitors] = timing.seconds
                print(
                    f"job {','.join(monitors):<45} {timing.seconds:6.1f} s  {timing.exit_message[:90]}",
                    flush=True,
                )
            alone = {}
            for monitor in processing.TEMPLATE_MONITORS:
                alone[monitor] = (
                    grouped.get((monitor,))
                    or time_job(export, (monitor,), window_start, scheduled, repeat).seconds
                )
                grouped.setdefault((monitor,), alone[monitor])
                print(f"job {monitor:<45} {alone[monitor]:6.1f} s  (alone)", flush=True)
    finally:
        shutil.rmtree(output, ignore_errors=True)
    return grouped, alone


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.processing_job", description=__doc__)
    parser.add_argument("--rows", type=int, default=2000)
    parser.add_argument("--repeat", type=int, default=2)
    parser.add_argument("--price-per-hour", type=float, default=0.115)
    parser.add_argument("--wheelhouse", type=Path)
    parser.add_argument("--python", default=sys.executable)
    args = parser.parse_args(argv)
    install_s = time_install(args.wheelhouse, args.python) if args.wheelhouse else 0.0
    grouped, alone = measure(args.rows, args.repeat)
    print()
    print(
        f"per day, at ${args.price_per_hour}/h; every job also pays SageMaker's start (instance, image pull, "
        "inputs), not measured here"
    )
    price = args.price_per_hour / 3600
    for stage in STAGES:
        figures = per_day(stage, grouped, alone)
        ours, theirs = figures["processing"], figures["model_monitor_layout"]
        install = ours["jobs"] * install_s
        total = ours["container_s"] + install
        print(
            f"  {stage:8} Processing: {ours['jobs']:3} jobs/day, "
            f"container {ours['container_s'] / 60:.1f} min "
            f"+ wheelhouse install {install / 60:.1f} min = {total / 60:.1f} min (${total * price:.3f}) "
            f"+ {ours['jobs']} job starts"
        )
        print(
            f"  {stage:8} one job per monitor (Model Monitor's layout, our code): "
            f"{theirs['jobs']:3} jobs/day, "
            f"container {theirs['container_s'] / 60:.1f} min + {theirs['jobs']} job starts"
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
