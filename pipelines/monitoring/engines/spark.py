"""The Spark engine: Spark reads a window's capture (and ground truth), joins the labels, and every partition
computes the monitors' partial results with the same Python classes; the driver merges them.

What runs where:

- capture files are listed by the driver and read by the executors' Python workers with our ``Storage``
  (boto3 for S3, the same credentials and ``AWS_ENDPOINT_URL`` as every other part of this project, no
  Hadoop S3 connector to install or configure): one row per file, so a file is decoded whole by the local
  engine's reader, ``CaptureReader``: CSV/JSON/BASE64 payloads, batched requests, unreadable lines named by
  file and line exactly as on the other engines;
- ground truth, for monitors that need it: label files are read the same way and parsed line by line as the
  local engine does (``label_lines``), the last label collected for an eventId wins (a window function over
  file and line order);
  every captured record's two join keys (``ground_truth_merge.join_keys``: the request's inferenceId when it
  holds one record, the record's ``Transaction ID``) are joined with the labels **in Spark**, and the matched
  labels travel back to the records' files by a second Spark join on the file;
- each partition folds its files into a ``WindowPartial`` (``window_job.files_partial``, the code the local
  engine runs) and returns it as bytes; the driver merges the partitions' partials in file order.

Spark's rows name each file by its location as given (a local path or ``s3://``) and its ordinal in the
window (``file``). Our package must be importable on the executors (a local master shares this interpreter; on
SageMaker's Spark image the bootstrap installs it on every host), and the executors need the AWS settings
of the driver's environment for S3 (the bootstrap passes them: ``pipelines.container.bootstrap``).
"""

from __future__ import annotations

import os
import sys
from collections.abc import Callable, Iterator, Sequence
from typing import TYPE_CHECKING, Any

import polars as pl
import pyarrow as pa

from pipelines.errors import UserError
from pipelines.monitoring.capture_reader import POSITION, POSITION_FILE_SHIFT
from pipelines.monitoring.engines.window_job import (
    WindowJob,
    WindowPartial,
    files_partial,
    merge_in_order,
    without_repeated_requests,
)
from pipelines.monitoring.ground_truth_merge import (
    GROUND_TRUTH_COLUMN,
    MAX_KEPT_PROBLEMS,
    RECORD_KEY,
    REQUEST_KEY,
    GroundTruthLabels,
    join_keys,
    label_file_lines,
    label_lines,
)
from pipelines.monitoring.record_source import SourceKind, SourceParts
from pipelines.setting_names import setting
from pipelines.storage import Storage

if TYPE_CHECKING:
    from pyspark.sql import DataFrame, SparkSession

    from pipelines.monitoring.engines import EngineSpec, GroundTruthSource

APP_NAME = "fraud-model-monitoring"
FILES_PER_ARROW_BATCH = 8  # capture files handed to Python at once (each is decoded whole)


def spark_session(master: str | None = None) -> SparkSession:
    """The running session, or a new one (``master``, default ``local[*]``).

    Under ``spark-submit`` (PySpark then finds the submitting JVM's gateway in ``PYSPARK_GATEWAY_PORT``:
    ``pyspark/java_gateway.py``) and without ``master``, the session takes spark-submit's master and
    configuration (``--master yarn`` and the cluster's spark-defaults in SageMaker's Spark image) instead of
    this function's local defaults.
    """
    from pyspark.sql import SparkSession

    active = SparkSession.getActiveSession()
    if active is not None:
        return active
    builder = SparkSession.builder.appName(APP_NAME)
    if master is not None or "PYSPARK_GATEWAY_PORT" not in os.environ:
        builder = builder.master(master or "local[*]").config("spark.sql.shuffle.partitions", "8")
    builder = builder.config("spark.ui.enabled", "false").config("spark.ui.showConsoleProgress", "false")
    # Python workers run this interpreter (its virtualenv has our dependencies), unless told otherwise.
    os.environ.setdefault("PYSPARK_PYTHON", sys.executable)
    return builder.getOrCreate()


class SparkSourceError(UserError):
    """A record source the Spark engine does not read."""


class _Contents(Storage):
    """The bytes Spark read, served to the capture reader as if they were files."""

    def __init__(self, contents: dict[str, bytes]) -> None:
        super().__init__()
        self._contents = contents

    def read_bytes(self, location: str) -> bytes:
        return self._contents[location]


