"""The explainability monitor end to end: attributions for a table, Clarify's files, the drift check.

Attributions come from exact tree SHAP when the model offers ``contributions`` (a tree ensemble such as the
sandbox's xgboost ``FraudModel``), otherwise from Kernel SHAP against ``predict_proba`` (any model, or an
endpoint through ``EndpointModel``).

Baseline, as SageMaker writes it and ``DriftCheckBaselines.Explainability`` references it::

    analysis_config.json   ConfigFile   (headers, methods.shap with the background rows)
    analysis.json          Constraints  (global SHAP values of the baseline dataset)

Execution: ``analysis.json`` of the captured records and ``constraint_violations.json`` (nDCG < 0.9).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import numpy.typing as npt
import polars as pl

from pipelines.monitoring.explainability.attribution import (
    AggregationMethod,
    explanations_document,
    global_attributions,
)
from pipelines.monitoring.explainability.config import DEFAULT_NUM_SAMPLES, ExplainabilityAnalysisConfig
from pipelines.monitoring.explainability.drift import (
    NDCG_THRESHOLD,
    attribution_scores,
    check_attribution_drift,
)
from pipelines.monitoring.explainability.kernel_shap import PredictFunction, ShapValues, kernel_shap
from pipelines.monitoring.explainability.model import ProbabilityModel, TreeContributionModel
from pipelines.monitoring.result_files import ANALYSIS, ANALYSIS_CONFIG, write_clarify_results
from pipelines.monitoring.tabular import require_columns
from pipelines.storage import Storage, join_location

DEFAULT_BACKGROUND_ROWS = 10


def _records(table: pl.DataFrame) -> list[dict[str, Any]]:
    return table.to_dicts()


def records_predictor(model: ProbabilityModel) -> PredictFunction:
    """``model.predict_proba`` as a function of a table (what Kernel SHAP calls)."""

    def predict(frame: pl.DataFrame) -> npt.NDArray[np.float64]:
        return np.asarray(model.predict_proba(_records(frame)), dtype=np.float64)

    return predict


def explain(table: pl.DataFrame, model: ProbabilityModel, config: ExplainabilityAnalysisConfig) -> ShapValues:
    """SHAP values of every row of ``table`` for the features in ``config.headers``."""
    require_columns(table, config.headers, where="explainability")
    if isinstance(model, TreeContributionModel):
        names = tuple(model.raw_feature_names)
        require_columns(table, names, where="explainability (the model's input columns)")
        values, expected = model.contributions(_records(table.select(names)))
        if set(config.headers) - set(names):
            missing = ", ".join(sorted(set(config.headers) - set(names)))
            raise ValueError(f"the model attributes no value to configured feature(s) {missing}")
        order = [names.index(h) for h in config.headers]
        return ShapValues(
            np.asarray(values, dtype=np.float64)[:, order], float(expected), tuple(config.headers)
        )
    instances = table.select(config.headers)
    return kernel_shap(
        instances,
        config.background(instances.schema),
        records_predictor(model),
        num_samples=config.num_samples,
        seed=config.seed,
        use_logit=config.use_logit,
    )


def analysis_document(shap: ShapValues, config: ExplainabilityAnalysisConfig) -> dict[str, Any]:
    return explanations_document(
        shap.feature_names, global_attributions(shap.values, config.agg_method), shap.expected_value
    )


@dataclass(frozen=True, slots=True)
class ExplainabilityBaseline:
    config: ExplainabilityAnalysisConfig
    analysis: dict[str, Any]

    def write(self, storage: Storage, output: str) -> dict[str, str]:
        """Write the files; returns where each went, keyed like ``DriftCheckBaselines.Explainability``."""
        return {
            "ConfigFile": storage.write_json(join_location(output, ANALYSIS_CONFIG), self.config.to_json()),
            "Constraints": storage.write_json(join_location(output, ANALYSIS), self.analysis),
        }


def baseline_config(
    table: pl.DataFrame,
    model: ProbabilityModel,
    *,
    features: Sequence[str] | None = None,
    background_rows: int = DEFAULT_BACKGROUND_ROWS,
    num_samples: int = DEFAULT_NUM_SAMPLES,
    agg_method: AggregationMethod = AggregationMethod.MEAN_ABS,
    seed: int = 0,
    predictor: Mapping[str, Any] | None = None,
) -> ExplainabilityAnalysisConfig:
    """An analysis config for ``table``: background rows sampled from it (seeded).

    Clarify summarises the dataset with k-means when no baseline is given; a random sample of real rows is
    used here instead (every value is one the model has seen, categorical columns included). For a tree
    model the attributions are log-odds, so ``use_logit`` is set to say so.
    """
    if features is None:
        features = (
            list(model.raw_feature_names) if isinstance(model, TreeContributionModel) else list(table.columns)
        )
    require_columns(table, features, where="explainability baseline")
    if table.height == 0:
        raise ValueError("the explainability baseline needs at least one row")
    sample = table.select(features).sample(n=min(background_rows, table.height), seed=seed)
    return ExplainabilityAnalysisConfig(
        headers=tuple(features),
        baseline=tuple(tuple(row) for row in sample.iter_rows()),
        num_samples=num_samples,
        agg_method=agg_method,
        use_logit=isinstance(model, TreeContributionModel),
        seed=seed,
        predictor=predictor,
    )


def suggest_explainability_baseline(
    table: pl.DataFrame, model: ProbabilityModel, config: ExplainabilityAnalysisConfig
) -> ExplainabilityBaseline:
    return ExplainabilityBaseline(
        config=config, analysis=analysis_document(explain(table, model, config), config)
    )


@dataclass(frozen=True, slots=True)
class ExplainabilityResult:
    analysis: dict[str, Any]
    violations: list[dict[str, str]]
    scores: dict[str, float]
    records: int

    def write(self, storage: Storage, output: str) -> list[str]:
        return write_clarify_results(storage, output, self.analysis, self.violations)


def typed_like_background(table: pl.DataFrame, config: ExplainabilityAnalysisConfig) -> pl.DataFrame:
    """Text columns (CSV records, captured or from a dataset, read as the analyzer reads CSV) as numbers
    where the config's background rows hold numbers, so the model gets the types it was baselined with."""
    background = config.background()
    casts = [
        pl.col(name).cast(background.schema[name], strict=False)
        for name in config.headers
        if name in table.columns and table.schema[name] == pl.String and background.schema[name].is_numeric()
    ]
    return table.with_columns(casts) if casts else table


def evaluate_explainability(
    table: pl.DataFrame,
    model: ProbabilityModel,
    config: ExplainabilityAnalysisConfig,
    baseline_constraints: Mapping[str, Any] | None,
    *,
    threshold: float = NDCG_THRESHOLD,
    max_records: int | None = None,
) -> ExplainabilityResult:
    """One execution: attributions of the captured records (optionally a seeded sample), nDCG vs baseline."""
    if max_records is not None and table.height > max_records:
        table = table.sample(n=max_records, seed=config.seed)
    table = typed_like_background(table, config)
    analysis = analysis_document(explain(table, model, config), config)
    if baseline_constraints is None:
        return ExplainabilityResult(analysis, [], {}, table.height)
    scores = attribution_scores(analysis, baseline_constraints)
    violations = check_attribution_drift(analysis, baseline_constraints, threshold=threshold)
    return ExplainabilityResult(analysis, violations, scores, table.height)
