"""Find execution folders below a root folder or S3 prefix.

Model Monitor writes every execution to ``{output}/{endpoint}/{schedule}/{yyyy}/{mm}/{dd}/{hh}/`` (the hour
is the execution's scheduled hour), and our ``run`` does the same:
https://docs.aws.amazon.com/sagemaker/latest/dg/model-monitor-interpreting-results.html
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import PurePath

from pipelines.monitors import MONITORS
from pipelines.monitors.files import SUMMARY
from pipelines.s3uri import S3Uri, is_s3_uri
from pipelines.storage import split_location


def result_files() -> frozenset[str]:
    """The files an execution folder may hold: ``summary.json`` and every registered monitor's results."""
    return frozenset({SUMMARY, *(name for monitor in MONITORS.values() for name in monitor.result_files)})


@dataclass(frozen=True, slots=True)
class ExecutionFolder:
    """A folder holding one execution's result files (by file name), and what its path says."""

    location: str
    endpoint: str | None
    schedule: str
    scheduled_hour: datetime | None
    files: dict[str, str]

    @property
    def series_key(self) -> tuple[str, str]:
        return (self.endpoint or "", self.schedule)


def _segments(folder: str) -> list[str]:
    if is_s3_uri(folder):
        return [s for s in S3Uri.parse(folder).key.split("/") if s]
    return [s for s in PurePath(folder).parts if s not in ("/", "\\")]


def parse_execution_path(folder: str) -> tuple[str, str, datetime] | None:
    """``(endpoint, schedule, scheduled hour)`` of a folder ending in ``endpoint/schedule/yyyy/mm/dd/hh``."""
    segments = _segments(folder)
    if len(segments) < 6:
        return None
    endpoint, schedule, year, month, day, hour = segments[-6:]
    if not (len(year) == 4 and all(len(s) == 2 for s in (month, day, hour))):
        return None
    if not all(s.isdigit() for s in (year, month, day, hour)):
        return None
    try:
        when = datetime(int(year), int(month), int(day), int(hour), tzinfo=UTC)
    except ValueError:
        return None
    return endpoint, schedule, when


def _same_folder(a: str, b: str) -> bool:
    if is_s3_uri(a) and is_s3_uri(b):
        ua, ub = S3Uri.parse(a), S3Uri.parse(b)
        return ua.bucket == ub.bucket and ua.key.strip("/") == ub.key.strip("/")
    return PurePath(a) == PurePath(b)


def find_execution_folders(files: Iterable[str], source: str) -> tuple[list[ExecutionFolder], list[str]]:
    """Group result files into execution folders.

    Returns the folders whose path has the ``endpoint/schedule/yyyy/mm/dd/hh`` shape (or that are ``source``
    itself, for a single execution copied anywhere), and the other folders that hold result files, which
    are not executions (e.g. a baseline folder kept next to the results) and are reported, not read.
    """
    by_folder: dict[str, dict[str, str]] = defaultdict(dict)
    names = result_files()
    for location in files:
        folder, name = split_location(location)
        if name in names:
            by_folder[folder][name] = location
    folders: list[ExecutionFolder] = []
    skipped: list[str] = []
    for folder, named in sorted(by_folder.items()):
        parsed = parse_execution_path(folder)
        if parsed is not None:
            endpoint, schedule, when = parsed
            folders.append(ExecutionFolder(folder, endpoint, schedule, when, named))
        elif _same_folder(folder, source):
            folders.append(ExecutionFolder(folder, None, split_location(folder)[1] or folder, None, named))
        else:
            skipped.append(folder)
    return folders, skipped
