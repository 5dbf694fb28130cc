"""Clarify's bias metrics, each a small function on boolean row masks, with Clarify's names and texts.

Definitions: https://docs.aws.amazon.com/sagemaker/latest/dg/clarify-measure-data-bias.html (pre-training)
and https://docs.aws.amazon.com/sagemaker/latest/dg/clarify-measure-post-training-bias.html (post-training).
Notation: ``a`` is the advantaged group (rows outside the facet), ``d`` the disadvantaged (the facet);
``n_a``/``n_d`` their sizes; "positive" is a positive label (or predicted label, marked with a hat).

Arithmetic follows Clarify's implementation step by step (Python int/int divisions, numpy sums over the
same arrays in the same order), which is what makes the reference analysis.json reproducible bit for bit.
Conventions that the formulas leave open, as Clarify resolves them:

- ``divide(a, b)``: 0/0 is 0, x/0 is +-infinity (reported as "Infinity"); a difference of two infinite
  rates is 0;
- KL, JS, LP, TVD and KS compare the label distributions of ``a`` and ``d`` over the label values present
  (with a non-zero share) in both groups;
- CDDL/CDDPL average the per-group demographic disparity ``D - A`` weighted by group size, with 0 for a
  share whose denominator is 0;
- FT (flip test) labels each member of ``d`` with the majority predicted label of its k nearest neighbours
  in ``a`` (k = 5, or 1 when ``a`` has at most 9 rows; Euclidean distance over the other columns, which
  must all be numeric) and reports ``(flips positive->negative - flips negative->positive) / n_d`` where a
  "flip" compares the model's prediction with the neighbours' (Clarify's sign convention). It needs no
  model: only the features and the model's predictions;
- GE is the generalized entropy index with alpha = 2 of the benefits ``predicted - label + 1``.

A metric that cannot be computed (empty group, no positive labels, non-numeric features for FT, ...)
raises ``BiasMetricError``; the analysis reports it like Clarify does, with ``"value": null`` and the error.

Rows may stand for several records (``BiasInputs.weights``: the run engines count records per distinct
(label, facet, group, prediction), the bias monitor's partial result): every count is then the rows'
weights, and the metrics are the same numbers (GE up to float rounding: its sum runs over rows, not
records). FT needs each record's features: it runs on ``BiasInputs.flip``, a seeded sample of records.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from enum import StrEnum
from fractions import Fraction
from typing import Any

import numpy as np
import numpy.typing as npt

BoolArray = npt.NDArray[np.bool_]
INFINITY = float("inf")

FT_NEIGHBOURS = 5
FT_FEW_NEIGHBOURS = 1
FT_FEW_SAMPLES = 9


class BiasMetricError(ValueError):
    """A metric that is undefined for this data; the message is what analysis.json reports."""


class Stage(StrEnum):
    PRE_TRAINING = "pre_training_bias"
    POST_TRAINING = "post_training_bias"

    @property
    def analysis_key(self) -> str:
        return f"{self.value}_metrics"


@dataclass(frozen=True, slots=True)
class BiasInputs:
    """Row masks for one facet group, plus what some metrics need besides them."""

    facet: BoolArray  # True for the sensitive (disadvantaged) group d
    label: BoolArray  # True for a positive label
    predicted: BoolArray | None = None  # True for a positive predicted label
    group: npt.NDArray[Any] | None = None  # group variable values or codes (CDDL, CDDPL)
    features: npt.NDArray[np.float64] | None = None  # other columns, numeric (FT)
    features_problem: str | None = None  # why ``features`` is unavailable
    weights: npt.NDArray[np.int64] | None = None  # records per row (None: one each)
    flip: BiasInputs | None = None  # FT's records (a sample) when the rows are counts

    def require_predicted(self) -> BoolArray:
        if self.predicted is None:
            raise BiasMetricError("Predicted labels are required for post-training metrics")
        return self.predicted

    def count(self, mask: BoolArray) -> int:
        """Records in ``mask``."""
        if self.weights is None:
            return int(np.count_nonzero(mask))
        return int(self.weights[mask].sum())

    @property
    def total(self) -> int:
        return int(self.facet.size) if self.weights is None else int(self.weights.sum())


def divide(a: float, b: float) -> float:
    """Clarify's division: 0/0 -> 0.0, x/0 -> +-infinity."""
    if b == 0 and a == 0:
        return 0.0
    if b == 0:
        return -INFINITY if a < 0 else INFINITY
    return a / b


