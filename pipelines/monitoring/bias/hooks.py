"""The bias monitor's hooks: what the baselining and run engines ask of it (``monitoring.hooks``)."""

from __future__ import annotations

import pickle
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
from pipelines.monitoring.capture_reader import POSITION, PREDICTED_LABEL, PREDICTED_PROBABILITY
from pipelines.monitoring.dataset_reader import csv_typed
from pipelines.monitoring.ground_truth_merge import GROUND_TRUTH_COLUMN
from pipelines.monitoring.hooks import BaselineDocuments, Computed, MonitorInputs
from pipelines.monitoring.partial_results import SeededSample, frame_from_bytes, frame_to_bytes
from pipelines.monitoring.tabular import require_columns
from pipelines.monitors import MONITORS, MonitorType
from pipelines.setting_names import SettingsError, setting

if TYPE_CHECKING:
    from pipelines.monitoring.baseline import BaselineOptions, BaselineRequest
    from pipelines.monitoring.explainability.model import ProbabilityModel
    from pipelines.monitoring.run_settings import RunSettings

DEFINITION = MONITORS[MonitorType.MODEL_BIAS]
# The flip test needs every record's features: it runs on a seeded sample of at most this many labelled
# records (all of them in a smaller window), the same records on every engine.
FLIP_TEST_SAMPLE = 100_000
COUNT = "__count"
FIRST = "__first"  # the position of the first record counted in a row (first-seen order of facet values)
POSITIVE = "__predicted_positive"  # probability > threshold (null without a probability)


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

    def partials(self, settings: RunSettings, baseline: BiasDriftBaseline) -> BiasPartials:
        config = _drift_config(baseline, settings)
        keys = [config.label_column, *(config.column(f.name_or_index) for f in config.facets)]
        if config.group_column is not None:
            keys.append(config.group_column)
        methods = config.methods[Stage.POST_TRAINING]
        wants_flip = methods == "all" or "FT" in methods
        assert config.probability_threshold is not None
        return BiasPartials(
            keys=tuple(dict.fromkeys(GROUND_TRUTH_COLUMN if k == config.label_column else k for k in keys)),
            threshold=float(config.probability_threshold),
            flip_sample=FLIP_TEST_SAMPLE if wants_flip else 0,
            seed=settings.seed,
        )

    def finish(self, inputs: MonitorInputs) -> Computed:
        inputs.require_labelled()
        settings = inputs.settings
        baseline: BiasDriftBaseline = inputs.baseline
        config = _drift_config(baseline, settings)
        counts: BiasCounts = inputs.partial
        table = self.partials(settings, baseline).counted(counts)
        flips = counts.sample.records() if counts.sample.frame.width else None
        keys = [c for c in table.columns if not c.startswith("__")]
        if counts.all_text:
            # CSV records (captured, or a CSV dataset) are all text: typed as Clarify's CSV reader types them
            # (the same decision on the distinct values counted as on every record)
            table = csv_typed(table, keys)
            if flips is not None:
                flips = csv_typed(flips, [c for c in flips.columns if not c.startswith("__")])
        has_probability = table.get_column(POSITIVE).null_count() < table.height
        predictions = (
            PredictionColumns(positive=POSITIVE)
            if has_probability
            else PredictionColumns(label=PREDICTED_LABEL)
        )
        result = evaluate_bias(
            table,
            config,
            baseline.constraints,
            predictions=predictions,
            # The record key identifies a record; it is no model input (the flip test would refuse it as
            # text).
            excluded_columns=[settings.record_id_field, *config.excluded_column_names],
            tolerance=settings.bias_tolerance,
            di_rule=settings.bias_di_rule,
            weight_column=COUNT,
            flip_table=flips,
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


def _drift_config(baseline: BiasDriftBaseline, settings: RunSettings) -> BiasAnalysisConfig:
    """The baseline's config as a drift execution uses it: post-training metrics only (Model Monitor's bias
    drift job computes no others) and the run's probability threshold."""
    config = baseline.config
    threshold = settings.probability_threshold
    if threshold is None:
        threshold = (
            config.probability_threshold
            if config.probability_threshold is not None
            else DEFINITION.probability_threshold_pct
        )
    return replace(
        config,
        methods={Stage.POST_TRAINING: config.methods.get(Stage.POST_TRAINING, "all")},
        probability_threshold=threshold,
    )


@dataclass
class BiasCounts:
    """The bias partial: records counted per distinct (label, facets, group variable, prediction), with the
    first position of each, the key columns seen, and the flip test's seeded sample."""

    table: pl.DataFrame
    sample: SeededSample
    columns: tuple[str, ...] = ()  # every column of the records, in first-seen order
    all_text: bool = True  # every feature of every record is text (CSV records)


@dataclass(frozen=True, slots=True)
class BiasPartials:
    keys: tuple[str, ...]  # the label (merged ground truth), facet and group variable columns
    threshold: float
    flip_sample: int
    seed: int

    def empty(self) -> BiasCounts:
        return BiasCounts(pl.DataFrame(), SeededSample(self.flip_sample, self.seed))

    def add(self, partial: BiasCounts, batch: pl.DataFrame) -> BiasCounts:
        probability = (
            pl.col(PREDICTED_PROBABILITY).cast(pl.Float64)
            if PREDICTED_PROBABILITY in batch.columns
            else pl.lit(None, dtype=pl.Float64)
        )
        prepared = batch.with_columns(
            (probability > self.threshold).alias(POSITIVE),
            *(pl.lit(None).alias(c) for c in (*self.keys, PREDICTED_LABEL) if c not in batch.columns),
        )
        counts = prepared.group_by(*self.keys, POSITIVE, PREDICTED_LABEL).agg(
            pl.len().cast(pl.Int64).alias(COUNT), pl.col(POSITION).min().alias(FIRST)
        )
        if self.flip_sample:
            partial.sample.add(prepared.filter(pl.col(GROUND_TRUTH_COLUMN).is_not_null()))
        features = [c for c in batch.columns if not c.startswith("__")]
        all_text = bool(features) and all(batch.schema[c] == pl.String for c in features)
        return self.merge(partial, BiasCounts(counts, partial.sample, tuple(batch.columns), all_text))

    def merge(self, first: BiasCounts, second: BiasCounts) -> BiasCounts:
        if second.sample is not first.sample:
            first.sample.merge(second.sample)
        tables = [t for t in (first.table, second.table) if t.width]
        table = (
            pl.concat(tables, how="diagonal_relaxed") if len(tables) > 1 else (tables or [pl.DataFrame()])[0]
        )
        if table.width:
            table = table.group_by(*self.keys, POSITIVE, PREDICTED_LABEL).agg(
                pl.col(COUNT).sum(), pl.col(FIRST).min()
            )
        columns = tuple(dict.fromkeys([*first.columns, *second.columns]))
        return BiasCounts(table, first.sample, columns, first.all_text and second.all_text)

    def counted(self, partial: BiasCounts) -> pl.DataFrame:
        """The counts in first-seen order; a key column no record had is a user error naming the records'
        columns, as the analysis of the records themselves reports it."""
        require_columns(
            pl.DataFrame(schema=dict.fromkeys(partial.columns, pl.Null)), self.keys, where="bias analysis"
        )
        return partial.table.sort(FIRST).drop(FIRST)

    def to_bytes(self, partial: BiasCounts) -> bytes:
        table = frame_to_bytes(partial.table) if partial.table.width else b""
        return pickle.dumps((table, partial.sample.to_bytes(), partial.columns, partial.all_text))

    def from_bytes(self, data: bytes) -> BiasCounts:
        table, sample, columns, all_text = pickle.loads(data)  # our own partials, between our processes
        return BiasCounts(
            frame_from_bytes(table) if table else pl.DataFrame(),
            SeededSample.from_bytes(sample, self.flip_sample, self.seed),
            tuple(columns),
            all_text,
        )


HOOKS = BiasHooks()
