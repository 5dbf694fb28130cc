"""``CaptureReader``: capture files → record batches, one row per record, with a report of what was not read.

The steps, one module each: ``envelopes`` (capture lines → requests), ``records`` (request payloads →
records), ``predictions`` (response payloads → predictions matched to the records), ``prefetch`` (the next
batch parsed on a thread). This module groups files into batches, joins the pieces and keeps the report.

What a "file" is depends on the loader: an endpoint's capture file (``capture_file_envelopes``, the
default), or a batch transform's input file with its output file (``transform.transform_envelopes``);
either becomes the same envelopes (one row per request), so the rest of the reading is shared.
"""

from __future__ import annotations

import itertools
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from typing import Any

import polars as pl
from transaction_scoring.contract import TRANSACTION_ID

from pipelines.monitoring.capture_reader.columns import (
    EVENT_ID,
    FILE,
    INFERENCE_ID,
    INFERENCE_TIME,
    METADATA_COLUMNS,
    POSITION,
    POSITION_FILE_SHIFT,
    RECORD_ID,
    RECORD_INDEX,
    REQUEST,
    ROW_SEPARATOR,
    WHERE,
)
from pipelines.monitoring.capture_reader.envelopes import parse_envelopes
from pipelines.monitoring.capture_reader.predictions import response_predictions
from pipelines.monitoring.capture_reader.prefetch import prefetched
from pipelines.monitoring.capture_reader.records import request_records
from pipelines.monitoring.capture_reader.types import (
    MAX_REPORTED_DUPLICATES,
    CaptureReadReport,
    Problems,
    ReadProblem,
    ResponseFields,
)
from pipelines.storage import Storage

DEFAULT_BATCH_BYTES = 32 * 1024 * 1024
_EVENT_ID_HASH_SEED = 14
_CONTRACT_FIELDS = ResponseFields()  # frozen: one shared default


@dataclass(frozen=True, slots=True)
class LoadedEnvelopes:
    """What a loader made of one part: its requests (``envelopes.ENVELOPE_FRAME_SCHEMA``), the lines it
    could not use, the bytes read (parts are grouped into batches by size), and the requests whose
    response is missing or unusable (their records are kept, without predictions)."""

    frame: pl.DataFrame
    problems: Problems
    size: int
    response_problems: Problems = field(default_factory=list)


# Turns one part (a capture file's location, a transform file pair...) into envelopes.
EnvelopeLoader = Callable[[Storage, Any], LoadedEnvelopes]


def capture_file_envelopes(storage: Storage, path: str) -> LoadedEnvelopes:
    """An endpoint's data-capture file: one envelope per readable line."""
    data = storage.read_bytes(path)
    frame, problems = parse_envelopes(path, data)
    return LoadedEnvelopes(frame, problems, len(data))


