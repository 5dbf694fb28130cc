"""Explainability monitor: Clarify's global feature attributions (SHAP), analysis.json and attribution drift.

https://docs.aws.amazon.com/sagemaker/latest/dg/clarify-model-monitor-feature-attribution-drift.html
"""

from pipelines.attributions import aggregate_contributions
from pipelines.monitoring.explainability.attribution import (
    AggregationMethod,
    explanations_document,
    global_attributions,
)
from pipelines.monitoring.explainability.config import ExplainabilityAnalysisConfig, ExplainabilityConfigError
from pipelines.monitoring.explainability.drift import NDCG_THRESHOLD, check_attribution_drift, ndcg
from pipelines.monitoring.explainability.endpoint import EndpointError, EndpointModel
from pipelines.monitoring.explainability.kernel_shap import ShapValues, kernel_shap
from pipelines.monitoring.explainability.model import (
    ProbabilityModel,
    TreeContributionModel,
    XGBoostTreeModel,
)
from pipelines.monitoring.explainability.monitor import (
    ExplainabilityBaseline,
    ExplainabilityResult,
    baseline_config,
    evaluate_explainability,
    explain,
    suggest_explainability_baseline,
)

__all__ = [
    "NDCG_THRESHOLD",
    "AggregationMethod",
    "EndpointError",
    "EndpointModel",
    "ExplainabilityAnalysisConfig",
    "ExplainabilityBaseline",
    "ExplainabilityConfigError",
    "ExplainabilityResult",
    "ProbabilityModel",
    "ShapValues",
    "TreeContributionModel",
    "XGBoostTreeModel",
    "aggregate_contributions",
    "baseline_config",
    "check_attribution_drift",
    "evaluate_explainability",
    "explain",
    "explanations_document",
    "global_attributions",
    "kernel_shap",
    "ndcg",
    "suggest_explainability_baseline",
]
