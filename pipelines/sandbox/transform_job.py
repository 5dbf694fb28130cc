"""A batch transform job with data capture, as SageMaker runs one: input files, output files and the capture
manifests (``pipelines.transform_capture`` defines the layout; the monitors read it with
``run --transform-capture``).

What is kept of ``CreateTransformJob`` (https://docs.aws.amazon.com/sagemaker/latest/APIReference/
API_CreateTransformJob.html): ``SplitType``/``AssembleWith`` ``Line`` (one record per input line, one output
line per input line, in order, in ``{S3OutputPath}/{input name}.out``); ``ContentType``/``Accept`` JSON Lines
(records keyed by column, as the endpoint contract keys them; outputs ``{"class", "probability"}``) or CSV
(the model's feature columns in ``contract.FEATURE_COLUMNS`` order, no header; outputs ``class,probability``);
``DataProcessing.JoinSource`` ``Input`` (CSV: the input line's cells first; JSON: the input record with the
prediction under ``SageMakerOutput``); ``DataCaptureConfig``
``DestinationS3Uri`` and ``GenerateInferenceId`` (an inference ID and the job's start time on every output
record). The model scores in-process, as the sandbox's endpoint does; inference IDs are UUIDs drawn from a
seeded generator, so a job is reproducible.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from typing import Any

import numpy as np
from transaction_scoring import contract

from pipelines.jsonio import dumps_line
from pipelines.sandbox.endpoint import Predictor
from pipelines.storage import Storage, join_location
from pipelines.transform_capture import (
    JOINED_OUTPUT_FIELD,
    OUTPUT_SUFFIX,
    Manifest,
    ManifestSide,
    csv_output_line,
    json_output_line,
    manifest_key,
)


class TransformContent(StrEnum):
    """The job's ``ContentType`` (and ``Accept``)."""

    JSON_LINES = "application/jsonlines"
    CSV = "text/csv"


@dataclass(frozen=True, slots=True)
class TransformJobSettings:
    name: str
    input_prefix: str  # TransformInput's S3Uri: the job's input files are written here
    output_prefix: str  # TransformOutput's S3OutputPath
    capture_destination: str  # DataCaptureConfig.DestinationS3Uri
    started_at: datetime
    content: TransformContent = TransformContent.JSON_LINES
    generate_inference_id: bool = True
    join_input: bool = False  # DataProcessing.JoinSource = Input
    records_per_file: int = 500
    seed: int = 0


@dataclass(frozen=True, slots=True)
class TransformJobResult:
    input_files: tuple[str, ...]
    output_files: tuple[str, ...]
    manifests: tuple[str, str]  # the input and output manifests
    inference_ids: tuple[str | None, ...]  # per record, in input order


def run_transform_job(
    storage: Storage,
    model: Predictor,
    records: Sequence[Mapping[str, Any]],
    settings: TransformJobSettings,
) -> TransformJobResult:
    """Score ``records`` (endpoint request records) as a transform job and capture it."""
    rng = np.random.default_rng(settings.seed)
    inputs: list[str] = []
    outputs: list[str] = []
    inference_ids: list[str | None] = []
    names: list[str] = []
    suffix = ".jsonl" if settings.content is TransformContent.JSON_LINES else ".csv"
    for index, start in enumerate(range(0, len(records), settings.records_per_file)):
        part = records[start : start + settings.records_per_file]
        predictions = model.predict([dict(r) for r in part])
        ids = [
            str(uuid.UUID(bytes=rng.bytes(16), version=4)) if settings.generate_inference_id else None
            for _ in part
        ]
        input_lines = [_input_line(record, settings.content) for record in part]
        output_lines = [
            _output_line(prediction, input_line, inference_id, settings)
            for prediction, input_line, inference_id in zip(predictions, input_lines, ids, strict=True)
        ]
        name = f"part-{index:05d}{suffix}"
        names.append(name)
        inputs.append(
            storage.write_text(join_location(settings.input_prefix, name), "\n".join(input_lines) + "\n")
        )
        outputs.append(
            storage.write_text(
                join_location(settings.output_prefix, name + OUTPUT_SUFFIX), "\n".join(output_lines) + "\n"
            )
        )
        inference_ids += ids
    manifest_name = f"{settings.name}.jsonl"
    written = tuple(
        storage.write_text(
            join_location(
                settings.capture_destination, manifest_key(side, settings.started_at, manifest_name)
            ),
            Manifest(prefix, tuple(files)).to_text(),
        )
        for side, prefix, files in (
            (ManifestSide.INPUT, settings.input_prefix, names),
            (ManifestSide.OUTPUT, settings.output_prefix, [n + OUTPUT_SUFFIX for n in names]),
        )
    )
    return TransformJobResult(tuple(inputs), tuple(outputs), (written[0], written[1]), tuple(inference_ids))


def _input_line(record: Mapping[str, Any], content: TransformContent) -> str:
    if content is TransformContent.JSON_LINES:
        return dumps_line(dict(record))
    return ",".join(str(record[column]) for column in contract.FEATURE_COLUMNS)


def _output_line(
    prediction: contract.Prediction, input_line: str, inference_id: str | None, settings: TransformJobSettings
) -> str:
    if settings.content is TransformContent.JSON_LINES:
        output: dict[str, Any] = {
            contract.CLASS_FIELD: prediction.label,
            contract.PROBABILITY_FIELD: prediction.probability_pct,
        }
        if settings.join_input:
            output = {**json.loads(input_line), JOINED_OUTPUT_FIELD: output}
        return json_output_line(output, inference_id, settings.started_at)
    cells: list[object] = [prediction.label, prediction.probability_pct]
    if settings.join_input:
        cells = [input_line, *cells]
    return csv_output_line(cells, inference_id, settings.started_at)
