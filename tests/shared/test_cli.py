"""``pipelines.cli``: the logging every command sets up (tests/conftest.py puts it back after each test)."""

from __future__ import annotations

import logging

from pipelines.cli import configure_logging


def test_info_logging_leaves_out_the_emulators_request_lines() -> None:
    configure_logging("INFO")
    assert logging.getLogger().isEnabledFor(logging.INFO)
    # werkzeug serves moto's in-process server and logs every request at INFO.
    assert not logging.getLogger("werkzeug").isEnabledFor(logging.INFO)
    assert logging.getLogger("werkzeug").isEnabledFor(logging.WARNING)


def test_library_loggers_stay_at_warning_when_debugging() -> None:
    configure_logging("DEBUG")
    assert not logging.getLogger("botocore").isEnabledFor(logging.INFO)
    assert logging.getLogger("botocore").isEnabledFor(logging.WARNING)
