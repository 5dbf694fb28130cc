"""Mergeable sketches (Apache DataSketches) and the ``distribution.kll`` block of ``statistics.json``.

Numbers go into a KLL sketch with ``k = 2048`` (Deequ's sketch size in the analyzer's files): exact while a
feature has at most 2048 values, and within about 0.1 % normalized rank error beyond. Categories go into a
frequent-items sketch (exact up to 768 distinct values) and distinct counts into a CPC sketch.

The ``sketch`` we write keeps the shape of the analyzer's (Deequ's ``KLLSketch``: ``parameters`` ``c``/``k``
and ``data``, a list of compactor levels whose items at level ``i`` each stand for ``2**i`` values), so any
reader of SageMaker's files reads ours the same way. The difference from Deequ's internals: our levels come
from DataSketches' KLL, whose level capacities shrink by ``c = 2/3`` (Deequ's by 0.64) and whose level 0 is
not kept in arrival order once it has been compacted. ``kll_from_levels`` rebuilds the DataSketches sketch
exactly from such a block, so statistics files merge; a block written by SageMaker is re-inserted with its
weights instead (same distribution, one more layer of sketch error).
"""

from __future__ import annotations

import struct
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Literal

import numpy as np
from datasketches import cpc_sketch, frequent_items_error_type, frequent_strings_sketch, kll_doubles_sketch

KLL_K = 2048
KLL_C = 2.0 / 3.0  # DataSketches' level capacity ratio (documented in the KLL paper and library)
FREQUENT_LG_MAX_MAP = 10  # 1024-slot map: exact while at most 768 distinct categories
FREQUENT_CAPACITY = 3 * 2**FREQUENT_LG_MAX_MAP // 4
CPC_LG_K = 12
BUCKET_COUNT = 10  # "By default, the distribution is materialized in 10 buckets. You can't change this."


def new_kll() -> kll_doubles_sketch:
    return kll_doubles_sketch(KLL_K)


def new_frequent() -> frequent_strings_sketch:
    return frequent_strings_sketch(FREQUENT_LG_MAX_MAP)


def new_distinct() -> cpc_sketch:
    return cpc_sketch(CPC_LG_K)


@dataclass(frozen=True, slots=True)
class WeightedSample:
    """Sorted values with integer weights: what a KLL sketch (ours or the analyzer's) says about a feature."""

    values: np.ndarray
    weights: np.ndarray

    @classmethod
    def of(
        cls, values: Sequence[float] | np.ndarray, weights: Sequence[float] | np.ndarray
    ) -> WeightedSample:
        v = np.asarray(values, dtype=np.float64)
        w = np.asarray(weights, dtype=np.float64)
        order = np.argsort(v, kind="stable")
        return cls(v[order], w[order])

    @classmethod
    def from_kll(cls, sketch: kll_doubles_sketch) -> WeightedSample:
        pairs = list(sketch)
        if not pairs:
            return cls.of([], [])
        values, weights = zip(*pairs, strict=True)
        return cls.of(values, weights)

    @classmethod
    def from_levels(cls, levels: Sequence[Sequence[float]]) -> WeightedSample:
        values = [v for level in levels for v in level]
        weights = [float(2**i) for i, level in enumerate(levels) for _ in level]
        return cls.of(values, weights)

    @property
    def total(self) -> float:
        return float(self.weights.sum())

    def weight_below(self, points: np.ndarray, *, inclusive: bool) -> np.ndarray:
        """Total weight of values ``< point`` (or ``<= point`` with ``inclusive``) for each point."""
        cumulative = np.concatenate(([0.0], np.cumsum(self.weights)))
        side: Literal["left", "right"] = "right" if inclusive else "left"
        return cumulative[np.searchsorted(self.values, points, side=side)]

    def cdf(self, points: np.ndarray) -> np.ndarray:
        """Share of the weight at or below each point (right-continuous empirical CDF)."""
        total = self.total
        if total == 0:
            return np.zeros(len(points))
        return self.weight_below(points, inclusive=True) / total


def kll_levels(sketch: kll_doubles_sketch) -> list[list[float]]:
    """The sketch's compactor levels: level ``i`` holds the items of weight ``2**i``."""
    levels: dict[int, list[float]] = {}
    for item, weight in sketch:
        levels.setdefault(int(weight).bit_length() - 1, []).append(float(item))
    if not levels:
        return []
    result = [levels.get(i, []) for i in range(max(levels) + 1)]
    if not sketch.is_estimation_mode():
        # DataSketches fills level 0 from its end; before any compaction it holds the raw values, which
        # Deequ lists in arrival order.
        result[0].reverse()
    return result


