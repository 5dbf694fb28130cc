"""The registry of monitors: one ``MonitorDefinition`` per monitor, in the order every listing uses.

Deployment, baselining, runs, the report and the sandbox loop over ``MONITORS``. Adding a monitor is one
module implementing its hooks and one ``MONITORS.register(...)`` here (docs/adding-a-monitor.md); a test
may register a monitor of its own and ``unregister`` it afterwards, like Evidently's ``register_stattest``.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping

from transaction_scoring.contract import PROBABILITY_THRESHOLD_PCT

from pipelines.monitors.definition import BaselineFile, BaselineFileSpec, MonitorDefinition, MonitorType
from pipelines.monitors.files import ANALYSIS, ANALYSIS_CONFIG, CONSTRAINTS, STATISTICS, VIOLATIONS


class MonitorRegistry(Mapping[MonitorType, MonitorDefinition]):
    """The registered monitors by type, in registration order; names and folders are unique."""

    def __init__(self) -> None:
        self._definitions: dict[MonitorType, MonitorDefinition] = {}

    def register(self, definition: MonitorDefinition) -> MonitorDefinition:
        """Add ``definition``; a type, name or folder already taken is a programming error."""
        for other in self._definitions.values():
            clashes = [
                what
                for what, mine, theirs in (
                    ("type", definition.type, other.type),
                    ("cli_name", definition.cli_name, other.cli_name),
                    ("baseline_folder", definition.baseline_folder, other.baseline_folder),
                    ("drift_check_section", definition.drift_check_section, other.drift_check_section),
                )
                if mine == theirs
            ]
            if clashes:
                raise ValueError(f"monitor {definition.type}: {', '.join(clashes)} taken by {other.type}")
        self._definitions[definition.type] = definition
        return definition

    def unregister(self, monitor: MonitorType) -> None:
        del self._definitions[monitor]

    def __getitem__(self, monitor: MonitorType) -> MonitorDefinition:
        return self._definitions[monitor]

    def __iter__(self) -> Iterator[MonitorType]:
        return iter(self._definitions)

    def __len__(self) -> int:
        return len(self._definitions)

    def named(self, text: str) -> MonitorDefinition | None:
        """The monitor a user names: its CLI name or its type, in any case (``bias``, ``ModelBias``)."""
        wanted = text.strip().lower()
        return next(
            (d for d in self._definitions.values() if wanted in (d.cli_name, d.type.value.lower())), None
        )

    def of_type(self, text: str) -> MonitorDefinition | None:
        """The monitor whose ``MonitoringType`` is exactly ``text`` (as ``summary.json`` names it)."""
        return next((d for d in self._definitions.values() if d.type.value == text), None)

    def model_monitor(self) -> tuple[MonitorDefinition, ...]:
        """The monitors SageMaker Model Monitor has, which the monitoring template deploys."""
        return tuple(d for d in self._definitions.values() if d.model_monitor)

    @property
    def cli_names(self) -> tuple[str, ...]:
        return tuple(d.cli_name for d in self._definitions.values())


def _file(file: BaselineFile, path: tuple[str, ...], key: str, description: str) -> BaselineFileSpec:
    return BaselineFileSpec(file, path, key, description)


MONITORS = MonitorRegistry()
MONITORS.register(
    MonitorDefinition(
        type=MonitorType.DATA_QUALITY,
        cli_name="data-quality",
        heading="Data quality",
        baseline_folder="data-quality",
        drift_check_section="ModelDataQuality",
        baseline_files=(
            _file(BaselineFile.STATISTICS, (STATISTICS,), "Statistics", "Data-quality statistics.json"),
            _file(BaselineFile.CONSTRAINTS, (CONSTRAINTS,), "Constraints", "Data-quality constraints.json"),
        ),
        needs_ground_truth=False,
        result_files=(STATISTICS, VIOLATIONS),
        content_file=STATISTICS,
        content_of_latest_only=True,
        hooks="pipelines.monitoring.data_quality.hooks:HOOKS",
        reads_responses=False,
        model_metrics_stands_in=True,
        output_folder="data-quality",
    )
)
MONITORS.register(
    MonitorDefinition(
        type=MonitorType.MODEL_QUALITY,
        cli_name="model-quality",
        heading="Model quality",
        baseline_folder="model-quality",
        drift_check_section="ModelQuality",
        baseline_files=(
            _file(BaselineFile.CONSTRAINTS, (CONSTRAINTS,), "Constraints", "Model-quality constraints.json"),
        ),
        needs_ground_truth=True,
        result_files=(STATISTICS, VIOLATIONS),
        content_file=STATISTICS,
        hooks="pipelines.monitoring.model_quality.hooks:HOOKS",
        model_metrics_stands_in=True,
        probability_threshold_pct=PROBABILITY_THRESHOLD_PCT,
        output_folder="model-quality",
    )
)
MONITORS.register(
    MonitorDefinition(
        type=MonitorType.MODEL_BIAS,
        cli_name="bias",
        heading="Bias drift",
        baseline_folder="bias",
        drift_check_section="Bias",
        baseline_files=(
            _file(BaselineFile.CONFIG, (ANALYSIS_CONFIG,), "ConfigFile", "Clarify bias analysis_config.json"),
            # The bias drift monitor checks the post-training metrics (of ``baseline``'s two analyses).
            _file(
                BaselineFile.CONSTRAINTS,
                ("post_training_bias", ANALYSIS),
                "PostTrainingConstraints",
                "Clarify post-training bias analysis.json",
            ),
        ),
        needs_ground_truth=True,
        result_files=(ANALYSIS, VIOLATIONS),
        content_file=ANALYSIS,
        hooks="pipelines.monitoring.bias.hooks:HOOKS",
        # Pre-training constraints are merged in when present (pipelines.deploy.clarify).
        drift_check_optional=("PreTrainingConstraints",),
        probability_threshold_pct=PROBABILITY_THRESHOLD_PCT,
        output_folder="model-bias",
    )
)
MONITORS.register(
    MonitorDefinition(
        type=MonitorType.MODEL_EXPLAINABILITY,
        cli_name="explainability",
        heading="Feature attribution drift",
        baseline_folder="explainability",
        drift_check_section="Explainability",
        baseline_files=(
            _file(
                BaselineFile.CONFIG,
                (ANALYSIS_CONFIG,),
                "ConfigFile",
                "Clarify explainability analysis_config.json",
            ),
            _file(
                BaselineFile.CONSTRAINTS, (ANALYSIS,), "Constraints", "Clarify explainability analysis.json"
            ),
        ),
        needs_ground_truth=False,
        result_files=(ANALYSIS, VIOLATIONS),
        content_file=ANALYSIS,
        hooks="pipelines.monitoring.explainability.hooks:HOOKS",
        needs_model=True,
        output_folder="model-explainability",
    )
)
