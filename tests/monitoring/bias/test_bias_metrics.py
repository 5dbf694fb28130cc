"""Clarify's bias metrics on a small table whose values are worked out by hand.

Rows 0-3 are the facet (d), rows 4-9 the rest (a).
  label      d: 1 0 0 0        a: 1 1 1 0 0 0
  predicted  d: 1 1 0 0        a: 1 1 0 1 0 0
so d has TP=1 FP=1 TN=2 FN=0 and a has TP=2 FP=1 TN=2 FN=1.
"""

from __future__ import annotations

import math

import numpy as np
import pytest

from pipelines.monitoring.bias import metrics as b
from pipelines.monitoring.bias.metrics import BiasInputs, BiasMetricError

FACET = np.array([True] * 4 + [False] * 6)
LABEL = np.array([1, 0, 0, 0, 1, 1, 1, 0, 0, 0], dtype=bool)
PREDICTED = np.array([1, 1, 0, 0, 1, 1, 0, 1, 0, 0], dtype=bool)
GROUP = np.array(["x", "x", "y", "y", "x", "x", "x", "y", "y", "y"], dtype=object)
FEATURES = np.array([[0.1], [1.1], [10.1], [11.9], [0.0], [1.0], [2.0], [10.0], [11.0], [12.0]])
INPUTS = BiasInputs(facet=FACET, label=LABEL, predicted=PREDICTED, group=GROUP, features=FEATURES)

P_A, P_D = (0.5, 0.5), (0.75, 0.25)  # label distributions (negative, positive) of a and d


@pytest.mark.parametrize(
    ("metric", "expected"),
    [
        (b.class_imbalance, (6 - 4) / 10),
        (b.difference_in_positive_proportions_in_labels, 3 / 6 - 1 / 4),
        (b.kullback_leibler, sum(pa * math.log(pa / pd) for pa, pd in zip(P_A, P_D, strict=True))),
        (b.lp_norm, math.sqrt(0.25**2 + 0.25**2)),
        (b.total_variation_distance, 0.25),
        (b.kolmogorov_smirnov, 0.25),
        (b.conditional_demographic_disparity_in_labels, (5 * (1 - 1 / 4) + 5 * (2 / 5 - 0)) / 10),
        (b.difference_in_positive_proportions_in_predicted_labels, 3 / 6 - 2 / 4),
        (b.disparate_impact, (2 / 4) / (3 / 6)),
        (b.difference_in_conditional_acceptance, 3 / 3 - 1 / 2),
        (b.difference_in_conditional_rejection, 3 / 2 - 3 / 3),
        (b.difference_in_acceptance_rates, 2 / 3 - 1 / 2),
        (b.difference_in_rejection_rates, 2 / 2 - 2 / 3),
        (b.recall_difference, 2 / 3 - 1 / 1),
        (b.specificity_difference, 2 / 3 - 2 / 3),
        (b.accuracy_difference, 4 / 6 - 3 / 4),
        (b.treatment_equality, 0 / 1 - 1 / 1),
        (b.conditional_demographic_disparity_in_predicted_labels, (5 * (0 - 2 / 4) + 5 * (2 / 4 - 0)) / 10),
        (b.generalized_entropy, (15 / 1.1**2 - 10) / (10 * 2)),
        # neighbours (k=1, a has <= 9 rows) of d's features predict 1, 1, 1, 0; the model says 1, 1, 0, 0
        (b.flip_test, (0 - 1) / 4),
    ],
    ids=lambda value: getattr(value, "__name__", ""),
)
def test_metric_value_matches_the_hand_computed_one(metric: object, expected: float) -> None:
    assert metric(INPUTS) == pytest.approx(expected, abs=1e-15)  # type: ignore[operator]


def test_jensen_shannon_is_the_mean_divergence_from_the_midpoint_distribution() -> None:
    midpoint = [(pa + pd) / 2 for pa, pd in zip(P_A, P_D, strict=True)]
    kl_a = sum(p * math.log(p / q) for p, q in zip(P_A, midpoint, strict=True))
    kl_d = sum(p * math.log(p / q) for p, q in zip(P_D, midpoint, strict=True))
    assert b.jensen_shannon(INPUTS) == pytest.approx((kl_a + kl_d) / 2, abs=1e-15)


def test_an_empty_facet_makes_a_metric_undefined() -> None:
    inputs = BiasInputs(facet=np.zeros(4, dtype=bool), label=np.array([1, 0, 1, 0], dtype=bool))
    with pytest.raises(BiasMetricError, match="Facet set is empty"):
        b.class_imbalance(inputs)


def test_a_facet_covering_every_row_makes_a_metric_undefined() -> None:
    inputs = BiasInputs(facet=np.ones(4, dtype=bool), label=np.array([1, 0, 1, 0], dtype=bool))
    with pytest.raises(BiasMetricError, match="Negated facet set is empty"):
        b.difference_in_positive_proportions_in_labels(inputs)


