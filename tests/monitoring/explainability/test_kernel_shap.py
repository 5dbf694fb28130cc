"""Kernel SHAP against exact Shapley values: brute force on a nonlinear model, closed form on a linear one."""

from __future__ import annotations

import itertools
import math

import numpy as np
import polars as pl
import pytest

from pipelines.monitoring.explainability.kernel_shap import coalitions, kernel_shap, shapley_kernel_weight


def _frame(rng: np.random.Generator, rows: int, features: int) -> pl.DataFrame:
    return pl.DataFrame({f"x{j}": rng.normal(size=rows) for j in range(features)})


def _nonlinear(frame: pl.DataFrame) -> np.ndarray:
    x = frame.to_numpy()
    return x[:, 0] * x[:, 1] + np.sin(x[:, 2]) + x[:, 3] ** 2 + x[:, 0] * x[:, 3]


def _exact_shapley(instance: np.ndarray, background: pl.DataFrame, predict) -> np.ndarray:
    """The Shapley formula over every coalition, with absent features taken from each background row."""
    m = instance.size

    def value(members: tuple[int, ...]) -> float:
        rows = background.to_numpy().copy()
        rows[:, list(members)] = instance[list(members)]
        return float(predict(pl.DataFrame(rows, schema=background.columns, orient="row")).mean())

    phi = np.zeros(m)
    for i in range(m):
        others = [j for j in range(m) if j != i]
        for size in range(m):
            for members in itertools.combinations(others, size):
                weight = math.factorial(size) * math.factorial(m - size - 1) / math.factorial(m)
                phi[i] += weight * (value((*members, i)) - value(members))
    return phi


def test_with_every_coalition_kernel_shap_equals_the_exact_shapley_values() -> None:
    rng = np.random.default_rng(1)
    background, instances = _frame(rng, 3, 4), _frame(rng, 5, 4)
    result = kernel_shap(instances, background, _nonlinear, num_samples=2**4 - 2)
    exact = np.array([_exact_shapley(x, background, _nonlinear) for x in instances.to_numpy()])
    np.testing.assert_allclose(result.values, exact, atol=1e-12)


def test_a_linear_model_gets_its_closed_form_even_from_sampled_coalitions() -> None:
    rng = np.random.default_rng(2)
    weights = rng.normal(size=12)
    background, instances = _frame(rng, 4, 12), _frame(rng, 6, 12)
    result = kernel_shap(instances, background, lambda f: f.to_numpy() @ weights + 0.3, num_samples=60)
    expected = weights * (instances.to_numpy() - background.to_numpy().mean(axis=0))
    np.testing.assert_allclose(result.values, expected, atol=1e-12)


def test_values_add_up_to_the_prediction_minus_the_expected_value() -> None:
    rng = np.random.default_rng(3)
    background, instances = _frame(rng, 5, 7), _frame(rng, 8, 7)
    result = kernel_shap(instances, background, _nonlinear_7, num_samples=40, seed=4)
    np.testing.assert_allclose(
        result.values.sum(axis=1), _nonlinear_7(instances) - result.expected_value, atol=1e-10
    )
    assert result.expected_value == pytest.approx(_nonlinear_7(background).mean())


def _nonlinear_7(frame: pl.DataFrame) -> np.ndarray:
    x = frame.to_numpy()
    return np.tanh(x[:, 0] * x[:, 1]) + x[:, 2] * x[:, 3] * x[:, 4] + x[:, 5] - np.abs(x[:, 6])


def _nonlinear_10(frame: pl.DataFrame) -> np.ndarray:
    x = frame.to_numpy()
    return _nonlinear_7(frame.select(frame.columns[:7])) + 0.5 * x[:, 7] * x[:, 8] + x[:, 9]


def test_sampled_coalitions_converge_to_the_exact_values() -> None:
    rng = np.random.default_rng(5)
    background, instances = _frame(rng, 4, 10), _frame(rng, 5, 10)
    exact = kernel_shap(instances, background, _nonlinear_10, num_samples=2**10).values

    def mean_error(num_samples: int) -> float:
        runs = [
            kernel_shap(instances, background, _nonlinear_10, num_samples=num_samples, seed=s)
            for s in range(3)
        ]
        return float(np.mean([np.abs(r.values - exact).mean() for r in runs]))

    coarse, fine = mean_error(100), mean_error(600)
    assert fine < coarse / 2
    assert fine < 0.05 * np.abs(exact).mean()


def test_the_same_seed_gives_the_same_values() -> None:
    rng = np.random.default_rng(6)
    background, instances = _frame(rng, 3, 9), _frame(rng, 4, 9)
    first = kernel_shap(instances, background, _nonlinear_7_padded, num_samples=50, seed=7)
    second = kernel_shap(instances, background, _nonlinear_7_padded, num_samples=50, seed=7)
    np.testing.assert_array_equal(first.values, second.values)


def _nonlinear_7_padded(frame: pl.DataFrame) -> np.ndarray:
    return _nonlinear_7(frame.select(frame.columns[:7]))


def test_text_features_are_swapped_like_numbers() -> None:
    instances = pl.DataFrame({"device": ["mobile", "desktop"], "amount": [10.0, 200.0]})
    background = pl.DataFrame({"device": ["desktop"], "amount": [50.0]})

    def predict(frame: pl.DataFrame) -> np.ndarray:
        return (frame["device"] == "mobile").cast(float).to_numpy() * 2.0 + frame["amount"].to_numpy() / 100

    result = kernel_shap(instances, background, predict, num_samples=10)
    np.testing.assert_allclose(result.values, [[2.0, -0.4], [0.0, 1.5]], atol=1e-12)


def test_use_logit_explains_the_log_odds() -> None:
    instances, background = pl.DataFrame({"a": [2.0], "b": [1.0]}), pl.DataFrame({"a": [0.0], "b": [0.0]})

    def probability(frame: pl.DataFrame) -> np.ndarray:
        x = frame.to_numpy()
        return 1 / (1 + np.exp(-(x[:, 0] - 3 * x[:, 1])))

    result = kernel_shap(instances, background, probability, num_samples=10, use_logit=True)
    np.testing.assert_allclose(result.values, [[2.0, -3.0]], atol=1e-9)
    assert result.expected_value == pytest.approx(0.0, abs=1e-12)


def test_enumerated_coalitions_carry_the_shapley_kernel_weight() -> None:
    mask, weights = coalitions(4, 100, np.random.default_rng(0))
    assert mask.shape == (14, 4)
    sizes = mask.sum(axis=1)
    np.testing.assert_allclose(weights, [shapley_kernel_weight(4, int(s)) for s in sizes])


def test_sampled_coalitions_come_with_their_complements() -> None:
    mask, _ = coalitions(20, 200, np.random.default_rng(0))
    rows = {tuple(r) for r in mask.tolist()}
    assert all(tuple((~np.array(r)).tolist()) in rows for r in rows)
    assert len(mask) <= 200


def test_a_single_feature_gets_the_whole_difference() -> None:
    result = kernel_shap(
        pl.DataFrame({"a": [3.0]}),
        pl.DataFrame({"a": [1.0]}),
        lambda f: f["a"].to_numpy() ** 2,
        num_samples=10,
    )
    assert result.values.tolist() == [[8.0]]


def test_instances_and_background_must_have_the_same_columns() -> None:
    with pytest.raises(ValueError, match="same columns"):
        kernel_shap(
            pl.DataFrame({"a": [1.0]}),
            pl.DataFrame({"b": [1.0]}),
            lambda f: f.to_numpy()[:, 0],
            num_samples=10,
        )
