"""Read the results of many monitoring executions (ours or SageMaker's, local or S3) into a ``Report``.

Steps: list the result files below the source; group them into execution folders and those into schedules
(``{endpoint}/{schedule}``); read every execution's small files (``summary.json``,
``constraint_violations.json``); tell each schedule's monitor type from the files' content; then read the
files the report needs: model-quality statistics and Clarify analyses of every execution (for the
trends), data-quality statistics of the latest execution only (they are large and only the latest is
plotted). Baselines come from ``--baseline`` or from the latest ``summary.json``'s ``baseline`` entries.

A file that cannot be read or has the wrong shape becomes a ``Problem`` shown in the report, and the rest
is still rendered; a source with no results at all, or a ``--baseline`` that cannot be used, is an error.
"""

from __future__ import annotations

import logging
from collections import defaultdict
from collections.abc import Callable, Iterable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field, replace
from enum import IntEnum
from pathlib import Path
from typing import Any, TypeVar

from pipelines.errors import UserError
from pipelines.monitoring.report.discovery import ExecutionFolder, find_execution_folders
from pipelines.monitoring.report.documents import (
    MONITOR_OF_KIND,
    DocumentError,
    DocumentKind,
    SummaryDocument,
    document_kinds,
    monitor_of_violations,
    parse_bias_analysis,
    parse_data_quality_comparison_off,
    parse_data_quality_statistics,
    parse_explainability_analysis,
    parse_model_quality_constraints,
    parse_model_quality_statistics,
    parse_summary,
    parse_violations,
)
from pipelines.monitoring.report.results import (
    Baselines,
    Execution,
    ExecutionStatus,
    MonitorType,
    Origin,
    Problem,
    Violation,
)
from pipelines.monitoring.report.sections import build_section
from pipelines.monitoring.report.views import Report, Series
from pipelines.monitoring.result_files import ANALYSIS, STATISTICS, SUMMARY, VIOLATIONS
from pipelines.monitors import MONITORS
from pipelines.s3uri import is_s3_uri
from pipelines.storage import Storage

logger = logging.getLogger(__name__)
T = TypeVar("T")

# Parallel reads: S3 GETs are latency-bound and boto3 clients are thread-safe; 10 matches the connection
# pool of `pipelines.aws.client` (max_pool=10), so no thread waits for a connection.
MAX_READERS = 10


class NoResultsFound(UserError):
    """The source holds no monitoring execution folders."""


class BaselineError(UserError):
    """A ``--baseline`` file or folder that cannot be used."""


def load_report(
    source: str,
    *,
    storage: Storage,
    baseline: str | Sequence[str] | None = None,
    last: int | None = None,
) -> Report:
    """Read every execution below ``source`` (a folder or S3 prefix) into a ``Report``.

    ``baseline``: baseline files or folders (recognised by content) that apply to every schedule; where not
    given, each schedule uses the files its latest ``summary.json`` names. ``last``: only the newest N
    executions of each schedule.
    """
    if last is not None and last < 1:
        raise UserError(f"--last is {last}: expected a positive number of executions")
    if not is_s3_uri(source) and Path(source).is_file():
        source = str(Path(source).parent)
    files = storage.list_files(source)
    folders, skipped = find_execution_folders(files, source)
    if not folders:
        raise NoResultsFound(_nothing_found(source, files, skipped))
    explicit = load_baselines(baseline, storage) if baseline else None

    reader = _Reader(storage)
    grouped: dict[tuple[str, str], list[ExecutionFolder]] = defaultdict(list)
    for folder in folders:
        grouped[folder.series_key].append(folder)
    series_folders = []
    for key in sorted(grouped):
        ordered = sorted(
            grouped[key], key=lambda f: (f.scheduled_hour is not None, f.scheduled_hour, f.location)
        )
        series_folders.append(ordered[-last:] if last else ordered)

    # Small files of every execution first (one parallel batch), then what each monitor type needs.
    reader.prefetch(
        f.files[name]
        for fs in series_folders
        for f in fs
        for name in (SUMMARY, VIOLATIONS)
        if name in f.files
    )
    sections = []
    for folders_of_series in series_folders:
        series = _load_series(folders_of_series, reader)
        if series is None:
            continue
        baselines = explicit or Baselines()
        latest_refs = next(
            (e.baseline_locations for e in reversed(series.executions) if e.baseline_locations), {}
        )
        if latest_refs:
            baselines = _merge(baselines, _baselines_from_summary(latest_refs, reader))
        sections.append(build_section(series, baselines))
    order = list(MONITORS)
    sections.sort(key=lambda s: (s.series.endpoint, order.index(s.series.monitor), s.series.schedule))
    locations = sorted({loc for s in sections for loc in s.baselines.locations})
    return Report(
        source=source,
        sections=tuple(sections),
        problems=tuple(sorted(reader.problems, key=lambda p: (p.location, p.message))),
        skipped_folders=tuple(skipped),
        baseline_locations=tuple(locations),
    )


