"""What every command-line entry point shares: logging setup and turning user errors into exit codes."""

from __future__ import annotations

import logging
import sys
from collections.abc import Callable, Sequence

from pipelines.errors import UserError

LOG_LEVELS = ("CRITICAL", "ERROR", "WARNING", "INFO", "DEBUG")
LOG_FORMAT = "%(levelname)s %(name)s: %(message)s"


def configure_logging(level: str) -> None:
    """Log to stderr at ``level``; quiet the AWS SDK's own INFO chatter."""
    logging.basicConfig(level=level.upper(), format=LOG_FORMAT, stream=sys.stderr, force=True)
    for noisy in ("botocore", "boto3", "urllib3", "s3transfer", "sagemaker"):
        logging.getLogger(noisy).setLevel(max(logging.WARNING, logging.getLogger().level))


def run(main: Callable[[Sequence[str] | None], int], argv: Sequence[str] | None = None) -> int:
    """Call ``main``; print each problem of a ``UserError`` on its own line and return its exit code.

    Only ``UserError`` is caught: any other exception is a bug and must keep its traceback.
    """
    try:
        return main(argv)
    except UserError as error:
        for line in error.problems:
            print(f"error: {line}", file=sys.stderr)
        return error.exit_code
