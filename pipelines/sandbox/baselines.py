"""The sandbox's baseline factory: real baselines for a model version, made by ``pipelines.monitoring``.

What a ModelBuild pipeline's check steps would register with a package (``DriftCheckBaselines``), in the
formats SageMaker's baselining jobs write, computed from a labelled held-out data set and the model:

    {prefix}/data_quality/statistics.json, constraints.json        ModelDataQuality
    {prefix}/model_quality/statistics.json, constraints.json       ModelQuality
    {prefix}/bias/analysis_config.json                             Bias.ConfigFile
    {prefix}/bias/pre_training_bias/analysis.json                  Bias.PreTrainingConstraints
    {prefix}/bias/post_training_bias/analysis.json                 Bias.PostTrainingConstraints
    {prefix}/explainability/analysis_config.json, analysis.json    Explainability.ConfigFile, .Constraints

Choices:
- Data quality covers the model's input columns (``contract.FEATURE_COLUMNS``): what the data-quality job
  sees in data capture once the record preprocessor has flattened each request.
- The bias facet is a raw attribute, ``Customer Age`` with threshold 24: Clarify compares customers older
  than 24 (the facet, per Clarify's threshold semantics) with customers aged 24 and under, the group the
  data's fraud risk (and so the model) treats differently; ``Device Used`` is the group variable for CDD.
- Model-quality thresholds are the baseline's metrics moved by ``MODEL_QUALITY_SLACK`` (0.05): SageMaker
  suggests the baseline values themselves, which an hour of a few hundred undrifted records misses by
  chance about half of the time.
- Explainability attributions are exact tree SHAP over a seeded sample of ``EXPLAIN_ROWS`` rows (explaining
  every row would add seconds and change the global ranking very little).
- The analysis configs carry a ``predictor`` for SageMaker's Clarify (which calls a shadow endpoint of the
  model): JSON records in, ``[*].probability`` out, in percent; the deploy script sets ``model_name``.
"""

from __future__ import annotations

from typing import Any

import pandas as pd
import polars as pl
from transaction_scoring import contract

from pipelines.errors import UserError
from pipelines.model import FraudModel
from pipelines.monitoring.bias.analysis import PredictionColumns
from pipelines.monitoring.bias.config import BiasAnalysisConfig, FacetConfig
from pipelines.monitoring.bias.monitor import suggest_bias_baseline
from pipelines.monitoring.capture_reader import PREDICTED_LABEL, PREDICTED_PROBABILITY
from pipelines.monitoring.data_quality.monitor import baseline_files
from pipelines.monitoring.data_quality.profile import DatasetProfile
from pipelines.monitoring.explainability.monitor import baseline_config, suggest_explainability_baseline
from pipelines.monitoring.model_quality.monitor import (
    ModelQualityColumns,
    suggest_baseline,
    with_model_predictions,
)
from pipelines.monitoring.model_quality.statistics import ModelQualityConfig
from pipelines.sandbox.world import INSTANCE_TYPE, RegisteredBaselines
from pipelines.storage import Storage, join_location

JSON = "application/json"


class BaselineDataError(UserError):
    """Data the baselines cannot be made from (a feature column or the label missing)."""


BIAS_FACET = FacetConfig(contract.CUSTOMER_AGE, (24,))
BIAS_GROUP_VARIABLE = contract.DEVICE_USED
MODEL_QUALITY_SLACK = 0.05
EXPLAIN_ROWS = 2000
# How SageMaker's Clarify would call the model (https://docs.aws.amazon.com/sagemaker/latest/dg/
# clarify-processing-job-configure-analysis.html, "predictor"): the endpoint contract's JSON.
CLARIFY_PREDICTOR: dict[str, Any] = {
    "model_name": "set-per-stage-by-the-deploy-script",
    "instance_type": INSTANCE_TYPE,
    "initial_instance_count": 1,
    "content_type": contract.CONTENT_TYPE,
    "accept_type": contract.ACCEPT,
    "content_template": "$records",
    "record_template": "$features_kvp",
    "probability": f"[*].{contract.PROBABILITY_FIELD}",
}


