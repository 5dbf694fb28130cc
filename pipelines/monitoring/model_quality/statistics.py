"""Model Monitor's model-quality ``statistics.json``, computed from matched (ground truth, prediction) pairs.

Format: https://docs.aws.amazon.com/sagemaker/latest/dg/model-monitor-model-quality-metrics.html ::

    {"version": 0.0, "dataset": {"item_count": N},
     "binary_classification_metrics" | "multiclass_classification_metrics" | "regression_metrics": {
         "<metric>": {"value": ..., "standard_deviation": ... | "NaN"}, ...}}

Standard deviations follow the same page: "provided only when at least 200 samples are available ... by
randomly sampling 80% of the data 5 times, computing the metric, and taking the standard deviation". We
sample each record with probability 0.8 (Spark's ``sample(false, 0.8)``), decided by a seeded hash of the
record's position in its window (``partial_results.sample_keys``), so a rerun — on any engine, in any
slicing — gives the same file, and report the sample standard deviation (Spark's ``stddev``). SageMaker's
random draws cannot be reproduced, so our standard deviations agree with its in distribution, not bit for bit.

Everything is computed from ``LabelledCounts``, the monitor's partial result: exact counts of matched records
per (label, predicted label, probability) — and in each of the 80 % samples — for classification, and sums for
regression. Counts merge exactly, so areas and curves are exact on every engine (one point per distinct
score, as Spark's ``BinaryClassificationMetrics`` without bins; memory grows with the distinct scores, not the
records); regression sums merge with Spark's formulas (a single partial is bit for bit the analyzer's).
"""

from __future__ import annotations

import math
import pickle
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any

import numpy as np
import numpy.typing as npt
import polars as pl
from transaction_scoring.contract import PROBABILITY_THRESHOLD_PCT

from pipelines.errors import UserError
from pipelines.monitoring.model_quality import metrics as m
from pipelines.monitoring.partial_results import frame_from_bytes, frame_to_bytes, sample_keys

STATISTICS_VERSION = 0.0


class ModelQualityInputError(UserError):
    """Labels or predictions that cannot be evaluated (empty, wrong type, wrong scale)."""


class ProblemType(StrEnum):
    """Model Monitor's problem types (the ``problem_type`` of a model-quality job)."""

    BINARY = "BinaryClassification"
    MULTICLASS = "MulticlassClassification"
    REGRESSION = "Regression"

    @property
    def metrics_key(self) -> str:
        return {
            ProblemType.BINARY: "binary_classification_metrics",
            ProblemType.MULTICLASS: "multiclass_classification_metrics",
            ProblemType.REGRESSION: "regression_metrics",
        }[self]

    @property
    def constraints_key(self) -> str:
        return self.metrics_key.replace("_metrics", "_constraints")

    @classmethod
    def parse(cls, text: str) -> ProblemType:
        try:
            return cls(text)
        except ValueError:
            allowed = ", ".join(p.value for p in cls)
            raise ModelQualityInputError(f"problem type {text!r} is not one of {allowed}") from None


@dataclass(frozen=True, slots=True)
class ModelQualityConfig:
    """How to turn matched records into metrics.

    ``probability_threshold`` is in the unit of the probabilities: our endpoint answers in percent, so the
    default is the contract's 50; use 0.5 for models that answer 0..1. A record is predicted positive when
    its probability is >= the threshold (Spark's convention for a score threshold). When it is None, or a
    record has no probability, the captured predicted label is used.
    """

    problem_type: ProblemType = ProblemType.BINARY
    probability_threshold: float | None = PROBABILITY_THRESHOLD_PCT
    positive_label: str = "1"
    std_min_samples: int = 200
    std_repeats: int = 5
    std_fraction: float = 0.8
    seed: int = 0
    max_curve_points: int = 1000