def _nothing_found(source: str, files: list[str], skipped: list[str]) -> str:
    expected = (
        "expected execution folders {endpoint}/{schedule}/yyyy/mm/dd/hh/ holding statistics.json, "
        "constraint_violations.json, analysis.json or summary.json"
    )
    if not files:
        what = "no such folder" if not is_s3_uri(source) and not Path(source).exists() else "no files"
        return f"{source}: {what}; {expected}"
    hint = f" ({len(skipped)} other folders hold such files, e.g. {skipped[0]})" if skipped else ""
    return f"{source}: no monitoring results found among {len(files)} files{hint}; {expected}"


# -- reading ------------------------------------------------------------------------------------------------
@dataclass
class _Reader:
    """Reads JSON documents once each (in parallel batches) and turns failures into problems."""

    storage: Storage
    documents: dict[str, Any] = field(default_factory=dict)
    failures: dict[str, str] = field(default_factory=dict)
    problems: list[Problem] = field(default_factory=list)

    def prefetch(self, locations: Iterable[str]) -> None:
        todo = sorted({loc for loc in locations if loc not in self.documents and loc not in self.failures})
        if not todo:
            return
        with ThreadPoolExecutor(max_workers=min(MAX_READERS, len(todo))) as pool:
            for location, (document, failure) in zip(todo, pool.map(self._read, todo), strict=True):
                if failure is None:
                    self.documents[location] = document
                else:
                    self.failures[location] = failure
                    self.problems.append(Problem(location, failure))

    def _read(self, location: str) -> tuple[Any, str | None]:
        try:
            return self.storage.read_json(location), None
        except UserError as error:
            # StorageError messages start with the location; the problem names it once.
            return None, "; ".join(p.removeprefix(f"{location}: ") for p in error.problems)

    def get(self, location: str) -> Any | None:
        self.prefetch([location])
        return self.documents.get(location)

    def parse(self, location: str, parser: Callable[[Any, str], T]) -> T | None:
        """``parser(document, location)``, or None with a problem recorded."""
        document = self.get(location)
        if document is None:
            return None
        try:
            return parser(document, location)
        except DocumentError as error:
            self.problems.extend(Problem(location, p.removeprefix(f"{location}: ")) for p in error.problems)
            return None


# -- executions ---------------------------------------------------------------------------------------------
class _Source(IntEnum):
    """Where evidence of a monitor type comes from, most trusted first."""

    SUMMARY = 0  # our summary.json names its monitor
    VIOLATIONS = 1  # check types are specific to one monitor
    CONTENT = 2  # statistics / analysis keys
    SCHEDULE_NAME = 3  # a hint only


