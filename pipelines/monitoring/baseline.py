"""Baselining: one dataset (CSV, local or S3, or a table) in, the four monitors' baseline files out.

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

Both Clarify configs carry a ``predictor`` when one is given (``contract_predictor`` describes this
pipeline's endpoint): how SageMaker's Clarify calls a shadow endpoint of the model, which the check steps
need and the deployment script requires in the explainability config (it sets ``model_name`` per stage).
"""

from __future__ import annotations

import io
import logging
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from typing import TYPE_CHECKING, Any

import polars as pl
from transaction_scoring import contract

from pipelines.deploy.monitors import MonitorType
from pipelines.errors import UserError
from pipelines.monitoring.bias import BiasAnalysisConfig, PredictionColumns, Stage, suggest_bias_baseline
from pipelines.monitoring.bias.config import resolve_headers
from pipelines.monitoring.bias.facets import ColumnKind, column_kind
from pipelines.monitoring.capture_reader import PREDICTED_LABEL, PREDICTED_PROBABILITY
from pipelines.monitoring.data_quality import DatasetProfile, baseline_files
from pipelines.monitoring.data_quality.dataset import dataset_files, read_csv_text_table
from pipelines.monitoring.data_quality.types import Toggle
from pipelines.monitoring.explainability import (
    TreeContributionModel,
    baseline_config,
    suggest_explainability_baseline,
)
from pipelines.monitoring.explainability.monitor import DEFAULT_BACKGROUND_ROWS, records_predictor
from pipelines.monitoring.model_quality import (
    ModelQualityColumns,
    ModelQualityConfig,
    ProblemType,
    suggest_baseline,
    with_model_predictions,
)
from pipelines.monitoring.result_files import CONSTRAINTS, STATISTICS
from pipelines.monitoring.tabular import read_csv_table
from pipelines.storage import Storage, join_location

if TYPE_CHECKING:
    import pandas as pd

    from pipelines.monitoring.explainability import ProbabilityModel

log = logging.getLogger(__name__)

DRIFT_CHECK_BASELINES_FILE = "drift_check_baselines.json"
# Folder of each monitor's files below the output, and its DriftCheckBaselines section.
FOLDERS: Mapping[MonitorType, str] = {
    MonitorType.DATA_QUALITY: "data-quality",
    MonitorType.MODEL_QUALITY: "model-quality",
    MonitorType.MODEL_BIAS: "bias",
    MonitorType.MODEL_EXPLAINABILITY: "explainability",
}
SECTIONS: Mapping[MonitorType, str] = {
    MonitorType.DATA_QUALITY: "ModelDataQuality",
    MonitorType.MODEL_QUALITY: "ModelQuality",
    MonitorType.MODEL_BIAS: "Bias",
    MonitorType.MODEL_EXPLAINABILITY: "Explainability",
}
JSON_CONTENT_TYPE = "application/json"
DEFAULT_PROBABILITY_THRESHOLD_PCT = 50.0

# Clarify's ``predictor`` keys (https://docs.aws.amazon.com/sagemaker/latest/dg/
# clarify-processing-job-configure-analysis.html, "predictor"; ``accelerator_type``: the SDK's ModelConfig).
PREDICTOR_KEYS = frozenset(
    {
        "model_name",
        "endpoint_name",
        "endpoint_name_prefix",
        "initial_instance_count",
        "instance_type",
        "accelerator_type",
        "target_model",
        "custom_attributes",
        "content_type",
        "accept_type",
        "content_template",
        "record_template",
        "label",
        "label_headers",
        "probability",
        "time_series_predictor_config",
    }
)
# The registry's config is written before any stage runs the model; the deployment script replaces it with
# the model deployed on each stage (``pipelines.deploy.clarify.explainability_monitoring_config``).
PREDICTOR_MODEL_NAME_PLACEHOLDER = "set-per-stage-by-get_baselines_and_configs"
DEFAULT_PREDICTOR_INSTANCE_TYPE = "ml.m5.large"


