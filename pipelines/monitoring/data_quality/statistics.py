"""``statistics.json``: written from a profile, and read back (ours or SageMaker's) for the checks.

Format: https://docs.aws.amazon.com/sagemaker/latest/dg/model-monitor-byoc-statistics.html (see also the
analyzer's reference output in ``tests/fixtures/sagemaker_reference/sagemaker-sdk-quality-check/
data_quality/``). Key order, number types (counts as integers, sums and bucket counts as floats) and the
10-bucket KLL distribution follow the analyzer's files.

Fields of recent analyzers (issue 12), which the reference files (an older analyzer) lack: ``completeness``
of every feature (in ``common``, next to the counts it is the ratio of) and the numerical features'
``approximate_num_distinct_values`` (what ``distinct_count`` is for strings); both are Deequ column-profile
fields (``completeness``, ``approximateNumDistinctValues``). Reading accepts files with or without them.

Categorical buckets are Deequ's ``ColumnProfiler`` histogram, which it computes only for columns with at most
``lowCardinalityHistogramThreshold`` = 120 distinct values
(https://github.com/awslabs/deequ/blob/master/src/main/scala/com/amazon/deequ/profiles/ColumnProfiler.scala):
a string column above that (an identifier, an address) has ``distinct_count`` and empty ``buckets``, and no
categorical drift is measured against it.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from pipelines.monitoring.data_quality.errors import StatisticsFormatError
from pipelines.monitoring.data_quality.profile import DatasetProfile, FeatureProfile
from pipelines.monitoring.data_quality.sketches import (
    KLL_C,
    KLL_K,
    WeightedSample,
    frequent_counts,
    frequent_is_exact,
    histogram_buckets,
    kll_levels,
)
from pipelines.monitoring.data_quality.types import InferredType, read_feature_header
from pipelines.monitoring.data_quality.value_types import TypeCounts

STATISTICS_VERSION = 0.0
LOW_CARDINALITY_THRESHOLD = 120  # Deequ ColumnProfiler.DEFAULT_CARDINALITY_THRESHOLD: histograms up to here


# --- writing ----------------------------------------------------------------------------------------------
def statistics_document(profile: DatasetProfile) -> dict[str, Any]:
    """The profile as Model Monitor's ``statistics.json`` content."""
    return {
        "version": STATISTICS_VERSION,
        "dataset": {"item_count": profile.item_count},
        "features": [_feature_document(f, profile.item_count) for f in profile.features.values()],
    }


def _feature_document(feature: FeatureProfile, item_count: int) -> dict[str, Any]:
    inferred = feature.inferred_type
    present = present_count(feature)
    common = {
        "num_present": present,
        "num_missing": item_count - present,
        "completeness": completeness(feature, item_count),
    }
    if inferred.is_numeric:
        moments = feature.moments
        sample = WeightedSample.from_kll(feature.kll)
        return {
            "name": feature.name,
            "inferred_type": inferred.value,
            "numerical_statistics": {
                "common": common,
                "approximate_num_distinct_values": distinct_count(feature),
                "mean": moments.mean,
                "sum": moments.total,
                "std_dev": moments.std_dev,
                "min": moments.minimum,
                "max": moments.maximum,
                "distribution": {
                    "kll": {
                        "buckets": histogram_buckets(sample, moments.minimum, moments.maximum),
                        "sketch": {
                            "parameters": {"c": KLL_C, "k": float(KLL_K)},
                            "data": kll_levels(feature.kll),
                        },
                    }
                },
            },
        }
    string_statistics: dict[str, Any] = {"common": common, "distinct_count": distinct_count(feature)}
    if inferred is InferredType.STRING:
        string_statistics["distribution"] = {"categorical": {"buckets": categorical_buckets(feature)}}
    return {"name": feature.name, "inferred_type": inferred.value, "string_statistics": string_statistics}


