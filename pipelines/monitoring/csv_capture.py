"""A CSV's rows as SageMaker data capture, and its labels as ground truth: the capture path, no endpoint.

For trying ``run`` on data of one's own, or checking a second CSV against a baseline the way the deployed
monitors check an endpoint's traffic. Each row becomes one captured request, as an endpoint with data capture
would have written it (``pipelines.capture``, docs/monitors/formats.md#data-capture):

- the request holds the row's columns, less the label, the prediction columns and ``exclude``: a JSON object
  keyed by column name (``application/json``; numbers stay numbers, as the dataset's column types say) or the
  row's cells as one CSV line in column order, without a header (``text/csv``: the analyzer's view, columns
  matched to the baseline's by position, as Model Monitor requires);
- the response, when a prediction or probability column is named, is the endpoint contract's JSON object
  (``{"class": ..., "probability": ...}``, which ``run`` reads by default);
- the request's inferenceId is ``{file stem}-{row}`` and its eventId a UUID derived from it, so writing the
  same CSV twice writes the same requests (``run`` counts a repeated eventId once);
- inference times are spread over the hour starting at ``hour`` (the capture folder is that hour's), and the
  labels, one ground-truth line per row keyed by the inferenceId, are collected in the same hour, so ``run
  --start {hour} --end {hour + 1h}`` reads both.
"""

from __future__ import annotations

import csv
import io
import math
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum
from pathlib import PurePosixPath
from typing import Any

import polars as pl
from transaction_scoring.contract import CLASS_FIELD, PROBABILITY_FIELD

from pipelines.capture import CapturedPayload, CaptureEncoding, CaptureRecord, capture_file_key
from pipelines.ground_truth import GroundTruthRecord, ground_truth_file_key
from pipelines.jsonio import dumps_line
from pipelines.monitoring.baseline_dataset import read_dataset
from pipelines.monitoring.dataset_reader import DatasetFormat, DatasetLayout
from pipelines.monitoring.tabular import column_problems
from pipelines.setting_names import SettingsError, setting
from pipelines.storage import Storage, join_location
from pipelines.timewindow import HOUR, TimeWindow, floor_hour

DEFAULT_VARIANT = "AllTraffic"
# Every capture line names the namespace of its eventIds: the same CSV row always gets the same eventId.
_EVENT_NAMESPACE = uuid.UUID("5f0c1a52-5d1c-4c47-9d0e-0d4c2a1e1414")


class RequestContentType(StrEnum):
    JSON = "application/json"
    CSV = "text/csv"


_TEXT_TYPES = {
    RequestContentType.JSON.value: CaptureEncoding.JSON,
    RequestContentType.CSV.value: CaptureEncoding.CSV,
}


class CsvCaptureError(SettingsError):
    """Options that do not fit the CSV."""


@dataclass(frozen=True, slots=True)
class CsvCaptureOptions:
    endpoint: str
    hour: datetime  # the captured hour's start (floored to the hour)
    variant: str = DEFAULT_VARIANT
    content_type: RequestContentType = RequestContentType.JSON
    label: str | None = None
    prediction_column: str | None = None
    probability_column: str | None = None
    exclude: tuple[str, ...] = ()
    has_header: bool | None = None
    headers: tuple[str, ...] | None = None


@dataclass(frozen=True, slots=True)
class CsvCaptureWritten:
    capture_file: str
    ground_truth_file: str | None
    requests: int
    labels: int
    window: TimeWindow
    request_columns: tuple[str, ...]