def contract_predictor(
    *,
    model_name: str = PREDICTOR_MODEL_NAME_PLACEHOLDER,
    instance_type: str = DEFAULT_PREDICTOR_INSTANCE_TYPE,
    instance_count: int = 1,
) -> dict[str, Any]:
    """Clarify's ``predictor`` for this pipeline's endpoint contract.

    Requests are JSON lists of records keyed by column name (``content_template`` ``$records`` with
    ``record_template`` ``$features_kvp``); the response is ``[{"class": 0|1, "probability": pct}, ...]``,
    read with the JMESPaths ``[*].class`` and ``[*].probability`` (percent, like ``probability_threshold``).
    """
    return {
        "model_name": model_name,
        "instance_type": instance_type,
        "initial_instance_count": instance_count,
        "content_type": contract.CONTENT_TYPE,
        "accept_type": contract.ACCEPT,
        "content_template": "$records",
        "record_template": "$features_kvp",
        "label": f"[*].{contract.CLASS_FIELD}",
        "probability": f"[*].{contract.PROBABILITY_FIELD}",
    }


def predictor_problems(predictor: Any, where: str) -> list[str]:
    """Why Clarify would refuse ``predictor`` (unknown keys, a JSON content type without its templates)."""
    if not isinstance(predictor, Mapping):
        return [f"{where}: the predictor is {type(predictor).__name__}, expected a JSON object"]
    problems = [
        f"{where}: unknown predictor key {key!r}; Clarify's keys are {', '.join(sorted(PREDICTOR_KEYS))}"
        for key in sorted(set(predictor) - PREDICTOR_KEYS)
    ]
    content_type = predictor.get("content_type")
    templates: dict[str, tuple[str, ...]] = {
        "application/json": ("content_template", "record_template"),
        "application/jsonlines": ("content_template",),
    }
    for key in templates.get(str(content_type), ()):
        if not predictor.get(key):
            problems.append(f"{where}: content_type {content_type} needs a {key} (see Clarify's predictor)")
    return problems


class BaselineInputError(UserError):
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
    has_header: bool | None = None  # None: detect
    headers: tuple[str, ...] | None = None
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


@dataclass(frozen=True, slots=True)
class BaselineSet:
    """What ``make_baselines`` wrote."""

    drift_check_baselines: dict[str, Any]
    location: str  # drift_check_baselines.json
    rows: int
    written: Mapping[MonitorType, tuple[str, ...]] = field(default_factory=dict)
    skipped: Mapping[MonitorType, str] = field(default_factory=dict)

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


# -- reading the dataset -----------------------------------------------------------------------------------
class _ReadOnce(Storage):
    """``storage`` that downloads each file once: data quality reads it as text, the others typed."""

    def __init__(self, inner: Storage) -> None:
        super().__init__(None)
        self._inner = inner
        self._cache: dict[str, bytes] = {}

    def read_bytes(self, location: str) -> bytes:
        if location not in self._cache:
            self._cache[location] = self._inner.read_bytes(location)
        return self._cache[location]

    def exists(self, location: str) -> bool:
        return self._inner.exists(location)

    def list_files(self, location: str, suffix: str = "") -> list[str]:
        return self._inner.list_files(location, suffix)