@dataclass
class _Evidence:
    """What each file of a schedule says about the monitor type."""

    found: list[tuple[_Source, MonitorType, str]] = field(default_factory=list)

    def add(self, monitor: MonitorType | None, location: str, source: _Source) -> None:
        if monitor is not None:
            self.found.append((source, monitor, location))

    def _chosen(self) -> tuple[_Source, MonitorType, str] | None:
        # min() keeps the first of equally trusted pieces of evidence.
        return min(self.found, key=lambda e: e[0]) if self.found else None

    def decide(self) -> MonitorType | None:
        chosen = self._chosen()
        return chosen[1] if chosen else None

    def conflicts(self) -> list[Problem]:
        chosen = self._chosen()
        if chosen is None:
            return []
        _, monitor, where = chosen
        return [
            Problem(
                location,
                f"holds {other.value} results, but {where} says {monitor.value}; shown as {monitor.value}",
            )
            for _, other, location in self.found
            if other is not monitor
        ]


def monitor_from_schedule_name(schedule: str) -> MonitorType | None:
    """Last resort: the monitor type in a schedule name such as ``fraud-prod-DataQuality``."""
    squashed = "".join(ch for ch in schedule.lower() if ch.isalnum())
    # A monitor's name without dashes: dataquality, modelquality, bias, explainability.
    hints = {monitor.cli_name.replace("-", ""): monitor.type for monitor in MONITORS.values()}
    found = {monitor for hint, monitor in hints.items() if hint in squashed}
    return found.pop() if len(found) == 1 else None


def _monitor_of_document(document: Any) -> MonitorType | None:
    monitors = {MONITOR_OF_KIND[k] for k in document_kinds(document) if k in MONITOR_OF_KIND}
    return monitors.pop() if len(monitors) == 1 else None


def _load_series(folders: list[ExecutionFolder], reader: _Reader) -> Series | None:
    summaries: dict[str, SummaryDocument | None] = {}
    violations: dict[str, tuple[Violation, ...] | None] = {}
    evidence = _Evidence()
    for folder in folders:
        summary = reader.parse(folder.files[SUMMARY], parse_summary) if SUMMARY in folder.files else None
        found = (
            reader.parse(folder.files[VIOLATIONS], parse_violations) if VIOLATIONS in folder.files else None
        )
        summaries[folder.location], violations[folder.location] = summary, found
        if summary is not None:
            evidence.add(summary.monitor, folder.files[SUMMARY], _Source.SUMMARY)
        if found:
            evidence.add(monitor_of_violations(found), folder.files[VIOLATIONS], _Source.VIOLATIONS)
    latest_content = next(
        (f.files[n] for f in reversed(folders) for n in (STATISTICS, ANALYSIS) if n in f.files), None
    )
    if evidence.decide() is None and latest_content is not None:
        evidence.add(_monitor_of_document(reader.get(latest_content)), latest_content, _Source.CONTENT)
    if evidence.decide() is None:
        evidence.add(
            monitor_from_schedule_name(folders[-1].schedule), folders[-1].location, _Source.SCHEDULE_NAME
        )
    monitor = evidence.decide()
    if monitor is None:
        for folder in folders:
            reader.problems.append(
                Problem(folder.location, "cannot tell which monitor wrote these files; not shown")
            )
        return None

    needed = _content_files(monitor, folders)
    reader.prefetch(needed.values())
    executions = []
    for folder in folders:
        content = needed.get(folder.location)
        if content is not None:
            evidence.add(_monitor_of_document(reader.get(content)), content, _Source.CONTENT)
        executions.append(
            _execution(
                folder, monitor, summaries[folder.location], violations[folder.location], content, reader
            )
        )
    reader.problems.extend(evidence.conflicts())
    first = folders[-1]
    endpoint = first.endpoint or next((e.endpoint for e in reversed(executions) if e.endpoint != "-"), "-")
    return Series(endpoint=endpoint, schedule=first.schedule, monitor=monitor, executions=tuple(executions))