@dataclass(frozen=True, slots=True)
class LabelledPredictions:
    """Matched records: the ground truth, and the model's predicted label and/or probability (same length)."""

    ground_truth: npt.NDArray[Any]
    predicted_label: npt.NDArray[Any] | None = None
    probability: npt.NDArray[np.float64] | None = None

    def __post_init__(self) -> None:
        n = len(self.ground_truth)
        for name, column in (("predicted_label", self.predicted_label), ("probability", self.probability)):
            if column is not None and len(column) != n:
                raise ValueError(f"{name} has {len(column)} values for {n} ground-truth labels")

    def __len__(self) -> int:
        return len(self.ground_truth)

    def subset(self, mask: npt.NDArray[np.bool_]) -> LabelledPredictions:
        return LabelledPredictions(
            ground_truth=self.ground_truth[mask],
            predicted_label=None if self.predicted_label is None else self.predicted_label[mask],
            probability=None if self.probability is None else self.probability[mask],
        )


def label_text(value: Any) -> str:
    """A class label as text, so that 1, 1.0, "1" and True all read "1"."""
    if isinstance(value, bool | np.bool_):
        return "1" if value else "0"
    if isinstance(value, float | np.floating) and math.isfinite(value) and float(value).is_integer():
        return str(int(value))
    if isinstance(value, int | np.integer):
        return str(int(value))
    return str(value).strip()


def _label_texts(values: npt.NDArray[Any]) -> npt.NDArray[np.str_]:
    """``label_text`` of every value; vectorised for the usual all-text, integer and boolean columns."""
    array = np.asarray(values)
    if array.dtype.kind in "biu":
        return array.astype(np.int64).astype(str)
    if array.dtype.kind == "U":
        return np.char.strip(array)
    if array.dtype.kind == "O" and all(type(v) is str for v in array.tolist()):
        return np.char.strip(array.astype(str))
    return np.array([label_text(v) for v in array.tolist()], dtype=str)


def _as_floats(values: npt.NDArray[Any], what: str) -> npt.NDArray[np.float64]:
    try:
        return np.asarray(values, dtype=np.float64)
    except (TypeError, ValueError):
        for index, value in enumerate(values.tolist()):
            try:
                float(value)
            except (TypeError, ValueError):
                raise ModelQualityInputError(
                    f"{what} of record {index} is {value!r}: regression needs numbers"
                ) from None
        raise


# -- the partial result ------------------------------------------------------------------------------
ACTUAL, PREDICTED, PROBABILITY, COUNT = "actual", "predicted", "probability", "count"
# regression sums per row of ``LabelledCounts.sums``: records, sum |error|, sum error^2, prediction mean, M2
_N, _ABS, _SQUARED, _MEAN, _M2 = range(5)


def _sample_column(repeat: int) -> str:
    return f"sample_{repeat}"


