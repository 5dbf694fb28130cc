"""The report's own small calculations on results already computed by a monitor.

They order and annotate what the monitors found; they never overrule a monitor's verdict (the violations
file says what violated, these say by how much, to rank the worst offenders and to draw the plots).

Drift distances are the data-quality monitor's: the distance a ``baseline_drift_check`` violation states
(what the execution measured), else the monitor's own calculation on the files' KLL sketches (numbers) or
category counts (strings), and only for files without them an estimate from the 10 histogram buckets.
"""

from __future__ import annotations

import math
import re
from collections.abc import Mapping, Sequence

from pipelines.monitoring.data_quality.distances import ks_distance, linf_distance
from pipelines.monitoring.explainability.drift import ndcg as monitor_ndcg
from pipelines.monitoring.report.results import FeatureStatistics, NumericBucket


def bucket_cdf(buckets: Sequence[NumericBucket], x: float, *, left: bool = False) -> float:
    """Share of values <= x (or < x with ``left``), assuming values spread evenly inside each bucket."""
    total = sum(b.count for b in buckets)
    if total <= 0:
        return 0.0
    below = 0.0
    for b in buckets:
        if x > b.upper or (x == b.upper and not left):
            below += b.count
        elif x > b.lower:
            below += b.count * (x - b.lower) / (b.upper - b.lower)
    return below / total


def numeric_distance(baseline: Sequence[NumericBucket], current: Sequence[NumericBucket]) -> float | None:
    """Largest gap between the two CDFs rebuilt from the buckets (Kolmogorov-Smirnov style).

    Both CDFs are piecewise linear between bucket edges, so the largest gap is at an edge (or just left of
    one, where a zero-width bucket makes a jump).
    """
    if not baseline or not current:
        return None
    edges = sorted({e for b in (*baseline, *current) for e in (b.lower, b.upper)})
    gaps = (
        abs(bucket_cdf(baseline, x, left=left) - bucket_cdf(current, x, left=left))
        for x in edges
        for left in (False, True)
    )
    return max(gaps)


def category_shares(feature: FeatureStatistics) -> dict[str, float]:
    """Each category's share of the present values (the analyzer may list only the frequent ones)."""
    listed = sum(count for _, count in feature.categories)
    total = max(listed, feature.num_present or 0.0)
    if total <= 0:
        return {}
    return {value: count / total for value, count in feature.categories}


def categorical_distance(baseline: FeatureStatistics, current: FeatureStatistics) -> float | None:
    """L-infinity distance between the category shares (what Model Monitor compares for strings)."""
    b, c = category_shares(baseline), category_shares(current)
    if not b or not c:
        return None
    return linf_distance(b, 1.0, c, 1.0)


def monitor_distance(baseline: FeatureStatistics | None, current: FeatureStatistics) -> float | None:
    """The distance the data-quality monitor computes for these two files (``checks.measure_drift``):
    Kolmogorov-Smirnov on the KLL sketches, L-infinity on the category counts; None without them."""
    if baseline is None or baseline.summary is None or current.summary is None:
        return None
    b, c = baseline.summary, current.summary
    if b.sample is not None and c.sample is not None:
        return ks_distance(b.sample, c.sample)
    if b.categories is not None and c.categories is not None:
        return linf_distance(b.categories, b.num_present, c.categories, c.num_present)
    return None


def bucket_distance(baseline: FeatureStatistics | None, current: FeatureStatistics) -> float | None:
    """An estimate from the buckets the files list, for files without the monitor's sketches."""
    if baseline is None:
        return None
    if baseline.buckets and current.buckets:
        return numeric_distance(baseline.buckets, current.buckets)
    if baseline.categories and current.categories:
        return categorical_distance(baseline, current)
    return None


def feature_distance(baseline: FeatureStatistics | None, current: FeatureStatistics) -> float | None:
    """Distance between a feature's baseline and current distributions: the monitor's, else the estimate."""
    measured = monitor_distance(baseline, current)
    return measured if measured is not None else bucket_distance(baseline, current)


# The analyzer's wording ("Baseline drift distance: 0.15 exceeds threshold: 0.1"), which ours follows
# (``data_quality.checks.baseline_drift_check``); the ChiSquared method states a p-value instead.
_DRIFT_DISTANCE = re.compile(r"^Baseline drift distance: (?P<distance>[-+0-9.eE]+) exceeds threshold")


def stated_drift_distance(description: str) -> float | None:
    """The distance a ``baseline_drift_check`` violation states, or None when it states none."""
    match = _DRIFT_DISTANCE.match(description)
    if match is None:
        return None
    try:
        return float(match.group("distance"))
    except ValueError:
        return None


def ranks(values: Mapping[str, float]) -> dict[str, int]:
    """1-based rank by value, largest first (ties by name, so the order is stable)."""
    ordered = sorted(values, key=lambda name: (-values[name], name))
    return {name: index + 1 for index, name in enumerate(ordered)}


def ndcg(baseline: Mapping[str, float], current: Mapping[str, float]) -> float | None:
    """The explainability monitor's own nDCG (the report shows what it judged); None when undefined."""
    score = monitor_ndcg(baseline, current)
    return None if math.isnan(score) else score
