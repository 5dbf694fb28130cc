"""One monitoring execution: an endpoint's data capture for one window, checked by each monitor.

What happens, in order (nothing is computed until everything that can be checked up front was checked):

1. Choose the monitors: the ones asked for (each must have its inputs, or it is a user error), else every
   selected monitor that has its inputs; one without them is ``Skipped``, with the reason.
2. Read and validate every baseline file (all problems reported at once).
3. Read the data capture: the execution window for data quality and explainability; for model quality and
   bias the window moved by ``StartTimeOffset``/``EndTimeOffset``, merged with ground truth
   (``ground_truth_merge``). A window is read once, whatever the number of monitors that use it; data
   quality profiles it batch by batch (memory bounded by features), explainability keeps a seeded uniform
   sample of at most ``explain_max_records`` records.
4. Run each monitor and write its files where Model Monitor writes them:
   ``{output}/{endpoint}/{endpoint}-{MonitoringType}/yyyy/mm/dd/hh/`` where the hour is the execution's
   scheduled time, i.e. the end of the execution window (an hourly execution at 14:00 analyses 13:00-14:00
   and writes to ``.../14/``), plus ``summary.json``.

Statuses follow Model Monitor's executions: ``Completed``, ``CompletedWithViolations``, ``Failed`` (no data
in the window, as Model Monitor fails with "Job inputs had no data",
https://github.com/aws/sagemaker-python-sdk/issues/2634, or an input the monitor cannot use), and our
``Skipped``. A monitor that fails because of a user error (e.g. a facet column that is not in the captured
records) does not stop the others; the command reports it after the run.

The record key (``Transaction ID`` by default) identifies records for the ground-truth merge; it is not a
feature, so data quality leaves it out unless the baseline constraints list it (Model Monitor's analyzer
only sees what the record preprocessor passes on, which is the model's features).
"""

from __future__ import annotations

import logging
import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta
from typing import Any

import numpy as np
import polars as pl
from transaction_scoring.contract import PROBABILITY_THRESHOLD_PCT, TRANSACTION_ID

from pipelines.deploy.monitors import ENABLED, MONITORS, BaselineFile, MonitorType
from pipelines.deploy.stage_config import GROUND_TRUTH_INPUT
from pipelines.errors import UserError
from pipelines.monitoring.baseline import DRIFT_CHECK_BASELINES_FILE, FOLDERS, SECTIONS
from pipelines.monitoring.bias import (
    BiasAnalysisConfig,
    DisparateImpactRule,
    PredictionColumns,
    Stage,
    evaluate_bias,
)
from pipelines.monitoring.capture_reader import (
    PREDICTED_LABEL,
    PREDICTED_PROBABILITY,
    CaptureReader,
    CaptureReadReport,
    ResponseFields,
    capture_files,
)
from pipelines.monitoring.data_quality import (
    DatasetProfile,
    check_data_quality,
    read_constraints,
    read_statistics,
)
from pipelines.monitoring.explainability import ExplainabilityAnalysisConfig, evaluate_explainability
from pipelines.monitoring.explainability.attribution import global_values_by_label
from pipelines.monitoring.explainability.model import ProbabilityModel
from pipelines.monitoring.ground_truth_merge import (
    GROUND_TRUTH_COLUMN,
    GroundTruthLabels,
    MergeReport,
    capture_window,
    ground_truth_window,
    merge_ground_truth,
    read_ground_truth,
)
from pipelines.monitoring.model_quality import ModelQualityColumns, ModelQualityConfig, ProblemType, evaluate
from pipelines.monitoring.model_quality.constraints import ConstraintsError, problem_type_of
from pipelines.monitoring.report.discovery import split_location
from pipelines.monitoring.result_files import ANALYSIS, ANALYSIS_CONFIG, CONSTRAINTS, STATISTICS, VIOLATIONS
from pipelines.monitoring.summary import (
    COMPLETED,
    COMPLETED_WITH_VIOLATIONS,
    FAILED,
    MAX_INPUT_PROBLEMS,
    SKIPPED,
    ExecutionSummary,
    execution_folder,
)
from pipelines.storage import Storage, join_location
from pipelines.timewindow import TimeWindow, parse_duration, utc_now

log = logging.getLogger(__name__)

# Kernel SHAP costs (samples x background rows) predictions per record: explain a seeded sample by default.
DEFAULT_EXPLAIN_MAX_RECORDS = 1000
NO_DATA = "Job inputs had no data"


class RunInputError(UserError):
    """Run options or baseline files that cannot be used."""


