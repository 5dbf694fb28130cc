"""cfn-lint and checkov on the repository's CloudFormation templates, for the template tests of every area.

Each tool takes seconds to start, so each runs once over all the templates (session fixtures ``cfn_lint``
and ``checkov`` in ``conftest.py``; mark the tests that use them ``LINTERS`` so that xdist sends them to one
worker) and each test reads the findings about its own template.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from paths import REPO_ROOT

TEMPLATES = (
    REPO_ROOT / "model-monitor-template.yml",
    REPO_ROOT / "pipelines/processing/processing-backend.yml",
    REPO_ROOT / "lambda" / "template.yml",
)
# checkov pins an old boto3, so it lives in its own virtualenv (``make setup``).
CHECKOV = Path(os.environ.get("CHECKOV", str(REPO_ROOT / ".venv-checkov" / "bin" / "checkov")))
LINTERS = pytest.mark.xdist_group("template-linters")


def _relative(template: Path) -> str:
    return template.resolve().relative_to(REPO_ROOT).as_posix()


@dataclass(frozen=True)
class CfnLintRun:
    matches: list[dict[str, Any]]
    stderr: str

    def findings(self, template: Path) -> list[str]:
        """What cfn-lint reported about ``template``, one line each (rule, place, message)."""
        return [
            f"{m['Rule']['Id']} {m['Filename']}:{m['Location']['Start']['LineNumber']}: {m['Message']}"
            for m in self.matches
            if Path(m["Filename"]).as_posix() == _relative(template)
        ]


def run_cfn_lint(templates: Sequence[Path] = TEMPLATES) -> CfnLintRun:
    result = subprocess.run(
        [str(Path(sys.executable).parent / "cfn-lint"), "--format", "json", *map(_relative, templates)],
        cwd=REPO_ROOT,
        capture_output=True,
        text=True,
        check=False,
    )
    return CfnLintRun(json.loads(result.stdout or "[]"), result.stderr)


@dataclass(frozen=True)
class CheckovReport:
    results: dict[str, list[dict[str, Any]]]

    def checks(self, outcome: str, template: Path) -> list[dict[str, Any]]:
        """The ``passed``, ``failed`` or ``skipped`` checks of ``template``."""
        # checkov names each file by its path below the folder it ran in, with a leading slash.
        path = f"/{_relative(template)}"
        return [check for check in self.results[f"{outcome}_checks"] if check["file_path"] == path]


def run_checkov(templates: Sequence[Path] = TEMPLATES) -> CheckovReport:
    if not CHECKOV.exists():
        pytest.fail(f"checkov not found at {CHECKOV}: run `make setup` or set CHECKOV")
    files = [argument for template in templates for argument in ("-f", _relative(template))]
    result = subprocess.run(
        [str(CHECKOV), "--skip-download", "--framework", "cloudformation", *files, "-o", "json"],
        cwd=REPO_ROOT,
        capture_output=True,
        text=True,
        check=False,
        # No network here: skip the guideline download and PyPI's update check (each waits on DNS otherwise).
        env={**os.environ, "BC_SKIP_MAPPING": "TRUE", "CKV_SKIP_PACKAGE_UPDATE_CHECK": "true"},
    )
    if not result.stdout.strip():
        pytest.fail(f"checkov printed no report (exit {result.returncode}): {result.stderr[-2000:]}")
    return CheckovReport(json.loads(result.stdout)["results"])
