"""Test isolation: no test can reach a real AWS account.

Every test runs with fake credentials, no profile and no config file (``isolated_environment``); tests
that need AWS use moto, either in-process (``mock_aws``) or the sandbox's moto server on 127.0.0.1
(``aws_emulator``), which sets ``AWS_ENDPOINT_URL`` so that every client goes there.
"""

from __future__ import annotations

import logging
import os
from collections.abc import Iterator
from pathlib import Path

import pytest
from paths import REPO_ROOT, SAGEMAKER_REFERENCE
from template_linters import CfnLintRun, CheckovReport, run_cfn_lint, run_checkov

from pipelines.cli import NOISY_LOGGERS
from pipelines.sandbox.aws_emulator import AwsEmulator, isolated_environment, patched_environ

# The environment variable that moves the demo's clock (``--demo-now`` wins over it).
FAKE_NOW = "FAKE_NOW"


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.addoption(
        "--demo-now",
        default=os.environ.get(FAKE_NOW),
        help="UTC time the sandbox demo runs at in tests, ISO-8601 (default: $FAKE_NOW, else a fixed "
        "Wednesday afternoon). .ci/run runs the sandbox tests a second time with another date.",
    )


@pytest.fixture(autouse=True, scope="session")
def _no_real_aws() -> Iterator[None]:
    with patched_environ(isolated_environment()):
        yield


@pytest.fixture(autouse=True)
def _restore_logging() -> Iterator[None]:
    """A command's ``main`` calls ``configure_logging``, which points the root logger at this test's captured
    stderr and sets library loggers' levels: put them all back afterwards."""
    root = logging.getLogger()
    handlers, level = root.handlers[:], root.level
    libraries = {name: logging.getLogger(name).level for name in NOISY_LOGGERS}
    yield
    root.handlers[:] = handlers
    root.setLevel(level)
    for name, library_level in libraries.items():
        logging.getLogger(name).setLevel(library_level)


@pytest.fixture(scope="session")
def aws_emulator_server() -> Iterator[AwsEmulator]:
    """One moto server for the whole session (reset between tests by ``aws_emulator``)."""
    with AwsEmulator.start() as emulator:
        yield emulator


@pytest.fixture
def aws_emulator(aws_emulator_server: AwsEmulator) -> Iterator[AwsEmulator]:
    """A clean emulated AWS account, with this process's clients pointed at it."""
    aws_emulator_server.reset()
    with aws_emulator_server.activated():
        yield aws_emulator_server


@pytest.fixture
def repo_root() -> Path:
    return REPO_ROOT


@pytest.fixture(scope="session")
def sagemaker_reference() -> Path:
    """SageMaker's real analyzer/Clarify outputs and their inputs (vendored under tests/fixtures)."""
    return SAGEMAKER_REFERENCE


@pytest.fixture(scope="session")
def cfn_lint() -> CfnLintRun:
    """cfn-lint over every template, once (mark the tests ``template_linters.LINTERS``)."""
    return run_cfn_lint()


@pytest.fixture(scope="session")
def checkov() -> CheckovReport:
    """checkov over every template, once (mark the tests ``template_linters.LINTERS``)."""
    return run_checkov()
