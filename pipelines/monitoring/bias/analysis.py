"""Clarify's ``analysis.json`` bias sections for a table, computed with our own metric functions.

Output format (see tests/fixtures/sagemaker_reference/sagemaker-sdk-clarify-check/analysis.json)::

    {"version": "1.0",
     "pre_training_bias_metrics" | "post_training_bias_metrics": {
        "label": "<label column>",
        "facets": {"<facet column>": [{"value_or_threshold": "(0.5, 0.99]",
                                       "metrics": [{"name", "description", "value"} ...]}]},
        "label_value_or_threshold": "1"}}

A metric that is undefined for the data keeps its entry with ``"value": null`` and an ``"error"`` text, as
Clarify writes it. Rows with a missing label, facet, group variable or prediction are left out (counted).

The table holds records, or (``weight_column``) rows of counted records: the run engines' partial result
counts records per distinct (label, facets, group variable, prediction), and the flip test then runs on a
seeded sample of the records (``flip_table``), since it needs every record's features.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import numpy.typing as npt
import polars as pl

from pipelines.monitoring.bias.config import BiasAnalysisConfig
from pipelines.monitoring.bias.facets import (
    ColumnKind,
    Group,
    facet_groups,
    is_interval_text,
    positive_index,
)
from pipelines.monitoring.bias.metrics import BiasInputs, BiasMetricError, Stage, metrics_for
from pipelines.monitoring.result_files import CLARIFY_VERSION
from pipelines.monitoring.tabular import require_columns

ANALYSIS_VERSION = CLARIFY_VERSION


@dataclass(frozen=True, slots=True)
class PredictionColumns:
    """Where a table holds the model's output: a probability (with the config's threshold) or a label."""

    probability: str | None = None
    label: str | None = None
    positive: str | None = None  # already decided: True for a positive prediction (counted records)

    @property
    def columns(self) -> list[str]:
        return [c for c in (self.probability, self.label, self.positive) if c is not None]


@dataclass(frozen=True, slots=True)
class ColumnKinds:
    """Categorical/continuous decisions to reuse instead of re-inferring them from the data."""

    label: ColumnKind | None = None
    facets: Mapping[str, ColumnKind] = field(default_factory=dict)


def kinds_from_analysis(analysis: Mapping[str, Any]) -> ColumnKinds:
    """The kinds a baseline analysis used: an interval ``(t, max]`` means the column was continuous."""
    label: ColumnKind | None = None
    facets: dict[str, ColumnKind] = {}
    for stage in Stage:
        section = analysis.get(stage.analysis_key)
        if not isinstance(section, dict):
            continue
        text = str(section.get("label_value_or_threshold", ""))
        label = ColumnKind.CONTINUOUS if is_interval_text(text) else ColumnKind.CATEGORICAL
        for facet, entries in (section.get("facets") or {}).items():
            if entries:
                continuous = is_interval_text(str(entries[0].get("value_or_threshold", "")))
                facets[facet] = ColumnKind.CONTINUOUS if continuous else ColumnKind.CATEGORICAL
    return ColumnKinds(label=label, facets=facets)


@dataclass(frozen=True, slots=True)
class BiasAnalysis:
    document: dict[str, Any]
    rows_used: int
    rows_dropped: int


def _numeric_features(
    table: pl.DataFrame, columns: Sequence[str]
) -> tuple[npt.NDArray[np.float64] | None, str | None]:
    """The FT feature matrix, or why there is none (Clarify's flip test needs all-numeric features)."""
    if not columns:
        return None, "FlipTest needs at least one feature column besides the facet and the label"
    non_numeric = [c for c in columns if not (table.schema[c].is_numeric() or table.schema[c] == pl.Boolean)]
    if non_numeric:
        return None, f"FlipTest does not support non-numeric columns ({', '.join(non_numeric)})"
    matrix = table.select(pl.col(columns).cast(pl.Float64)).to_numpy()
    if np.isnan(matrix).any():
        return None, "FlipTest does not support missing feature values"
    return matrix, None


def _group_codes(series: pl.Series) -> npt.NDArray[np.int64]:
    """Group values as 0..k-1 in sorted value order: the order Clarify's ``np.unique`` visits them in, which
    keeps the weighted sum bit-identical, without sorting Python objects."""
    return (series.rank("dense").cast(pl.Int64) - 1).to_numpy()


def _predicted_positive(
    table: pl.DataFrame, config: BiasAnalysisConfig, predictions: PredictionColumns | None, label: Group
) -> npt.NDArray[np.bool_] | None:
    if predictions is None:
        return None
    if predictions.positive is not None:
        return table.get_column(predictions.positive).cast(pl.Boolean).to_numpy()
    if predictions.probability is not None and config.probability_threshold is not None:
        probability = table.get_column(predictions.probability).cast(pl.Float64).to_numpy()
        return probability > config.probability_threshold
    if predictions.label is not None:
        series = table.get_column(predictions.label)
        return positive_index(series, config.label_values_or_threshold, kind=label.kind).index
    return None


def bias_analysis(
    table: pl.DataFrame,
    config: BiasAnalysisConfig,
    *,
    stages: Sequence[Stage],
    predictions: PredictionColumns | None = None,
    label_column: str | None = None,
    kinds: ColumnKinds | None = None,
    excluded_columns: Sequence[str] = (),
    weight_column: str | None = None,
    flip_table: pl.DataFrame | None = None,
) -> BiasAnalysis:
    """The analysis.json document for ``stages`` (pre- and/or post-training) of ``table``.

    ``label_column`` overrides the config's label column (captured records carry the merged ground truth
    under another name); ``excluded_columns`` are left out of the flip test's features (metadata).
    ``weight_column``: each row stands for that many records; the flip test then runs on ``flip_table``
    (records, e.g. a sample), or reports that it has no records.
    """
    kinds = kinds or ColumnKinds()
    label_name = label_column or config.label_column
    facet_names = [config.column(f.name_or_index) for f in config.facets]
    group_name = config.group_column
    used = [label_name, *facet_names, *([group_name] if group_name else [])]
    if Stage.POST_TRAINING in stages and predictions is not None:
        used += predictions.columns
    require_columns(table, used, where="bias analysis")
    complete = table.drop_nulls(subset=used)
    weights = None if weight_column is None else complete.get_column(weight_column)
    rows_used = complete.height if weights is None else int(weights.sum())
    rows_all = table.height if weight_column is None else int(table.get_column(weight_column).sum())
    rows_dropped = rows_all - rows_used
    weight_array = None if weights is None else weights.cast(pl.Int64).to_numpy()

    label = positive_index(
        complete.get_column(label_name), config.label_values_or_threshold, kind=kinds.label, weights=weights
    )
    predicted = (
        _predicted_positive(complete, config, predictions, label) if Stage.POST_TRAINING in stages else None
    )
    group = None if group_name is None else _group_codes(complete.get_column(group_name))
    prediction_columns = [] if predictions is None else predictions.columns
    not_features = {label_name, *prediction_columns, *excluded_columns}
    if weight_column is not None:
        not_features.add(weight_column)
    flips = None
    if weight_column is not None and flip_table is not None:
        flips = flip_table.drop_nulls(subset=[c for c in used if c != label_name and c in flip_table.columns])
    flip_predicted = (
        _predicted_positive(flips, config, predictions, label)
        if flips is not None and Stage.POST_TRAINING in stages
        else None
    )

    document: dict[str, Any] = {"version": ANALYSIS_VERSION}
    for stage in stages:
        selected = config.stage_methods(stage)
        if selected is None:
            continue
        metrics = metrics_for(stage, selected)
        facets: dict[str, list[dict[str, Any]]] = {}
        for facet_config, facet_name in zip(config.facets, facet_names, strict=True):
            features, problem = (None, None)
            wants_flip = any(m.name == "FT" for m in metrics)
            if wants_flip and weight_column is None:
                feature_columns = [c for c in complete.columns if c not in not_features and c != facet_name]
                features, problem = _numeric_features(complete, feature_columns)
            elif wants_flip and flips is not None:
                feature_columns = [c for c in flips.columns if c not in not_features and c != facet_name]
                features, problem = _numeric_features(flips, feature_columns)
            elif wants_flip:
                problem = "FlipTest needs the records' features, and none were sampled"
            groups = facet_groups(
                complete.get_column(facet_name),
                None if facet_config.value_or_threshold is None else list(facet_config.value_or_threshold),
                kind=kinds.facets.get(facet_name),
                weights=weights,
            )
            entries = []
            for facet_group in groups:
                flip = None
                if flips is not None and features is not None:
                    flip = BiasInputs(
                        facet=facet_group.select(flips.get_column(facet_name)),
                        label=np.zeros(flips.height, dtype=bool),
                        predicted=flip_predicted,
                        features=features,
                    )
                inputs = BiasInputs(
                    facet=facet_group.index,
                    label=label.index,
                    predicted=predicted,
                    group=group,
                    features=None if flips is not None else features,
                    features_problem=problem,
                    weights=weight_array,
                    flip=flip,
                )
                entries.append(
                    {"value_or_threshold": facet_group.label, "metrics": _metric_entries(metrics, inputs)}
                )
            facets[facet_name] = entries
        document[stage.analysis_key] = {
            "label": label_name if label_column is None else config.label_column,
            "facets": facets,
            "label_value_or_threshold": label.label,
        }
    return BiasAnalysis(document=document, rows_used=rows_used, rows_dropped=rows_dropped)


def _metric_entries(metrics: Sequence[Any], inputs: BiasInputs) -> list[dict[str, Any]]:
    entries: list[dict[str, Any]] = []
    for metric in metrics:
        try:
            value = metric.compute(inputs)
        except BiasMetricError as error:
            entries.append(
                {"name": metric.name, "description": metric.description, "value": None, "error": str(error)}
            )
            continue
        entries.append({"name": metric.name, "description": metric.description, "value": value})
    return entries
