"""``python -m pipelines.processing``: run the Processing backend's monitors now, or backfill past windows.

    python -m pipelines.processing run-now --stack STACK --end 2026-07-29T14:00:00Z [--start ...]
        [--monitors data-quality,model-quality] [--wait]
    python -m pipelines.processing backfill --stack STACK --from 2026-07-01T00:00:00Z
        --to 2026-07-08T00:00:00Z [--monitors ...] [--no-wait] [--max-executions 500]

Both start the stack's state machine (``executions``): the job, results, metrics and alerts are the
scheduled ones'. ``--monitors`` takes the names of ``python -m pipelines.monitoring`` or MonitoringType names
(default: every monitor the stack runs). Exit status: 0 when every execution waited for succeeded (or was
only started), 1 when one failed, 2 for a request that cannot be started.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence
from datetime import datetime
from typing import TYPE_CHECKING

from pipelines import aws
from pipelines.cli import LOG_LEVELS, configure_logging, run
from pipelines.deploy.processing import TEMPLATE_MONITORS
from pipelines.monitors import MONITORS, MonitorType
from pipelines.processing.executions import (
    DEFAULT_MAX_EXECUTIONS,
    ExecutionRequestError,
    ExecutionStart,
    backfill_starts,
    check_monitors,
    describe_stage,
    enabled_monitors,
    run_now_start,
    start,
    wait,
)
from pipelines.timewindow import format_utc, parse_utc

if TYPE_CHECKING:
    from mypy_boto3_stepfunctions import SFNClient

PROG = "python -m pipelines.processing"
# The monitors the template deploys, by the names of python -m pipelines.monitoring.
_NAMES = tuple(MONITORS[m].cli_name for m in TEMPLATE_MONITORS)


def monitors_of(text: str | None, enabled: tuple[MonitorType, ...]) -> tuple[MonitorType, ...]:
    if text is None:
        return enabled
    names = [n.strip() for n in text.split(",") if n.strip()]
    found = [MONITORS.named(n) for n in names]
    wanted = {d.type for d in found if d is not None and d.type in TEMPLATE_MONITORS}
    if not names or len(wanted) < len(set(found)):
        raise ExecutionRequestError(f"--monitors {text!r}: expected some of {', '.join(_NAMES)}")
    return tuple(m for m in TEMPLATE_MONITORS if m in wanted)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog=PROG, description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--log-level", type=str.upper, choices=LOG_LEVELS, default="WARNING")
    commands = parser.add_subparsers(dest="command", required=True)
    for name, help_text in (
        ("run-now", "One execution for a window ending at --end."),
        ("backfill", "The executions the schedules would have started from --from to --to."),
    ):
        command = commands.add_parser(name, help=help_text)
        command.add_argument("--stack", required=True, help="The stage's monitoring stack.")
        command.add_argument("--monitors", help=f"Comma-separated, of {', '.join(_NAMES)}.")
        command.add_argument("--region", help="AWS region (default: the session's).")
        if name == "run-now":
            command.add_argument("--end", required=True, help="Window end = the scheduled time, ISO-8601.")
            command.add_argument(
                "--start", help="Window start (default: as the monitors' schedule starts it)."
            )
            command.add_argument("--wait", action="store_true", help="Wait for the execution to end.")
        else:
            command.add_argument(
                "--from", dest="since", required=True, help="Range start (excluded), ISO-8601."
            )
            command.add_argument("--to", dest="until", required=True, help="Range end (included), ISO-8601.")
            command.add_argument(
                "--no-wait",
                action="store_true",
                help="Start every execution at once (default: one at a time).",
            )
            command.add_argument("--max-executions", type=int, default=DEFAULT_MAX_EXECUTIONS)
    return parser


def _time(text: str | None, flag: str) -> datetime | None:
    return None if text is None else parse_utc(text, what=flag)


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    configure_logging(args.log_level)
    session = aws.session(args.region)
    stepfunctions = aws.client("stepfunctions", session)
    stage = describe_stage(aws.client("cloudformation", session), args.stack)
    monitors = monitors_of(args.monitors, enabled_monitors(stage.parameters))
    check_monitors(stage.parameters, monitors, args.stack)
    if args.command == "run-now":
        end = parse_utc(args.end, what="--end")
        starts = [run_now_start(stage.parameters, monitors, end, _time(args.start, "--start"))]
        waiting = args.wait
    else:
        since, until = parse_utc(args.since, what="--from"), parse_utc(args.until, what="--to")
        starts = backfill_starts(stage.parameters, monitors, since, until, max_executions=args.max_executions)
        waiting = not args.no_wait
    failed = 0
    for request in starts:
        failed += _start_one(stepfunctions, stage.state_machine_arn, request, waiting)
    return 1 if failed else 0


def _start_one(
    stepfunctions: SFNClient, state_machine_arn: str, request: ExecutionStart, waiting: bool
) -> int:
    line = f"{format_utc(request.scheduled_time)}  {','.join(request.monitors):<45} {request.name}"
    execution_arn = start(stepfunctions, state_machine_arn, request)
    if execution_arn is None:
        print(f"{line}  already ran (same name): skipped", flush=True)
        return 0
    if not waiting:
        print(f"{line}  started {execution_arn}", flush=True)
        return 0
    status = wait(stepfunctions, execution_arn)["status"]
    print(f"{line}  {status}", flush=True)
    return 0 if status == "SUCCEEDED" else 1


def entry_point() -> None:
    sys.exit(run(main))


if __name__ == "__main__":
    entry_point()
