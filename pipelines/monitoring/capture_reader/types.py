"""The reader's settings and report: what a caller passes in and reads back."""

from __future__ import annotations

from dataclasses import dataclass, field

from transaction_scoring.contract import CLASS_FIELD, PROBABILITY_FIELD


@dataclass(frozen=True, slots=True)
class ResponseFields:
    """Attribute names of a JSON prediction object (defaults: the endpoint contract)."""

    label: str = CLASS_FIELD
    probability: str = PROBABILITY_FIELD


# What a parsing step could not use, as (where, reason): ``where`` is ``file:line``, or ``file<NUL>row``
# from Arrow's fast path, which the reader turns into a line number when it files the problem in its report.
Problems = list[tuple[str, str]]


@dataclass(frozen=True, slots=True)
class ReadProblem:
    where: str  # file:line
    reason: str

    def __str__(self) -> str:
        return f"{self.where}: {self.reason}"


MAX_REPORTED_DUPLICATES = 20  # where the first repeated requests are; all of them are counted


@dataclass
class CaptureReadReport:
    """What was read, and what could not be."""

    files: int = 0
    captured_requests: int = 0  # readable capture lines
    records: int = 0
    unreadable: list[ReadProblem] = field(default_factory=list)  # lines or requests without records
    response_problems: list[ReadProblem] = field(default_factory=list)  # records kept without predictions
    duplicate_requests: int = 0  # lines whose eventId was already read: left out
    duplicates: list[ReadProblem] = field(default_factory=list)  # where the first of them are
    left_out_fields: list[ReadProblem] = field(default_factory=list)  # fields named like our own columns

    @property
    def unreadable_lines(self) -> int:
        return len(self.unreadable)

    def merge(self, other: CaptureReadReport) -> None:
        """Add the report of another slice of the same window (problems kept in slice order)."""
        self.files += other.files
        self.captured_requests += other.captured_requests
        self.records += other.records
        self.unreadable += other.unreadable
        self.response_problems += other.response_problems
        self.duplicate_requests += other.duplicate_requests
        self.duplicates = (self.duplicates + other.duplicates)[:MAX_REPORTED_DUPLICATES]
        self.left_out_fields += other.left_out_fields
