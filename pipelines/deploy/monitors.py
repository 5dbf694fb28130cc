"""The four Model Monitor monitors and what each one needs: one table instead of strings everywhere.

Every other module of ``pipelines.deploy`` asks this table for a monitor's template parameter names,
its baseline files and its limits, so adding a parameter is one edit here.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum


class MonitorType(StrEnum):
    """The ``MonitoringType`` values of ``AWS::SageMaker::MonitoringSchedule``."""

    DATA_QUALITY = "DataQuality"
    MODEL_QUALITY = "ModelQuality"
    MODEL_BIAS = "ModelBias"
    MODEL_EXPLAINABILITY = "ModelExplainability"


class BaselineFile(StrEnum):
    """A baseline file a monitor reads, named like the template parameter suffix."""

    CONSTRAINTS = "Constraints"
    STATISTICS = "Statistics"
    CONFIG = "Config"


@dataclass(frozen=True, slots=True)
class MonitorSpec:
    """What one monitor needs, in the template's own parameter names."""

    monitor: MonitorType
    baseline_files: tuple[BaselineFile, ...]
    needs_ground_truth: bool
    # The folder under --monitor-outputs-bucket that receives this monitor's results (seed layout).
    output_folder: str

    @property
    def enable_parameter(self) -> str:
        return f"Enable{self.monitor}Monitor"

    @property
    def schedule_parameter(self) -> str:
        return f"{self.monitor}ScheduleExpression"

    @property
    def max_runtime_parameter(self) -> str:
        return f"{self.monitor}MaxRuntimeInSeconds"

    @property
    def output_parameter(self) -> str:
        return f"{self.monitor}MonitoringOutputS3Uri"

    def baseline_parameter(self, file: BaselineFile) -> str:
        """``DataQualityConstraintsS3Uri``, ``ModelBiasConfigS3Uri``, ..."""
        return f"{self.monitor}{file}S3Uri"

    @property
    def baseline_parameters(self) -> tuple[str, ...]:
        return tuple(self.baseline_parameter(file) for file in self.baseline_files)

    @property
    def jobs_per_execution(self) -> int:
        """Monitors with ground truth run a merge job and an analysis job in one execution.

        https://docs.aws.amazon.com/sagemaker/latest/dg/model-monitor-model-quality-schedule.html :
        "The maximum runtime of one execution is divided between two jobs".
        """
        return 2 if self.needs_ground_truth else 1


MONITORS: dict[MonitorType, MonitorSpec] = {
    MonitorType.DATA_QUALITY: MonitorSpec(
        MonitorType.DATA_QUALITY,
        (BaselineFile.CONSTRAINTS, BaselineFile.STATISTICS),
        needs_ground_truth=False,
        output_folder="data-quality",
    ),
    MonitorType.MODEL_QUALITY: MonitorSpec(
        MonitorType.MODEL_QUALITY,
        (BaselineFile.CONSTRAINTS,),
        needs_ground_truth=True,
        output_folder="model-quality",
    ),
    MonitorType.MODEL_BIAS: MonitorSpec(
        MonitorType.MODEL_BIAS,
        (BaselineFile.CONSTRAINTS, BaselineFile.CONFIG),
        needs_ground_truth=True,
        output_folder="model-bias",
    ),
    MonitorType.MODEL_EXPLAINABILITY: MonitorSpec(
        MonitorType.MODEL_EXPLAINABILITY,
        (BaselineFile.CONSTRAINTS, BaselineFile.CONFIG),
        needs_ground_truth=False,
        output_folder="model-explainability",
    ),
}

ENABLED = "yes"
DISABLED = "no"
