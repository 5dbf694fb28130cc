"""Read an endpoint's data capture (S3 or a local folder) into columnar batches: one row per record.

Input: SageMaker's data-capture JSON Lines (``pipelines.capture`` documents the format) under
``{capture_root}/{endpoint}/{variant}/yyyy/mm/dd/hh/``; a window selects the hour folders that overlap it, as
Model Monitor's hourly executions do. Each request's ``endpointInput`` (``CSV``, ``JSON`` or ``BASE64``
holding JSON or CSV) may hold one record or several (a JSON list of objects, or CSV lines); each record
becomes one row with the request's feature columns (CSV columns are named ``_c0``, ``_c1``... like the
analyzer does) and the metadata columns below. The response (``endpointOutput``) is matched to the records
by position: JSON objects give ``__predicted_label``/``__predicted_probability`` from configurable attribute
names (default: the endpoint contract's ``class`` and ``probability``, in percent); a JSON number, or a CSV
line with one value, is a probability; a CSV line ``label,probability`` gives both.

Robustness: a line that is not a capture record, or a request whose payload cannot be decoded, is counted
and kept in ``report.unreadable`` as ``file:line: reason`` — never dropped silently, never fatal. A response
that does not fit its request (bad payload, other record count) leaves the predictions empty and is kept in
``report.response_problems``.

Speed: JSON is parsed by Arrow's multi-threaded JSON reader (envelopes and payloads alike), CSV and BASE64
by polars; Python only walks lines on the error path, and the next batch is parsed on a thread while the
caller works on the current one. Files are processed in groups of about ``batch_bytes``, so memory
is bounded by the group size and the number of features, not by the number of records.
"""

from __future__ import annotations

import base64
import binascii
import csv
import io
import json
import queue
import threading
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field

import polars as pl
import pyarrow as pa
import pyarrow.json as pa_json
from transaction_scoring.contract import CLASS_FIELD, PROBABILITY_FIELD, TRANSACTION_ID

from pipelines.capture import CaptureEncoding, CaptureFormatError, parse_capture_line
from pipelines.storage import Storage, join_location
from pipelines.timewindow import TimeWindow

# Metadata columns added to every record (features never start with "__").
EVENT_ID = "__event_id"
INFERENCE_ID = "__inference_id"
INFERENCE_TIME = "__inference_time"
RECORD_INDEX = "__record_index"
RECORD_ID = "__record_id"
PREDICTED_LABEL = "__predicted_label"
PREDICTED_PROBABILITY = "__predicted_probability"
METADATA_COLUMNS = (
    EVENT_ID,
    INFERENCE_ID,
    INFERENCE_TIME,
    RECORD_INDEX,
    RECORD_ID,
    PREDICTED_LABEL,
    PREDICTED_PROBABILITY,
)

DEFAULT_BATCH_BYTES = 32 * 1024 * 1024
_REQUEST = "__request"  # internal: row number of the request within a group
_WHERE = "__where"  # internal: file:line of the request (or file<NUL>row, resolved when reported)
_ROW_SEPARATOR = "\x00"

_PAYLOAD = pa.struct(
    [
        ("observedContentType", pa.string()),
        ("mode", pa.string()),
        ("data", pa.string()),
        ("encoding", pa.string()),
    ]
)
_ENVELOPE_SCHEMA = pa.schema(
    [
        ("captureData", pa.struct([("endpointInput", _PAYLOAD), ("endpointOutput", _PAYLOAD)])),
        (
            "eventMetadata",
            pa.struct(
                [("eventId", pa.string()), ("inferenceId", pa.string()), ("inferenceTime", pa.string())]
            ),
        ),
    ]
)


@dataclass(frozen=True, slots=True)
class ResponseFields:
    """Attribute names of a JSON prediction object (defaults: the endpoint contract)."""

    label: str = CLASS_FIELD
    probability: str = PROBABILITY_FIELD


