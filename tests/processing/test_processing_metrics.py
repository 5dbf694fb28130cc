"""The job's CloudWatch metrics: Model Monitor's names and dimensions, from parsed result files."""

from __future__ import annotations

import math
from datetime import UTC, datetime

import boto3
import pytest
from moto import mock_aws

from pipelines.monitoring.bias.metrics import Stage
from pipelines.monitoring.model_quality.statistics import ProblemType
from pipelines.monitoring.report.results import (
    Baselines,
    BiasAnalysis,
    BiasMetric,
    DataQualityStatistics,
    Execution,
    ExecutionStatus,
    ExplainabilityAnalysis,
    FacetGroup,
    FeatureStatistics,
    LabelAttributions,
    MetricValue,
    ModelQualityStatistics,
    NumericBucket,
    Origin,
    Violation,
)
from pipelines.monitors import MonitorType
from pipelines.processing.metrics import CLARIFY_INFINITY, MetricKind, execution_metrics, namespace, publish

WHEN = datetime(2026, 7, 29, 14, tzinfo=UTC)
BASE = (("Endpoint", "fraud-prod"), ("MonitoringSchedule", "fraud-prod-DataQuality"))


def execution(monitor: MonitorType, **fields) -> Execution:
    return Execution(
        location="s3://bucket-a/x",
        endpoint="fraud-prod",
        schedule=f"fraud-prod-{monitor}",
        monitor=monitor,
        origin=Origin.OURS,
        status=fields.pop("status", ExecutionStatus.COMPLETED),
        scheduled_hour=WHEN,
        files=(),
        **fields,
    )


def amount(buckets: tuple[float, ...], present: float = 100, missing: float = 0) -> FeatureStatistics:
    return FeatureStatistics(
        name="Transaction Amount",
        inferred_type="Fractional",
        num_present=present,
        num_missing=missing,
        mean=50.0,
        minimum=1.0,
        maximum=99.0,
        distinct_count=80,
        buckets=tuple(NumericBucket(10 * i, 10 * (i + 1), c) for i, c in enumerate(buckets)),
    )


def by_name(metrics):
    return {m.name: m for m in metrics}


def test_every_execution_counts_itself_and_its_violations() -> None:
    metrics = by_name(
        execution_metrics(
            execution(MonitorType.DATA_QUALITY, violations=(Violation("baseline_drift_check", "d"),)),
            Baselines(),
            WHEN,
        )
    )
    assert {n: (m.kind, m.value) for n, m in metrics.items() if m.kind is MetricKind.EXECUTIONS} == {
        "executions": (MetricKind.EXECUTIONS, 1.0),
        "failed_executions": (MetricKind.EXECUTIONS, 0.0),
        "constraint_violations": (MetricKind.EXECUTIONS, 1.0),
    }
    assert metrics["executions"].dimensions == BASE
    assert metrics["executions"].timestamp == WHEN


def test_data_quality_publishes_the_feature_metrics_and_the_drift_from_the_baseline() -> None:
    current = DataQualityStatistics(
        item_count=110, features=(amount((0, 0, 10, 90), present=100, missing=10),)
    )
    baseline = DataQualityStatistics(item_count=100, features=(amount((25, 25, 25, 25)),))
    metrics = by_name(
        execution_metrics(
            execution(MonitorType.DATA_QUALITY, data_quality=current),
            Baselines(data_quality_statistics=baseline),
            WHEN,
        )
    )
    assert metrics["feature_data_Transaction Amount"].statistics == (100, 5000.0, 1.0, 99.0)
    assert metrics["feature_null_Transaction Amount"].value == 10
    assert metrics["feature_non_null_Transaction Amount"].value == 100
    assert metrics["feature_completeness_Transaction Amount"].value == pytest.approx(100 / 110)
    assert metrics["feature_estimated_unique_values_Transaction Amount"].value == 80
    assert metrics["feature_baseline_drift_Transaction Amount"].value > 0.5
    assert metrics["feature_baseline_drift_Transaction Amount"].kind is MetricKind.DATA


