"""Distribution distances between a baseline and a current dataset: small named calculations.

Model Monitor's ``baseline_drift_check`` flags a feature when "the calculated distribution distance between
the current and the baseline datasets is more than the threshold"
(https://docs.aws.amazon.com/sagemaker/latest/dg/model-monitor-interpreting-violations.html). For numbers the
distance is the maximum absolute difference between the two cumulative distribution functions (the
Kolmogorov-Smirnov statistic), for categories the largest difference of category frequencies (L-infinity);
the ``ChiSquared`` categorical method is Pearson's test of homogeneity.

``Robust`` comparison: the constraints documentation describes ``linf_robust`` as ``linf_simple`` for when
there are not enough samples, "based on the two-sample Kolmogorov-Smirnov test", without a formula
(https://docs.aws.amazon.com/sagemaker/latest/dg/model-monitor-byoc-constraints.html). Our reading: a distance
only counts as drift when it also exceeds the two-sample KS critical value at significance ``ROBUST_ALPHA``,
``c(alpha) * sqrt((n + m) / (n * m))`` with ``c(alpha) = sqrt(-ln(alpha / 2) / 2)`` — with large samples that
value is far below the threshold (Robust = Simple), with a few dozen records it rises above it and stops
sampling noise from being reported as drift. For categories the same bound is at least as strict as a
per-category two-proportion test with a Bonferroni correction for up to seven categories.
"""

from __future__ import annotations

import math
from collections.abc import Mapping

import numpy as np

from pipelines.monitoring.data_quality.sketches import WeightedSample

ROBUST_ALPHA = 0.05


def ks_distance(baseline: WeightedSample, current: WeightedSample) -> float:
    """Largest CDF difference, evaluated at every value either sketch retains (where the sup is reached)."""
    if baseline.total == 0 or current.total == 0:
        return 0.0
    grid = np.union1d(baseline.values, current.values)
    return float(np.max(np.abs(baseline.cdf(grid) - current.cdf(grid))))


def linf_distance(
    baseline: Mapping[str, float], baseline_total: float, current: Mapping[str, float], current_total: float
) -> float:
    """Largest difference of category frequencies; a category missing on one side has frequency 0 there."""
    if baseline_total <= 0 or current_total <= 0:
        return 0.0
    categories = set(baseline) | set(current)
    return max(
        (
            abs(baseline.get(c, 0.0) / baseline_total - current.get(c, 0.0) / current_total)
            for c in categories
        ),
        default=0.0,
    )


def ks_critical_value(n: float, m: float, alpha: float = ROBUST_ALPHA) -> float:
    """Two-sample Kolmogorov-Smirnov critical distance for sample sizes ``n`` and ``m`` (asymptotic form)."""
    if n <= 0 or m <= 0:
        return math.inf
    return math.sqrt(-math.log(alpha / 2.0) / 2.0) * math.sqrt((n + m) / (n * m))


def chi_squared_p_value(baseline: Mapping[str, float], current: Mapping[str, float]) -> float:
    """p-value of Pearson's chi-squared test that both category counts come from one distribution."""
    categories = sorted(set(baseline) | set(current))
    table = np.array([[baseline.get(c, 0.0) for c in categories], [current.get(c, 0.0) for c in categories]])
    table = table[:, table.sum(axis=0) > 0]
    if table.shape[1] < 2 or (table.sum(axis=1) == 0).any():
        return 1.0
    expected = np.outer(table.sum(axis=1), table.sum(axis=0)) / table.sum()
    statistic = float(((table - expected) ** 2 / expected).sum())
    return chi_squared_survival(statistic, table.shape[1] - 1)


def chi_squared_survival(x: float, dof: int) -> float:
    """P(X > x) for a chi-squared variable: the regularized upper incomplete gamma Q(dof/2, x/2)."""
    if x <= 0:
        return 1.0
    return _gamma_q(dof / 2.0, x / 2.0)


def _gamma_q(a: float, x: float) -> float:
    # Series for x < a + 1, Lentz's continued fraction otherwise (Numerical Recipes, "gammq").
    log_prefix = -x + a * math.log(x) - math.lgamma(a)
    if x < a + 1.0:
        term = total = 1.0 / a
        denominator = a
        for _ in range(10_000):
            denominator += 1.0
            term *= x / denominator
            total += term
            if abs(term) < abs(total) * 1e-15:
                break
        return max(0.0, 1.0 - total * math.exp(log_prefix))
    tiny = 1e-300
    b = x + 1.0 - a
    c = 1.0 / tiny
    d = 1.0 / b
    h = d
    for i in range(1, 10_000):
        an = -i * (i - a)
        b += 2.0
        d = an * d + b
        d = tiny if abs(d) < tiny else d
        c = b + an / c
        c = tiny if abs(c) < tiny else c
        d = 1.0 / d
        step = d * c
        h *= step
        if abs(step - 1.0) < 1e-15:
            break
    return min(1.0, math.exp(log_prefix) * h)
