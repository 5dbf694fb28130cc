"""Count, sum, mean, population standard deviation, min and max: exact, streaming and mergeable.

The analyzer (Deequ on Spark) computes the mean as ``sum / count`` with Spark's sequential double sum, and the
standard deviation with Spark's ``CentralMomentAgg`` update (Welford: ``delta = x - avg; deltaN = delta / n;
avg += deltaN; m2 += delta * (delta - deltaN)``), merging partial states with Chan's formula
(Deequ ``StandardDeviationState.sum``). We run the very same operations in the same order, so a dataset read
in one pass gives the analyzer's numbers bit for bit (checked on the reference baseline), and partial
profiles (hourly partitions) merge with the same formula Spark uses between partitions.
The Welford update is a plain Python loop (about 0.12 s per million values): the one place where
bit-compatibility costs speed, measured in ``benchmarks/monitor_throughput.py``.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np


@dataclass(slots=True)
class Moments:
    """Running statistics of the numeric values of one feature."""

    count: int = 0
    total: float = 0.0  # Spark's sum, accumulated in arrival order
    avg: float = 0.0  # Welford's running mean (only used for m2; the reported mean is total / count)
    m2: float = 0.0
    minimum: float = math.inf
    maximum: float = -math.inf

    def update(self, values: np.ndarray) -> None:
        """Add ``values`` in their order."""
        if values.size == 0:
            return
        # Sequential sum continuing from the running total: cumsum is a left-to-right accumulation.
        self.total = float(np.cumsum(np.concatenate(([self.total], values)))[-1])
        n, avg, m2 = float(self.count), self.avg, self.m2
        for value in values.tolist():
            n += 1.0
            delta = value - avg
            delta_n = delta / n
            avg += delta_n
            m2 += delta * (delta - delta_n)
        self.count, self.avg, self.m2 = int(n), avg, m2
        self.minimum = min(self.minimum, float(values.min()))
        self.maximum = max(self.maximum, float(values.max()))

    def merge(self, other: Moments) -> None:
        """Combine with the moments of another part of the data (Deequ/Spark's merge formula)."""
        if other.count == 0:
            return
        if self.count == 0:
            self.count, self.total, self.avg, self.m2 = other.count, other.total, other.avg, other.m2
            self.minimum, self.maximum = other.minimum, other.maximum
            return
        n1, n2 = float(self.count), float(other.count)
        new_n = n1 + n2
        delta = other.avg - self.avg
        delta_n = delta / new_n
        self.avg = self.avg + delta_n * n2
        self.m2 = self.m2 + other.m2 + delta * delta_n * n1 * n2
        self.count += other.count
        self.total += other.total
        self.minimum = min(self.minimum, other.minimum)
        self.maximum = max(self.maximum, other.maximum)

    @property
    def mean(self) -> float:
        return self.total / self.count if self.count else math.nan

    @property
    def std_dev(self) -> float:
        """Population standard deviation (``stddev_pop``)."""
        return math.sqrt(self.m2 / self.count) if self.count else math.nan