@dataclass
class LabelledCounts:
    """Matched records, summarised so that partial results merge exactly (the monitor's partial result).

    Classification: ``table`` counts records per (label text, predicted label text, probability), in total
    (``count``) and in each standard-deviation sample (``sample_<r>``). Regression: ``sums`` holds, for all
    records (row 0) and each sample (row r + 1), the count, the sums of absolute and squared errors (left to
    right within a slice) and the predictions' mean and sum of squared deviations (merged with Chan's formula,
    as Spark merges partitions).
    """

    repeats: int
    table: pl.DataFrame = field(default_factory=pl.DataFrame)
    sums: npt.NDArray[np.float64] | None = None

    @property
    def n(self) -> int:
        if self.sums is not None:
            return int(self.sums[0, _N])
        return int(self.table.get_column(COUNT).sum()) if self.table.height else 0

    @classmethod
    def of(
        cls,
        data: LabelledPredictions,
        config: ModelQualityConfig,
        positions: npt.NDArray[np.int64] | None = None,
    ) -> LabelledCounts:
        """The counts of ``data``; ``positions`` place the records in their window (default: 0, 1, ...)."""
        n = len(data)
        position = np.arange(n, dtype=np.int64) if positions is None else positions
        if config.problem_type is ProblemType.REGRESSION:
            return cls(config.std_repeats, sums=_regression_sums(data, _in_samples(position, config)))
        return cls.of_texts(
            pl.Series(ACTUAL, _label_texts(data.ground_truth), dtype=pl.String),
            pl.Series(PREDICTED, [None] * n, dtype=pl.String)
            if data.predicted_label is None
            else label_text_column(pl.Series(PREDICTED, data.predicted_label)),
            pl.Series(
                PROBABILITY,
                [None] * n if data.probability is None else np.asarray(data.probability, dtype=np.float64),
                dtype=pl.Float64,
            ),
            position,
            config,
        )

    @classmethod
    def of_texts(
        cls,
        actual: pl.Series,
        predicted: pl.Series,
        probability: pl.Series,
        positions: npt.NDArray[np.int64],
        config: ModelQualityConfig,
    ) -> LabelledCounts:
        """Classification counts of records given as label texts, predicted label texts (null: none) and
        probabilities (null: none)."""
        columns: dict[str, Any] = {
            ACTUAL: actual.alias(ACTUAL),
            PREDICTED: predicted.alias(PREDICTED).cast(pl.String),
            PROBABILITY: probability.alias(PROBABILITY).cast(pl.Float64),
            COUNT: np.ones(len(actual), dtype=np.int64),
        }
        for r, mask in enumerate(_in_samples(positions, config)):
            columns[_sample_column(r)] = mask.astype(np.int64)
        return cls(config.std_repeats, table=_grouped(pl.DataFrame(columns), config.std_repeats))

    def merge(self, other: LabelledCounts) -> LabelledCounts:
        if self.sums is not None or other.sums is not None:
            if self.sums is None:
                return other
            if other.sums is None:
                return self
            return LabelledCounts(self.repeats, sums=_merge_sums(self.sums, other.sums))
        if other.table.height == 0:
            return self
        if self.table.height == 0:
            return other
        return LabelledCounts(
            self.repeats, table=_grouped(pl.concat([self.table, other.table]), self.repeats)
        )

    def to_bytes(self) -> bytes:
        table = frame_to_bytes(self.table) if self.table.width else b""
        return pickle.dumps((self.repeats, table, self.sums), protocol=pickle.HIGHEST_PROTOCOL)

    @classmethod
    def from_bytes(cls, data: bytes) -> LabelledCounts:
        repeats, table, sums = pickle.loads(data)
        return cls(repeats, frame_from_bytes(table) if table else pl.DataFrame(), sums)


def _in_samples(position: npt.NDArray[np.int64], config: ModelQualityConfig) -> list[npt.NDArray[np.bool_]]:
    return [
        sample_keys(position, config.seed, stream=r) < config.std_fraction for r in range(config.std_repeats)
    ]


def label_text_column(series: pl.Series) -> pl.Series:
    """``label_text`` of every value of a column (nulls stay null), vectorised for the usual types."""
    dtype = series.dtype
    if dtype == pl.Boolean:
        return series.cast(pl.Int8).cast(pl.String)
    if dtype.is_integer():
        return series.cast(pl.Int64).cast(pl.String)
    if dtype == pl.String:
        return series.str.strip_chars()
    if dtype == pl.Null:
        return series.cast(pl.String)
    return series.map_elements(label_text, return_dtype=pl.String, skip_nulls=True)


def _grouped(table: pl.DataFrame, repeats: int) -> pl.DataFrame:
    counts = [COUNT, *(_sample_column(r) for r in range(repeats))]
    return (
        table.group_by(ACTUAL, PREDICTED, PROBABILITY)
        .agg(pl.col(c).sum() for c in counts)
        .sort(ACTUAL, PREDICTED, PROBABILITY, nulls_last=True)
    )


