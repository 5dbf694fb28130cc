"""What one run of the monitors is asked for (``RunOptions``) and everything it runs with (``RunSettings``).

``RunOptions`` are the caller's values, typed (the command line's flags parsed, the sandbox's or a scheduled
job's own); ``resolve_run_settings`` (``settings_resolution``) fills in the rest from a stage export and
decides which source wins; the engine (``execution``) runs ``RunSettings``. Messages name the settings
below (``Setting``, ``baseline_file_setting``), never a flag: the command line shows its flags for them.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from enum import StrEnum
from typing import TYPE_CHECKING

from transaction_scoring.contract import TRANSACTION_ID

from pipelines.monitoring.baseline_files import BaselineFiles
from pipelines.monitoring.bias.drift import DisparateImpactRule
from pipelines.monitoring.dataset_reader import DatasetLayout
from pipelines.monitoring.engines import EngineSpec
from pipelines.monitoring.record_source import DatasetColumns, RecordSource
from pipelines.monitors import MONITORS, BaselineFile, MonitorDefinition, MonitorType
from pipelines.timewindow import TimeWindow

if TYPE_CHECKING:
    from pipelines.monitoring.explainability.model import ProbabilityModel
    from pipelines.monitoring.model_quality import ProblemType

# Kernel SHAP costs (samples x background rows) predictions per record: explain a seeded sample by default.
DEFAULT_EXPLAIN_MAX_RECORDS = 1000


class Setting(StrEnum):
    """The run's settings, as messages name them (``pipelines.setting_names.setting``)."""

    ENDPOINT = "endpoint"
    WINDOW = "window"
    MONITORS = "monitors"
    OUTPUT = "output"
    CAPTURE = "capture"
    TRANSFORM_CAPTURE = "transform_capture"
    DATASET = "dataset"
    DATASET_TYPE = "dataset_type"
    HEADER = "header"
    HEADERS = "headers"
    FEATURES_ATTRIBUTE = "features_attribute"
    LABEL = "label"
    PREDICTION_COLUMN = "prediction_column"
    PROBABILITY_COLUMN = "probability_column"
    EXCLUDE = "exclude"
    STAGE_EXPORT = "stage_export"
    BASELINE = "baseline"
    BASELINE_FILES = "baseline_files"  # the files given one by one (``baseline_file_setting``)
    MODEL = "model"
    EXPLAIN_ENDPOINT = "explain_endpoint"
    EXPLAIN_MAX_RECORDS = "explain_max_records"
    PROBABILITY_THRESHOLD = "probability_threshold"
    BIAS_TOLERANCE = "bias_tolerance"
    BIAS_DI_RULE = "bias_di_rule"
    START_OFFSET = "start_offset"
    END_OFFSET = "end_offset"
    PROBLEM_TYPE = "problem_type"
    INFERENCE_ATTRIBUTE = "inference_attribute"
    PROBABILITY_ATTRIBUTE = "probability_attribute"
    GROUND_TRUTH = "ground_truth"
    VARIANT = "variant"
    ENGINE = "engine"
    PROCESSES = "processes"


# The order problems are reported in (a setting not listed comes last, e.g. a baseline file's).
SETTINGS_ORDER: tuple[str, ...] = tuple(Setting)


def baseline_file_setting(monitor: MonitorDefinition, file: BaselineFile) -> str:
    """``baseline.data_quality.statistics``: the setting giving one baseline file of one monitor."""
    return f"{Setting.BASELINE}.{monitor.setting_name}.{file.key}"


@dataclass(frozen=True, slots=True)
class ExplainerSpec:
    """Which model the explainability monitor explains: a model artifact, or an endpoint to call."""

    model: str | None = None  # model.tar.gz (local or S3): exact tree SHAP
    endpoint: str | None = None  # an endpoint without data capture: Kernel SHAP

    @property
    def description(self) -> str:
        return f"model {self.model}" if self.model is not None else f"endpoint {self.endpoint}"