def test_zero_over_zero_is_zero_and_x_over_zero_is_infinite() -> None:
    assert b.divide(0, 0) == 0.0
    assert b.divide(3, 0) == math.inf
    assert b.divide(-3, 0) == -math.inf


def test_two_infinite_rates_differ_by_zero() -> None:
    # nobody is predicted positive: conditional acceptance is 1/0 in both groups
    inputs = BiasInputs(
        facet=np.array([True, False]), label=np.array([True, True]), predicted=np.array([False, False])
    )
    assert b.difference_in_conditional_acceptance(inputs) == 0.0


def test_disparate_impact_is_infinite_when_the_advantaged_group_gets_no_positive_prediction() -> None:
    inputs = BiasInputs(
        facet=np.array([True, False]), label=np.array([True, True]), predicted=np.array([True, False])
    )
    assert b.disparate_impact(inputs) == math.inf


def test_divergences_need_a_label_value_present_in_both_groups() -> None:
    inputs = BiasInputs(facet=np.array([True, False]), label=np.array([True, False]))
    with pytest.raises(BiasMetricError, match="No instance of common facet found"):
        b.kullback_leibler(inputs)


def test_conditional_demographic_disparity_needs_a_group_variable() -> None:
    with pytest.raises(BiasMetricError, match="Group variable is empty or not provided"):
        b.conditional_demographic_disparity_in_labels(BiasInputs(facet=FACET, label=LABEL))


def test_post_training_metrics_need_predicted_labels() -> None:
    with pytest.raises(BiasMetricError, match="Predicted labels are required"):
        b.disparate_impact(BiasInputs(facet=FACET, label=LABEL))


def test_generalized_entropy_is_undefined_when_every_prediction_is_a_false_negative() -> None:
    inputs = BiasInputs(
        facet=np.array([True, False]), label=np.array([True, True]), predicted=np.array([False, False])
    )
    with pytest.raises(BiasMetricError, match="false negatives"):
        b.generalized_entropy(inputs)


def test_flip_test_uses_five_neighbours_when_the_advantaged_group_has_more_than_nine_rows() -> None:
    # a: 10 rows at 0..9, the 3 nearest to 0 predicted positive, the rest negative; d: one row at 0
    facet = np.array([True] + [False] * 10)
    predicted = np.array([False] + [True, True, True] + [False] * 7)
    features = np.array([[0.0]] + [[float(i)] for i in range(10)])
    inputs = BiasInputs(facet=facet, label=predicted, predicted=predicted, features=features)
    # 5 nearest: 0,1,2 positive and 3,4 negative -> majority positive; the model says negative for d
    assert b.flip_test(inputs) == -1.0


def test_flip_test_reports_why_features_are_missing() -> None:
    inputs = BiasInputs(
        facet=FACET,
        label=LABEL,
        predicted=PREDICTED,
        features_problem="FlipTest does not support non-numeric columns (city)",
    )
    with pytest.raises(BiasMetricError, match=r"non-numeric columns \(city\)"):
        b.flip_test(inputs)


def test_disparate_impact_distance_from_balance_is_symmetric_in_ratio() -> None:
    di = b.METRICS_BY_NAME["DI"]
    assert di.distance_from_ideal(0.8) == pytest.approx(di.distance_from_ideal(1.25))
    assert b.METRICS_BY_NAME["DPPL"].distance_from_ideal(-0.3) == pytest.approx(0.3)


def test_all_selects_every_metric_of_a_stage_in_clarify_order() -> None:
    names = [m.name for m in b.metrics_for(b.Stage.POST_TRAINING, "all")]
    assert names == ["AD", "CDDPL", "DAR", "DCA", "DCR", "DI", "DPPL", "DRR", "FT", "GE", "RD", "SD", "TE"]
    assert [m.name for m in b.metrics_for(b.Stage.PRE_TRAINING, "all")] == [
        "CDDL",
        "CI",
        "DPL",
        "JS",
        "KL",
        "KS",
        "LP",
        "TVD",
    ]


def test_an_unknown_metric_name_lists_the_allowed_ones() -> None:
    with pytest.raises(ValueError, match=r"unknown pre_training_bias metric.*DPPL; allowed: CDDL, CI"):
        b.metrics_for(b.Stage.PRE_TRAINING, ["CI", "DPPL"])


def test_lp_accumulates_its_squares_with_one_rounding_per_term_whatever_the_blas_kernel() -> None:
    """The reference dataset's label-distribution difference: Clarify's LP is 0.021634506992825184, what
    ``acc = fma(v, v, acc)`` gives; rounding each product too (a CPU without FMA) gives ...18."""
    difference = np.array([-0.015297906602254496, 0.01529790660225444])
    squares = b._fma_sum_of_squares(difference)
    assert math.sqrt(squares) == 0.021634506992825184
    naive = math.sqrt(float(difference[0] * difference[0] + difference[1] * difference[1]))
    assert naive == 0.02163450699282518  # why a plain sum of squares (or np.linalg.norm on it) is not used
