"""The model-quality monitor's hooks: what the baselining and run engines ask of it (``monitoring.hooks``)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from pipelines.monitoring.capture_reader import PREDICTED_LABEL, PREDICTED_PROBABILITY
from pipelines.monitoring.ground_truth_merge import GROUND_TRUTH_COLUMN
from pipelines.monitoring.hooks import BaselineDocuments, Computed, MonitorInputs, Reading, Records
from pipelines.monitoring.model_quality.constraints import problem_type_of
from pipelines.monitoring.model_quality.monitor import ModelQualityColumns, evaluate, suggest_baseline
from pipelines.monitoring.model_quality.statistics import ModelQualityConfig, ProblemType
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

    def reading(self, settings: RunSettings, baseline: ModelQualityBaselineFile) -> Reading:
        return Reading(Records.ALL)

    def evaluate(self, inputs: MonitorInputs) -> Computed:
        records = inputs.labelled_records()
        baseline: ModelQualityBaselineFile = inputs.baseline
        problem_type = baseline.problem_type
        threshold = inputs.settings.probability_threshold
        if problem_type is ProblemType.REGRESSION:
            # A regression endpoint answers a number: the capture reader puts it where a probability goes;
            # a dataset's whole-number predicted values are in the predicted label's place.
            values = records.get_column(PREDICTED_PROBABILITY)
            predicted = PREDICTED_PROBABILITY if values.null_count() < values.len() else PREDICTED_LABEL
            columns = ModelQualityColumns(GROUND_TRUTH_COLUMN, predicted)
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
        result = evaluate(records, columns, config, baseline.constraints)
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


HOOKS = ModelQualityHooks()
