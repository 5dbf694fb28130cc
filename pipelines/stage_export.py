"""A stage's export: the monitoring template's parameters (and the stack's tags) for one stage.

``get_baselines_and_configs.py`` writes it (``pipelines.deploy.export``), CloudFormation deploys it, and
``python -m pipelines.monitoring run --stage-config`` runs the monitors as it deploys them
(``pipelines.monitoring.settings_resolution``). The document is CodePipeline's template-configuration form
``{"Parameters": {...}, "Tags": {...}}``; an empty value means "not set", as in the template.

Shared by ``pipelines.deploy`` (the writer) and ``pipelines.monitoring`` (a reader), which do not import
each other (the layers in ``.importlinter``).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any

from pipelines.errors import UserError
from pipelines.monitors import ENABLED, MonitorDefinition
from pipelines.timewindow import parse_duration

# Template parameters the run reads besides each monitor's own (MonitorDefinition's parameter names).
ENDPOINT_NAME = "EndpointName"
GROUND_TRUTH_INPUT = "GroundTruthInput"
START_OFFSET = "GroundTruthStartTimeOffset"
END_OFFSET = "GroundTruthEndTimeOffset"
PROBLEM_TYPE = "ProblemType"
INFERENCE_ATTRIBUTE = "InferenceAttribute"
PROBABILITY_ATTRIBUTE = "ProbabilityAttribute"
PROBABILITY_THRESHOLD_ATTRIBUTE = "ProbabilityThresholdAttribute"


class StageExportError(UserError):
    """A stage export that is not one ``get_baselines_and_configs.py`` writes."""


@dataclass(frozen=True, slots=True)
class StageExport:
    """One stage's template parameters and tags; ``where`` names the file in messages."""

    parameters: Mapping[str, str]
    tags: Mapping[str, str] = field(default_factory=dict)
    where: str = "stage export"

    def to_json(self) -> dict[str, dict[str, str]]:
        """The template-configuration document (what ``get_baselines_and_configs.py`` writes)."""
        return {"Parameters": dict(self.parameters), "Tags": dict(self.tags)}

    @classmethod
    def from_json(cls, document: Any, *, where: str) -> StageExport:
        parameters = document.get("Parameters") if isinstance(document, dict) else None
        if not isinstance(parameters, dict):
            raise StageExportError(
                f"{where}: no 'Parameters' object: expected a stage export written by "
                "get_baselines_and_configs.py"
            )
        bad = [k for k, v in parameters.items() if not isinstance(v, str)]
        if bad:
            raise StageExportError(
                [f"{where}: Parameters.{k} is {parameters[k]!r}, expected a string" for k in bad]
            )
        tags = document.get("Tags")
        tags = {k: v for k, v in tags.items() if isinstance(v, str)} if isinstance(tags, dict) else {}
        return cls(parameters=dict(parameters), tags=tags, where=where)

    def value(self, name: str) -> str | None:
        value = self.parameters.get(name, "").strip()
        return value or None

    @property
    def endpoint(self) -> str | None:
        return self.value(ENDPOINT_NAME)

    def enabled(self, monitor: MonitorDefinition) -> bool:
        return self.value(monitor.enable_parameter) == ENABLED

    def baseline_files(self, monitor: MonitorDefinition) -> dict[str, str]:
        """The monitor's baseline files it names, by key (``statistics``, ``constraints``, ``config``)."""
        found = {
            spec.file.key: self.value(monitor.baseline_parameter(spec.file))
            for spec in monitor.baseline_files
        }
        return {key: location for key, location in found.items() if location is not None}

    def output(self, monitor: MonitorDefinition) -> str | None:
        return self.value(monitor.output_parameter)

    @property
    def ground_truth(self) -> str | None:
        return self.value(GROUND_TRUTH_INPUT)

    def offset(self, name: str) -> timedelta | None:
        """GroundTruthStartTimeOffset / GroundTruthEndTimeOffset as a duration (None when not set)."""
        text = self.value(name)
        return None if text is None else parse_duration(text, what=f"{self.where}: {name}")

    @property
    def probability_threshold(self) -> float | None:
        text = self.value(PROBABILITY_THRESHOLD_ATTRIBUTE)
        if text is None:
            return None
        try:
            return float(text)
        except ValueError:
            raise StageExportError(
                f"{self.where}: {PROBABILITY_THRESHOLD_ATTRIBUTE} is {text!r}, expected a number"
            ) from None
