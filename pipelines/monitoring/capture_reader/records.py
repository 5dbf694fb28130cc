"""Requests → records: each request's input payload becomes one row per record it holds.

A JSON payload is one object or a list of objects (one record each, keyed by its fields); a CSV payload is
one line per record, its columns named ``_c0``, ``_c1``... like the analyzer does. A request that holds no
records, or CSV records of another width than the others, is reported and left out.
"""

from __future__ import annotations

import csv

import polars as pl

from pipelines.monitoring.capture_reader.columns import (
    CSV,
    JSON,
    METADATA_PREFIX,
    RECORD_INDEX,
    REQUEST,
    WHERE,
)
from pipelines.monitoring.capture_reader.payloads import (
    csv_lines,
    decode_payloads,
    parse_csv_lines,
    parse_json_payloads,
)
from pipelines.monitoring.capture_reader.types import Problems


def request_records(requests: pl.DataFrame) -> tuple[pl.DataFrame | None, Problems, Problems]:
    """The records of ``requests`` (``REQUEST``, ``RECORD_INDEX`` and the features), None when there are
    none; the requests that gave no records; and the fields left out of the records that were read."""
    inputs, problems = decode_payloads(requests, "in")
    json_requests = inputs.filter(pl.col("format") == JSON)
    csv_requests = inputs.filter(pl.col("format") == CSV)
    parts = []
    left_out: Problems = []
    if json_requests.height:
        records, bad, left_out = json_records(json_requests)
        parts.append(records)
        problems += bad
    if csv_requests.height:
        records, bad = csv_records(csv_requests)
        parts.append(records)
        problems += bad
    parts = [p for p in parts if p.height]
    if not parts:
        return None, problems, left_out
    return (pl.concat(parts, how="diagonal_relaxed") if len(parts) > 1 else parts[0]), problems, left_out


def json_records(requests: pl.DataFrame) -> tuple[pl.DataFrame, Problems, Problems]:
    """Records of JSON requests; the requests without records; fields left out (named like our columns)."""
    table, problems = parse_json_payloads(requests)
    empty = table.filter(pl.col("items").list.len() == 0)
    problems += [(where, "request holds no records") for (where,) in empty.select(WHERE).iter_rows()]
    table = table.filter(pl.col("items").list.len() > 0)
    records = table.select(
        REQUEST, "items", pl.int_ranges(0, pl.col("items").list.len()).alias(RECORD_INDEX)
    ).explode("items", RECORD_INDEX)
    fields = records.schema["items"]
    names = [f.name for f in fields.fields] if isinstance(fields, pl.Struct) else []
    # A field named like the reader's own columns (``__request``...) would clash with them: left out.
    reserved = [name for name in names if name.startswith(METADATA_PREFIX)]
    left_out: Problems = []
    if reserved:
        where = table.get_column(WHERE)[0]
        left_out.append(
            (
                where,
                f"field(s) {', '.join(map(repr, reserved))} left out of this batch's records: names starting "
                f"with {METADATA_PREFIX!r} are the monitors' own columns",
            )
        )
    features = [pl.col("items").struct.field(n).alias(n) for n in names if n not in reserved]
    return records.select(REQUEST, pl.col(RECORD_INDEX).cast(pl.Int64), *features), problems, left_out


def csv_records(requests: pl.DataFrame) -> tuple[pl.DataFrame, Problems]:
    lines = csv_lines(requests)
    parsed = parse_csv_lines(lines)
    if parsed is not None:
        return parsed, []
    # Ragged or malformed rows: parse line by line, and report the requests that do not fit.
    rows: dict[tuple[int, int], list[str]] = {}
    for request, index, line in lines.select(REQUEST, RECORD_INDEX, "line").iter_rows():
        rows[(request, index)] = next(csv.reader([line]))
    width = max(len(r) for r in rows.values())
    where_of = dict(requests.select(REQUEST, WHERE).iter_rows())
    bad_requests = {req for (req, _), cells in rows.items() if len(cells) != width}
    problems: Problems = [
        (where_of[request], f"CSV records do not all have {width} columns like the others")
        for request in sorted(bad_requests)
    ]
    good = [(req, idx, cells) for (req, idx), cells in rows.items() if req not in bad_requests]
    columns = {f"_c{i}": [cells[i] for _, _, cells in good] for i in range(width)}
    records = pl.DataFrame(
        {REQUEST: [r for r, _, _ in good], RECORD_INDEX: [i for _, i, _ in good], **columns},
        schema_overrides={REQUEST: pl.UInt32, RECORD_INDEX: pl.Int64},
    )
    return records, problems