# -- where the baselines are -------------------------------------------------------------------------------
@dataclass(frozen=True, slots=True)
class BaselineFiles:
    """One monitor's baseline files (local paths or S3 URIs)."""

    statistics: str | None = None
    constraints: str | None = None
    config: str | None = None

    def merged_with(self, other: BaselineFiles) -> BaselineFiles:
        """These files, with ``other``'s where these have none."""
        return BaselineFiles(
            self.statistics or other.statistics,
            self.constraints or other.constraints,
            self.config or other.config,
        )

    def as_summary(self) -> dict[str, str]:
        named = {"statistics": self.statistics, "constraints": self.constraints, "config": self.config}
        return {key: value for key, value in named.items() if value}


# The files of the ``baseline`` command's layout each monitor runs with (bias drift: the post-training one).
BASELINE_LAYOUT: Mapping[MonitorType, Mapping[str, tuple[str, ...]]] = {
    MonitorType.DATA_QUALITY: {"statistics": (STATISTICS,), "constraints": (CONSTRAINTS,)},
    MonitorType.MODEL_QUALITY: {"constraints": (CONSTRAINTS,)},
    MonitorType.MODEL_BIAS: {
        "config": (ANALYSIS_CONFIG,),
        "constraints": (Stage.POST_TRAINING.value, ANALYSIS),
    },
    MonitorType.MODEL_EXPLAINABILITY: {"config": (ANALYSIS_CONFIG,), "constraints": (ANALYSIS,)},
}


def baseline_folder_files(storage: Storage, folder: str) -> dict[MonitorType, BaselineFiles]:
    """The files of ``baseline``'s output layout that exist below ``folder`` (local or S3)."""
    found: dict[MonitorType, BaselineFiles] = {}
    for monitor, layout in BASELINE_LAYOUT.items():
        files = {}
        for key, parts in layout.items():
            location = join_location(folder, FOLDERS[monitor], *parts)
            if storage.exists(location):
                files[key] = location
        found[monitor] = BaselineFiles(**files)
    return found


# Where each file a monitor runs with sits in the Model Registry's DriftCheckBaselines.
DRIFT_CHECK_KEYS: Mapping[MonitorType, Mapping[str, str]] = {
    MonitorType.DATA_QUALITY: {"statistics": "Statistics", "constraints": "Constraints"},
    MonitorType.MODEL_QUALITY: {"constraints": "Constraints"},
    MonitorType.MODEL_BIAS: {"config": "ConfigFile", "constraints": "PostTrainingConstraints"},
    MonitorType.MODEL_EXPLAINABILITY: {"config": "ConfigFile", "constraints": "Constraints"},
}


def drift_check_baseline_files(document: Any, *, where: str) -> dict[MonitorType, BaselineFiles]:
    """The files a ``DriftCheckBaselines`` document names (``drift_check_baselines.json``, or a model
    package's ``DriftCheckBaselines`` from ``describe_model_package``), whatever their layout."""
    if not isinstance(document, dict):
        raise RunInputError(f"{where}: expected a DriftCheckBaselines JSON object")
    problems: list[str] = []
    found: dict[MonitorType, BaselineFiles] = {}
    for monitor, keys in DRIFT_CHECK_KEYS.items():
        section = document.get(SECTIONS[monitor]) or {}
        files = {}
        for key, name in keys.items():
            source = section.get(name) if isinstance(section, dict) else None
            if source is None:
                continue
            uri = source.get("S3Uri") if isinstance(source, dict) else None
            if not isinstance(uri, str) or not uri:
                problems.append(f"{where}: {SECTIONS[monitor]}.{name} has no S3Uri")
                continue
            files[key] = uri
        found[monitor] = BaselineFiles(**files)
    if problems:
        raise RunInputError(problems)
    return found


def baseline_files_at(storage: Storage, location: str) -> dict[MonitorType, BaselineFiles]:
    """``--baseline``: a folder in ``baseline``'s layout, else its ``drift_check_baselines.json``, or a
    DriftCheckBaselines JSON file itself.

    The layout wins over the folder's ``drift_check_baselines.json``, which names the files where they were
    first written (a folder copied to S3 still names the local paths).
    """
    if storage.exists(location):
        return drift_check_baseline_files(storage.read_json(location), where=location)
    in_layout = baseline_folder_files(storage, location)
    if any(files.as_summary() for files in in_layout.values()):
        return in_layout
    registry = join_location(location, DRIFT_CHECK_BASELINES_FILE)
    if storage.exists(registry):
        return drift_check_baseline_files(storage.read_json(registry), where=registry)
    return in_layout


