"""Reading a run's windows of records: each window once, for every monitor that uses it.

The records come from the run's source (``record_source``: an endpoint's or a transform's data capture, or
a dataset). Monitors without ground truth read the execution window; monitors with ground truth read the
window moved by ``StartTimeOffset``/``EndTimeOffset``, merged with the labels collected up to the scheduled
time (``ground_truth_merge``), or, for a dataset, labelled by its own label column. When the two windows
are the same, it is read once for all. A window is read by
the run's engine (``engines``: this machine's cores, or Spark), which hands every batch of records to each
monitor's partial result (``MonitorHooks.partials``) and merges the partials of its slices; each monitor then
finishes its merged partial (``execution``).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from pipelines.monitoring.engines import (
    EngineKind,
    GroundTruthSource,
    WindowJob,
    WindowPartial,
    compute_window,
)
from pipelines.monitoring.engines.window_job import labels_bytes
from pipelines.monitoring.ground_truth_merge import (
    GroundTruthLabels,
    capture_window,
    ground_truth_files,
    ground_truth_window,
    matched_report,
    read_ground_truth,
    self_labelled_report,
)
from pipelines.monitoring.hooks import WindowData
from pipelines.monitoring.partial_results import Partials
from pipelines.monitoring.run_settings import RunSettings
from pipelines.monitors import MONITORS, MonitorType
from pipelines.s3uri import is_s3_uri
from pipelines.storage import Storage
from pipelines.timewindow import TimeWindow


def read_windows(
    storage: Storage, settings: RunSettings, partials: Mapping[MonitorType, Partials[Any]]
) -> dict[MonitorType, WindowData]:
    """The window of each monitor in ``partials``, each window read once."""
    labelled = [m for m in partials if MONITORS[m].needs_ground_truth]
    own = [m for m in partials if not MONITORS[m].needs_ground_truth]
    windows: dict[MonitorType, WindowData] = {}
    if labelled:
        window = capture_window(settings.window, settings.start_offset, settings.end_offset)
        same = window == settings.window
        readers = [*labelled, *own] if same else labelled
        data = _read_window(storage, settings, window, {m: partials[m] for m in readers}, labelled=True)
        windows.update(dict.fromkeys(labelled, data))
        if same:  # the others read the same records, without the labels' counts
            windows.update(dict.fromkeys(own, WindowData(data.window, data.report, data.partials)))
            return windows
    if own:
        data = _read_window(storage, settings, settings.window, {m: partials[m] for m in own}, labelled=False)
        windows.update(dict.fromkeys(own, data))
    return windows


def _read_window(
    storage: Storage,
    settings: RunSettings,
    window: TimeWindow,
    partials: Mapping[MonitorType, Partials[Any]],
    *,
    labelled: bool,
) -> WindowData:
    source = settings.source
    parts = source.parts(storage, window)
    on_spark = settings.engine.kind is EngineKind.SPARK
    labels: GroundTruthLabels | None = None
    ground_truth: GroundTruthSource | None = None
    in_records = labelled and source.labels_in_records
    if labelled and not in_records:
        assert settings.ground_truth is not None
        hours = ground_truth_window(window, settings.window)
        if on_spark:
            ground_truth = GroundTruthSource(tuple(ground_truth_files(storage, settings.ground_truth, hours)))
        else:
            labels = read_ground_truth(storage, settings.ground_truth, hours)
    job = WindowJob(
        source=source,
        parts=parts,
        partials={m.value: spec for m, spec in partials.items()},
        labels=None if labels is None else labels_bytes(labels.table()),
        s3_region=_region(storage, [source.location, *((settings.ground_truth,) if ground_truth else ())]),
    )
    result = compute_window(storage, job, settings.engine, ground_truth)
    if in_records:
        merge = self_labelled_report(result.report.records, result.matched)
        return WindowData(window, result.report, result.partials, None, merge)
    return _window_data(window, result, labels if labels is not None else result.labels, labelled)


def _window_data(
    window: TimeWindow, result: WindowPartial, labels: GroundTruthLabels | None, labelled: bool
) -> WindowData:
    merge = None
    if labelled:
        labels = labels or GroundTruthLabels()
        merge = matched_report(result.report.records, result.matched, result.labels_used, labels)
    return WindowData(
        window,
        result.report,
        result.partials,
        None if labels is None else labels.counts_only(),
        merge,
    )


def _region(storage: Storage, locations: Sequence[str]) -> str | None:
    """The S3 client's region when a location is on S3 (worker processes make their own client)."""
    if not any(is_s3_uri(location) for location in locations):
        return None
    return storage.s3.meta.region_name
