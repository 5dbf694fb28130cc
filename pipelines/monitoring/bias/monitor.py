"""The bias monitor end to end: Clarify's baselining jobs and its bias-drift monitoring executions.

Baseline (from a labelled dataset and the model's predictions on it), as SageMaker writes it and a model
package's ``DriftCheckBaselines.Bias`` references it::

    analysis_config.json                 ConfigFile
    pre_training_bias/analysis.json      PreTrainingConstraints (Clarify data-bias job output)
    post_training_bias/analysis.json     PostTrainingConstraints (Clarify model-bias job output)

Execution (captured records merged with ground truth): ``analysis.json`` (the configured stages, normally
post-training only, like Model Monitor's bias-drift job) and ``constraint_violations.json``.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import polars as pl

from pipelines.monitoring.bias.analysis import (
    ANALYSIS_VERSION,
    PredictionColumns,
    bias_analysis,
    kinds_from_analysis,
)
from pipelines.monitoring.bias.config import BiasAnalysisConfig
from pipelines.monitoring.bias.drift import DisparateImpactRule, check_bias_drift
from pipelines.monitoring.bias.metrics import Stage
from pipelines.monitoring.ground_truth_merge import GROUND_TRUTH_COLUMN
from pipelines.monitoring.result_files import ANALYSIS, ANALYSIS_CONFIG, write_clarify_results
from pipelines.storage import Storage, join_location


@dataclass(frozen=True, slots=True)
class BiasBaseline:
    config: BiasAnalysisConfig
    analyses: Mapping[Stage, dict[str, Any]]

    def constraints(self) -> dict[str, Any]:
        """Both stages in one document, as the drift check reads them."""
        return merge_analyses(*self.analyses.values())

    def write(self, storage: Storage, output: str) -> dict[str, str]:
        """Write the files; returns where each went, keyed like ``DriftCheckBaselines.Bias``."""
        written = {
            "ConfigFile": storage.write_json(join_location(output, ANALYSIS_CONFIG), self.config.to_json())
        }
        names = {Stage.PRE_TRAINING: "PreTrainingConstraints", Stage.POST_TRAINING: "PostTrainingConstraints"}
        for stage, analysis in self.analyses.items():
            written[names[stage]] = storage.write_json(join_location(output, stage.value, ANALYSIS), analysis)
        return written


def merge_analyses(*analyses: Mapping[str, Any]) -> dict[str, Any]:
    merged: dict[str, Any] = {"version": ANALYSIS_VERSION}
    for analysis in analyses:
        merged.update({key: value for key, value in analysis.items() if key != "version"})
    return merged


def not_features(table: pl.DataFrame, excluded_columns: Sequence[str] = ()) -> list[str]:
    """Columns that are not model inputs: our metadata (``__*``) and ``excluded_columns`` (record keys,
    personal data), like Clarify's ``excluded_columns``, which are not sent to the model
    (https://docs.aws.amazon.com/sagemaker/latest/dg/clarify-processing-job-configure-analysis.html)."""
    excluded = set(excluded_columns)
    return [c for c in table.columns if c.startswith("__") or c in excluded]


def suggest_bias_baseline(
    table: pl.DataFrame,
    config: BiasAnalysisConfig,
    predictions: PredictionColumns | None,
    *,
    excluded_columns: Sequence[str] = (),
) -> BiasBaseline:
    """One analysis per configured stage (post-training needs ``predictions``); ``excluded_columns`` are
    not features (see ``not_features``)."""
    excluded = not_features(table, excluded_columns)
    analyses = {
        stage: bias_analysis(
            table, config, stages=[stage], predictions=predictions, excluded_columns=excluded
        ).document
        for stage in Stage
        if config.stage_methods(stage) is not None
    }
    return BiasBaseline(config=config, analyses=analyses)


@dataclass(frozen=True, slots=True)
class BiasResult:
    analysis: dict[str, Any]
    violations: list[dict[str, str]]
    rows_used: int
    rows_dropped: int

    def write(self, storage: Storage, output: str) -> list[str]:
        return write_clarify_results(storage, output, self.analysis, self.violations)


def labels_as_numbers(table: pl.DataFrame, column: str) -> pl.DataFrame:
    """Ground truth arrives as text ("1"): read it as numbers when every label is one, as in the baseline."""
    series = table.get_column(column)
    if series.dtype != pl.String:
        return table
    for dtype in (pl.Int64, pl.Float64):
        converted = series.str.strip_chars().cast(dtype, strict=False)
        if converted.null_count() == series.null_count():
            return table.with_columns(converted.alias(column))
    return table


def evaluate_bias(
    table: pl.DataFrame,
    config: BiasAnalysisConfig,
    baseline_constraints: Mapping[str, Any] | None,
    *,
    predictions: PredictionColumns,
    label_column: str = GROUND_TRUTH_COLUMN,
    excluded_columns: Sequence[str] = (),
    tolerance: float = 0.0,
    di_rule: DisparateImpactRule = DisparateImpactRule.DISTANCE_FROM_ZERO,
    weight_column: str | None = None,
    flip_table: pl.DataFrame | None = None,
) -> BiasResult:
    """One bias-drift execution over captured records merged with ground truth.

    Column kinds (categorical/continuous) are taken from the baseline when there is one, so a small window
    cannot flip a facet from "value" to "threshold" semantics (Clarify re-infers them from each dataset).
    Metadata columns (``__*``) and ``excluded_columns`` (e.g. the record key) are not features.
    ``tolerance`` and ``di_rule``: see ``check_bias_drift``. ``weight_column`` and ``flip_table``: rows of
    counted records, and the records the flip test runs on (``bias_analysis``).
    """
    table = labels_as_numbers(table, label_column) if label_column in table.columns else table
    stages = [stage for stage in Stage if config.stage_methods(stage) is not None]
    excluded = not_features(table, excluded_columns)
    if flip_table is not None:
        excluded += [c for c in not_features(flip_table, excluded_columns) if c not in excluded]
    analysis = bias_analysis(
        table,
        config,
        stages=stages,
        predictions=predictions,
        label_column=label_column,
        kinds=None if baseline_constraints is None else kinds_from_analysis(baseline_constraints),
        excluded_columns=excluded,
        weight_column=weight_column,
        flip_table=flip_table,
    )
    violations = (
        []
        if baseline_constraints is None
        else check_bias_drift(analysis.document, baseline_constraints, tolerance=tolerance, di_rule=di_rule)
    )
    return BiasResult(analysis.document, violations, analysis.rows_used, analysis.rows_dropped)
