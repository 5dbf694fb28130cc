"""Model-quality metrics: the analyzer's reference values and the documented examples, bit for bit."""

from __future__ import annotations

import json

import numpy as np
import pytest
from paths import SAGEMAKER_REFERENCE

from pipelines.monitoring.model_quality import (
    LabelledPredictions,
    ModelQualityConfig,
    ModelQualityInputError,
    ProblemType,
    model_quality_statistics,
)
from pipelines.monitoring.model_quality import metrics as m
from pipelines.monitoring.tabular import read_csv_table
from pipelines.storage import Storage

REFERENCE = SAGEMAKER_REFERENCE / "sagemaker-sdk-quality-check" / "model_quality"
BINARY = ModelQualityConfig(problem_type=ProblemType.BINARY, probability_threshold=None)


def _reference_regression() -> tuple[np.ndarray, np.ndarray]:
    table = read_csv_table(Storage(), str(REFERENCE / "baseline_dataset.csv"))
    return table["Label"].cast(float).to_numpy(), table["Prediction"].to_numpy()


def _section(data: LabelledPredictions, config: ModelQualityConfig) -> dict:
    statistics = model_quality_statistics(data, config)
    return statistics[config.problem_type.metrics_key]


def test_regression_metrics_equal_the_analyzer_reference_exactly() -> None:
    actual, predicted = _reference_regression()
    reference = json.loads((REFERENCE / "statistics.json").read_text())
    config = ModelQualityConfig(problem_type=ProblemType.REGRESSION)
    statistics = model_quality_statistics(LabelledPredictions(actual, predicted), config)
    assert statistics["dataset"] == reference["dataset"]
    for name in ("mae", "mse", "rmse", "r2"):
        assert (
            statistics["regression_metrics"][name]["value"] == reference["regression_metrics"][name]["value"]
        )


def test_analyzer_r2_centres_the_total_sum_of_squares_on_the_predictions() -> None:
    actual, predicted = _reference_regression()
    textbook = 1 - np.sum((actual - predicted) ** 2) / np.sum((actual - actual.mean()) ** 2)
    assert m.analyzer_r2(actual, predicted) == -3.208758170289026
    assert textbook == pytest.approx(-0.3351313969508194)


def test_sums_run_left_to_right_like_the_analyzer() -> None:
    values = np.array([1e16, 1.0, -1e16, 1.0])
    assert m.sequential_sum(values) == ((1e16 + 1.0) - 1e16) + 1.0


def test_binary_metrics_reproduce_the_documented_example() -> None:
    # model-monitor-model-quality-metrics.html: TP=1, FP=2, TN=1, FN=0
    data = LabelledPredictions(
        ground_truth=np.array(["1", "0", "0", "0"]), predicted_label=np.array([1, 1, 1, 0])
    )
    section = _section(data, BINARY)
    documented = {
        "recall": 1.0,
        "precision": 0.3333333333333333,
        "accuracy": 0.5,
        "recall_best_constant_classifier": 1.0,
        "precision_best_constant_classifier": 0.25,
        "accuracy_best_constant_classifier": 0.25,
        "true_positive_rate": 1.0,
        "true_negative_rate": 0.33333333333333337,
        "false_positive_rate": 0.6666666666666666,
        "false_negative_rate": 0.0,
        "f0_5": 0.3846153846153846,
        "f1": 0.5,
        "f2": 0.7142857142857143,
        "f0_5_best_constant_classifier": 0.29411764705882354,
        "f1_best_constant_classifier": 0.4,
        "f2_best_constant_classifier": 0.625,
    }
    assert {name: section[name]["value"] for name in documented} == documented
    assert section["confusion_matrix"] == {"0": {"0": 1, "1": 2}, "1": {"0": 0, "1": 1}}


def test_multiclass_metrics_reproduce_the_documented_example() -> None:
    actual = ["0"] * 1690 + ["1"] * 406
    predicted = ["0"] * 1180 + ["1"] * 510 + ["0"] * 268 + ["1"] * 138
    config = ModelQualityConfig(problem_type=ProblemType.MULTICLASS)
    section = _section(LabelledPredictions(np.array(actual), np.array(predicted)), config)
    documented = {
        "accuracy": 0.6288167938931297,
        "weighted_recall": 0.6288167938931297,
        "weighted_precision": 0.6983172269629505,
        "weighted_f0_5": 0.6803947317178771,
        "weighted_f1": 0.6571162346664904,
        "weighted_f2": 0.6384024354394601,
        "accuracy_best_constant_classifier": 0.19370229007633588,
        "weighted_recall_best_constant_classifier": 0.19370229007633588,
        "weighted_precision_best_constant_classifier": 0.03752057718081697,
        "weighted_f0_5_best_constant_classifier": 0.04473443104152011,
        "weighted_f1_best_constant_classifier": 0.06286421244683643,
        "weighted_f2_best_constant_classifier": 0.10570313141262414,
    }
    assert {name: section[name]["value"] for name in documented} == documented
    assert section["confusion_matrix"] == {"0": {"0": 1180, "1": 510}, "1": {"0": 268, "1": 138}}


def test_auc_is_the_chance_a_positive_outranks_a_negative_with_ties_counting_half() -> None:
    rng = np.random.default_rng(3)
    score = rng.integers(0, 20, 300).astype(float)  # many ties
    actual = rng.random(300) < 0.3
    positives, negatives = score[actual], score[~actual]
    pairs = (positives[:, None] > negatives[None, :]).sum() + 0.5 * (
        positives[:, None] == negatives[None, :]
    ).sum()
    expected = pairs / (positives.size * negatives.size)
    assert m.area_under_roc(m.threshold_counts(score, actual)) == pytest.approx(expected, abs=1e-12)