class _Dataset:
    """The dataset as the analyzer reads it (text, for data quality) and typed (for the other monitors).

    Columns are named by the header row, else ``headers``, else ``_c0``, ``_c1``... like the analyzer; each
    view is parsed once, when first needed.
    """

    def __init__(
        self,
        files: Sequence[str],
        storage: Storage,
        has_header: bool | None,
        headers: tuple[str, ...] | None,
        frame: pl.DataFrame | None = None,
    ) -> None:
        self.files = tuple(files)
        self._storage = storage
        self._has_header = has_header
        self._headers = headers
        self._frame = frame
        self._text: list[pl.DataFrame] | None = None
        self._typed: pl.DataFrame | None = None

    @property
    def where(self) -> str:
        return ", ".join(self.files) if self.files else "the dataset"

    def _header_present(self, data: bytes) -> bool | None:
        """Like ``read_csv_table``: with ``headers``, the first row is a header when it repeats them."""
        if self._has_header is not None or self._headers is None:
            return self._has_header
        first = pl.read_csv(io.BytesIO(data), has_header=False, n_rows=1, infer_schema=False)
        cells = [(c or "").strip().lstrip("\ufeff").strip() for c in first.row(0)] if first.height else []
        return cells == list(self._headers)

    def text_tables(self) -> list[pl.DataFrame]:
        """Every file with all cells as text (the analyzer's view)."""
        if self._frame is not None:
            return [self._frame]
        if self._text is None:
            self._text = []
            for path in self.files:
                data = self._storage.read_bytes(path)
                table = read_csv_text_table(data, path, header=self._header_present(data))
                self._text.append(self._named(table, path))
        return self._text

    def typed(self) -> pl.DataFrame:
        """The whole dataset with inferred column types (integers stay integers, as Clarify needs)."""
        if self._frame is not None:
            return self._frame
        if self._typed is None:
            tables = [
                read_csv_table(self._storage, path, headers=self._headers, has_header=self._has_header)
                for path in self.files
            ]
            self._typed = pl.concat(tables, how="vertical_relaxed") if len(tables) > 1 else tables[0]
        return self._typed

    def _named(self, table: pl.DataFrame, path: str) -> pl.DataFrame:
        if self._headers is None:
            return table
        if len(self._headers) != table.width:
            raise BaselineInputError(
                f"{path}: {table.width} columns but {len(self._headers)} headers given "
                f"({', '.join(self._headers)})"
            )
        return table.rename(dict(zip(table.columns, self._headers, strict=True)))

    def columns(self) -> list[str]:
        return list(self.text_tables()[0].columns)

    @property
    def rows(self) -> int:
        return sum(t.height for t in self.text_tables())


def _dataset(
    storage: Storage,
    source: str | pl.DataFrame | pd.DataFrame,
    options: BaselineOptions,
    bias_config: BiasAnalysisConfig | None,
) -> _Dataset:
    headers = options.headers or (bias_config.headers if bias_config is not None else None)
    if isinstance(source, str):
        cached = _ReadOnce(storage)
        return _Dataset(dataset_files(cached, source), cached, options.has_header, headers)
    frame = source if isinstance(source, pl.DataFrame) else pl.from_pandas(source)
    return _Dataset((), storage, True, None, frame=frame)


# -- choosing monitors -------------------------------------------------------------------------------------
def _missing_inputs(options: BaselineOptions, model: ProbabilityModel | None) -> dict[MonitorType, str]:
    """Why each monitor cannot be baselined with these options (absent: it can)."""
    has_predictions = any(
        p is not None for p in (model, options.prediction_column, options.probability_column)
    )
    has_label = options.label is not None or options.bias_config is not None
    missing: dict[MonitorType, str] = {}
    if options.label is None or not has_predictions:
        needs = [
            *(["--label"] if options.label is None else []),
            *(["--model, --prediction-column or --probability-column"] if not has_predictions else []),
        ]
        missing[MonitorType.MODEL_QUALITY] = f"model quality needs {' and '.join(needs)}"
    if options.bias_config is None and options.facet is None:
        missing[MonitorType.MODEL_BIAS] = "bias needs --bias-config, or --facet and --label"
    elif not has_label:
        missing[MonitorType.MODEL_BIAS] = "bias needs --label (or a --bias-config naming the label)"
    if model is None:
        missing[MonitorType.MODEL_EXPLAINABILITY] = "explainability needs --model"
    return missing


def _selected(
    options: BaselineOptions, model: ProbabilityModel | None
) -> tuple[list[MonitorType], dict[MonitorType, str]]:
    missing = _missing_inputs(options, model)
    if options.monitors is not None:
        problems = [reason for monitor, reason in missing.items() if monitor in options.monitors]
        if problems:
            raise BaselineInputError(problems)
        return [m for m in MonitorType if m in options.monitors], {}
    return [m for m in MonitorType if m not in missing], missing


