"""Model Monitor's model-quality ``statistics.json``, computed from matched (ground truth, prediction) pairs.

Format: https://docs.aws.amazon.com/sagemaker/latest/dg/model-monitor-model-quality-metrics.html ::

    {"version": 0.0, "dataset": {"item_count": N},
     "binary_classification_metrics" | "multiclass_classification_metrics" | "regression_metrics": {
         "<metric>": {"value": ..., "standard_deviation": ... | "NaN"}, ...}}

Standard deviations follow the same page: "provided only when at least 200 samples are available ... by
randomly sampling 80% of the data 5 times, computing the metric, and taking the standard deviation". We
sample each record with probability 0.8 (Spark's ``sample(false, 0.8)``), with a fixed seed so a rerun
gives the same file, and report the sample standard deviation (Spark's ``stddev``). SageMaker's random
draws cannot be reproduced, so our standard deviations agree with its in distribution, not bit for bit.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from enum import StrEnum
from typing import Any

import numpy as np
import numpy.typing as npt
from transaction_scoring.contract import PROBABILITY_THRESHOLD_PCT

from pipelines.errors import UserError
from pipelines.monitoring.model_quality import metrics as m

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


# -- binary ----------------------------------------------------------------------------------------
def _binary_vectors(
    data: LabelledPredictions, config: ModelQualityConfig
) -> tuple[npt.NDArray[np.bool_], npt.NDArray[np.bool_], npt.NDArray[np.float64]]:
    """(actual positive, predicted positive, score for the curves) for each record."""
    actual = _label_texts(data.ground_truth) == config.positive_label
    if data.probability is not None and config.probability_threshold is not None:
        probability = np.asarray(data.probability, dtype=np.float64)
        _check_probability_scale(probability, config.probability_threshold)
        return actual, probability >= config.probability_threshold, probability
    if data.predicted_label is None:
        raise ModelQualityInputError(
            "binary classification needs a predicted label or a probability with a probability threshold"
        )
    predicted = _label_texts(data.predicted_label) == config.positive_label
    score = predicted.astype(np.float64) if data.probability is None else data.probability
    return actual, predicted, score


def _check_probability_scale(probability: npt.NDArray[np.float64], threshold: float) -> None:
    if probability.size and threshold <= 1.0 and float(np.nanmax(probability)) > 1.0:
        raise ModelQualityInputError(
            f"probability threshold {threshold} is on the 0..1 scale but probabilities go up to "
            f"{float(np.nanmax(probability))}: give the threshold in the probabilities' unit "
            "(e.g. 50 for percent)"
        )


def _binary_scalars(
    actual: npt.NDArray[np.bool_], predicted: npt.NDArray[np.bool_], score: npt.NDArray[np.float64]
) -> dict[str, float]:
    counts = m.confusion_counts(actual, predicted)
    constant = m.always_positive_counts(actual)
    thresholds = m.threshold_counts(score, actual)
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


def binary_classification_metrics(data: LabelledPredictions, config: ModelQualityConfig) -> dict[str, Any]:
    actual, predicted, score = _binary_vectors(data, config)

    def scalars(mask: npt.NDArray[np.bool_]) -> dict[str, float]:
        return _binary_scalars(actual[mask], predicted[mask], score[mask])

    values = _with_standard_deviation(scalars, len(data), config)
    thresholds = m.threshold_counts(score, actual)
    fpr, tpr = m.thin_curve(*m.roc_curve(thresholds), config.max_curve_points)
    recalls, precisions = m.thin_curve(*m.precision_recall_curve(thresholds), config.max_curve_points)
    # key order as in the documented example; au_prc (listed among the CloudWatch metrics) follows auc
    section: dict[str, Any] = {"confusion_matrix": m.confusion_counts(actual, predicted).as_matrix()}
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
def regression_metrics(data: LabelledPredictions, config: ModelQualityConfig) -> dict[str, Any]:
    predictions = data.predicted_label if data.predicted_label is not None else data.probability
    if predictions is None:
        raise ModelQualityInputError("regression needs the model's predicted values")
    actual = _as_floats(data.ground_truth, "ground truth")
    predicted = _as_floats(predictions, "prediction")

    def scalars(mask: npt.NDArray[np.bool_]) -> dict[str, float]:
        a, p = actual[mask], predicted[mask]
        return {
            "mae": m.mean_absolute_error(a, p),
            "mse": m.mean_squared_error(a, p),
            "rmse": m.root_mean_squared_error(a, p),
            "r2": m.analyzer_r2(a, p),
        }

    return _with_standard_deviation(scalars, len(data), config)


# -- multiclass ------------------------------------------------------------------------------------
def multiclass_classification_metrics(
    data: LabelledPredictions, config: ModelQualityConfig
) -> dict[str, Any]:
    if data.predicted_label is None:
        raise ModelQualityInputError("multiclass classification needs the model's predicted labels")
    actual = _label_texts(data.ground_truth)
    predicted = _label_texts(data.predicted_label)

    def scalars(mask: npt.NDArray[np.bool_]) -> dict[str, float]:
        a = actual[mask].tolist()
        counts = m.multiclass_counts(a, predicted[mask].tolist())
        constant = m.multiclass_counts(a, [m.least_frequent_class(a)] * len(a))
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

    section: dict[str, Any] = {
        "confusion_matrix": m.multiclass_counts(actual.tolist(), predicted.tolist()).as_matrix()
    }
    section.update(_with_standard_deviation(scalars, len(data), config))
    return section


# -- shared ----------------------------------------------------------------------------------------
def _with_standard_deviation(
    scalars: Callable[[npt.NDArray[np.bool_]], Mapping[str, float]], n: int, config: ModelQualityConfig
) -> dict[str, Any]:
    """``{name: {"value", "standard_deviation"}}``, the deviation from repeated 80% samples (>= 200 rows)."""
    full = scalars(np.ones(n, dtype=bool))
    deviations: dict[str, float] = dict.fromkeys(full, float("nan"))
    if n >= config.std_min_samples and config.std_repeats >= 2:
        rng = np.random.default_rng(config.seed)
        samples = [scalars(rng.random(n) < config.std_fraction) for _ in range(config.std_repeats)]
        for name in full:
            deviations[name] = float(np.std([s[name] for s in samples], ddof=1))
    return {name: {"value": value, "standard_deviation": deviations[name]} for name, value in full.items()}


_SECTION_BUILDERS = {
    ProblemType.BINARY: binary_classification_metrics,
    ProblemType.MULTICLASS: multiclass_classification_metrics,
    ProblemType.REGRESSION: regression_metrics,
}


def model_quality_statistics(data: LabelledPredictions, config: ModelQualityConfig) -> dict[str, Any]:
    """The whole ``statistics.json`` document for matched records."""
    if len(data) == 0:
        raise ModelQualityInputError(
            "no records with both a prediction and a ground-truth label: nothing to evaluate"
        )
    return {
        "version": STATISTICS_VERSION,
        "dataset": {"item_count": len(data)},
        config.problem_type.metrics_key: _SECTION_BUILDERS[config.problem_type](data, config),
    }
