"""The explainability monitor's hooks: what the baselining and run engines ask of it
(``pipelines.monitoring.hooks``)."""

from __future__ import annotations

import logging
from collections.abc import Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import polars as pl

from pipelines.monitoring.explainability.attribution import global_values_by_label
from pipelines.monitoring.explainability.config import ExplainabilityAnalysisConfig
from pipelines.monitoring.explainability.model import TreeContributionModel
from pipelines.monitoring.explainability.monitor import (
    baseline_config,
    evaluate_explainability,
    suggest_explainability_baseline,
)
from pipelines.monitoring.hooks import BaselineDocuments, Computed, MonitorInputs
from pipelines.monitoring.partial_results import SeededSample
from pipelines.setting_names import setting

if TYPE_CHECKING:
    from pipelines.monitoring.baseline import BaselineOptions, BaselineRequest
    from pipelines.monitoring.explainability.model import ProbabilityModel
    from pipelines.monitoring.run_settings import RunSettings

log = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class AttributionBaseline:
    config: ExplainabilityAnalysisConfig
    constraints: Mapping[str, Any]  # the baseline's analysis.json


class ExplainabilityHooks:
    # -- run ------------------------------------------------------------------------------------------------
    def load_baseline(self, documents: BaselineDocuments, settings: RunSettings) -> AttributionBaseline:
        files, constraints = documents.files, documents.constraints
        config = ExplainabilityAnalysisConfig.from_json(documents.config, where=str(files.config))
        global_values_by_label(
            constraints if isinstance(constraints, dict) else {}, where=str(files.constraints)
        )
        return AttributionBaseline(config, constraints)

    def partials(self, settings: RunSettings, baseline: AttributionBaseline) -> SamplePartials:
        # Kernel SHAP costs (samples x background rows) predictions per record: a seeded sample.
        return SamplePartials(settings.explain_max_records, settings.seed)

    def finish(self, inputs: MonitorInputs) -> Computed:
        records = inputs.partial.records()
        if records.height == 0:
            raise inputs.no_data()
        assert inputs.model is not None  # the engine loads it for a monitor that needs_model
        baseline: AttributionBaseline = inputs.baseline
        result = evaluate_explainability(
            records,
            inputs.model,
            baseline.config,
            baseline.constraints,
            max_records=inputs.settings.explain_max_records,
        )
        return Computed(result.write, result.violations, {"records_explained": result.records})

    # -- baseline -------------------------------------------------------------------------------------------
    def missing_baseline_inputs(self, options: BaselineOptions, model: ProbabilityModel | None) -> str | None:
        return f"explainability needs {setting('model')}" if model is None else None

    def make_baseline(self, request: BaselineRequest) -> Mapping[str, str]:
        """SHAP baseline; by default a tree model explains its own inputs, any other model every input column
        but the label, the predictions and the excluded ones."""
        options, model = request.options, request.model
        assert model is not None
        table = request.table()
        inputs = table.select(c for c in table.columns if not c.startswith("__"))
        features: list[str] | None = list(options.explain_features) if options.explain_features else None
        if features is None and not isinstance(model, TreeContributionModel):
            not_inputs = {*request.not_inputs, *options.exclude}
            features = [c for c in inputs.columns if c not in not_inputs]
        if options.predictor is None:
            log.warning(
                "the explainability config has no predictor: SageMaker's Clarify (and the deployment script) "
                "need one to call the model"
            )
        config = baseline_config(
            inputs,
            model,
            features=features,
            background_rows=options.background_rows,
            predictor=options.predictor,
        )
        baseline = suggest_explainability_baseline(inputs, model, config)
        return baseline.write(request.storage, request.folder)


@dataclass(frozen=True, slots=True)
class SamplePartials:
    """The explainability partial: a seeded uniform sample of the window's records (``SeededSample``)."""

    size: int | None
    seed: int

    def empty(self) -> SeededSample:
        return SeededSample(self.size, self.seed)

    def add(self, partial: SeededSample, batch: pl.DataFrame) -> SeededSample:
        partial.add(batch)
        return partial

    def merge(self, first: SeededSample, second: SeededSample) -> SeededSample:
        first.merge(second)
        return first

    def to_bytes(self, partial: SeededSample) -> bytes:
        return partial.to_bytes()

    def from_bytes(self, data: bytes) -> SeededSample:
        return SeededSample.from_bytes(data, self.size, self.seed)


HOOKS = ExplainabilityHooks()