def _difference(x: float, y: float) -> float:
    """``x - y``, but 0 when both are +infinity (Clarify's rule for rates that are both undefined)."""
    if x == y == INFINITY:
        return 0.0
    return x - y


def _sizes(x: BiasInputs) -> tuple[int, int]:
    n_d = x.count(x.facet)
    n_a = x.total - n_d
    if n_a == 0:
        raise BiasMetricError("Negated facet set is empty: every row is in the facet")
    if n_d == 0:
        raise BiasMetricError("Facet set is empty: no row is in the facet")
    return n_a, n_d


# -- pre-training ---------------------------------------------------------------------------------------
def class_imbalance(x: BiasInputs) -> float:
    """CI = (n_a - n_d) / (n_a + n_d)."""
    n_a, n_d = _sizes(x)
    return float(n_a - n_d) / (n_a + n_d)


def _positive_proportion_difference(x: BiasInputs, positive: BoolArray) -> float:
    n_a, n_d = _sizes(x)
    return x.count(positive & ~x.facet) / n_a - x.count(positive & x.facet) / n_d


def difference_in_positive_proportions_in_labels(x: BiasInputs) -> float:
    """DPL = q_a - q_d, q the share of positive labels."""
    return _positive_proportion_difference(x, x.label)


def _label_distributions(x: BiasInputs) -> tuple[npt.NDArray[np.float64], npt.NDArray[np.float64]]:
    """P_a and P_d over the label values (negative, positive) that both groups have."""
    n_a, n_d = _sizes(x)
    counts_a = (x.count(~x.label & ~x.facet), x.count(x.label & ~x.facet))
    counts_d = (x.count(~x.label & x.facet), x.count(x.label & x.facet))
    shared = [i for i in (0, 1) if counts_a[i] != 0 and counts_d[i] != 0]
    if not shared:
        raise BiasMetricError("No instance of common facet found, dataset may be too small")
    p_a = np.array([counts_a[i] / n_a for i in shared])
    p_d = np.array([counts_d[i] / n_d for i in shared])
    return p_a, p_d


def kullback_leibler(x: BiasInputs) -> float:
    """KL = sum_y P_a(y) log(P_a(y) / P_d(y))."""
    p_a, p_d = _label_distributions(x)
    return float(np.sum(p_a * np.log(p_a / p_d)))


def jensen_shannon(x: BiasInputs) -> float:
    """JS = 1/2 [KL(P_a, P) + KL(P_d, P)], P = (P_a + P_d) / 2."""
    p_a, p_d = _label_distributions(x)
    p = 1 / 2 * (p_a + p_d)
    return float(0.5 * (np.sum(p_a * np.log(p_a / p)) + np.sum(p_d * np.log(p_d / p))))


def lp_norm(x: BiasInputs) -> float:
    """LP = ||P_a - P_d||_2, with the sum of squares accumulated as Clarify's numpy does it on AWS.

    Clarify calls ``np.linalg.norm``, whose sum of squares is BLAS's ``ddot``: on the x86-64 instances
    Clarify runs on, the kernel accumulates with fused multiply-adds (``acc = fma(v, v, acc)``, one
    rounding per term), while a CPU without FMA rounds each product too, and the last bit differs
    (issue 9: 0.021634506992825184 against 0.02163450699282518). Doing that accumulation here in exact
    rational arithmetic gives Clarify's value on every CPU, independent of the BLAS kernel numpy loads.
    """
    p_a, p_d = _label_distributions(x)
    return math.sqrt(_fma_sum_of_squares(p_a - p_d))


def _fma_sum_of_squares(values: npt.NDArray[np.float64]) -> float:
    """sum(v * v) as ``acc = fma(v, v, acc)`` in order: exact product and sum, one rounding per step."""
    total = 0.0
    for value in values.tolist():
        total = float(Fraction(value) * Fraction(value) + Fraction(total))
    return total


