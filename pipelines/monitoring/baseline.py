"""Baselining: one dataset (CSV or JSON Lines, local or S3, or a table) in, the four monitors' baseline files
out.

What SageMaker's baselining jobs write, laid out under one output folder::

    {output}/data-quality/statistics.json, constraints.json            (Model Monitor's analyzer)
    {output}/model-quality/statistics.json, constraints.json           (Model Monitor's analyzer)
    {output}/bias/analysis_config.json                                 (Clarify config)
    {output}/bias/pre_training_bias/analysis.json                      (Clarify data-bias job)
    {output}/bias/post_training_bias/analysis.json                     (Clarify model-bias job)
    {output}/explainability/analysis_config.json, analysis.json        (Clarify SHAP job)
    {output}/drift_check_baselines.json                                (DriftCheckBaselines)

``drift_check_baselines.json`` has the shape of ``CreateModelPackage``'s ``DriftCheckBaselines``
(https://docs.aws.amazon.com/sagemaker/latest/APIReference/API_DriftCheckBaselines.html), so with an S3
output it can be passed to ``create_model_package(DriftCheckBaselines=...)`` as it is.

Which monitors: those asked for (each must have its inputs), else every monitor whose inputs are given:
data quality always; model quality with a label and predictions (``model`` or a prediction column); bias
with a Clarify config or a facet, and a label; explainability with a model.

The model-quality baseline must come from held-out data: on the training data the model looks better than
it ever will on new data, and every execution then violates the suggested thresholds (which are the
baseline's own values, as SageMaker suggests them).

Both Clarify configs carry a ``predictor`` when one is given (``clarify_predictor``).

The engine knows no monitor by name: each monitor's hooks (``pipelines.monitoring.hooks``) say what it
needs (``missing_baseline_inputs``) and write its files (``make_baseline``); messages name options
(``pipelines.setting_names``), which the command line shows as its flags.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from typing import TYPE_CHECKING, Any

import polars as pl
from transaction_scoring.contract import PROBABILITY_THRESHOLD_PCT

from pipelines.monitoring.baseline_dataset import BaselineDataset, read_dataset
from pipelines.monitoring.baseline_warnings import dataset_warnings
from pipelines.monitoring.bias import BiasAnalysisConfig
from pipelines.monitoring.capture_reader import METADATA_COLUMNS
from pipelines.monitoring.clarify_predictor import predictor_problems
from pipelines.monitoring.data_quality.profile import METADATA_PREFIX
from pipelines.monitoring.dataset_reader import DatasetFormat, DatasetLayout
from pipelines.monitoring.explainability.monitor import DEFAULT_BACKGROUND_ROWS, records_predictor
from pipelines.monitoring.hooks import hooks_of
from pipelines.monitoring.model_quality import ProblemType, with_model_predictions
from pipelines.monitoring.tabular import column_problems
from pipelines.monitors import MONITORS, MonitorType
from pipelines.monitors.files import DRIFT_CHECK_BASELINES_FILE
from pipelines.setting_names import SettingsError, setting
from pipelines.storage import Storage, join_location

if TYPE_CHECKING:
    import pandas as pd

    from pipelines.monitoring.explainability import ProbabilityModel

log = logging.getLogger(__name__)

JSON_CONTENT_TYPE = "application/json"
DEFAULT_PROBABILITY_THRESHOLD_PCT = PROBABILITY_THRESHOLD_PCT


class BaselineInputError(SettingsError):
    """Baselining options that do not fit each other or the dataset."""


@dataclass(frozen=True, slots=True)
class BaselineOptions:
    """What to baseline and how (the ``baseline`` command's flags).

    ``probability_threshold`` is in the unit of the probabilities: a ``model`` answers 0..1 and its
    probabilities are written in percent like the endpoint's (so the default is the contract's 50).
    ``bias_config`` is Clarify's own ``analysis_config.json`` (parsed JSON); otherwise ``facet`` with
    ``facet_values`` (a categorical facet) or ``facet_threshold`` (a continuous one) builds it.
    """

    monitors: frozenset[MonitorType] | None = None  # None: every monitor whose inputs are given
    dataset_format: DatasetFormat | None = None  # None: by each file's suffix, else its content
    has_header: bool | None = None  # None: detect
    headers: tuple[str, ...] | None = None
    # JSON Lines in Clarify's layout: the path of each line's list of feature values (Clarify's
    # ``features``); ``label`` is then the path of the label (Clarify's ``label``).
    features_attribute: str | None = None
    label: str | None = None
    # Not model inputs (record keys, personal data): not profiled, and no feature of the bias flip test or
    # of explainability.
    exclude: tuple[str, ...] = ()
    # Profiled and checked, but their distribution is not compared with the baseline (e.g. the hour of day,
    # which in an hourly window is a single value by construction).
    no_drift_check: tuple[str, ...] = ()
    prediction_column: str | None = None
    probability_column: str | None = None
    problem_type: ProblemType = ProblemType.BINARY
    probability_threshold: float = DEFAULT_PROBABILITY_THRESHOLD_PCT
    model_quality_slack: float = 0.0
    label_values: tuple[str, ...] = ("1",)
    bias_config: Mapping[str, Any] | None = None
    bias_config_where: str = "bias analysis config"
    facet: str | None = None
    facet_values: tuple[str, ...] | None = None
    facet_threshold: int | float | None = None
    group_variable: str | None = None
    explain_features: tuple[str, ...] | None = None
    background_rows: int = DEFAULT_BACKGROUND_ROWS
    # Written into both Clarify configs (a bias config that has its own is kept as it is); None: none.
    predictor: Mapping[str, Any] | None = None
    predictor_where: str = "predictor"
    # Warnings about the dataset (``baseline_warnings``) become errors, before anything is written.
    strict: bool = False


@dataclass(frozen=True, slots=True)
class BaselineSet:
    """What ``make_baselines`` wrote."""

    drift_check_baselines: dict[str, Any]
    location: str  # drift_check_baselines.json
    rows: int
    written: Mapping[MonitorType, tuple[str, ...]] = field(default_factory=dict)
    skipped: Mapping[MonitorType, str] = field(default_factory=dict)
    warnings: tuple[str, ...] = ()  # what the dataset says that the files would not (``baseline_warnings``)

    @property
    def model_metrics(self) -> dict[str, Any]:
        """The same files as ``CreateModelPackage``'s ``ModelMetrics`` (the jobs' reports):
        https://docs.aws.amazon.com/sagemaker/latest/APIReference/API_ModelMetrics.html . The deployment
        script falls back to them for data and model quality when a package has no DriftCheckBaselines."""
        drift = self.drift_check_baselines
        metrics: dict[str, Any] = {
            section: dict(drift[section])
            for section in ("ModelQuality", "ModelDataQuality")
            if section in drift
        }
        bias = drift.get("Bias", {})
        reports = {
            report: bias[name]
            for report, name in (
                ("PreTrainingReport", "PreTrainingConstraints"),
                ("PostTrainingReport", "PostTrainingConstraints"),
            )
            if name in bias
        }
        if reports:
            metrics["Bias"] = reports
        if "Constraints" in drift.get("Explainability", {}):
            metrics["Explainability"] = {"Report": drift["Explainability"]["Constraints"]}
        return metrics


@dataclass
class BaselineRequest:
    """What one monitor's ``make_baseline`` works from; the typed table is made once, when first needed."""

    dataset: BaselineDataset
    options: BaselineOptions
    model: ProbabilityModel | None
    storage: Storage
    folder: str  # ``{output}/{baseline_folder}``
    not_inputs: tuple[str, ...]  # the label and the prediction columns: never model inputs
    scored_table: Callable[[], pl.DataFrame]

    def table(self) -> pl.DataFrame:
        """The dataset typed, with the model's predictions when a model is given."""
        return self.scored_table()


