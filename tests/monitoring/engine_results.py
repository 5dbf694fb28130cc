"""Comparing what two runs (engines, slicings) wrote: exact fields exactly, floats within rounding."""

from __future__ import annotations

import json
import math
from pathlib import Path
from typing import Any

from datasketches import kll_doubles_sketch

from pipelines.monitoring.data_quality.sketches import KLL_K, kll_from_levels

# Sums, means and deviations merged from slices differ from one pass in the last bits only.
REL_TOLERANCE = 1e-9
# Distinct counts above 768 values are CPC estimates (lg_k 12: relative standard error about 1 %): a union of
# sketches and one sketch of the same values may differ within it; three standard errors.
SKETCH_ESTIMATES = {"distinct_count": 0.03, "approximate_num_distinct_values": 0.03}
# A KLL sketch past k values compacts with a random bit (DataSketches does not seed it): two sketches of the
# same values, one pass or merged slices, each sit within the normalized rank error (99 % confidence) of the
# true ranks, so within twice that of each other.
KLL_RANK_TOLERANCE = 2 * kll_doubles_sketch.get_normalized_rank_error(KLL_K, False)


def differences(first: Any, second: Any, where: str = "") -> list[str]:
    """Where two JSON documents differ: anything but a float must be equal; floats within REL_TOLERANCE.

    A KLL sketch's levels are compared as multisets: merged sketches hold the same items in merge order.
    A ``kll`` block that still differs is compared as a distribution (``kll_differences``).
    """
    if where.endswith(".kll") and isinstance(first, dict) and isinstance(second, dict):
        exact = [
            line
            for key in sorted(set(first) | set(second))
            for line in differences(first.get(key), second.get(key), f"{where}.{key}")
        ]
        return exact if not exact else kll_differences(first, second, where)
    if where.endswith(".sketch.data") and isinstance(first, list) and isinstance(second, list):
        first, second = [sorted(level) for level in first], [sorted(level) for level in second]
    if isinstance(first, dict) and isinstance(second, dict):
        if list(first) != list(second):
            return [f"{where}: keys {list(first)} != {list(second)}"]
        return [line for key in first for line in differences(first[key], second[key], f"{where}.{key}")]
    if isinstance(first, list) and isinstance(second, list):
        if len(first) != len(second):
            return [f"{where}: {len(first)} items != {len(second)}"]
        return [
            line
            for i, (a, b) in enumerate(zip(first, second, strict=True))
            for line in differences(a, b, f"{where}[{i}]")
        ]
    if isinstance(first, float) and isinstance(second, float):
        tolerance = SKETCH_ESTIMATES.get(where.rsplit(".", 1)[-1], REL_TOLERANCE)
        if math.isnan(first) and math.isnan(second):
            return []
        if math.isclose(first, second, rel_tol=tolerance, abs_tol=1e-12):
            return []
    elif first == second and type(first) is type(second):
        return []
    return [f"{where}: {first!r} != {second!r}"]


def kll_differences(first: dict[str, Any], second: dict[str, Any], where: str) -> list[str]:
    """Two ``kll`` blocks of the same values: same bucket bounds and total count, each bucket's cumulative
    count and each sketch's rank of every retained item within ``KLL_RANK_TOLERANCE`` of the other's."""
    bounds = [[(b["lower_bound"], b["upper_bound"]) for b in block["buckets"]] for block in (first, second)]
    if bounds[0] != bounds[1]:
        return [f"{where}.buckets: bounds {bounds[0]} != {bounds[1]}"]
    counts = [[b["count"] for b in block["buckets"]] for block in (first, second)]
    total = sum(counts[0])
    if not math.isclose(total, sum(counts[1])):
        return [f"{where}.buckets: {total} values != {sum(counts[1])}"]
    problems = []
    cumulative = [0.0, 0.0]
    for i, (a, b) in enumerate(zip(counts[0], counts[1], strict=True)):
        cumulative = [cumulative[0] + a, cumulative[1] + b]
        if abs(cumulative[0] - cumulative[1]) > KLL_RANK_TOLERANCE * total:
            problems.append(f"{where}.buckets[{i}]: cumulative count {cumulative[0]} != {cumulative[1]}")
    low, high = bounds[0][0][0], bounds[0][-1][1]
    sketches = [kll_from_levels(block["sketch"]["data"], low, high) for block in (first, second)]
    items = sorted({v for block in (first, second) for level in block["sketch"]["data"] for v in level})
    for item in items:
        ranks = [sketch.get_rank(item) for sketch in sketches]
        if abs(ranks[0] - ranks[1]) > KLL_RANK_TOLERANCE:
            problems.append(f"{where}.sketch: rank of {item} {ranks[0]} != {ranks[1]}")
            break
    return problems


def result_files(output: Path) -> dict[str, Any]:
    """Every JSON file below ``output`` but summary.json, by relative path."""
    return {
        str(path.relative_to(output)): json.loads(path.read_text())
        for path in sorted(output.rglob("*.json"))
        if path.name != "summary.json"
    }


def summaries(output: Path) -> dict[str, Any]:
    """Each summary.json's status, inputs and violations (not its time or folders)."""
    found = {}
    for path in sorted(output.rglob("summary.json")):
        summary = json.loads(path.read_text())
        found[path.parent.parent.parent.parent.parent.name] = {
            key: summary.get(key) for key in ("status", "inputs", "violations", "files")
        }
    return found
