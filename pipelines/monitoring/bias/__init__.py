"""Bias monitor: Clarify's pre- and post-training bias metrics, analysis.json and bias-drift violations.

https://docs.aws.amazon.com/sagemaker/latest/dg/clarify-model-monitor-bias-drift.html
"""

from pipelines.monitoring.bias.analysis import (
    BiasAnalysis,
    ColumnKinds,
    PredictionColumns,
    bias_analysis,
    kinds_from_analysis,
)
from pipelines.monitoring.bias.config import BiasAnalysisConfig, BiasConfigError, FacetConfig
from pipelines.monitoring.bias.drift import DisparateImpactRule, check_bias_drift
from pipelines.monitoring.bias.metrics import METRICS, BiasInputs, BiasMetric, BiasMetricError, Stage
from pipelines.monitoring.bias.monitor import (
    BiasBaseline,
    BiasResult,
    evaluate_bias,
    merge_analyses,
    suggest_bias_baseline,
)

__all__ = [
    "METRICS",
    "BiasAnalysis",
    "BiasAnalysisConfig",
    "BiasBaseline",
    "BiasConfigError",
    "BiasInputs",
    "BiasMetric",
    "BiasMetricError",
    "BiasResult",
    "ColumnKinds",
    "DisparateImpactRule",
    "FacetConfig",
    "PredictionColumns",
    "Stage",
    "bias_analysis",
    "check_bias_drift",
    "evaluate_bias",
    "kinds_from_analysis",
    "merge_analyses",
    "suggest_bias_baseline",
]