def compute_spark(
    storage: Storage, job: WindowJob, engine: EngineSpec, ground_truth: GroundTruthSource | None
) -> WindowPartial:
    """The window's merged partial results, computed by Spark."""
    from pyspark.sql import functions as F

    if job.source.kind is SourceKind.TRANSFORM_CAPTURE:
        raise SparkSourceError(
            "the Spark engine reads an endpoint's data capture or a dataset; read a batch transform's "
            "capture "
            f"with the local engine (the default {setting('engine')})"
        )
    if not job.files:
        result = merge_in_order([], job)
        if ground_truth is not None:
            result.labels = _read_labels(spark_session(engine.spark_master), ground_truth, job.storage)[1]
            result.used_label_count = 0
        return result
    spark = spark_session(engine.spark_master)
    spark.conf.set("spark.sql.execution.arrow.maxRecordsPerBatch", str(FILES_PER_ARROW_BATCH))
    capture = file_contents(spark, job.files, job.storage)
    if ground_truth is None:
        return merge_in_order(_partials(capture, job, storage, None), job)
    labels, counts = _read_labels(spark, ground_truth, job.storage)
    keys = capture.mapInArrow(_keys_of(job), "position long, request_key string, record_key string")
    by_request = labels.select(F.col("key").alias("request_key"), F.col("label").alias("by_request"))
    by_record = labels.select(F.col("key").alias("record_key"), F.col("label").alias("by_record"))
    joined = (
        keys.join(by_request, "request_key", "left")
        .join(by_record, "record_key", "left")
        .select(
            "position",
            F.coalesce("by_request", "by_record").alias("label"),
            F.when(F.col("by_request").isNotNull(), F.col("request_key"))
            .when(F.col("by_record").isNotNull(), F.col("record_key"))
            .alias("used_key"),
        )
        .filter(F.col("label").isNotNull())
        .cache()
    )
    used = joined.select(F.countDistinct("used_key")).first()
    per_file = joined.groupBy(
        (F.col("position") / (1 << POSITION_FILE_SHIFT)).cast("long").alias("file")
    ).agg(F.collect_list(F.struct("position", "label")).alias("labels"))

    def labels_of(files: list[int]) -> pl.DataFrame:
        rows = per_file.filter(F.col("file").isin(files)).collect()
        return _label_table([label.asDict() for row in rows for label in row["labels"]])

    partials = _partials(capture.join(per_file, "file", "left"), job, storage, labels_of)
    joined.unpersist()
    result = merge_in_order(partials, job)
    result.labels = counts
    result.used_label_count = int(used[0]) if used is not None else 0
    return result


def _partials(
    frame: DataFrame,
    job: WindowJob,
    storage: Storage,
    labels_of: Callable[[list[int]], pl.DataFrame] | None,
) -> list[WindowPartial]:
    """Each partition's ``WindowPartial``, in file order (a partition repeating an earlier one's requests is
    read again on the driver without them: ``without_repeated_requests``)."""
    labelled = labels_of is not None

    def partition(batches: Iterator[pa.RecordBatch]) -> Iterator[pa.RecordBatch]:
        rows = [row for batch in batches for row in batch.to_pylist()]
        if not rows:
            return
        rows.sort(key=lambda row: row["file"])
        files = [row["path"] for row in rows]
        contents = {name: row["content"] for name, row in zip(files, rows, strict=True)}
        matches = _label_table([label for row in rows for label in (row.get("labels") or [])])
        attach = _attach(matches) if labelled else _unlabelled
        # repartitionByRange gives each partition a run of consecutive files: the first ordinal places them
        result = files_partial(_Contents(contents), job, files, rows[0]["file"], attach, prefetch=False)
        yield pa.RecordBatch.from_pylist(
            [{"files": [row["file"] for row in rows], "partial": result.to_bytes(job)}],
            schema=pa.schema([("files", pa.list_(pa.int64())), ("partial", pa.binary())]),
        )

    # Partitions of consecutive files, as the local engine's slices (Spark packs file partitions by size, not
    # in order): a request delivered twice is kept where one reader of the whole window keeps it, its first
    # file, and a partition that repeats an earlier one's requests is the exception.
    spark = frame.sparkSession
    count = max(1, min(len(job.files), spark.sparkContext.defaultParallelism * 2))
    ranges = frame.repartitionByRange(count, "file")
    collected = ranges.mapInArrow(partition, "files array<long>, partial binary").collect()
    ordered = sorted(collected, key=lambda row: row["files"][0])
    partials = [WindowPartial.from_bytes(bytes(row["partial"]), job) for row in ordered]

    def reread(index: int, earlier: pl.Series) -> WindowPartial:
        ordinals = list(ordered[index]["files"])
        attach = _attach(labels_of(ordinals)) if labels_of is not None else _unlabelled
        files = [job.files[i] for i in ordinals]
        return files_partial(storage, job, files, ordinals[0], attach, seen_events=earlier)

    return without_repeated_requests(partials, reread)


def _unlabelled(batch: pl.DataFrame) -> tuple[pl.DataFrame, pl.Series | None]:
    return batch, None