def present_count(feature: FeatureProfile) -> int:
    """Present values: a numeric feature's numbers (what Spark could cast), else every non-empty value."""
    return feature.moments.count if feature.inferred_type.is_numeric else feature.present


def completeness(feature: FeatureProfile, item_count: int) -> float:
    """Deequ's ``Completeness``: the share of records with a (present) value."""
    return present_count(feature) / item_count if item_count else 0.0


def distinct_count(feature: FeatureProfile) -> float:
    """Exact while the frequent-items sketch holds every value exactly, else the CPC sketch's estimate."""
    if feature.frequent_has_every_value and frequent_is_exact(feature.frequent):
        return float(feature.frequent.num_active_items)
    return float(round(feature.distinct.get_estimate()))


def categorical_buckets(feature: FeatureProfile) -> list[dict[str, Any]]:
    """Every category with its count, most frequent first; none above ``LOW_CARDINALITY_THRESHOLD``."""
    if distinct_count(feature) > LOW_CARDINALITY_THRESHOLD:
        return []
    return [{"value": v, "count": c} for v, c in frequent_counts(feature.frequent).items()]


# --- reading ----------------------------------------------------------------------------------------------
@dataclass(frozen=True, slots=True)
class FeatureSummary:
    """What the checks need to know about one feature, from a statistics file or from a live profile."""

    name: str
    inferred_type: InferredType
    num_present: int
    num_missing: int
    sample: WeightedSample | None = None  # numeric distribution
    categories: Mapping[str, float] | None = None  # category counts (string features)
    types: TypeCounts | None = None  # per-type value counts (live profiles only)

    @property
    def completeness(self) -> float | None:
        total = self.num_present + self.num_missing
        return self.num_present / total if total else None


@dataclass(frozen=True, slots=True)
class StatisticsSummary:
    item_count: int
    features: Mapping[str, FeatureSummary]


def summarize_profile(profile: DatasetProfile) -> StatisticsSummary:
    """The checks' view of a live profile (with per-type counts, which statistics files do not keep)."""
    features = {}
    for name, feature in profile.features.items():
        inferred = feature.inferred_type
        if inferred.is_numeric:
            present = feature.moments.count
            summary = FeatureSummary(
                name,
                inferred,
                present,
                profile.item_count - present,
                sample=WeightedSample.from_kll(feature.kll),
                types=feature.types,
            )
        else:
            summary = FeatureSummary(
                name,
                inferred,
                feature.present,
                profile.item_count - feature.present,
                categories=frequent_counts(feature.frequent),
                types=feature.types,
            )
        features[name] = summary
    return StatisticsSummary(profile.item_count, features)


def read_statistics(doc: Any, *, where: str = "statistics.json") -> StatisticsSummary:
    """Parse a ``statistics.json`` (ours or SageMaker's); every problem names its key path."""
    problems: list[str] = []
    if not isinstance(doc, dict):
        raise StatisticsFormatError(f"{where}: expected a JSON object with 'dataset' and 'features'")
    item_count = _number(doc, ("dataset", "item_count"), where, problems)
    raw_features = doc.get("features")
    features: dict[str, FeatureSummary] = {}
    if not isinstance(raw_features, list):
        problems.append(f"{where}: 'features' must be a list of feature statistics")
        raw_features = []
    for index, raw in enumerate(raw_features):
        summary = _read_feature(raw, f"{where}: features[{index}]", problems)
        if summary is not None:
            features[summary.name] = summary
    if problems:
        raise StatisticsFormatError(problems)
    return StatisticsSummary(int(item_count or 0), features)


