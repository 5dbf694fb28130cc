"""Paths the tests share (importable from any test module: pytest puts ``tests/`` on sys.path)."""

from __future__ import annotations

from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parent.parent
# Real outputs of SageMaker's analyzer and of Clarify next to their inputs (Apache-2.0, see its README.md).
SAGEMAKER_REFERENCE = REPO_ROOT / "tests" / "fixtures" / "sagemaker_reference"
