"""Comparing what two runs (engines, slicings) wrote: exact fields exactly, floats within rounding."""

from __future__ import annotations

import json
import math
from pathlib import Path
from typing import Any

# Sums, means and deviations merged from slices differ from one pass in the last bits only.
REL_TOLERANCE = 1e-9
# Distinct counts above 768 values are CPC estimates (lg_k 12: relative standard error about 1 %): a union of
# sketches and one sketch of the same values may differ within it; three standard errors.
SKETCH_ESTIMATES = {"distinct_count": 0.03, "approximate_num_distinct_values": 0.03}


def differences(first: Any, second: Any, where: str = "") -> list[str]:
    """Where two JSON documents differ: anything but a float must be equal; floats within REL_TOLERANCE.

    A KLL sketch's levels are compared as multisets: merged sketches hold the same items in merge order.
    """
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