@dataclass(frozen=True, slots=True)
class Explainer:
    """The model the explainability monitor explains, loaded only when that monitor runs."""

    description: str
    load: Callable[[], ProbabilityModel]


@dataclass(frozen=True, slots=True)
class RunOptions:
    """What a caller asks of one run; None means "not given" (a stage export or a default decides).

    The records come from one of ``capture`` (an endpoint's), ``transform_capture`` (a batch transform
    job's) or ``dataset``; ``dataset_layout`` and ``dataset_columns`` say how to read a dataset.
    """

    window: TimeWindow  # the execution window; its end is the scheduled time
    capture: str | None = None  # an endpoint's data capture root (DestinationS3Uri), local or S3
    transform_capture: str | None = None  # a transform job's DataCaptureConfig.DestinationS3Uri
    dataset: str | None = None  # a CSV or JSON Lines file, folder or S3 prefix
    dataset_layout: DatasetLayout = field(default_factory=DatasetLayout)
    dataset_columns: DatasetColumns = field(default_factory=DatasetColumns)
    endpoint: str | None = None
    variant: str | None = None
    output: str | None = None  # the output root of every monitor
    monitors: tuple[MonitorType, ...] | None = None  # asked for by name: missing inputs are errors
    baseline: str | None = None  # a folder written by ``baseline``, or a DriftCheckBaselines file
    baseline_files: Mapping[MonitorType, BaselineFiles] = field(default_factory=dict)  # file by file
    ground_truth: str | None = None
    start_offset: timedelta | None = None
    end_offset: timedelta | None = None
    problem_type: ProblemType | None = None
    probability_threshold: float | None = None
    inference_attribute: str | None = None
    probability_attribute: str | None = None
    explainer: ExplainerSpec | None = None
    explain_max_records: int = DEFAULT_EXPLAIN_MAX_RECORDS
    bias_tolerance: float = 0.0
    bias_di_rule: DisparateImpactRule = DisparateImpactRule.DISTANCE_FROM_ZERO
    engine: EngineSpec = field(default_factory=EngineSpec)


@dataclass(frozen=True, slots=True)
class RunSettings:
    """Everything one execution needs (``RunOptions`` and a stage export's values, resolved).

    ``endpoint`` names the results (``{output}/{endpoint}/{endpoint}-{Type}/``): the endpoint's name, or for
    a dataset or a transform capture the name given, else one made from its location.
    """

    endpoint: str
    source: RecordSource  # where the records come from
    outputs: Mapping[MonitorType, str]  # output root of each monitor (Model Monitor's MonitoringOutputS3Uri)
    window: TimeWindow  # the execution window; its end is the scheduled time
    monitors: tuple[MonitorType, ...] = field(default_factory=lambda: tuple(MONITORS))
    explicit: bool = False  # the monitors were asked for by name: missing inputs are errors
    baselines: Mapping[MonitorType, BaselineFiles] = field(default_factory=dict)
    ground_truth: str | None = None
    start_offset: timedelta | None = None
    end_offset: timedelta | None = None
    problem_type: ProblemType | None = None  # None: the model-quality constraints' problem type
    probability_threshold: float | None = None  # None: the bias config's, else the contract's 50 (percent)
    record_id_field: str = TRANSACTION_ID
    explain_max_records: int | None = DEFAULT_EXPLAIN_MAX_RECORDS
    bias_tolerance: float = 0.0
    bias_di_rule: DisparateImpactRule = DisparateImpactRule.DISTANCE_FROM_ZERO
    seed: int = 0
    disabled: Mapping[MonitorType, str] = field(default_factory=dict)  # not selected, and why
    engine: EngineSpec = field(default_factory=EngineSpec)  # what reads the windows (``engines``)

    @property
    def scheduled_time(self) -> datetime:
        return self.window.end

    @property
    def has_labels(self) -> bool:
        """Labels for model quality and bias: in the records (a dataset's label column) or ground truth."""
        return self.source.labels_in_records or self.ground_truth is not None