# -- the whole baseline --------------------------------------------------------------------------------------
def make_baselines(
    storage: Storage,
    dataset: str | pl.DataFrame | pd.DataFrame,
    output: str,
    options: BaselineOptions,
    model: ProbabilityModel | None = None,
) -> BaselineSet:
    """Baseline every selected monitor on ``dataset`` (a CSV file or folder, local or S3, or a table).

    Returns the ``DriftCheckBaselines`` document (also written to ``{output}/drift_check_baselines.json``)
    and what was written or skipped. ``model`` scores the dataset (probabilities 0..1, written in percent)
    for model quality and post-training bias, and is explained for the explainability baseline.
    """
    bias_file_config = (
        BiasAnalysisConfig.from_json(options.bias_config, where=options.bias_config_where)
        if options.bias_config is not None
        else None
    )
    layout = _layout(options, bias_file_config)
    if bias_file_config is not None and options.label is None:
        options = replace(options, label=bias_file_config.label_column)
    options = replace(options, label=layout.label_column(options.label))
    label = options.label
    monitors, skipped = _selected(options, model)
    _check_options(options, model, monitors)
    data = read_dataset(storage, dataset, layout)
    not_inputs = tuple(
        c for c in (label, options.prediction_column, options.probability_column) if c is not None
    )
    problems = column_problems(
        data.columns(),
        [
            (setting("label"), label),
            *((setting("exclude"), c) for c in options.exclude),
            *((setting("no_drift_check"), c) for c in options.no_drift_check),
            (setting("prediction_column"), options.prediction_column),
            (setting("probability_column"), options.probability_column),
            (setting("group_variable"), options.group_variable if options.bias_config is None else None),
            (setting("facet"), options.facet if options.bias_config is None else None),
            *((setting("explain_features"), c) for c in options.explain_features or ()),
        ],
        data.where,
    )
    problems += [
        f"{data.where}: column {name!r}: names starting with '{METADATA_PREFIX}' are reserved for the "
        f"monitors' own columns ({', '.join(METADATA_COLUMNS[:2])}, ...); rename it"
        for name in data.columns()
        if name.startswith(METADATA_PREFIX)
    ]
    if problems:
        raise BaselineInputError(problems)
    warnings = dataset_warnings(
        data.text_parts(), [c for c in data.columns() if c not in options.exclude], not_inputs
    )
    if warnings and options.strict:
        raise BaselineInputError([*warnings, f"(warnings are errors with {setting('strict')})"])
    needing_rows = [m.value for m in monitors if m is not MonitorType.DATA_QUALITY]
    if data.rows == 0 and needing_rows:
        # Data quality can still write its (empty) files; the others have nothing to compute from.
        raise BaselineInputError([*warnings, f"(the {', '.join(needing_rows)} baselines need rows)"])

    scored: list[pl.DataFrame] = []

    def scored_table() -> pl.DataFrame:
        if not scored:
            table = data.typed()
            _check_probability_column(table, options)
            if model is not None:
                probabilities = records_predictor(model)(table)
                table = with_model_predictions(table, probabilities, threshold=options.probability_threshold)
            scored.append(table)
        return scored[0]

    written: dict[MonitorType, Mapping[str, str]] = {}
    for monitor in monitors:
        definition = MONITORS[monitor]
        request = BaselineRequest(
            data,
            options,
            model,
            storage,
            join_location(output, definition.baseline_folder),
            not_inputs,
            scored_table,
        )
        written[monitor] = hooks_of(definition).make_baseline(request)

    drift = {MONITORS[monitor].drift_check_section: _sources(files) for monitor, files in written.items()}
    location = storage.write_json(join_location(output, DRIFT_CHECK_BASELINES_FILE), drift)
    for monitor, reason in skipped.items():
        log.info("%s baseline not made: %s", monitor.value, reason)
    rows = scored[0].height if scored else data.rows
    return BaselineSet(
        drift_check_baselines=drift,
        location=location,
        rows=rows,
        written={m: tuple(files.values()) for m, files in written.items()},
        skipped=skipped,
        warnings=tuple(warnings),
    )


