"""The fan-out path: a file too large for one invocation is scored in parallel slices by a Step Functions
Distributed Map (``FanOutStateMachine`` in lambda/template.yml), each slice by this same function.

    S3 event ─► this function (the planner): header checked, every record on one line? ─► StartExecution
    Distributed Map: ItemReader = the object's CSV (that version), ItemSelector adds each row's index,
                     ItemBatcher = slices of rows + the file's identity and header (BatchInput)
                     ─► this function per slice (``score_slice``), at most MaxConcurrency at a time
                     ─► ResultWriter: each slice's report in S3
    then ─► this function once more (``finish``): totals of the slices, the file's checkpoint ``complete``

The per-row contract is the single path's: the same validation, the same items (SourceLine, InferenceId), the
same exactly-once checks, rejected/failed rows in one file per slice (``{prefix}{key}.slices/lines-A-B.csv``).

Why the planner reads the file once before fanning out (``check_records``): Step Functions' CSV reader yields
records, not lines, and does not say how many cells a row had. A slice knows its rows only by item index, and
a quoted cell may span lines (the sandbox's postal addresses do), so the planner writes the line each record
ends on into a *line index* next to the slices' results (4 bytes a row: 4 MB per million rows), and each
slice reads its part with one ranged GET: every stored row keeps the ``SourceLine`` the single path gives it.
Rows with another number of cells than the header are rejected by the planner with their original cells
(Step Functions would pad or cut them) and skipped by the slices. A file with a blank line between rows, an
unreadable record, or more than ``MAX_WRONG_WIDTH_ROWS`` such rows is scored by the single path instead.
"""

from __future__ import annotations

import hashlib
import json
import re
import struct
import sys
from array import array
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from botocore.exceptions import ClientError

from transaction_scoring import quarantine
from transaction_scoring.clients import Clients
from transaction_scoring.errors import EventError
from transaction_scoring.progress import Progress, ProgressUnavailable, State, write_progress
from transaction_scoring.quarantine import (
    FAILED_COLUMNS,
    REJECTED_COLUMNS,
    KeptPrediction,
    Redaction,
    header_row,
)
from transaction_scoring.reading import Position
from transaction_scoring.report import COUNTS, FileReport, FileStatus
from transaction_scoring.rows import CsvLine, Header
from transaction_scoring.s3_objects import (
    ObjectReader,
    ObjectRef,
    ObjectUnavailable,
    QuarantineSink,
    StreamingUpload,
)
from transaction_scoring.scoring import (
    InvocationContext,
    Leased,
    Policies,
    _FileScorer,
    _Input,
    _Outputs,
)
from transaction_scoring.settings import Settings

# The keys of the events the state machine sends (see FanOutStateMachine in lambda/template.yml).
SLICE_ITEMS = "Items"
SLICE_INPUT = "BatchInput"
SLICE_EXECUTION = "Execution"  # $$.Execution.Id of the child execution
FINISHED = "fan_out_finished"
HEADER_LINE = 1  # the header is the file's first line, so item index i is line i + 2
FIRST_ROW_LINE = HEADER_LINE + 1
# Rows with another number of cells than the header: rejected by the planner, skipped by the slices (their
# indexes travel in every slice's BatchInput, so there may be only so many).
MAX_WRONG_WIDTH_ROWS = 1000
PLANNER_OUTPUT_SUFFIX = ".slices/rows-with-wrong-cell-counts.csv"
_EXECUTION_NAME = re.compile(r"[^A-Za-z0-9_-]")


# -- the planner ----------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class RecordCheck:
    """What the planner found: the rows of the file, those of another width than the header (rejected by the
    planner), or why the file cannot be fanned out."""

    rows: int
    problem: str | None
    wrong_width: list[CsvLine] = field(default_factory=list)
    wrong_width_indexes: list[int] = field(default_factory=list)


LINE_INDEX_ITEM = struct.Struct("<I")  # the line a record ends on, per item index


def line_index_upload(s3: Any, settings: Settings, source: ObjectRef) -> StreamingUpload:
    """Where the planner streams the line index of ``source``: under the fan-out results prefix."""
    key = f"{settings.fan_out_results_prefix}line-index/{execution_name(source)}.u32"
    return StreamingUpload(
        s3,
        ObjectRef(source.bucket, key),
        source,
        content_type="application/octet-stream",
        kms_key_id=settings.quarantine_kms_key_id,
    )


