"""Where a run finds each monitor's baseline files: ``baseline``'s folder layout or a DriftCheckBaselines
document (``drift_check_baselines.json``, or a model package's ``DriftCheckBaselines``).

The layout and the document's keys are each monitor's facts (``MonitorDefinition.baseline_files``).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from pipelines.errors import UserError
from pipelines.monitors import MONITORS, BaselineFile, MonitorDefinition, MonitorType
from pipelines.monitors.files import DRIFT_CHECK_BASELINES_FILE
from pipelines.storage import Storage, join_location


class BaselineLocationError(UserError):
    """A DriftCheckBaselines document that does not name its files."""


@dataclass(frozen=True, slots=True)
class BaselineFiles:
    """One monitor's baseline files (local paths or S3 URIs)."""

    statistics: str | None = None
    constraints: str | None = None
    config: str | None = None

    @classmethod
    def of(cls, files: dict[str, str]) -> BaselineFiles:
        """From ``{"statistics": ..., "constraints": ..., "config": ...}`` (any of them)."""
        return cls(**files)

    def get(self, file: BaselineFile) -> str | None:
        location: str | None = getattr(self, file.key)
        return location

    def merged_with(self, other: BaselineFiles) -> BaselineFiles:
        """These files, with ``other``'s where these have none."""
        return BaselineFiles(
            self.statistics or other.statistics,
            self.constraints or other.constraints,
            self.config or other.config,
        )

    @property
    def locations(self) -> list[str]:
        """The locations of the files that are given."""
        return [f for f in (self.statistics, self.constraints, self.config) if f]

    def as_summary(self) -> dict[str, str]:
        named = {"statistics": self.statistics, "constraints": self.constraints, "config": self.config}
        return {key: value for key, value in named.items() if value}


def baseline_folder_files(storage: Storage, folder: str) -> dict[MonitorType, BaselineFiles]:
    """The files of ``baseline``'s output layout that exist below ``folder`` (local or S3)."""
    found: dict[MonitorType, BaselineFiles] = {}
    for monitor in MONITORS.values():
        files = {}
        for spec in monitor.baseline_files:
            location = join_location(folder, monitor.baseline_folder, *spec.layout_path)
            if storage.exists(location):
                files[spec.file.key] = location
        found[monitor.type] = BaselineFiles.of(files)
    return found


def drift_check_baseline_files(document: Any, *, where: str) -> dict[MonitorType, BaselineFiles]:
    """The files a ``DriftCheckBaselines`` document names (``drift_check_baselines.json``, or a model
    package's ``DriftCheckBaselines`` from ``describe_model_package``), whatever their layout."""
    if not isinstance(document, dict):
        raise BaselineLocationError(f"{where}: expected a DriftCheckBaselines JSON object")
    problems: list[str] = []
    found: dict[MonitorType, BaselineFiles] = {}
    for monitor in MONITORS.values():
        found[monitor.type] = BaselineFiles.of(_section_files(monitor, document, where, problems))
    if problems:
        raise BaselineLocationError(problems)
    return found


def _section_files(
    monitor: MonitorDefinition, document: dict[str, Any], where: str, problems: list[str]
) -> dict[str, str]:
    section = document.get(monitor.drift_check_section) or {}
    files = {}
    for spec in monitor.baseline_files:
        source = section.get(spec.drift_check_key) if isinstance(section, dict) else None
        if source is None:
            continue
        uri = source.get("S3Uri") if isinstance(source, dict) else None
        if not isinstance(uri, str) or not uri:
            problems.append(f"{where}: {monitor.drift_check_section}.{spec.drift_check_key} has no S3Uri")
            continue
        files[spec.file.key] = uri
    return files


def baseline_files_at(storage: Storage, location: str) -> dict[MonitorType, BaselineFiles]:
    """A baseline location: a folder in ``baseline``'s layout, else its ``drift_check_baselines.json``, or
    a DriftCheckBaselines JSON file itself.

    The layout wins over the folder's ``drift_check_baselines.json``, which names the files where they were
    first written (a folder copied to S3 still names the local paths).
    """
    if storage.exists(location):
        return drift_check_baseline_files(storage.read_json(location), where=location)
    in_layout = baseline_folder_files(storage, location)
    if any(files.locations for files in in_layout.values()):
        return in_layout
    registry = join_location(location, DRIFT_CHECK_BASELINES_FILE)
    if storage.exists(registry):
        return drift_check_baseline_files(storage.read_json(registry), where=registry)
    return in_layout