def _regression_sums(
    data: LabelledPredictions, in_samples: list[npt.NDArray[np.bool_]]
) -> npt.NDArray[np.float64]:
    predictions = data.predicted_label if data.predicted_label is not None else data.probability
    if predictions is None:
        raise ModelQualityInputError("regression needs the model's predicted values")
    actual = _as_floats(data.ground_truth, "ground truth")
    predicted = _as_floats(predictions, "prediction")
    sums = np.zeros((1 + len(in_samples), 5), dtype=np.float64)
    for row, mask in enumerate([np.ones(len(actual), dtype=bool), *in_samples]):
        a, p = actual[mask], predicted[mask]
        if p.size == 0:
            continue
        mean = m.sequential_sum(p) / p.size
        sums[row] = (
            p.size,
            m.sequential_sum(np.abs(a - p)),
            m.sequential_sum((a - p) ** 2),
            mean,
            m.sequential_sum((p - mean) ** 2),
        )
    return sums


def _merge_sums(first: npt.NDArray[np.float64], second: npt.NDArray[np.float64]) -> npt.NDArray[np.float64]:
    merged = first.copy()
    for row in range(first.shape[0]):
        n1, n2 = first[row, _N], second[row, _N]
        if n2 == 0:
            continue
        if n1 == 0:
            merged[row] = second[row]
            continue
        n = n1 + n2
        delta = second[row, _MEAN] - first[row, _MEAN]
        merged[row, _N] = n
        merged[row, _ABS] = first[row, _ABS] + second[row, _ABS]
        merged[row, _SQUARED] = first[row, _SQUARED] + second[row, _SQUARED]
        merged[row, _MEAN] = first[row, _MEAN] + delta * n2 / n
        merged[row, _M2] = first[row, _M2] + second[row, _M2] + delta * delta * n1 * n2 / n
    return merged


# -- binary ----------------------------------------------------------------------------------------
Weights = npt.NDArray[np.int64]


def _binary_vectors(
    table: pl.DataFrame, config: ModelQualityConfig
) -> tuple[npt.NDArray[np.bool_], npt.NDArray[np.bool_], npt.NDArray[np.float64]]:
    """(actual positive, predicted positive, score for the curves) for each row of counted records."""
    actual = (table.get_column(ACTUAL) == config.positive_label).to_numpy()
    probability_column = table.get_column(PROBABILITY)
    has_probability = probability_column.null_count() == 0
    if has_probability and config.probability_threshold is not None:
        probability = probability_column.to_numpy()
        _check_probability_scale(probability, config.probability_threshold)
        return actual, probability >= config.probability_threshold, probability
    predicted_column = table.get_column(PREDICTED)
    if predicted_column.null_count() == table.height:
        raise ModelQualityInputError(
            "binary classification needs a predicted label or a probability with a probability threshold"
        )
    predicted = (predicted_column == config.positive_label).fill_null(False).to_numpy()
    score = probability_column.to_numpy() if has_probability else predicted.astype(np.float64)
    return actual, predicted, score


def _check_probability_scale(probability: npt.NDArray[np.float64], threshold: float) -> None:
    if probability.size and threshold <= 1.0 and float(np.nanmax(probability)) > 1.0:
        raise ModelQualityInputError(
            f"probability threshold {threshold} is on the 0..1 scale but probabilities go up to "
            f"{float(np.nanmax(probability))}: give the threshold in the probabilities' unit "
            "(e.g. 50 for percent)"
        )