# -- a stage export ----------------------------------------------------------------------------------------
_ATTRIBUTE = re.compile(r"^(?:\$\.?)?(?:\[\d+\]\.?)?(?P<name>[^.\[\]]+)$")


@dataclass(frozen=True, slots=True)
class StageExport:
    """What a stage's export (``get_baselines_and_configs.py``) deploys, as the run's settings read it.

    The export is ``{"Parameters": {...}, "Tags": {...}}`` with the monitoring template's parameters; an
    empty value means "not set", as in the template.
    """

    parameters: Mapping[str, str]
    where: str

    @classmethod
    def from_json(cls, document: Any, *, where: str) -> StageExport:
        parameters = document.get("Parameters") if isinstance(document, dict) else None
        if not isinstance(parameters, dict):
            raise RunInputError(
                f"{where}: no 'Parameters' object: expected a stage export written by "
                "get_baselines_and_configs.py"
            )
        bad = [k for k, v in parameters.items() if not isinstance(v, str)]
        if bad:
            raise RunInputError(
                [f"{where}: Parameters.{k} is {parameters[k]!r}, expected a string" for k in bad]
            )
        return cls(parameters=dict(parameters), where=where)

    def value(self, name: str) -> str | None:
        value = self.parameters.get(name, "").strip()
        return value or None

    @property
    def endpoint(self) -> str | None:
        return self.value("EndpointName")

    def enabled(self, monitor: MonitorType) -> bool:
        return self.value(MONITORS[monitor].enable_parameter) == ENABLED

    def baseline(self, monitor: MonitorType) -> BaselineFiles:
        spec = MONITORS[monitor]

        def file(kind: BaselineFile) -> str | None:
            return self.value(spec.baseline_parameter(kind)) if kind in spec.baseline_files else None

        return BaselineFiles(
            file(BaselineFile.STATISTICS), file(BaselineFile.CONSTRAINTS), file(BaselineFile.CONFIG)
        )

    def output(self, monitor: MonitorType) -> str | None:
        return self.value(MONITORS[monitor].output_parameter)

    @property
    def ground_truth(self) -> str | None:
        return self.value(GROUND_TRUTH_INPUT)

    def offset(self, name: str) -> timedelta | None:
        """GroundTruthStartTimeOffset / GroundTruthEndTimeOffset as a duration (None when not set)."""
        text = self.value(name)
        return None if text is None else parse_duration(text, what=f"{self.where}: {name}")

    @property
    def problem_type(self) -> ProblemType | None:
        text = self.value("ProblemType")
        return None if text is None else ProblemType.parse(text)

    @property
    def probability_threshold(self) -> float | None:
        text = self.value("ProbabilityThresholdAttribute")
        if text is None:
            return None
        try:
            return float(text)
        except ValueError:
            raise RunInputError(
                f"{self.where}: ProbabilityThresholdAttribute is {text!r}, expected a number"
            ) from None

    @property
    def response_fields(self) -> ResponseFields:
        defaults = ResponseFields()
        label = attribute_name(self.value("InferenceAttribute"), what=f"{self.where}: InferenceAttribute")
        probability = attribute_name(
            self.value("ProbabilityAttribute"), what=f"{self.where}: ProbabilityAttribute"
        )
        return ResponseFields(label or defaults.label, probability or defaults.probability)


def attribute_name(text: str | None, *, what: str) -> str | None:
    """The field name of Model Monitor's Inference/ProbabilityAttribute (``[0].class`` -> ``class``).

    Each record's prediction is one JSON object (or a CSV line, where positions are used): a bare field name,
    optionally after ``$.`` or ``[index].``, is what the capture reader can follow; a position (``0``) means
    the default fields. None when ``text`` is.
    """
    if text is None or text.isdigit():
        return None
    match = _ATTRIBUTE.match(text.strip())
    if match is None:
        raise RunInputError(
            f"{what} {text!r}: only a field of each prediction object is supported, e.g. '[0].probability' "
            "or 'probability'"
        )
    return match.group("name")


