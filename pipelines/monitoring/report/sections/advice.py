"""One line per monitor: what the latest execution's finding means and what to check next.

A violation says that something moved, not why; the next step differs by monitor. The lines follow the
usual order of causes for a monitored model: an upstream data change before a real shift in the world, late
or partial labels before a worse model, noise before bias (issue 14). Numbers and names stay in the
sections; these lines name the flags that tune each monitor.
"""

from __future__ import annotations

from pipelines.monitoring.report.results import ExecutionStatus, MonitorType
from pipelines.monitoring.report.views import SeriesSection

# Clarify's drift rule on a small group: the caveat the sandbox's summary prints, in every bias section.
BIAS_NOISE_CAVEAT = (
    "Bias drift applies Clarify's rule as written: any metric farther from balance than in the baseline is a "
    "violation, however small the move. On an hour of traffic a facet's group holds few records (and fewer "
    "positives), so some metrics cross it in any hour, drifted or not: read the size of each change and "
    "whether it persists over executions before acting; run --bias-tolerance sets how far is too far."
)

_FINDINGS = {
    MonitorType.DATA_QUALITY: (
        "The inputs the endpoint receives no longer look like the baseline data for the features listed "
        "first below. Check next: an upstream data change (a new source, a unit, encoding or default-value "
        "change, a broken join) in those features; if the change is real and lasting, retrain on recent "
        "data and baseline again; a feature that varies by design (the hour of day) needs its comparison "
        "switched off (baseline --no-drift-check) or its threshold tuned in constraints.json."
    ),
    MonitorType.MODEL_QUALITY: (
        "On the labelled records the model does worse than the baseline's thresholds. Check next: label "
        "delay and coverage (how many records had a label: labels that arrive late or only for some cases "
        "give a skewed sample; move the window back with --start-offset/--end-offset), then data-quality "
        "drift in the same traffic; if it persists over executions, retrain; thresholds suggested on the "
        "training data are too tight: baseline on held-out data, or widen them with "
        "baseline --model-quality-slack."
    ),
    MonitorType.MODEL_BIAS: (
        "A bias metric of a facet is farther from balance than at baseline. Check next: how large the "
        "change is and how many records of the facet's group the window held (see the caveat below), then "
        "whether it persists; a lasting shift calls for a fairness review and retraining, a noisy one for "
        "run --bias-tolerance."
    ),
    MonitorType.MODEL_EXPLAINABILITY: (
        "The features rank differently by attribution than at baseline (nDCG below the threshold): the "
        "model now relies on other inputs. Check next: data-quality drift in the top-ranked features of "
        "both rankings; if it persists, retrain and baseline again."
    ),
}
_CLEAN = {
    MonitorType.DATA_QUALITY: "No violation: the inputs match the baseline within its constraints.",
    MonitorType.MODEL_QUALITY: "No violation: the model scores within the baseline's thresholds.",
    MonitorType.MODEL_BIAS: "No violation: no bias metric moved farther from balance than at baseline.",
    MonitorType.MODEL_EXPLAINABILITY: "No violation: the features rank by attribution as at baseline.",
}


def advice_for(section: SeriesSection) -> str | None:
    """The line for ``section``'s latest execution (None for a monitor this module does not know)."""
    series = section.series
    latest = series.latest
    if latest.status is ExecutionStatus.FAILED:
        return (
            "The latest execution failed, so nothing was checked: fix what its reason names (no capture in "
            "the window, no labels yet, a baseline that cannot be read) and run it again."
        )
    if latest.status is ExecutionStatus.SKIPPED:
        return "The latest execution was skipped: give the inputs its reason names to run this monitor."
    if latest.violations:
        return _FINDINGS.get(series.monitor)
    return _CLEAN.get(series.monitor)