def total_variation_distance(x: BiasInputs) -> float:
    """TVD = 1/2 ||P_a - P_d||_1."""
    p_a, p_d = _label_distributions(x)
    return float(0.5 * np.linalg.norm(p_a - p_d, 1))


def kolmogorov_smirnov(x: BiasInputs) -> float:
    """KS = max |P_a - P_d|."""
    p_a, p_d = _label_distributions(x)
    return float(np.linalg.norm(p_a - p_d, np.inf))


def _conditional_demographic_disparity(x: BiasInputs, positive: BoolArray) -> float:
    """CDD = sum_i n_i DD_i / n; DD_i = (d share of negatives) - (d share of positives) in group i."""
    group, facet = x.group, x.facet
    if group is None or group.size == 0:
        raise BiasMetricError("Group variable is empty or not provided")
    if x.count(positive) == 0:
        raise BiasMetricError("No positive labels in set")
    if x.count(~positive) == 0:
        raise BiasMetricError("No negative labels in set")
    groups, inverse = np.unique(group, return_inverse=True)
    size = len(groups)
    w = np.ones(group.size, dtype=np.int64) if x.weights is None else x.weights

    def per_group(mask: BoolArray) -> npt.NDArray[np.int64]:
        return np.bincount(inverse, weights=w * mask, minlength=size).astype(np.int64)

    counts = np.bincount(inverse, weights=w, minlength=size).astype(np.float64)
    positives = per_group(positive)
    negatives = per_group(~positive)
    positives_d = per_group(positive & facet)
    negatives_d = per_group(~positive & facet)
    share_positive = np.divide(positives_d, positives, out=np.zeros(size), where=positives != 0)
    share_negative = np.divide(negatives_d, negatives, out=np.zeros(size), where=negatives != 0)
    disparity = share_negative - share_positive
    return divide(float(np.sum(counts * disparity)), float(np.sum(counts)))


def conditional_demographic_disparity_in_labels(x: BiasInputs) -> float:
    """CDDL: CDD of the labels."""
    return _conditional_demographic_disparity(x, x.label)


# -- post-training ----------------------------------------------------------------------------------------
@dataclass(frozen=True, slots=True)
class _Cells:
    """Confusion counts of one group."""

    tp: int
    fp: int
    fn: int
    tn: int


def _cells(x: BiasInputs) -> tuple[_Cells, _Cells]:
    """Confusion counts of a and of d (raises when a group is empty)."""
    _sizes(x)
    predicted, label = x.require_predicted(), x.label

    def of(group: BoolArray) -> _Cells:
        return _Cells(
            tp=x.count(label & predicted & group),
            fp=x.count(~label & predicted & group),
            fn=x.count(label & ~predicted & group),
            tn=x.count(~label & ~predicted & group),
        )

    return of(~x.facet), of(x.facet)


def difference_in_positive_proportions_in_predicted_labels(x: BiasInputs) -> float:
    """DPPL = q^_a - q^_d, q^ the share of positive predictions."""
    return _positive_proportion_difference(x, x.require_predicted())


def disparate_impact(x: BiasInputs) -> float:
    """DI = q^_d / q^_a."""
    n_a, n_d = _sizes(x)
    predicted = x.require_predicted()
    return divide(x.count(predicted & x.facet) / n_d, x.count(predicted & ~x.facet) / n_a)


def difference_in_conditional_acceptance(x: BiasInputs) -> float:
    """DCA = c_a - c_d, c = observed positives / predicted positives."""
    a, d = _cells(x)
    return _difference(divide(a.tp + a.fn, a.tp + a.fp), divide(d.tp + d.fn, d.tp + d.fp))


def difference_in_conditional_rejection(x: BiasInputs) -> float:
    """DCR = r_d - r_a, r = observed negatives / predicted negatives."""
    a, d = _cells(x)
    return _difference(divide(d.tn + d.fp, d.tn + d.fn), divide(a.tn + a.fp, a.tn + a.fn))