def _layout(options: BaselineOptions, config: BiasAnalysisConfig | None) -> DatasetLayout:
    """How to read the dataset: the options, else what a Clarify config says of it (its ``headers``, and for
    JSON Lines its ``features`` and ``label`` paths)."""
    json_lines = config is not None and config.json_lines
    dataset_format = options.dataset_format or (DatasetFormat.JSON_LINES if json_lines else None)
    features = options.features_attribute or (config.features if config is not None else None)
    label_path = (
        config.label if config is not None and isinstance(config.label, str) and json_lines else options.label
    )
    return DatasetLayout(
        format=dataset_format,
        has_header=options.has_header,
        headers=options.headers or (config.headers if config is not None else None),
        features_attribute=features,
        label_attribute=label_path if features is not None else None,
    )


# -- choosing monitors ---------------------------------------------------------------------------------------
def _selected(
    options: BaselineOptions, model: ProbabilityModel | None
) -> tuple[list[MonitorType], dict[MonitorType, str]]:
    """The monitors to baseline: those asked for (each must have its inputs), else every one that has them."""
    missing = {
        monitor: reason
        for monitor in MONITORS
        if (reason := hooks_of(MONITORS[monitor]).missing_baseline_inputs(options, model)) is not None
    }
    if options.monitors is not None:
        problems = [reason for monitor, reason in missing.items() if monitor in options.monitors]
        if problems:
            raise BaselineInputError(problems)
        return [m for m in MONITORS if m in options.monitors], {}
    return [m for m in MONITORS if m not in missing], missing