def _attach(matches: pl.DataFrame) -> Callable[[pl.DataFrame], tuple[pl.DataFrame, pl.Series | None]]:
    """Attach the labels Spark matched (by position) to a batch of records."""

    def attach(batch: pl.DataFrame) -> tuple[pl.DataFrame, pl.Series | None]:
        return batch.join(matches, on=POSITION, how="left", maintain_order="left"), None

    return attach


def _label_table(labels: Sequence[dict[str, Any]]) -> pl.DataFrame:
    return pl.DataFrame(
        {POSITION: [m["position"] for m in labels], GROUND_TRUTH_COLUMN: [m["label"] for m in labels]},
        schema={POSITION: pl.Int64, GROUND_TRUTH_COLUMN: pl.String},
    )


def _keys_of(job: WindowJob) -> Any:
    """mapInArrow: every captured record's position and join keys."""

    def keys(batches: Iterator[pa.RecordBatch]) -> Iterator[pa.RecordBatch]:
        for batch in batches:
            for row in batch.to_pylist():
                name = row["path"]
                reader = job.source.reader(_Contents({name: row["content"]}))
                for records in reader.batches(SourceParts((name,), first=row["file"])):
                    table = pl.concat([records.select(POSITION), join_keys(records)], how="horizontal")
                    renamed = table.rename({REQUEST_KEY: "request_key", RECORD_KEY: "record_key"})
                    yield from renamed.to_arrow().to_batches()

    return keys


def file_contents(spark: SparkSession, files: Sequence[str], storage: Callable[[], Storage]) -> DataFrame:
    """Each file's ordinal (``file``), location (``path``) and ``content``, read by the executors' Python
    workers with ``storage()`` (a picklable factory: each worker makes its own S3 client); files spread over
    the default parallelism so that reading is spread too."""
    names = spark.createDataFrame(list(enumerate(files)), "file long, path string")
    spread = names.repartition(max(1, min(len(files), spark.sparkContext.defaultParallelism * 2)))

    def read(batches: Iterator[pa.RecordBatch]) -> Iterator[pa.RecordBatch]:
        reader = storage()
        for batch in batches:
            paths = batch.column("path").to_pylist()
            contents = pa.array([reader.read_bytes(path) for path in paths], pa.binary())
            yield pa.RecordBatch.from_arrays(
                [batch.column("file"), batch.column("path"), contents], names=["file", "path", "content"]
            )

    return spread.mapInArrow(read, "file long, path string, content binary")


def _read_labels(
    spark: SparkSession, source: GroundTruthSource, storage: Callable[[], Storage]
) -> tuple[DataFrame, GroundTruthLabels]:
    """The labels (``key``, ``label``: the last collected per eventId) and what reading them found."""
    from pyspark.sql import Window
    from pyspark.sql import functions as F

    schema = "key string, label string, file long, line long, problem string"
    if not source.files:
        empty = spark.createDataFrame([], schema).select("key", "label")
        return empty, GroundTruthLabels()

    def parse(batches: Iterator[pa.RecordBatch]) -> Iterator[pa.RecordBatch]:
        for batch in batches:
            out: list[dict[str, Any]] = []
            for row in batch.to_pylist():
                for line in label_lines(row["path"], label_file_lines(bytes(row["content"]))):
                    out.append(
                        {
                            "key": line.event_id,
                            "label": line.label,
                            "file": row["file"],
                            "line": line.number,
                            "problem": "\n".join(line.problems) if line.problems else None,
                        }
                    )
            yield pa.RecordBatch.from_pylist(
                out,
                schema=pa.schema(
                    [
                        ("key", pa.string()),
                        ("label", pa.string()),
                        ("file", pa.int64()),
                        ("line", pa.int64()),
                        ("problem", pa.string()),
                    ]
                ),
            )

    lines = file_contents(spark, source.files, storage).mapInArrow(parse, schema).cache()
    valid = lines.filter(F.col("key").isNotNull())
    latest = Window.partitionBy("key").orderBy(F.col("file").desc(), F.col("line").desc())
    labels = valid.withColumn("rank", F.row_number().over(latest)).filter("rank = 1").select("key", "label")
    totals = lines.agg(
        F.count(F.lit(1)).alias("lines"),
        F.count("problem").alias("unreadable"),
        F.count("key").alias("valid"),
        F.countDistinct("key").alias("distinct"),
    ).first()
    assert totals is not None
    problems = [
        row["problem"]
        for row in lines.filter(F.col("problem").isNotNull())
        .orderBy("file", "line")
        .limit(MAX_KEPT_PROBLEMS)
        .collect()
    ]
    counts = GroundTruthLabels(
        {},
        lines_read=int(totals["lines"]),
        superseded=int(totals["valid"]) - int(totals["distinct"]),
        unreadable_lines=int(totals["unreadable"]),
        problems=problems,
    )
    return labels, counts