def _content_files(monitor: MonitorType, folders: list[ExecutionFolder]) -> dict[str, str]:
    """The statistics/analysis file to read per execution folder for this monitor type."""
    definition = MONITORS[monitor]
    name = definition.content_file
    if name is None:
        return {}
    if definition.content_of_latest_only:
        latest = next((f for f in reversed(folders) if name in f.files), None)
        return {latest.location: latest.files[name]} if latest else {}
    return {f.location: f.files[name] for f in folders if name in f.files}


def _execution(
    folder: ExecutionFolder,
    monitor: MonitorType,
    summary: SummaryDocument | None,
    violations: tuple[Violation, ...] | None,
    content: str | None,
    reader: _Reader,
) -> Execution:
    if violations is None and summary is not None:
        violations = summary.violations
    violations = violations or ()
    if summary is not None:
        status = summary.status
    else:
        status = ExecutionStatus.COMPLETED_WITH_VIOLATIONS if violations else ExecutionStatus.COMPLETED
    execution = Execution(
        location=folder.location,
        endpoint=folder.endpoint or (summary.endpoint if summary and summary.endpoint else "-"),
        schedule=folder.schedule,
        monitor=monitor,
        origin=Origin.OURS if SUMMARY in folder.files else Origin.SAGEMAKER,
        status=status,
        scheduled_hour=folder.scheduled_hour,
        files=tuple(sorted(folder.files)),
        violations=violations,
        reason=summary.reason if summary else None,
        window=summary.window if summary else None,
        inputs=summary.inputs if summary else {},
        baseline_locations=summary.baseline if summary else {},
    )
    document = reader.get(content) if content is not None else None
    if content is None or document is None:
        return execution  # no file, or unreadable (already a problem)
    found = _monitor_of_document(document)
    if found is None:
        expected = _EXPECTED_CONTENT.get(monitor, f"{MONITORS[monitor].heading} results")
        reader.problems.append(
            Problem(content, f"not in any known results format (expected {expected}); not shown")
        )
    if found is not monitor or monitor not in _CONTENT:
        return execution  # another monitor's file (reported as a conflict), or content not shown
    return _CONTENT[monitor](execution, content, reader)


# What the report reads of each monitor's content file (a monitor not listed shows its violations only).
_CONTENT: dict[MonitorType, Callable[[Execution, str, _Reader], Execution]] = {
    MonitorType.DATA_QUALITY: lambda execution, content, reader: replace(
        execution, data_quality=reader.parse(content, parse_data_quality_statistics)
    ),
    MonitorType.MODEL_QUALITY: lambda execution, content, reader: replace(
        execution, model_quality=reader.parse(content, parse_model_quality_statistics)
    ),
    MonitorType.MODEL_BIAS: lambda execution, content, reader: replace(
        execution, bias=reader.parse(content, parse_bias_analysis)
    ),
    MonitorType.MODEL_EXPLAINABILITY: lambda execution, content, reader: replace(
        execution, explainability=reader.parse(content, parse_explainability_analysis)
    ),
}


_EXPECTED_CONTENT = {
    MonitorType.DATA_QUALITY: "data-quality statistics with a features list",
    MonitorType.MODEL_QUALITY: "model-quality statistics with binary_classification_metrics, "
    "multiclass_classification_metrics or regression_metrics",
    MonitorType.MODEL_BIAS: "a Clarify analysis with post_training_bias_metrics or pre_training_bias_metrics",
    MonitorType.MODEL_EXPLAINABILITY: "a Clarify analysis with explanations",
}


# -- baselines ----------------------------------------------------------------------------------------------
_BASELINE_FIELDS = {
    DocumentKind.DATA_QUALITY_STATISTICS: ("data_quality_statistics", parse_data_quality_statistics),
    DocumentKind.DATA_QUALITY_CONSTRAINTS: ("data_quality_comparison_off", parse_data_quality_comparison_off),
    DocumentKind.MODEL_QUALITY_CONSTRAINTS: ("model_quality_constraints", parse_model_quality_constraints),
    DocumentKind.BIAS_ANALYSIS: ("bias", parse_bias_analysis),
    DocumentKind.EXPLAINABILITY_ANALYSIS: ("explainability", parse_explainability_analysis),
}
# Recognised baseline files the report does not need (they are not an error in a baseline folder).
_UNUSED_BASELINE_KINDS = {DocumentKind.MODEL_QUALITY_STATISTICS}


