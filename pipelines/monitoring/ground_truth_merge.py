"""Join ground-truth labels to captured predictions, like Model Monitor's ground-truth merge job.

Model Monitor (https://docs.aws.amazon.com/sagemaker/latest/dg/model-monitor-model-quality-merge.html)
matches each label's ``eventMetadata.eventId`` with the ``inferenceId`` of a captured request, or its
``eventId`` when the request had no inferenceId. That identifies a *request*; our endpoint also receives
requests holding several records, so a label is matched to a record as follows:

- a request with one record: on its inferenceId (or eventId), and failing that on the record's
  ``Transaction ID`` (``__record_id``);
- a request with several records: on each record's ``Transaction ID`` only (the request's inferenceId
  names the whole batch, so a label for it cannot say which record it belongs to).

Labels are read from ``{ground-truth root}/yyyy/mm/dd/hh/`` for every hour of the ground-truth window, in
time order (files in name order within an hour, lines in file order). When the same eventId is labelled
more than once, the last one collected wins and the earlier ones are counted as superseded. Unreadable
lines are counted and kept (file:line and reason), never fatal.

Delayed labels: Model Monitor's ``StartTimeOffset``/``EndTimeOffset`` move the window of *captured* data
back from the execution time (e.g. -P8D/-P1D analyses the predictions made 8 to 1 days ago,
https://docs.aws.amazon.com/sagemaker/latest/dg/model-monitor-model-quality-schedule.html); labels for
them may have been collected at any time since, so the ground-truth window runs from the start of the
capture window to the execution time.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from datetime import timedelta

import polars as pl

from pipelines.ground_truth import GroundTruthFormatError, parse_ground_truth_line
from pipelines.monitoring.capture_reader import EVENT_ID, INFERENCE_ID, RECORD_ID
from pipelines.storage import Storage, join_location
from pipelines.timewindow import TimeWindow

# The column the merge adds: the label as text, null when no label matched.
GROUND_TRUTH_COLUMN = "__ground_truth"

MAX_KEPT_PROBLEMS = 100
UTF8_BOM = b"\xef\xbb\xbf"


def capture_window(
    execution: TimeWindow, start_offset: timedelta | None = None, end_offset: timedelta | None = None
) -> TimeWindow:
    """The captured-data window of an execution, moved by Model Monitor's offsets.

    Offsets are added to the execution's end (its scheduled time): with -P8D/-P1D an execution at
    2020-01-09T13:00 reads capture from 2020-01-01T13:00 to 2020-01-08T13:00, as in the AWS example.
    Without offsets it is the execution window itself.
    """
    start = execution.start if start_offset is None else execution.end + start_offset
    end = execution.end if end_offset is None else execution.end + end_offset
    return TimeWindow(start, end)


def ground_truth_window(capture: TimeWindow, execution: TimeWindow) -> TimeWindow:
    """Hours in which labels for the captured predictions can have been collected: capture start to now."""
    return TimeWindow(capture.start, max(execution.end, capture.end))


@dataclass(slots=True)
class GroundTruthLabels:
    """Labels by eventId (the last collected wins), and what reading them found."""

    labels: dict[str, str] = field(default_factory=dict)
    lines_read: int = 0
    superseded: int = 0
    unreadable_lines: int = 0
    problems: list[str] = field(default_factory=list)

    def add_lines(self, where: str, lines: Iterable[str | bytes]) -> None:
        """Parse one file's lines (``where`` names it in problems); later labels replace earlier ones.

        A line that is not UTF-8 text is unreadable like a line that is not JSON: counted, kept as a problem,
        and the file's other lines are still read.
        """
        for line in label_lines(where, lines):
            self.lines_read += 1
            if line.problems:
                self._unreadable(line.problems)
                continue
            assert line.event_id is not None
            assert line.label is not None
            if line.event_id in self.labels:
                self.superseded += 1
            self.labels[line.event_id] = line.label

    def _unreadable(self, problems: Iterable[str]) -> None:
        self.unreadable_lines += 1
        if len(self.problems) < MAX_KEPT_PROBLEMS:
            self.problems.extend(problems)

    def table(self) -> pl.DataFrame:
        """The labels as a table (``__key``: eventId, ``__label``), what the run engines ship and join."""
        return pl.DataFrame(
            {LABEL_KEY: list(self.labels), LABEL_VALUE: list(self.labels.values())},
            schema={LABEL_KEY: pl.String, LABEL_VALUE: pl.String},
        )

    def counts_only(self) -> GroundTruthLabels:
        """The same counts and problems without the labels (what a run's summary needs)."""
        return GroundTruthLabels({}, self.lines_read, self.superseded, self.unreadable_lines, self.problems)


LABEL_KEY, LABEL_VALUE = "__key", "__label"


@dataclass(frozen=True, slots=True)
class LabelLine:
    """One non-empty line of a label file: its label, or why it cannot be read."""

    number: int
    event_id: str | None
    label: str | None
    problems: tuple[str, ...] = ()


def label_lines(where: str, lines: Iterable[str | bytes]) -> Iterator[LabelLine]:
    """The non-empty lines of the label file ``where``, parsed (the Spark engine parses them the same way)."""
    for number, raw in enumerate(lines, start=1):
        if not raw.strip():
            continue
        try:
            line = raw.decode("utf-8") if isinstance(raw, bytes) else raw
            record = parse_ground_truth_line(line, where=f"{where}:{number}")
        except UnicodeDecodeError as error:
            reason = f"not UTF-8 text ({error.reason} at byte {error.start} of the line)"
            yield LabelLine(number, None, None, (f"{where}:{number}: {reason}",))
            continue
        except GroundTruthFormatError as error:
            yield LabelLine(number, None, None, tuple(error.problems))
            continue
        yield LabelLine(number, record.event_id, record.label)


def label_file_lines(data: bytes) -> list[bytes]:
    """A label file's lines: JSON Lines end at "\\n" only (str.splitlines would also split at separators
    inside a value)."""
    return data.removeprefix(UTF8_BOM).split(b"\n")


def ground_truth_files(storage: Storage, root: str, window: TimeWindow) -> list[str]:
    """The label files of the hours of ``window`` under ``root/yyyy/mm/dd/hh/``, in collection order."""
    return [
        location
        for partition in window.partitions()
        for location in storage.list_files(join_location(root, partition))
    ]


def read_ground_truth(storage: Storage, root: str, window: TimeWindow) -> GroundTruthLabels:
    """Every label under ``root/yyyy/mm/dd/hh/`` for the hours of ``window``, in collection order."""
    labels = GroundTruthLabels()
    for location in ground_truth_files(storage, root, window):
        labels.add_lines(location, label_file_lines(storage.read_bytes(location)))
    return labels


@dataclass(frozen=True, slots=True)
class MergeReport:
    """Counts of the join, both ways."""

    records: int
    matched_records: int
    unmatched_records: int
    ground_truth_labels: int
    matched_ground_truth: int
    unmatched_ground_truth: int
    superseded_labels: int
    unreadable_lines: int

    def as_json(self) -> dict[str, int]:
        return {
            "records": self.records,
            "ground_truth_matched": self.matched_records,
            "ground_truth_unmatched": self.unmatched_records,
            "ground_truth_labels": self.ground_truth_labels,
            "ground_truth_labels_unused": self.unmatched_ground_truth,
            "ground_truth_superseded": self.superseded_labels,
            "ground_truth_unreadable_lines": self.unreadable_lines,
        }


def self_labelled_report(records: int, labelled: int) -> MergeReport:
    """The counts of ``records`` records of which ``labelled`` carry their own label."""
    return MergeReport(
        records=records,
        matched_records=labelled,
        unmatched_records=records - labelled,
        ground_truth_labels=labelled,
        matched_ground_truth=labelled,
        unmatched_ground_truth=0,
        superseded_labels=0,
        unreadable_lines=0,
    )


def merge_ground_truth(records: pl.DataFrame, labels: GroundTruthLabels) -> tuple[pl.DataFrame, MergeReport]:
    """``records`` with a ``__ground_truth`` column (null when unmatched), and the counts of the join."""
    merged, used_keys = attach_ground_truth(records, labels.table())
    return merged, merge_report(records.height, merged, used_keys.len(), labels)


def merge_report(
    records: int, merged: pl.DataFrame, used_labels: int, labels: GroundTruthLabels
) -> MergeReport:
    """The counts of a join of ``records`` records (``merged``: with their labels) that used ``used_labels``
    distinct labels of ``labels``."""
    matched = 0 if merged.height == 0 else int(merged.get_column(GROUND_TRUTH_COLUMN).is_not_null().sum())
    return matched_report(records, matched, used_labels, labels)


def matched_report(records: int, matched: int, used_labels: int, labels: GroundTruthLabels) -> MergeReport:
    total = labels.lines_read - labels.unreadable_lines - labels.superseded
    return MergeReport(
        records=records,
        matched_records=matched,
        unmatched_records=records - matched,
        ground_truth_labels=total,
        matched_ground_truth=used_labels,
        unmatched_ground_truth=total - used_labels,
        superseded_labels=labels.superseded,
        unreadable_lines=labels.unreadable_lines,
    )


REQUEST_KEY, RECORD_KEY = "__request_key", "__record_key"


def join_keys(records: pl.DataFrame) -> pl.DataFrame:
    """The two keys a record's label may have (module docstring): ``__request_key``, the request's
    inferenceId (or eventId) when the request holds this record alone, and ``__record_key``, the record's
    ``Transaction ID``. The Spark engine joins these keys with the labels in Spark."""
    for column in (EVENT_ID, INFERENCE_ID, RECORD_ID):
        if column not in records.columns:
            raise ValueError(f"captured records need the capture reader's {column!r} column")
    request_key = pl.coalesce(pl.col(INFERENCE_ID), pl.col(EVENT_ID)).cast(pl.String)
    single = pl.len().over(EVENT_ID) == 1
    return records.select(
        pl.when(single).then(request_key).otherwise(None).alias(REQUEST_KEY),
        pl.col(RECORD_ID).cast(pl.String).alias(RECORD_KEY),
    )


def attach_ground_truth(records: pl.DataFrame, label_table: pl.DataFrame) -> tuple[pl.DataFrame, pl.Series]:
    """``records`` with a ``__ground_truth`` column (null when unmatched), and the distinct label keys used.

    ``label_table`` is ``GroundTruthLabels.table()``. Works batch by batch: a request's records are never
    split between batches, and the labels used by each batch are unioned by the engines.
    """
    if GROUND_TRUTH_COLUMN in records.columns:
        raise ValueError(f"captured records already have a {GROUND_TRUTH_COLUMN!r} column")

    def lookup(frame: pl.DataFrame, key: str, name: str) -> pl.DataFrame:
        table = label_table.rename({LABEL_KEY: key, LABEL_VALUE: name})
        return frame.join(table, on=key, how="left", maintain_order="left")

    # Only the key columns go through the joins; the label is attached to the records at the end.
    keys = join_keys(records)
    joined = lookup(lookup(keys, REQUEST_KEY, "__by_request"), RECORD_KEY, "__by_record")
    merged = joined.select(
        pl.coalesce("__by_request", "__by_record").alias(GROUND_TRUTH_COLUMN),
        pl.when(pl.col("__by_request").is_not_null())
        .then(pl.col(REQUEST_KEY))
        .otherwise(pl.when(pl.col("__by_record").is_not_null()).then(pl.col(RECORD_KEY)))
        .alias("__used_key"),
    )
    used_keys = merged.get_column("__used_key").drop_nulls().unique()
    return records.with_columns(merged.get_column(GROUND_TRUTH_COLUMN)), used_keys
