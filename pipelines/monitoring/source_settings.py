"""Which record source a run reads (``record_source``), and the name its results are filed under.

Part of ``resolve_run_settings``: exactly one of the ``capture`` (an endpoint's data capture), the
``transform_capture`` (a batch transform job's) or the ``dataset`` options gives the records. Settings that
only mean something for one kind of source are refused with the others, naming both.

Results are laid out as Model Monitor lays them out, ``{output}/{endpoint}/{endpoint}-{Type}/yyyy/mm/dd/hh/``.
For an endpoint the name is the endpoint's. A transform job or a dataset has none, so the ``endpoint``
option names it, else its location does: the last part of its path without the data suffix, in the
characters a SageMaker name allows (``validation.csv`` → ``validation``; ``s3://b/capture/batch/`` →
``batch``). A stage export's ``EndpointName`` is not used for them: its endpoint's history would then hold
executions that did not read its traffic.
"""

from __future__ import annotations

import re
from pathlib import Path

from pipelines.monitoring.capture_reader import ResponseFields
from pipelines.monitoring.capture_reader.transform import OutputColumns
from pipelines.monitoring.dataset_reader import DatasetLayout
from pipelines.monitoring.record_source import (
    DatasetColumns,
    DatasetRecords,
    EndpointCapture,
    RecordSource,
    TransformCapture,
)
from pipelines.monitoring.run_settings import RunOptions, Setting
from pipelines.s3uri import S3Uri, is_s3_uri
from pipelines.setting_names import setting
from pipelines.stage_export import INFERENCE_ATTRIBUTE, PROBABILITY_ATTRIBUTE, StageExport

_SOURCES = (Setting.CAPTURE, Setting.TRANSFORM_CAPTURE, Setting.DATASET)
_NAME_CHARACTERS = re.compile(r"[^A-Za-z0-9]+")
_DATA_SUFFIXES = (".csv", ".jsonl", ".jsonlines", ".json")
_ENDPOINT_NAME_LENGTH = 63  # SageMaker's EndpointName


def given_sources(options: RunOptions) -> list[Setting]:
    values = {
        Setting.CAPTURE: options.capture,
        Setting.TRANSFORM_CAPTURE: options.transform_capture,
        Setting.DATASET: options.dataset,
    }
    return [name for name in _SOURCES if values[name] is not None]


def source_problems(options: RunOptions) -> list[str]:
    """One source, which exists when local, and no setting of another kind of source."""
    given = given_sources(options)
    problems = []
    if len(given) != 1:
        choices = ", ".join(setting(name) for name in _SOURCES)
        problems.append(
            f"give one of {choices} (where the records come from)"
            if not given
            else f"give one of {choices}, not {' and '.join(setting(name) for name in given)}"
        )
    for name, location, expected in (
        (Setting.CAPTURE, options.capture, "the data capture root"),
        (Setting.TRANSFORM_CAPTURE, options.transform_capture, "the transform job's DestinationS3Uri"),
    ):
        if location is not None and not is_s3_uri(location) and not Path(location).is_dir():
            problems.append(f"{setting(name)} {location}: no such folder (expected {expected})")
    if options.dataset is not None and not is_s3_uri(options.dataset) and not Path(options.dataset).exists():
        problems.append(f"{setting(Setting.DATASET)} {options.dataset}: no such file or folder")
    problems += _misplaced(options)
    return problems


def _misplaced(options: RunOptions) -> list[str]:
    """Settings of a dataset without one, settings of capture with a dataset."""
    layout, columns = options.dataset_layout, options.dataset_columns
    dataset_only = {
        Setting.DATASET_TYPE: layout.format,
        Setting.HEADER: layout.has_header,
        Setting.HEADERS: layout.headers,
        Setting.FEATURES_ATTRIBUTE: layout.features_attribute,
        Setting.LABEL: columns.label,
        Setting.PREDICTION_COLUMN: columns.prediction,
        Setting.PROBABILITY_COLUMN: columns.probability,
        Setting.EXCLUDE: columns.exclude or None,
    }
    problems = []
    if options.dataset is None:
        problems += [
            f"{setting(name)} is for {setting(Setting.DATASET)} (the labels and predictions of captured "
            "records come from ground truth and the responses)"
            for name, value in dataset_only.items()
            if value is not None
        ]
    else:
        capture_only = {
            Setting.GROUND_TRUTH: options.ground_truth,
            Setting.START_OFFSET: options.start_offset,
            Setting.END_OFFSET: options.end_offset,
            Setting.VARIANT: options.variant,
        }
        problems += [
            f"{setting(name)} is for captured records, not {setting(Setting.DATASET)} (a dataset is read "
            f"whole; its labels are its {setting(Setting.LABEL)} column)"
            for name, value in capture_only.items()
            if value is not None
        ]
    if options.variant is not None and options.transform_capture is not None:
        problems.append(f"{setting(Setting.VARIANT)} is for an endpoint's {setting(Setting.CAPTURE)}")
    return problems


def results_name(options: RunOptions, export: StageExport | None) -> str | None:
    """What the results are filed under (see the module docstring); None when it must be given."""
    if options.endpoint is not None:
        return options.endpoint
    location = options.dataset or options.transform_capture
    if location is not None:
        return name_of(location)
    return export.endpoint if export is not None else None


def name_of(location: str) -> str:
    """``validation`` for ``.../validation.csv``: a location's last part, as a SageMaker name."""
    path = S3Uri.parse(location).key if is_s3_uri(location) else location.replace("\\", "/")
    last = next((part for part in reversed(path.split("/")) if part), "")
    for suffix in _DATA_SUFFIXES:
        if last.lower().endswith(suffix):
            last = last[: -len(suffix)]
    name = _NAME_CHARACTERS.sub("-", last).strip("-")[:_ENDPOINT_NAME_LENGTH].strip("-")
    return name or "dataset"


def record_source(
    options: RunOptions, export: StageExport | None, endpoint: str, fields: ResponseFields
) -> RecordSource:
    """The source ``options`` name (checked by ``source_problems``)."""
    if options.dataset is not None:
        return DatasetRecords(
            options.dataset,
            _dataset_layout(options.dataset_layout, options.dataset_columns),
            options.dataset_columns,
        )
    if options.transform_capture is not None:
        return TransformCapture(options.transform_capture, fields, output_columns(options, export))
    assert options.capture is not None
    return EndpointCapture(options.capture, endpoint, options.variant, fields)


def _dataset_layout(layout: DatasetLayout, columns: DatasetColumns) -> DatasetLayout:
    """In Clarify's JSON Lines layout the label option is the label's path."""
    if layout.features_attribute is None or layout.label_attribute is not None:
        return layout
    return DatasetLayout(
        layout.format, layout.has_header, layout.headers, layout.features_attribute, columns.label
    )


def output_columns(options: RunOptions, export: StageExport | None) -> OutputColumns:
    """Positions given as the inference/probability attributes (``"69"``): where a transform's CSV output
    holds the prediction, as Model Monitor's batch transform input reads them."""

    def position(option: str | None, parameter: str) -> int | None:
        text = option if option is not None else (export.value(parameter) if export else None)
        return int(text) if text is not None and text.strip().isdigit() else None

    return OutputColumns(
        position(options.inference_attribute, INFERENCE_ATTRIBUTE),
        position(options.probability_attribute, PROBABILITY_ATTRIBUTE),
    )
