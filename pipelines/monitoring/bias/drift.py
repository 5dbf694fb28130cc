"""Clarify's bias-drift check: is each bias metric worse now than in the baseline?

https://docs.aws.amazon.com/sagemaker/latest/dg/clarify-model-monitor-bias-drift-violations.html : the
baseline constraints are the baseline job's analysis.json; "if the value of a bias metric in the job
analysis results file (analysis.json) is worse than its corresponding value in the baseline constraints
file, a violation is logged" -- e.g. baseline DPPL 0.2: current 0.1 passes (closer to 0), current -0.3
violates (farther from 0). So a metric violates when its distance from the balanced value exceeds the
baseline's: ``|value - 0| > |baseline - 0|``. The page does not treat DI (a ratio, balanced at 1) apart;
we measure its distance as ``|log DI|`` so that 0.8 and 1.25 are equally far from balance.

Facet groups are matched by facet name and ``value_or_threshold``; a continuous facet's text carries the
column maximum (``"(40, 90]"``), which changes with the data, so intervals are matched on their threshold.
Metrics without a value (undefined for the baseline or for the current data) are not compared.

Taken literally the rule flags about half of the metrics of an unchanged model on every execution (a
sample's metric is as likely to land farther from balance as closer). ``tolerance`` (default 0, the
documented rule) lets a metric be that much farther from balance than the baseline before it violates.
Violations use the page's schema and wording::

    {"facet", "facet_value", "metric_name", "constraint_check_type": "bias_drift_check",
     "description": "Value 0.0751544567666083 does not meet the constraint requirement"}
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import Any

from pipelines.monitoring.bias.facets import interval_threshold
from pipelines.monitoring.bias.metrics import METRICS_BY_NAME, Stage

CHECK_TYPE = "bias_drift_check"


def metric_number(value: Any) -> float | None:
    """A metric value from analysis.json as a float ("Infinity" included); None when it has none."""
    if isinstance(value, bool) or value is None:
        return None
    if isinstance(value, int | float):
        return float(value)
    if isinstance(value, str) and value in ("Infinity", "-Infinity", "NaN"):
        number = float(value.replace("Infinity", "inf"))
        return None if math.isnan(number) else number
    return None


def _baseline_values(section: Mapping[str, Any]) -> dict[tuple[str, str], dict[str, float]]:
    values: dict[tuple[str, str], dict[str, float]] = {}
    for facet, entries in (section.get("facets") or {}).items():
        for entry in entries or []:
            key = (facet, interval_threshold(str(entry.get("value_or_threshold", ""))))
            numbers = {m.get("name"): metric_number(m.get("value")) for m in entry.get("metrics", [])}
            values[key] = {name: number for name, number in numbers.items() if number is not None}
    return values


def check_bias_drift(
    current: Mapping[str, Any], baseline: Mapping[str, Any], *, tolerance: float = 0.0
) -> list[dict[str, str]]:
    """Violations of the baseline by the current analysis, for every stage both documents have."""
    violations: list[dict[str, str]] = []
    for stage in Stage:
        current_section, baseline_section = current.get(stage.analysis_key), baseline.get(stage.analysis_key)
        if not isinstance(current_section, dict) or not isinstance(baseline_section, dict):
            continue
        baseline_values = _baseline_values(baseline_section)
        for facet, entries in (current_section.get("facets") or {}).items():
            for entry in entries or []:
                facet_value = interval_threshold(str(entry.get("value_or_threshold", "")))
                reference = baseline_values.get((facet, facet_value))
                if reference is None:
                    continue
                for metric_entry in entry.get("metrics", []):
                    name = metric_entry.get("name")
                    metric = METRICS_BY_NAME.get(name)
                    value = metric_number(metric_entry.get("value"))
                    if metric is None or value is None or name not in reference:
                        continue
                    allowed = metric.distance_from_ideal(reference[name]) + tolerance
                    if metric.distance_from_ideal(value) > allowed:
                        violations.append(
                            {
                                "facet": facet,
                                "facet_value": facet_value,
                                "metric_name": name,
                                "constraint_check_type": CHECK_TYPE,
                                "description": f"Value {value} does not meet the constraint requirement",
                            }
                        )
    return violations