def _check_options(
    options: BaselineOptions, model: ProbabilityModel | None, monitors: Sequence[MonitorType]
) -> None:
    problems: list[str] = []
    if model is not None and options.prediction_column is not None:
        problems.append(f"give {setting('model')} or {setting('prediction_column')}, not both")
    if options.probability_column is not None and model is not None:
        problems.append(f"give {setting('model')} or {setting('probability_column')}, not both")
    if (
        model is not None
        and options.problem_type is not ProblemType.BINARY
        and MonitorType.MODEL_QUALITY in monitors
    ):
        problems.append(
            f"{setting('model')} gives fraud probabilities (binary classification): for "
            f"{options.problem_type.value} give the predictions with {setting('prediction_column')}"
        )
    if options.facet_threshold is not None and options.facet_values is not None:
        problems.append(f"give {setting('facet_values')} or {setting('facet_threshold')}, not both")
    if options.background_rows < 1:
        problems.append(f"{setting('background_rows')} is {options.background_rows}: expected at least 1")
    if options.predictor is not None:
        problems += predictor_problems(options.predictor, options.predictor_where)
    if problems:
        raise BaselineInputError(problems)


def _check_probability_column(table: pl.DataFrame, options: BaselineOptions) -> None:
    """A 0..1 probability column with a percent threshold would make every prediction negative, silently."""
    column = options.probability_column
    if column is None or not table.schema[column].is_numeric():
        return
    highest = table.get_column(column).max()
    if highest is not None and float(highest) <= 1.0 < options.probability_threshold:  # type: ignore[arg-type]
        raise BaselineInputError(
            f"{setting('probability_column')} {column!r} holds probabilities on the 0..1 scale but "
            f"{setting('probability_threshold')} is {options.probability_threshold}: give it in the same "
            "unit (e.g. 0.5)"
        )


def _sources(files: Mapping[str, str]) -> dict[str, dict[str, str]]:
    """``{"Statistics": {"ContentType", "S3Uri"}, ...}``: DriftCheckBaselines' MetricsSource/FileSource."""
    return {key: {"ContentType": JSON_CONTENT_TYPE, "S3Uri": location} for key, location in files.items()}
