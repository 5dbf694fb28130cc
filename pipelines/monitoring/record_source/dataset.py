"""A dataset as a record source: every record of a CSV or JSON Lines file, folder or S3 prefix, whatever the
window (``run --dataset``).

Each row becomes one record of the capture reader's shape: its columns are the features, except the label,
the prediction columns and the ``exclude``d ones; ``GROUND_TRUTH_COLUMN`` holds the label (as text, ``1.0``
read as ``1`` like a label of ``baseline``), ``PREDICTED_LABEL`` the prediction column when it holds whole
numbers (a prediction with fractions, i.e. a regression value, goes where a regression endpoint's answer
goes: ``PREDICTED_PROBABILITY``), ``PREDICTED_PROBABILITY`` the probability column. The record key
(``Transaction ID`` by default) is ``RECORD_ID``; ``EVENT_ID`` is ``file:record number``; there is no
inference ID or time. CSV cells stay text, as the analyzer reads CSV (and as captured CSV records are);
JSON Lines values keep their JSON types (as captured JSON records do).

A JSON Lines line that is not an object is kept with the execution's input problems (like an unreadable
capture line); a label, prediction or excluded column the dataset does not have is a user error.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import ClassVar

import polars as pl
from transaction_scoring.contract import TRANSACTION_ID

from pipelines.monitoring.capture_reader import (
    EVENT_ID,
    INFERENCE_ID,
    INFERENCE_TIME,
    METADATA_COLUMNS,
    POSITION,
    POSITION_FILE_SHIFT,
    PREDICTED_LABEL,
    PREDICTED_PROBABILITY,
    RECORD_ID,
    RECORD_INDEX,
    CaptureReadReport,
    ReadProblem,
)
from pipelines.monitoring.capture_reader.columns import METADATA_PREFIX
from pipelines.monitoring.dataset_reader import (
    DatasetFormat,
    DatasetLayout,
    csv_text_table,
    dataset_files,
    file_format,
    read_json_lines,
)
from pipelines.monitoring.ground_truth_merge import GROUND_TRUTH_COLUMN
from pipelines.monitoring.record_source.base import SourceKind, SourceParts
from pipelines.monitoring.tabular import column_problems
from pipelines.setting_names import SettingsError, setting
from pipelines.storage import Storage
from pipelines.timewindow import TimeWindow

DEFAULT_BATCH_ROWS = 200_000


@dataclass(frozen=True, slots=True)
class DatasetColumns:
    """Which columns of a dataset are not features: the label, the predictions, and excluded ones."""

    label: str | None = None
    prediction: str | None = None
    probability: str | None = None
    exclude: tuple[str, ...] = ()

    def problems(self, columns: list[str], where: str) -> list[str]:
        wanted = [
            (setting("label"), self.label),
            (setting("prediction_column"), self.prediction),
            (setting("probability_column"), self.probability),
            *((setting("exclude"), name) for name in self.exclude),
        ]
        return column_problems(columns, wanted, where)


@dataclass(frozen=True, slots=True)
class DatasetRecords:
    """Every record of the dataset at ``location`` (a file, or the data files below a folder/prefix)."""

    location: str
    layout: DatasetLayout = field(default_factory=DatasetLayout)
    columns: DatasetColumns = field(default_factory=DatasetColumns)
    record_id_field: str = TRANSACTION_ID
    batch_rows: int = DEFAULT_BATCH_ROWS

    kind: ClassVar[SourceKind] = SourceKind.DATASET

    @property
    def labels_in_records(self) -> bool:
        return self.columns.label is not None

    @property
    def label_column(self) -> str | None:
        """The label's column in the table (a JSON Lines label path is named by the last header)."""
        return self.layout.label_column(self.columns.label)

    def parts(self, storage: Storage, window: TimeWindow) -> SourceParts:
        return SourceParts(tuple(dataset_files(storage, self.location, self.layout.format)))

    def reader(self, storage: Storage) -> DatasetReader:
        return DatasetReader(storage, self)

    def no_records(self, window: TimeWindow, report: CaptureReadReport) -> str:
        return (
            f"no records in the dataset {self.location} ({report.files} files, {report.unreadable_lines} "
            "unreadable lines)"
        )


