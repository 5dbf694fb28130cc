"""A batch transform's data capture → the same envelopes as an endpoint's (one row per request).

The capture is manifests (``pipelines.transform_capture`` documents the layout): for a window, the
manifests in its hour folders under ``{root}/input/`` and ``{root}/output/`` name the job's input files and
their outputs (``{input}.out``). Each input line is one request; its output line (same position) its
response; gzip files (``CompressionType: Gzip``) are read decompressed. What the output line holds is read
as Model Monitor reads a transform's output:

- CSV: with ``GenerateInferenceId`` the last two cells are the inference ID and the job's start time (told
  by the last cell being an ISO-8601 UTC time); with ``JoinSource: Input`` the line starts with its input
  line's cells, which are left out; what remains is the prediction (``label,probability`` or one value,
  like an endpoint's CSV response). ``OutputColumns`` instead picks the prediction by 0-based position in
  the whole output line, as a schedule's ``InferenceAttribute``/``ProbabilityAttribute`` do (``"69"`` in
  AWS's batch transform model-quality example, where 69 input columns come first).
- JSON: an object; its ``SageMakerInferenceId``/``SageMakerInferenceTime`` are the metadata, and the
  prediction is ``SageMakerOutput`` when the input was joined, else the object itself (read with the
  run's inference/probability attributes, like an endpoint's JSON response).

A request's ``eventId`` is its inference ID, else ``file:line``; its time the inference time, else the hour
of the manifest. An input file without its output, or with another number of lines, keeps its records
without predictions and is reported.
"""

from __future__ import annotations

import json
import re
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

import polars as pl

from pipelines.errors import UserError
from pipelines.monitoring.capture_reader.columns import (
    CSV,
    EVENT_ID,
    INFERENCE_ID,
    INFERENCE_TIME,
    JSON,
    WHERE,
)
from pipelines.monitoring.capture_reader.envelopes import ENVELOPE_FRAME_SCHEMA
from pipelines.monitoring.capture_reader.reader import LoadedEnvelopes
from pipelines.monitoring.capture_reader.types import Problems
from pipelines.monitoring.dataset_reader import plain_bytes
from pipelines.storage import Storage, join_location
from pipelines.timewindow import TimeWindow, parse_utc
from pipelines.transform_capture import (
    INFERENCE_ID_FIELD,
    INFERENCE_TIME_FIELD,
    JOINED_OUTPUT_FIELD,
    OUTPUT_SUFFIX,
    ManifestSide,
    parse_manifest,
)

_UTC_TIME = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?Z$")
_CONTENT_TYPES = {JSON: "application/jsonlines", CSV: "text/csv"}


@dataclass(frozen=True, slots=True)
class TransformFilePair:
    """One input file of a transform job, its output file (None: no output manifest names it) and the
    hour of the manifest that named it (the job's start hour)."""

    input: str
    output: str | None
    captured_at: datetime


@dataclass(frozen=True, slots=True)
class OutputColumns:
    """0-based positions of the predicted label and probability in a CSV output line (None: found as the
    module docstring says)."""

    label: int | None = None
    probability: int | None = None

    @property
    def given(self) -> bool:
        return self.label is not None or self.probability is not None


def transform_file_pairs(
    storage: Storage, root: str, window: TimeWindow
) -> tuple[list[TransformFilePair], Problems]:
    """The input files the manifests of ``window``'s hours name, each with its output file; and the
    manifests that could not be read."""
    problems: Problems = []
    named: dict[ManifestSide, list[tuple[datetime, str, str]]] = {side: [] for side in ManifestSide}
    for hour in window.hours():
        for side in ManifestSide:
            folder = join_location(root, side.value, hour.strftime("%Y/%m/%d/%H"))
            for location in storage.list_files(folder):
                try:
                    manifest = parse_manifest(storage.read_text(location), where=location)
                except UserError as error:
                    problems += [(location, p.removeprefix(f"{location}: ")) for p in error.problems]
                    continue
                named[side] += [(hour, name, join_location(manifest.prefix, name)) for name in manifest.names]
    outputs: dict[str, list[tuple[datetime, str]]] = {}
    for hour, name, location in named[ManifestSide.OUTPUT]:
        outputs.setdefault(name, []).append((hour, location))
    pairs = []
    for hour, name, location in named[ManifestSide.INPUT]:
        candidates = outputs.get(name + OUTPUT_SUFFIX, [])
        same_hour = [output for when, output in candidates if when == hour]
        output = same_hour[0] if same_hour else (candidates[0][1] if candidates else None)
        pairs.append(TransformFilePair(location, output, hour))
    return pairs, problems


