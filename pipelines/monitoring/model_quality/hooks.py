"""The model-quality monitor's hooks: what the baselining and run engines ask of it (``monitoring.hooks``)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import numpy as np
import polars as pl

from pipelines.monitoring.capture_reader import PREDICTED_LABEL, PREDICTED_PROBABILITY
from pipelines.monitoring.ground_truth_merge import GROUND_TRUTH_COLUMN
from pipelines.monitoring.hooks import BaselineDocuments, Computed, MonitorInputs
from pipelines.monitoring.model_quality.constraints import problem_type_of
from pipelines.monitoring.model_quality.monitor import (
    ModelQualityColumns,
    evaluate_counts,
    labelled_counts,
    suggest_baseline,
)
from pipelines.monitoring.model_quality.statistics import LabelledCounts, ModelQualityConfig, ProblemType
from pipelines.monitors import MONITORS, MonitorType
from pipelines.setting_names import SettingsError, setting

if TYPE_CHECKING:
    from pipelines.monitoring.baseline import BaselineOptions, BaselineRequest
    from pipelines.monitoring.explainability.model import ProbabilityModel
    from pipelines.monitoring.run_settings import RunSettings

DEFINITION = MONITORS[MonitorType.MODEL_QUALITY]


@dataclass(frozen=True, slots=True)
class ModelQualityBaselineFile:
    constraints: Mapping[str, Any]
    problem_type: ProblemType  # the run's, else the constraints'


class ModelQualityHooks:
    # -- run ------------------------------------------------------------------------------------------------
    def load_baseline(self, documents: BaselineDocuments, settings: RunSettings) -> ModelQualityBaselineFile:
        where = str(documents.files.constraints)
        constraints = documents.constraints
        if not isinstance(constraints, dict):
            raise SettingsError(f"{where}: expected a model-quality constraints.json object")
        of_constraints = problem_type_of(constraints, suffix="constraints", where=where)
        if settings.problem_type is not None and settings.problem_type is not of_constraints:
            raise SettingsError(
                f"{setting('problem_type')} is {settings.problem_type.value} but {where} holds "
                f"{of_constraints.value} constraints"
            )
        return ModelQualityBaselineFile(constraints, settings.problem_type or of_constraints)

    def partials(self, settings: RunSettings, baseline: ModelQualityBaselineFile) -> CountsPartials:
        problem_type = baseline.problem_type
        threshold = settings.probability_threshold
        if problem_type is ProblemType.REGRESSION:
            # A regression endpoint answers a number: the capture reader puts it where a probability goes;
            # a dataset's whole-number predicted values are in the predicted label's place (``add`` chooses).
            columns = ModelQualityColumns(GROUND_TRUTH_COLUMN, PREDICTED_PROBABILITY)
            config = ModelQualityConfig(problem_type=problem_type, probability_threshold=None)
        else:
            columns = ModelQualityColumns.for_capture()
            config = ModelQualityConfig(
                problem_type=problem_type,
                probability_threshold=(
                    (DEFINITION.probability_threshold_pct if threshold is None else threshold)
                    if problem_type is ProblemType.BINARY
                    else None
                ),
            )
        return CountsPartials(columns, config)

    def finish(self, inputs: MonitorInputs) -> Computed:
        inputs.require_labelled()
        partials: CountsPartials = self.partials(inputs.settings, inputs.baseline)
        baseline: ModelQualityBaselineFile = inputs.baseline
        result = evaluate_counts(inputs.partial, partials.config, baseline.constraints)
        return Computed(result.write, result.violations, {"evaluated_records": result.item_count})

    # -- baseline -------------------------------------------------------------------------------------------
    def missing_baseline_inputs(self, options: BaselineOptions, model: ProbabilityModel | None) -> str | None:
        has_predictions = any(
            p is not None for p in (model, options.prediction_column, options.probability_column)
        )
        if options.label is not None and has_predictions:
            return None
        needs = [
            *([setting("label")] if options.label is None else []),
            *(
                [f"{setting('model')}, {setting('prediction_column')} or {setting('probability_column')}"]
                if not has_predictions
                else []
            ),
        ]
        return f"model quality needs {' and '.join(needs)}"

    def make_baseline(self, request: BaselineRequest) -> Mapping[str, str]:
        options, model = request.options, request.model
        assert options.label is not None
        probabilities = model is not None or options.probability_column is not None
        config = ModelQualityConfig(
            problem_type=options.problem_type,
            probability_threshold=(
                options.probability_threshold
                if options.problem_type is ProblemType.BINARY and probabilities
                else None
            ),
            positive_label=options.label_values[0],
        )
        columns = (
            ModelQualityColumns(options.label, PREDICTED_LABEL, PREDICTED_PROBABILITY)
            if model is not None
            else ModelQualityColumns(options.label, options.prediction_column, options.probability_column)
        )
        baseline = suggest_baseline(request.table(), columns, config, slack=options.model_quality_slack)
        statistics, constraints = baseline.write(request.storage, request.folder)
        return {"Statistics": statistics, "Constraints": constraints}


@dataclass(frozen=True, slots=True)
class CountsPartials:
    """The model-quality partial: ``LabelledCounts`` of the slice's labelled records."""

    columns: ModelQualityColumns
    config: ModelQualityConfig

    def empty(self) -> LabelledCounts:
        repeats = self.config.std_repeats
        if self.config.problem_type is ProblemType.REGRESSION:
            return LabelledCounts(repeats, sums=np.zeros((1 + repeats, 5)))
        return LabelledCounts(repeats)

    def add(self, partial: LabelledCounts, batch: pl.DataFrame) -> LabelledCounts:
        columns = self.columns
        if (
            self.config.problem_type is ProblemType.REGRESSION
            and PREDICTED_PROBABILITY in batch.columns
            and batch.get_column(PREDICTED_PROBABILITY).null_count() == batch.height
        ):
            # no value where a regression endpoint's answer goes: a dataset's whole-number predictions
            columns = ModelQualityColumns(GROUND_TRUTH_COLUMN, PREDICTED_LABEL)
        return partial.merge(labelled_counts(batch, columns, self.config))

    def merge(self, first: LabelledCounts, second: LabelledCounts) -> LabelledCounts:
        return first.merge(second)

    def to_bytes(self, partial: LabelledCounts) -> bytes:
        return partial.to_bytes()

    def from_bytes(self, data: bytes) -> LabelledCounts:
        return LabelledCounts.from_bytes(data)


HOOKS = ModelQualityHooks()