class CaptureReader:
    """Streams capture files as record batches; ``report`` accumulates counts and problems."""

    def __init__(
        self,
        storage: Storage,
        *,
        response_fields: ResponseFields = _CONTRACT_FIELDS,
        record_id_field: str = TRANSACTION_ID,
        batch_bytes: int = DEFAULT_BATCH_BYTES,
        prefetch: bool = True,
        load: EnvelopeLoader = capture_file_envelopes,
        first_file: int = 0,
        seen_events: pl.Series | None = None,
    ) -> None:
        """``first_file``: the ordinal of the first file given in the window's whole file list (an engine
        reading a slice of the window's files passes where its slice starts), for ``POSITION``;
        ``seen_events``: the eventId hashes (``events``) of the window's earlier slices, whose requests are
        duplicates here."""
        self._storage = storage
        self._load = load
        self._fields = response_fields
        self._record_id_field = record_id_field
        self._batch_bytes = batch_bytes
        self._prefetch = prefetch
        self._first_file = first_file
        self._line_numbers: dict[str, list[int]] = {}
        self._seen_events = pl.Series("seen", [], dtype=pl.UInt64)
        self._earlier_events = seen_events
        self.report = CaptureReadReport()

    @property
    def events(self) -> pl.Series:
        """The hashes of the eventIds read (first deliveries), for an engine that reads slices apart."""
        return self._seen_events

    def skip_events(self, events: pl.Series) -> None:
        """Leave out requests whose eventId hash is in ``events`` (read by the window's earlier slices)."""
        self._earlier_events = events

    def read(self, files: Iterable[Any]) -> pl.DataFrame:
        """All records at once (for small windows and tests)."""
        frames = list(self.batches(files))
        return pl.concat(frames, how="diagonal_relaxed") if frames else pl.DataFrame()

    def batches(self, files: Iterable[Any], ordinals: Iterable[int] | None = None) -> Iterator[pl.DataFrame]:
        """Record batches; with ``prefetch`` the next batch is parsed on a thread while this one is used.

        ``ordinals``: each file's ordinal in the window (default: consecutive from ``first_file``)."""
        numbers = ordinals if ordinals is not None else itertools.count(self._first_file)
        if self._prefetch:
            yield from prefetched(self._produce(files, numbers), name="capture-reader")
        else:
            yield from self._produce(files, numbers)

    def _produce(self, files: Iterable[Any], ordinals: Iterable[int]) -> Iterator[pl.DataFrame]:
        group: list[pl.DataFrame] = []
        size = 0
        for ordinal, part in zip(ordinals, files, strict=False):
            loaded = self._load(self._storage, part)
            self.report.files += 1
            envelopes = loaded.frame
            self.report.unreadable += self._located(loaded.problems)
            self.report.response_problems += self._located(loaded.response_problems)
            self.report.captured_requests += envelopes.height
            if envelopes.height:
                group.append(envelopes.with_columns(pl.lit(ordinal, dtype=pl.Int64).alias(FILE)))
                size += loaded.size
            if size >= self._batch_bytes:
                yield from self._records_of(group)
                group, size = [], 0
        if group:
            yield from self._records_of(group)

    def _records_of(self, group: list[pl.DataFrame]) -> Iterator[pl.DataFrame]:
        requests = self._first_deliveries(pl.concat(group)).with_row_index(REQUEST)
        records, unreadable, left_out = request_records(requests)
        self.report.unreadable += self._located(unreadable)
        self.report.left_out_fields += self._located(left_out)
        if records is None:
            return
        counts = records.group_by(REQUEST).agg(pl.len().alias("records"))
        predictions, response_problems = response_predictions(requests.join(counts, on=REQUEST), self._fields)
        self.report.response_problems += self._located(response_problems)
        records = records.join(predictions, on=[REQUEST, RECORD_INDEX], how="left")
        metadata = requests.select(REQUEST, EVENT_ID, INFERENCE_ID, INFERENCE_TIME, FILE)
        records = records.join(metadata, on=REQUEST, how="left").sort(REQUEST, RECORD_INDEX)
        # Requests are in file order, so a file's records are contiguous: number them within their file.
        position = (pl.col(FILE) * (1 << POSITION_FILE_SHIFT)) + pl.int_range(pl.len()).over(FILE)
        records = records.with_columns(position.cast(pl.Int64).alias(POSITION))
        record_id = (
            pl.col(self._record_id_field).cast(pl.String)
            if self._record_id_field in records.columns
            else pl.lit(None, dtype=pl.String)
        )
        records = records.with_columns(record_id.alias(RECORD_ID))
        features = [c for c in records.columns if not c.startswith("__")]
        self.report.records += records.height
        yield records.select(*features, *METADATA_COLUMNS)

    def _first_deliveries(self, requests: pl.DataFrame) -> pl.DataFrame:
        """``requests`` without those whose eventId was already read in this window (reported, not counted).

        SageMaker generates an eventId per invocation, so a second line with the same eventId is the same
        invocation delivered twice (a copied or re-uploaded capture file), not traffic: counting it twice
        would weigh its records twice in every monitor (docs/monitors/formats.md#data-capture). The eventIds
        seen are kept as 64-bit hashes (8 bytes per request; a collision among 10 million requests has a
        chance of about 3 in a million).
        """
        keys = requests.get_column(EVENT_ID).hash(seed=_EVENT_ID_HASH_SEED)
        first = keys.is_first_distinct() & ~keys.is_in(self._seen_events.implode())
        if self._earlier_events is not None:
            first = first & ~keys.is_in(self._earlier_events.implode())
        if bool(first.all()):
            self._seen_events.append(keys)
            return requests
        repeated = requests.filter(~first)
        self.report.duplicate_requests += repeated.height
        room = max(0, MAX_REPORTED_DUPLICATES - len(self.report.duplicates))
        self.report.duplicates += self._located(
            [
                (where, f"eventId {event!r} was already read in this window: this copy is left out")
                for where, event in repeated.select(WHERE, EVENT_ID).head(room).iter_rows()
            ]
        )
        self._seen_events.append(keys.filter(first))
        return requests.filter(first)

    def _located(self, problems: Problems) -> list[ReadProblem]:
        return [self._problem(where, reason) for where, reason in problems]

    def _problem(self, where: str, reason: str) -> ReadProblem:
        """A problem at ``where``: ``file:line``, or ``file<NUL>row`` from the fast path (resolved here)."""
        path, separator, row = where.partition(ROW_SEPARATOR)
        if separator:
            numbers = self._line_numbers.get(path)
            if numbers is None:
                data = self._storage.read_bytes(path)
                numbers = [i for i, line in enumerate(data.split(b"\n"), start=1) if line.strip()]
                self._line_numbers = {path: numbers}  # problems come file by file: keep one
            where = f"{path}:{numbers[int(row)]}" if int(row) < len(numbers) else f"{path}:?"
        return ReadProblem(where, reason)