def check_records(
    records: Iterator[tuple[CsvLine, Position]],
    *,
    width: int,
    index: StreamingUpload,
    clock: Callable[[], float],
    stop_at: float,
) -> RecordCheck:
    """Write the line of every record after the header to ``index`` (item index i at byte 4i); find rows with
    another number of cells than ``width``; refuse blank lines between rows and unreadable records.

    ``records`` must not skip rows of empty cells (Step Functions' reader yields them as items).
    """
    rows = 0
    wrong_width: list[CsvLine] = []
    wrong_width_indexes: list[int] = []
    lines = array("I")
    blank_line: int | None = None
    for csv_line, _ in records:
        if not csv_line.cells and csv_line.error is None:
            blank_line = blank_line or csv_line.line  # harmless at the end of the file only
            continue
        if blank_line is not None:
            return RecordCheck(rows, f"line {blank_line} is blank, between rows")
        if csv_line.error is not None:
            return RecordCheck(rows, f"line {csv_line.line} is not readable CSV ({csv_line.error})")
        if len(csv_line.cells) != width:
            wrong_width.append(csv_line)
            wrong_width_indexes.append(rows)
            if len(wrong_width) > MAX_WRONG_WIDTH_ROWS:
                return RecordCheck(
                    rows, f"more than {MAX_WRONG_WIDTH_ROWS} rows do not have the header's {width} cells"
                )
        lines.append(csv_line.line)
        rows += 1
        if len(lines) == 65_536:
            index.write(lines.tobytes())
            del lines[:]
            if clock() > stop_at:
                return RecordCheck(rows, "no time left to check every line")
    index.write(lines.tobytes())
    return RecordCheck(rows, None, wrong_width, wrong_width_indexes)


def read_lines(s3: Any, index: ObjectRef, first: int, last: int) -> dict[int, int]:
    """The lines of item indexes ``first``..``last`` from a line index (one ranged GET)."""
    size = LINE_INDEX_ITEM.size
    request: dict[str, Any] = {
        "Bucket": index.bucket,
        "Key": index.key,
        "Range": f"bytes={first * size}-{(last + 1) * size - 1}",
    }
    if index.version_id:
        request["VersionId"] = index.version_id
    body = s3.get_object(**request)["Body"]
    try:
        data = body.read()
    finally:
        body.close()
    lines = array("I")
    lines.frombytes(data)
    if sys.byteorder != "little":
        lines.byteswap()
    if len(lines) != last - first + 1:
        raise EventError(
            f"{index}: line index has {len(lines)} of the {last - first + 1} items {first}..{last}"
        )
    return {first + i: line for i, line in enumerate(lines)}


@dataclass(frozen=True, slots=True)
class Started:
    execution_arn: str
    existed: bool


def execution_name(source: ObjectRef) -> str:
    """One execution per object version (a redelivered event finds it: StartExecution is idempotent on the
    name and input). Names are at most 80 characters of ``[A-Za-z0-9_-]``."""
    digest = hashlib.sha256(source.identity.encode()).hexdigest()[:24]
    readable = _EXECUTION_NAME.sub("-", source.key.rsplit("/", 1)[-1])[:48]
    return f"{readable}-{digest}"


def execution_input(
    settings: Settings,
    source: ObjectRef,
    header: Sequence[str],
    rows: int,
    *,
    line_index: ObjectRef | None = None,
    skip: Sequence[int] = (),
) -> dict[str, Any]:
    """The execution's input: what the Distributed Map reads (``source``), hands each slice (``source``,
    ``header``), and its bounds (``fan_out``: read by the definition's ``...Path`` fields, because
    CloudFormation would substitute numbers into a definition as strings)."""
    return {
        "source": {
            "bucket": source.bucket,
            "key": source.key,
            "version_id": source.version_id,
            "etag": source.etag,
            "size": source.size,
        },
        "header": list(header),
        "rows": rows,
        "skip": list(skip),  # item indexes of rows the planner rejected (wrong number of cells)
        "line_index": None
        if line_index is None
        else {"bucket": line_index.bucket, "key": line_index.key, "version_id": line_index.version_id},
        "fan_out": {
            "slice_rows": settings.fan_out_slice_rows,
            "max_concurrency": settings.fan_out_max_concurrency,
            "tolerated_failure_percentage": settings.fan_out_tolerated_failure_percentage,
        },
    }


