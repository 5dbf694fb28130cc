"""``pipelines.cli``: the logging every command sets up (tests/conftest.py puts it back after each test), the
error lines and exit codes every command shares, and the region every client gets."""

from __future__ import annotations

import logging

import pytest

from pipelines import aws
from pipelines.cli import configure_logging, run
from pipelines.errors import UserError


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


def _raises(error: Exception):
    def main(argv):
        raise error

    return main


def test_an_unexpected_exception_is_one_error_line_and_exit_2(capsys) -> None:
    configure_logging("WARNING")
    code = run(_raises(KeyError("count")))
    err = capsys.readouterr().err
    assert code == 2
    assert err.count("\n") == 1
    assert err.startswith("error: unexpected KeyError: 'count'")
    assert "--log-level DEBUG" in err
    assert "Traceback" not in err


def test_the_traceback_of_an_unexpected_exception_is_shown_at_debug_level(capsys) -> None:
    configure_logging("DEBUG")
    code = run(_raises(ValueError("bad\nvalue")))
    err = capsys.readouterr().err
    assert code == 2
    assert "Traceback (most recent call last)" in err
    assert err.splitlines()[-1].startswith("error: unexpected ValueError: bad value")


def test_a_user_error_keeps_its_own_exit_code_and_lines(capsys) -> None:
    assert run(_raises(UserError(["one", "two"]))) == 2
    assert capsys.readouterr().err == "error: one\nerror: two\n"


def test_ctrl_c_is_not_turned_into_an_error_line() -> None:
    with pytest.raises(KeyboardInterrupt):
        run(_raises(KeyboardInterrupt()))  # type: ignore[arg-type]


def test_aws_region_alone_sets_the_region(monkeypatch) -> None:
    monkeypatch.delenv("AWS_DEFAULT_REGION", raising=False)
    monkeypatch.setenv("AWS_REGION", "eu-west-3")
    assert aws.session().region_name == "eu-west-3"


def test_aws_region_wins_over_aws_default_region_like_the_aws_cli_v2(monkeypatch) -> None:
    monkeypatch.setenv("AWS_DEFAULT_REGION", "us-east-1")
    monkeypatch.setenv("AWS_REGION", "eu-west-3")
    assert aws.session().region_name == "eu-west-3"
    assert aws.session("ap-south-1").region_name == "ap-south-1"
