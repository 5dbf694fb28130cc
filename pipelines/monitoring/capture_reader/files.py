"""Which capture files a window reads: ``{capture_root}/{endpoint}/{variant}/yyyy/mm/dd/hh/*.jsonl``."""

from __future__ import annotations

from pipelines.storage import Storage, join_location
from pipelines.timewindow import TimeWindow


def capture_files(
    storage: Storage,
    capture_root: str,
    endpoint: str,
    window: TimeWindow | None = None,
    variant: str | None = None,
) -> list[str]:
    """The capture files of ``endpoint`` (all variants unless one is named) in the window's hour folders.

    With a variant, only the window's hour folders are listed; without one, the endpoint's whole prefix is
    listed once and filtered (variant names are not known in advance).
    """
    if variant and window is not None:
        return [
            path
            for partition in window.partitions()
            for path in storage.list_files(
                join_location(capture_root, endpoint, variant, partition), ".jsonl"
            )
        ]
    base = (
        join_location(capture_root, endpoint, variant) if variant else join_location(capture_root, endpoint)
    )
    files = storage.list_files(base, suffix=".jsonl")
    if window is None:
        return files
    hours = [f"/{partition}/" for partition in window.partitions()]
    return [f for f in files if any(hour in f.replace("\\", "/") for hour in hours)]