# -- settings ----------------------------------------------------------------------------------------------
@dataclass(frozen=True, slots=True)
class RunSettings:
    """Everything one execution needs (the ``run`` command's flags, or a stage export, resolved)."""

    endpoint: str
    capture_root: str
    outputs: Mapping[MonitorType, str]  # output root of each monitor (Model Monitor's MonitoringOutputS3Uri)
    window: TimeWindow  # the execution window; its end is the scheduled time
    monitors: tuple[MonitorType, ...] = tuple(MonitorType)
    explicit: bool = False  # the monitors were asked for by name: missing inputs are errors
    baselines: Mapping[MonitorType, BaselineFiles] = field(default_factory=dict)
    ground_truth: str | None = None
    start_offset: timedelta | None = None
    end_offset: timedelta | None = None
    problem_type: ProblemType | None = None  # None: the model-quality constraints' problem type
    probability_threshold: float | None = None  # None: the bias config's, else the contract's 50 (percent)
    response_fields: ResponseFields = field(default_factory=ResponseFields)
    record_id_field: str = TRANSACTION_ID
    # With a variant only the window's hour folders are listed; without, the endpoint's whole capture prefix.
    variant: str | None = None
    explain_max_records: int | None = DEFAULT_EXPLAIN_MAX_RECORDS
    bias_tolerance: float = 0.0
    bias_di_rule: DisparateImpactRule = DisparateImpactRule.DISTANCE_FROM_ZERO
    seed: int = 0
    disabled: Mapping[MonitorType, str] = field(default_factory=dict)  # not selected, and why

    @property
    def scheduled_time(self) -> datetime:
        return self.window.end


@dataclass(frozen=True, slots=True)
class Explainer:
    """The model the explainability monitor explains, loaded only when that monitor runs."""

    description: str
    load: Callable[[], ProbabilityModel]


# -- results -----------------------------------------------------------------------------------------------
@dataclass(frozen=True, slots=True)
class MonitorOutcome:
    summary: ExecutionSummary
    folder: str
    error: UserError | None = None  # the user error that made it fail


@dataclass(frozen=True, slots=True)
class ExecutionResult:
    settings: RunSettings
    outcomes: tuple[MonitorOutcome, ...]

    @property
    def has_violations(self) -> bool:
        return any(o.summary.has_violations for o in self.outcomes)

    @property
    def failed(self) -> bool:
        return any(o.summary.status is FAILED for o in self.outcomes)

    @property
    def user_errors(self) -> list[str]:
        return [
            f"{o.summary.monitor.value}: {line}"
            for o in self.outcomes
            if o.error is not None
            for line in o.error.problems
        ]

    @property
    def exit_code(self) -> int:
        """1 with violations or a failed monitor (what Model Monitor's alerts fire on), else 0."""
        return 1 if self.has_violations or self.failed else 0


# -- choosing and loading ----------------------------------------------------------------------------------
# The ``run`` flag giving each baseline file (named in reasons; the CLI defines the flags from here).
BASELINE_FLAGS: Mapping[MonitorType, Mapping[str, str]] = {
    MonitorType.DATA_QUALITY: {
        "statistics": "--data-quality-statistics",
        "constraints": "--data-quality-constraints",
    },
    MonitorType.MODEL_QUALITY: {"constraints": "--model-quality-constraints"},
    MonitorType.MODEL_BIAS: {"config": "--bias-config", "constraints": "--bias-constraints"},
    MonitorType.MODEL_EXPLAINABILITY: {
        "config": "--explainability-config",
        "constraints": "--explainability-constraints",
    },
}
_NEEDS_GROUND_TRUTH = (MonitorType.MODEL_QUALITY, MonitorType.MODEL_BIAS)


def missing_inputs(monitor: MonitorType, settings: RunSettings, explainer: Explainer | None) -> str | None:
    """Why ``monitor`` cannot run with these settings (None: it can)."""
    files = settings.baselines.get(monitor, BaselineFiles())
    absent = [flag for key, flag in BASELINE_FLAGS[monitor].items() if not getattr(files, key)]
    needs = []
    if absent:
        needs.append(f"its baseline ({', '.join(absent)}, or --baseline DIR holding them)")
    if monitor in _NEEDS_GROUND_TRUTH and settings.ground_truth is None:
        needs.append("ground truth (--ground-truth, Model Monitor's GroundTruthInput)")
    if monitor is MonitorType.MODEL_EXPLAINABILITY and explainer is None:
        needs.append("a model to explain (--model or --explain-endpoint)")
    return f"needs {' and '.join(needs)}" if needs else None


@dataclass(frozen=True, slots=True)
class _Baseline:
    """One monitor's parsed baseline documents."""

    files: BaselineFiles
    statistics: Any = None
    constraints: Any = None
    config: Any = None


