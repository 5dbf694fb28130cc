"""What one monitor is, as every part of the project needs to know it: one ``MonitorDefinition`` each.

A definition holds a monitor's facts (its ``MonitoringType``, command-line name, report heading, baseline
files and where ``baseline``, the Model Registry and the monitoring template keep them, whether it needs
ground truth or a model, the files an execution writes) and names the module that implements its
computations (``hooks``). Deployment, baselining, runs, the report and the sandbox read these facts from
the registry (``pipelines.monitors.registry``) instead of keeping their own copies (issue 9).

``hooks`` is an import path, resolved by the monitoring engine only (``pipelines.monitoring.hooks``), so
that ``pipelines.deploy`` can read every fact without importing the monitors' code (the import layering in
``.importlinter``).
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum
from typing import ClassVar


class MonitorType(str):
    """A monitor's ``MonitoringType``: Model Monitor's four values (``AWS::SageMaker::MonitoringSchedule``)
    and any monitor registered beside them.

    Not an ``Enum``, because the set is open (a registered monitor brings its own value); one object per
    value, so members compare with ``is`` as an enum's do, and ``value`` is the text.
    """

    __slots__ = ()
    _interned: ClassVar[dict[str, MonitorType]] = {}
    DATA_QUALITY: ClassVar[MonitorType]
    MODEL_QUALITY: ClassVar[MonitorType]
    MODEL_BIAS: ClassVar[MonitorType]
    MODEL_EXPLAINABILITY: ClassVar[MonitorType]

    def __new__(cls, value: str) -> MonitorType:
        existing = cls._interned.get(value)
        if existing is None:
            existing = cls._interned[value] = super().__new__(cls, value)
        return existing

    @property
    def value(self) -> str:
        return str.__str__(self)

    def __repr__(self) -> str:
        return f"MonitorType({self.value!r})"


MonitorType.DATA_QUALITY = MonitorType("DataQuality")
MonitorType.MODEL_QUALITY = MonitorType("ModelQuality")
MonitorType.MODEL_BIAS = MonitorType("ModelBias")
MonitorType.MODEL_EXPLAINABILITY = MonitorType("ModelExplainability")


class BaselineFile(StrEnum):
    """A baseline file a monitor reads, named like the template parameter suffix."""

    CONSTRAINTS = "Constraints"
    STATISTICS = "Statistics"
    CONFIG = "Config"

    @property
    def key(self) -> str:
        """``statistics``, ``constraints``, ``config``: the name in run settings and ``summary.json``."""
        return self.value.lower()


@dataclass(frozen=True, slots=True)
class BaselineFileSpec:
    """One baseline file of a monitor: where ``baseline`` writes it and the Model Registry names it."""

    file: BaselineFile
    # Below ``{output}/{baseline_folder}/`` of the ``baseline`` command.
    layout_path: tuple[str, ...]
    # Its key in the monitor's section of DriftCheckBaselines (``Statistics``, ``PostTrainingConstraints``).
    drift_check_key: str
    # What the file is, in words (the run command's help).
    description: str


@dataclass(frozen=True, slots=True)
class MonitorDefinition:
    """One monitor's facts and the module implementing it (see the module docstring)."""

    type: MonitorType
    # ``--monitors data-quality``; also the settings' name (``baseline.data_quality.statistics``).
    cli_name: str
    heading: str  # how the report titles it
    # Its folder below the ``baseline`` command's output (``data-quality``, ``bias``).
    baseline_folder: str
    # Its section of the Model Registry's DriftCheckBaselines (and of ModelMetrics where it stands in).
    drift_check_section: str
    # The files a run reads, in the order the run command lists their flags.
    baseline_files: tuple[BaselineFileSpec, ...]
    needs_ground_truth: bool
    # Results of one execution besides ``summary.json`` (Model Monitor's or Clarify's file names).
    result_files: tuple[str, ...]
    # ``module`` or ``module:attribute`` implementing ``pipelines.monitoring.hooks.MonitorHooks``.
    hooks: str
    # The file of an execution holding its statistics or analysis (what the report plots); None: none.
    content_file: str | None = None
    # The report reads that file of the latest execution only (data-quality statistics are large, and only
    # the newest are plotted).
    content_of_latest_only: bool = False
    # Explains a model it calls itself (explainability): a run needs a model or an endpoint to explain.
    needs_model: bool = False
    # Reads the endpoint's responses in the data capture (all but data quality).
    reads_responses: bool = True
    # Registry files that are used when present but not required (bias: the pre-training constraints).
    drift_check_optional: tuple[str, ...] = ()
    # ModelMetrics holds its baseline under the same section (data and model quality); for bias and
    # explainability it holds reports, not constraints.
    model_metrics_stands_in: bool = False
    # A probability at or above it (percent, the endpoint contract's unit) is a positive prediction, unless
    # the run or the baseline's config says otherwise; None for monitors that read no predicted classes.
    probability_threshold_pct: float | None = None
    # SageMaker Model Monitor has this MonitoringType: the monitoring template deploys it (its parameters
    # below), and the deployment script prepares it. A monitor of ours alone has none of them.
    model_monitor: bool = True
    # Its folder below the deployment's monitor-outputs prefix (MonitoringOutputS3Uri).
    output_folder: str = ""

    @property
    def setting_name(self) -> str:
        """``data_quality``: how settings and messages name it (``baseline.data_quality.statistics``)."""
        return self.cli_name.replace("-", "_")

    def baseline_file(self, file: BaselineFile) -> BaselineFileSpec | None:
        return next((spec for spec in self.baseline_files if spec.file is file), None)

    @property
    def files(self) -> tuple[BaselineFile, ...]:
        """Its files in the template's parameter order (Constraints, Statistics, Config)."""
        return tuple(file for file in BaselineFile if self.baseline_file(file) is not None)

    @property
    def drift_check_keys(self) -> tuple[str, ...]:
        """The DriftCheckBaselines files it cannot do without."""
        return tuple(spec.drift_check_key for spec in self.baseline_files)

    # -- the monitoring template's parameters (model-monitor-template.yml) --------------------------------
    @property
    def enable_parameter(self) -> str:
        return f"Enable{self.type}Monitor"

    @property
    def schedule_parameter(self) -> str:
        return f"{self.type}ScheduleExpression"

    @property
    def max_runtime_parameter(self) -> str:
        return f"{self.type}MaxRuntimeInSeconds"

    @property
    def output_parameter(self) -> str:
        return f"{self.type}MonitoringOutputS3Uri"

    def baseline_parameter(self, file: BaselineFile) -> str:
        """``DataQualityConstraintsS3Uri``, ``ModelBiasConfigS3Uri``, ..."""
        return f"{self.type}{file}S3Uri"

    @property
    def baseline_parameters(self) -> tuple[str, ...]:
        return tuple(self.baseline_parameter(file) for file in self.files)

    @property
    def jobs_per_execution(self) -> int:
        """Monitors with ground truth run a merge job and an analysis job in one execution.

        https://docs.aws.amazon.com/sagemaker/latest/dg/model-monitor-model-quality-schedule.html :
        "The maximum runtime of one execution is divided between two jobs".
        """
        return 2 if self.needs_ground_truth else 1
