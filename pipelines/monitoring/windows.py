"""Reading a run's windows of records: each window once, for every monitor that uses it.

The records come from the run's source (``record_source``: an endpoint's or a transform's data capture, or
a dataset). Monitors without ground truth read the execution window; monitors with ground truth read the
window moved by ``StartTimeOffset``/``EndTimeOffset``, merged with the labels collected up to the scheduled
time (``ground_truth_merge``), or, for a dataset, labelled by its own label column. When the two windows
are the same, it is read once for all. While a window is
read, batch by batch, each monitor's accumulator sees every batch (data quality profiles it, memory bounded
by features), and records are kept only as far as a monitor asks (``Records``): all of them, or a seeded
uniform sample of at most ``explain_max_records``.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import numpy as np
import polars as pl

from pipelines.monitoring.ground_truth_merge import (
    GroundTruthLabels,
    MergeReport,
    capture_window,
    ground_truth_window,
    labelled_in_records,
    merge_ground_truth,
    read_ground_truth,
)
from pipelines.monitoring.hooks import Reading, Records, WindowData
from pipelines.monitoring.run_settings import RunSettings
from pipelines.monitors import MONITORS, MonitorType
from pipelines.storage import Storage
from pipelines.timewindow import TimeWindow


def read_windows(
    storage: Storage, settings: RunSettings, readings: Mapping[MonitorType, Reading]
) -> dict[MonitorType, WindowData]:
    """The window of each monitor in ``readings``, each window read once."""
    labelled = [m for m in readings if MONITORS[m].needs_ground_truth]
    own = [m for m in readings if not MONITORS[m].needs_ground_truth]
    windows: dict[MonitorType, WindowData] = {}
    if labelled:
        window = capture_window(settings.window, settings.start_offset, settings.end_offset)
        same = window == settings.window
        data = _read_window(
            storage,
            settings,
            window,
            {m: readings[m] for m in own} if same else {},
            Records.ALL,
        )
        assert data.records is not None
        if settings.source.labels_in_records:
            data.merge = labelled_in_records(data.records)
        else:
            assert settings.ground_truth is not None
            labels = read_ground_truth(
                storage, settings.ground_truth, ground_truth_window(window, settings.window)
            )
            if data.records.height:
                data.records, data.merge = merge_ground_truth(data.records, labels)
            else:  # nothing captured: no columns to join on
                data.merge = _empty_merge(labels)
            data.labels = labels
        windows.update(dict.fromkeys(labelled, data))
        if same:
            records = _kept(data.records, _records_of(readings, own), settings)
            windows.update(
                dict.fromkeys(own, WindowData(settings.window, data.report, data.accumulators, records))
            )
            return windows
    if own:
        data = _read_window(
            storage, settings, settings.window, {m: readings[m] for m in own}, _records_of(readings, own)
        )
        windows.update(dict.fromkeys(own, data))
    return windows


def _records_of(readings: Mapping[MonitorType, Reading], monitors: Sequence[MonitorType]) -> Records:
    """What the monitors sharing a window keep together: every record if one needs them all."""
    wanted = {readings[m].records for m in monitors}
    if Records.ALL in wanted:
        return Records.ALL
    return Records.SAMPLE if Records.SAMPLE in wanted else Records.NONE


def _kept(records: pl.DataFrame | None, wanted: Records, settings: RunSettings) -> pl.DataFrame | None:
    if records is None or wanted is Records.NONE:
        return None
    if wanted is Records.ALL or settings.explain_max_records is None:
        return records
    if records.height <= settings.explain_max_records:
        return records
    return records.sample(n=settings.explain_max_records, seed=settings.seed)


class UniformSample:
    """At most ``size`` records drawn uniformly from a stream of batches (seeded), in bounded memory.

    Every record gets a random key and the ``size`` smallest keys are kept: the same as sampling the whole
    stream without replacement, with only ``size`` records held at a time. Without a size, every record.
    """

    _KEY = "__sample_key"

    def __init__(self, size: int | None, seed: int) -> None:
        self._size = size
        self._rng = np.random.default_rng(seed)
        self._frames: list[pl.DataFrame] = []

    def add(self, batch: pl.DataFrame) -> None:
        if self._size is None:
            self._frames.append(batch)
            return
        keyed = batch.with_columns(pl.Series(self._KEY, self._rng.random(batch.height)))
        combined = pl.concat([*self._frames, keyed], how="diagonal_relaxed")
        self._frames = [combined.sort(self._KEY).head(self._size)]

    def result(self) -> pl.DataFrame:
        if not self._frames:
            return pl.DataFrame()
        combined = (
            pl.concat(self._frames, how="diagonal_relaxed") if len(self._frames) > 1 else self._frames[0]
        )
        return combined.drop(self._KEY, strict=False)


def _read_window(
    storage: Storage,
    settings: RunSettings,
    window: TimeWindow,
    readings: Mapping[MonitorType, Reading],
    records: Records,
) -> WindowData:
    """Read ``window`` once: feed each monitor's accumulator, keep ``records``."""
    reader = settings.source.reader(storage)
    parts = settings.source.parts(storage, window)
    accumulators = {
        monitor.value: reading.accumulator()
        for monitor, reading in readings.items()
        if reading.accumulator is not None
    }
    sample = None
    if records is not Records.NONE:
        sample = UniformSample(
            settings.explain_max_records if records is Records.SAMPLE else None, settings.seed
        )
    for batch in reader.batches(parts):
        for accumulator in accumulators.values():
            accumulator.add(batch)
        if sample is not None:
            sample.add(batch)
    return WindowData(window, reader.report, accumulators, None if sample is None else sample.result())


def _empty_merge(labels: GroundTruthLabels) -> MergeReport:
    return MergeReport(
        records=0,
        matched_records=0,
        unmatched_records=0,
        ground_truth_labels=len(labels.labels),
        matched_ground_truth=0,
        unmatched_ground_truth=len(labels.labels),
        superseded_labels=labels.superseded,
        unreadable_lines=labels.unreadable_lines,
    )
