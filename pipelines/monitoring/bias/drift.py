"""Clarify's bias-drift check: is each bias metric worse now than in the baseline?

https://docs.aws.amazon.com/sagemaker/latest/dg/clarify-model-monitor-bias-drift-violations.html : the
baseline constraints are the baseline job's analysis.json; "if the value of a bias metric in the job
analysis results file (analysis.json) is worse than its corresponding value in the baseline constraints
file, a violation is logged" -- e.g. baseline DPPL 0.2: current 0.1 passes (closer to 0), current -0.3
violates (farther from 0).

The service applies that rule to every metric, Disparate Impact included: a metric violates when
``|value| > |baseline|``. A real execution shows it (amazon-sagemaker-examples,
``deploy_and_monitor/sm-clarify_model_bias_monitor_batch_transform_json``, facet ``Sex`` value ``0``; issue
12): DI went from 0.178 to 0.083 -- closer to 0, farther from its balanced value 1 -- and was *not*
reported, while CDDPL, DAR, DCA, DCR (from 0.028 to -0.077: the other side of 0), GE, RD, SD and TE
(``Infinity``) were, each farther from 0 than its baseline value. Clarify's drift comparison is not part of
the open-source ``smclarify`` package (it only computes the metrics), so that execution is the evidence.

``DisparateImpactRule.LOG_RATIO`` reads DI as a ratio instead: its distance from balance is ``|log DI|``,
so 0.8 and 1.25 are equally unbalanced and DI falling from 0.178 to 0.083 is a violation. It is our
option, not the service's; the other metrics keep the documented rule under both settings.

Facet groups are matched by facet name and ``value_or_threshold``; a continuous facet's text carries the
column maximum (``"(40, 90]"``), which changes with the data, so intervals are matched on their threshold.
Metrics without a value (undefined for the baseline or for the current data) are not compared.

Taken literally the rule flags about half of the metrics of an unchanged model on every execution (a
sample's metric is as likely to land farther from balance as closer). ``tolerance`` (default 0, the
documented rule) lets a metric be that much farther from balance than the baseline before it violates.
Violations use the page's schema and the wording of the real execution's ``constraint_violations.json``
(the current value, then the baseline's, as Python prints them; infinite values as ``Infinity``)::

    {"facet", "facet_value", "metric_name", "constraint_check_type": "bias_drift_check",
     "description": "Metric value 0.374894782529513 doesn't meet the baseline constraint requirement
                     0.28176563733194276"}
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from enum import StrEnum
from typing import Any

from pipelines.monitoring.bias.facets import interval_threshold
from pipelines.monitoring.bias.metrics import METRICS_BY_NAME, BiasMetric, Stage

CHECK_TYPE = "bias_drift_check"


class DisparateImpactRule(StrEnum):
    """How Disparate Impact's distance from balance is measured by the drift check."""

    DISTANCE_FROM_ZERO = "distance-from-zero"  # |DI|, like every other metric: the service's behaviour
    LOG_RATIO = "log-ratio"  # |log DI|: DI as a ratio, balanced at 1 (our option)


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


def clarify_number_text(value: float) -> str:
    """A metric value as Clarify's violation descriptions print it: Python's shortest repr, ``Infinity``."""
    if math.isinf(value):
        return "Infinity" if value > 0 else "-Infinity"
    return repr(value)


def distance_from_balance(metric: BiasMetric, value: float, di_rule: DisparateImpactRule) -> float:
    """What the drift check compares: ``|value|``, or ``|log DI|`` for DI under ``LOG_RATIO``."""
    if di_rule is DisparateImpactRule.LOG_RATIO:
        return metric.distance_from_ideal(value)
    return abs(value)


def violation_description(value: float, baseline: float) -> str:
    return (
        f"Metric value {clarify_number_text(value)} doesn't meet the baseline constraint requirement "
        f"{clarify_number_text(baseline)}"
    )


def _baseline_values(section: Mapping[str, Any]) -> dict[tuple[str, str], dict[str, float]]:
    values: dict[tuple[str, str], dict[str, float]] = {}
    for facet, entries in (section.get("facets") or {}).items():
        for entry in entries or []:
            key = (facet, interval_threshold(str(entry.get("value_or_threshold", ""))))
            numbers = {m.get("name"): metric_number(m.get("value")) for m in entry.get("metrics", [])}
            values[key] = {name: number for name, number in numbers.items() if number is not None}
    return values


def check_bias_drift(
    current: Mapping[str, Any],
    baseline: Mapping[str, Any],
    *,
    tolerance: float = 0.0,
    di_rule: DisparateImpactRule = DisparateImpactRule.DISTANCE_FROM_ZERO,
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
                    allowed = distance_from_balance(metric, reference[name], di_rule) + tolerance
                    if distance_from_balance(metric, value, di_rule) > allowed:
                        violations.append(
                            {
                                "facet": facet,
                                "facet_value": facet_value,
                                "metric_name": name,
                                "constraint_check_type": CHECK_TYPE,
                                "description": violation_description(value, reference[name]),
                            }
                        )
    return violations