@dataclass(frozen=True, slots=True)
class ReadProblem:
    where: str  # file:line
    reason: str

    def __str__(self) -> str:
        return f"{self.where}: {self.reason}"


@dataclass
class CaptureReadReport:
    """What was read, and what could not be."""

    files: int = 0
    captured_requests: int = 0  # readable capture lines
    records: int = 0
    unreadable: list[ReadProblem] = field(default_factory=list)  # lines or requests without records
    response_problems: list[ReadProblem] = field(default_factory=list)  # records kept without predictions

    @property
    def unreadable_lines(self) -> int:
        return len(self.unreadable)


def capture_files(
    storage: Storage,
    capture_root: str,
    endpoint: str,
    window: TimeWindow | None = None,
    variant: str | None = None,
) -> list[str]:
    """The capture files of ``endpoint`` (all variants unless one is named) in the window's hour folders.

    With a variant, only the window's hour folders are listed; without one, the endpoint's whole prefix is
    listed once and filtered (variant names are not known in advance).
    """
    if variant and window is not None:
        return [
            path
            for partition in window.partitions()
            for path in storage.list_files(
                join_location(capture_root, endpoint, variant, partition), ".jsonl"
            )
        ]
    base = (
        join_location(capture_root, endpoint, variant) if variant else join_location(capture_root, endpoint)
    )
    files = storage.list_files(base, suffix=".jsonl")
    if window is None:
        return files
    hours = [f"/{partition}/" for partition in window.partitions()]
    return [f for f in files if any(hour in f.replace("\\", "/") for hour in hours)]