def _column_problems(
    columns: Sequence[str], wanted: Sequence[tuple[str, str | None]], where: str
) -> list[str]:
    available = ", ".join(columns)
    return [
        f"{flag} {name!r}: no such column in {where}; it has: {available}"
        for flag, name in wanted
        if name is not None and name not in columns
    ]


# -- per monitor -------------------------------------------------------------------------------------------
def _data_quality(
    dataset: _Dataset, excluded: set[str], no_drift_check: Sequence[str], storage: Storage, output: str
) -> dict[str, str]:
    """The analyzer's statistics and suggested constraints of every column but ``excluded``."""
    profile = DatasetProfile()
    for table in dataset.text_tables():
        columns = [c for c in table.columns if c not in excluded and not c.startswith("__")]
        profile.update(table, columns)
    files = baseline_files(profile)
    folder = join_location(output, FOLDERS[MonitorType.DATA_QUALITY])
    constraints = without_drift_check(files.constraints, no_drift_check)
    return {
        "Statistics": storage.write_json(join_location(folder, STATISTICS), files.statistics),
        "Constraints": storage.write_json(join_location(folder, CONSTRAINTS), constraints),
    }


def without_drift_check(constraints: Mapping[str, Any], features: Sequence[str]) -> dict[str, Any]:
    """``constraints`` with the distribution comparison of ``features`` switched off, through the per-feature
    ``monitoringConfigOverrides`` of Model Monitor's constraints.json
    (https://docs.aws.amazon.com/sagemaker/latest/dg/model-monitor-byoc-constraints.html)."""
    switched_off = set(features)
    entries = []
    for entry in constraints["features"]:
        if entry["name"] in switched_off:
            overrides = dict(entry.get("monitoringConfigOverrides", {}))
            distribution = {
                **overrides.get("distribution_constraints", {}),
                "perform_comparison": Toggle.DISABLED.value,
            }
            entry = {
                **entry,
                "monitoringConfigOverrides": {**overrides, "distribution_constraints": distribution},
            }
        entries.append(entry)
    return {**constraints, "features": entries}


def _bias_config(
    options: BaselineOptions, table: pl.DataFrame | None, predictions: PredictionColumns | None
) -> BiasAnalysisConfig:
    """Clarify's config from ``--bias-config``, or built from the facet flags (``table`` decides types)."""
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


def _bias_problems(
    config: BiasAnalysisConfig,
    options: BaselineOptions,
    table: pl.DataFrame,
    predictions: PredictionColumns | None,
) -> list[str]:
    problems: list[str] = []
    if options.label is not None and config.label_column != options.label:
        problems.append(
            f"--label {options.label!r} and the bias config's label {config.label_column!r} differ: give one"
        )
    if config.stage_methods(Stage.POST_TRAINING) is not None and predictions is None:
        problems.append(
            f"{options.bias_config_where}: post_training_bias needs predictions: give --model, "
            "--prediction-column or the config's predicted_label (or leave post_training_bias out of methods)"
        )
    columns = [config.label_column, *(config.column(f.name_or_index) for f in config.facets)]
    if config.group_column is not None:
        columns.append(config.group_column)
    if config.predicted_label_column is not None:
        columns.append(config.predicted_label_column)
    columns += config.excluded_column_names
    problems += _column_problems(table.columns, [("bias column", c) for c in columns], "the dataset")
    if options.facet is not None and options.facet in table.columns and options.bias_config is None:
        kind = column_kind(
            table.get_column(options.facet),
            None if options.facet_threshold is None else [options.facet_threshold],
        )
        series = table.get_column(options.facet)
        described = f"{series.n_unique()} distinct values in {series.len()} rows"
        if options.facet_threshold is not None and kind is ColumnKind.CATEGORICAL:
            problems.append(
                f"--facet-threshold: facet {options.facet!r} has {described}, so Clarify treats it as "
                "categorical and would read the threshold as a value; use --facet-values"
            )
        if options.facet_values is not None and len(options.facet_values) == 1:
            single = column_kind(series, [_value(options.facet_values[0])])
            if single is ColumnKind.CONTINUOUS:
                problems.append(
                    f"--facet-values: facet {options.facet!r} has {described}, so Clarify treats it as "
                    "continuous and would read the value as a threshold; use --facet-threshold"
                )
    threshold = config.probability_threshold
    in_percent = predictions is not None and predictions.probability == PREDICTED_PROBABILITY
    if in_percent and threshold is not None and threshold <= 1.0:
        problems.append(
            f"{options.bias_config_where}: probability_threshold {threshold} is on the 0..1 scale, but "
            "the model's probabilities are written in percent (0..100), like the endpoint's"
        )
    return problems


