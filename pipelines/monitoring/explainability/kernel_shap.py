"""Kernel SHAP against any predict function: a weighted linear regression over feature coalitions.

Lundberg & Lee (2017), "A Unified Approach to Interpreting Model Predictions", Theorem 2; the method
SageMaker Clarify uses for tabular explanations
(https://docs.aws.amazon.com/sagemaker/latest/dg/clarify-shapley-values.html).

For an instance ``x`` and a background set ``B`` (Clarify's SHAP ``baseline``), the value of a coalition
``z`` (the features taken from ``x``) is ``v(z) = mean over b in B of f(x_z, b_rest)``. The SHAP values
``phi`` minimise ``sum_z w(z) (v(z) - v(0) - z . phi)^2`` subject to ``sum(phi) = f(x) - v(0)``, with the
Shapley kernel ``w(z) = (M - 1) / (C(M, |z|) |z| (M - |z|))``. When every coalition is evaluated
(``num_samples >= 2^M - 2``) the solution is the exact Shapley value; otherwise coalitions are chosen like
the reference implementation (``shap.KernelExplainer``): whole coalition sizes are enumerated while the
budget allows, smallest and largest first, and the rest is sampled by size in proportion to the kernel,
each sample paired with its complement.

``v(0)`` is the expected value Clarify reports: the mean prediction over the background. With
``use_logit`` predictions are mapped to log-odds first (Clarify's ``use_logit``).
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt
import polars as pl

PredictFunction = Callable[[pl.DataFrame], npt.NDArray[np.float64]]
FloatArray = npt.NDArray[np.float64]

LOGIT_CLIP = 1e-12


@dataclass(frozen=True, slots=True)
class ShapValues:
    values: FloatArray  # (instances, features)
    expected_value: float
    feature_names: tuple[str, ...]


def shapley_kernel_weight(m: int, size: int) -> float:
    """Total kernel weight of one coalition of ``size`` features out of ``m``."""
    return (m - 1) / (math.comb(m, size) * size * (m - size))


def _size_mass(m: int) -> FloatArray:
    """Normalised kernel mass of each coalition size 1..m-1 (all coalitions of that size together)."""
    sizes = np.arange(1, m)
    mass = (m - 1) / (sizes * (m - sizes))
    return mass / mass.sum()


def coalitions(
    m: int, num_samples: int, rng: np.random.Generator
) -> tuple[npt.NDArray[np.bool_], FloatArray]:
    """Coalitions (rows of a boolean matrix, True = feature from the instance) and their weights."""
    if m < 2:
        raise ValueError("coalitions need at least two features")
    total = 2**m - 2 if m < 63 else math.inf
    if num_samples >= total:
        rows = [c for size in range(1, m) for c in itertools.combinations(range(m), size)]
        matrix = np.zeros((len(rows), m), dtype=bool)
        for i, members in enumerate(rows):
            matrix[i, list(members)] = True
        sizes = matrix.sum(axis=1)
        return matrix, np.array([shapley_kernel_weight(m, int(s)) for s in sizes])

    mass = _size_mass(m)  # index s-1
    chosen: list[npt.NDArray[np.bool_]] = []
    weights: list[float] = []
    budget = num_samples
    remaining = np.ones(m - 1, dtype=bool)
    for size in range(1, (m - 1) // 2 + 2):
        complement = m - size
        if size > complement:
            break
        paired = size != complement
        count = math.comb(m, size) * (2 if paired else 1)
        share = mass[size - 1] + (mass[complement - 1] if paired else 0.0)
        if budget * share / mass[remaining].sum() < count - 1e-8:
            break
        for members in itertools.combinations(range(m), size):
            row = np.zeros(m, dtype=bool)
            row[list(members)] = True
            chosen.append(row)
            weights.append(mass[size - 1] / math.comb(m, size))
            if paired:
                chosen.append(~row)
                weights.append(mass[complement - 1] / math.comb(m, complement))
        budget -= count
        remaining[size - 1] = remaining[complement - 1] = False
    if remaining.any() and budget >= 2:
        left_sizes = np.flatnonzero(remaining) + 1
        left_mass = mass[remaining]
        pairs = budget // 2
        drawn = rng.choice(left_sizes, size=pairs, p=left_mass / left_mass.sum())
        per_sample = left_mass.sum() / (2 * pairs)
        for size in drawn:
            row = np.zeros(m, dtype=bool)
            row[rng.choice(m, size=int(size), replace=False)] = True
            chosen.extend((row, ~row))
            weights.extend((per_sample, per_sample))
    return np.array(chosen, dtype=bool), np.array(weights, dtype=np.float64)


def _composites(
    instances: pl.DataFrame, background: pl.DataFrame, mask: npt.NDArray[np.bool_]
) -> pl.DataFrame:
    """For every instance, coalition and background row: the instance's values where the mask is True."""
    n_instances, n_coalitions, n_background = instances.height, mask.shape[0], background.height
    columns = {}
    for j, name in enumerate(instances.columns):
        x = instances.get_column(name).to_numpy()
        b = background.get_column(name).to_numpy()
        if x.dtype.kind != b.dtype.kind:
            x, b = x.astype(object), b.astype(object)
        take_x = mask[None, :, j, None]  # (1, coalitions, 1)
        values = np.where(take_x, x[:, None, None], b[None, None, :])
        columns[name] = pl.Series(name, values.reshape(n_instances * n_coalitions * n_background))
    return pl.DataFrame(columns).cast(instances.schema, strict=False)