def start(
    stepfunctions: Any,
    settings: Settings,
    source: ObjectRef,
    header: Sequence[str],
    rows: int,
    *,
    line_index: ObjectRef,
    skip: Sequence[int] = (),
) -> Started:
    name = execution_name(source)
    try:
        response = stepfunctions.start_execution(
            stateMachineArn=settings.fan_out_state_machine_arn,
            name=name,
            input=json.dumps(
                execution_input(settings, source, header, rows, line_index=line_index, skip=skip),
                separators=(",", ":"),
            ),
        )
    except ClientError as error:
        if error.response.get("Error", {}).get("Code") != "ExecutionAlreadyExists":
            raise
        arn = settings.fan_out_state_machine_arn.replace(":stateMachine:", ":execution:") + f":{name}"
        return Started(arn, existed=True)
    return Started(str(response["executionArn"]), existed=False)


# -- one slice ------------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Slice:
    """A batch of the Distributed Map: rows ``first_line``..``last_line`` of one object version."""

    source: ObjectRef
    header: list[str]
    items: Sequence[tuple[int, Mapping[str, Any]]]  # (item index, row as the CSV reader keyed it)
    line_index: ObjectRef
    skip: frozenset[int] = frozenset()  # item indexes the planner rejected
    execution: str | None = None  # the child execution scoring it (the same for Step Functions' retries)

    @property
    def first_index(self) -> int:
        return min(index for index, _ in self.items)

    @property
    def last_index(self) -> int:
        return max(index for index, _ in self.items)

    @property
    def name(self) -> str:
        """Named by its rows' item indexes (stable across retries); the lines are in the rows it writes."""
        return f"rows-{self.first_index + 1:010d}-{self.last_index + 1:010d}"

    @property
    def output_suffix(self) -> str:
        """Where this slice's rejected/failed rows go, after the file's key: one file per slice, all under
        ``{prefix}{key}.slices/`` so a person finds them together."""
        return f".slices/{self.name}.csv"


def is_slice_event(event: Mapping[str, Any]) -> bool:
    return SLICE_ITEMS in event and SLICE_INPUT in event


def slice_from_event(event: Mapping[str, Any]) -> Slice:
    try:
        batch_input = event[SLICE_INPUT]
        source = _source(batch_input["source"])
        header = [str(cell) for cell in batch_input["header"]]
        skip = frozenset(int(index) for index in batch_input.get("skip") or ())
        index = batch_input["line_index"]
        line_index = ObjectRef(str(index["bucket"]), str(index["key"]), index.get("version_id") or None)
        items = [(int(item["index"]), dict(item["row"])) for item in event[SLICE_ITEMS]]
    except (KeyError, TypeError, ValueError) as error:
        raise EventError(
            f"a fan-out slice event needs BatchInput.source, BatchInput.header and Items of {{index, row}} "
            f"(the state machine's ItemSelector and ItemBatcher): {type(error).__name__}: {error}"
        ) from None
    if not items:
        raise EventError("a fan-out slice event has no Items")
    execution = event.get(SLICE_EXECUTION)
    return Slice(source, header, items, line_index, skip, str(execution) if execution else None)


def _source(value: Mapping[str, Any]) -> ObjectRef:
    return ObjectRef(
        bucket=str(value["bucket"]),
        key=str(value["key"]),
        version_id=value.get("version_id") or None,
        etag=value.get("etag") or None,
        size=int(value["size"]) if value.get("size") is not None else None,
    )


def cells_of(row: Mapping[str, Any], header: Sequence[str]) -> list[str]:
    """A row's cells in the header's order. The reader keys a row by the header cells as they are in the file
    (a BOM may stick to the first one), so keys are matched after dropping it."""
    by_name = {str(key).lstrip("\ufeff"): "" if value is None else str(value) for key, value in row.items()}
    return [by_name.get(name.lstrip("\ufeff"), "") for name in header]


def score_slice(work: Slice, settings: Settings, clients: Clients, context: InvocationContext) -> FileReport:
    """Score one slice exactly as the single path scores rows; its outputs are named after the slice."""
    source = work.source
    report = FileReport(source_object=f"{source} {work.name}")
    if not work.items:
        return report
    policies = Policies.for_invocation(settings, context)
    # Owned by the child execution: a retry of the slice (the same child execution, after the earlier attempt
    # ended) takes over a lease that attempt could not release, instead of failing on it until it expires.
    lease = Leased(
        f"{source.identity}#{work.name}", settings, clients, context, policies, report, work.execution
    )
    if not lease.acquire():
        return report
    try:
        _score_leased_slice(work, settings, clients, context, policies, report)
    finally:
        lease.release()
    return report


