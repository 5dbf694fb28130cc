"""Payloads → text: a request's input or output as JSON or CSV text, and the parsers both sides share.

``endpointInput``/``endpointOutput`` are ``CSV`` or ``JSON`` text, or ``BASE64`` holding either (told
apart by the observed content type). JSON payloads are parsed by Arrow's multi-threaded JSON reader, CSV
by polars; Python only walks values on the error path.
"""

from __future__ import annotations

import base64
import binascii
import io
import json

import polars as pl
import pyarrow as pa
import pyarrow.json as pa_json

from pipelines.capture import CaptureEncoding
from pipelines.monitoring.capture_reader.columns import CSV, JSON, RECORD_INDEX, REQUEST, WHERE
from pipelines.monitoring.capture_reader.types import Problems

_SAMPLE_LINES = 2000


def decode_payloads(requests: pl.DataFrame, side: str) -> tuple[pl.DataFrame, Problems]:
    """``text`` and ``format`` (JSON/CSV) of each request's input (``side="in"``) or output (``"out"``).

    Undecodable payloads are left out and returned as problems; a request without an output is left out
    silently (there is nothing to report: the endpoint's capture did not include the response).
    """
    data, encoding, content_type = (
        pl.col(f"{side}_data"),
        pl.col(f"{side}_encoding"),
        pl.col(f"{side}_type"),
    )
    is_base64 = encoding == CaptureEncoding.BASE64.value
    frame = requests.select(
        REQUEST,
        WHERE,
        pl.when(is_base64).then(None).otherwise(data).alias("text"),
        pl.when(is_base64).then(data).alias("b64"),
        pl.when(encoding == CaptureEncoding.JSON.value)
        .then(pl.lit(JSON))
        .when(encoding == CaptureEncoding.CSV.value)
        .then(pl.lit(CSV))
        .when(is_base64 & content_type.str.to_lowercase().str.contains("json"))
        .then(pl.lit(JSON))
        .when(is_base64 & content_type.str.to_lowercase().str.contains("csv"))
        .then(pl.lit(CSV))
        .alias("format"),
        content_type.alias("content_type"),
        encoding.alias("encoding"),
    )
    if frame.get_column("b64").is_not_null().any():
        decoded = pl.Series("decoded", _decode_base64(frame), dtype=pl.String)
        frame = frame.with_columns(pl.coalesce(pl.col("text"), decoded).alias("text"))
    bad = frame.filter(pl.col("format").is_null() | pl.col("text").is_null())
    problems: Problems = []
    for where, content, enc in bad.select(WHERE, "content_type", "encoding").iter_rows():
        reason = (
            f"cannot read {side}put payload: observedContentType {content!r} with encoding {enc!r} "
            "is neither JSON nor CSV, or its BASE64 data is not UTF-8 text"
            if enc is not None
            else f"no {side}put payload"
        )
        if side == "in" or enc is not None:
            problems.append((where, reason))
    return frame.filter(pl.col("format").is_not_null() & pl.col("text").is_not_null()), problems


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


# -- JSON ----------------------------------------------------------------------------------------------------
def parse_json_payloads(
    requests: pl.DataFrame, *, objects_only: bool = True
) -> tuple[pl.DataFrame, Problems]:
    """``items`` (a list per request) of JSON payloads, and the (where, reason) of payloads that failed.

    A payload is one object or a list of objects (or, for responses, numbers); it is wrapped into a
    one-line JSON document per request so Arrow parses them all at once. Arrow infers timestamps from
    date-like strings, which would lose the original text, so such fields are re-read as strings. Payloads
    Arrow cannot read together (invalid JSON, a field that is a number in one record and a string in
    another) go through Python's parser to find the bad ones and polars' type-unifying decoder for the rest.
    """
    text = pl.col("text").str.strip_chars()
    wrapped = requests.select(
        REQUEST,
        WHERE,
        pl.when(text.str.starts_with("{"))
        .then(pl.concat_str(pl.lit("["), text, pl.lit("]")))
        .otherwise(text)
        .alias("json"),
        pl.col("text"),
    )
    table = _arrow_items(wrapped)
    bad: Problems = []
    if table is None:
        wrapped, bad = _drop_invalid_json(wrapped, objects_only)
        table = _arrow_items(wrapped) if wrapped.height else None
        if table is None and wrapped.height:
            table = _polars_items(wrapped)
    if table is None:
        table = pl.DataFrame(schema={REQUEST: pl.UInt32, WHERE: pl.String, "items": pl.List(pl.Struct({}))})
    items_type = table.schema["items"]
    inner = items_type.inner if isinstance(items_type, pl.List) else None
    if inner is None or (objects_only and not isinstance(inner, pl.Struct | pl.Null)):
        reason = "payload is not a JSON object or a list of objects"
        bad += [(w, reason) for (w,) in table.select(WHERE).iter_rows()]
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
    return wrapped.select(REQUEST, WHERE).with_columns(items.alias("items"))


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


def _drop_invalid_json(wrapped: pl.DataFrame, objects_only: bool) -> tuple[pl.DataFrame, Problems]:
    keep: list[bool] = []
    bad: Problems = []
    for where, text in wrapped.select(WHERE, "text").iter_rows():
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
    return wrapped.select(REQUEST, WHERE).with_columns(items.alias("items"))


# -- CSV -----------------------------------------------------------------------------------------------------
def csv_lines(requests: pl.DataFrame) -> pl.DataFrame:
    """One row per non-empty CSV line of each payload, with its index within the request."""
    lines = requests.select(REQUEST, pl.col("text").str.strip_chars().str.split("\n").alias("line"))
    lines = lines.with_columns(pl.int_ranges(0, pl.col("line").list.len()).alias(RECORD_INDEX)).explode(
        "line", RECORD_INDEX
    )
    lines = lines.with_columns(pl.col("line").str.strip_chars_end("\r")).filter(
        pl.col("line").str.len_chars() > 0
    )
    # Re-number so a blank line inside a payload does not leave a hole in the record indexes.
    return lines.with_columns(pl.int_range(pl.len()).over(REQUEST).cast(pl.Int64).alias(RECORD_INDEX))


def parse_csv_lines(lines: pl.DataFrame) -> pl.DataFrame | None:
    """The lines as columns ``_c0``, ``_c1``... (as the analyzer names them), or None when ragged/invalid."""
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
    return pl.concat([lines.select(REQUEST, RECORD_INDEX), table], how="horizontal")