def _read_json(storage: Storage, location: str | None, problems: list[str]) -> Any:
    if location is None:
        return None
    try:
        return storage.read_json(location)
    except UserError as error:
        problems.extend(error.problems)
        return None


def _load_baseline(
    storage: Storage, monitor: MonitorType, files: BaselineFiles, problems: list[str]
) -> _Baseline:
    """Read and validate one monitor's baseline files; problems are appended, one line each."""
    found: list[str] = []
    statistics = _read_json(storage, files.statistics, found)
    constraints = _read_json(storage, files.constraints, found)
    raw_config = _read_json(storage, files.config, found)
    config: Any = None
    try:
        if monitor is MonitorType.DATA_QUALITY and not found:
            read_statistics(statistics, where=str(files.statistics))
            read_constraints(constraints, where=str(files.constraints))
        elif monitor is MonitorType.MODEL_QUALITY and not found:
            if not isinstance(constraints, dict):
                raise RunInputError(f"{files.constraints}: expected a model-quality constraints.json object")
            problem_type_of(constraints, suffix="constraints", where=str(files.constraints))
        elif monitor is MonitorType.MODEL_BIAS and not found:
            config = BiasAnalysisConfig.from_json(raw_config, where=str(files.config))
            if not isinstance(constraints, dict) or not isinstance(
                constraints.get(Stage.POST_TRAINING.analysis_key), dict
            ):
                raise RunInputError(
                    f"{files.constraints}: no {Stage.POST_TRAINING.analysis_key} section: bias drift is "
                    "checked against a post-training bias analysis.json"
                )
        elif monitor is MonitorType.MODEL_EXPLAINABILITY and not found:
            config = ExplainabilityAnalysisConfig.from_json(raw_config, where=str(files.config))
            global_values_by_label(
                constraints if isinstance(constraints, dict) else {}, where=str(files.constraints)
            )
    except UserError as error:
        found.extend(error.problems)
    problems.extend(found)
    return _Baseline(files, statistics, constraints, config)


def _problem_type(
    settings: RunSettings, baselines: Mapping[MonitorType, _Baseline], problems: list[str]
) -> ProblemType:
    baseline = baselines.get(MonitorType.MODEL_QUALITY)
    if baseline is None or not isinstance(baseline.constraints, dict):
        return settings.problem_type or ProblemType.BINARY
    try:
        of_constraints = problem_type_of(
            baseline.constraints, suffix="constraints", where=str(baseline.files.constraints)
        )
    except ConstraintsError:
        return settings.problem_type or ProblemType.BINARY
    if settings.problem_type is not None and settings.problem_type is not of_constraints:
        problems.append(
            f"--problem-type is {settings.problem_type.value} but {baseline.files.constraints} holds "
            f"{of_constraints.value} constraints"
        )
    return settings.problem_type or of_constraints


# -- reading the capture -----------------------------------------------------------------------------------
@dataclass
class _WindowData:
    """One window of captured records, read once for every monitor that needs it."""

    window: TimeWindow
    report: CaptureReadReport
    profile: DatasetProfile | None = None
    records: pl.DataFrame | None = None  # every record, or (explainability only) a uniform sample
    labels: GroundTruthLabels | None = None
    merge: MergeReport | None = None

    def inputs(self) -> dict[str, int]:
        counts = {
            "captured_requests": self.report.captured_requests,
            "records": self.report.records,
            "unreadable_lines": self.report.unreadable_lines,
            "response_problems": len(self.report.response_problems),
        }
        if self.merge is not None:
            counts.update(self.merge.as_json())
        return counts

    def problems(self) -> list[str]:
        found = [str(p) for p in self.report.unreadable[:MAX_INPUT_PROBLEMS]]
        found += [str(p) for p in self.report.response_problems[: MAX_INPUT_PROBLEMS - len(found)]]
        if self.labels is not None:
            found += self.labels.problems[: max(0, MAX_INPUT_PROBLEMS - len(found))]
        return found


class _UniformSample:
    """At most ``size`` records drawn uniformly from a stream of batches (seeded), in bounded memory.

    Every record gets a random key and the ``size`` smallest keys are kept: the same as sampling the whole
    stream without replacement, with only ``size`` records held at a time. Without a size, every record.
    """

    _KEY = "__sample_key"

    def __init__(self, size: int | None, seed: int) -> None:
        self._size = size
        self._rng = np.random.default_rng(seed)
        self._frames: list[pl.DataFrame] = []

    def add(self, batch: pl.DataFrame) -> None:
        if self._size is None:
            self._frames.append(batch)
            return
        keyed = batch.with_columns(pl.Series(self._KEY, self._rng.random(batch.height)))
        combined = pl.concat([*self._frames, keyed], how="diagonal_relaxed")
        self._frames = [combined.sort(self._KEY).head(self._size)]

    def result(self) -> pl.DataFrame:
        if not self._frames:
            return pl.DataFrame()
        combined = (
            pl.concat(self._frames, how="diagonal_relaxed") if len(self._frames) > 1 else self._frames[0]
        )
        return combined.drop(self._KEY, strict=False)