def load_baselines(locations: str | Sequence[str], storage: Storage) -> Baselines:
    """Baseline files given by the user: files or folders, each file recognised by its content.

    Raises ``BaselineError`` (listing every problem) when a file cannot be read, is not a baseline file,
    or two files are baselines of the same kind.
    """
    locations = [locations] if isinstance(locations, str) else list(locations)
    candidates: list[tuple[str, bool]] = []  # (file, given explicitly)
    problems: list[str] = []
    for location in locations:
        if not is_s3_uri(location) and Path(location).is_file():
            candidates.append((location, True))
            continue
        inside = storage.list_files(location, ".json")
        if inside:
            candidates.extend((f, False) for f in inside)
        elif storage.exists(location):
            candidates.append((location, True))
        else:
            problems.append(f"--baseline {location}: no such file or folder (or no .json files in it)")
    chosen: dict[DocumentKind, tuple[str, Any]] = {}
    for location, explicit in candidates:
        try:
            document = storage.read_json(location)
        except UserError as error:
            problems.extend(f"--baseline {p}" for p in error.problems)
            continue
        kinds = document_kinds(document) & (set(_BASELINE_FIELDS) | _UNUSED_BASELINE_KINDS)
        if not kinds and explicit:
            problems.append(
                f"--baseline {location}: not a baseline file; expected data-quality statistics.json, "
                "model-quality constraints.json or a Clarify analysis.json"
            )
        for kind in kinds & set(_BASELINE_FIELDS):
            if kind in chosen:
                problems.append(
                    f"--baseline: two {kind.value} files, {chosen[kind][0]} and {location}; give one of them"
                )
            else:
                chosen[kind] = (location, document)
        if not kinds and not explicit:
            logger.info("baseline folder: %s is not a baseline file; ignored", location)
    if not chosen and not problems:
        problems.append(
            f"--baseline {', '.join(locations)}: no baseline files found; expected data-quality "
            "statistics.json, model-quality constraints.json or a Clarify analysis.json"
        )
    values: dict[str, Any] = {}
    sources: dict[str, str] = {}
    for kind, (location, document) in chosen.items():
        name, parser = _BASELINE_FIELDS[kind]
        try:
            values[name], sources[name] = parser(document, location), location
        except DocumentError as error:
            problems.extend(f"--baseline {p}" for p in error.problems)
    if problems:
        raise BaselineError(problems)
    return Baselines(**values, sources=sources)


def _baselines_from_summary(references: dict[str, str], reader: _Reader) -> Baselines:
    """The baseline files a ``summary.json`` names; unreadable ones become problems."""
    reader.prefetch(references.values())
    values: dict[str, Any] = {}
    sources: dict[str, str] = {}
    for location in sorted(set(references.values())):
        document = reader.get(location)
        if document is None:
            continue
        for kind in sorted(document_kinds(document) & set(_BASELINE_FIELDS)):
            name, parser = _BASELINE_FIELDS[kind]
            parsed = reader.parse(location, parser)
            if parsed is not None and name not in values:
                values[name], sources[name] = parsed, location
    return Baselines(**values, sources=sources)


def _merge(preferred: Baselines, fallback: Baselines) -> Baselines:
    """``preferred``'s files, with ``fallback``'s where ``preferred`` has none."""
    values: dict[str, Any] = {}
    sources: dict[str, str] = {}
    for name, _ in _BASELINE_FIELDS.values():
        for baselines in (preferred, fallback):
            if getattr(baselines, name) is not None:
                values[name] = getattr(baselines, name)
                sources[name] = baselines.sources[name]
                break
    return Baselines(**values, sources=sources)
