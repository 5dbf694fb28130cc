"""Batch transform data capture: the one definition used to write it (sandbox) and read it (monitors).

A transform job created with ``DataCaptureConfig`` (``DestinationS3Uri``, ``GenerateInferenceId``) does not
copy its data: it writes **manifests** naming the job's input and output files
(https://docs.aws.amazon.com/sagemaker/latest/dg/model-monitor-data-capture-batch.html)::

    {DestinationS3Uri}/input/yyyy/mm/dd/hh/{name}     [{"prefix": "s3://<input>/"}, "part-0.csv", ...]
    {DestinationS3Uri}/output/yyyy/mm/dd/hh/{name}    [{"prefix": "s3://<output>/"}, "part-0.csv.out", ...]

The hour folder is the hour the job started (UTC); a monitoring schedule with ``BatchTransformInput``
(``DataCapturedDestinationS3Uri``) reads the manifests of its window's hours. Each output file is its
input file's name plus ``.out`` (``SplitType``/``AssembleWith`` ``Line``: one output line per input line,
in order). With ``GenerateInferenceId`` every output record carries an inference ID (a UUID, what ground
truth's ``eventId`` must repeat) and the job's start time: a CSV output line ends with the two as its last
two columns (``0, 1f1d57b1-...,2022-08-30T00:49:15Z``); a JSON output object gets the reserved fields
``SageMakerInferenceId`` and ``SageMakerInferenceTime``. With ``JoinSource: Input`` a CSV output line
starts with its input line, and a JSON output is the input object with the prediction under
``SageMakerOutput`` (https://docs.aws.amazon.com/sagemaker/latest/dg/batch-transform-data-processing.html).
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from typing import Any

from pipelines.errors import UserError
from pipelines.jsonio import dumps_line, dumps_pretty
from pipelines.storage import join_location
from pipelines.timewindow import format_utc, hour_partition

OUTPUT_SUFFIX = ".out"
INFERENCE_ID_FIELD = "SageMakerInferenceId"
INFERENCE_TIME_FIELD = "SageMakerInferenceTime"
JOINED_OUTPUT_FIELD = "SageMakerOutput"


class ManifestSide(StrEnum):
    """The two folders under ``DestinationS3Uri``."""

    INPUT = "input"
    OUTPUT = "output"


class TransformCaptureFormatError(UserError):
    """A manifest that is not a batch transform capture manifest."""


@dataclass(frozen=True, slots=True)
class Manifest:
    """The files one manifest names: ``prefix`` joined with each name."""

    prefix: str
    names: tuple[str, ...]

    @property
    def locations(self) -> list[str]:
        return [join_location(self.prefix, name) for name in self.names]

    def to_text(self) -> str:
        """The manifest as the transform job writes it: one JSON array, the prefix object first."""
        return dumps_pretty([{"prefix": self.prefix}, *self.names]).decode()


def manifest_key(side: ManifestSide, started_at: datetime, name: str) -> str:
    """``input/2022/08/26/13/{name}``: where a job started at ``started_at`` puts a manifest."""
    return f"{side.value}/{hour_partition(started_at)}/{name}"


def parse_manifest(text: str, *, where: str = "manifest") -> Manifest:
    """A manifest: one JSON array ``[{"prefix": ...}, "name", ...]``, or such arrays one per line."""
    try:
        items: list[Any] = json.loads(text)
    except json.JSONDecodeError:
        items = []
        for number, line in enumerate(text.splitlines(), start=1):
            if not line.strip():
                continue
            try:
                value = json.loads(line)
            except json.JSONDecodeError as exc:
                raise TransformCaptureFormatError(
                    f"{where}:{number}: not JSON ({exc.msg}); expected a transform capture manifest "
                    '[{"prefix": "s3://..."}, "file", ...]'
                ) from None
            items += value if isinstance(value, list) else [value]
    if not isinstance(items, list) or not items or not isinstance(items[0], dict):
        raise TransformCaptureFormatError(
            f'{where}: expected a transform capture manifest [{{"prefix": "s3://..."}}, "file", ...]'
        )
    prefix = items[0].get("prefix")
    names = items[1:]
    if not isinstance(prefix, str) or not prefix:
        raise TransformCaptureFormatError(f"{where}: the first item has no prefix: {items[0]!r}")
    bad = [name for name in names if not isinstance(name, str) or not name]
    if bad:
        raise TransformCaptureFormatError(f"{where}: file names must be text, got {bad[0]!r}")
    return Manifest(prefix, tuple(names))


# -- writing (what a transform job with GenerateInferenceId writes) ------------------------------------------
def csv_output_line(cells: Sequence[object], inference_id: str | None, started_at: datetime) -> str:
    """An output CSV line: the job's output cells, then the inference ID and the job's start time."""
    tail = [] if inference_id is None else [inference_id, format_utc(started_at)]
    return ",".join(str(cell) for cell in [*cells, *tail])


def json_output_line(output: dict[str, Any], inference_id: str | None, started_at: datetime) -> str:
    """An output JSON line: the job's output object with the two reserved fields."""
    if inference_id is None:
        return dumps_line(output)
    return dumps_line(
        {**output, INFERENCE_ID_FIELD: inference_id, INFERENCE_TIME_FIELD: format_utc(started_at)}
    )