# -- the whole baseline ------------------------------------------------------------------------------------
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
    if bias_file_config is not None and options.label is None:
        options = replace(options, label=bias_file_config.label_column)
    label = options.label
    monitors, skipped = _selected(options, model)
    _check_flags(options, model, monitors)
    data = _dataset(storage, dataset, options, bias_file_config)
    not_inputs = [c for c in (label, options.prediction_column, options.probability_column) if c is not None]
    problems = _column_problems(
        data.columns(),
        [
            ("--label", label),
            *(("--exclude", c) for c in options.exclude),
            *(("--no-drift-check", c) for c in options.no_drift_check),
            ("--prediction-column", options.prediction_column),
            ("--probability-column", options.probability_column),
            ("--group-variable", options.group_variable if options.bias_config is None else None),
            ("--facet", options.facet if options.bias_config is None else None),
            *(("--explain-features", c) for c in options.explain_features or ()),
        ],
        data.where,
    )
    if problems:
        raise BaselineInputError(problems)

    written: dict[MonitorType, dict[str, str]] = {}
    if MonitorType.DATA_QUALITY in monitors:
        # The label and the model's outputs are not in the requests the endpoint receives.
        written[MonitorType.DATA_QUALITY] = _data_quality(
            data, {*options.exclude, *not_inputs}, options.no_drift_check, storage, output
        )

    table: pl.DataFrame | None = None
    if any(m is not MonitorType.DATA_QUALITY for m in monitors):
        table = data.typed()
        _check_probability_column(table, options)
        if model is not None:
            probabilities = records_predictor(model)(table)
            table = with_model_predictions(table, probabilities, threshold=options.probability_threshold)
    if MonitorType.MODEL_QUALITY in monitors:
        assert table is not None
        written[MonitorType.MODEL_QUALITY] = _model_quality(table, options, model, storage, output)
    if MonitorType.MODEL_BIAS in monitors:
        assert table is not None
        written[MonitorType.MODEL_BIAS] = _bias(table, options, model, storage, output)
    if MonitorType.MODEL_EXPLAINABILITY in monitors:
        assert table is not None
        assert model is not None
        written[MonitorType.MODEL_EXPLAINABILITY] = _explainability(
            table, options, [*not_inputs, *options.exclude], model, storage, output
        )

    drift = {SECTIONS[monitor]: _sources(files) for monitor, files in written.items()}
    location = storage.write_json(join_location(output, DRIFT_CHECK_BASELINES_FILE), drift)
    for monitor, reason in skipped.items():
        log.info("%s baseline not made: %s", monitor.value, reason)
    rows = table.height if table is not None else data.rows
    return BaselineSet(
        drift_check_baselines=drift,
        location=location,
        rows=rows,
        written={m: tuple(files.values()) for m, files in written.items()},
        skipped=skipped,
    )


