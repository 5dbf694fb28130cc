"""Model-quality monitor: Model Monitor's metrics, constraints and violations for matched predictions.

https://docs.aws.amazon.com/sagemaker/latest/dg/model-monitor-model-quality.html
"""

from pipelines.monitoring.model_quality.constraints import (
    ComparisonOperator,
    ConstraintsError,
    check_constraints,
    suggest_constraints,
)
from pipelines.monitoring.model_quality.monitor import (
    ModelQualityBaseline,
    ModelQualityColumns,
    ModelQualityResult,
    evaluate,
    labelled_predictions,
    suggest_baseline,
    with_model_predictions,
)
from pipelines.monitoring.model_quality.statistics import (
    LabelledPredictions,
    ModelQualityConfig,
    ModelQualityInputError,
    ProblemType,
    model_quality_statistics,
)

__all__ = [
    "ComparisonOperator",
    "ConstraintsError",
    "LabelledPredictions",
    "ModelQualityBaseline",
    "ModelQualityColumns",
    "ModelQualityConfig",
    "ModelQualityInputError",
    "ModelQualityResult",
    "ProblemType",
    "check_constraints",
    "evaluate",
    "labelled_predictions",
    "model_quality_statistics",
    "suggest_baseline",
    "suggest_constraints",
    "with_model_predictions",
]