class DatasetReader:
    """Reads dataset files into record batches (see the module docstring)."""

    def __init__(self, storage: Storage, source: DatasetRecords) -> None:
        self._storage = storage
        self._source = source
        self.report = CaptureReadReport()

    @property
    def events(self) -> pl.Series:
        """A dataset's records have no eventIds to repeat."""
        return pl.Series("seen", [], dtype=pl.UInt64)

    def batches(self, parts: SourceParts) -> Iterator[pl.DataFrame]:
        self.report.unreadable += [ReadProblem(where, reason) for where, reason in parts.problems]
        for ordinal, path in enumerate(parts.items, start=parts.first):
            table = self._table(path)
            self.report.files += 1
            fractions = _has_fractions(table, self._source.columns.prediction)
            for offset, chunk in enumerate(table.iter_slices(self._source.batch_rows)):
                self.report.captured_requests += chunk.height
                self.report.records += chunk.height
                first = offset * self._source.batch_rows
                yield self._records(chunk, path, first, fractions, ordinal << POSITION_FILE_SHIFT)

    def _table(self, path: str) -> pl.DataFrame:
        source = self._source
        data = self._storage.read_bytes(path)
        if file_format(path, data, source.layout) is DatasetFormat.CSV:
            table = csv_text_table(data, path, source.layout)
        else:
            read = read_json_lines(data, path, source.layout)
            self.report.unreadable += [ReadProblem(where, reason) for where, reason in read.problems]
            table = read.table
        columns = DatasetColumns(
            source.label_column, source.columns.prediction, source.columns.probability, source.columns.exclude
        )
        problems = columns.problems(table.columns, path)
        if problems and table.height:
            raise SettingsError(problems)
        reserved = [name for name in table.columns if name.startswith(METADATA_PREFIX)]
        if reserved:  # as for captured records: they would clash with the monitors' own columns
            self.report.left_out_fields.append(
                ReadProblem(
                    path,
                    f"column(s) {', '.join(map(repr, reserved))} left out: names starting with "
                    f"{METADATA_PREFIX!r} are the monitors' own columns",
                )
            )
            table = table.drop(reserved)
        return table

    def _records(
        self, chunk: pl.DataFrame, path: str, first: int, fractions: bool, file_position: int
    ) -> pl.DataFrame:
        source = self._source
        label, prediction, probability = (
            source.label_column,
            source.columns.prediction,
            source.columns.probability,
        )
        not_features = {label, prediction, probability, *source.columns.exclude}
        features = [c for c in chunk.columns if c not in not_features]
        record_id = source.record_id_field
        number = pl.int_range(first + 1, first + 1 + chunk.height, dtype=pl.Int64)
        predicted_label, predicted_value = _predictions(prediction, probability, fractions)
        metadata = {
            EVENT_ID: pl.concat_str(pl.lit(f"{path}:"), number.cast(pl.String)),
            INFERENCE_ID: pl.lit(None, dtype=pl.String),
            INFERENCE_TIME: pl.lit(None, dtype=pl.Datetime("us", "UTC")),
            RECORD_INDEX: pl.lit(0, dtype=pl.Int64),
            RECORD_ID: (
                pl.col(record_id).cast(pl.String)
                if record_id in chunk.columns
                else pl.lit(None, dtype=pl.String)
            ),
            PREDICTED_LABEL: predicted_label,
            PREDICTED_PROBABILITY: predicted_value,
            POSITION: pl.int_range(
                file_position + first, file_position + first + chunk.height, dtype=pl.Int64
            ),
        }
        columns = [pl.col(c) for c in features] + [metadata[c].alias(c) for c in METADATA_COLUMNS]
        if label is not None:
            columns.append(_label_text(pl.col(label)).alias(GROUND_TRUTH_COLUMN))
        return chunk.select(columns)


def _label_text(column: pl.Expr) -> pl.Expr:
    """A label as text; a whole number as an integer (``1.0`` reads ``1``, as ``baseline`` reads it)."""
    number = column.cast(pl.String).str.strip_chars().cast(pl.Float64, strict=False)
    whole = number.is_not_null() & number.is_finite() & (number == number.floor())
    return pl.when(whole).then(number.cast(pl.Int64).cast(pl.String)).otherwise(column.cast(pl.String))


def _number(column: str) -> pl.Expr:
    return pl.col(column).cast(pl.String).str.strip_chars().cast(pl.Float64, strict=False)


def _has_fractions(table: pl.DataFrame, prediction: str | None) -> bool:
    """Whether the prediction column holds numbers with fractions (a regression's predicted values)."""
    if prediction is None or prediction not in table.columns:
        return False
    numbers = table.select(_number(prediction).alias("n")).get_column("n").drop_nulls()
    return bool(numbers.len()) and bool((numbers != numbers.floor()).any())


def _predictions(prediction: str | None, probability: str | None, fractions: bool) -> tuple[pl.Expr, pl.Expr]:
    """``PREDICTED_LABEL`` and ``PREDICTED_PROBABILITY`` from the dataset's prediction columns."""
    no_label = pl.lit(None, dtype=pl.Int64)
    value = _number(probability) if probability is not None else pl.lit(None, dtype=pl.Float64)
    if prediction is None:
        return no_label, value
    if fractions and probability is None:
        # a regression value: where a regression endpoint's answer goes (the probability's place)
        return no_label, _number(prediction)
    return _number(prediction).cast(pl.Int64, strict=False), value
