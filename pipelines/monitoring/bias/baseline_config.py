"""The bias baseline's Clarify config from the baselining options: Clarify's own ``analysis_config.json``,
or one built from a facet, a label and its values; and the checks that the dataset can be analysed with it.
"""

from __future__ import annotations

from dataclasses import replace
from typing import TYPE_CHECKING, Any

import polars as pl

from pipelines.monitoring.bias.analysis import PredictionColumns
from pipelines.monitoring.bias.config import (
    JSON_LINES_DATASET_TYPE,
    BiasAnalysisConfig,
    resolve_headers,
)
from pipelines.monitoring.bias.facets import ColumnKind, column_kind
from pipelines.monitoring.bias.metrics import Stage
from pipelines.monitoring.capture_reader import PREDICTED_LABEL, PREDICTED_PROBABILITY
from pipelines.monitoring.dataset_reader import DatasetLayout
from pipelines.monitoring.tabular import column_problems
from pipelines.setting_names import setting

if TYPE_CHECKING:
    from pipelines.monitoring.baseline import BaselineOptions
    from pipelines.monitoring.explainability.model import ProbabilityModel


def bias_config_from_options(
    options: BaselineOptions,
    table: pl.DataFrame | None,
    predictions: PredictionColumns | None,
    *,
    layout: DatasetLayout | None = None,
    feature_names: tuple[str, ...] | None = None,
) -> BiasAnalysisConfig:
    """Clarify's config from the ``bias_config`` option, or built from the facet options (``table`` decides
    types). For a JSON Lines dataset in Clarify's layout (``layout.features_attribute``, the dataset's
    ``feature_names``) the config is a JSON Lines one: ``features`` and ``label`` paths, the features'
    names then the label's as ``headers``."""
    if options.bias_config is not None:
        config = BiasAnalysisConfig.from_json(options.bias_config, where=options.bias_config_where)
    else:
        assert options.facet is not None
        assert options.label is not None
        values = [_value(v) for v in options.label_values]
        facet: dict[str, Any] = {"name_or_index": options.facet}
        if options.facet_threshold is not None:
            facet["value_or_threshold"] = [options.facet_threshold]
        elif options.facet_values is not None:
            facet["value_or_threshold"] = [_value(v) for v in options.facet_values]
        methods: dict[str, Any] = {"pre_training_bias": {"methods": "all"}}
        if predictions is not None:
            methods["post_training_bias"] = {"methods": "all"}
        document: dict[str, Any] = {
            "dataset_type": "text/csv",
            "label": options.label,
            "label_values_or_threshold": values,
            "facet": [facet],
            "methods": methods,
        }
        if options.group_variable is not None:
            document["group_variable"] = options.group_variable
        if layout is not None and layout.features_attribute is not None and feature_names:
            document["dataset_type"] = JSON_LINES_DATASET_TYPE
            document["features"] = layout.features_attribute
            document["label"] = layout.label_attribute or options.label
            document["headers"] = [*feature_names, options.label]
        config = BiasAnalysisConfig.from_json(document, where="bias options")
    if config.predictor is None and options.predictor is not None:
        config = replace(config, predictor=dict(options.predictor))
    if table is not None:
        visible = [c for c in table.columns if not c.startswith("__")]
        config = resolve_headers(config, visible)
    return config


def _value(text: str) -> int | float | str:
    """A value given on the command line as the JSON number it looks like, else as text."""
    for kind in (int, float):
        try:
            return kind(text)
        except ValueError:
            continue
    return text


def bias_problems(
    config: BiasAnalysisConfig,
    options: BaselineOptions,
    table: pl.DataFrame,
    predictions: PredictionColumns | None,
) -> list[str]:
    problems: list[str] = []
    if options.label is not None and config.label_column != options.label:
        problems.append(
            f"{setting('label')} {options.label!r} and the bias config's label {config.label_column!r} "
            "differ: give one"
        )
    if config.stage_methods(Stage.POST_TRAINING) is not None and predictions is None:
        problems.append(
            f"{options.bias_config_where}: post_training_bias needs predictions: give {setting('model')}, "
            f"{setting('prediction_column')} or the config's predicted_label (or leave post_training_bias "
            "out of methods)"
        )
    columns = [config.label_column, *(config.column(f.name_or_index) for f in config.facets)]
    if config.group_column is not None:
        columns.append(config.group_column)
    if config.predicted_label_column is not None:
        columns.append(config.predicted_label_column)
    columns += config.excluded_column_names
    problems += column_problems(table.columns, [("bias column", c) for c in columns], "the dataset")
    if options.facet is not None and options.facet in table.columns and options.bias_config is None:
        kind = column_kind(
            table.get_column(options.facet),
            None if options.facet_threshold is None else [options.facet_threshold],
        )
        series = table.get_column(options.facet)
        described = f"{series.n_unique()} distinct values in {series.len()} rows"
        if options.facet_threshold is not None and kind is ColumnKind.CATEGORICAL:
            problems.append(
                f"{setting('facet_threshold')}: facet {options.facet!r} has {described}, so Clarify treats "
                f"it as categorical and would read the threshold as a value; use {setting('facet_values')}"
            )
        if options.facet_values is not None and len(options.facet_values) == 1:
            single = column_kind(series, [_value(options.facet_values[0])])
            if single is ColumnKind.CONTINUOUS:
                problems.append(
                    f"{setting('facet_values')}: facet {options.facet!r} has {described}, so Clarify "
                    "treats it as continuous and would read the value as a threshold; use "
                    f"{setting('facet_threshold')}"
                )
    threshold = config.probability_threshold
    in_percent = predictions is not None and predictions.probability == PREDICTED_PROBABILITY
    if in_percent and threshold is not None and threshold <= 1.0:
        problems.append(
            f"{options.bias_config_where}: probability_threshold {threshold} is on the 0..1 scale, but "
            "the model's probabilities are written in percent (0..100), like the endpoint's"
        )
    return problems


def bias_predictions(options: BaselineOptions, model: ProbabilityModel | None) -> PredictionColumns | None:
    if model is not None:
        # Both columns, so neither is taken for a feature; the probability decides (with the threshold).
        return PredictionColumns(probability=PREDICTED_PROBABILITY, label=PREDICTED_LABEL)
    if options.probability_column is not None:
        return PredictionColumns(probability=options.probability_column)
    if options.prediction_column is not None:
        return PredictionColumns(label=options.prediction_column)
    return None
