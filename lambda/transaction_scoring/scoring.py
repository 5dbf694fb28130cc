"""Scoring one S3 object: stream rows, validate, check what is stored, invoke the endpoint, store, report.

Flow per file (memory stays flat in file size):

    main thread: read + validate rows ──► chunks of 100 rows ──► chunk pool (bounded number in flight)
    chunk worker: which IDs are stored? ──► requests of RECORDS_PER_REQUEST ──► invoke pool (MAX_CONCURRENCY)
                  ──► BatchWriteItem of the scored rows ──► outcome back to the main thread
    main thread: rejected/failed rows ──► spooled CSVs ──► S3 next to the input; the file's report

Duplicate Transaction IDs inside a file: the first occurrence wins and later ones are rejected with the line
of the first. The main thread remembers only the IDs of rows in flight (bounded); a later duplicate of a row
that has already been stored is found by the chunk's check against the table, which also recognises rows
stored by an earlier delivery of the same file (same object and line: counted as already stored, not
scored again).
"""

from __future__ import annotations

import math
import uuid
from collections.abc import Callable, Iterator
from concurrent.futures import FIRST_COMPLETED, Future, ThreadPoolExecutor, wait
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from transaction_scoring import store
from transaction_scoring.endpoint import EndpointFailure, score_batch
from transaction_scoring.errors import ConfigurationError, HeaderError
from transaction_scoring.report import FileReport, FileStatus
from transaction_scoring.retry import RetryPolicy
from transaction_scoring.rows import CsvLine, Header, RejectedRow, RowValidator, ValidRow, csv_lines
from transaction_scoring.s3_objects import ObjectRef, RowSink, open_text
from transaction_scoring.settings import Settings

# Rows checked against the table in one BatchGetItem (its limit), and so the unit of work of a chunk worker.
CHUNK_ROWS = store.BATCH_GET_LIMIT
# A lease outlives the invocation's remaining time by this much (clock differences between hosts). Lambda
# retries a failed event after a minute at the earliest, by when the lease of a timed-out attempt has expired.
LEASE_MARGIN_S = 10


@dataclass(frozen=True, slots=True)
class Clients:
    """The AWS clients scoring needs (thread-safe; shared by all workers)."""

    s3: Any
    dynamodb: Any
    sagemaker_runtime: Any


@dataclass(frozen=True, slots=True)
class InvocationContext:
    """What scoring needs to know about the invocation it runs in."""

    request_id: str
    remaining_s: Callable[[], float]  # seconds until the Lambda timeout
    now: Callable[[], datetime] = field(default=lambda: datetime.now(UTC))
    # Lambda may hand the same event (same request ID) to two invocations at once, so the request ID alone
    # cannot tell lease holders apart.
    token: str = field(default_factory=lambda: uuid.uuid4().hex[:12])

    @property
    def lease_owner(self) -> str:
        return f"{self.request_id}/{self.token}"


def retry_policy(settings: Settings) -> RetryPolicy:
    return RetryPolicy(
        max_attempts=settings.max_attempts,
        base_delay_s=settings.retry_base_delay_ms / 1000,
        max_delay_s=settings.retry_max_delay_ms / 1000,
    )


