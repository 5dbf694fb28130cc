"""The model-quality monitor end to end: a table of labelled predictions in, Model Monitor's files out.

``suggest_baseline`` is the baselining job (a validation set with labels and the model's predictions ->
``statistics.json`` + ``constraints.json``); ``evaluate`` is one monitoring execution (captured predictions
merged with ground truth -> ``statistics.json`` + ``constraint_violations.json``). The column names are
Model Monitor's attributes: GroundTruthAttribute, InferenceAttribute (predicted label or value) and
ProbabilityAttribute.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np
import polars as pl

from pipelines.monitoring.capture_reader import PREDICTED_LABEL, PREDICTED_PROBABILITY
from pipelines.monitoring.ground_truth_merge import GROUND_TRUTH_COLUMN
from pipelines.monitoring.model_quality.constraints import check_constraints, suggest_constraints
from pipelines.monitoring.model_quality.statistics import (
    LabelledCounts,
    LabelledPredictions,
    ModelQualityConfig,
    ProblemType,
    label_text_column,
    model_quality_statistics,
)
from pipelines.monitoring.partial_results import positions, with_positions
from pipelines.monitoring.result_files import CONSTRAINTS, STATISTICS, VIOLATIONS
from pipelines.monitoring.tabular import require_columns
from pipelines.storage import Storage, join_location


@dataclass(frozen=True, slots=True)
class ModelQualityColumns:
    """Where the label, the predicted label/value and the probability are in a table."""

    ground_truth: str
    inference: str | None = None
    probability: str | None = None

    @classmethod
    def for_capture(cls) -> ModelQualityColumns:
        """The columns of captured records after the ground-truth merge."""
        return cls(GROUND_TRUTH_COLUMN, PREDICTED_LABEL, PREDICTED_PROBABILITY)


def labelled_predictions(table: pl.DataFrame, columns: ModelQualityColumns) -> LabelledPredictions:
    """The rows of ``table`` with a ground-truth label and a prediction, as arrays.

    Rows without a label (not matched yet) or without any prediction (a response the capture reader could
    not decode) are left out. The probability is used only when every kept row has one.
    """
    predictions = [c for c in (columns.inference, columns.probability) if c is not None]
    require_columns(table, [columns.ground_truth, *predictions], where="model quality")
    has_prediction = (
        pl.any_horizontal([pl.col(c).is_not_null() for c in predictions]) if predictions else pl.lit(True)
    )
    labelled = table.filter(pl.col(columns.ground_truth).is_not_null() & has_prediction)
    probability = None
    if columns.probability is not None and labelled.get_column(columns.probability).null_count() == 0:
        probability = labelled.get_column(columns.probability).cast(pl.Float64).to_numpy()
    inference = None if columns.inference is None else labelled.get_column(columns.inference).to_numpy()
    return LabelledPredictions(
        ground_truth=labelled.get_column(columns.ground_truth).to_numpy(),
        predicted_label=inference,
        probability=probability,
    )


def labelled_counts(
    table: pl.DataFrame, columns: ModelQualityColumns, config: ModelQualityConfig
) -> LabelledCounts:
    """The counts (the monitor's partial result) of the rows of ``table`` with a label and a prediction.

    Unlike ``labelled_predictions`` each row keeps its own probability or none: whether the probabilities are
    used is decided on the merged counts, over the whole window (every counted record must have one).
    """
    predictions = [c for c in (columns.inference, columns.probability) if c is not None]
    require_columns(table, [columns.ground_truth, *predictions], where="model quality")
    has_prediction = (
        pl.any_horizontal([pl.col(c).is_not_null() for c in predictions]) if predictions else pl.lit(True)
    )
    labelled = with_positions(table).filter(pl.col(columns.ground_truth).is_not_null() & has_prediction)
    if config.problem_type is ProblemType.REGRESSION:
        return LabelledCounts.of(
            LabelledPredictions(
                ground_truth=labelled.get_column(columns.ground_truth).to_numpy(),
                predicted_label=None
                if columns.inference is None
                else labelled.get_column(columns.inference).to_numpy(),
                probability=None
                if columns.probability is None
                else labelled.get_column(columns.probability).cast(pl.Float64).to_numpy(),
            ),
            config,
            positions(labelled),
        )
    none = pl.Series([None] * labelled.height, dtype=pl.String)
    return LabelledCounts.of_texts(
        label_text_column(labelled.get_column(columns.ground_truth)),
        none if columns.inference is None else label_text_column(labelled.get_column(columns.inference)),
        none.cast(pl.Float64) if columns.probability is None else labelled.get_column(columns.probability),
        positions(labelled),
        config,
    )


@dataclass(frozen=True, slots=True)
class ModelQualityBaseline:
    statistics: dict[str, Any]
    constraints: dict[str, Any]

    def write(self, storage: Storage, output: str) -> list[str]:
        return [
            storage.write_json(join_location(output, STATISTICS), self.statistics),
            storage.write_json(join_location(output, CONSTRAINTS), self.constraints),
        ]


@dataclass(frozen=True, slots=True)
class ModelQualityResult:
    statistics: dict[str, Any]
    violations: list[dict[str, str]]

    @property
    def item_count(self) -> int:
        return int(self.statistics["dataset"]["item_count"])

    def write(self, storage: Storage, output: str) -> list[str]:
        return [
            storage.write_json(join_location(output, STATISTICS), self.statistics),
            storage.write_json(join_location(output, VIOLATIONS), {"violations": self.violations}),
        ]


def suggest_baseline(
    table: pl.DataFrame, columns: ModelQualityColumns, config: ModelQualityConfig, *, slack: float = 0.0
) -> ModelQualityBaseline:
    statistics = model_quality_statistics(labelled_counts(table, columns, config), config)
    return ModelQualityBaseline(statistics, suggest_constraints(statistics, slack=slack))


def evaluate(
    table: pl.DataFrame,
    columns: ModelQualityColumns,
    config: ModelQualityConfig,
    constraints: Mapping[str, Any] | None,
) -> ModelQualityResult:
    """One execution: statistics of the labelled rows, checked against ``constraints`` when given."""
    return evaluate_counts(labelled_counts(table, columns, config), config, constraints)


def evaluate_counts(
    counts: LabelledCounts, config: ModelQualityConfig, constraints: Mapping[str, Any] | None
) -> ModelQualityResult:
    """One execution from the window's merged counts (what every engine hands the monitor)."""
    statistics = model_quality_statistics(counts, config)
    violations = [] if constraints is None else check_constraints(statistics, constraints)
    return ModelQualityResult(statistics, violations)


def with_model_predictions(
    table: pl.DataFrame, probabilities: np.ndarray, *, threshold: float, scale: float = 100.0
) -> pl.DataFrame:
    """``table`` plus the capture reader's prediction columns, from a model's 0..1 probabilities.

    ``scale`` converts to the endpoint's unit (percent by default), so a baseline scored offline reads
    exactly like captured traffic.
    """
    probability = np.asarray(probabilities, dtype=np.float64) * scale
    return table.with_columns(
        pl.Series(PREDICTED_PROBABILITY, probability),
        pl.Series(PREDICTED_LABEL, (probability >= threshold).astype(np.int64)),
    )