def monitoring_baselines(
    data: pd.DataFrame, model: FraudModel, output_prefix: str, storage: Storage, *, seed: int = 0
) -> RegisteredBaselines:
    """The four monitors' baselines for ``model`` from labelled ``data``, written below ``output_prefix``.

    ``data`` holds the raw transaction columns and the label (a held-out set: baselines of the training
    rows themselves would flatter the model).
    """
    columns = [*contract.FEATURE_COLUMNS, contract.LABEL_COLUMN]
    missing = [c for c in columns if c not in data.columns]
    if missing:
        raise BaselineDataError(
            f"the baseline data has no column {', '.join(map(repr, missing))}: "
            "expected the raw feature columns and the label"
        )
    table = pl.from_pandas(data[columns])
    probabilities = model.predict_proba(data)
    scored = with_model_predictions(table, probabilities, threshold=contract.PROBABILITY_THRESHOLD_PCT)

    data_quality = baseline_files(DatasetProfile.of([table.select(contract.FEATURE_COLUMNS)]))
    data_quality_prefix = join_location(output_prefix, "data_quality")
    statistics_uri = storage.write_json(
        join_location(data_quality_prefix, "statistics.json"), data_quality.statistics
    )
    constraints_uri = storage.write_json(
        join_location(data_quality_prefix, "constraints.json"), data_quality.constraints
    )

    quality = suggest_baseline(
        scored,
        ModelQualityColumns(contract.LABEL_COLUMN, PREDICTED_LABEL, PREDICTED_PROBABILITY),
        ModelQualityConfig(),
        slack=MODEL_QUALITY_SLACK,
    )
    quality_statistics_uri, quality_constraints_uri = quality.write(
        storage, join_location(output_prefix, "model_quality")
    )

    bias_config = BiasAnalysisConfig(
        label=contract.LABEL_COLUMN,
        label_values_or_threshold=(1,),
        facets=(BIAS_FACET,),
        headers=tuple(columns),
        group_variable=BIAS_GROUP_VARIABLE,
        probability_threshold=contract.PROBABILITY_THRESHOLD_PCT,
        predictor=CLARIFY_PREDICTOR,
    )
    bias = suggest_bias_baseline(scored, bias_config, PredictionColumns(probability=PREDICTED_PROBABILITY))
    bias_files = bias.write(storage, join_location(output_prefix, "bias"))

    sample = table.select(contract.FEATURE_COLUMNS).sample(n=min(EXPLAIN_ROWS, table.height), seed=seed)
    explain_config = baseline_config(sample, model, seed=seed, predictor=CLARIFY_PREDICTOR)
    explainability = suggest_explainability_baseline(sample, model, explain_config)
    explainability_files = explainability.write(storage, join_location(output_prefix, "explainability"))

    drift_check = {
        "ModelDataQuality": {"Statistics": _source(statistics_uri), "Constraints": _source(constraints_uri)},
        "ModelQuality": {
            "Statistics": _source(quality_statistics_uri),
            "Constraints": _source(quality_constraints_uri),
        },
        "Bias": {name: _source(uri) for name, uri in bias_files.items()},
        "Explainability": {name: _source(uri) for name, uri in explainability_files.items()},
    }
    # ModelMetrics: the reports of the same jobs (https://docs.aws.amazon.com/sagemaker/latest/APIReference/
    # API_ModelMetrics.html); the deploy script falls back to them for data and model quality.
    model_metrics = {
        "ModelDataQuality": drift_check["ModelDataQuality"],
        "ModelQuality": drift_check["ModelQuality"],
        "Bias": {
            "PreTrainingReport": _source(bias_files["PreTrainingConstraints"]),
            "PostTrainingReport": _source(bias_files["PostTrainingConstraints"]),
        },
        "Explainability": {"Report": _source(explainability_files["Constraints"])},
    }
    return RegisteredBaselines(drift_check_baselines=drift_check, model_metrics=model_metrics)


def _source(uri: str) -> dict[str, str]:
    return {"ContentType": JSON, "S3Uri": uri}
