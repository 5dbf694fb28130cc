"""Capture lines → one row per request: where it is, its input and output payloads, its event metadata.

The fast path parses a whole file with Arrow's JSON reader; any line it cannot take (not JSON, a missing
field, an unknown encoding) sends the file through ``pipelines.capture.parse_capture_line`` line by line,
which names the problem of each bad line.
"""

from __future__ import annotations

import io

import polars as pl
import pyarrow as pa
import pyarrow.json as pa_json

from pipelines.capture import CaptureEncoding, CaptureFormatError, parse_capture_line
from pipelines.monitoring.capture_reader.columns import (
    EVENT_ID,
    INFERENCE_ID,
    INFERENCE_TIME,
    ROW_SEPARATOR,
    WHERE,
)
from pipelines.monitoring.capture_reader.types import Problems

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
ENVELOPE_FRAME_SCHEMA = pl.Schema(
    {
        WHERE: pl.String(),
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


def parse_envelopes(path: str, data: bytes) -> tuple[pl.DataFrame, Problems]:
    """One row per readable capture line of the file ``path`` holding ``data``, and the unreadable lines."""
    frame = envelopes_fast(path, data)
    if frame is not None:
        return frame, []
    return envelopes_slow(path, data)


def envelopes_fast(path: str, data: bytes) -> pl.DataFrame | None:
    """Envelopes parsed by Arrow, or None when any line needs the line-by-line path (to be reported)."""
    if not data or data.isspace():
        return pl.DataFrame(schema=ENVELOPE_FRAME_SCHEMA)
    if not _is_utf8(data):
        # Arrow's JSON reader keeps invalid UTF-8 inside strings, and polars then panics on the first one it
        # touches: such a file goes line by line, where the bad lines are reported and skipped.
        return None
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
    return frame.select(pl.concat_str(pl.lit(path + ROW_SEPARATOR), rows).alias(WHERE), pl.all()).cast(
        ENVELOPE_FRAME_SCHEMA
    )


def _is_utf8(data: bytes) -> bool:
    if data.isascii():
        return True
    try:
        data.decode("utf-8")
    except UnicodeDecodeError:
        return False
    return True


def envelopes_slow(path: str, data: bytes) -> tuple[pl.DataFrame, Problems]:
    """Line by line: the readable lines' envelopes, and a ``file:line`` problem for each other line."""
    rows: list[dict[str, object]] = []
    problems: Problems = []
    for number, raw in enumerate(data.split(b"\n"), start=1):
        line = raw.strip()
        if not line:
            continue
        where = f"{path}:{number}"
        try:
            record = parse_capture_line(line.decode("utf-8"), where=where)
        except UnicodeDecodeError:
            problems.append((where, "not UTF-8 text"))
            continue
        except CaptureFormatError as exc:
            reason = "; ".join(p.removeprefix(f"{where}: ") for p in exc.problems)
            problems.append((where, reason))
            continue
        if record.endpoint_input is None:
            problems.append((where, "no endpointInput: the request was not captured"))
            continue
        output = record.endpoint_output
        rows.append(
            {
                WHERE: where,
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
    return pl.DataFrame(rows, schema=ENVELOPE_FRAME_SCHEMA), problems