def difference_in_acceptance_rates(x: BiasInputs) -> float:
    """DAR = TP_a / predicted positives_a - TP_d / predicted positives_d (precision difference)."""
    a, d = _cells(x)
    return _difference(divide(a.tp, a.tp + a.fp), divide(d.tp, d.tp + d.fp))


def difference_in_rejection_rates(x: BiasInputs) -> float:
    """DRR = TN_d / predicted negatives_d - TN_a / predicted negatives_a."""
    a, d = _cells(x)
    return _difference(divide(d.tn, d.tn + d.fn), divide(a.tn, a.tn + a.fn))


def recall_difference(x: BiasInputs) -> float:
    """RD = recall_a - recall_d."""
    a, d = _cells(x)
    return _difference(divide(a.tp, a.tp + a.fn), divide(d.tp, d.tp + d.fn))


def specificity_difference(x: BiasInputs) -> float:
    """SD = specificity_d - specificity_a."""
    a, d = _cells(x)
    return _difference(divide(d.tn, d.tn + d.fp), divide(a.tn, a.tn + a.fp))


def accuracy_difference(x: BiasInputs) -> float:
    """AD = accuracy_a - accuracy_d."""
    a, d = _cells(x)
    return _difference(
        divide(a.tp + a.tn, a.tp + a.tn + a.fp + a.fn), divide(d.tp + d.tn, d.tp + d.tn + d.fp + d.fn)
    )


def treatment_equality(x: BiasInputs) -> float:
    """TE = FN_d / FP_d - FN_a / FP_a."""
    a, d = _cells(x)
    return _difference(divide(d.fn, d.fp), divide(a.fn, a.fp))


def conditional_demographic_disparity_in_predicted_labels(x: BiasInputs) -> float:
    """CDDPL: CDD of the predicted labels."""
    return _conditional_demographic_disparity(x, x.require_predicted())


def generalized_entropy(x: BiasInputs) -> float:
    """GE(alpha=2) = sum((b_i / mean(b))^2 - 1) / (2 n), b_i = predicted_i - label_i + 1."""
    predicted = x.require_predicted()
    n = x.total
    if n == 0:
        raise BiasMetricError("dataset must be non-empty")
    benefit = predicted.astype(np.int64) - x.label.astype(np.int64) + 1
    alpha = 2
    if x.weights is None:
        mean_benefit = float(np.sum(benefit, dtype=np.float64)) / n
        if mean_benefit == 0:
            raise BiasMetricError("All predicted labels are false negatives: GE is undefined")
        return float(np.sum((benefit / mean_benefit) ** alpha - 1) / (n * alpha * (alpha - 1)))
    weights = x.weights.astype(np.float64)
    mean_benefit = float(np.sum(benefit * weights)) / n
    if mean_benefit == 0:
        raise BiasMetricError("All predicted labels are false negatives: GE is undefined")
    return float(np.sum(weights * ((benefit / mean_benefit) ** alpha - 1)) / (n * alpha * (alpha - 1)))


def flip_test(x: BiasInputs) -> float:
    """FT: predictions of d versus the majority prediction of their nearest neighbours in a."""
    from scipy.spatial import cKDTree  # imported on first use: scipy.spatial is slow to import

    x = x.flip if x.flip is not None else x
    n_a, n_d = _sizes(x)
    predicted = x.require_predicted()
    if x.features is None:
        raise BiasMetricError(x.features_problem or "FlipTest needs the feature columns")
    neighbours = FT_NEIGHBOURS if n_a > FT_FEW_SAMPLES else FT_FEW_NEIGHBOURS
    tree = cKDTree(x.features[~x.facet])
    _, nearest = tree.query(x.features[x.facet], k=neighbours)
    nearest = np.asarray(nearest).reshape(n_d, neighbours)
    votes = predicted[~x.facet][nearest].sum(axis=1)
    neighbours_positive = votes * 2 > neighbours
    model_positive = predicted[x.facet]
    flips_to_negative = x.count(model_positive & ~neighbours_positive)
    flips_to_positive = x.count(~model_positive & neighbours_positive)
    return divide(flips_to_negative - flips_to_positive, n_d)