def _score_leased_slice(
    work: Slice,
    settings: Settings,
    clients: Clients,
    context: InvocationContext,
    policies: Policies,
    report: FileReport,
) -> None:
    source = work.source
    header = Header.parse(work.header, where=str(source))
    failed_ref = source.under(settings.failed_rows_prefix, work.output_suffix)
    kept = _kept_predictions(clients.s3, failed_ref)

    def sink(prefix: str, columns: Sequence[str]) -> QuarantineSink:
        return QuarantineSink(
            clients.s3,
            source.under(prefix, work.output_suffix),
            source,
            header_row(header.cells, columns),
            kms_key_id=settings.quarantine_kms_key_id,
        )

    redaction = Redaction.for_header(header.cells, keep_personal_data=settings.store_personal_data)
    with (
        sink(settings.rejected_rows_prefix, REJECTED_COLUMNS) as rejected,
        sink(settings.failed_rows_prefix, FAILED_COLUMNS) as failed,
    ):
        scorer = _FileScorer(
            source,
            header,
            settings,
            clients,
            context,
            policies,
            report,
            _Outputs(rejected, failed, redaction),
            source_version=source.version_id,
            kept_by_id=kept,
        )
        lines = read_lines(clients.s3, work.line_index, work.first_index, work.last_index)
        scorer.run(_slice_inputs(work, lines), stop_early=False)
        written_rejected, written_failed = rejected.publish(), failed.publish()
    report.rejected_rows_object = str(written_rejected.ref) if written_rejected else None
    report.failed_rows_object = str(written_failed.ref) if written_failed else None


def _slice_inputs(work: Slice, lines: Mapping[int, int]) -> Iterator[_Input]:
    for index, row in work.items:
        if index in work.skip:
            continue  # rejected by the planner: the row has another number of cells than the header
        cells = cells_of(row, work.header)
        if not any(cell.strip() for cell in cells):
            continue  # a row of empty cells: skipped, as the single path's reader skips it
        yield _Input(CsvLine(lines[index], cells), None, None)


def _kept_predictions(s3: Any, failed_ref: ObjectRef) -> dict[str, KeptPrediction]:
    """Predictions an earlier attempt at this slice kept for rows it could not store, by Transaction ID."""
    from transaction_scoring.reading import ByteLines, records

    try:
        reader = ObjectReader(s3, failed_ref)
    except ObjectUnavailable:
        return {}
    kept: dict[str, KeptPrediction] = {}
    try:
        rows = records(ByteLines(reader.read))
        first = next(rows, None)
        if first is None:
            return {}
        try:
            parser = quarantine.FailedRowParser(first[0].cells)
            position = Header.parse(parser.input_header, where=str(failed_ref)).positions
        except (quarantine.FailedFileError, ValueError):
            return {}
        id_column = position["Transaction ID"]
        for csv_line, _ in rows:
            try:
                failed_row = parser.parse(csv_line.cells)
            except (quarantine.FailedFileError, ValueError):
                continue
            if failed_row.kept is not None:
                kept[failed_row.cells[id_column].strip()] = failed_row.kept
    finally:
        reader.close()
    return kept


# -- the end of an execution ----------------------------------------------------------------------------


def is_finished_event(event: Mapping[str, Any]) -> bool:
    return FINISHED in event


@dataclass
class Finished:
    """The execution's input, and what its Map state ended with."""

    source: ObjectRef
    header: list[str]
    rows: int
    planner_rejected: int  # rows of another width than the header, rejected before the fan-out
    map_run: Mapping[str, Any] | None  # {"MapRunArn", "ResultWriterDetails": {"Bucket", "Key"}}
    map_error: Mapping[str, Any] | None  # {"Error", "Cause"} when the Map Run failed


def finished_from_event(event: Mapping[str, Any]) -> Finished:
    try:
        state = event[FINISHED]
        return Finished(
            source=_source(state["source"]),
            header=[str(c) for c in state["header"]],
            rows=int(state["rows"]),
            planner_rejected=len(state.get("skip") or ()),
            map_run=state.get("map_run"),
            map_error=state.get("map_error"),
        )
    except (KeyError, TypeError, ValueError) as error:
        raise EventError(
            f"a fan-out finished event needs the execution's input: {type(error).__name__}: {error}"
        ) from None