def _read_feature(raw: Any, where: str, problems: list[str]) -> FeatureSummary | None:
    header = read_feature_header(raw, where, problems)
    if header is None:
        return None
    name, inferred, where = header
    if "numerical_statistics" in raw:
        stats = raw["numerical_statistics"]
        present = _number(stats, ("common", "num_present"), f"{where}.numerical_statistics", problems)
        missing = _number(stats, ("common", "num_missing"), f"{where}.numerical_statistics", problems)
        _check_newer_fields(
            stats, "approximate_num_distinct_values", f"{where}.numerical_statistics", problems
        )
        sample = _read_sample(stats, f"{where}.numerical_statistics", problems)
        return FeatureSummary(name, inferred, int(present or 0), int(missing or 0), sample=sample)
    if "string_statistics" in raw:
        stats = raw["string_statistics"]
        present = _number(stats, ("common", "num_present"), f"{where}.string_statistics", problems)
        missing = _number(stats, ("common", "num_missing"), f"{where}.string_statistics", problems)
        _check_newer_fields(stats, "distinct_count", f"{where}.string_statistics", problems)
        categories = _read_categories(stats, f"{where}.string_statistics", problems)
        return FeatureSummary(name, inferred, int(present or 0), int(missing or 0), categories=categories)
    problems.append(f"{where}: needs 'numerical_statistics' or 'string_statistics'")
    return None


def _check_newer_fields(stats: Any, distinct_key: str, where: str, problems: list[str]) -> None:
    """Optional fields (absent from older analyzers' files) must hold what they name when present:
    ``completeness`` (in ``common``, or beside it) a share, the distinct count a non-negative number."""
    if not isinstance(stats, dict):
        return
    common = stats.get("common")
    for path, value in (
        ("common.completeness", common.get("completeness") if isinstance(common, dict) else None),
        ("completeness", stats.get("completeness")),
    ):
        if value is not None and not _is_number_between(value, 0.0, 1.0):
            problems.append(f"{where}: {path} is {value!r}, expected a number between 0 and 1")
    distinct = stats.get(distinct_key)
    if distinct is not None and not _is_number_between(distinct, 0.0, math.inf):
        problems.append(f"{where}: {distinct_key} is {distinct!r}, expected a non-negative number")


def _is_number_between(value: Any, low: float, high: float) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool) and low <= float(value) <= high


def _number(obj: Any, path: tuple[str, ...], where: str, problems: list[str]) -> float | None:
    value = obj
    for key in path:
        if not isinstance(value, dict) or key not in value:
            problems.append(f"{where}: missing {'.'.join(path)}")
            return None
        value = value[key]
    if isinstance(value, bool) or not isinstance(value, int | float):
        problems.append(f"{where}: {'.'.join(path)} is {value!r}, expected a number")
        return None
    return float(value)


def _read_sample(stats: Any, where: str, problems: list[str]) -> WeightedSample | None:
    sketch = stats.get("distribution", {}).get("kll", {}).get("sketch") if isinstance(stats, dict) else None
    if sketch is None:
        return None  # no distribution: the drift check is skipped for this feature
    data = sketch.get("data") if isinstance(sketch, dict) else None
    if not isinstance(data, list) or not all(
        isinstance(level, list) and all(isinstance(v, int | float) for v in level) for level in data
    ):
        problems.append(f"{where}.distribution.kll.sketch.data: expected a list of lists of numbers")
        return None
    return WeightedSample.from_levels(data)


def _read_categories(stats: Any, where: str, problems: list[str]) -> dict[str, float] | None:
    buckets = (
        stats.get("distribution", {}).get("categorical", {}).get("buckets")
        if isinstance(stats, dict)
        else None
    )
    if buckets is None:
        return None
    categories: dict[str, float] = {}
    if not isinstance(buckets, list):
        problems.append(f"{where}.distribution.categorical.buckets: expected a list of {{value, count}}")
        return None
    for i, bucket in enumerate(buckets):
        count = bucket.get("count") if isinstance(bucket, dict) else None
        if not isinstance(bucket, dict) or "value" not in bucket or not isinstance(count, int | float):
            problems.append(f"{where}.distribution.categorical.buckets[{i}]: expected {{value, count}}")
            continue
        categories[str(bucket["value"])] = float(count)
    return categories
