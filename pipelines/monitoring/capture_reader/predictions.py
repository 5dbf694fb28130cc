"""Responses → predictions, matched to the request's records by position.

JSON objects give the label and probability from configurable attribute names (``ResponseFields``; default:
the endpoint contract's ``class`` and ``probability``, in percent); a JSON number, or a CSV line with one
value, is a probability; a CSV line ``label,probability`` gives both. A response that does not fit its
request (bad payload, another number of predictions than records) leaves that request's predictions empty
and is reported.
"""

from __future__ import annotations

import polars as pl

from pipelines.monitoring.capture_reader.columns import (
    CSV,
    JSON,
    PREDICTED_LABEL,
    PREDICTED_PROBABILITY,
    RECORD_INDEX,
    REQUEST,
    WHERE,
)
from pipelines.monitoring.capture_reader.payloads import (
    csv_lines,
    decode_payloads,
    parse_json_payloads,
)
from pipelines.monitoring.capture_reader.types import Problems, ResponseFields

_PREDICTIONS_SCHEMA = pl.Schema(
    {
        REQUEST: pl.UInt32(),
        RECORD_INDEX: pl.Int64(),
        PREDICTED_LABEL: pl.Int64(),
        PREDICTED_PROBABILITY: pl.Float64(),
    }
)


def response_predictions(requests: pl.DataFrame, fields: ResponseFields) -> tuple[pl.DataFrame, Problems]:
    """Label/probability per (request, record index) for the requests whose response fits.

    ``requests`` holds each request's envelope and ``records``, how many records its input gave.
    """
    empty = pl.DataFrame(schema=_PREDICTIONS_SCHEMA)
    outputs, problems = decode_payloads(requests, "out")
    if not outputs.height:
        return empty, problems
    outputs = outputs.join(requests.select(REQUEST, "records"), on=REQUEST)
    parts = []
    json_outputs = outputs.filter(pl.col("format") == JSON)
    if json_outputs.height:
        predictions, bad = json_predictions(json_outputs, fields)
        parts.append(predictions)
        problems += bad
    csv_outputs = outputs.filter(pl.col("format") == CSV)
    if csv_outputs.height:
        parts.append(csv_predictions(csv_outputs))
    parts = [p for p in parts if p.height]
    if not parts:
        return empty, problems
    predictions = pl.concat([p.select(empty.columns).cast(empty.schema, strict=False) for p in parts])
    matched, mismatched = matching(predictions, outputs)
    return matched, problems + mismatched


def matching(predictions: pl.DataFrame, outputs: pl.DataFrame) -> tuple[pl.DataFrame, Problems]:
    """The predictions of the requests whose response has as many predictions as the request records."""
    counts = predictions.group_by(REQUEST).agg(pl.len().alias("predictions"))
    checked = outputs.join(counts, on=REQUEST, how="left").with_columns(pl.col("predictions").fill_null(0))
    mismatched = checked.filter(pl.col("predictions") != pl.col("records"))
    problems: Problems = [
        (where, f"response has {n_pred} predictions for {n_rec} records; predictions left empty")
        for where, n_pred, n_rec in mismatched.select(WHERE, "predictions", "records").iter_rows()
    ]
    return predictions.join(mismatched.select(REQUEST), on=REQUEST, how="anti"), problems


def json_predictions(outputs: pl.DataFrame, fields: ResponseFields) -> tuple[pl.DataFrame, Problems]:
    table, bad = parse_json_payloads(outputs, objects_only=False)
    problems: Problems = [(where, f"response {reason}") for where, reason in bad]
    exploded = table.select(
        REQUEST, "items", pl.int_ranges(0, pl.col("items").list.len()).alias(RECORD_INDEX)
    ).explode("items", RECORD_INDEX)
    items_type = exploded.schema["items"]
    if isinstance(items_type, pl.Struct):
        names = {f.name for f in items_type.fields}
        label = pl.col("items").struct.field(fields.label) if fields.label in names else pl.lit(None)
        probability = (
            pl.col("items").struct.field(fields.probability) if fields.probability in names else pl.lit(None)
        )
    else:
        label, probability = pl.lit(None), pl.col("items")
    predictions = exploded.select(
        REQUEST,
        pl.col(RECORD_INDEX).cast(pl.Int64),
        label.cast(pl.Int64, strict=False).alias(PREDICTED_LABEL),
        probability.cast(pl.Float64, strict=False).alias(PREDICTED_PROBABILITY),
    )
    return predictions, problems


def csv_predictions(outputs: pl.DataFrame) -> pl.DataFrame:
    lines = csv_lines(outputs).with_columns(pl.col("line").str.split(",").alias("cells"))
    two = pl.col("cells").list.len() >= 2
    return lines.select(
        REQUEST,
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
