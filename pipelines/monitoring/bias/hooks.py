"""The bias monitor's hooks: what the baselining and run engines ask of it (``monitoring.hooks``)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING, Any

import polars as pl

from pipelines.monitoring.bias.analysis import PredictionColumns
from pipelines.monitoring.bias.baseline_config import (
    bias_config_from_options,
    bias_predictions,
    bias_problems,
)
from pipelines.monitoring.bias.config import BiasAnalysisConfig
from pipelines.monitoring.bias.metrics import Stage
from pipelines.monitoring.bias.monitor import evaluate_bias, suggest_bias_baseline
from pipelines.monitoring.capture_reader import PREDICTED_LABEL, PREDICTED_PROBABILITY
from pipelines.monitoring.dataset_reader import csv_typed
from pipelines.monitoring.hooks import BaselineDocuments, Computed, MonitorInputs, Reading, Records
from pipelines.monitors import MONITORS, MonitorType
from pipelines.setting_names import SettingsError, setting

if TYPE_CHECKING:
    from pipelines.monitoring.baseline import BaselineOptions, BaselineRequest
    from pipelines.monitoring.explainability.model import ProbabilityModel
    from pipelines.monitoring.run_settings import RunSettings

DEFINITION = MONITORS[MonitorType.MODEL_BIAS]


@dataclass(frozen=True, slots=True)
class BiasDriftBaseline:
    config: BiasAnalysisConfig
    constraints: Mapping[str, Any]  # a post-training bias analysis.json


class BiasHooks:
    # -- run ------------------------------------------------------------------------------------------------
    def load_baseline(self, documents: BaselineDocuments, settings: RunSettings) -> BiasDriftBaseline:
        files, constraints = documents.files, documents.constraints
        config = BiasAnalysisConfig.from_json(documents.config, where=str(files.config))
        if not isinstance(constraints, dict) or not isinstance(
            constraints.get(Stage.POST_TRAINING.analysis_key), dict
        ):
            raise SettingsError(
                f"{files.constraints}: no {Stage.POST_TRAINING.analysis_key} section: bias drift is "
                "checked against a post-training bias analysis.json"
            )
        return BiasDriftBaseline(config, constraints)

    def reading(self, settings: RunSettings, baseline: BiasDriftBaseline) -> Reading:
        return Reading(Records.ALL)

    def evaluate(self, inputs: MonitorInputs) -> Computed:
        records = inputs.labelled_records()
        settings = inputs.settings
        baseline: BiasDriftBaseline = inputs.baseline
        config = baseline.config
        threshold = settings.probability_threshold
        if threshold is None:
            threshold = (
                config.probability_threshold
                if config.probability_threshold is not None
                else DEFINITION.probability_threshold_pct
            )
        # Model Monitor's bias drift job computes the post-training metrics only.
        config = replace(
            config,
            methods={Stage.POST_TRAINING: config.methods.get(Stage.POST_TRAINING, "all")},
            probability_threshold=threshold,
        )
        features = [c for c in records.columns if not c.startswith("__")]
        if features and all(records.schema[c] == pl.String for c in features):
            # CSV records (captured, or a CSV dataset) are all text: typed as Clarify's CSV reader types them
            records = csv_typed(records, features)
        has_probability = records.get_column(PREDICTED_PROBABILITY).null_count() < records.height
        predictions = (
            PredictionColumns(probability=PREDICTED_PROBABILITY)
            if has_probability
            else PredictionColumns(label=PREDICTED_LABEL)
        )
        result = evaluate_bias(
            records,
            config,
            baseline.constraints,
            predictions=predictions,
            # The record key identifies a record; it is no model input (the flip test would refuse it as
            # text).
            excluded_columns=[settings.record_id_field, *config.excluded_column_names],
            tolerance=settings.bias_tolerance,
            di_rule=settings.bias_di_rule,
        )
        return Computed(result.write, result.violations, {"evaluated_records": result.rows_used})

    # -- baseline -------------------------------------------------------------------------------------------
    def missing_baseline_inputs(self, options: BaselineOptions, model: ProbabilityModel | None) -> str | None:
        if options.bias_config is None and options.facet is None:
            return f"bias needs {setting('bias_config')}, or {setting('facet')} and {setting('label')}"
        if options.label is None and options.bias_config is None:
            return f"bias needs {setting('label')} (or a {setting('bias_config')} naming the label)"
        return None

    def make_baseline(self, request: BaselineRequest) -> Mapping[str, str]:
        options, table = request.options, request.table()
        predictions = bias_predictions(options, request.model)
        dataset = request.dataset
        config = bias_config_from_options(
            options, table, predictions, layout=dataset.layout, feature_names=dataset.feature_names
        )
        problems = []
        if config.predicted_label_column is not None:
            if predictions is not None:
                problems.append(
                    f"{options.bias_config_where}: predicted_label {config.predicted_label!r} and "
                    f"{setting('model')} / {setting('prediction_column')} / {setting('probability_column')} "
                    "both give the predictions: give one"
                )
            else:
                predictions = PredictionColumns(label=config.predicted_label_column)
        problems += bias_problems(config, options, table, predictions)
        if problems:
            raise SettingsError(problems)
        if (
            predictions is not None
            and predictions.probability is not None
            and config.probability_threshold is None
        ):
            config = replace(config, probability_threshold=options.probability_threshold)
        baseline = suggest_bias_baseline(
            table, config, predictions, excluded_columns=[*options.exclude, *config.excluded_column_names]
        )
        return baseline.write(request.storage, request.folder)


HOOKS = BiasHooks()