def _read_window(
    storage: Storage,
    settings: RunSettings,
    window: TimeWindow,
    *,
    profile: bool,
    keep_records: bool,
    sample_size: int | None = None,
    keep_record_id: bool,
) -> _WindowData:
    """Read ``window`` once: profile it (data quality) and/or keep its records (at most ``sample_size``)."""
    reader = CaptureReader(
        storage, response_fields=settings.response_fields, record_id_field=settings.record_id_field
    )
    files = capture_files(storage, settings.capture_root, settings.endpoint, window, settings.variant)
    sample = _UniformSample(sample_size, settings.seed) if keep_records else None
    dataset = DatasetProfile() if profile else None
    for batch in reader.batches(files):
        if dataset is not None:
            dataset.update(batch if keep_record_id else batch.drop(settings.record_id_field, strict=False))
        if sample is not None:
            sample.add(batch)
    return _WindowData(window, reader.report, dataset, None if sample is None else sample.result())


def _no_data(settings: RunSettings, data: _WindowData) -> str:
    return (
        f"{NO_DATA}: no captured records of endpoint {settings.endpoint} in {data.window} under "
        f"{settings.capture_root} ({data.report.files} capture files in the window's hour folders, "
        f"{data.report.unreadable_lines} unreadable lines)"
    )


# -- the monitors ------------------------------------------------------------------------------------------
@dataclass(frozen=True, slots=True)
class _Computed:
    """What a monitor computed: how to write its files (the piece's own ``write``), and its violations."""

    write: Callable[[Storage, str], list[str]]
    violations: Sequence[Mapping[str, Any]]
    inputs: Mapping[str, int] = field(default_factory=dict)


class _NoData(Exception):
    """The window holds nothing this monitor can evaluate (a Failed execution, not a user error)."""


def _data_quality(settings: RunSettings, baseline: _Baseline, data: _WindowData) -> _Computed:
    assert data.profile is not None
    if data.profile.item_count == 0:
        raise _NoData(_no_data(settings, data))
    result = check_data_quality(
        data.profile,
        baseline.statistics,
        baseline.constraints,
        statistics_where=str(baseline.files.statistics),
        constraints_where=str(baseline.files.constraints),
    )

    def write(storage: Storage, folder: str) -> list[str]:
        return [
            storage.write_json(join_location(folder, STATISTICS), result.statistics),
            storage.write_json(join_location(folder, VIOLATIONS), result.violations_document),
        ]

    return _Computed(write, result.violations_document["violations"])


def _labelled(settings: RunSettings, data: _WindowData) -> pl.DataFrame:
    assert data.records is not None
    assert data.merge is not None
    if data.report.records == 0:
        raise _NoData(_no_data(settings, data))
    if data.merge.matched_records == 0:
        labels = data.labels.lines_read if data.labels is not None else 0
        hours = ground_truth_window(data.window, settings.window)
        raise _NoData(
            f"{NO_DATA}: none of the {data.report.records} captured records in {data.window} has a "
            f"ground-truth label under {settings.ground_truth} ({labels} label lines read in the hour "
            f"folders of {hours}; labels collected later are for a later execution, or move the capture "
            "window back with --start-offset/--end-offset)"
        )
    return data.records


def _model_quality(
    settings: RunSettings, baseline: _Baseline, data: _WindowData, problem_type: ProblemType
) -> _Computed:
    records = _labelled(settings, data)
    threshold = settings.probability_threshold
    if problem_type is ProblemType.REGRESSION:
        # A regression endpoint answers a number: the capture reader puts it where a probability goes.
        columns = ModelQualityColumns(GROUND_TRUTH_COLUMN, PREDICTED_PROBABILITY)
        config = ModelQualityConfig(problem_type=problem_type, probability_threshold=None)
    else:
        columns = ModelQualityColumns.for_capture()
        config = ModelQualityConfig(
            problem_type=problem_type,
            probability_threshold=(
                (PROBABILITY_THRESHOLD_PCT if threshold is None else threshold)
                if problem_type is ProblemType.BINARY
                else None
            ),
        )
    result = evaluate(records, columns, config, baseline.constraints)
    return _Computed(result.write, result.violations, {"evaluated_records": result.item_count})


