"""What every command-line entry point shares: logging setup and turning user errors into exit codes."""

from __future__ import annotations

import logging
import sys
import traceback
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
    Any other exception is a bug or an outage: it too becomes one ``error:`` line and exit 2 (exit 1 keeps
    meaning "violations" for the commands that find them), naming its type; its traceback is printed only
    when the log level is DEBUG (``--log-level DEBUG``), so the line asks for it. Ctrl-C (a
    ``KeyboardInterrupt``, not an ``Exception``) and ``SystemExit`` pass through.
    """
    try:
        return main(argv)
    except UserError as error:
        for line in shown_problems(error, name_setting):
            print(f"error: {line}", file=sys.stderr)
        return error.exit_code
    except Exception as error:  # noqa: BLE001 - the command's last line of defence: report, never hide
        return report_unexpected(error)


UNEXPECTED_EXIT_CODE = 2
MAX_MESSAGE_CHARS = 400


def report_unexpected(error: Exception) -> int:
    """One ``error:`` line for an exception no code expected (with the traceback at DEBUG level)."""
    message = " ".join(str(error).split()) or "(no message)"
    if len(message) > MAX_MESSAGE_CHARS:
        message = message[: MAX_MESSAGE_CHARS - 3] + "..."
    kind = type(error)
    name = kind.__qualname__ if kind.__module__ == "builtins" else f"{kind.__module__}.{kind.__qualname__}"
    debugging = logging.getLogger().isEnabledFor(logging.DEBUG)
    if debugging:
        traceback.print_exception(error, file=sys.stderr)
    hint = "the traceback is above" if debugging else "run again with --log-level DEBUG for the traceback"
    print(
        f"error: unexpected {name}: {message} (a bug or an outage; {hint})",
        file=sys.stderr,
    )
    return UNEXPECTED_EXIT_CODE