def _check_flags(
    options: BaselineOptions, model: ProbabilityModel | None, monitors: Sequence[MonitorType]
) -> None:
    problems: list[str] = []
    if model is not None and options.prediction_column is not None:
        problems.append("give --model or --prediction-column, not both")
    if options.probability_column is not None and model is not None:
        problems.append("give --model or --probability-column, not both")
    if (
        model is not None
        and options.problem_type is not ProblemType.BINARY
        and MonitorType.MODEL_QUALITY in monitors
    ):
        problems.append(
            f"--model gives fraud probabilities (binary classification): for {options.problem_type.value} "
            "give the predictions with --prediction-column"
        )
    if options.facet_threshold is not None and options.facet_values is not None:
        problems.append("give --facet-values or --facet-threshold, not both")
    if options.background_rows < 1:
        problems.append(f"--background-rows is {options.background_rows}: expected at least 1")
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
            f"--probability-column {column!r} holds probabilities on the 0..1 scale but "
            f"--probability-threshold is {options.probability_threshold}: give it in the same unit (e.g. 0.5)"
        )


def _model_quality(
    table: pl.DataFrame,
    options: BaselineOptions,
    model: ProbabilityModel | None,
    storage: Storage,
    output: str,
) -> dict[str, str]:
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
    baseline = suggest_baseline(table, columns, config, slack=options.model_quality_slack)
    statistics, constraints = baseline.write(
        storage, join_location(output, FOLDERS[MonitorType.MODEL_QUALITY])
    )
    return {"Statistics": statistics, "Constraints": constraints}


def _bias(
    table: pl.DataFrame,
    options: BaselineOptions,
    model: ProbabilityModel | None,
    storage: Storage,
    output: str,
) -> dict[str, str]:
    predictions = _bias_predictions(options, model)
    config = _bias_config(options, table, predictions)
    problems = []
    if config.predicted_label_column is not None:
        if predictions is not None:
            problems.append(
                f"{options.bias_config_where}: predicted_label {config.predicted_label!r} and --model / "
                "--prediction-column / --probability-column both give the predictions: give one"
            )
        else:
            predictions = PredictionColumns(label=config.predicted_label_column)
    problems += _bias_problems(config, options, table, predictions)
    if problems:
        raise BaselineInputError(problems)
    if (
        predictions is not None
        and predictions.probability is not None
        and config.probability_threshold is None
    ):
        config = replace(config, probability_threshold=options.probability_threshold)
    baseline = suggest_bias_baseline(
        table, config, predictions, excluded_columns=[*options.exclude, *config.excluded_column_names]
    )
    return baseline.write(storage, join_location(output, FOLDERS[MonitorType.MODEL_BIAS]))


def _explainability(
    table: pl.DataFrame,
    options: BaselineOptions,
    not_inputs: Sequence[str],
    model: ProbabilityModel,
    storage: Storage,
    output: str,
) -> dict[str, str]:
    """SHAP baseline; by default a tree model explains its own inputs, any other model every input column."""
    inputs = table.select(c for c in table.columns if not c.startswith("__"))
    features: list[str] | None = list(options.explain_features) if options.explain_features else None
    if features is None and not isinstance(model, TreeContributionModel):
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
    return baseline.write(storage, join_location(output, FOLDERS[MonitorType.MODEL_EXPLAINABILITY]))


def _bias_predictions(options: BaselineOptions, model: ProbabilityModel | None) -> PredictionColumns | None:
    if model is not None:
        # Both columns, so neither is taken for a feature; the probability decides (with the threshold).
        return PredictionColumns(probability=PREDICTED_PROBABILITY, label=PREDICTED_LABEL)
    if options.probability_column is not None:
        return PredictionColumns(probability=options.probability_column)
    if options.prediction_column is not None:
        return PredictionColumns(label=options.prediction_column)
    return None


def _sources(files: Mapping[str, str]) -> dict[str, dict[str, str]]:
    """``{"Statistics": {"ContentType", "S3Uri"}, ...}``: DriftCheckBaselines' MetricsSource/FileSource."""
    return {key: {"ContentType": JSON_CONTENT_TYPE, "S3Uri": location} for key, location in files.items()}
