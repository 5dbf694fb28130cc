"""One window's computation, the same on every engine: a slice of its source's parts → a ``WindowPartial``.

A ``WindowJob`` says what a window read computes: the run's record source (``record_source``: endpoint or
transform capture, a dataset) and the window's parts (files, in window order), each monitor's ``Partials``
and, for monitors that need ground truth, the labels to join. ``slice_partial`` reads a slice of the parts
(with the slice's first ordinal, so records keep their window positions), joins the labels batch by batch
and feeds every monitor's partial; ``WindowPartial``s merge (the read report's counts and problems, the
labels used, each monitor's partial). Everything in a job and a partial pickles, so the local engine ships
them to worker processes.
"""

from __future__ import annotations

import pickle
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import polars as pl

from pipelines import aws
from pipelines.monitoring.capture_reader import CaptureReadReport
from pipelines.monitoring.ground_truth_merge import (
    GROUND_TRUTH_COLUMN,
    GroundTruthLabels,
    attach_ground_truth,
)
from pipelines.monitoring.partial_results import Partials, frame_from_bytes, frame_to_bytes
from pipelines.monitoring.record_source import RecordSource, SourceParts
from pipelines.storage import Storage


@dataclass(frozen=True)
class WindowJob:
    """What reading one window computes (picklable: it is sent to worker processes)."""

    source: RecordSource
    parts: SourceParts  # the window's parts (files), in window order
    partials: Mapping[str, Partials[Any]]  # by monitor type
    labels: bytes | None = None  # GroundTruthLabels.table() as Arrow IPC, for a window merged with labels
    s3_region: str | None = None  # set when the files are on S3: workers make their own client

    @property
    def files(self) -> tuple[Any, ...]:
        return self.parts.items

    def label_table(self) -> pl.DataFrame | None:
        return None if self.labels is None else frame_from_bytes(self.labels)

    def storage(self) -> Storage:
        """A storage for a worker process (the parent's S3 client does not cross process boundaries)."""
        if self.s3_region is None:
            return Storage()
        return Storage(aws.client("s3", aws.session(self.s3_region)))


def labels_bytes(table: pl.DataFrame) -> bytes:
    return frame_to_bytes(table)


@dataclass
class WindowPartial:
    """A slice's (or merged slices') read report, labels used and each monitor's partial result."""

    report: CaptureReadReport
    partials: dict[str, Any]
    matched: int = 0  # records with a label
    used_labels: pl.Series = field(default_factory=lambda: pl.Series("key", [], dtype=pl.String))
    labels: GroundTruthLabels | None = None  # the labels' counts, when the engine read them (Spark)
    used_label_count: int | None = None  # distinct labels used, when the engine joined them (Spark)
    events: pl.Series = field(
        default_factory=lambda: pl.Series("seen", [], dtype=pl.UInt64)
    )  # eventId hashes

    @property
    def labels_used(self) -> int:
        return self.used_labels.len() if self.used_label_count is None else self.used_label_count

    def merge(self, other: WindowPartial, job: WindowJob) -> WindowPartial:
        self.report.merge(other.report)
        for monitor, spec in job.partials.items():
            self.partials[monitor] = spec.merge(self.partials[monitor], other.partials[monitor])
        self.matched += other.matched
        self.used_labels = pl.concat([self.used_labels, other.used_labels]).unique()
        self.events = pl.concat([self.events, other.events])
        return self

    def to_bytes(self, job: WindowJob) -> bytes:
        partials = {m: spec.to_bytes(self.partials[m]) for m, spec in job.partials.items()}
        used = frame_to_bytes(self.used_labels.to_frame())
        events = frame_to_bytes(self.events.to_frame())
        plain = (self.report, partials, self.matched, used, events)
        return pickle.dumps(plain, protocol=pickle.HIGHEST_PROTOCOL)

    @classmethod
    def from_bytes(cls, data: bytes, job: WindowJob) -> WindowPartial:
        report, partials, matched, used, events = pickle.loads(data)  # our own worker processes
        return cls(
            report,
            {m: spec.from_bytes(partials[m]) for m, spec in job.partials.items()},
            matched,
            frame_from_bytes(used).to_series(),
            events=frame_from_bytes(events).to_series(),
        )


def empty_partial(job: WindowJob) -> WindowPartial:
    return WindowPartial(CaptureReadReport(), {m: spec.empty() for m, spec in job.partials.items()})


def slice_partial(
    storage: Storage,
    job: WindowJob,
    first: int,
    files: Sequence[Any],
    *,
    prefetch: bool = True,
    seen_events: pl.Series | None = None,
) -> WindowPartial:
    """The partial of the slice ``files`` (the job's parts from ordinal ``first``), labels joined here."""
    labels = job.label_table()

    def labelled(batch: pl.DataFrame) -> tuple[pl.DataFrame, pl.Series | None]:
        if labels is None:
            return batch, None
        return attach_ground_truth(batch, labels)

    return files_partial(storage, job, files, first, labelled, prefetch=prefetch, seen_events=seen_events)


def files_partial(
    storage: Storage,
    job: WindowJob,
    files: Sequence[Any],
    first: int,
    labelled: Callable[[pl.DataFrame], tuple[pl.DataFrame, pl.Series | None]],
    *,
    prefetch: bool = True,
    seen_events: pl.Series | None = None,
) -> WindowPartial:
    """The partial of the consecutive parts ``files`` (the first is the window's part ``first``);
    ``labelled`` attaches the labels to a batch and says which labels it used (None: no labels, or counted
    by the engine); ``seen_events``: the eventIds of earlier slices (``without_repeated_requests``)."""
    reader = job.source.reader(storage)
    problems = job.parts.problems if first == 0 else ()  # listing problems: reported with the first slice
    parts = SourceParts(tuple(files), problems, first=first, earlier_events=seen_events)
    result = empty_partial(job)
    used: list[pl.Series] = []
    for batch in reader.batches(parts):
        batch, keys = labelled(batch)
        if keys is not None:
            used.append(keys)
        if GROUND_TRUTH_COLUMN in batch.columns:
            result.matched += int(batch.get_column(GROUND_TRUTH_COLUMN).is_not_null().sum())
        for monitor, spec in job.partials.items():
            result.partials[monitor] = spec.add(result.partials[monitor], batch)
    result.report = reader.report
    result.events = reader.events
    if used:
        result.used_labels = pl.concat(used).unique().rename("key")
    return result


def without_repeated_requests(
    partials: Sequence[WindowPartial], reread: Callable[[int, pl.Series], WindowPartial]
) -> list[WindowPartial]:
    """The slices' partials, with a slice read again when it repeats a request (eventId) an earlier slice
    read: the capture reader leaves out a request delivered twice (docs/monitors/formats.md#data-capture),
    and slices read apart cannot see each other's. ``reread(index, earlier_events)`` reads slice ``index``
    again without them. Copies of a capture file are rare, so this is normally a check and nothing else."""
    kept: list[WindowPartial] = []
    seen = pl.Series("seen", [], dtype=pl.UInt64)
    for index, partial in enumerate(partials):
        if seen.len() and bool(partial.events.is_in(seen.implode()).any()):
            partial = reread(index, seen)
        seen = pl.concat([seen, partial.events])
        kept.append(partial)
    return kept


def merge_in_order(partials: Sequence[WindowPartial], job: WindowJob) -> WindowPartial:
    """The slices' partials merged in window order."""
    if not partials:
        return empty_partial(job)
    merged = partials[0]
    for partial in partials[1:]:
        merged = merged.merge(partial, job)
    return merged