def test_roc_curve_is_framed_by_the_origin_and_the_corner() -> None:
    fpr, tpr = m.roc_curve(m.threshold_counts([0.9, 0.8, 0.3, 0.1], np.array([True, False, True, False])))
    assert (fpr[0], tpr[0]) == (0.0, 0.0)
    assert (fpr[-1], tpr[-1]) == (1.0, 1.0)
    assert fpr.tolist() == [0.0, 0.0, 0.5, 0.5, 1.0, 1.0]
    assert tpr.tolist() == [0.0, 0.5, 0.5, 1.0, 1.0, 1.0]


def test_precision_recall_curve_starts_at_zero_recall_with_the_first_precision() -> None:
    recalls, precisions = m.precision_recall_curve(
        m.threshold_counts([0.9, 0.8, 0.3, 0.1], np.array([True, False, True, False]))
    )
    assert recalls.tolist() == [0.0, 0.5, 0.5, 1.0, 1.0]
    assert precisions.tolist() == [1.0, 1.0, 0.5, 2 / 3, 0.5]


def test_area_under_precision_recall_of_a_perfect_ranking_is_one() -> None:
    counts = m.threshold_counts([0.9, 0.8, 0.2, 0.1], np.array([True, True, False, False]))
    assert m.area_under_precision_recall(counts) == 1.0
    assert m.area_under_roc(counts) == 1.0


def test_curves_in_the_file_are_thinned_but_the_areas_use_every_point() -> None:
    rng = np.random.default_rng(0)
    probability = rng.random(5000) * 100
    actual = rng.random(5000) < probability / 100
    data = LabelledPredictions(np.where(actual, "1", "0"), probability=probability)
    config = ModelQualityConfig(max_curve_points=50, std_repeats=0)
    section = _section(data, config)
    assert len(section["receiver_operating_characteristic_curve"]["false_positive_rates"]) == 50
    full = m.area_under_roc(m.threshold_counts(probability, actual))
    assert section["auc"]["value"] == full


def test_probability_at_the_threshold_counts_as_positive() -> None:
    data = LabelledPredictions(np.array(["1", "0"]), probability=np.array([50.0, 49.999]))
    section = _section(data, ModelQualityConfig(probability_threshold=50.0))
    assert section["confusion_matrix"] == {"0": {"0": 1, "1": 0}, "1": {"0": 0, "1": 1}}


def test_probability_threshold_overrides_the_captured_label() -> None:
    data = LabelledPredictions(
        np.array(["1", "0"]), predicted_label=np.array([0, 1]), probability=np.array([90.0, 10.0])
    )
    assert _section(data, ModelQualityConfig(probability_threshold=50.0))["accuracy"]["value"] == 1.0
    assert _section(data, BINARY)["accuracy"]["value"] == 0.0


def test_percent_probabilities_with_a_fraction_threshold_are_rejected() -> None:
    data = LabelledPredictions(np.array(["1", "0"]), probability=np.array([73.2, 4.0]))
    with pytest.raises(ModelQualityInputError, match=r"threshold 0.5 is on the 0..1 scale.*73.2"):
        model_quality_statistics(data, ModelQualityConfig(probability_threshold=0.5))


def test_labels_written_as_numbers_or_text_are_the_same_class() -> None:
    data = LabelledPredictions(
        np.array(["1", 1.0, True, "0"], dtype=object), predicted_label=np.array([1, 1, 1, 0])
    )
    assert _section(data, BINARY)["accuracy"]["value"] == 1.0


def test_standard_deviation_is_nan_below_200_records() -> None:
    data = LabelledPredictions(np.array(["1", "0"] * 99), predicted_label=np.array([1, 1] * 99))
    section = _section(data, BINARY)
    assert np.isnan(section["accuracy"]["standard_deviation"])


def test_standard_deviation_comes_from_repeated_samples_from_200_records_and_is_reproducible() -> None:
    rng = np.random.default_rng(1)
    actual = rng.random(400) < 0.5
    predicted = np.where(rng.random(400) < 0.8, actual, ~actual)
    data = LabelledPredictions(np.where(actual, "1", "0"), predicted_label=predicted.astype(int))
    first, second = _section(data, BINARY), _section(data, BINARY)
    deviation = first["accuracy"]["standard_deviation"]
    assert 0.0 < deviation < 0.05
    assert deviation == second["accuracy"]["standard_deviation"]


def test_a_zero_denominator_gives_zero() -> None:
    counts = m.ConfusionCounts(tp=0, fp=0, tn=5, fn=0)
    assert m.precision(counts) == 0.0
    assert m.recall(counts) == 0.0
    assert m.f_beta(0.0, 0.0, 1.0) == 0.0


def test_no_matched_records_is_a_user_error() -> None:
    with pytest.raises(
        ModelQualityInputError, match="no records with both a prediction and a ground-truth label"
    ):
        model_quality_statistics(LabelledPredictions(np.array([])), BINARY)


def test_regression_names_the_record_whose_label_is_not_a_number() -> None:
    data = LabelledPredictions(np.array(["1.5", "n/a"], dtype=object), predicted_label=np.array([1.0, 2.0]))
    with pytest.raises(ModelQualityInputError, match=r"ground truth of record 1 is 'n/a'"):
        model_quality_statistics(data, ModelQualityConfig(problem_type=ProblemType.REGRESSION))


def test_unknown_problem_type_lists_the_allowed_ones() -> None:
    with pytest.raises(
        ModelQualityInputError, match="BinaryClassification, MulticlassClassification, Regression"
    ):
        ProblemType.parse("Ranking")
