"""CloudWatch metrics of a monitoring execution, with SageMaker Model Monitor's names and dimensions.

Model Monitor publishes each monitor's results to CloudWatch; dashboards and alarms built on them keep
working when the metric names and dimensions are the same. The names and dimensions follow AWS's docs:

- data quality (only when the baseline constraints' ``monitoring_config.emit_metrics`` is ``Enabled``, as for
  Model Monitor): ``feature_data_{f}`` (SampleCount, Sum, Minimum, Maximum of a numeric feature),
  ``feature_null_{f}``, ``feature_non_null_{f}``, ``feature_completeness_{f}``,
  ``feature_estimated_unique_values_{f}`` and ``feature_baseline_drift_{f}``
  (https://docs.aws.amazon.com/sagemaker/latest/dg/model-monitor-interpreting-cloudwatch.html; the SDK's
  data-quality dashboard queries the same names);
- model quality: the statistics' metric names (``accuracy``, ``f1``, ``auc``, ...;
  https://docs.aws.amazon.com/sagemaker/latest/dg/model-monitor-model-quality-metrics.html);
- bias drift: ``bias_metric_{name}`` with ``BiasStage``, ``Label``, ``LabelValue``, ``Facet``, ``FacetValue``;
  infinity as +/-2.348543e108 (https://docs.aws.amazon.com/sagemaker/latest/dg/clarify-model-monitor-bias-drift-cw.html);
- feature attribution drift: ``feature_{f}`` (global SHAP value) and ``expected_value``, with
  ``ExplainabilityMethod``, ``Label`` and ``ValueType`` (GlobalShapValues / ExpectedValue;
  https://docs.aws.amazon.com/sagemaker/latest/dg/clarify-feature-attribute-drift-cw.html).

Every metric has the ``Endpoint`` and ``MonitoringSchedule`` dimensions. Namespaces: Model Monitor's are
``aws/sagemaker/Endpoints/{kind}``; a custom publisher must not use a namespace beginning with ``AWS/``
(PutMetricData, https://docs.aws.amazon.com/AmazonCloudWatch/latest/APIReference/API_PutMetricData.html) and
should not write into an AWS service's, so ours are ``{prefix}/Endpoints/{kind}`` with the same kinds
(``MetricsNamespacePrefix``, default ``PortableModelMonitor``). Ours also publishes, under
``{prefix}/Endpoints/executions``: ``executions`` (1 per execution), ``failed_executions`` and
``constraint_violations``, which the template's alarms watch. Every datapoint is timestamped with the
execution's scheduled time, so a backfill lands where the schedule would have put it.
"""

from __future__ import annotations

import math
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from typing import TYPE_CHECKING, Literal

from pipelines.monitoring.report.calculations import feature_distance
from pipelines.monitoring.report.results import (
    Baselines,
    Execution,
    ExecutionStatus,
    FeatureStatistics,
)
from pipelines.monitors import MonitorType

if TYPE_CHECKING:
    from mypy_boto3_cloudwatch import CloudWatchClient
    from mypy_boto3_cloudwatch.type_defs import MetricDatumTypeDef

DEFAULT_NAMESPACE_PREFIX = "PortableModelMonitor"
# Clarify publishes +/- infinity as this number (CloudWatch takes no infinity).
CLARIFY_INFINITY = 2.348543e108
# PutMetricData takes up to 1000 metrics per request (and 1 MB); half that keeps every request well inside.
BATCH_SIZE = 500
_STAGE_NAMES = {"pre_training_bias": "Pre-training", "post_training_bias": "Post-training"}
_METHOD_NAMES = {"kernel_shap": "KernelShap", "tree_shap": "TreeShap"}


class MetricKind(StrEnum):
    """The last part of each namespace (Model Monitor's ``aws/sagemaker/Endpoints/{kind}``, plus ours)."""

    DATA = "data-metrics"
    MODEL = "model-metrics"
    BIAS = "bias-metrics"
    EXPLAINABILITY = "explainability-metrics"
    EXECUTIONS = "executions"


_KIND_OF_MONITOR = {
    MonitorType.DATA_QUALITY: MetricKind.DATA,
    MonitorType.MODEL_QUALITY: MetricKind.MODEL,
    MonitorType.MODEL_BIAS: MetricKind.BIAS,
    MonitorType.MODEL_EXPLAINABILITY: MetricKind.EXPLAINABILITY,
}


def namespace(prefix: str, kind: MetricKind) -> str:
    return f"{prefix}/Endpoints/{kind.value}"


@dataclass(frozen=True, slots=True)
class Metric:
    """One datum of a PutMetricData request (``value`` or ``statistics``, not both)."""

    kind: MetricKind
    name: str
    dimensions: tuple[tuple[str, str], ...]
    timestamp: datetime
    value: float | None = None
    statistics: tuple[float, float, float, float] | None = None  # SampleCount, Sum, Minimum, Maximum
    unit: Literal["None", "Count"] = "None"

    def datum(self) -> MetricDatumTypeDef:
        """The ``MetricData`` entry of PutMetricData."""
        entry: MetricDatumTypeDef = {
            "MetricName": self.name,
            "Dimensions": [{"Name": name, "Value": value} for name, value in self.dimensions],
            "Timestamp": self.timestamp,
            "Unit": self.unit,
        }
        if self.statistics is not None:
            count, total, minimum, maximum = self.statistics
            entry["StatisticValues"] = {
                "SampleCount": count,
                "Sum": total,
                "Minimum": minimum,
                "Maximum": maximum,
            }
        else:
            assert self.value is not None
            entry["Value"] = self.value
        return entry