def _transform(predictions: FloatArray, use_logit: bool) -> FloatArray:
    if not use_logit:
        return predictions
    clipped = np.clip(predictions, LOGIT_CLIP, 1 - LOGIT_CLIP)
    return np.log(clipped / (1 - clipped))


def kernel_shap(
    instances: pl.DataFrame,
    background: pl.DataFrame,
    predict: PredictFunction,
    *,
    num_samples: int,
    seed: int = 0,
    use_logit: bool = False,
    max_rows_per_call: int = 100_000,
) -> ShapValues:
    """SHAP values of each row of ``instances`` (same columns as ``background``) for ``predict``."""
    if list(instances.columns) != list(background.columns):
        raise ValueError("instances and background need the same columns in the same order")
    if background.height == 0:
        raise ValueError("the SHAP baseline (background) needs at least one row")
    m = instances.width
    names = tuple(instances.columns)

    def values_of(frame: pl.DataFrame) -> FloatArray:
        return _transform(np.asarray(predict(frame), dtype=np.float64).reshape(-1), use_logit)

    expected = float(values_of(background).mean())
    if instances.height == 0:
        return ShapValues(np.zeros((0, m)), expected, names)
    full = values_of(instances)
    if m == 1:
        return ShapValues((full - expected)[:, None], expected, names)

    mask, weights = coalitions(m, num_samples, np.random.default_rng(seed))
    rows_per_instance = mask.shape[0] * background.height
    chunk = max(1, max_rows_per_call // rows_per_instance)
    coalition_values = np.empty((instances.height, mask.shape[0]))
    for start in range(0, instances.height, chunk):
        part = instances.slice(start, chunk)
        predicted = values_of(_composites(part, background, mask))
        coalition_values[start : start + part.height] = predicted.reshape(
            part.height, mask.shape[0], background.height
        ).mean(axis=2)

    # Eliminate the last feature with the efficiency constraint, then weighted least squares for all rows.
    delta = full - expected  # (instances,)
    z = mask.astype(np.float64)
    design = z[:, :-1] - z[:, -1:]
    targets = (coalition_values - expected).T - np.outer(z[:, -1], delta)  # (coalitions, instances)
    root_w = np.sqrt(weights)[:, None]
    solution, *_ = np.linalg.lstsq(design * root_w, targets * root_w, rcond=None)
    phi = np.empty((instances.height, m))
    phi[:, :-1] = solution.T
    phi[:, -1] = delta - solution.sum(axis=0)
    return ShapValues(phi, expected, names)
