"""Typed results of monitoring executions, as read from their files.

The loader (``loader.py``) turns Model Monitor's and Clarify's files into these objects; the views
(``views.py``, built per monitor by ``sections/`` with ``calculations.py``) are derived from them; the
renderers (``terminal.py``, ``html.py``) only read those. Nothing here does I/O.

File formats:
- statistics / violations: https://docs.aws.amazon.com/sagemaker/latest/dg/model-monitor-interpreting-statistics.html,
  https://docs.aws.amazon.com/sagemaker/latest/dg/model-monitor-interpreting-violations.html
- model quality: https://docs.aws.amazon.com/sagemaker/latest/dg/model-monitor-model-quality-metrics.html
- Clarify analysis.json: https://docs.aws.amazon.com/sagemaker/latest/dg/clarify-processing-job-analysis-results.html
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum

from pipelines.monitoring.bias.facets import interval_threshold
from pipelines.monitoring.bias.metrics import Stage
from pipelines.monitoring.data_quality.statistics import FeatureSummary
from pipelines.monitoring.model_quality.constraints import ComparisonOperator
from pipelines.monitoring.model_quality.statistics import ProblemType
from pipelines.monitoring.summary import ExecutionStatus
from pipelines.monitors import MONITORS, MonitorType


def monitor_heading(monitor: MonitorType) -> str:
    """How the report titles a monitor (its definition's heading)."""
    return MONITORS[monitor].heading


class Origin(StrEnum):
    """Who wrote an execution's files: our monitors (with ``summary.json``) or SageMaker (without)."""

    OURS = "pipelines.monitoring"
    SAGEMAKER = "SageMaker"


def stage_heading(stage: Stage) -> str:
    """``pre-training`` / ``post-training``."""
    return "pre-training" if stage is Stage.PRE_TRAINING else "post-training"


# -- data quality -------------------------------------------------------------------------------------------
@dataclass(frozen=True, slots=True)
class NumericBucket:
    """One of the (usually 10, equal-width) buckets the analyzer materialises from its KLL sketch."""

    lower: float
    upper: float
    count: float


@dataclass(frozen=True, slots=True)
class FeatureStatistics:
    """One feature of a data-quality ``statistics.json``: what the report shows (moments, the 10 buckets it
    plots, category counts) and, in ``summary``, the data-quality monitor's own reading of the feature (its
    KLL sketch or category counts), from which distances are measured as the monitor measures them."""

    name: str
    inferred_type: str
    num_present: float | None = None
    num_missing: float | None = None
    mean: float | None = None
    std_dev: float | None = None
    minimum: float | None = None
    maximum: float | None = None
    distinct_count: float | None = None
    buckets: tuple[NumericBucket, ...] = ()
    categories: tuple[tuple[str, float], ...] = ()
    # None when the monitor's reader refuses the file (the report then measures from the buckets).
    summary: FeatureSummary | None = None

    @property
    def is_categorical(self) -> bool:
        return bool(self.categories) or (not self.buckets and self.inferred_type == "String")

    @property
    def completeness(self) -> float | None:
        if self.num_present is None or self.num_missing is None or self.num_present + self.num_missing == 0:
            return None
        return self.num_present / (self.num_present + self.num_missing)


@dataclass(frozen=True, slots=True)
class DataQualityStatistics:
    item_count: float | None
    features: tuple[FeatureStatistics, ...]

    def feature(self, name: str) -> FeatureStatistics | None:
        return next((f for f in self.features if f.name == name), None)


# -- model quality ------------------------------------------------------------------------------------------
@dataclass(frozen=True, slots=True)
class MetricValue:
    value: float | None
    standard_deviation: float | None = None


@dataclass(frozen=True, slots=True)
class ModelQualityStatistics:
    problem_type: ProblemType
    metrics: dict[str, MetricValue]
    item_count: float | None = None
    # confusion_matrix[actual][predicted] = count, as Model Monitor writes it.
    confusion_matrix: dict[str, dict[str, float]] | None = None


@dataclass(frozen=True, slots=True)
class MetricConstraint:
    threshold: float
    comparison_operator: ComparisonOperator


@dataclass(frozen=True, slots=True)
class ModelQualityConstraints:
    problem_type: ProblemType
    constraints: dict[str, MetricConstraint]


# -- Clarify ------------------------------------------------------------------------------------------------
@dataclass(frozen=True, slots=True)
class BiasMetric:
    name: str
    description: str
    value: float | None
    # Why Clarify could not compute it (written next to ``"value": null``).
    error: str | None = None


@dataclass(frozen=True, slots=True)
class FacetGroup:
    """The metrics of one facet value (or threshold range) in one stage of a bias analysis."""

    stage: Stage
    facet: str
    value_or_threshold: str
    metrics: tuple[BiasMetric, ...]

    @property
    def key(self) -> tuple[str, str, str]:
        return facet_key(self.stage, self.facet, self.value_or_threshold)

    def metric(self, name: str) -> BiasMetric | None:
        return next((m for m in self.metrics if m.name == name), None)


def facet_key(stage: Stage, facet: str, value_or_threshold: str) -> tuple[str, str, str]:
    """What identifies a facet group across executions and baselines.

    A threshold facet's text ``"(40, 90]"`` carries the column's maximum, which changes with the data, so
    intervals are matched on their threshold, as the bias drift check matches them (``bias.drift``).
    """
    return (stage.value, *facet_value_key(facet, value_or_threshold))


def facet_value_key(facet: str, value_or_threshold: str) -> tuple[str, str]:
    """The stage-free part of ``facet_key`` (bias violations name no stage)."""
    return (facet, interval_threshold(value_or_threshold))


@dataclass(frozen=True, slots=True)
class BiasAnalysis:
    label: str | None
    label_value_or_threshold: str | None
    groups: tuple[FacetGroup, ...]

    def group(self, key: tuple[str, str, str]) -> FacetGroup | None:
        return next((g for g in self.groups if g.key == key), None)


@dataclass(frozen=True, slots=True)
class LabelAttributions:
    """Global SHAP values of one label (``explanations.kernel_shap.<label>``)."""

    method: str
    label: str
    global_shap_values: dict[str, float]
    expected_value: float | None = None


@dataclass(frozen=True, slots=True)
class ExplainabilityAnalysis:
    labels: tuple[LabelAttributions, ...]

    def label(self, method: str, label: str) -> LabelAttributions | None:
        return next((a for a in self.labels if a.method == method and a.label == label), None)


# -- violations and executions ------------------------------------------------------------------------------
@dataclass(frozen=True, slots=True)
class Violation:
    """One entry of ``constraint_violations.json``; which name fields are set depends on the monitor."""

    check_type: str
    description: str
    feature_name: str | None = None
    metric_name: str | None = None
    facet: str | None = None
    facet_value: str | None = None
    label: str | None = None

    @property
    def subject(self) -> str:
        """What the violation is about, in words: a feature, a metric, a facet's metric or a label."""
        if self.facet is not None:
            metric = f"{self.metric_name} " if self.metric_name else ""
            value = f"={self.facet_value}" if self.facet_value is not None else ""
            return f"{metric}{self.facet}{value}"
        if self.label is not None:
            return f"{self.label} ({self.metric_name})" if self.metric_name else self.label
        return self.feature_name or self.metric_name or "-"


@dataclass(frozen=True, slots=True)
class Execution:
    """One execution folder ``{endpoint}/{schedule}/yyyy/mm/dd/hh/`` and what its files say."""

    location: str
    endpoint: str
    schedule: str
    monitor: MonitorType
    origin: Origin
    status: ExecutionStatus
    scheduled_hour: datetime | None
    files: tuple[str, ...]
    violations: tuple[Violation, ...] = ()
    reason: str | None = None
    window: tuple[datetime, datetime] | None = None
    inputs: dict[str, float] = field(default_factory=dict)
    baseline_locations: dict[str, str] = field(default_factory=dict)
    data_quality: DataQualityStatistics | None = None
    model_quality: ModelQualityStatistics | None = None
    bias: BiasAnalysis | None = None
    explainability: ExplainabilityAnalysis | None = None

    @property
    def when(self) -> datetime | None:
        """The execution's hour: its folder's, else the end of the window its summary names."""
        if self.scheduled_hour is not None:
            return self.scheduled_hour
        return self.window[1] if self.window else None


@dataclass(frozen=True, slots=True)
class Baselines:
    """The baseline files that apply to a schedule, parsed, with where each came from."""

    data_quality_statistics: DataQualityStatistics | None = None
    # Features whose distribution comparison the data-quality constraints switch off, with the reason.
    data_quality_comparison_off: dict[str, str] | None = None
    model_quality_constraints: ModelQualityConstraints | None = None
    bias: BiasAnalysis | None = None
    explainability: ExplainabilityAnalysis | None = None
    # Which file each of the fields above was read from (field name -> location).
    sources: dict[str, str] = field(default_factory=dict)

    @property
    def locations(self) -> tuple[str, ...]:
        return tuple(sorted(set(self.sources.values())))


@dataclass(frozen=True, slots=True)
class Problem:
    """A file that could not be used, and why; shown in both renderings, never dropped silently."""

    location: str
    message: str

    def __str__(self) -> str:
        return f"{self.location}: {self.message}"
