"""Exact moments and the KLL block of statistics.json: bit-compatible, mergeable, rebuildable."""

from __future__ import annotations

import math

import numpy as np
import pytest

from pipelines.monitoring.data_quality.moments import Moments
from pipelines.monitoring.data_quality.sketches import (
    WeightedSample,
    histogram_buckets,
    kll_from_levels,
    kll_levels,
    new_kll,
)


def test_moments_of_one_pass_follow_sparks_sequential_formulas() -> None:
    values = np.array([3.0, 1.0, 2.0, 3.0, 3.0, 0.5])
    moments = Moments()
    moments.update(values)
    avg = m2 = n = 0.0
    for v in values:  # Spark's CentralMomentAgg update, written out
        n += 1
        delta = v - avg
        avg += delta / n
        m2 += delta * (delta - delta / n)
    assert moments.std_dev == math.sqrt(m2 / n)
    assert moments.mean == sum(values.tolist()) / len(values)


def test_moments_updated_in_batches_equal_one_pass() -> None:
    values = np.random.default_rng(3).normal(size=1000)
    whole, batched = Moments(), Moments()
    whole.update(values)
    for part in np.array_split(values, 7):
        batched.update(part)
    assert (batched.count, batched.total, batched.m2) == (whole.count, whole.total, whole.m2)


def test_merged_moments_equal_one_pass_within_rounding() -> None:
    values = np.random.default_rng(4).lognormal(size=10_000)
    whole, merged = Moments(), Moments()
    whole.update(values)
    for part in np.array_split(values, 5):
        piece = Moments()
        piece.update(part)
        merged.merge(piece)
    assert merged.count == whole.count
    assert (merged.minimum, merged.maximum) == (whole.minimum, whole.maximum)
    assert merged.mean == pytest.approx(whole.mean, rel=1e-12)
    assert merged.std_dev == pytest.approx(whole.std_dev, rel=1e-12)


def test_buckets_are_ten_equal_widths_with_the_maximum_in_the_last() -> None:
    sample = WeightedSample.of([0.0, 1.0, 5.0, 10.0, 10.0], [1, 1, 1, 1, 1])
    buckets = histogram_buckets(sample, 0.0, 10.0)
    assert [b["lower_bound"] for b in buckets] == [float(i) for i in range(10)]
    assert [b["count"] for b in buckets] == [1.0, 1.0, 0.0, 0.0, 0.0, 1.0, 0.0, 0.0, 0.0, 2.0]


def test_the_last_bucket_holds_the_maximum_when_the_computed_bound_falls_short_of_it() -> None:
    low, high = -0.1321048632913019, 0.1257302210933933
    assert low + (high - low) * 10 / 10.0 < high  # the computed last bound is an ulp below the maximum
    sample = WeightedSample.of([low, 0.0, high], [2, 2, 2])  # weights as after a compaction
    buckets = histogram_buckets(sample, low, high)
    assert sum(b["count"] for b in buckets) == 6.0
    assert buckets[-1]["count"] == 2.0


def test_levels_weigh_two_to_the_level() -> None:
    sample = WeightedSample.from_levels([[1.0, 2.0], [], [3.0]])
    assert sample.values.tolist() == [1.0, 2.0, 3.0]
    assert sample.weights.tolist() == [1.0, 1.0, 4.0]


@pytest.mark.parametrize("n", [1, 2, 2048, 50_000])
def test_a_sketch_rebuilt_from_its_levels_is_the_same_sketch(n: int) -> None:
    sketch = new_kll()
    sketch.update(np.random.default_rng(n).random(n))
    rebuilt = kll_from_levels(kll_levels(sketch), sketch.get_min_value(), sketch.get_max_value())
    assert rebuilt.n == sketch.n
    assert sorted(rebuilt) == sorted(sketch)


def test_a_rebuilt_sketch_still_merges() -> None:
    first, second = new_kll(), new_kll()
    first.update(np.arange(5000.0))
    second.update(np.arange(5000.0, 10_000.0))
    rebuilt = kll_from_levels(kll_levels(first), first.get_min_value(), first.get_max_value())
    rebuilt.merge(second)
    assert rebuilt.n == 10_000
    assert abs(rebuilt.get_quantile(0.5) - 5000) < 10_000 * rebuilt.normalized_rank_error(False)


def test_levels_that_do_not_fit_our_capacities_are_reinserted_with_their_weights() -> None:
    # Deequ's sketch with c = 0.64 keeps more items on level 0 than DataSketches allows for one level.
    levels = [list(np.linspace(0, 1, 3000)), [0.5] * 10]
    rebuilt = kll_from_levels(levels, 0.0, 1.0)
    assert rebuilt.n == 3020
