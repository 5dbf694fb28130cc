"""``python -m pipelines.sandbox demo``: the flags, turned into ``DemoOptions``, and the run."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence
from pathlib import Path

from pipelines.cli import LOG_LEVELS, configure_logging, run
from pipelines.sandbox import big_file
from pipelines.sandbox.demo.options import PROD_ENGINES, DemoOptions
from pipelines.sandbox.demo.steps import run_demo
from pipelines.timewindow import parse_utc


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
    demo.add_argument(
        "--prod-engine",
        choices=PROD_ENGINES,
        default=defaults.prod_engine,
        help="prod's MonitoringEngine: spark runs its scheduled Processing job with Spark local[2], as "
        "SageMaker's Spark image would on its instances (needs make setup-spark; default: %(default)s)",
    )
    demo.add_argument("--log-level", default="WARNING", choices=LOG_LEVELS, type=str.upper)
    big = commands.add_parser(
        "big-file",
        help="score a million-row file through the scoring function's fan-out (minutes; not part of demo)",
        description=big_file.__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    big_file.add_arguments(big)
    return result


def main(argv: Sequence[str] | None = None) -> int:
    args = parser().parse_args(argv)
    configure_logging(args.log_level)
    if args.command == "big-file":
        return int(args.run(args))
    options = DemoOptions(
        output=args.output,
        seed=args.seed,
        rows=args.rows,
        training_rows=args.training_rows,
        bad_rows=args.bad_rows,
        drift=args.drift,
        serve=args.serve,
        now=args.now,
        prod_engine=args.prod_engine,
    )
    run_demo(options)
    return 0


def entry_point() -> None:
    sys.exit(run(main))