def execution_metrics(
    execution: Execution, baselines: Baselines, scheduled: datetime, *, emit_data_metrics: bool = True
) -> list[Metric]:
    """Every metric of one execution (see the module docstring)."""
    base = (("Endpoint", execution.endpoint), ("MonitoringSchedule", execution.schedule))
    metrics = list(_execution_counts(execution, base, scheduled))
    kind = _KIND_OF_MONITOR[execution.monitor]
    if execution.monitor is MonitorType.DATA_QUALITY and emit_data_metrics and execution.data_quality:
        baseline = baselines.data_quality_statistics
        for feature in execution.data_quality.features:
            reference = baseline.feature(feature.name) if baseline else None
            metrics += [
                Metric(kind, name, base, scheduled, value, statistics)
                for name, value, statistics in _feature_values(feature, reference)
            ]
    elif execution.monitor is MonitorType.MODEL_QUALITY and execution.model_quality:
        metrics += [
            Metric(kind, name, base, scheduled, metric.value)
            for name, metric in sorted(execution.model_quality.metrics.items())
            if _finite(metric.value)
        ]
    elif execution.monitor is MonitorType.MODEL_BIAS and execution.bias:
        analysis = execution.bias
        for group in analysis.groups:
            dimensions = (
                *base,
                ("BiasStage", _STAGE_NAMES.get(group.stage.value, group.stage.value)),
                ("Label", analysis.label or ""),
                ("LabelValue", analysis.label_value_or_threshold or ""),
                ("Facet", group.facet),
                ("FacetValue", group.value_or_threshold),
            )
            metrics += [
                Metric(
                    kind, f"bias_metric_{metric.name}", dimensions, scheduled, _clarify_number(metric.value)
                )
                for metric in group.metrics
                if metric.value is not None and not math.isnan(metric.value)
            ]
    elif execution.monitor is MonitorType.MODEL_EXPLAINABILITY and execution.explainability:
        for label in execution.explainability.labels:
            method = _METHOD_NAMES.get(label.method, label.method)
            shap = (*base, ("ExplainabilityMethod", method), ("Label", label.label))
            metrics += [
                Metric(kind, f"feature_{name}", (*shap, ("ValueType", "GlobalShapValues")), scheduled, value)
                for name, value in sorted(label.global_shap_values.items())
                if _finite(value)
            ]
            if _finite(label.expected_value):
                metrics.append(
                    Metric(
                        kind,
                        "expected_value",
                        (*shap, ("ValueType", "ExpectedValue")),
                        scheduled,
                        label.expected_value,
                    )
                )
    return metrics


def _execution_counts(
    execution: Execution, base: tuple[tuple[str, str], ...], scheduled: datetime
) -> Iterator[Metric]:
    failed = execution.status in (ExecutionStatus.FAILED, ExecutionStatus.SKIPPED)
    yield Metric(MetricKind.EXECUTIONS, "executions", base, scheduled, 1.0, unit="Count")
    yield Metric(MetricKind.EXECUTIONS, "failed_executions", base, scheduled, float(failed), unit="Count")
    yield Metric(
        MetricKind.EXECUTIONS,
        "constraint_violations",
        base,
        scheduled,
        float(len(execution.violations)),
        unit="Count",
    )


def _feature_values(
    feature: FeatureStatistics, baseline: FeatureStatistics | None
) -> Iterator[tuple[str, float | None, tuple[float, float, float, float] | None]]:
    name = feature.name
    present, missing = feature.num_present, feature.num_missing
    if (
        present
        and feature.mean is not None
        and feature.minimum is not None
        and feature.maximum is not None
        and not feature.is_categorical
    ):
        yield (
            f"feature_data_{name}",
            None,
            (present, feature.mean * present, feature.minimum, feature.maximum),
        )
    if missing is not None:
        yield f"feature_null_{name}", missing, None
    if present is not None:
        yield f"feature_non_null_{name}", present, None
    if _finite(feature.completeness):
        yield f"feature_completeness_{name}", feature.completeness, None
    if _finite(feature.distinct_count):
        yield f"feature_estimated_unique_values_{name}", feature.distinct_count, None
    distance = feature_distance(baseline, feature)
    if _finite(distance):
        yield f"feature_baseline_drift_{name}", distance, None


def _finite(value: float | None) -> bool:
    return value is not None and math.isfinite(value)


def _clarify_number(value: float) -> float:
    if math.isinf(value):
        return CLARIFY_INFINITY if value > 0 else -CLARIFY_INFINITY
    return value


def publish(cloudwatch: CloudWatchClient, prefix: str, metrics: Sequence[Metric]) -> int:
    """PutMetricData for ``metrics``, one namespace at a time in batches; returns the number published."""
    published = 0
    for kind in MetricKind:
        data = [m.datum() for m in metrics if m.kind is kind]
        for start in range(0, len(data), BATCH_SIZE):
            cloudwatch.put_metric_data(
                Namespace=namespace(prefix, kind), MetricData=data[start : start + BATCH_SIZE]
            )
        published += len(data)
    return published
