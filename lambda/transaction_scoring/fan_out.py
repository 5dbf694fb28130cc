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
records, not lines, and does not say how many cells a row had. A slice knows its rows' positions only as item
indexes, so a row's line is ``index + 2`` only when every record is one line with no blank line between; and a
row with too few or too many cells must be rejected, not padded. Files that are not like that (rare) are
scored by the single path, which resumes across Lambda's retries.
"""

from __future__ import annotations

import hashlib
import json
import re
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
from transaction_scoring.s3_objects import ObjectReader, ObjectRef, ObjectUnavailable, QuarantineSink
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
FINISHED = "fan_out_finished"
HEADER_LINE = 1  # the header is the file's first line, so item index i is line i + 2
_EXECUTION_NAME = re.compile(r"[^A-Za-z0-9_-]")


# -- the planner ----------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class RecordCheck:
    """What the planner found: the rows (data records) of the file, or why it cannot be fanned out."""

    rows: int
    problem: str | None


def check_records(
    records: Iterator[tuple[CsvLine, Position]], *, width: int, clock: Callable[[], float], stop_at: float
) -> RecordCheck:
    """Whether every record after the header is one line of ``width`` cells, with no blank line between."""
    expected_line = HEADER_LINE + 1
    rows = 0
    for csv_line, _ in records:
        if csv_line.line != expected_line:
            return RecordCheck(rows, f"line {expected_line} is blank or a quoted cell spans lines there")
        if csv_line.error is not None or len(csv_line.cells) != width:
            return RecordCheck(rows, f"line {csv_line.line} does not have the header's {width} cells")
        rows += 1
        expected_line += 1
        if rows % 10_000 == 0 and clock() > stop_at:
            return RecordCheck(rows, "no time left to check every line")
    return RecordCheck(rows, None)


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


def execution_input(settings: Settings, source: ObjectRef, header: Sequence[str], rows: int) -> dict[str, Any]:
    """The execution's input: what the Distributed Map reads (``source``), hands each slice (``source``,
    ``header``), and its bounds (``fan_out``: read by the definition's ``...Path`` fields, because CloudFormation
    would substitute numbers into a definition as strings)."""
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
        "fan_out": {
            "slice_rows": settings.fan_out_slice_rows,
            "max_concurrency": settings.fan_out_max_concurrency,
            "tolerated_failure_percentage": settings.fan_out_tolerated_failure_percentage,
        },
    }


def start(
    stepfunctions: Any, settings: Settings, source: ObjectRef, header: Sequence[str], rows: int
) -> Started:
    name = execution_name(source)
    try:
        response = stepfunctions.start_execution(
            stateMachineArn=settings.fan_out_state_machine_arn,
            name=name,
            input=json.dumps(execution_input(settings, source, header, rows), separators=(",", ":")),
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

    @property
    def first_line(self) -> int:
        return self.items[0][0] + HEADER_LINE + 1

    @property
    def last_line(self) -> int:
        return self.items[-1][0] + HEADER_LINE + 1

    @property
    def name(self) -> str:
        return f"lines-{self.first_line:010d}-{self.last_line:010d}"

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
        items = [(int(item["index"]), dict(item["row"])) for item in event[SLICE_ITEMS]]
    except (KeyError, TypeError, ValueError) as error:
        raise EventError(
            f"a fan-out slice event needs BatchInput.source, BatchInput.header and Items of {{index, row}} "
            f"(the state machine's ItemSelector and ItemBatcher): {type(error).__name__}: {error}"
        ) from None
    if not items:
        raise EventError("a fan-out slice event has no Items")
    return Slice(source, header, items)


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
    policies = Policies.for_invocation(settings, context)
    lease = Leased(f"{source.identity}#{work.name}", settings, clients, context, policies, report)
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
        scorer.run(_slice_inputs(work), stop_early=False)
        written_rejected, written_failed = rejected.publish(), failed.publish()
    report.rejected_rows_object = str(written_rejected.ref) if written_rejected else None
    report.failed_rows_object = str(written_failed.ref) if written_failed else None


def _slice_inputs(work: Slice) -> Iterator[_Input]:
    for index, row in work.items:
        cells = cells_of(row, work.header)
        if not any(cell.strip() for cell in cells):
            continue  # a row of empty cells: skipped, as the single path's reader skips it
        yield _Input(CsvLine(index + HEADER_LINE + 1, cells), None, None)


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
    map_run: Mapping[str, Any] | None  # {"MapRunArn", "ResultWriterDetails": {"Bucket", "Key"}}
    map_error: Mapping[str, Any] | None  # {"Error", "Cause"} when the Map Run failed


def finished_from_event(event: Mapping[str, Any]) -> Finished:
    try:
        state = event[FINISHED]
        return Finished(
            source=_source(state["source"]),
            header=[str(c) for c in state["header"]],
            rows=int(state["rows"]),
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
    outputs = [r for r in results.reports if r.get("rejected_rows_object") or r.get("failed_rows_object")]
    report.rejected_rows_object = (
        _slices_folder(done.source, settings.rejected_rows_prefix)
        if any(r.get("rejected_rows_object") for r in outputs)
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
    """The child executions' outputs from ResultWriter's manifest
    (https://docs.aws.amazon.com/step-functions/latest/dg/input-output-resultwriter.html)."""
    details = map_run["ResultWriterDetails"]
    manifest = json.loads(s3.get_object(Bucket=details["Bucket"], Key=details["Key"])["Body"].read())
    results = _Results()
    for status, files in manifest.get("ResultFiles", {}).items():
        for result_file in files:
            body = s3.get_object(Bucket=manifest["DestinationBucket"], Key=result_file["Key"])["Body"].read()
            for execution in json.loads(body):
                if status == "SUCCEEDED":
                    # The slice's Task output: {"report": the function's response}, which has one file.
                    (file_report,) = json.loads(execution["Output"])["report"]["files"]
                    results.reports.append(file_report)
                else:
                    results.failures.append(f"{execution.get('Error', '?')}: {execution.get('Cause', '')}")
    return results
