"""Scoring one S3 object: which path it takes, then stream rows, validate, check what is stored, invoke the
endpoint, store, write what could not be stored, and say where the file stands.

Path of an object (docs/lambda-exactly-once.md, "Which path a file takes"):

    already finished (checkpoint ``complete``)  ──► acknowledged, nothing read
    another invocation holds its lease           ──► BUSY: Lambda retries the event
    not a transaction CSV (compressed, header)   ──► REJECTED once: one row saying why, rows left in place
    large (>= FAN_OUT_MIN_BYTES), versioned, every record on one line
                                                 ──► FANNED_OUT: a Step Functions Distributed Map scores
                                                     slices of it with the same code (``fan_out``)
    otherwise                                    ──► scored here, from the checkpoint's byte offset if an
                                                     earlier attempt stopped (``progress``)

Flow of the rows of one attempt (memory stays flat in file size):

    main thread: rows to retry from the last failed-rows file, then records from the byte offset
                 ──► validate ──► chunks of 100 rows ──► chunk pool (bounded number in flight)
    chunk worker: which IDs are stored? ──► requests of RECORDS_PER_REQUEST ──► invoke pool (MAX_CONCURRENCY)
                  (rows whose prediction was kept skip the endpoint) ──► BatchWriteItem ──► outcome
    main thread: rejected/failed rows ──► streamed to S3 next to the input; the checkpoint; the report

Duplicate Transaction IDs inside a file: the first occurrence wins and later ones are rejected with the line
of the first. The main thread remembers only the IDs of rows in flight (bounded); a later duplicate of a row
that has already been stored is found by the chunk's check against the table, which also recognises rows
stored by an earlier delivery of the same file (same object and line: counted as already stored, not
scored again).
"""

from __future__ import annotations

import math
import time
import uuid
from collections.abc import Callable, Iterable, Iterator, Mapping
from concurrent.futures import FIRST_COMPLETED, Future, ThreadPoolExecutor, wait
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from typing import Any

from botocore.exceptions import ClientError

from transaction_scoring import contract, store
from transaction_scoring.clients import Clients, dynamodb_attempt_s, endpoint_attempt_s
from transaction_scoring.endpoint import EndpointFailure, score_batch
from transaction_scoring.errors import ConfigurationError, HeaderError
from transaction_scoring.progress import (
    TERMINAL_STATES,
    Progress,
    ProgressUnavailable,
    State,
    read_progress,
    write_progress,
)
from transaction_scoring.quarantine import (
    FAILED_COLUMNS,
    REJECTED_COLUMNS,
    FailedFileError,
    FailedRowParser,
    KeptPrediction,
    Redaction,
    failed_extra_cells,
    header_row,
    neutralise_cell,
)
from transaction_scoring.reading import (
    READ_CHUNK_BYTES,
    ByteLines,
    LineTooLong,
    Position,
    compressed_format,
    records,
)
from transaction_scoring.report import FileReport, FileStatus
from transaction_scoring.retry import GAVE_UP, RetryPolicy, describe
from transaction_scoring.rows import CsvLine, Header, RejectedRow, RowValidator, ValidRow
from transaction_scoring.s3_objects import (
    ObjectReader,
    ObjectRef,
    ObjectUnavailable,
    QuarantineSink,
    Unavailable,
    WrittenObject,
    unavailable,
)
from transaction_scoring.settings import FINISH_S, Settings

__all__ = ["Clients", "InvocationContext", "score_object"]

# Rows checked against the table in one BatchGetItem (its limit), and so the unit of work of a chunk worker.
CHUNK_ROWS = store.BATCH_GET_LIMIT
# A lease outlives the invocation's remaining time by this much (clock differences between hosts). Lambda
# retries a failed event after a minute at the earliest, by when the lease of a timed-out attempt has expired.
LEASE_MARGIN_S = 10
# Content encodings S3 may report for an object that is not plain text.
_COMPRESSED_ENCODINGS = frozenset({"gzip", "x-gzip", "br", "zstd", "deflate", "compress", "bzip2"})


@dataclass(frozen=True, slots=True)
class InvocationContext:
    """What scoring needs to know about the invocation it runs in."""

    request_id: str
    remaining_s: Callable[[], float]  # seconds until the Lambda timeout
    now: Callable[[], datetime] = field(default=lambda: datetime.now(UTC))
    # Lambda may hand the same event (same request ID) to two invocations at once, so the request ID alone
    # cannot tell lease holders apart.
    token: str = field(default_factory=lambda: uuid.uuid4().hex[:12])
    clock: Callable[[], float] = field(default=time.monotonic)

    @property
    def lease_owner(self) -> str:
        return f"{self.request_id}/{self.token}"

    def ends_at(self) -> float:
        """The Lambda timeout on ``clock``."""
        return self.clock() + self.remaining_s()