@dataclass(frozen=True, slots=True)
class BiasMetric:
    """A registered metric: Clarify's short name, its description, its stage and its calculation."""

    name: str
    description: str
    stage: Stage
    compute: Callable[[BiasInputs], float]
    ideal: float = 0.0  # the value of a perfectly balanced outcome

    def distance_from_ideal(self, value: float) -> float:
        """How far ``value`` is from balance: ``|value - ideal|``; for the ratio DI, ``|log DI|``."""
        if self.ideal == 1.0:
            return INFINITY if value <= 0 else abs(math.log(value))
        return abs(value - self.ideal)


_PRE = Stage.PRE_TRAINING
_POST = Stage.POST_TRAINING

# In Clarify's output order (alphabetical by name within a stage).
METRICS: tuple[BiasMetric, ...] = (
    BiasMetric(
        "CDDL",
        "Conditional Demographic Disparity in Labels (CDDL)",
        _PRE,
        conditional_demographic_disparity_in_labels,
    ),
    BiasMetric("CI", "Class Imbalance (CI)", _PRE, class_imbalance),
    BiasMetric(
        "DPL",
        "Difference in Positive Proportions in Labels (DPL)",
        _PRE,
        difference_in_positive_proportions_in_labels,
    ),
    BiasMetric("JS", "Jensen-Shannon Divergence (JS)", _PRE, jensen_shannon),
    BiasMetric("KL", "Kullback-Liebler Divergence (KL)", _PRE, kullback_leibler),
    BiasMetric("KS", "Kolmogorov-Smirnov Distance (KS)", _PRE, kolmogorov_smirnov),
    BiasMetric("LP", "L-p Norm (LP)", _PRE, lp_norm),
    BiasMetric("TVD", "Total Variation Distance (TVD)", _PRE, total_variation_distance),
    BiasMetric("AD", "Accuracy Difference (AD)", _POST, accuracy_difference),
    BiasMetric(
        "CDDPL",
        "Conditional Demographic Disparity in Predicted Labels (CDDPL)",
        _POST,
        conditional_demographic_disparity_in_predicted_labels,
    ),
    BiasMetric("DAR", "Difference in Acceptance Rates (DAR)", _POST, difference_in_acceptance_rates),
    BiasMetric(
        "DCA", "Difference in Conditional Acceptance (DCA)", _POST, difference_in_conditional_acceptance
    ),
    BiasMetric(
        "DCR", "Difference in Conditional Rejection (DCR)", _POST, difference_in_conditional_rejection
    ),
    BiasMetric("DI", "Disparate Impact (DI)", _POST, disparate_impact, ideal=1.0),
    BiasMetric(
        "DPPL",
        "Difference in Positive Proportions in Predicted Labels (DPPL)",
        _POST,
        difference_in_positive_proportions_in_predicted_labels,
    ),
    BiasMetric("DRR", "Difference in Rejection Rates (DRR)", _POST, difference_in_rejection_rates),
    BiasMetric("FT", "Flip Test (FT)", _POST, flip_test),
    BiasMetric("GE", "Generalized Entropy (GE)", _POST, generalized_entropy),
    BiasMetric("RD", "Recall Difference (RD)", _POST, recall_difference),
    BiasMetric("SD", "Specificity Difference (SD)", _POST, specificity_difference),
    BiasMetric("TE", "Treatment Equality (TE)", _POST, treatment_equality),
)
METRICS_BY_NAME: Mapping[str, BiasMetric] = {metric.name: metric for metric in METRICS}


def metrics_for(stage: Stage, names: str | list[str]) -> list[BiasMetric]:
    """The metrics of ``stage`` selected by Clarify's ``methods`` value ("all" or a list of names)."""
    available = [metric for metric in METRICS if metric.stage is stage]
    if names == "all":
        return available
    unknown = sorted(set(names) - {metric.name for metric in available})
    if unknown:
        allowed = ", ".join(metric.name for metric in available)
        raise ValueError(f"unknown {stage.value} metric(s) {', '.join(unknown)}; allowed: {allowed}")
    return [metric for metric in available if metric.name in names]
