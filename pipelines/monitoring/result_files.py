"""Writing the files of a Clarify monitoring execution; the file names (defined once, in
``pipelines.monitors.files``) re-exported for the monitors."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from pipelines.monitors.files import (
    ANALYSIS,
    ANALYSIS_CONFIG,
    CONSTRAINTS,
    DRIFT_CHECK_BASELINES_FILE,
    STATISTICS,
    SUMMARY,
    VIOLATIONS,
)
from pipelines.storage import Storage, join_location

__all__ = [
    "ANALYSIS",
    "ANALYSIS_CONFIG",
    "CLARIFY_VERSION",
    "CONSTRAINTS",
    "DRIFT_CHECK_BASELINES_FILE",
    "STATISTICS",
    "SUMMARY",
    "VIOLATIONS",
    "write_clarify_results",
]

# The "version" of Clarify's analysis.json and of its monitoring jobs' constraint_violations.json.
CLARIFY_VERSION = "1.0"


def write_clarify_results(
    storage: Storage, folder: str, analysis: Mapping[str, Any], violations: Sequence[Mapping[str, Any]]
) -> list[str]:
    """A Clarify monitoring execution's files (bias drift, feature attribution drift); returns where."""
    return [
        storage.write_json(join_location(folder, ANALYSIS), analysis),
        storage.write_json(
            join_location(folder, VIOLATIONS), {"version": CLARIFY_VERSION, "violations": list(violations)}
        ),
    ]