def retry_policy(settings: Settings) -> RetryPolicy:
    return RetryPolicy(
        max_attempts=settings.max_attempts,
        base_delay_s=settings.retry_base_delay_ms / 1000,
        max_delay_s=settings.retry_max_delay_ms / 1000,
    )


@dataclass(frozen=True, slots=True)
class Policies:
    """Retry policies whose attempts all end in time (issue 13, "deadline overrun").

    Requests for rows (endpoint, table) end ``FINISH_S`` before the Lambda timeout, so that the outputs and
    the checkpoint can still be written; leases and checkpoints end just before it.
    """

    endpoint: RetryPolicy
    table: RetryPolicy
    bookkeeping: RetryPolicy

    @classmethod
    def for_invocation(cls, settings: Settings, context: InvocationContext) -> Policies:
        base = replace(retry_policy(settings), clock=context.clock)
        ends = context.ends_at()
        return cls(
            endpoint=base.with_deadline(ends - FINISH_S, endpoint_attempt_s(settings)),
            table=base.with_deadline(ends - FINISH_S, dynamodb_attempt_s()),
            bookkeeping=base.with_deadline(ends - 1.0, dynamodb_attempt_s()),
        )


def iso_utc(moment: datetime) -> str:
    """``2026-11-29T14:05:09.123Z``."""
    return moment.astimezone(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


def skip_reason(ref: ObjectRef, settings: Settings) -> str | None:
    """Why an object must not be scored by this function, or None."""
    for name, prefix in (
        ("REJECTED_ROWS_PREFIX", settings.rejected_rows_prefix),
        ("FAILED_ROWS_PREFIX", settings.failed_rows_prefix),
        ("FAN_OUT_RESULTS_PREFIX", settings.fan_out_results_prefix),
    ):
        if ref.key.startswith(prefix):
            # A trigger configured wider than INPUT_PREFIX would otherwise feed our own output back to us.
            return f"{ref}: is an output of this function (under {name}={prefix!r}), not an input: skipped"
    if not ref.key.startswith(settings.input_prefix):
        return f"{ref}: is outside INPUT_PREFIX={settings.input_prefix!r}: skipped"
    return None


def missing_table(error: ClientError, settings: Settings) -> ConfigurationError | None:
    if error.response.get("Error", {}).get("Code") != "ResourceNotFoundException":
        return None
    return ConfigurationError(
        f"DynamoDB table {settings.table_name!r} does not exist (or is not active) in this region: "
        "check DYNAMODB_TABLE_NAME"
    )


# -- the lease around any work on an object (file or slice) ---------------------------------------------


@dataclass
class Leased:
    """Runs work on an object under its lease: never two invocations at once on the same content."""

    subject: str  # what the lease is about (an object version, or a slice of one)
    settings: Settings
    clients: Clients
    context: InvocationContext
    policies: Policies
    report: FileReport
    # A stable owner whose own lease may be taken over (a slice's child execution: see store.acquire_lease).
    stable_owner: str | None = None

    @property
    def owner(self) -> str:
        return self.stable_owner or self.context.lease_owner

    def acquire(self) -> bool:
        """Take the lease; False (with the report saying why) when another invocation holds it."""
        now_s = int(self.context.now().timestamp())
        try:
            holder = self.policies.bookkeeping.call(
                lambda: store.acquire_lease(
                    self.clients.dynamodb,
                    self.settings.table_name,
                    self.subject,
                    owner=self.owner,
                    now_s=now_s,
                    expires_at_s=now_s + math.ceil(self.context.remaining_s()) + LEASE_MARGIN_S,
                    take_over_own=self.stable_owner is not None,
                )
            )
        except ClientError as error:
            configuration = missing_table(error, self.settings)
            if configuration is not None:
                raise configuration from None
            return self._busy(f"could not take its lease: {describe(error)}")
        except GAVE_UP as error:
            return self._busy(f"could not take its lease: {describe(error)}")
        if holder is not None:
            # Not acknowledged: the holder may be a timed-out attempt whose lease has not expired yet.
            return self._busy(
                f"is being scored by another invocation (lease owner {holder.owner}, until "
                f"{iso_utc(datetime.fromtimestamp(holder.expires_at, UTC))})"
            )
        return True

    def release(self) -> None:
        """Give the lease back. A failure is a warning only: every row is stored or in an output already, and
        the lease expires by itself (issue 13: a throttled release used to fail an invocation that had stored
        every row, and its retries then found the lease held)."""
        try:
            self.policies.bookkeeping.call(
                lambda: store.release_lease(
                    self.clients.dynamodb,
                    self.settings.table_name,
                    self.subject,
                    owner=self.owner,
                )
            )
        except GAVE_UP as error:
            self.report.warnings.append(f"lease not released (it expires by itself): {describe(error)}")

    def _busy(self, why: str) -> bool:
        self.report.status = FileStatus.BUSY
        self.report.message = f"{self.report.source_object}: {why}; Lambda will retry this event"
        return False


# -- one S3 object ----------------------------------------------------------------------------------------


def score_object(
    ref: ObjectRef, settings: Settings, clients: Clients, context: InvocationContext
) -> FileReport:
    """Score every row of one object (or start its fan-out); never raises for bad data (that is in the
    report)."""
    report = FileReport(source_object=str(ref))
    reason = skip_reason(ref, settings)
    if reason is not None:
        report.status, report.message = FileStatus.SKIPPED, reason
        return report
    policies = Policies.for_invocation(settings, context)
    if not ref.version_id and not ref.etag:
        # An event without versionId or eTag (S3 always sends the eTag; a hand-made event may not): pin the
        # content the key holds now, so that the checkpoint and the reads are about one content.
        try:
            ref = _current_content(clients.s3, ref)
        except ObjectUnavailable as problem:
            _report_unavailable(report, problem, resuming=False)
            return report
    # A replay of a finished file is acknowledged before taking the lease, so that a lease that could not be
    # released never blocks it.
    try:
        finished = read_progress(clients.dynamodb, settings.table_name, ref.identity, policies.bookkeeping)
    except ProgressUnavailable:
        finished = None
    except ClientError as error:
        raise missing_table(error, settings) or error from None
    if finished is not None and finished.state in TERMINAL_STATES:
        _report_finished(report, finished)
        return report
    lease = Leased(ref.identity, settings, clients, context, policies, report)
    if not lease.acquire():
        return report
    try:
        _FileAttempt(ref, settings, clients, context, policies, report).run()
    finally:
        lease.release()
    return report


def _current_content(s3: Any, ref: ObjectRef) -> ObjectRef:
    try:
        head = s3.head_object(Bucket=ref.bucket, Key=ref.key)
    except ClientError as error:
        problem = unavailable(error, ref)
        if problem is None:
            raise
        raise problem from error
    return replace(ref, version_id=head.get("VersionId") or None, etag=str(head["ETag"]).strip('"'))


def _report_finished(report: FileReport, progress: Progress) -> None:
    report.status = {
        State.FANNED_OUT: FileStatus.FANNED_OUT,
        State.REJECTED: FileStatus.REJECTED,
    }.get(progress.state, FileStatus.ALREADY_SCORED)
    report.execution = progress.execution or None
    by = f" by {progress.updated_by}" if progress.updated_by else ""
    report.message = f"{report.source_object}: already {progress.state.value}{by}: nothing to do" + (
        f" ({progress.detail})" if progress.detail else ""
    )


def _report_unavailable(report: FileReport, problem: ObjectUnavailable, *, resuming: bool) -> None:
    if problem.kind is Unavailable.MISSING:
        report.status, report.message = FileStatus.MISSING, f"{problem} (deleted since the event?)"
    elif problem.kind is Unavailable.FORBIDDEN:
        report.status = FileStatus.UNREADABLE
        report.message = (
            f"{problem}: the function's role (or the object's KMS key policy) does not allow reading it"
        )
    else:
        report.status = FileStatus.SKIPPED
        report.message = (
            f"{problem}: the object was replaced since "
            f"{'the last attempt' if resuming else 'this event'} (a bucket without versioning); the "
            "event of its new content scores it from line 1"
        )


class _Restart(Exception):
    """The checkpoint cannot be continued (its output objects changed): start the file over."""


class _FileAttempt:
    """One attempt on one leased object: from its checkpoint (or the start) to the end or the time reserve."""

    def __init__(
        self,
        ref: ObjectRef,
        settings: Settings,
        clients: Clients,
        context: InvocationContext,
        policies: Policies,
        report: FileReport,
    ) -> None:
        self.ref, self.settings, self.clients = ref, settings, clients
        self.context, self.policies, self.report = context, policies, report
        self._readers: list[ObjectReader] = []

    def _open(self, ref: ObjectRef, start: int = 0) -> ObjectReader:
        reader = ObjectReader(self.clients.s3, ref, start=start)
        self._readers.append(reader)
        return reader

    def run(self) -> None:
        try:
            progress = read_progress(
                self.clients.dynamodb, self.settings.table_name, self.ref.identity, self.policies.bookkeeping
            )
        except ProgressUnavailable as error:
            self.report.status = FileStatus.BUSY
            self.report.message = f"{self.ref}: {error}; Lambda will retry this event"
            return
        if progress is not None and progress.state in TERMINAL_STATES:
            _report_finished(self.report, progress)
            return
        try:
            self._run(progress)
        except _Restart as why:
            self.report.clear_counts()  # the rows are read again: count them once
            self.report.warnings.append(f"started over from line 1: {why}")
            self._run(None)

    # -- the attempt -------------------------------------------------------------------------------------

    def _run(self, progress: Progress | None) -> None:
        ref, report = self.ref, self.report
        done_reading = progress is not None and progress.state is State.RETRYING
        reader: ObjectReader | None = None
        try:
            if not done_reading:
                start = progress.next_offset if progress else 0
                etag = (progress.etag if progress else None) or ref.etag
                try:
                    reader = self._open(replace(ref, etag=etag), start)
                except ObjectUnavailable as problem:
                    _report_unavailable(report, problem, resuming=progress is not None)
                    return
            if progress is None:
                assert reader is not None
                self._from_the_start(reader)
            else:
                report.resumed_from_line = progress.next_line
                rows = (
                    None
                    if reader is None
                    else _records_from(reader, progress.next_offset, progress.next_line)
                )
                self._score(progress.header, rows, progress, reader)
        finally:
            for opened in self._readers:
                opened.close()
            self._readers.clear()

    def _from_the_start(self, reader: ObjectReader) -> None:
        ref, report = self.ref, self.report
        first_chunk = reader.read(READ_CHUNK_BYTES)
        compressed = compressed_format(first_chunk) or (
            f"{reader.content_encoding}-encoded"
            if reader.content_encoding.lower() in _COMPRESSED_ENCODINGS
            else None
        )
        if compressed is not None:
            self._reject(
                f"{ref}: looks {compressed}, not a CSV (first bytes {first_chunk[:4].hex(' ')}): upload the "
                "uncompressed CSV (UTF-8 text)",
                header_cells=(),
                reader=reader,
            )
            return
        chunks = iter((first_chunk,))
        # Rows of empty cells are kept here (the fan-out check counts them: Step Functions' reader yields
        # them) and skipped below for scoring, as the single path always has.
        rows = records(ByteLines(lambda n: next(chunks, b"") or reader.read(n)), skip_empty=False)
        try:
            first = next((r for r in rows if not _is_empty(r[0])), None)
        except LineTooLong as error:
            self._reject(f"{ref}: {error}", header_cells=(), reader=reader)
            return
        if first is None:
            report.message = f"{ref}: empty file: no header row and no transactions"
            self._checkpoint(State.COMPLETE, reader=reader)
            return
        csv_line, after_header = first
        try:
            if csv_line.error is not None:
                raise HeaderError(
                    f"{ref}: line {csv_line.line}: header row is not readable CSV ({csv_line.error})"
                )
            header = Header.parse(csv_line.cells, where=str(ref))
        except HeaderError as error:
            self._reject("\n".join(error.problems), header_cells=csv_line.cells, reader=reader)
            return
        if header.ignored:
            report.message = (
                f"{ref}: ignored columns not used for scoring: {', '.join(map(repr, header.ignored))}"
            )
        if self._fan_out_wanted(reader, header_line=csv_line.line):
            if self._fan_out(reader, header, rows):
                return
            # The check read the rows: read them again from the line after the header.
            reader.close()
            reader = self._open(
                replace(ref, version_id=reader.version_id, etag=reader.etag), after_header.offset
            )
            rows = _records_from(reader, after_header.offset, after_header.next_line)
        self._score(list(header.cells), (r for r in rows if not _is_empty(r[0])), None, reader)

    def _fan_out_wanted(self, reader: ObjectReader, *, header_line: int) -> bool:
        from transaction_scoring import fan_out  # the fan-out path builds on this module

        settings = self.settings
        if not (
            settings.fan_out_state_machine_arn
            and self.clients.stepfunctions is not None
            and reader.size >= settings.fan_out_min_bytes
        ):
            return False
        if header_line != fan_out.HEADER_LINE:
            self.report.warnings.append(
                f"not fanned out: the header is on line {header_line}, and Step Functions' CSV reader takes "
                "the first line as the header; scored by this function instead"
            )
            return False
        if not reader.version_id or reader.version_id == "null":
            self.report.warnings.append(
                "not fanned out: the bucket has no versioning, so slices could read other content than the "
                "event's; scored by this function, resuming across Lambda's retries"
            )
            return False
        return True

    def _fan_out(
        self, reader: ObjectReader, header: Header, rows: Iterator[tuple[CsvLine, Position]]
    ) -> bool:
        """Hand the object to the fan-out state machine; True when handed over (False when the check found a
        reason not to: then the rows were read and the caller reads them again)."""
        from transaction_scoring import fan_out  # the fan-out path builds on this module

        settings = self.settings
        source = replace(self.ref, version_id=reader.version_id, etag=reader.etag, size=reader.size)
        stop_at = self.context.ends_at() - settings.time_reserve_s
        with fan_out.line_index_upload(self.clients.s3, settings, source) as index:
            check = fan_out.check_records(
                rows, width=len(header.cells), index=index, clock=self.context.clock, stop_at=stop_at
            )
            if check.problem is not None:
                self.report.warnings.append(
                    f"not fanned out: {check.problem}; scored by this function instead"
                )
                return False
            line_index = index.finish()
        if check.wrong_width:
            # Rows the CSV reader of Step Functions would pad or cut: rejected here, skipped by the slices.
            self._reject_rows(header, check.wrong_width, fan_out.PLANNER_OUTPUT_SUFFIX)
        started = fan_out.start(
            self.clients.stepfunctions,
            settings,
            source,
            list(header.cells),
            check.rows,
            line_index=line_index.ref,
            skip=check.wrong_width_indexes,
        )
        self.report.status, self.report.execution = FileStatus.FANNED_OUT, started.execution_arn
        self.report.message = (
            f"{self.ref}: {check.rows:,} rows, {reader.size:,} bytes: scored in slices by Step Functions "
            f"execution {started.execution_arn}"
            + (" (already started by an earlier delivery)" if started.existed else "")
        )
        self._checkpoint(
            State.FANNED_OUT, reader=reader, header=list(header.cells), execution=started.execution_arn
        )
        return True

    def _reject_rows(self, header: Header, rows: list[CsvLine], suffix: str) -> None:
        settings, report = self.settings, self.report
        redaction = Redaction.for_header(header.cells, keep_personal_data=settings.store_personal_data)
        sink = _sink_factory(self.clients.s3, self.ref, settings, suffix)
        with sink(
            settings.rejected_rows_prefix, header_row(header.cells, REJECTED_COLUMNS), None
        ) as rejected:
            for csv_line in rows:
                reason = f"has {len(csv_line.cells)} cells where the header has {len(header.cells)}"
                rejected.add([*redaction.apply(csv_line.cells), str(csv_line.line), neutralise_cell(reason)])
                report.rows_read += 1
                report.note_rejected(csv_line.line, ("(row)",))
            written = rejected.publish()
        report.rejected_rows_object = str(written.ref) if written else None

    # -- scoring rows --------------------------------------------------------------------------------------

    def _score(
        self,
        header_cells: list[str],
        stream: Iterator[tuple[CsvLine, Position]] | None,
        progress: Progress | None,
        reader: ObjectReader | None,
    ) -> None:
        ref, settings, report = self.ref, self.settings, self.report
        header = Header.parse(header_cells, where=str(ref))
        redaction = Redaction.for_header(header.cells, keep_personal_data=settings.store_personal_data)
        sink = _sink_factory(self.clients.s3, ref, settings)
        carried_rejected = progress.rejected if progress else None
        try:
            rejected = sink(
                settings.rejected_rows_prefix, header_row(header.cells, REJECTED_COLUMNS), carried_rejected
            )
        except ObjectUnavailable as problem:
            raise _Restart(
                f"the rejected-rows file of the last attempt is gone or changed ({problem})"
            ) from None
        with (
            rejected,
            sink(settings.failed_rows_prefix, header_row(header.cells, FAILED_COLUMNS), None) as failed,
        ):
            inputs: list[Iterator[_Input]] = []
            if progress is not None and progress.failed is not None:
                inputs.append(self._failed_rows(progress.failed, len(header.cells)))
            if stream is not None:
                inputs.append(_stream_inputs(stream))
            scorer = _FileScorer(
                ref,
                header,
                settings,
                self.clients,
                self.context,
                self.policies,
                report,
                _Outputs(rejected, failed, redaction),
                source_version=reader.version_id if reader else ref.version_id,
            )
            stopped = scorer.run(_chain(inputs), stop_early=True)
            written_rejected, written_failed = rejected.publish(), failed.publish()
        if written_rejected is not None:
            report.rejected_rows_object = str(written_rejected.ref)
        if written_failed is not None:
            report.failed_rows_object = str(written_failed.ref)
        common: dict[str, Any] = {
            "reader": reader,
            "header": list(header.cells),
            "rejected": written_rejected,
            "failed": written_failed,
            "etag": reader.etag if reader else (progress.etag if progress else ""),
        }
        if report.status is FileStatus.INCOMPLETE:
            if stopped is not None:
                self._checkpoint(State.READING, offset=stopped.offset, line=stopped.next_line, **common)
            elif progress is not None:  # stopped while retrying the failed rows of an earlier attempt
                self._checkpoint(
                    progress.state, offset=progress.next_offset, line=progress.next_line, **common
                )
            else:
                self._checkpoint(State.READING, offset=0, line=1, **common)
        elif report.rows_failed:
            self._checkpoint(State.RETRYING, **common)
        else:
            self._checkpoint(State.COMPLETE, **common)

    def _failed_rows(self, written: WrittenObject, width: int) -> Iterator[_Input]:
        """The rows of the last attempt's failed-rows file, with the predictions it kept."""
        try:
            reader = self._open(written.ref)
        except ObjectUnavailable as problem:
            raise _Restart(
                f"the failed-rows file of the last attempt is gone or changed ({problem})"
            ) from None
        rows = records(ByteLines(reader.read))
        first = next(rows, None)
        if first is None:
            return
        try:
            parser = FailedRowParser(first[0].cells)
            if len(parser.input_header) != width:
                raise FailedFileError(f"it has {len(parser.input_header)} input columns, the file {width}")
            for csv_line, _ in rows:
                failed_row = parser.parse(csv_line.cells)
                yield _Input(CsvLine(failed_row.line, failed_row.cells), failed_row.kept, None)
        except FailedFileError as error:
            raise _Restart(f"{written.ref} is not a failed-rows file of this function: {error}") from None

    # -- whole-file outcomes -------------------------------------------------------------------------------

    def _reject(self, reason: str, *, header_cells: Iterable[str], reader: ObjectReader) -> None:
        """Reject the whole file with one row saying why (issue 13: "write a header rejection once, not per
        row"); its rows are not read or copied: they stay in the input object, which the person fixes and
        uploads again."""
        ref, settings, report = self.ref, self.settings, self.report
        report.status, report.message = FileStatus.REJECTED, reason
        cells = list(header_cells)
        where = f"{ref}" + (f" (version {reader.version_id})" if reader.version_id else "")
        why = " ".join(line.removeprefix(f"{ref}: ") for line in reason.splitlines())
        with QuarantineSink(
            self.clients.s3,
            ref.under(settings.rejected_rows_prefix),
            ref,
            header_row(cells, REJECTED_COLUMNS),
            kms_key_id=settings.quarantine_kms_key_id,
        ) as rejected:
            rejected.add(
                [
                    *([""] * len(cells)),
                    "1",
                    neutralise_cell(f"file rejected, no row read: {why}; its rows are in {where}"),
                ]
            )
            written = rejected.publish()
        if written is not None:
            report.rejected_rows_object = str(written.ref)
        self._checkpoint(State.REJECTED, reader=reader, detail=why[:500])

    def _checkpoint(
        self,
        state: State,
        *,
        reader: ObjectReader | None = None,
        offset: int = 0,
        line: int = 1,
        header: list[str] | None = None,
        rejected: WrittenObject | None = None,
        failed: WrittenObject | None = None,
        etag: str = "",
        execution: str = "",
        detail: str = "",
    ) -> None:
        progress = Progress(
            identity=self.ref.identity,
            state=state,
            etag=etag or (reader.etag if reader else ""),
            next_offset=offset,
            next_line=line,
            header=header or [],
            rejected=rejected,
            failed=failed,
            execution=execution,
            updated_by=self.context.lease_owner,
            detail=detail,
        )
        try:
            write_progress(
                self.clients.dynamodb,
                self.settings.table_name,
                progress,
                self.policies.bookkeeping,
                int(self.context.now().timestamp()),
            )
        except ProgressUnavailable as error:
            self.report.warnings.append(f"{error}: a retry starts from the previous checkpoint")


@dataclass(frozen=True, slots=True)
class _Input:
    """A row to score: the record, a prediction kept from an earlier attempt, and where the record ends in the
    object (None for rows that do not come from the object's stream)."""

    csv_line: CsvLine
    kept: KeptPrediction | None
    position: Position | None


def _stream_inputs(stream: Iterator[tuple[CsvLine, Position]]) -> Iterator[_Input]:
    for csv_line, position in stream:
        yield _Input(csv_line, None, position)


def _chain(iterators: list[Iterator[_Input]]) -> Iterator[_Input]:
    for iterator in iterators:
        yield from iterator


def _is_empty(csv_line: CsvLine) -> bool:
    """A blank line, or a row of empty cells: skipped, never counted as a row."""
    return csv_line.error is None and not any(cell.strip() for cell in csv_line.cells)


def _records_from(reader: ObjectReader, offset: int, line: int) -> Iterator[tuple[CsvLine, Position]]:
    return records(ByteLines(reader.read, start_offset=offset, start_line=line))


def _sink_factory(
    s3: Any, ref: ObjectRef, settings: Settings, suffix: str = ""
) -> Callable[[str, list[str], WrittenObject | None], QuarantineSink]:
    def sink(prefix: str, header: list[str], carry: WrittenObject | None) -> QuarantineSink:
        return QuarantineSink(
            s3, ref.under(prefix, suffix), ref, header, kms_key_id=settings.quarantine_kms_key_id, carry=carry
        )

    return sink


@dataclass(frozen=True, slots=True)
class _Outputs:
    """Where an attempt's rejected and failed rows go, and what personal data they must not show."""

    rejected: QuarantineSink
    failed: QuarantineSink
    redaction: Redaction

    def reject(self, line: int, cells: list[str], reason: str) -> None:
        self.rejected.add([*self.redaction.apply(cells), str(line), neutralise_cell(reason)])

    def fail(self, line: int, cells: list[str], reason: str, kept: KeptPrediction | None) -> None:
        self.failed.add([*self.redaction.apply(cells), *failed_extra_cells(line, reason, kept)])


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
    failed: list[tuple[ValidRow, str, KeptPrediction | None]] = field(default_factory=list)


class _FileScorer:
    """The concurrent part of scoring rows of one file (or one slice of it)."""

    def __init__(
        self,
        ref: ObjectRef,
        header: Header,
        settings: Settings,
        clients: Clients,
        context: InvocationContext,
        policies: Policies,
        report: FileReport,
        outputs: _Outputs,
        *,
        source_version: str | None,
        kept_by_id: Mapping[str, KeptPrediction] | None = None,
    ) -> None:
        self._ref, self._source = ref, str(ref)
        self._source_version = source_version if source_version and source_version != "null" else None
        self._settings, self._clients, self._context = settings, clients, context
        self._report, self._outputs = report, outputs
        self._validator = RowValidator(header, keep_personal_data=settings.store_personal_data)
        self._policies = policies
        self._chunk_rows = max(CHUNK_ROWS, settings.records_per_request)
        requests_per_chunk = math.ceil(self._chunk_rows / settings.records_per_request)
        # A chunk spends part of its life in DynamoDB calls (check, writes). Twice the chunks needed to fill
        # MAX_CONCURRENCY requests keeps the endpoint busy meanwhile; a few more start the next ones early.
        self._chunk_workers = (
            min(2 * math.ceil(settings.max_concurrency / requests_per_chunk), settings.max_concurrency) + 2
        )
        self._in_flight: dict[str, int] = {}  # Transaction ID -> line, for rows not yet finished
        self._kept: dict[str, KeptPrediction] = dict(kept_by_id or {})

    def run(self, inputs: Iterator[_Input], *, stop_early: bool) -> Position | None:
        """Score ``inputs``; with ``stop_early``, stop reading when the time reserve begins.

        Returns the position after the last record read from the object's stream when it stopped there (None
        otherwise)."""
        report = self._report
        pending: set[Future[_ChunkOutcome]] = set()
        chunk: list[ValidRow] = []
        last_position: Position | None = None
        stopped_with_inputs_left = False
        with (
            ThreadPoolExecutor(self._settings.max_concurrency, thread_name_prefix="invoke") as invoke_pool,
            ThreadPoolExecutor(self._chunk_workers, thread_name_prefix="chunk") as chunk_pool,
        ):
            for item in inputs:
                report.rows_read += 1
                if item.position is not None:
                    last_position = item.position
                row = self._row(item)
                if row is not None:
                    chunk.append(row)
                    if len(chunk) == self._chunk_rows:
                        pending.add(chunk_pool.submit(self._score_chunk, chunk, invoke_pool))
                        chunk = []
                        pending = self._collect(pending, block=len(pending) >= self._chunk_workers + 1)
                if (
                    stop_early
                    and report.rows_read % CHUNK_ROWS == 0
                    and self._out_of_time(item.csv_line.line)
                ):
                    stopped_with_inputs_left = True
                    break
            if chunk:
                pending.add(chunk_pool.submit(self._score_chunk, chunk, invoke_pool))
            while pending:
                pending = self._collect(pending, block=True)
        if stopped_with_inputs_left and last_position is None:
            # Stopped while retrying an earlier attempt's failed rows: keep the others for the next attempt.
            for item in inputs:
                if item.position is not None:
                    break
                self._outputs.fail(
                    item.csv_line.line,
                    item.csv_line.cells,
                    "not retried yet: the attempt ran out of time",
                    item.kept,
                )
                report.rows_read += 1
                report.note_failed("not retried yet: the attempt ran out of time")
        if report.rows_failed and report.status is FileStatus.SCORED:
            report.status = FileStatus.PARTLY_FAILED
        return last_position if stopped_with_inputs_left else None

    def _out_of_time(self, line: int) -> bool:
        """Whether to stop reading: the Lambda timeout is less than TIME_RESERVE_S away."""
        if self._context.remaining_s() >= self._settings.time_reserve_s:
            return False
        report = self._report
        report.status, report.stopped_after_line = FileStatus.INCOMPLETE, line
        report.message = (
            f"{self._ref}: stopped after line {line}, {self._settings.time_reserve_s} s before the Lambda "
            "timeout; Lambda's retry continues from the next line"
        )
        return True

    def _row(self, item: _Input) -> ValidRow | None:
        """The valid row of an input, or None once it has gone to the rejected rows."""
        csv_line = item.csv_line
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
                if item.kept is not None:
                    self._kept[result.transaction_id] = item.kept
                return result
            result = RejectedRow(
                result.line,
                result.cells,
                f"duplicate Transaction ID {result.transaction_id!r}: first seen on line {first_line} "
                "of this file",
                ("Transaction ID",),
                result.transaction_id,
            )
        self._outputs.reject(result.line, result.cells, result.reason)
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
            self._outputs.reject(row.line, row.cells, reason)
            report.note_rejected(row.line, ("Transaction ID",))
        for row, reason, kept in outcome.failed:
            self._outputs.fail(row.line, row.cells, reason, kept)
            report.note_failed(reason)
        for row in outcome.rows:
            self._in_flight.pop(row.transaction_id, None)
            self._kept.pop(row.transaction_id, None)

    # -- runs in a chunk worker ------------------------------------------------------------------------
    def _score_chunk(self, rows: list[ValidRow], invoke_pool: ThreadPoolExecutor) -> _ChunkOutcome:
        outcome = _ChunkOutcome(rows=rows)
        settings, clients = self._settings, self._clients
        try:
            stored = store.find_stored(
                clients.dynamodb, settings.table_name, [r.transaction_id for r in rows], self._policies.table
            )
        except store.StoreFailure as failure:
            outcome.failed = [
                (
                    row,
                    f"not scored: could not check the table for stored rows: {failure.reason}",
                    self._kept.get(row.transaction_id),
                )
                for row in rows
            ]
            return outcome
        to_score: list[ValidRow] = []
        scored: list[store.ScoredRow] = []
        for row in rows:
            ref = stored.get(row.transaction_id)
            if ref is None:
                kept = self._kept.get(row.transaction_id)
                if kept is None:
                    to_score.append(row)
                else:  # scored by an earlier attempt, which could not store it: store it, do not re-send it
                    scored.append(_scored_from_kept(row, kept))
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
                self._policies.endpoint,
            )
            for batch in batches
        ]
        for batch, future in zip(batches, futures, strict=True):
            try:
                answer = future.result()
            except EndpointFailure as failure:
                outcome.requests += failure.requests
                outcome.retries += failure.retries
                outcome.failed.extend((row, f"not scored: {failure.reason}", None) for row in batch)
                continue
            outcome.requests += 1
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
        items = [
            store.prediction_item(
                s,
                endpoint_name=settings.endpoint_name,
                source_object=self._source,
                source_version=self._source_version,
            )
            for s in scored
        ]
        failures = store.write_items_isolating(
            self._clients.dynamodb, settings.table_name, items, self._policies.table
        )
        for index, reason in failures.items():
            # The prediction goes with the row into the failed-rows file: the retry stores it without
            # invoking the endpoint again.
            outcome.failed.append(
                (scored[index].row, f"scored but not stored: {reason}", _kept_from_scored(scored[index]))
            )
        outcome.stored += len(scored) - len(failures)


def _kept_from_scored(scored: store.ScoredRow) -> KeptPrediction:
    return KeptPrediction(
        label=scored.prediction.label,
        probability_pct=scored.prediction.probability_pct,
        inference_id=scored.inference_id,
        variant=scored.variant,
        scored_at=scored.scored_at,
    )


def _scored_from_kept(row: ValidRow, kept: KeptPrediction) -> store.ScoredRow:
    prediction = contract.Prediction(label=kept.label, probability_pct=kept.probability_pct)
    return store.ScoredRow(row, prediction, kept.inference_id, kept.variant, kept.scored_at)


def _duplicate_reason(row: ValidRow, ref: store.StoredRef, source: str) -> str:
    if ref.source_object == source:
        return (
            f"duplicate Transaction ID {row.transaction_id!r}: already stored from line {ref.source_line} "
            "of this file"
        )
    where = f"{ref.source_object} line {ref.source_line}" if ref.source_object else "another source"
    return f"duplicate Transaction ID {row.transaction_id!r}: already stored from {where}"