def histogram_buckets(sample: WeightedSample, minimum: float, maximum: float) -> list[dict[str, float]]:
    """Ten equal-width buckets between min and max with the weight in each, as Deequ's ``KLLSketch`` does.

    Bounds are ``min + (max - min) * i / 10``; a bucket counts ``lower <= x < upper``, the last one also
    ``x == max`` (``getRankExclusive(high) - getRankExclusive(low)``; last: ``getRank(high) - ...``).
    """
    bounds = [minimum + (maximum - minimum) * i / float(BUCKET_COUNT) for i in range(BUCKET_COUNT + 1)]
    points = np.asarray(bounds)
    below = sample.weight_below(points, inclusive=False)
    # The last bound as computed can fall an ulp short of the maximum (min + (max - min) != max): the last
    # bucket counts up to the maximum itself, so the buckets always hold every value.
    at_or_below_max = float(sample.weight_below(np.asarray([max(maximum, bounds[-1])]), inclusive=True)[0])
    buckets = []
    for i in range(BUCKET_COUNT):
        upper_weight = at_or_below_max if i == BUCKET_COUNT - 1 else float(below[i + 1])
        buckets.append(
            {"lower_bound": bounds[i], "upper_bound": bounds[i + 1], "count": upper_weight - float(below[i])}
        )
    return buckets


# --- rebuilding a DataSketches KLL sketch from its levels --------------------------------------------------
# Serialization format of datasketches-cpp's kll_sketch (serial version 2, "full" sketch; little endian):
# preamble_ints(1)=5, serial_version(1)=2, family(1)=15, flags(1), k(2), m(1)=8, unused(1), n(8), min_k(2),
# num_levels(1), unused(1), level offsets (4 each, num_levels of them), min item, max item, retained items
# (level 0 first). Offsets index a buffer of the total nominal capacity whose tail holds the items.
_PREAMBLE_INTS_FULL = 5
_SERIAL_VERSION_FULL = 2
_FAMILY_KLL = 15
_MIN_LEVEL_WIDTH = 8


def _level_capacity(k: int, depth: int) -> int:
    """``kll_helper::int_cap_aux``: ``round(k * (2/3)**depth)`` in integer arithmetic."""
    if depth > 30:
        half = depth // 2
        return _level_capacity(_level_capacity(k, half), depth - half)
    tmp = ((2 * k) << depth) // (3**depth)
    return (tmp + 1) >> 1


def _total_capacity(k: int, num_levels: int) -> int:
    return sum(max(_MIN_LEVEL_WIDTH, _level_capacity(k, num_levels - h - 1)) for h in range(num_levels))


def kll_from_levels(
    levels: Sequence[Sequence[float]], minimum: float, maximum: float, *, k: int = KLL_K
) -> kll_doubles_sketch:
    """A DataSketches KLL sketch holding exactly these levels (as written by ``kll_levels``).

    Levels that do not fit DataSketches' capacities (a sketch written by SageMaker's analyzer) are
    re-inserted item by item with their weights instead.
    """
    n = sum(len(level) << i for i, level in enumerate(levels))
    retained = sum(len(level) for level in levels)
    num_levels = len(levels)
    if n == 0:
        return kll_doubles_sketch(k)
    capacity = _total_capacity(k, num_levels) if num_levels else 0
    if n == 1 or retained > capacity or num_levels > 61 or k > 65535:
        return _reinsert(levels, k)
    offsets = []
    position = capacity - retained
    for level in levels:
        offsets.append(position)
        position += len(level)
    header = struct.pack(
        "<BBBBHBBQHBB",
        _PREAMBLE_INTS_FULL,
        _SERIAL_VERSION_FULL,
        _FAMILY_KLL,
        0,
        k,
        _MIN_LEVEL_WIDTH,
        0,
        n,
        k,
        num_levels,
        0,
    )
    items = [v for level in levels for v in level]
    body = struct.pack(f"<{num_levels}I", *offsets) + struct.pack("<2d", minimum, maximum)
    body += np.asarray(items, dtype="<f8").tobytes()
    return kll_doubles_sketch.deserialize(header + body)


def _reinsert(levels: Sequence[Sequence[float]], k: int) -> kll_doubles_sketch:
    sketch = kll_doubles_sketch(k)
    for i, level in enumerate(levels):
        if level:
            sketch.update(np.repeat(np.asarray(level, dtype=np.float64), 2**i))
    return sketch


# --- categories -------------------------------------------------------------------------------------------
def frequent_counts(sketch: frequent_strings_sketch) -> dict[str, float]:
    """Categories the sketch can vouch for, with their estimated counts, most frequent first (ties by value).

    While the sketch is exact (at most 768 distinct values) this is every category with its exact count;
    beyond, only categories whose count is certainly above the sketch's error (no false positives).
    """
    rows = sketch.get_frequent_items(frequent_items_error_type.NO_FALSE_POSITIVES)
    # Ties in the order of the values: the sketch's own order of equal counts depends on the order items
    # arrived in, which differs between one pass and merged partial results.
    ordered = sorted(rows, key=lambda row: (-row[1], row[0]))
    return {item: float(estimate) for item, estimate, _lower, _upper in ordered}


def frequent_is_exact(sketch: frequent_strings_sketch) -> bool:
    rows = sketch.get_frequent_items(frequent_items_error_type.NO_FALSE_NEGATIVES)
    return all(lower == upper for _item, _estimate, lower, upper in rows)