def _bias(settings: RunSettings, baseline: _Baseline, data: _WindowData) -> _Computed:
    records = _labelled(settings, data)
    config: BiasAnalysisConfig = baseline.config
    threshold = settings.probability_threshold
    if threshold is None:
        threshold = (
            config.probability_threshold
            if config.probability_threshold is not None
            else PROBABILITY_THRESHOLD_PCT
        )
    # Model Monitor's bias drift job computes the post-training metrics only.
    config = replace(
        config,
        methods={Stage.POST_TRAINING: config.methods.get(Stage.POST_TRAINING, "all")},
        probability_threshold=threshold,
    )
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
        # The record key identifies a record; it is no model input (the flip test would refuse it as text).
        excluded_columns=[settings.record_id_field, *config.excluded_column_names],
        tolerance=settings.bias_tolerance,
        di_rule=settings.bias_di_rule,
    )
    return _Computed(result.write, result.violations, {"evaluated_records": result.rows_used})


def _explainability(
    settings: RunSettings, baseline: _Baseline, data: _WindowData, model: ProbabilityModel
) -> _Computed:
    assert data.records is not None
    if data.records.height == 0:
        raise _NoData(_no_data(settings, data))
    result = evaluate_explainability(
        data.records, model, baseline.config, baseline.constraints, max_records=settings.explain_max_records
    )
    return _Computed(result.write, result.violations, {"records_explained": result.records})


# -- the execution -----------------------------------------------------------------------------------------
def run_execution(
    storage: Storage,
    settings: RunSettings,
    explainer: Explainer | None = None,
    *,
    now: datetime | None = None,
) -> ExecutionResult:
    """Run the selected monitors for one window and write their files; see the module docstring."""
    generated_at = now or utc_now()
    runnable, skipped = _plan(settings, explainer)
    problems: list[str] = []
    baselines = {m: _load_baseline(storage, m, settings.baselines[m], problems) for m in runnable}
    problem_type = _problem_type(settings, baselines, problems)
    if problems:
        raise RunInputError(problems)
    model = None
    if explainer is not None and MonitorType.MODEL_EXPLAINABILITY in runnable:
        log.info("explainability explains the %s", explainer.description)
        model = explainer.load()

    windows = _read_capture(storage, settings, runnable, baselines)
    outcomes: list[MonitorOutcome] = []
    for monitor in settings.monitors:
        folder = execution_folder(
            settings.outputs[monitor], settings.endpoint, monitor, settings.scheduled_time
        )
        if monitor in skipped:
            summary = ExecutionSummary(
                monitor, settings.endpoint, settings.window, generated_at, SKIPPED, reason=skipped[monitor]
            )
            summary.write(storage, folder)
            outcomes.append(MonitorOutcome(summary, folder))
            continue
        data = windows[monitor]
        base = ExecutionSummary(
            monitor,
            settings.endpoint,
            data.window,
            generated_at,
            COMPLETED,
            inputs=data.inputs(),
            input_problems=data.problems(),
            baseline=baselines[monitor].files.as_summary(),
        )
        outcomes.append(
            _run_monitor(
                storage, monitor, base, folder, settings, baselines[monitor], data, problem_type, model
            )
        )
    return ExecutionResult(settings, tuple(outcomes))


def _plan(
    settings: RunSettings, explainer: Explainer | None
) -> tuple[list[MonitorType], dict[MonitorType, str]]:
    reasons = {m: missing_inputs(m, settings, explainer) for m in settings.monitors}
    missing = {m: reason for m, reason in reasons.items() if reason is not None}
    if settings.explicit and missing:
        raise RunInputError([f"{m.value} monitor {reason}" for m, reason in missing.items()])
    runnable = [m for m in settings.monitors if m not in missing]
    if not runnable:
        lines = [f"{m.value}: {reason}" for m, reason in missing.items()]
        lines += [f"{m.value}: {reason}" for m, reason in settings.disabled.items()]
        raise RunInputError(["no monitor can run:", *lines] if lines else "no monitor selected")
    return runnable, missing


