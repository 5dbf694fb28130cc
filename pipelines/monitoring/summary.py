"""``summary.json``: one machine-readable record per monitor execution, next to Model Monitor's own files.

Model Monitor writes each execution to ``{output}/{endpoint}/{schedule}/yyyy/mm/dd/hh/`` (the hour is the
execution's scheduled hour: https://docs.aws.amazon.com/sagemaker/latest/dg/model-monitor-interpreting-results.html);
``run`` writes there too, with schedule names ``{endpoint}-{MonitoringType}`` as the deployment template names
them, and adds this file (format: docs/monitors/formats.md)::

    {"version": "1.0", "tool": "pipelines.monitoring 0.1.0", "monitor": "DataQuality", "endpoint": "...",
     "window": {"start": "...Z", "end": "...Z"}, "generated_at": "...Z",
     "status": "Completed" | "CompletedWithViolations" | "Failed" | "Skipped", "reason": "...",
     "inputs": {"captured_requests": 0, "records": 0, "unreadable_lines": 0, ...},
     "input_problems": ["file:line: reason", ...],
     "baseline": {"statistics": "...", "constraints": "...", "config": "..."},
     "violations": [...], "files": ["statistics.json", "constraint_violations.json"]}

``inputs`` holds numbers only (the report plots them); the first unreadable lines and other input problems
are kept, as text, in ``input_problems``.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum
from typing import Any

from pipelines.__version__ import __version__
from pipelines.monitors import MonitorType
from pipelines.monitors.files import SUMMARY
from pipelines.storage import Storage, join_location
from pipelines.timewindow import TimeWindow, format_utc, hour_partition

SUMMARY_VERSION = "1.0"
TOOL = f"pipelines.monitoring {__version__}"
# Enough to find the cause; a broken producer can make thousands of bad lines.
MAX_INPUT_PROBLEMS = 20


class ExecutionStatus(StrEnum):
    """Model Monitor's execution statuses, plus ``Skipped`` (our ``run`` when there is no input)."""

    COMPLETED = "Completed"
    COMPLETED_WITH_VIOLATIONS = "CompletedWithViolations"
    FAILED = "Failed"
    SKIPPED = "Skipped"
    # Model Monitor statuses our summary never writes, but a user may copy from describe-monitoring-schedule.
    IN_PROGRESS = "InProgress"
    PENDING = "Pending"
    STOPPED = "Stopped"


# Statuses ``run`` writes (Model Monitor's execution statuses, plus Skipped for a monitor without inputs).
COMPLETED = ExecutionStatus.COMPLETED
COMPLETED_WITH_VIOLATIONS = ExecutionStatus.COMPLETED_WITH_VIOLATIONS
FAILED = ExecutionStatus.FAILED
SKIPPED = ExecutionStatus.SKIPPED


def schedule_name(endpoint: str, monitor: MonitorType) -> str:
    """``{endpoint}-{MonitoringType}``: the deployment template's ``{MonitoringScheduleName}-{Type}``."""
    return f"{endpoint}-{monitor.value}"


def execution_folder(output_root: str, endpoint: str, monitor: MonitorType, scheduled: datetime) -> str:
    """Where Model Monitor writes one execution: ``{output}/{endpoint}/{schedule}/yyyy/mm/dd/hh``."""
    return join_location(output_root, endpoint, schedule_name(endpoint, monitor), hour_partition(scheduled))


@dataclass(frozen=True, slots=True)
class ExecutionSummary:
    """What one monitor execution did; ``to_json`` is the ``summary.json`` document."""

    monitor: MonitorType
    endpoint: str
    window: TimeWindow
    generated_at: datetime
    status: ExecutionStatus
    reason: str | None = None
    inputs: Mapping[str, int] = field(default_factory=dict)
    input_problems: Sequence[str] = ()
    baseline: Mapping[str, str] = field(default_factory=dict)
    violations: Sequence[Mapping[str, Any]] = ()
    files: Sequence[str] = ()

    @property
    def has_violations(self) -> bool:
        return self.status is COMPLETED_WITH_VIOLATIONS

    def to_json(self) -> dict[str, Any]:
        document: dict[str, Any] = {
            "version": SUMMARY_VERSION,
            "tool": TOOL,
            "monitor": self.monitor.value,
            "endpoint": self.endpoint,
            "window": {"start": format_utc(self.window.start), "end": format_utc(self.window.end)},
            "generated_at": format_utc(self.generated_at),
            "status": self.status.value,
        }
        if self.reason:
            document["reason"] = self.reason
        document["inputs"] = dict(self.inputs)
        if self.input_problems:
            document["input_problems"] = list(self.input_problems[:MAX_INPUT_PROBLEMS])
        document["baseline"] = dict(self.baseline)
        document["violations"] = [dict(v) for v in self.violations]
        document["files"] = list(self.files)
        return document

    def write(self, storage: Storage, folder: str) -> str:
        """Write ``summary.json`` into the execution folder; returns its location."""
        return storage.write_json(join_location(folder, SUMMARY), self.to_json())
