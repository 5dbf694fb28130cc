"""What every command-line entry point shares: logging setup and turning user errors into exit codes."""

from __future__ import annotations

import logging
import sys
from collections.abc import Callable, Sequence

from pipelines.errors import UserError
from pipelines.setting_names import SettingNamer, shown_problems

LOG_LEVELS = ("CRITICAL", "ERROR", "WARNING", "INFO", "DEBUG")
LOG_FORMAT = "%(levelname)s %(name)s: %(message)s"


# Libraries that log every request at INFO: the AWS SDK, and werkzeug, which serves moto's in-process
# server (the sandbox's emulator) and logs one line per request it answers.
NOISY_LOGGERS = ("botocore", "boto3", "urllib3", "s3transfer", "sagemaker", "werkzeug")


def configure_logging(level: str) -> None:
    """Log to stderr at ``level``; quiet the INFO chatter of ``NOISY_LOGGERS``."""
    logging.basicConfig(level=level.upper(), format=LOG_FORMAT, stream=sys.stderr, force=True)
    for noisy in NOISY_LOGGERS:
        logging.getLogger(noisy).setLevel(max(logging.WARNING, logging.getLogger().level))


def run(
    main: Callable[[Sequence[str] | None], int],
    argv: Sequence[str] | None = None,
    *,
    name_setting: SettingNamer = str,
) -> int:
    """Call ``main``; print each problem of a ``UserError`` on its own line and return its exit code.

    Settings the problems name are shown by ``name_setting`` (a command's flags; ``pipelines.setting_names``).
    Only ``UserError`` is caught: any other exception is a bug and must keep its traceback.
    """
    try:
        return main(argv)
    except UserError as error:
        for line in shown_problems(error, name_setting):
            print(f"error: {line}", file=sys.stderr)
        return error.exit_code