def finish(done: Finished, settings: Settings, clients: Clients, context: InvocationContext) -> FileReport:
    """Add up the slices' reports (ResultWriter's files), mark the file's checkpoint, report the file."""
    report = FileReport(source_object=str(done.source))
    results = _results(clients.s3, done.map_run) if done.map_run else _Results()
    for count in COUNTS:
        setattr(report, count, sum(int(r.get(count, 0)) for r in results.reports))
    report.rows_read += done.planner_rejected
    report.rows_rejected += done.planner_rejected
    outputs = [r for r in results.reports if r.get("rejected_rows_object") or r.get("failed_rows_object")]
    report.rejected_rows_object = (
        _slices_folder(done.source, settings.rejected_rows_prefix)
        if done.planner_rejected or any(r.get("rejected_rows_object") for r in outputs)
        else None
    )
    report.failed_rows_object = (
        _slices_folder(done.source, settings.failed_rows_prefix)
        if any(r.get("failed_rows_object") for r in outputs)
        else None
    )
    slices_failed = results.failed_slices
    if done.map_error is not None or slices_failed:
        report.status = FileStatus.PARTLY_FAILED
        problem = (
            f"the Map Run failed: {done.map_error.get('Error')}: {str(done.map_error.get('Cause'))[:300]}"
            if done.map_error is not None
            else f"{slices_failed} slices failed after Step Functions' retries "
            f"(first: {results.failures[0][:300]})"
        )
        report.message = (
            f"{done.source}: {problem}; their rows are in "
            f"{report.failed_rows_object or 'the failed-rows files'}; redrive the execution when the cause "
            "is fixed (stored rows are skipped)"
        )
    else:
        report.message = (
            f"{done.source}: {len(results.reports)} slices, {done.rows:,} rows; rejected and failed rows "
            f"are in one file per slice under {settings.rejected_rows_prefix}{done.source.key}.slices/ and "
            f"{settings.failed_rows_prefix}{done.source.key}.slices/"
        )
    state = State.COMPLETE if report.status is FileStatus.SCORED else State.FANNED_OUT
    policies = Policies.for_invocation(settings, context)
    try:
        write_progress(
            clients.dynamodb,
            settings.table_name,
            Progress(
                identity=done.source.identity,
                state=state,
                etag=done.source.etag or "",
                header=done.header,
                execution=str((done.map_run or {}).get("MapRunArn", "")),
                updated_by=context.lease_owner,
                detail=report.message[:500] if report.message else "",
            ),
            policies.bookkeeping,
            int(context.now().timestamp()),
        )
    except ProgressUnavailable as error:
        report.warnings.append(str(error))
    return report


def _slices_folder(source: ObjectRef, prefix: str) -> str:
    return f"s3://{source.bucket}/{prefix}{source.key}.slices/"


@dataclass
class _Results:
    reports: list[Mapping[str, Any]] = field(default_factory=list)  # one per slice that succeeded
    failures: list[str] = field(default_factory=list)  # the error of each slice that failed

    @property
    def failed_slices(self) -> int:
        return len(self.failures)


def _results(s3: Any, map_run: Mapping[str, Any]) -> _Results:
    """The slices' reports from ResultWriter's manifest and files
    (https://docs.aws.amazon.com/step-functions/latest/dg/input-output-resultwriter.html).

    With ``Transformation: COMPACT`` a succeeded entry is the slice's Task output itself; with ``NONE`` it is
    the child execution's record, whose ``Output`` is that output as a string. Both are read.
    """
    details = map_run["ResultWriterDetails"]
    manifest = json.loads(_read(s3, details["Bucket"], details["Key"]))
    results = _Results()
    for status, files in manifest.get("ResultFiles", {}).items():
        for result_file in files:
            for entry in json.loads(_read(s3, manifest["DestinationBucket"], result_file["Key"])):
                if status == "SUCCEEDED":
                    output = json.loads(entry["Output"]) if "Output" in entry else entry
                    # The slice's Task output: {"report": the function's response}, which has one file.
                    (file_report,) = output["report"]["files"]
                    results.reports.append(file_report)
                else:
                    results.failures.append(f"{entry.get('Error', status)}: {entry.get('Cause', '')}")
    return results


def _read(s3: Any, bucket: str, key: str) -> bytes:
    body = s3.get_object(Bucket=bucket, Key=key)["Body"]
    try:
        data: bytes = body.read()
    finally:
        body.close()
    return data
