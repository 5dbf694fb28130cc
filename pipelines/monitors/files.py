"""The names of the files Model Monitor's and Clarify's jobs read and write, defined once.

Baselining jobs write ``statistics.json`` and ``constraints.json`` (Model Monitor) or
``analysis_config.json`` and ``analysis.json`` (Clarify); a monitoring execution writes ``statistics.json``
or ``analysis.json`` and ``constraint_violations.json`` to its folder, and ours add ``summary.json``
(``pipelines.monitoring.summary``):
https://docs.aws.amazon.com/sagemaker/latest/dg/model-monitor-interpreting-results.html
"""

from __future__ import annotations

STATISTICS = "statistics.json"
CONSTRAINTS = "constraints.json"
VIOLATIONS = "constraint_violations.json"
ANALYSIS = "analysis.json"
ANALYSIS_CONFIG = "analysis_config.json"
SUMMARY = "summary.json"  # ours, next to Model Monitor's files (``pipelines.monitoring.summary``)
# The baseline command's DriftCheckBaselines document (``CreateModelPackage``'s shape), next to its folders.
DRIFT_CHECK_BASELINES_FILE = "drift_check_baselines.json"