def _binary_scalars(
    actual: npt.NDArray[np.bool_],
    predicted: npt.NDArray[np.bool_],
    score: npt.NDArray[np.float64],
    weights: Weights,
) -> dict[str, float]:
    counts = m.confusion_counts(actual, predicted, weights)
    constant = m.always_positive_counts(actual, weights)
    thresholds = m.threshold_counts(score, actual, weights)
    p, r = m.precision(counts), m.recall(counts)
    p_constant, r_constant = m.precision(constant), m.recall(constant)
    return {
        "recall": r,
        "precision": p,
        "accuracy": m.accuracy(counts),
        "recall_best_constant_classifier": r_constant,
        "precision_best_constant_classifier": p_constant,
        "accuracy_best_constant_classifier": m.accuracy(constant),
        "true_positive_rate": r,
        "true_negative_rate": m.true_negative_rate(counts),
        "false_positive_rate": m.false_positive_rate(counts),
        "false_negative_rate": m.false_negative_rate(counts),
        "auc": m.area_under_roc(thresholds),
        "au_prc": m.area_under_precision_recall(thresholds),
        "f0_5": m.f_beta(p, r, 0.5),
        "f1": m.f_beta(p, r, 1.0),
        "f2": m.f_beta(p, r, 2.0),
        "f0_5_best_constant_classifier": m.f_beta(p_constant, r_constant, 0.5),
        "f1_best_constant_classifier": m.f_beta(p_constant, r_constant, 1.0),
        "f2_best_constant_classifier": m.f_beta(p_constant, r_constant, 2.0),
    }


def binary_classification_metrics(counts: LabelledCounts, config: ModelQualityConfig) -> dict[str, Any]:
    table = counts.table
    actual, predicted, score = _binary_vectors(table, config)

    def scalars(weights: Weights) -> dict[str, float]:
        kept = weights > 0
        return _binary_scalars(actual[kept], predicted[kept], score[kept], weights[kept])

    values = _with_standard_deviation(scalars, counts, config)
    weights = table.get_column(COUNT).to_numpy()
    thresholds = m.threshold_counts(score, actual, weights)
    fpr, tpr = m.thin_curve(*m.roc_curve(thresholds), config.max_curve_points)
    recalls, precisions = m.thin_curve(*m.precision_recall_curve(thresholds), config.max_curve_points)
    # key order as in the documented example; au_prc (listed among the CloudWatch metrics) follows auc
    section: dict[str, Any] = {"confusion_matrix": m.confusion_counts(actual, predicted, weights).as_matrix()}
    for name in (
        "recall",
        "precision",
        "accuracy",
        "recall_best_constant_classifier",
        "precision_best_constant_classifier",
        "accuracy_best_constant_classifier",
        "true_positive_rate",
        "true_negative_rate",
        "false_positive_rate",
        "false_negative_rate",
    ):
        section[name] = values[name]
    section["receiver_operating_characteristic_curve"] = {
        "false_positive_rates": fpr,
        "true_positive_rates": tpr,
    }
    section["precision_recall_curve"] = {"precisions": precisions, "recalls": recalls}
    for name in (
        "auc",
        "au_prc",
        "f0_5",
        "f1",
        "f2",
        "f0_5_best_constant_classifier",
        "f1_best_constant_classifier",
        "f2_best_constant_classifier",
    ):
        section[name] = values[name]
    return section


# -- regression ------------------------------------------------------------------------------------
def regression_metrics(counts: LabelledCounts, config: ModelQualityConfig) -> dict[str, Any]:
    sums = counts.sums
    if sums is None:
        raise ModelQualityInputError("regression needs the model's predicted values")

    def scalars(row: npt.NDArray[np.float64]) -> dict[str, float]:
        n = row[_N]
        mse = row[_SQUARED] / n
        return {
            "mae": row[_ABS] / n,
            "mse": mse,
            "rmse": math.sqrt(mse),
            "r2": float("nan") if row[_M2] == 0 else 1.0 - row[_SQUARED] / row[_M2],
        }

    full = scalars(sums[0])
    deviations: dict[str, float] = dict.fromkeys(full, float("nan"))
    if counts.n >= config.std_min_samples and counts.repeats >= 2 and all(sums[1:, _N] > 0):
        samples = [scalars(sums[r]) for r in range(1, sums.shape[0])]
        for name in full:
            deviations[name] = float(np.std([s[name] for s in samples], ddof=1))
    return {
        name: {"value": float(value), "standard_deviation": deviations[name]} for name, value in full.items()
    }


