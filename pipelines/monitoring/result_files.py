"""The names of the files Model Monitor's and Clarify's jobs read and write, defined once.

Baselining jobs write ``statistics.json`` and ``constraints.json`` (Model Monitor) or
``analysis_config.json`` and ``analysis.json`` (Clarify); a monitoring execution writes ``statistics.json``
or ``analysis.json`` and ``constraint_violations.json`` to its folder, and ours add ``summary.json``
(``pipelines.monitoring.summary``):
https://docs.aws.amazon.com/sagemaker/latest/dg/model-monitor-interpreting-results.html
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from pipelines.storage import Storage, join_location

STATISTICS = "statistics.json"
CONSTRAINTS = "constraints.json"
VIOLATIONS = "constraint_violations.json"
ANALYSIS = "analysis.json"
ANALYSIS_CONFIG = "analysis_config.json"
SUMMARY = "summary.json"  # ours, next to Model Monitor's files (``pipelines.monitoring.summary``)
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
