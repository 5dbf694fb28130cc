"""A dataset's data-quality profile: per feature, type counts, exact moments and mergeable sketches.

A profile is built batch by batch (memory grows with the number of features, not of records) and two
profiles merge: hourly partitions profiled independently and merged give the same counts, sums, min/max and
moments as one pass (moments up to float rounding of the merge formula), and the same distributions within
the sketches' error bounds. ``statistics.json`` is rendered from a profile (``statistics.py``). Features are
kept in the order they were first seen in the window (``first_seen``: the position of the batch's first
record and the column's index), whatever order profiles are merged in; profiles cross process and Spark
boundaries as bytes (``to_bytes``, ``from_bytes``: the sketches in DataSketches' own serialization).
"""

from __future__ import annotations

import pickle
from collections.abc import Iterable, Sequence
from dataclasses import astuple, dataclass, field, replace
from typing import Any

import numpy as np
import polars as pl
from datasketches import cpc_sketch, cpc_union, frequent_strings_sketch, kll_doubles_sketch

from pipelines.monitoring.capture_reader import POSITION
from pipelines.monitoring.data_quality.moments import Moments
from pipelines.monitoring.data_quality.sketches import FREQUENT_CAPACITY, new_distinct, new_frequent, new_kll
from pipelines.monitoring.data_quality.types import InferredType
from pipelines.monitoring.data_quality.value_types import ClassifiedColumn, TypeCounts, classify

METADATA_PREFIX = (
    "__"  # capture-reader metadata columns (__event_id, __predicted_label, ...) are not features
)


@dataclass
class FeatureProfile:
    """Everything the data-quality monitor keeps about one feature."""

    name: str
    types: TypeCounts = field(default_factory=TypeCounts)
    moments: Moments = field(default_factory=Moments)
    kll: kll_doubles_sketch = field(default_factory=new_kll)
    frequent: frequent_strings_sketch = field(default_factory=new_frequent)
    distinct: cpc_sketch = field(default_factory=new_distinct)
    frequent_has_every_value: bool = True  # False once values were left out of the frequent-items sketch
    first_seen: tuple[int, int] = (0, 0)  # (position of the first batch holding it, column index there)

    @property
    def inferred_type(self) -> InferredType:
        return self.types.decide()

    @property
    def present(self) -> int:
        return self.types.present

    def update(self, column: ClassifiedColumn) -> None:
        self.types.merge(column.counts)
        if column.numbers.size:
            self.moments.update(column.numbers)
            self.kll.update(column.numbers)
        if column.texts is not None and len(column.texts):
            # Distinct texts, as Deequ counts them: its ApproxCountDistinct runs on the column as read, before
            # numeric-looking text is cast (so "1" and "1.0" are two values of a CSV column).
            # Named here, not by the feature: a feature called "count" would clash with value_counts' column.
            counts = column.texts.alias("value").value_counts(name="weight")
            values, weights = counts.columns
            for value in counts[values].to_list():
                self.distinct.update(value)
            if counts.height > FREQUENT_CAPACITY:
                # More categories than the sketch holds exactly: values seen once in this batch are left out.
                # That undercounts a value by at most one per batch, far below the sketch's own error bound
                # (records / 768), and saves a Python call per unique value of ID-like columns.
                counts = counts.filter(pl.col(weights) > 1)
                self.frequent_has_every_value = False
            for value, weight in zip(counts[values].to_list(), counts[weights].to_list(), strict=True):
                self.frequent.update(value, weight)
        elif column.numbers.size:
            # Typed numbers (JSON capture) have no texts: count their distinct values in the CPC sketch only.
            for number in np.unique(column.numbers).tolist():
                self.distinct.update(number)
            self.frequent_has_every_value = False

    def merge(self, other: FeatureProfile) -> None:
        self.types.merge(other.types)
        self.moments.merge(other.moments)
        self.kll.merge(other.kll)
        self.frequent.merge(other.frequent)
        self.frequent_has_every_value = self.frequent_has_every_value and other.frequent_has_every_value
        union = cpc_union(self.distinct.lg_k)
        union.update(self.distinct)
        union.update(other.distinct)
        self.distinct = union.get_result()
        self.first_seen = min(self.first_seen, other.first_seen)

    def to_plain(self) -> tuple[Any, ...]:
        return (
            self.name,
            astuple(self.types),
            astuple(self.moments),
            self.kll.serialize(),
            self.frequent.serialize(),
            self.distinct.serialize(),
            self.frequent_has_every_value,
            self.first_seen,
        )

    @classmethod
    def from_plain(cls, plain: tuple[Any, ...]) -> FeatureProfile:
        name, types, moments, kll, frequent, distinct, every_value, first_seen = plain
        return cls(
            name,
            TypeCounts(*types),
            Moments(*moments),
            kll_doubles_sketch.deserialize(kll),
            frequent_strings_sketch.deserialize(frequent),
            cpc_sketch.deserialize(distinct),
            every_value,
            tuple(first_seen),
        )


@dataclass
class DatasetProfile:
    """Profiles of every feature seen, in first-seen order, and the number of records."""

    item_count: int = 0
    features: dict[str, FeatureProfile] = field(default_factory=dict)

    @classmethod
    def of(cls, frames: Iterable[pl.DataFrame], columns: Sequence[str] | None = None) -> DatasetProfile:
        profile = cls()
        for frame in frames:
            profile.update(frame, columns)
        return profile

    def update(self, frame: pl.DataFrame, columns: Sequence[str] | None = None) -> None:
        """Add a batch of records; ``columns`` restricts the features (default: all but metadata)."""
        names = columns if columns is not None else feature_columns(frame.columns)
        start = (
            int(frame.get_column(POSITION).min())  # type: ignore[arg-type]
            if POSITION in frame.columns and frame.height
            else self.item_count
        )
        for index, name in enumerate(names):
            feature = self.features.get(name)
            if feature is None:
                feature = self.features[name] = FeatureProfile(name, first_seen=(start, index))
            if name in frame.columns:
                feature.update(classify(frame.get_column(name)))
        self.item_count += frame.height

    def merge(self, other: DatasetProfile) -> None:
        for name, feature in other.features.items():
            if name in self.features:
                self.features[name].merge(feature)
            else:
                self.features[name] = feature
        self.item_count += other.item_count
        ordered = sorted(self.features.values(), key=lambda f: f.first_seen)
        self.features = {f.name: f for f in ordered}

    def to_bytes(self) -> bytes:
        plain = (self.item_count, [f.to_plain() for f in self.features.values()])
        return pickle.dumps(plain, protocol=pickle.HIGHEST_PROTOCOL)

    @classmethod
    def from_bytes(cls, data: bytes) -> DatasetProfile:
        item_count, features = pickle.loads(data)
        profile = cls(item_count)
        for plain in features:
            feature = FeatureProfile.from_plain(plain)
            profile.features[feature.name] = feature
        return profile

    def rename(self, mapping: dict[str, str]) -> DatasetProfile:
        """The same profile with features renamed (positional ``_cN`` columns to baseline names)."""
        renamed = DatasetProfile(self.item_count)
        for name, feature in self.features.items():
            new_name = mapping.get(name, name)
            renamed.features[new_name] = replace(feature, name=new_name)
        return renamed


def feature_columns(columns: Iterable[str]) -> list[str]:
    return [c for c in columns if not c.startswith(METADATA_PREFIX)]