# -- multiclass ------------------------------------------------------------------------------------
def multiclass_classification_metrics(counts: LabelledCounts, config: ModelQualityConfig) -> dict[str, Any]:
    table = counts.table
    if table.get_column(PREDICTED).null_count():
        raise ModelQualityInputError("multiclass classification needs the model's predicted labels")
    actual = table.get_column(ACTUAL).to_numpy().astype(str)
    predicted = table.get_column(PREDICTED).to_numpy().astype(str)

    def scalars(weights: Weights) -> dict[str, float]:
        kept = weights > 0
        a, w = actual[kept].tolist(), weights[kept]
        counts = m.multiclass_counts(a, predicted[kept].tolist(), w)
        constant = m.multiclass_counts(a, [m.least_frequent_class(a, w)] * len(a), w)
        values: dict[str, float] = {
            "accuracy": m.multiclass_accuracy(counts),
            "weighted_recall": m.weighted_recall(counts),
            "weighted_precision": m.weighted_precision(counts),
            "weighted_f0_5": m.weighted_f_beta(counts, 0.5),
            "weighted_f1": m.weighted_f_beta(counts, 1.0),
            "weighted_f2": m.weighted_f_beta(counts, 2.0),
            "accuracy_best_constant_classifier": m.multiclass_accuracy(constant),
            "weighted_recall_best_constant_classifier": m.weighted_recall(constant),
            "weighted_precision_best_constant_classifier": m.weighted_precision(constant),
            "weighted_f0_5_best_constant_classifier": m.weighted_f_beta(constant, 0.5),
            "weighted_f1_best_constant_classifier": m.weighted_f_beta(constant, 1.0),
            "weighted_f2_best_constant_classifier": m.weighted_f_beta(constant, 2.0),
        }
        return values

    weights = table.get_column(COUNT).to_numpy()
    section: dict[str, Any] = {
        "confusion_matrix": m.multiclass_counts(actual.tolist(), predicted.tolist(), weights).as_matrix()
    }
    section.update(_with_standard_deviation(scalars, counts, config))
    return section


# -- shared ----------------------------------------------------------------------------------------
def _with_standard_deviation(
    scalars: Callable[[Weights], Mapping[str, float]], counts: LabelledCounts, config: ModelQualityConfig
) -> dict[str, Any]:
    """``{name: {"value", "standard_deviation"}}``, the deviation from repeated 80% samples (>= 200 rows)."""
    table = counts.table
    full = scalars(table.get_column(COUNT).to_numpy())
    deviations: dict[str, float] = dict.fromkeys(full, float("nan"))
    if counts.n >= config.std_min_samples and counts.repeats >= 2:
        samples = [scalars(table.get_column(_sample_column(r)).to_numpy()) for r in range(counts.repeats)]
        for name in full:
            deviations[name] = float(np.std([s[name] for s in samples], ddof=1))
    return {name: {"value": value, "standard_deviation": deviations[name]} for name, value in full.items()}


_SECTION_BUILDERS = {
    ProblemType.BINARY: binary_classification_metrics,
    ProblemType.MULTICLASS: multiclass_classification_metrics,
    ProblemType.REGRESSION: regression_metrics,
}


def model_quality_statistics(
    data: LabelledPredictions | LabelledCounts, config: ModelQualityConfig
) -> dict[str, Any]:
    """The whole ``statistics.json`` document for matched records (or their counts)."""
    counts = data if isinstance(data, LabelledCounts) else LabelledCounts.of(data, config)
    if counts.n == 0:
        raise ModelQualityInputError(
            "no records with both a prediction and a ground-truth label: nothing to evaluate"
        )
    return {
        "version": STATISTICS_VERSION,
        "dataset": {"item_count": counts.n},
        config.problem_type.metrics_key: _SECTION_BUILDERS[config.problem_type](counts, config),
    }
