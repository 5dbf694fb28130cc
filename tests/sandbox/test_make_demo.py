"""``make demo`` passes the demo's flags through ``ARGS`` (``make demo ARGS=--serve``)."""

from __future__ import annotations

import shutil
import subprocess

import pytest
from paths import REPO_ROOT


def _make_demo_command(*make_args: str) -> str:
    make = shutil.which("make")
    if make is None:
        pytest.skip("make is not installed")
    dry_run = subprocess.run(
        [make, "--no-print-directory", "-n", "demo", *make_args],
        cwd=REPO_ROOT,
        capture_output=True,
        text=True,
        check=True,
    )
    return dry_run.stdout.strip().splitlines()[-1]


def test_make_demo_runs_the_demo_with_the_flags_given_in_args() -> None:
    command = _make_demo_command("ARGS=--serve --now 2026-03-02T15:00:00Z")
    assert command.endswith("-m pipelines.sandbox demo --serve --now 2026-03-02T15:00:00Z")


def test_make_demo_without_args_runs_the_demo_with_its_defaults() -> None:
    assert _make_demo_command().endswith("-m pipelines.sandbox demo")