def test_data_quality_feature_metrics_follow_the_constraints_emit_metrics() -> None:
    current = DataQualityStatistics(item_count=100, features=(amount((25, 25, 25, 25)),))
    metrics = execution_metrics(
        execution(MonitorType.DATA_QUALITY, data_quality=current), Baselines(), WHEN, emit_data_metrics=False
    )
    assert {m.kind for m in metrics} == {MetricKind.EXECUTIONS}


def test_model_quality_publishes_each_statistic_by_its_name() -> None:
    statistics = ModelQualityStatistics(
        ProblemType.BINARY,
        {"f1": MetricValue(0.62), "auc": MetricValue(0.91), "recall": MetricValue(math.nan)},
    )
    metrics = by_name(
        execution_metrics(execution(MonitorType.MODEL_QUALITY, model_quality=statistics), Baselines(), WHEN)
    )
    assert (metrics["f1"].value, metrics["auc"].value, metrics["f1"].kind) == (0.62, 0.91, MetricKind.MODEL)
    assert "recall" not in metrics  # NaN is not a CloudWatch value


def test_bias_metrics_carry_clarifys_dimensions_and_infinity_as_its_number() -> None:
    group = FacetGroup(
        Stage.POST_TRAINING,
        "Customer Age",
        "(40, 90]",
        (BiasMetric("DPPL", "d", 0.12), BiasMetric("DI", "d", math.inf), BiasMetric("RD", "d", None)),
    )
    analysis = BiasAnalysis(label="Is Fraudulent", label_value_or_threshold="1", groups=(group,))
    metrics = by_name(execution_metrics(execution(MonitorType.MODEL_BIAS, bias=analysis), Baselines(), WHEN))
    assert dict(metrics["bias_metric_DPPL"].dimensions) == {
        "Endpoint": "fraud-prod",
        "MonitoringSchedule": "fraud-prod-ModelBias",
        "BiasStage": "Post-training",
        "Label": "Is Fraudulent",
        "LabelValue": "1",
        "Facet": "Customer Age",
        "FacetValue": "(40, 90]",
    }
    assert metrics["bias_metric_DI"].value == CLARIFY_INFINITY
    assert "bias_metric_RD" not in metrics


def test_explainability_publishes_global_shap_values_and_the_expected_value() -> None:
    analysis = ExplainabilityAnalysis(
        (
            LabelAttributions(
                "kernel_shap", "label0", {"Customer Age": 0.3, "Quantity": 0.1}, expected_value=0.05
            ),
        )
    )
    metrics = by_name(
        execution_metrics(
            execution(MonitorType.MODEL_EXPLAINABILITY, explainability=analysis), Baselines(), WHEN
        )
    )
    assert metrics["feature_Customer Age"].value == 0.3
    assert dict(metrics["feature_Customer Age"].dimensions)["ValueType"] == "GlobalShapValues"
    assert dict(metrics["expected_value"].dimensions) == {
        "Endpoint": "fraud-prod",
        "MonitoringSchedule": "fraud-prod-ModelExplainability",
        "ExplainabilityMethod": "KernelShap",
        "Label": "label0",
        "ValueType": "ExpectedValue",
    }


@mock_aws
def test_publishing_puts_each_kind_under_its_namespace_in_batches() -> None:
    cloudwatch = boto3.client("cloudwatch", region_name="us-east-1")
    statistics = ModelQualityStatistics(
        ProblemType.BINARY, {f"m{i}": MetricValue(i / 1000) for i in range(600)}
    )
    metrics = execution_metrics(
        execution(MonitorType.MODEL_QUALITY, model_quality=statistics), Baselines(), WHEN
    )
    assert publish(cloudwatch, "PortableModelMonitor", metrics) == 603
    listed = cloudwatch.get_paginator("list_metrics").paginate(
        Namespace=namespace("PortableModelMonitor", MetricKind.MODEL)
    )
    assert sum(len(page["Metrics"]) for page in listed) == 600
    executions = cloudwatch.list_metrics(Namespace="PortableModelMonitor/Endpoints/executions")["Metrics"]
    assert {m["MetricName"] for m in executions} == {
        "executions",
        "failed_executions",
        "constraint_violations",
    }
