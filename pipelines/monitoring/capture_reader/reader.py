"""``CaptureReader``: capture files → record batches, one row per record, with a report of what was not read.

The steps, one module each: ``envelopes`` (capture lines → requests), ``records`` (request payloads →
records), ``predictions`` (response payloads → predictions matched to the records), ``prefetch`` (the next
batch parsed on a thread). This module groups files into batches, joins the pieces and keeps the report.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator

import polars as pl
from transaction_scoring.contract import TRANSACTION_ID

from pipelines.monitoring.capture_reader.columns import (
    EVENT_ID,
    INFERENCE_ID,
    INFERENCE_TIME,
    METADATA_COLUMNS,
    RECORD_ID,
    RECORD_INDEX,
    REQUEST,
    ROW_SEPARATOR,
)
from pipelines.monitoring.capture_reader.envelopes import parse_envelopes
from pipelines.monitoring.capture_reader.predictions import response_predictions
from pipelines.monitoring.capture_reader.prefetch import prefetched
from pipelines.monitoring.capture_reader.records import request_records
from pipelines.monitoring.capture_reader.types import (
    CaptureReadReport,
    Problems,
    ReadProblem,
    ResponseFields,
)
from pipelines.storage import Storage

DEFAULT_BATCH_BYTES = 32 * 1024 * 1024
_CONTRACT_FIELDS = ResponseFields()  # frozen: one shared default


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
    ) -> None:
        self._storage = storage
        self._fields = response_fields
        self._record_id_field = record_id_field
        self._batch_bytes = batch_bytes
        self._prefetch = prefetch
        self._line_numbers: dict[str, list[int]] = {}
        self.report = CaptureReadReport()

    def read(self, files: Iterable[str]) -> pl.DataFrame:
        """All records at once (for small windows and tests)."""
        frames = list(self.batches(files))
        return pl.concat(frames, how="diagonal_relaxed") if frames else pl.DataFrame()

    def batches(self, files: Iterable[str]) -> Iterator[pl.DataFrame]:
        """Record batches; with ``prefetch`` the next batch is parsed on a thread while this one is used."""
        if self._prefetch:
            yield from prefetched(self._produce(files), name="capture-reader")
        else:
            yield from self._produce(files)

    def _produce(self, files: Iterable[str]) -> Iterator[pl.DataFrame]:
        group: list[pl.DataFrame] = []
        size = 0
        for path in files:
            data = self._storage.read_bytes(path)
            self.report.files += 1
            envelopes, problems = parse_envelopes(path, data)
            self.report.unreadable += self._located(problems)
            self.report.captured_requests += envelopes.height
            if envelopes.height:
                group.append(envelopes)
                size += len(data)
            if size >= self._batch_bytes:
                yield from self._records_of(group)
                group, size = [], 0
        if group:
            yield from self._records_of(group)

    def _records_of(self, group: list[pl.DataFrame]) -> Iterator[pl.DataFrame]:
        requests = pl.concat(group).with_row_index(REQUEST)
        records, unreadable = request_records(requests)
        self.report.unreadable += self._located(unreadable)
        if records is None:
            return
        counts = records.group_by(REQUEST).agg(pl.len().alias("records"))
        predictions, response_problems = response_predictions(requests.join(counts, on=REQUEST), self._fields)
        self.report.response_problems += self._located(response_problems)
        records = records.join(predictions, on=[REQUEST, RECORD_INDEX], how="left")
        metadata = requests.select(REQUEST, EVENT_ID, INFERENCE_ID, INFERENCE_TIME)
        records = records.join(metadata, on=REQUEST, how="left").sort(REQUEST, RECORD_INDEX)
        record_id = (
            pl.col(self._record_id_field).cast(pl.String)
            if self._record_id_field in records.columns
            else pl.lit(None, dtype=pl.String)
        )
        records = records.with_columns(record_id.alias(RECORD_ID))
        features = [c for c in records.columns if not c.startswith("__")]
        self.report.records += records.height
        yield records.select(*features, *METADATA_COLUMNS)

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