def transform_envelopes(
    storage: Storage, pair: TransformFilePair, columns: OutputColumns = OutputColumns()
) -> LoadedEnvelopes:
    """One envelope per line of ``pair``'s input file, its response from the same line of the output."""
    data = storage.read_bytes(pair.input)
    inputs = _lines(data)
    size = len(data)
    outputs: list[tuple[int, str | None]] | None = None
    response_problems: Problems = []
    if pair.output is None:
        response_problems.append(
            (pair.input, f"no output manifest names {pair.input}{OUTPUT_SUFFIX}: predictions left empty")
        )
    else:
        try:
            output_data = storage.read_bytes(pair.output)
        except UserError as error:
            response_problems += [(pair.input, f"{p}: predictions left empty") for p in error.problems]
        else:
            size += len(output_data)
            outputs = _lines(output_data)
            if len(outputs) != len(inputs):
                response_problems.append(
                    (
                        pair.input,
                        f"{pair.output} has {len(outputs)} lines for {len(inputs)} input lines: "
                        "predictions left empty",
                    )
                )
                outputs = None
    in_format = _format(inputs)
    rows: list[dict[str, object]] = []
    unreadable: Problems = []
    for index, (number, line) in enumerate(inputs):
        where = f"{pair.input}:{number}"
        if line is None:  # positions still pair the other lines with their outputs
            unreadable.append((where, "not UTF-8 text"))
            continue
        response: _Response | None = None
        problem: str | None = None
        if outputs is not None:
            out_number, out_line = outputs[index]
            if out_line is None:
                response, problem = None, "not UTF-8 text: prediction left empty"
            else:
                response, problem = _response(out_line, line if in_format == CSV else None, columns)
            if problem is not None:
                response_problems.append((f"{pair.output}:{out_number}", problem))
        inference_id = response.inference_id if response is not None else None
        rows.append(
            {
                WHERE: where,
                "in_data": line,
                "in_encoding": in_format,
                "in_type": _CONTENT_TYPES[in_format],
                "out_data": None if response is None else response.text,
                "out_encoding": None if response is None else response.format,
                "out_type": None if response is None else _CONTENT_TYPES[response.format],
                EVENT_ID: inference_id or where,
                INFERENCE_ID: inference_id,
                INFERENCE_TIME: (response.inference_time if response is not None else None)
                or pair.captured_at,
            }
        )
    frame = pl.DataFrame(rows, schema=ENVELOPE_FRAME_SCHEMA)
    return LoadedEnvelopes(frame, unreadable, size, response_problems)


def _lines(data: bytes) -> list[tuple[int, str | None]]:
    """The non-blank lines with their numbers; a line that is not UTF-8 text is None (one bad byte spoils
    its line only, as in endpoint capture)."""
    lines: list[tuple[int, str | None]] = []
    for number, raw in enumerate(plain_bytes(data).removeprefix(b"\xef\xbb\xbf").split(b"\n"), start=1):
        if not raw.strip():
            continue
        try:
            lines.append((number, raw.decode("utf-8").rstrip("\r")))
        except UnicodeDecodeError:
            lines.append((number, None))
    return lines


def _format(lines: Sequence[tuple[int, str | None]]) -> str:
    first = next((line.lstrip() for _, line in lines if line is not None), "")
    return JSON if first.startswith(("{", "[")) else CSV


@dataclass(frozen=True, slots=True)
class _Response:
    text: str | None
    format: str
    inference_id: str | None = None
    inference_time: datetime | None = None


def _response(
    line: str, csv_input: str | None, columns: OutputColumns
) -> tuple[_Response | None, str | None]:
    """The prediction and metadata of one output line, or a problem."""
    stripped = line.strip()
    if stripped.startswith(("{", "[")):
        return _json_response(stripped)
    return _csv_response(stripped, csv_input, columns)


def _json_response(line: str) -> tuple[_Response | None, str | None]:
    try:
        value = json.loads(line)
    except json.JSONDecodeError as exc:
        return None, f"output is not JSON ({exc.msg} at column {exc.colno})"
    if not isinstance(value, dict):
        return _Response(line, JSON), None
    inference_id = value.pop(INFERENCE_ID_FIELD, None)
    time_text = value.pop(INFERENCE_TIME_FIELD, None)
    prediction = value.get(JOINED_OUTPUT_FIELD, value)
    inference_time = None
    if isinstance(time_text, str):
        try:
            inference_time = parse_utc(time_text)
        except UserError:
            return None, f"{INFERENCE_TIME_FIELD} {time_text!r} is not an ISO-8601 time"
    return (
        _Response(
            json.dumps(prediction), JSON, None if inference_id is None else str(inference_id), inference_time
        ),
        None,
    )


def _csv_response(
    line: str, csv_input: str | None, columns: OutputColumns
) -> tuple[_Response | None, str | None]:
    cells = [cell.strip() for cell in line.split(",")]
    inference_id = inference_time = None
    body = cells
    if len(cells) >= 3 and _UTC_TIME.match(cells[-1]):
        inference_id, inference_time, body = cells[-2], parse_utc(cells[-1]), cells[:-2]
    if columns.given:
        picked = []
        for what, position in (
            ("InferenceAttribute", columns.label),
            ("ProbabilityAttribute", columns.probability),
        ):
            if position is not None and position >= len(cells):
                return None, f"{what} {position} is beyond the {len(cells)} columns of the output line"
            picked.append("" if position is None else cells[position])
        label, probability = picked
        text = probability if columns.label is None else f"{label},{probability}"
        return _Response(text, CSV, inference_id, inference_time), None
    if csv_input is not None:
        input_cells = [cell.strip() for cell in csv_input.split(",")]
        if len(body) > len(input_cells) and body[: len(input_cells)] == input_cells:
            body = body[len(input_cells) :]  # JoinSource: Input
    return _Response(",".join(body), CSV, inference_id, inference_time), None