def iso_utc(moment: datetime) -> str:
    """``2026-11-29T14:05:09.123Z``."""
    return moment.astimezone(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


def skip_reason(ref: ObjectRef, settings: Settings) -> str | None:
    """Why an object must not be scored by this function, or None."""
    for name, prefix in (
        ("REJECTED_ROWS_PREFIX", settings.rejected_rows_prefix),
        ("FAILED_ROWS_PREFIX", settings.failed_rows_prefix),
    ):
        if ref.key.startswith(prefix):
            # A trigger configured wider than INPUT_PREFIX would otherwise feed our own output back to us.
            return f"{ref}: is an output of this function (under {name}={prefix!r}), not an input: skipped"
    if not ref.key.startswith(settings.input_prefix):
        return f"{ref}: is outside INPUT_PREFIX={settings.input_prefix!r}: skipped"
    return None


def score_object(
    ref: ObjectRef, settings: Settings, clients: Clients, context: InvocationContext
) -> FileReport:
    """Score every row of one object; never raises for bad data (that is in the report)."""
    report = FileReport(source_object=str(ref))
    reason = skip_reason(ref, settings)
    if reason is not None:
        report.status, report.message = FileStatus.SKIPPED, reason
        return report
    policy = retry_policy(settings)
    now_s = int(context.now().timestamp())
    try:
        holder = policy.call(
            lambda: store.acquire_lease(
                clients.dynamodb,
                settings.table_name,
                str(ref),
                owner=context.lease_owner,
                now_s=now_s,
                expires_at_s=now_s + math.ceil(context.remaining_s()) + LEASE_MARGIN_S,
            )
        )
    except clients.dynamodb.exceptions.ResourceNotFoundException:
        raise ConfigurationError(
            f"DynamoDB table {settings.table_name!r} does not exist (or is not active) in this region: "
            "check DYNAMODB_TABLE_NAME"
        ) from None
    if holder is not None:
        # Not acknowledged: the holder may be a timed-out attempt whose lease has not expired yet.
        report.status = FileStatus.BUSY
        report.message = (
            f"{ref}: is being scored by another invocation (lease owner {holder.owner}, until "
            f"{iso_utc(datetime.fromtimestamp(holder.expires_at, UTC))}); Lambda will retry this event"
        )
        return report
    try:
        _score_leased_object(ref, settings, clients, context, report)
    finally:
        policy.call(
            lambda: store.release_lease(
                clients.dynamodb, settings.table_name, str(ref), owner=context.lease_owner
            )
        )
    return report


def _score_leased_object(
    ref: ObjectRef, settings: Settings, clients: Clients, context: InvocationContext, report: FileReport
) -> None:
    stream = open_text(clients.s3, ref)
    if stream is None:
        report.status, report.message = (
            FileStatus.MISSING,
            f"{ref}: no such object (deleted since the event?)",
        )
        return
    with stream:
        lines = csv_lines(stream)
        first = next(lines, None)
        if first is None:
            report.message = f"{ref}: empty file: no header row and no transactions"
            return
        try:
            if first.error is not None:
                raise HeaderError(f"{ref}: line {first.line}: header row is not readable CSV ({first.error})")
            header = Header.parse(first.cells, where=str(ref))
        except HeaderError as error:
            _reject_whole_file(ref, first, lines, error, settings, clients, report)
            return
        if header.ignored:
            report.message = (
                f"{ref}: ignored columns not used for scoring: {', '.join(map(repr, header.ignored))}"
            )
        with RowSink(header.cells) as rejected, RowSink(header.cells) as failed:
            scorer = _FileScorer(ref, header, settings, clients, context, report, rejected, failed)
            scorer.run(lines)
            _publish(ref, settings, clients, report, rejected, failed)


def _reject_whole_file(
    ref: ObjectRef,
    first: CsvLine,
    lines: Iterator[CsvLine],
    error: HeaderError,
    settings: Settings,
    clients: Clients,
    report: FileReport,
) -> None:
    """Copy every row to the rejected-rows object with the header's problems as the reason."""
    report.status = FileStatus.REJECTED
    report.message = "\n".join(error.problems)
    reason = "file rejected: " + " ".join(p.removeprefix(f"{ref}: ") for p in error.problems)
    with RowSink(first.cells) as rejected:
        for csv_line in lines:
            report.rows_read += 1
            report.note_rejected(csv_line.line, ("(header)",))
            rejected.add(csv_line.line, csv_line.cells, reason)
        with RowSink(first.cells) as failed:
            _publish(ref, settings, clients, report, rejected, failed)


def _publish(
    ref: ObjectRef,
    settings: Settings,
    clients: Clients,
    report: FileReport,
    rejected: RowSink,
    failed: RowSink,
) -> None:
    rejected_ref, failed_ref = (
        ref.under(settings.rejected_rows_prefix),
        ref.under(settings.failed_rows_prefix),
    )
    if rejected.publish(clients.s3, rejected_ref, ref):
        report.rejected_rows_object = str(rejected_ref)
    if failed.publish(clients.s3, failed_ref, ref):
        report.failed_rows_object = str(failed_ref)


@dataclass
class _ChunkOutcome:
    """What became of the rows of one chunk (computed in a worker, applied by the main thread)."""

    rows: list[ValidRow]
    already_stored: int = 0
    scored: int = 0
    stored: int = 0
    requests: int = 0
    retries: int = 0
    duplicates: list[tuple[ValidRow, str]] = field(default_factory=list)
    failed: list[tuple[ValidRow, str]] = field(default_factory=list)


class _FileScorer:
    """The concurrent part of scoring one file."""

    def __init__(
        self,
        ref: ObjectRef,
        header: Header,
        settings: Settings,
        clients: Clients,
        context: InvocationContext,
        report: FileReport,
        rejected: RowSink,
        failed: RowSink,
    ) -> None:
        self._ref, self._source = ref, str(ref)
        self._settings, self._clients, self._context = settings, clients, context
        self._report, self._rejected, self._failed = report, rejected, failed
        self._validator = RowValidator(header, keep_personal_data=settings.store_personal_data)
        self._policy = retry_policy(settings)
        self._chunk_rows = max(CHUNK_ROWS, settings.records_per_request)
        requests_per_chunk = math.ceil(self._chunk_rows / settings.records_per_request)
        # A chunk spends part of its life in DynamoDB calls (check, writes). Twice the chunks needed to fill
        # MAX_CONCURRENCY requests keeps the endpoint busy meanwhile; a few more start the next ones early.
        self._chunk_workers = (
            min(2 * math.ceil(settings.max_concurrency / requests_per_chunk), settings.max_concurrency) + 2
        )
        self._in_flight: dict[str, int] = {}  # Transaction ID -> line, for rows not yet finished

    def run(self, lines: Iterator[CsvLine]) -> None:
        report = self._report
        pending: set[Future[_ChunkOutcome]] = set()
        chunk: list[ValidRow] = []
        with (
            ThreadPoolExecutor(self._settings.max_concurrency, thread_name_prefix="invoke") as invoke_pool,
            ThreadPoolExecutor(self._chunk_workers, thread_name_prefix="chunk") as chunk_pool,
        ):
            for csv_line in lines:
                report.rows_read += 1
                row = self._row(csv_line)
                if row is not None:
                    chunk.append(row)
                    if len(chunk) == self._chunk_rows:
                        pending.add(chunk_pool.submit(self._score_chunk, chunk, invoke_pool))
                        chunk = []
                        pending = self._collect(pending, block=len(pending) >= self._chunk_workers + 1)
                if report.rows_read % CHUNK_ROWS == 0 and self._out_of_time(csv_line.line):
                    break
            if chunk:
                pending.add(chunk_pool.submit(self._score_chunk, chunk, invoke_pool))
            while pending:
                pending = self._collect(pending, block=True)
        if report.rows_failed and report.status is FileStatus.SCORED:
            report.status = FileStatus.PARTLY_FAILED

    def _out_of_time(self, line: int) -> bool:
        """Whether to stop reading: the Lambda timeout is less than TIME_RESERVE_S away."""
        if self._context.remaining_s() >= self._settings.time_reserve_s:
            return False
        report = self._report
        report.status, report.stopped_after_line = FileStatus.INCOMPLETE, line
        report.message = (
            f"{self._ref}: stopped after line {line}, {self._settings.time_reserve_s} s before the Lambda "
            "timeout; Lambda's retry continues the file (stored rows are skipped)"
        )
        return True

    def _row(self, csv_line: CsvLine) -> ValidRow | None:
        """The valid row of a line, or None once the line has gone to the rejected rows."""
        if csv_line.error is not None:
            result: ValidRow | RejectedRow = RejectedRow(
                csv_line.line, csv_line.cells, csv_line.error, ("(row)",)
            )
        else:
            result = self._validator.validate(csv_line.line, csv_line.cells)
        if isinstance(result, ValidRow):
            first_line = self._in_flight.get(result.transaction_id)
            if first_line is None:
                self._in_flight[result.transaction_id] = result.line
                return result
            result = RejectedRow(
                result.line,
                result.cells,
                f"duplicate Transaction ID {result.transaction_id!r}: first seen on line {first_line} "
                "of this file",
                ("Transaction ID",),
                result.transaction_id,
            )
        self._rejected.add(result.line, result.cells, result.reason)
        self._report.note_rejected(result.line, result.columns)
        return None

    def _collect(self, pending: set[Future[_ChunkOutcome]], *, block: bool) -> set[Future[_ChunkOutcome]]:
        """Apply finished chunks (waiting for at least one if ``block``); return those still running."""
        done, still_running = wait(pending, timeout=None if block else 0, return_when=FIRST_COMPLETED)
        for future in done:
            self._apply(future.result())
        return still_running

    def _apply(self, outcome: _ChunkOutcome) -> None:
        report = self._report
        report.rows_already_stored += outcome.already_stored
        report.rows_scored += outcome.scored
        report.rows_stored += outcome.stored
        report.endpoint_requests += outcome.requests
        report.retries += outcome.retries
        for row, reason in outcome.duplicates:
            self._rejected.add(row.line, row.cells, reason)
            report.note_rejected(row.line, ("Transaction ID",))
        for row, reason in outcome.failed:
            self._failed.add(row.line, row.cells, reason)
            report.note_failed(reason)
        for row in outcome.rows:
            self._in_flight.pop(row.transaction_id, None)

    # -- runs in a chunk worker ------------------------------------------------------------------------
    def _score_chunk(self, rows: list[ValidRow], invoke_pool: ThreadPoolExecutor) -> _ChunkOutcome:
        outcome = _ChunkOutcome(rows=rows)
        settings, clients = self._settings, self._clients
        try:
            stored = store.find_stored(
                clients.dynamodb, settings.table_name, [r.transaction_id for r in rows], self._policy
            )
        except store.StoreFailure as failure:
            outcome.failed = [
                (row, f"not scored: could not check the table for stored rows: {failure.reason}")
                for row in rows
            ]
            return outcome
        to_score: list[ValidRow] = []
        for row in rows:
            ref = stored.get(row.transaction_id)
            if ref is None:
                to_score.append(row)
            elif ref.source_object == self._source and ref.source_line == row.line:
                outcome.already_stored += 1  # an earlier delivery of this file stored it
            else:
                outcome.duplicates.append((row, _duplicate_reason(row, ref, self._source)))

        size = settings.records_per_request
        batches = [to_score[start : start + size] for start in range(0, len(to_score), size)]
        futures = [
            invoke_pool.submit(
                score_batch,
                clients.sagemaker_runtime,
                settings.endpoint_name,
                [row.record for row in batch],
                [row.transaction_id for row in batch],
                self._policy,
            )
            for batch in batches
        ]
        scored: list[store.ScoredRow] = []
        for batch, future in zip(batches, futures, strict=True):
            outcome.requests += 1
            try:
                answer = future.result()
            except EndpointFailure as failure:
                outcome.retries += failure.retries
                outcome.failed.extend((row, f"not scored: {failure.reason}") for row in batch)
                continue
            outcome.retries += answer.retries
            scored_at = iso_utc(self._context.now())
            scored.extend(
                store.ScoredRow(row, prediction, answer.inference_id, answer.variant, scored_at)
                for row, prediction in zip(batch, answer.predictions, strict=True)
            )
        outcome.scored = len(scored)
        self._store(scored, outcome)
        return outcome

    def _store(self, scored: list[store.ScoredRow], outcome: _ChunkOutcome) -> None:
        settings = self._settings
        for start in range(0, len(scored), store.BATCH_WRITE_LIMIT):
            piece = scored[start : start + store.BATCH_WRITE_LIMIT]
            items = [
                store.prediction_item(s, endpoint_name=settings.endpoint_name, source_object=self._source)
                for s in piece
            ]
            try:
                store.write_items(self._clients.dynamodb, settings.table_name, items, self._policy)
            except store.StoreFailure as failure:
                outcome.failed.extend((s.row, f"scored but not stored: {failure.reason}") for s in piece)
                continue
            outcome.stored += len(piece)


def _duplicate_reason(row: ValidRow, ref: store.StoredRef, source: str) -> str:
    if ref.source_object == source:
        return (
            f"duplicate Transaction ID {row.transaction_id!r}: already stored from line {ref.source_line} "
            "of this file"
        )
    where = f"{ref.source_object} line {ref.source_line}" if ref.source_object else "another source"
    return f"duplicate Transaction ID {row.transaction_id!r}: already stored from {where}"
