"""Partial results: what a monitor computes over a slice of its window, merged into the window's result.

Every engine (``pipelines.monitoring.engines``: one process, all local cores, Spark) splits a window into
slices, asks each monitor for the partial result of each slice, merges the partials and hands the merged one
to the monitor's ``finish`` (``pipelines.monitoring.hooks``), which writes the result files by the same code
on every engine. A monitor describes its partials with a ``Partials`` object:

- ``empty()`` / ``add(partial, batch)``: the partial of a slice, batch by batch (memory bounded by what the
  partial keeps, not by the slice's records);
- ``merge(first, second)``: associative, so slicing and merge order do not change the result beyond float
  rounding of sums and the sketches' documented error (exact counts stay exact);
- ``to_bytes`` / ``from_bytes``: partials cross process and Spark boundaries as bytes (sketches in their
  own serialization, tables as Arrow IPC).

The ``Partials`` object itself is a small frozen dataclass of settings: it is pickled to worker processes
and Spark executors. Records carry ``__position`` (``capture_reader.POSITION``), their place in the window
independent of slicing; partials use it for first-seen orders and for seeded samples (``sample_keys``), so
the same records are sampled whatever the slicing.
"""

from __future__ import annotations

import io
from collections.abc import Iterable
from typing import Protocol, TypeVar

import numpy as np
import numpy.typing as npt
import polars as pl

from pipelines.monitoring.capture_reader import POSITION

P = TypeVar("P")

_MASK64 = (1 << 64) - 1
_GOLDEN = 0x9E3779B97F4A7C15


class Partials(Protocol[P]):
    """How one monitor computes over slices of its window (see the module docstring)."""

    def empty(self) -> P: ...

    def add(self, partial: P, batch: pl.DataFrame) -> P:
        """``partial`` with the records of ``batch`` added (it may be updated in place and returned)."""
        ...

    def merge(self, first: P, second: P) -> P: ...

    def to_bytes(self, partial: P) -> bytes: ...

    def from_bytes(self, data: bytes) -> P: ...


def fold(partials: Partials[P], batches: Iterable[pl.DataFrame]) -> P:
    """The partial of ``batches`` (one slice, or a whole table)."""
    partial = partials.empty()
    for batch in batches:
        partial = partials.add(partial, batch)
    return partial


def with_positions(table: pl.DataFrame, start: int = 0) -> pl.DataFrame:
    """``table`` with ``__position`` = its row numbers (from ``start``) when it has none (a dataset)."""
    if POSITION in table.columns:
        return table
    return table.with_columns(pl.int_range(start, start + table.height, dtype=pl.Int64).alias(POSITION))


def positions(batch: pl.DataFrame) -> npt.NDArray[np.int64]:
    if POSITION not in batch.columns:
        raise ValueError(
            f"record batches need the {POSITION!r} column (see pipelines.monitoring.partial_results)"
        )
    return batch.get_column(POSITION).cast(pl.Int64).to_numpy()


def sample_keys(position: npt.NDArray[np.int64], seed: int, stream: int = 0) -> npt.NDArray[np.float64]:
    """A uniform number in [0, 1) per record, a function of (seed, stream, position) only: SplitMix64
    (Steele, Lea and Flood, 2014) of the position mixed with the seed. Records sampled by these keys are the
    same whatever the slicing or engine."""
    salt = np.uint64((seed * _GOLDEN + (stream + 1) * 0xD1B54A32D192ED03) & _MASK64)
    with np.errstate(over="ignore"):
        z = position.astype(np.uint64) ^ salt
        z = z + np.uint64(_GOLDEN)
        z = (z ^ (z >> np.uint64(30))) * np.uint64(0xBF58476D1CE4E5B9)
        z = (z ^ (z >> np.uint64(27))) * np.uint64(0x94D049BB133111EB)
        z = z ^ (z >> np.uint64(31))
    return (z >> np.uint64(11)).astype(np.float64) * (1.0 / (1 << 53))


def frame_to_bytes(frame: pl.DataFrame) -> bytes:
    buffer = io.BytesIO()
    frame.write_ipc(buffer, compression="lz4")
    return buffer.getvalue()


def frame_from_bytes(data: bytes) -> pl.DataFrame:
    return pl.read_ipc(io.BytesIO(data))


class SeededSample:
    """At most ``size`` records, uniformly without replacement, mergeable: the records with the smallest
    ``sample_keys`` (a bottom-k sample). Any slicing, merged in any order, keeps the same records; without a
    size, every record. ``records()`` are in window order (``__position``)."""

    KEY = "__sample_key"

    def __init__(self, size: int | None, seed: int, frame: pl.DataFrame | None = None) -> None:
        self.size = size
        self.seed = seed
        self.frame = frame if frame is not None else pl.DataFrame()

    def add(self, batch: pl.DataFrame) -> None:
        keyed = batch.with_columns(pl.Series(self.KEY, sample_keys(positions(batch), self.seed)))
        if self.size is not None and keyed.height > self.size:
            keyed = keyed.sort(self.KEY).head(self.size)
        self._combine(keyed)

    def merge(self, other: SeededSample) -> None:
        self._combine(other.frame)

    def _combine(self, frame: pl.DataFrame) -> None:
        if frame.height == 0 and frame.width == 0:
            return
        combined = frame if self.frame.width == 0 else pl.concat([self.frame, frame], how="diagonal_relaxed")
        if self.size is not None and combined.height > self.size:
            combined = combined.sort(self.KEY).head(self.size)
        self.frame = combined

    def records(self) -> pl.DataFrame:
        if self.frame.width == 0:
            return self.frame
        return self.frame.sort(POSITION).drop(self.KEY)

    def to_bytes(self) -> bytes:
        return frame_to_bytes(self.frame)

    @classmethod
    def from_bytes(cls, data: bytes, size: int | None, seed: int) -> SeededSample:
        return cls(size, seed, frame_from_bytes(data))
