"""What the engine asks of each monitor (``MonitorHooks``) and what it hands it.

Each monitor implements the hooks in its own package (``data_quality/hooks.py``, ...) and its
``MonitorDefinition`` names them (``pipelines.monitors``). The engine knows no monitor by name:

- baselining (``baseline``) asks each monitor whether its inputs are given (``missing_baseline_inputs``)
  and to write its baseline files (``make_baseline``);
- a run (``execution``) asks each monitor to read and validate its baseline documents (``load_baseline``),
  how it computes over slices of its window (``partials``: a ``partial_results.Partials``, whose partial
  results merge), and to finish the merged partial into its result files (``finish``). Each window is read
  once for every monitor that uses it (``windows``), by the engine the run chose (``engines``: one process,
  all local cores, or Spark), with the ground truth merged for monitors that need it.

Like Powertools' persistence layers: one base contract, one small implementation per backend.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from functools import cache
from typing import TYPE_CHECKING, Any, Protocol, runtime_checkable

from pipelines.monitoring.baseline_files import BaselineFiles
from pipelines.monitoring.capture_reader import CaptureReadReport
from pipelines.monitoring.ground_truth_merge import GroundTruthLabels, MergeReport, ground_truth_window
from pipelines.monitoring.partial_results import Partials
from pipelines.monitoring.summary import MAX_INPUT_PROBLEMS
from pipelines.monitors import MonitorDefinition
from pipelines.setting_names import setting
from pipelines.storage import Storage
from pipelines.timewindow import TimeWindow

if TYPE_CHECKING:
    from pipelines.monitoring.baseline import BaselineOptions, BaselineRequest
    from pipelines.monitoring.explainability.model import ProbabilityModel
    from pipelines.monitoring.run_settings import RunSettings

NO_DATA = "Job inputs had no data"


class NoData(Exception):
    """The window holds nothing this monitor can evaluate (a Failed execution, not a user error)."""


@dataclass(frozen=True, slots=True)
class Computed:
    """What a monitor computed: how to write its files (the piece's own ``write``), and its violations."""

    write: Callable[[Storage, str], list[str]]
    violations: Sequence[Mapping[str, Any]]
    inputs: Mapping[str, int] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class BaselineDocuments:
    """One monitor's baseline files and their parsed JSON (None for a file not given)."""

    files: BaselineFiles
    statistics: Any = None
    constraints: Any = None
    config: Any = None


@dataclass
class WindowData:
    """One window of captured records, read once for every monitor that uses it: what was read, and each
    monitor's merged partial result."""

    window: TimeWindow
    report: CaptureReadReport
    partials: dict[str, Any] = field(default_factory=dict)  # by monitor type
    labels: GroundTruthLabels | None = None  # counts and problems of the labels read (not the labels)
    merge: MergeReport | None = None

    def inputs(self) -> dict[str, int]:
        counts = {
            "captured_requests": self.report.captured_requests,
            "records": self.report.records,
            "unreadable_lines": self.report.unreadable_lines,
            "response_problems": len(self.report.response_problems),
            "duplicate_requests": self.report.duplicate_requests,
        }
        if self.merge is not None:
            counts.update(self.merge.as_json())
        return counts

    def problems(self) -> list[str]:
        found = [str(p) for p in self.report.unreadable[:MAX_INPUT_PROBLEMS]]
        found += [str(p) for p in self.report.response_problems[: MAX_INPUT_PROBLEMS - len(found)]]
        for more in (self.report.duplicates, self.report.left_out_fields):
            found += [str(p) for p in more[: max(0, MAX_INPUT_PROBLEMS - len(found))]]
        if self.labels is not None:
            found += self.labels.problems[: max(0, MAX_INPUT_PROBLEMS - len(found))]
        return found


@dataclass(frozen=True, slots=True)
class MonitorInputs:
    """What one monitor evaluates: its settings, parsed baseline, window and (explainability) model."""

    settings: RunSettings
    baseline: Any  # what its ``load_baseline`` returned
    data: WindowData
    partial: Any = None  # its merged partial result (``MonitorHooks.partials``)
    model: ProbabilityModel | None = None

    def no_data(self) -> NoData:
        """Model Monitor's "Job inputs had no data", with what was read."""
        return NoData(f"{NO_DATA}: {self.settings.source.no_records(self.data.window, self.data.report)}")

    def require_records(self) -> None:
        """Raise ``NoData`` when the window has no records."""
        if self.data.report.records == 0:
            raise self.no_data()

    def require_labelled(self) -> None:
        """Raise ``NoData`` when no record of the window has a ground-truth label."""
        data, settings = self.data, self.settings
        assert data.merge is not None
        self.require_records()
        if data.merge.matched_records == 0 and settings.source.labels_in_records:
            raise NoData(
                f"{NO_DATA}: none of the {data.report.records} records of {settings.source.location} has "
                f"a label in its {setting('label')} column"
            )
        if data.merge.matched_records == 0:
            labels = data.labels.lines_read if data.labels is not None else 0
            hours = ground_truth_window(data.window, settings.window)
            raise NoData(
                f"{NO_DATA}: none of the {data.report.records} captured records in {data.window} has a "
                f"ground-truth label under {settings.ground_truth} ({labels} label lines read in the hour "
                f"folders of {hours}; labels collected later are for a later execution, or move the capture "
                f"window back with {setting('start_offset')}/{setting('end_offset')})"
            )


@runtime_checkable
class MonitorHooks(Protocol):
    """The computations of one monitor (see the module docstring)."""

    def load_baseline(self, documents: BaselineDocuments, settings: RunSettings) -> Any:
        """Validate the monitor's baseline documents; raise a ``UserError`` naming every problem."""
        ...

    def partials(self, settings: RunSettings, baseline: Any) -> Partials[Any]:
        """How the monitor computes over slices of its window (picklable; see ``partial_results``)."""
        ...

    def finish(self, inputs: MonitorInputs) -> Computed:
        """Check the merged partial (``inputs.partial``) against the baseline; raise ``NoData`` or a
        ``UserError`` when it cannot."""
        ...

    def missing_baseline_inputs(self, options: BaselineOptions, model: ProbabilityModel | None) -> str | None:
        """Why the monitor cannot be baselined with these options (None: it can)."""
        ...

    def make_baseline(self, request: BaselineRequest) -> Mapping[str, str]:
        """Write the monitor's baseline files; returns them by DriftCheckBaselines key."""
        ...


def hooks_of(monitor: MonitorDefinition) -> MonitorHooks:
    """The hooks ``monitor.hooks`` names (``module:attribute``, or ``module`` holding ``HOOKS``)."""
    return _load_hooks(monitor.hooks)


@cache
def _load_hooks(path: str) -> MonitorHooks:
    module_name, _, attribute = path.partition(":")
    hooks = getattr(importlib.import_module(module_name), attribute or "HOOKS")
    if not isinstance(hooks, MonitorHooks):
        raise TypeError(f"{path} does not implement pipelines.monitoring.hooks.MonitorHooks")
    return hooks