def write_csv_capture(
    storage: Storage,
    dataset: str,
    capture_root: str,
    options: CsvCaptureOptions,
    ground_truth_root: str | None = None,
) -> CsvCaptureWritten:
    """Write ``dataset``'s rows as one capture file of ``options.hour`` (and their labels); see the module."""
    if options.label is not None and ground_truth_root is None:
        raise CsvCaptureError(
            f"{setting('label')} needs {setting('ground_truth')}: where to write the labels"
        )
    layout = DatasetLayout(DatasetFormat.CSV, options.has_header, options.headers)
    data = read_dataset(storage, dataset, layout)
    columns = data.columns()
    named = [
        (setting("label"), options.label),
        (setting("prediction_column"), options.prediction_column),
        (setting("probability_column"), options.probability_column),
        *((setting("exclude"), c) for c in options.exclude),
    ]
    problems = column_problems(columns, named, data.where)
    if problems:
        raise CsvCaptureError(problems)
    left_out = {c for _, c in named if c is not None}
    request_columns = tuple(c for c in columns if c not in left_out)
    if not request_columns:
        raise CsvCaptureError(
            f"{data.where}: no column is left for the requests once {', '.join(left_out)} are out"
        )
    text = (
        pl.concat(data.text_tables(), how="vertical")
        if len(data.text_tables()) > 1
        else data.text_tables()[0]
    )
    typed = data.typed()
    window = TimeWindow(floor_hour(options.hour), floor_hour(options.hour) + HOUR)
    stem = PurePosixPath(data.files[0]).stem if data.files else "table"
    records = _request_bodies(text, typed, request_columns, options.content_type)
    responses = _responses(typed, options)
    labels = text.get_column(options.label).to_list() if options.label is not None else None
    lines: list[str] = []
    truth: list[str] = []
    spacing = HOUR / max(1, len(records))
    for row, body in enumerate(records):
        inference_id = f"{stem}-{row}"
        response = responses[row] if responses is not None else None
        lines.append(
            CaptureRecord(
                CapturedPayload.encode(body.encode(), options.content_type.value, _TEXT_TYPES),
                None
                if response is None
                else CapturedPayload.encode(response.encode(), RequestContentType.JSON.value, _TEXT_TYPES),
                event_id=str(uuid.uuid5(_EVENT_NAMESPACE, f"{options.endpoint}/{inference_id}")),
                inference_time=window.start + spacing * row,
                inference_id=inference_id,
            ).to_line()
        )
        if labels is not None and labels[row] not in (None, ""):
            truth.append(GroundTruthRecord(inference_id, str(labels[row])).to_line())
    capture_file = storage.write_text(
        join_location(capture_root, capture_file_key(options.endpoint, options.variant, window.start, stem)),
        "".join(f"{line}\n" for line in lines),
        "application/jsonlines",
    )
    ground_truth_file = None
    if labels is not None and ground_truth_root is not None:
        collected = window.end - timedelta(minutes=1)
        ground_truth_file = storage.write_text(
            join_location(ground_truth_root, ground_truth_file_key(collected, stem)),
            "".join(f"{line}\n" for line in truth),
            "application/jsonlines",
        )
    return CsvCaptureWritten(capture_file, ground_truth_file, len(lines), len(truth), window, request_columns)


def _request_bodies(
    text: pl.DataFrame, typed: pl.DataFrame, columns: Sequence[str], content_type: RequestContentType
) -> list[str]:
    if content_type is RequestContentType.CSV:
        out = io.StringIO()
        writer = csv.writer(out, lineterminator="\n")
        bodies = []
        for row in text.select(columns).iter_rows():
            out.seek(0)
            out.truncate()
            writer.writerow(["" if cell is None else cell for cell in row])
            bodies.append(out.getvalue().rstrip("\n"))
        return bodies
    # JSON keeps the dataset's types (Clarify and the typed monitors read them); an empty cell is null.
    return [dumps_line(_json_safe(record)) for record in typed.select(columns).iter_rows(named=True)]


def _responses(typed: pl.DataFrame, options: CsvCaptureOptions) -> list[str] | None:
    fields = [
        (CLASS_FIELD, options.prediction_column),
        (PROBABILITY_FIELD, options.probability_column),
    ]
    given = [(name, column) for name, column in fields if column is not None]
    if not given:
        return None
    values = {name: typed.get_column(column).to_list() for name, column in given}
    return [
        dumps_line(_json_safe({name: values[name][row] for name, _ in given})) for row in range(typed.height)
    ]


def _json_safe(record: dict[str, Any]) -> dict[str, Any]:
    """NaN and infinities are not JSON: they go as the text the CSV had for them."""
    return {
        key: str(value) if isinstance(value, float) and not math.isfinite(value) else value
        for key, value in record.items()
    }