def _read_capture(
    storage: Storage,
    settings: RunSettings,
    runnable: Sequence[MonitorType],
    baselines: Mapping[MonitorType, _Baseline],
) -> dict[MonitorType, _WindowData]:
    """Each window read once: the offset window (with ground truth) and the execution window."""
    keep_record_id = False
    if MonitorType.DATA_QUALITY in runnable:
        constraints = read_constraints(baselines[MonitorType.DATA_QUALITY].constraints)
        keep_record_id = settings.record_id_field in constraints.features
    windows: dict[MonitorType, _WindowData] = {}
    labelled = None
    if any(m in runnable for m in _NEEDS_GROUND_TRUTH):
        window = capture_window(settings.window, settings.start_offset, settings.end_offset)
        same = window == settings.window
        labelled = _read_window(
            storage,
            settings,
            window,
            profile=same and MonitorType.DATA_QUALITY in runnable,
            keep_records=True,
            keep_record_id=keep_record_id,
        )
        assert settings.ground_truth is not None
        labels = read_ground_truth(
            storage, settings.ground_truth, ground_truth_window(window, settings.window)
        )
        assert labelled.records is not None
        if labelled.records.height:
            labelled.records, labelled.merge = merge_ground_truth(labelled.records, labels)
        else:  # nothing captured: no columns to join on
            labelled.merge = _empty_merge(labels)
        labelled.labels = labels
        for monitor in _NEEDS_GROUND_TRUTH:
            windows[monitor] = labelled
        if same:
            execution = _WindowData(
                settings.window, labelled.report, labelled.profile, _sample_of(labelled.records, settings)
            )
            windows[MonitorType.DATA_QUALITY] = windows[MonitorType.MODEL_EXPLAINABILITY] = execution
            return windows
    wants_profile = MonitorType.DATA_QUALITY in runnable
    wants_records = MonitorType.MODEL_EXPLAINABILITY in runnable
    if wants_profile or wants_records:
        execution = _read_window(
            storage,
            settings,
            settings.window,
            profile=wants_profile,
            keep_records=wants_records,
            sample_size=settings.explain_max_records,
            keep_record_id=keep_record_id,
        )
        windows[MonitorType.DATA_QUALITY] = windows[MonitorType.MODEL_EXPLAINABILITY] = execution
    return windows


def _empty_merge(labels: GroundTruthLabels) -> MergeReport:
    return MergeReport(
        records=0,
        matched_records=0,
        unmatched_records=0,
        ground_truth_labels=len(labels.labels),
        matched_ground_truth=0,
        unmatched_ground_truth=len(labels.labels),
        superseded_labels=labels.superseded,
        unreadable_lines=labels.unreadable_lines,
    )


def _sample_of(records: pl.DataFrame | None, settings: RunSettings) -> pl.DataFrame | None:
    if (
        records is None
        or settings.explain_max_records is None
        or records.height <= settings.explain_max_records
    ):
        return records
    return records.sample(n=settings.explain_max_records, seed=settings.seed)


def _run_monitor(
    storage: Storage,
    monitor: MonitorType,
    base: ExecutionSummary,
    folder: str,
    settings: RunSettings,
    baseline: _Baseline,
    data: _WindowData,
    problem_type: ProblemType,
    model: ProbabilityModel | None,
) -> MonitorOutcome:
    """Compute one monitor, write its files and summary; a failure is recorded, not raised."""
    try:
        if monitor is MonitorType.DATA_QUALITY:
            computed = _data_quality(settings, baseline, data)
        elif monitor is MonitorType.MODEL_QUALITY:
            computed = _model_quality(settings, baseline, data, problem_type)
        elif monitor is MonitorType.MODEL_BIAS:
            computed = _bias(settings, baseline, data)
        else:
            assert model is not None
            computed = _explainability(settings, baseline, data, model)
    except _NoData as no_data:
        summary = replace(base, status=FAILED, reason=str(no_data))
        summary.write(storage, folder)
        return MonitorOutcome(summary, folder)
    except UserError as error:
        summary = replace(base, status=FAILED, reason="; ".join(error.problems))
        summary.write(storage, folder)
        return MonitorOutcome(summary, folder, error)
    written = computed.write(storage, folder)
    summary = replace(
        base,
        status=COMPLETED_WITH_VIOLATIONS if computed.violations else COMPLETED,
        inputs={**base.inputs, **computed.inputs},
        violations=list(computed.violations),
        files=[split_location(location)[1] for location in written],
    )
    summary.write(storage, folder)
    log.info(
        "%s: %s, %d violations, written to %s",
        monitor.value,
        summary.status.value,
        len(computed.violations),
        folder,
    )
    return MonitorOutcome(summary, folder)
