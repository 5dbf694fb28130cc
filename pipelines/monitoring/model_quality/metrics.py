"""Model-quality metrics, each a small function with the formula SageMaker Model Monitor reports.

Metric names, shapes and conventions follow
https://docs.aws.amazon.com/sagemaker/latest/dg/model-monitor-model-quality-metrics.html . Model Monitor's
analyzer is a Spark application, so where the documentation is silent we follow Spark MLlib's evaluation
classes (``BinaryClassificationMetrics``, ``MulticlassMetrics``, ``RegressionMetrics``), which reproduce the
documented example values bit for bit (see the tests):

- ratios with a zero denominator are 0.0 (MulticlassMetrics' convention);
- ``true_negative_rate = 1 - false_positive_rate`` and ``false_negative_rate = 1 - recall`` (the documented
  example shows ``0.33333333333333337`` = ``1 - 2/3``, not ``1/3``);
- F-beta is ``(1 + b^2) * p * r / (b^2 * p + r)``;
- ROC/PR curves are Spark's: one point per distinct score (descending), the ROC curve framed by (0, 0) and
  (1, 1), the PR curve starting at (recall 0, precision of the first threshold); areas by the trapezoid rule;
- r2 is ``1 - SS_res / sum((prediction - mean(prediction))^2)``: the analyzer hands (label, prediction) to
  ``RegressionMetrics``, which expects (prediction, label), so its total sum of squares is taken around the
  mean of the *predictions*. This reproduces the reference value -3.208758170289026 exactly; the textbook
  r2 of the same data is -0.3351313969508194.

Sums are computed left to right (``np.add.accumulate``) like Spark's single-partition aggregation, which is
what makes mae/mse/rmse match the reference bit for bit (numpy's pairwise ``sum`` differs in the last bit).
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

FloatArray = npt.NDArray[np.float64]
BoolArray = npt.NDArray[np.bool_]


def sequential_sum(values: npt.ArrayLike) -> float:
    """Left-to-right float sum (the order Spark aggregates one partition in), 0.0 for no values."""
    array = np.asarray(values, dtype=np.float64)
    if array.size == 0:
        return 0.0
    return float(np.add.accumulate(array)[-1])


def ratio(numerator: float, denominator: float) -> float:
    """``numerator / denominator``, or 0.0 when the denominator is 0 (Spark MulticlassMetrics' convention)."""
    return 0.0 if denominator == 0 else numerator / denominator


# -- binary classification ---------------------------------------------------------------------------
@dataclass(frozen=True, slots=True)
class ConfusionCounts:
    """The four cells of a binary confusion matrix."""

    tp: int
    fp: int
    tn: int
    fn: int

    @property
    def total(self) -> int:
        return self.tp + self.fp + self.tn + self.fn

    @property
    def actual_positives(self) -> int:
        return self.tp + self.fn

    def as_matrix(self) -> dict[str, dict[str, int]]:
        """Model Monitor's ``confusion_matrix``: ``{actual: {predicted: count}}`` with classes "0" and "1"."""
        return {"0": {"0": self.tn, "1": self.fp}, "1": {"0": self.fn, "1": self.tp}}


Weights = npt.NDArray[np.int64] | None  # records per row (rows of counted records); None: one each


def _total(mask: BoolArray, weights: Weights) -> int:
    return int(np.count_nonzero(mask)) if weights is None else int(weights[mask].sum())


def confusion_counts(
    actual_positive: BoolArray, predicted_positive: BoolArray, weights: Weights = None
) -> ConfusionCounts:
    actual = np.asarray(actual_positive, dtype=bool)
    predicted = np.asarray(predicted_positive, dtype=bool)
    tp = _total(actual & predicted, weights)
    fp = _total(~actual & predicted, weights)
    fn = _total(actual & ~predicted, weights)
    tn = _total(~actual & ~predicted, weights)
    return ConfusionCounts(tp=tp, fp=fp, tn=tn, fn=fn)


def accuracy(c: ConfusionCounts) -> float:
    return ratio(c.tp + c.tn, c.total)


def precision(c: ConfusionCounts) -> float:
    return ratio(c.tp, c.tp + c.fp)


def recall(c: ConfusionCounts) -> float:
    """Also the true positive rate."""
    return ratio(c.tp, c.tp + c.fn)


def false_positive_rate(c: ConfusionCounts) -> float:
    return ratio(c.fp, c.fp + c.tn)


def true_negative_rate(c: ConfusionCounts) -> float:
    return 1.0 - false_positive_rate(c)


def false_negative_rate(c: ConfusionCounts) -> float:
    return 1.0 - recall(c)


def f_beta(precision_value: float, recall_value: float, beta: float) -> float:
    """Weighted harmonic mean of precision and recall; 0.0 when both are 0."""
    if precision_value + recall_value == 0:
        return 0.0
    beta_squared = beta * beta
    return (
        (1 + beta_squared) * precision_value * recall_value / (beta_squared * precision_value + recall_value)
    )


def always_positive_counts(actual_positive: BoolArray, weights: Weights = None) -> ConfusionCounts:
    """Confusion counts of the constant classifier that predicts the positive class for every record.

    Model Monitor's ``*_best_constant_classifier`` metrics for binary problems are this classifier's: the
    documented example (1 positive out of 4) gives recall 1.0, precision 0.25 and accuracy 0.25.
    """
    actual = np.asarray(actual_positive, dtype=bool)
    positives = _total(actual, weights)
    return ConfusionCounts(tp=positives, fp=_total(~actual, weights), tn=0, fn=0)


@dataclass(frozen=True, slots=True)
class ThresholdCounts:
    """Cumulative true/false positives when every score >= each distinct threshold counts as positive."""

    thresholds: FloatArray  # distinct scores, descending
    true_positives: npt.NDArray[np.int64]
    false_positives: npt.NDArray[np.int64]
    positives: int
    negatives: int


def threshold_counts(
    scores: npt.ArrayLike, actual_positive: BoolArray, weights: Weights = None
) -> ThresholdCounts:
    """One point per distinct score, highest first (Spark BinaryClassificationMetrics with numBins=0).

    With ``weights`` each row stands for that many records (rows of weight 0 are not given: each row's
    score is a point)."""
    score = np.asarray(scores, dtype=np.float64)
    actual = np.asarray(actual_positive, dtype=bool)
    order = np.argsort(-score)  # order within equal scores is irrelevant: only run ends are kept
    sorted_scores, sorted_actual = score[order], actual[order]
    if weights is None:
        cum_tp = np.cumsum(sorted_actual, dtype=np.int64)
        cum_fp = np.cumsum(~sorted_actual, dtype=np.int64)
    else:
        sorted_weights = np.asarray(weights, dtype=np.int64)[order]
        cum_tp = np.cumsum(np.where(sorted_actual, sorted_weights, 0), dtype=np.int64)
        cum_fp = np.cumsum(np.where(sorted_actual, 0, sorted_weights), dtype=np.int64)
    # the last index of each run of equal scores closes that threshold
    if sorted_scores.size:
        last_of_run = np.flatnonzero(np.append(sorted_scores[1:] != sorted_scores[:-1], True))
    else:
        last_of_run = np.array([], dtype=np.int64)
    return ThresholdCounts(
        thresholds=sorted_scores[last_of_run],
        true_positives=cum_tp[last_of_run],
        false_positives=cum_fp[last_of_run],
        positives=_total(actual, weights),
        negatives=_total(~actual, weights),
    )


def _rates(counts: npt.NDArray[np.int64], total: int) -> FloatArray:
    if total == 0:
        return np.zeros(counts.shape, dtype=np.float64)
    return counts / total


def roc_curve(counts: ThresholdCounts) -> tuple[FloatArray, FloatArray]:
    """(false positive rates, true positive rates), framed by (0, 0) and (1, 1) like Spark's ``roc()``."""
    fpr = np.concatenate(([0.0], _rates(counts.false_positives, counts.negatives), [1.0]))
    tpr = np.concatenate(([0.0], _rates(counts.true_positives, counts.positives), [1.0]))
    return fpr, tpr


def precision_recall_curve(counts: ThresholdCounts) -> tuple[FloatArray, FloatArray]:
    """(recalls, precisions), starting at recall 0 with the first threshold's precision (Spark's ``pr()``)."""
    predicted = counts.true_positives + counts.false_positives
    precisions = np.divide(
        counts.true_positives, predicted, out=np.ones(predicted.shape, dtype=np.float64), where=predicted > 0
    )
    recalls = _rates(counts.true_positives, counts.positives)
    first_precision = precisions[0] if precisions.size else 1.0
    return np.concatenate(([0.0], recalls)), np.concatenate(([first_precision], precisions))


def trapezoid_area(x: FloatArray, y: FloatArray) -> float:
    """Area under the polyline through the points (x[i], y[i]), summed left to right."""
    if x.size < 2:
        return 0.0
    return sequential_sum((x[1:] - x[:-1]) * (y[1:] + y[:-1]) / 2.0)


def area_under_roc(counts: ThresholdCounts) -> float:
    return trapezoid_area(*roc_curve(counts))


def area_under_precision_recall(counts: ThresholdCounts) -> float:
    return trapezoid_area(*precision_recall_curve(counts))


def thin_curve(x: FloatArray, y: FloatArray, max_points: int) -> tuple[list[float], list[float]]:
    """At most ``max_points`` evenly spaced points of a curve (first and last kept), for the JSON file.

    Areas are always computed on the full curve; the file only needs enough points to draw it (Spark's
    ``numBins`` downsampling serves the same purpose).
    """
    if x.size <= max_points:
        return x.tolist(), y.tolist()
    keep = np.unique(np.linspace(0, x.size - 1, max_points).round().astype(np.int64))
    return x[keep].tolist(), y[keep].tolist()


# -- regression ----------------------------------------------------------------------------------------
def mean_absolute_error(actual: FloatArray, predicted: FloatArray) -> float:
    return sequential_sum(np.abs(actual - predicted)) / actual.size


def mean_squared_error(actual: FloatArray, predicted: FloatArray) -> float:
    return sequential_sum((actual - predicted) ** 2) / actual.size


def root_mean_squared_error(actual: FloatArray, predicted: FloatArray) -> float:
    return math.sqrt(mean_squared_error(actual, predicted))


def analyzer_r2(actual: FloatArray, predicted: FloatArray) -> float:
    """Model Monitor's r2: ``1 - SS_res / SS_tot`` with SS_tot taken around the mean of the predictions.

    Not the textbook coefficient of determination (which centres on the labels): see the module docstring.
    """
    residual = sequential_sum((actual - predicted) ** 2)
    mean_prediction = sequential_sum(predicted) / predicted.size
    total = sequential_sum((predicted - mean_prediction) ** 2)
    if total == 0:
        return float("nan")
    return 1.0 - residual / total


# -- multiclass ----------------------------------------------------------------------------------------
@dataclass(frozen=True, slots=True)
class MulticlassCounts:
    """Confusion matrix over ``classes`` (sorted): ``matrix[i, j]`` = records of class i predicted as j."""

    classes: tuple[str, ...]
    matrix: npt.NDArray[np.int64]

    @property
    def support(self) -> npt.NDArray[np.int64]:
        return self.matrix.sum(axis=1)

    @property
    def total(self) -> int:
        return int(self.matrix.sum())

    def as_matrix(self) -> dict[str, dict[str, int]]:
        return {
            actual: {predicted: int(self.matrix[i, j]) for j, predicted in enumerate(self.classes)}
            for i, actual in enumerate(self.classes)
        }


def multiclass_counts(
    actual: Sequence[str], predicted: Sequence[str], weights: Weights = None
) -> MulticlassCounts:
    actual_array = np.asarray(actual, dtype=object)
    predicted_array = np.asarray(predicted, dtype=object)
    classes = tuple(sorted(set(actual_array.tolist()) | set(predicted_array.tolist())))
    index = {name: i for i, name in enumerate(classes)}
    matrix = np.zeros((len(classes), len(classes)), dtype=np.int64)
    np.add.at(
        matrix,
        (
            np.fromiter((index[a] for a in actual_array), dtype=np.int64, count=actual_array.size),
            np.fromiter((index[p] for p in predicted_array), dtype=np.int64, count=predicted_array.size),
        ),
        1 if weights is None else np.asarray(weights, dtype=np.int64),
    )
    return MulticlassCounts(classes=classes, matrix=matrix)


def multiclass_accuracy(c: MulticlassCounts) -> float:
    return ratio(int(np.trace(c.matrix)), c.total)


def _per_class(c: MulticlassCounts) -> tuple[FloatArray, FloatArray]:
    """(per-class precision, per-class recall); 0.0 for a class never predicted / never present."""
    true_positive = np.diag(c.matrix).astype(np.float64)
    predicted = c.matrix.sum(axis=0)
    support = c.support
    precision_by_class = np.divide(
        true_positive, predicted, out=np.zeros_like(true_positive), where=predicted > 0
    )
    recall_by_class = np.divide(true_positive, support, out=np.zeros_like(true_positive), where=support > 0)
    return precision_by_class, recall_by_class


def _support_weighted(c: MulticlassCounts, per_class: FloatArray) -> float:
    """``sum(metric_c * support_c / total)``, in that operation order (Spark's weighted metrics)."""
    if c.total == 0:
        return 0.0
    return sequential_sum(per_class * c.support.astype(np.float64) / c.total)


def weighted_precision(c: MulticlassCounts) -> float:
    return _support_weighted(c, _per_class(c)[0])


def weighted_recall(c: MulticlassCounts) -> float:
    return _support_weighted(c, _per_class(c)[1])


def weighted_f_beta(c: MulticlassCounts, beta: float) -> float:
    precision_by_class, recall_by_class = _per_class(c)
    scores = np.array(
        [f_beta(p, r, beta) for p, r in zip(precision_by_class, recall_by_class, strict=True)], dtype=float
    )
    return _support_weighted(c, scores)


def least_frequent_class(actual: Sequence[str], weights: Weights = None) -> str:
    """The class Model Monitor's multiclass constant classifier predicts.

    The documented multiclass example (support 1690 vs 406) reports accuracy_best_constant_classifier
    0.19370229007633588 = 406/2096, i.e. the constant prediction of the least frequent class; ties go to the
    smallest class name.
    """
    values, inverse, counts = np.unique(
        np.asarray(actual, dtype=object).astype(str), return_inverse=True, return_counts=True
    )
    if weights is not None:
        counts = np.bincount(inverse, weights=np.asarray(weights, dtype=np.float64), minlength=len(values))
    return str(values[int(np.argmin(counts))])
