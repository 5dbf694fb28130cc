"""What every record source is: the parts a window's records come from, and a reader of those parts.

A run reads its records from one source (``settings_resolution`` chooses it from the options):

- ``EndpointCapture``: an endpoint's data capture, the hour folders of the window;
- ``TransformCapture``: a batch transform job's data capture (manifests), the hour folders of the window;
- ``DatasetRecords``: a CSV or JSON Lines dataset (file, folder or S3 prefix), read whole, labels and
  predictions in its own columns.

Each yields record batches of the capture reader's shape (``capture_reader``: the features, then
``METADATA_COLUMNS``; a dataset adds ``GROUND_TRUTH_COLUMN`` from its label column), so the windows and
every monitor work on any source unchanged.

The split into ``parts`` (independent files or file pairs, in reading order) and a ``reader`` of any subset
of them is what lets an engine read a window in several processes: ``source`` and ``parts`` are small
frozen values (picklable), ``source.reader(storage)`` is made where the parts are read, and
``CaptureReadReport``s of the subsets add up.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from enum import StrEnum
from typing import Any, Protocol

import polars as pl

from pipelines.monitoring.capture_reader import CaptureReader, CaptureReadReport, ReadProblem
from pipelines.storage import Storage
from pipelines.timewindow import TimeWindow


class SourceKind(StrEnum):
    ENDPOINT_CAPTURE = "endpoint data capture"
    TRANSFORM_CAPTURE = "batch transform data capture"
    DATASET = "dataset"


@dataclass(frozen=True, slots=True)
class SourceParts:
    """The parts a window's records come from, in reading order, and what could not be listed (``file``,
    reason), e.g. a transform manifest that is not JSON."""

    items: tuple[Any, ...]
    problems: tuple[tuple[str, str], ...] = ()
    first: int = 0  # the window ordinal of the first item (records' ``__position``: ``capture_reader``)
    earlier_events: pl.Series | None = None  # eventId hashes read by the window's earlier slices

    def subset(self, items: Sequence[Any], first: int = 0) -> SourceParts:
        """Some of the parts (the first is the window's part ``first``), without the listing problems
        (report those once, with the first subset)."""
        return SourceParts(tuple(items), first=first)


class RecordReader(Protocol):
    """Reads parts of one source into record batches; ``report`` counts what was read and what was not."""

    report: CaptureReadReport

    def batches(self, parts: SourceParts) -> Iterator[pl.DataFrame]: ...

    @property
    def events(self) -> pl.Series:
        """The hashes of the eventIds read (first deliveries; empty for a source without eventIds)."""
        ...


class RecordSource(Protocol):
    """Where a run's records come from (see the module docstring)."""

    @property
    def kind(self) -> SourceKind: ...

    @property
    def location(self) -> str:
        """What the user named: the capture root, the dataset."""
        ...

    @property
    def labels_in_records(self) -> bool:
        """The batches carry their labels (``GROUND_TRUTH_COLUMN``): no ground truth is merged."""
        ...

    def parts(self, storage: Storage, window: TimeWindow) -> SourceParts:
        """The parts holding ``window``'s records (a dataset: all of it, whatever the window)."""
        ...

    def reader(self, storage: Storage) -> RecordReader: ...

    def no_records(self, window: TimeWindow, report: CaptureReadReport) -> str:
        """Why nothing was read, after Model Monitor's "Job inputs had no data: "."""
        ...


class CaptureRecords:
    """A ``RecordReader`` over a ``CaptureReader`` (endpoint or transform capture)."""

    def __init__(self, reader: CaptureReader) -> None:
        self._reader = reader
        self.report = reader.report

    def batches(self, parts: SourceParts) -> Iterator[pl.DataFrame]:
        self.report.unreadable += [ReadProblem(where, reason) for where, reason in parts.problems]
        if parts.earlier_events is not None:
            self._reader.skip_events(parts.earlier_events)
        yield from self._reader.batches(parts.items, range(parts.first, parts.first + len(parts.items)))

    @property
    def events(self) -> pl.Series:
        return self._reader.events
