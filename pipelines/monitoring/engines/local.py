"""The local engine: a window's capture files in slices, read and profiled by worker processes, merged here.

Reading, JSON decoding and each monitor's partial result run in the workers (``window_job.slice_partial``),
one slice each at a time; the parent merges the slices' partials in window order. Memory is bounded by
what each worker holds at once (a batch of capture, about 32 MiB, and its partials, which grow with the
features, not the records) times the number of processes.

Slices are contiguous runs of files, two per process so a slow slice does not leave a core idle. A window of
less than ``min_parallel_bytes`` of local files (default 32 MiB, one batch of the reader: well under a
second of work), a window of one file, or ``processes=1`` is read here, in this process: starting workers
costs more than it saves there (the small windows of tests and the sandbox). Workers are started with
``spawn`` (polars and Arrow run threads, which ``fork`` would copy in an undefined state), limited to one
Arrow and one polars thread each (the processes are the parallelism), and make their own S3 client from the
environment when the files are on S3.
"""

from __future__ import annotations

import multiprocessing
import os
from collections.abc import Iterator, Sequence
from concurrent.futures import ProcessPoolExecutor
from contextlib import contextmanager
from typing import Any

import polars as pl

from pipelines.monitoring.engines.window_job import (
    WindowJob,
    WindowPartial,
    merge_in_order,
    slice_partial,
    without_repeated_requests,
)
from pipelines.storage import Storage

SLICES_PER_PROCESS = 2
MIN_PARALLEL_BYTES = 32 * 1024 * 1024


def default_processes() -> int:
    """The cores this process may use."""
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # not on Linux
        return os.cpu_count() or 1


def file_slices(files: Sequence[Any], count: int) -> list[tuple[int, list[Any]]]:
    """``files`` in ``count`` contiguous runs of near-equal length, each with its first file's ordinal."""
    count = max(1, min(count, len(files)))
    size, extra = divmod(len(files), count)
    slices, start = [], 0
    for index in range(count):
        end = start + size + (1 if index < extra else 0)
        slices.append((start, list(files[start:end])))
        start = end
    return slices


def compute_local(
    storage: Storage,
    job: WindowJob,
    processes: int | None = None,
    min_parallel_bytes: int = MIN_PARALLEL_BYTES,
) -> WindowPartial:
    """The window's merged partial, on ``processes`` worker processes (default: the machine's cores)."""
    processes = processes or default_processes()
    slices = file_slices(job.files, processes * SLICES_PER_PROCESS)
    small = job.s3_region is None and _local_bytes(job.files) < min_parallel_bytes
    if processes == 1 or len(slices) < 2 or small:
        # One reader for the whole window: it leaves out repeated requests itself.
        return slice_partial(storage, job, 0, list(job.files))
    results: list[WindowPartial] = []
    with (
        _one_thread_per_worker(),
        ProcessPoolExecutor(
            max_workers=min(processes, len(slices)),
            mp_context=multiprocessing.get_context("spawn"),
            initializer=_start_worker,
            initargs=(job,),
        ) as pool,
    ):
        futures = [pool.submit(_run_slice, first, files) for first, files in slices]
        results = [WindowPartial.from_bytes(future.result(), job) for future in futures]

    def reread(index: int, earlier: pl.Series) -> WindowPartial:
        first, files = slices[index]
        return slice_partial(storage, job, first, files, seen_events=earlier)

    return merge_in_order(without_repeated_requests(results, reread), job)


def _local_bytes(parts: Sequence[Any]) -> int:
    """The size of the window's local files (a part is a file, or a transform's input and output files)."""
    paths = []
    for part in parts:
        if isinstance(part, str):
            paths.append(part)
        else:
            paths += [p for p in (getattr(part, "input", None), getattr(part, "output", None)) if p]
    return sum(os.path.getsize(path) for path in paths)


@contextmanager
def _one_thread_per_worker() -> Iterator[None]:
    """Workers inherit the environment when spawned: polars reads its thread count at import."""
    previous = os.environ.get("POLARS_MAX_THREADS")
    os.environ["POLARS_MAX_THREADS"] = "1"
    try:
        yield
    finally:
        if previous is None:
            del os.environ["POLARS_MAX_THREADS"]
        else:
            os.environ["POLARS_MAX_THREADS"] = previous


_JOB: WindowJob | None = None
_STORAGE: Storage | None = None


def _start_worker(job: WindowJob) -> None:
    import pyarrow

    global _JOB, _STORAGE
    pyarrow.set_cpu_count(1)
    _JOB, _STORAGE = job, job.storage()


def _run_slice(first: int, files: list[Any]) -> bytes:
    assert _JOB is not None
    assert _STORAGE is not None
    # No prefetch thread: the worker's core is busy either way, and the other cores have their own workers.
    return slice_partial(_STORAGE, _JOB, first, files, prefetch=False).to_bytes(_JOB)
