"""What an invocation did: counts per file and in total, as returned to Lambda and logged.

Every row read ends in exactly one of: rejected, already stored (by an earlier delivery), stored, failed.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any

# Distinct failure reasons / rejected lines kept per file for the log: enough to diagnose, bounded in size.
_MAX_REASONS = 10
_MAX_LINES = 20


class FileStatus(StrEnum):
    SCORED = "scored"  # every row read is rejected, stored or already stored
    PARTLY_FAILED = "partly_failed"  # some rows failed after retries: Lambda will retry the event
    REJECTED = "rejected"  # not readable as a transaction CSV (header, compression, line length): not scored
    INCOMPLETE = "incomplete"  # stopped before the Lambda timeout: Lambda's retry continues the file
    BUSY = "busy"  # another invocation is scoring this object (or its lease could not be taken): retried
    MISSING = "missing"  # the object (that version of it) no longer exists
    UNREADABLE = "unreadable"  # S3 denied the read (403): fix the role or the key policy; retried
    SKIPPED = (
        "skipped"  # not ours (outside the input prefix, one of our outputs), or replaced since the event
    )
    ALREADY_SCORED = "already_scored"  # an earlier delivery finished this object: nothing to do
    FANNED_OUT = "fanned_out"  # too large for one invocation: scored in slices by a Step Functions execution


# Statuses after which the invocation must fail, so that Lambda retries it (and finally sends the event to
# the on-failure destination).
RETRY_STATUSES = frozenset(
    {FileStatus.PARTLY_FAILED, FileStatus.INCOMPLETE, FileStatus.BUSY, FileStatus.UNREADABLE}
)


@dataclass
class FileReport:
    """Counts and outcome for one S3 object."""

    source_object: str
    status: FileStatus = FileStatus.SCORED
    rows_read: int = 0
    rows_scored: int = 0
    rows_stored: int = 0
    rows_already_stored: int = 0
    rows_rejected: int = 0
    rows_failed: int = 0
    endpoint_requests: int = 0
    retries: int = 0
    rejected_rows_object: str | None = None
    failed_rows_object: str | None = None
    message: str | None = None
    stopped_after_line: int | None = None
    resumed_from_line: int | None = None  # a retry that continued where an earlier attempt stopped
    execution: str | None = None  # the Step Functions execution scoring the file in slices
    # Problems that did not keep rows from being stored (e.g. the lease could not be released): logged only.
    warnings: list[str] = field(default_factory=list)
    # For logs, which must not carry row values: the columns at fault and line numbers, not the reasons.
    rejected_columns: Counter[str] = field(default_factory=Counter)
    rejected_lines: list[int] = field(default_factory=list)
    failure_reasons: Counter[str] = field(default_factory=Counter)

    def clear_counts(self) -> None:
        for count in COUNTS:
            setattr(self, count, 0)
        self.status = FileStatus.SCORED
        self.rejected_columns.clear()
        self.rejected_lines.clear()
        self.failure_reasons.clear()

    def note_rejected(self, line: int, columns: tuple[str, ...]) -> None:
        self.rows_rejected += 1
        self.rejected_columns.update(columns)
        if len(self.rejected_lines) < _MAX_LINES:
            self.rejected_lines.append(line)

    def note_failed(self, reason: str) -> None:
        self.rows_failed += 1
        if reason in self.failure_reasons or len(self.failure_reasons) < _MAX_REASONS:
            self.failure_reasons[reason] += 1

    def to_json(self) -> dict[str, Any]:
        return {
            "object": self.source_object,
            "status": self.status.value,
            "rows_read": self.rows_read,
            "rows_scored": self.rows_scored,
            "rows_stored": self.rows_stored,
            "rows_already_stored": self.rows_already_stored,
            "rows_rejected": self.rows_rejected,
            "rows_failed": self.rows_failed,
            "endpoint_requests": self.endpoint_requests,
            "retries": self.retries,
            "rejected_rows_object": self.rejected_rows_object,
            "failed_rows_object": self.failed_rows_object,
            "detail": self.message,
            "stopped_after_line": self.stopped_after_line,
            "resumed_from_line": self.resumed_from_line,
            "execution": self.execution,
            "warnings": self.warnings,
        }

    def log_details(self) -> dict[str, Any]:
        """Extra fields for the file's log line: IDs, columns and line numbers only, never row values."""
        return {
            "rejected_columns": dict(self.rejected_columns),
            "first_rejected_lines": self.rejected_lines,
            "failure_reasons": dict(self.failure_reasons),
        }


COUNTS = (
    "rows_read",
    "rows_scored",
    "rows_stored",
    "rows_already_stored",
    "rows_rejected",
    "rows_failed",
    "endpoint_requests",
    "retries",
)


@dataclass
class InvocationReport:
    """All files of one event."""

    files: list[FileReport] = field(default_factory=list)

    @property
    def needs_retry(self) -> bool:
        return any(f.status in RETRY_STATUSES for f in self.files)

    def total(self, count: str) -> int:
        return sum(int(getattr(f, count)) for f in self.files)

    def to_response(self) -> dict[str, Any]:
        """The function's return value: 200 when nothing failed, else 500 (and the invocation raises)."""
        return {
            "statusCode": 500 if self.needs_retry else 200,
            **{count: self.total(count) for count in COUNTS},
            "files": [f.to_json() for f in self.files],
        }

    def failure_summary(self) -> str:
        """One line per file that needs a retry, for the error Lambda records (and the on-failure record)."""
        lines = []
        for f in self.files:
            if f.status not in RETRY_STATUSES:
                continue
            if f.rows_failed:
                reasons = "; ".join(f"{reason} ({n} rows)" for reason, n in f.failure_reasons.items())
                lines.append(
                    f"{f.source_object}: {f.rows_failed} of {f.rows_read} rows failed, written to "
                    f"{f.failed_rows_object}: {reasons}"
                )
            if f.message and (f.status is not FileStatus.PARTLY_FAILED or not f.rows_failed):
                lines.append(f.message)
        return "\n".join(lines)