class CaptureReader:
    """Streams capture files as record batches; ``report`` accumulates counts and problems."""

    def __init__(
        self,
        storage: Storage,
        *,
        response_fields: ResponseFields = ResponseFields(),
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

    def _problem(self, where: str, reason: str) -> ReadProblem:
        """A problem at ``where``: ``file:line``, or ``file<NUL>row`` from the fast path (resolved here)."""
        path, separator, row = where.partition(_ROW_SEPARATOR)
        if separator:
            numbers = self._line_numbers.get(path)
            if numbers is None:
                data = self._storage.read_bytes(path)
                numbers = [i for i, line in enumerate(data.split(b"\n"), start=1) if line.strip()]
                self._line_numbers = {path: numbers}  # problems come file by file: keep one
            where = f"{path}:{numbers[int(row)]}" if int(row) < len(numbers) else f"{path}:?"
        return ReadProblem(where, reason)

    def read(self, files: Iterable[str]) -> pl.DataFrame:
        """All records at once (for small windows and tests)."""
        frames = list(self.batches(files))
        return pl.concat(frames, how="diagonal_relaxed") if frames else pl.DataFrame()

    def batches(self, files: Iterable[str]) -> Iterator[pl.DataFrame]:
        """Record batches; with ``prefetch`` the next batch is parsed on a thread while this one is used.

        Parsing is mostly Arrow and polars work that runs without the GIL, so on two cores it overlaps with
        the consumer's Python work (profiling).
        """
        if not self._prefetch:
            yield from self._produce(files)
            return
        handoff: queue.Queue[object] = queue.Queue(maxsize=1)
        stop = threading.Event()

        def hand_over(item: object) -> bool:
            """Put ``item`` for the consumer; False once the consumer has gone away."""
            while not stop.is_set():
                try:
                    handoff.put(item, timeout=0.1)
                    return True
                except queue.Full:
                    continue
            return False

        def produce() -> None:
            try:
                for batch in self._produce(files):
                    if not hand_over(batch):
                        return
                hand_over(_DONE)
            except BaseException as exc:  # noqa: BLE001 - handed to the consumer thread and re-raised there
                hand_over(_Failed(exc))

        worker = threading.Thread(target=produce, name="capture-reader", daemon=True)
        worker.start()
        try:
            while True:
                item = handoff.get()
                if item is _DONE:
                    break
                if isinstance(item, _Failed):
                    raise item.error
                assert isinstance(item, pl.DataFrame)
                yield item
        finally:
            stop.set()
            worker.join()

    def _produce(self, files: Iterable[str]) -> Iterator[pl.DataFrame]:
        group: list[pl.DataFrame] = []
        size = 0
        for path in files:
            data = self._storage.read_bytes(path)
            self.report.files += 1
            envelopes = self._envelopes(path, data)
            if envelopes.height:
                group.append(envelopes)
                size += len(data)
            if size >= self._batch_bytes:
                yield from self._records_of(group)
                group, size = [], 0
        if group:
            yield from self._records_of(group)

    # -- envelopes ---------------------------------------------------------------------------------------
    def _envelopes(self, path: str, data: bytes) -> pl.DataFrame:
        """One row per readable capture line: where, payloads and event metadata."""
        frame = _envelopes_fast(path, data)
        if frame is None:
            frame = self._envelopes_slow(path, data)
        self.report.captured_requests += frame.height
        return frame

    def _envelopes_slow(self, path: str, data: bytes) -> pl.DataFrame:
        rows: list[dict[str, object]] = []
        for number, raw in enumerate(data.split(b"\n"), start=1):
            line = raw.strip()
            if not line:
                continue
            where = f"{path}:{number}"
            try:
                record = parse_capture_line(line.decode("utf-8"), where=where)
            except UnicodeDecodeError:
                self.report.unreadable.append(ReadProblem(where, "not UTF-8 text"))
                continue
            except CaptureFormatError as exc:
                reason = "; ".join(p.removeprefix(f"{where}: ") for p in exc.problems)
                self.report.unreadable.append(self._problem(where, reason))
                continue
            if record.endpoint_input is None:
                self.report.unreadable.append(
                    ReadProblem(where, "no endpointInput: the request was not captured")
                )
                continue
            output = record.endpoint_output
            rows.append(
                {
                    _WHERE: where,
                    "in_data": record.endpoint_input.data,
                    "in_encoding": record.endpoint_input.encoding.value,
                    "in_type": record.endpoint_input.observed_content_type,
                    "out_data": None if output is None else output.data,
                    "out_encoding": None if output is None else output.encoding.value,
                    "out_type": None if output is None else output.observed_content_type,
                    EVENT_ID: record.event_id,
                    INFERENCE_ID: record.inference_id,
                    INFERENCE_TIME: record.inference_time,
                }
            )
        return pl.DataFrame(rows, schema=_ENVELOPE_FRAME_SCHEMA)

    # -- records -----------------------------------------------------------------------------------------
    def _records_of(self, group: list[pl.DataFrame]) -> Iterator[pl.DataFrame]:
        requests = pl.concat(group).with_row_index(_REQUEST)
        inputs = self._decode_payloads(requests, "in")
        json_requests = inputs.filter(pl.col("format") == _JSON)
        csv_requests = inputs.filter(pl.col("format") == _CSV)
        parts = []
        if json_requests.height:
            parts.append(self._json_records(json_requests))
        if csv_requests.height:
            parts.append(self._csv_records(csv_requests))
        parts = [p for p in parts if p.height]
        if not parts:
            return
        records = pl.concat(parts, how="diagonal_relaxed") if len(parts) > 1 else parts[0]
        counts = records.group_by(_REQUEST).agg(pl.len().alias("records"))
        predictions = self._predictions(requests.join(counts, on=_REQUEST))
        records = records.join(predictions, on=[_REQUEST, RECORD_INDEX], how="left")
        metadata = requests.select(_REQUEST, EVENT_ID, INFERENCE_ID, INFERENCE_TIME)
        records = records.join(metadata, on=_REQUEST, how="left").sort(_REQUEST, RECORD_INDEX)
        record_id = (
            pl.col(self._record_id_field).cast(pl.String)
            if self._record_id_field in records.columns
            else pl.lit(None, dtype=pl.String)
        )
        records = records.with_columns(record_id.alias(RECORD_ID))
        features = [c for c in records.columns if not c.startswith("__")]
        self.report.records += records.height
        yield records.select(*features, *METADATA_COLUMNS)

    def _decode_payloads(self, requests: pl.DataFrame, side: str) -> pl.DataFrame:
        """``text`` and ``format`` (JSON/CSV) of each request's input or output; undecodable ones reported."""
        data, encoding, content_type = (
            pl.col(f"{side}_data"),
            pl.col(f"{side}_encoding"),
            pl.col(f"{side}_type"),
        )
        is_base64 = encoding == CaptureEncoding.BASE64.value
        frame = requests.select(
            _REQUEST,
            _WHERE,
            pl.when(is_base64).then(None).otherwise(data).alias("text"),
            pl.when(is_base64).then(data).alias("b64"),
            pl.when(encoding == CaptureEncoding.JSON.value)
            .then(pl.lit(_JSON))
            .when(encoding == CaptureEncoding.CSV.value)
            .then(pl.lit(_CSV))
            .when(is_base64 & content_type.str.to_lowercase().str.contains("json"))
            .then(pl.lit(_JSON))
            .when(is_base64 & content_type.str.to_lowercase().str.contains("csv"))
            .then(pl.lit(_CSV))
            .alias("format"),
            content_type.alias("content_type"),
            encoding.alias("encoding"),
        )
        if frame.get_column("b64").is_not_null().any():
            decoded = pl.Series("decoded", _decode_base64(frame), dtype=pl.String)
            frame = frame.with_columns(pl.coalesce(pl.col("text"), decoded).alias("text"))
        bad = frame.filter(pl.col("format").is_null() | pl.col("text").is_null())
        for where, content, enc in bad.select(_WHERE, "content_type", "encoding").iter_rows():
            reason = (
                f"cannot read {side}put payload: observedContentType {content!r} with encoding {enc!r} "
                "is neither JSON nor CSV, or its BASE64 data is not UTF-8 text"
                if enc is not None
                else f"no {side}put payload"
            )
            if side == "in":
                self.report.unreadable.append(self._problem(where, reason))
            elif enc is not None:
                self.report.response_problems.append(self._problem(where, reason))
        return frame.filter(pl.col("format").is_not_null() & pl.col("text").is_not_null())

    def _json_records(self, requests: pl.DataFrame) -> pl.DataFrame:
        table, bad = _parse_json_payloads(requests)
        for where, reason in bad:
            self.report.unreadable.append(self._problem(where, reason))
        empty = table.filter(pl.col("items").list.len() == 0)
        for (where,) in empty.select(_WHERE).iter_rows():
            self.report.unreadable.append(self._problem(where, "request holds no records"))
        table = table.filter(pl.col("items").list.len() > 0)
        records = (
            table.select(_REQUEST, "items", pl.int_ranges(0, pl.col("items").list.len()).alias(RECORD_INDEX))
            .explode("items", RECORD_INDEX)
            .unnest("items")
        )
        return records.with_columns(pl.col(RECORD_INDEX).cast(pl.Int64))

    def _csv_records(self, requests: pl.DataFrame) -> pl.DataFrame:
        lines = _csv_lines(requests)
        parsed = _parse_csv_lines(lines)
        if parsed is not None:
            return parsed
        # Ragged or malformed rows: parse line by line, and report the requests that do not fit.
        rows: dict[tuple[int, int], list[str]] = {}
        for request, index, line in lines.select(_REQUEST, RECORD_INDEX, "line").iter_rows():
            rows[(request, index)] = next(csv.reader([line]))
        width = max(len(r) for r in rows.values())
        where_of = dict(requests.select(_REQUEST, _WHERE).iter_rows())
        bad_requests = {req for (req, _), cells in rows.items() if len(cells) != width}
        for request in sorted(bad_requests):
            self.report.unreadable.append(
                self._problem(
                    where_of[request], f"CSV records do not all have {width} columns like the others"
                )
            )
        good = [(req, idx, cells) for (req, idx), cells in rows.items() if req not in bad_requests]
        columns = {f"_c{i}": [cells[i] for _, _, cells in good] for i in range(width)}
        return pl.DataFrame(
            {_REQUEST: [r for r, _, _ in good], RECORD_INDEX: [i for _, i, _ in good], **columns},
            schema_overrides={_REQUEST: pl.UInt32, RECORD_INDEX: pl.Int64},
        )

    # -- predictions -------------------------------------------------------------------------------------
    def _predictions(self, requests: pl.DataFrame) -> pl.DataFrame:
        """Label/probability per (request, record index) for the requests whose response fits."""
        empty = pl.DataFrame(
            schema={
                _REQUEST: pl.UInt32,
                RECORD_INDEX: pl.Int64,
                PREDICTED_LABEL: pl.Int64,
                PREDICTED_PROBABILITY: pl.Float64,
            }
        )
        outputs = self._decode_payloads(requests, "out")
        if not outputs.height:
            return empty
        outputs = outputs.join(requests.select(_REQUEST, "records"), on=_REQUEST)
        parts = []
        json_outputs = outputs.filter(pl.col("format") == _JSON)
        if json_outputs.height:
            parts.append(self._json_predictions(json_outputs))
        csv_outputs = outputs.filter(pl.col("format") == _CSV)
        if csv_outputs.height:
            parts.append(self._csv_predictions(csv_outputs))
        parts = [p for p in parts if p.height]
        if not parts:
            return empty
        predictions = pl.concat([p.select(empty.columns).cast(empty.schema, strict=False) for p in parts])
        return self._matching(predictions, outputs)

    def _matching(self, predictions: pl.DataFrame, outputs: pl.DataFrame) -> pl.DataFrame:
        counts = predictions.group_by(_REQUEST).agg(pl.len().alias("predictions"))
        checked = outputs.join(counts, on=_REQUEST, how="left").with_columns(
            pl.col("predictions").fill_null(0)
        )
        mismatched = checked.filter(pl.col("predictions") != pl.col("records"))
        for where, n_pred, n_rec in mismatched.select(_WHERE, "predictions", "records").iter_rows():
            self.report.response_problems.append(
                self._problem(
                    where, f"response has {n_pred} predictions for {n_rec} records; predictions left empty"
                )
            )
        return predictions.join(mismatched.select(_REQUEST), on=_REQUEST, how="anti")

    def _json_predictions(self, outputs: pl.DataFrame) -> pl.DataFrame:
        table, bad = _parse_json_payloads(outputs, objects_only=False)
        for where, reason in bad:
            self.report.response_problems.append(self._problem(where, f"response {reason}"))
        exploded = table.select(
            _REQUEST, "items", pl.int_ranges(0, pl.col("items").list.len()).alias(RECORD_INDEX)
        ).explode("items", RECORD_INDEX)
        items_type = exploded.schema["items"]
        if isinstance(items_type, pl.Struct):
            names = {f.name for f in items_type.fields}
            label = (
                pl.col("items").struct.field(self._fields.label)
                if self._fields.label in names
                else pl.lit(None)
            )
            probability = (
                pl.col("items").struct.field(self._fields.probability)
                if self._fields.probability in names
                else pl.lit(None)
            )
        else:
            label, probability = pl.lit(None), pl.col("items")
        return exploded.select(
            _REQUEST,
            pl.col(RECORD_INDEX).cast(pl.Int64),
            label.cast(pl.Int64, strict=False).alias(PREDICTED_LABEL),
            probability.cast(pl.Float64, strict=False).alias(PREDICTED_PROBABILITY),
        )

    def _csv_predictions(self, outputs: pl.DataFrame) -> pl.DataFrame:
        lines = _csv_lines(outputs).with_columns(pl.col("line").str.split(",").alias("cells"))
        two = pl.col("cells").list.len() >= 2
        return lines.select(
            _REQUEST,
            RECORD_INDEX,
            pl.when(two)
            .then(pl.col("cells").list.get(0))
            .str.strip_chars()
            .cast(pl.Int64, strict=False)
            .alias(PREDICTED_LABEL),
            pl.when(two)
            .then(pl.col("cells").list.get(1))
            .otherwise(pl.col("cells").list.get(0))
            .str.strip_chars()
            .cast(pl.Float64, strict=False)
            .alias(PREDICTED_PROBABILITY),
        )


_JSON, _CSV = "JSON", "CSV"
_DONE = object()


@dataclass(frozen=True, slots=True)
class _Failed:
    error: BaseException


_ENVELOPE_FRAME_SCHEMA = pl.Schema(
    {
        _WHERE: pl.String(),
        "in_data": pl.String(),
        "in_encoding": pl.String(),
        "in_type": pl.String(),
        "out_data": pl.String(),
        "out_encoding": pl.String(),
        "out_type": pl.String(),
        EVENT_ID: pl.String(),
        INFERENCE_ID: pl.String(),
        INFERENCE_TIME: pl.Datetime("us", "UTC"),
    }
)
_ENCODINGS = [e.value for e in CaptureEncoding]


def _envelopes_fast(path: str, data: bytes) -> pl.DataFrame | None:
    """Envelopes parsed by Arrow, or None when any line needs the line-by-line path (to be reported)."""
    if not data or data.isspace():
        return pl.DataFrame(schema=_ENVELOPE_FRAME_SCHEMA)
    try:
        table = pa_json.read_json(
            io.BytesIO(data),
            parse_options=pa_json.ParseOptions(
                explicit_schema=_ENVELOPE_SCHEMA, unexpected_field_behavior="ignore"
            ),
        )
    except (pa.ArrowInvalid, pa.ArrowTypeError):
        return None
    raw = pl.from_arrow(table)
    assert isinstance(raw, pl.DataFrame)
    payload_in = pl.col("captureData").struct.field("endpointInput")
    payload_out = pl.col("captureData").struct.field("endpointOutput")
    meta = pl.col("eventMetadata")
    frame = raw.select(
        payload_in.struct.field("data").alias("in_data"),
        payload_in.struct.field("encoding").str.to_uppercase().alias("in_encoding"),
        payload_in.struct.field("observedContentType").alias("in_type"),
        payload_out.struct.field("data").alias("out_data"),
        payload_out.struct.field("encoding").str.to_uppercase().alias("out_encoding"),
        payload_out.struct.field("observedContentType").alias("out_type"),
        meta.struct.field("eventId").alias(EVENT_ID),
        meta.struct.field("inferenceId").alias(INFERENCE_ID),
        meta.struct.field("inferenceTime")
        .str.to_datetime(time_zone="UTC", strict=False)
        .alias(INFERENCE_TIME),
    )
    valid = (
        pl.col("in_data").is_not_null()
        & pl.col("in_encoding").is_in(_ENCODINGS)
        & (pl.col("out_encoding").is_null() | pl.col("out_encoding").is_in(_ENCODINGS))
        & pl.col(EVENT_ID).is_not_null()
        & pl.col(INFERENCE_TIME).is_not_null()
    )
    if not frame.select(valid.all()).item():
        return None
    # Arrow skips blank lines, so a row's line number is only known after a rescan: done on the error path.
    rows = pl.int_range(0, pl.len()).cast(pl.String)
    return frame.select(pl.concat_str(pl.lit(path + _ROW_SEPARATOR), rows).alias(_WHERE), pl.all()).cast(
        _ENVELOPE_FRAME_SCHEMA
    )


def _decode_base64(frame: pl.DataFrame) -> pl.Series | list[str | None]:
    try:  # vectorised; any invalid payload sends the whole batch through the per-value path below
        return frame.get_column("b64").str.decode("base64").cast(pl.String)
    except pl.exceptions.PolarsError:
        pass
    decoded: list[str | None] = []
    for value in frame.get_column("b64").to_list():
        if value is None:
            decoded.append(None)
            continue
        try:
            decoded.append(base64.b64decode(value, validate=True).decode("utf-8"))
        except (binascii.Error, UnicodeDecodeError):
            decoded.append(None)
    return decoded


def _parse_json_payloads(
    requests: pl.DataFrame, *, objects_only: bool = True
) -> tuple[pl.DataFrame, list[tuple[str, str]]]:
    """``items`` (a list per request) of JSON payloads, and the (where, reason) of payloads that failed.

    A payload is one object or a list of objects (or, for responses, numbers); it is wrapped into a
    one-line JSON document per request so Arrow parses them all at once. Arrow infers timestamps from
    date-like strings, which would lose the original text, so such fields are re-read as strings. Payloads
    Arrow cannot read together (invalid JSON, a field that is a number in one record and a string in
    another) go through Python's parser to find the bad ones and polars' type-unifying decoder for the rest.
    """
    text = pl.col("text").str.strip_chars()
    wrapped = requests.select(
        _REQUEST,
        _WHERE,
        pl.when(text.str.starts_with("{"))
        .then(pl.concat_str(pl.lit("["), text, pl.lit("]")))
        .otherwise(text)
        .alias("json"),
        pl.col("text"),
    )
    table = _arrow_items(wrapped)
    bad: list[tuple[str, str]] = []
    if table is None:
        wrapped, bad = _drop_invalid_json(wrapped, objects_only)
        table = _arrow_items(wrapped) if wrapped.height else None
        if table is None and wrapped.height:
            table = _polars_items(wrapped)
    if table is None:
        table = pl.DataFrame(schema={_REQUEST: pl.UInt32, _WHERE: pl.String, "items": pl.List(pl.Struct({}))})
    items_type = table.schema["items"]
    inner = items_type.inner if isinstance(items_type, pl.List) else None
    if inner is None or (objects_only and not isinstance(inner, pl.Struct | pl.Null)):
        reason = "payload is not a JSON object or a list of objects"
        bad += [(w, reason) for (w,) in table.select(_WHERE).iter_rows()]
        table = table.clear()
    return table, bad


def _arrow_items(wrapped: pl.DataFrame) -> pl.DataFrame | None:
    lines = wrapped.select(pl.concat_str(pl.lit('{"items":'), pl.col("json"), pl.lit("}"))).to_series()
    # A first look at a sample finds the field order and the date-like fields, so the full read is one pass.
    sample = _read_items(lines.head(_SAMPLE_LINES), {})
    if sample is None:
        return None
    natural_order = _struct_fields(sample.schema.field("items").type)
    explicit = dict.fromkeys(_date_fields(sample.schema.field("items").type), pa.string())
    for _ in range(3):
        parsed = _read_items(lines, explicit) if len(lines) > _SAMPLE_LINES or explicit else sample
        if parsed is None or parsed.num_rows != wrapped.height:
            return None
        items_type = parsed.schema.field("items").type
        dated = _date_fields(items_type) - set(explicit)
        if not dated:
            break
        explicit.update(dict.fromkeys(dated, pa.string()))
    else:
        return None
    natural_order += [name for name in _struct_fields(items_type) if name not in natural_order]
    items = pl.from_arrow(parsed.column("items"))
    assert isinstance(items, pl.Series)
    if explicit and _struct_fields(items_type) != natural_order:  # explicit fields come first: restore order
        items = items.list.eval(pl.struct([pl.element().struct.field(name) for name in natural_order]))
    return wrapped.select(_REQUEST, _WHERE).with_columns(items.alias("items"))


_SAMPLE_LINES = 2000


def _read_items(lines: pl.Series, explicit: dict[str, pa.DataType]) -> pa.Table | None:
    schema = pa.schema([("items", pa.list_(pa.struct(list(explicit.items()))))]) if explicit else None
    try:
        return pa_json.read_json(
            io.BytesIO("\n".join(lines.to_list()).encode()),
            parse_options=pa_json.ParseOptions(explicit_schema=schema, unexpected_field_behavior="infer"),
        )
    except (pa.ArrowInvalid, pa.ArrowTypeError):
        return None


def _struct_fields(items_type: pa.DataType) -> list[str]:
    if pa.types.is_list(items_type) and pa.types.is_struct(items_type.value_type):
        return [f.name for f in items_type.value_type]
    return []


def _date_fields(items_type: pa.DataType) -> set[str]:
    if not pa.types.is_list(items_type) or not pa.types.is_struct(items_type.value_type):
        return set()
    struct = items_type.value_type
    return {
        struct.field(i).name
        for i in range(struct.num_fields)
        if pa.types.is_timestamp(struct.field(i).type) or pa.types.is_date(struct.field(i).type)
    }


def _drop_invalid_json(
    wrapped: pl.DataFrame, objects_only: bool
) -> tuple[pl.DataFrame, list[tuple[str, str]]]:
    keep: list[bool] = []
    bad: list[tuple[str, str]] = []
    for where, text in wrapped.select(_WHERE, "text").iter_rows():
        try:
            value = json.loads(text)
        except json.JSONDecodeError as exc:
            bad.append((where, f"payload is not JSON ({exc.msg} at column {exc.colno})"))
            keep.append(False)
            continue
        items = value if isinstance(value, list) else [value]
        if objects_only and not all(isinstance(item, dict) for item in items):
            bad.append((where, "payload is not a JSON object or a list of objects"))
            keep.append(False)
            continue
        keep.append(True)
    return wrapped.filter(pl.Series(keep, dtype=pl.Boolean)), bad


def _polars_items(wrapped: pl.DataFrame) -> pl.DataFrame:
    # polars unifies conflicting types the way Spark's JSON reader does (a number among strings becomes text)
    items = wrapped.get_column("json").str.json_decode(infer_schema_length=None)
    return wrapped.select(_REQUEST, _WHERE).with_columns(items.alias("items"))


def _csv_lines(requests: pl.DataFrame) -> pl.DataFrame:
    """One row per non-empty CSV line of each payload, with its index within the request."""
    lines = requests.select(_REQUEST, pl.col("text").str.strip_chars().str.split("\n").alias("line"))
    lines = lines.with_columns(pl.int_ranges(0, pl.col("line").list.len()).alias(RECORD_INDEX)).explode(
        "line", RECORD_INDEX
    )
    lines = lines.with_columns(pl.col("line").str.strip_chars_end("\r")).filter(
        pl.col("line").str.len_chars() > 0
    )
    # Re-number so a blank line inside a payload does not leave a hole in the record indexes.
    return lines.with_columns(pl.int_range(pl.len()).over(_REQUEST).cast(pl.Int64).alias(RECORD_INDEX))


def _parse_csv_lines(lines: pl.DataFrame) -> pl.DataFrame | None:
    document = "\n".join(lines.get_column("line").to_list()).encode()
    try:
        table = pl.read_csv(
            io.BytesIO(document), has_header=False, infer_schema=False, truncate_ragged_lines=False
        )
    except (pl.exceptions.ComputeError, pl.exceptions.NoDataError):
        return None
    if table.height != lines.height:
        return None
    # polars pads short rows with nulls: make sure every (unquoted) line has the table's width.
    line = lines.get_column("line")
    widths = line.filter(~line.str.contains('"', literal=True)).str.count_matches(",", literal=True) + 1
    if len(widths) and (widths.min() != table.width or widths.max() != table.width):
        return None
    table = table.rename({c: f"_c{i}" for i, c in enumerate(table.columns)})
    return pl.concat([lines.select(_REQUEST, RECORD_INDEX), table], how="horizontal")
