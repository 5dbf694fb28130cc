"""The engines a run reads its windows with: the same partial results, merged, on one machine or on Spark.

- ``local`` (default): the window's capture files in slices over ``processes`` worker processes (default:
  the machine's cores; a small window is read in this process), merged here (``local``);
- ``spark``: Spark reads the capture and ground-truth files, joins the labels, builds each monitor's partial
  per partition with the same Python classes, and the driver merges them (``spark``; needs PySpark,
  ``requirements-spark.txt``, imported only when this engine runs).

Both compute a ``WindowJob`` into a ``WindowPartial`` (``window_job``); the monitors finish the merged
partials into their files by the same code whatever the engine. When to use which: docs/monitors/engines.md.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from pipelines.monitoring.engines.window_job import WindowJob, WindowPartial
from pipelines.storage import Storage


class EngineKind(StrEnum):
    LOCAL = "local"
    SPARK = "spark"


@dataclass(frozen=True, slots=True)
class EngineSpec:
    """Which engine reads a run's windows, and its size."""

    kind: EngineKind = EngineKind.LOCAL
    processes: int | None = None  # local: worker processes (None: the machine's cores)
    min_parallel_bytes: int | None = None  # local: smaller windows of local files are read in-process
    spark_master: str | None = None  # spark: the master URL (None: the session's, or local[*])


def compute_window(
    storage: Storage, job: WindowJob, engine: EngineSpec, ground_truth: GroundTruthSource | None = None
) -> WindowPartial:
    """The window's merged partial results on ``engine``."""
    if engine.kind is EngineKind.SPARK:
        from pipelines.monitoring.engines.spark import compute_spark  # PySpark only when asked for

        return compute_spark(storage, job, engine, ground_truth)
    from pipelines.monitoring.engines.local import MIN_PARALLEL_BYTES, compute_local

    minimum = MIN_PARALLEL_BYTES if engine.min_parallel_bytes is None else engine.min_parallel_bytes
    return compute_local(storage, job, engine.processes, minimum)


@dataclass(frozen=True, slots=True)
class GroundTruthSource:
    """Where a labelled window's ground truth is (the Spark engine reads and joins it itself)."""

    files: tuple[str, ...]


__all__ = ["EngineKind", "EngineSpec", "GroundTruthSource", "WindowJob", "WindowPartial", "compute_window"]
