"""The engines: partial results merged in any slicing and order, and the local engine on several processes,
give the files one pass gives (exact fields exactly, floats within rounding, sketches exact while small)."""

from __future__ import annotations

import random
import shutil
from dataclasses import replace
from pathlib import Path
from typing import Any

import numpy as np
import polars as pl
import pytest
from capture_traffic import END, ENDPOINT, START
from engine_results import differences, result_files, summaries
from monitor_world import World, make_world

from pipelines.monitoring.capture_reader import CaptureReader, capture_files
from pipelines.monitoring.data_quality.sketches import WeightedSample, histogram_buckets, kll_levels, new_kll
from pipelines.monitoring.engines import EngineSpec
from pipelines.monitoring.engines.local import file_slices
from pipelines.monitoring.execution import load_baseline, run_execution
from pipelines.monitoring.explainers import load_explainer
from pipelines.monitoring.ground_truth_merge import attach_ground_truth, read_ground_truth
from pipelines.monitoring.hooks import MonitorInputs, WindowData, hooks_of
from pipelines.monitoring.partial_results import SeededSample, fold, sample_keys
from pipelines.monitoring.run_settings import ExplainerSpec, RunOptions, RunSettings
from pipelines.monitoring.settings_resolution import resolve_run_settings
from pipelines.monitors import MONITORS, MonitorType
from pipelines.storage import Storage
from pipelines.timewindow import TimeWindow, parse_utc

WINDOW = TimeWindow(parse_utc(START), parse_utc(END))
pytestmark = pytest.mark.xdist_group("engines")


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory) -> World:
    return make_world(tmp_path_factory.mktemp("engines"))


def _settings(
    world: World,
    output: Path,
    engine: EngineSpec | None = None,
    monitors: tuple[MonitorType, ...] | None = None,
) -> tuple[RunSettings, Any]:
    options = RunOptions(
        monitors=monitors,
        capture=str(world.drifted.capture),
        window=WINDOW,
        endpoint=ENDPOINT,
        output=str(output),
        baseline=str(world.baseline),
        ground_truth=str(world.drifted.ground_truth),
        explainer=ExplainerSpec(model=str(world.model)),
        engine=engine or EngineSpec(),
    )
    resolved = resolve_run_settings(options, None, Storage())
    return resolved.settings, load_explainer(resolved.explainer, Storage(), lambda: None)  # type: ignore[arg-type,return-value]


def _run(
    world: World, output: Path, engine: EngineSpec, monitors: tuple[MonitorType, ...] | None = None
) -> None:
    settings, explainer = _settings(world, output, engine, monitors)
    run_execution(Storage(), settings, explainer)


def test_the_local_engine_on_two_processes_writes_the_files_of_one_process(
    world: World, tmp_path: Path
) -> None:
    _run(world, tmp_path / "one", EngineSpec(processes=1))
    _run(world, tmp_path / "two", EngineSpec(processes=2, min_parallel_bytes=0))
    one, two = result_files(tmp_path / "one"), result_files(tmp_path / "two")
    assert len(one) == 8  # statistics/violations/analysis of the four monitors
    assert list(one) == list(two)
    assert differences(one, two) == []
    assert summaries(tmp_path / "one") == summaries(tmp_path / "two")


def test_a_window_split_into_more_slices_than_files_still_covers_every_file() -> None:
    files = [f"f{i}" for i in range(5)]
    slices = file_slices(files, 8)
    assert [first for first, _ in slices] == [0, 1, 2, 3, 4]
    assert [f for _, run in slices for f in run] == files
    assert [len(run) for _, run in file_slices(files, 2)] == [3, 2]


# -- merging in any slicing and order ------------------------------------------------------------------------
def _labelled_records(world: World) -> pl.DataFrame:
    storage = Storage()
    files = capture_files(storage, str(world.drifted.capture), ENDPOINT, WINDOW)
    records = CaptureReader(storage, prefetch=False).read(files)
    labels = read_ground_truth(storage, str(world.drifted.ground_truth), WINDOW)
    merged, _ = attach_ground_truth(records, labels.table())
    return merged


def _slices(records: pl.DataFrame, rng: random.Random) -> list[pl.DataFrame]:
    """A random partition of the records (not contiguous: slices interleave), in random sizes."""
    owner = np.array([rng.randrange(rng.randint(2, 6)) for _ in range(records.height)])
    return [records.filter(pl.Series(owner == k)) for k in np.unique(owner)]


def _merged_in_random_order(spec: Any, partials: list[Any], rng: random.Random) -> Any:
    pending = [spec.from_bytes(spec.to_bytes(p)) for p in partials]  # each crosses a process boundary
    while len(pending) > 1:
        i, j = rng.sample(range(len(pending)), 2)
        merged = spec.merge(pending[i], pending[j])
        pending = [p for k, p in enumerate(pending) if k not in (i, j)] + [merged]
    return pending[0]


def _finished(
    world: World, settings: RunSettings, monitor: MonitorType, partial: Any, out: Path
) -> dict[str, Any]:
    _, baseline = load_baseline(Storage(), monitor, settings, [])
    storage = Storage()
    labels = read_ground_truth(storage, str(world.drifted.ground_truth), WINDOW)
    from pipelines.monitoring.capture_reader import CaptureReadReport
    from pipelines.monitoring.ground_truth_merge import matched_report

    report = CaptureReadReport(records=world.drifted.records)
    data = WindowData(WINDOW, report, {}, labels, matched_report(world.drifted.records, 1, 1, labels))
    _, explainer = _settings(world, out)
    model = explainer.load() if MONITORS[monitor].needs_model else None
    computed = hooks_of(MONITORS[monitor]).finish(MonitorInputs(settings, baseline, data, partial, model))
    computed.write(storage, str(out))
    return result_files(out)


@pytest.mark.parametrize("monitor", list(MONITORS), ids=lambda m: m.value)
def test_partials_merged_in_any_slicing_and_order_finish_into_the_files_of_one_pass(
    world: World, tmp_path: Path, monitor: MonitorType
) -> None:
    settings, _ = _settings(world, tmp_path)
    _, baseline = load_baseline(Storage(), monitor, settings, [])
    spec = hooks_of(MONITORS[monitor]).partials(settings, baseline)
    records = _labelled_records(world)
    one_pass = _finished(world, settings, monitor, fold(spec, [records]), tmp_path / "one")
    for seed in range(3):
        rng = random.Random(seed)
        partials = [fold(spec, [piece]) for piece in _slices(records, rng)]
        merged = _merged_in_random_order(spec, partials, rng)
        sliced = _finished(world, settings, monitor, merged, tmp_path / f"sliced-{seed}")
        assert differences(one_pass, sliced) == [], f"slicing {seed}"


# -- seeded samples ------------------------------------------------------------------------------------------
def test_a_seeded_sample_keeps_the_same_records_whatever_the_slicing() -> None:
    records = pl.DataFrame({"__position": np.arange(10_000, dtype=np.int64), "x": np.arange(10_000)})
    whole = SeededSample(500, seed=3)
    whole.add(records)
    pieces = SeededSample(500, seed=3)
    for piece in records.iter_slices(777):
        part = SeededSample(500, seed=3)
        part.add(piece)
        pieces.merge(SeededSample.from_bytes(part.to_bytes(), 500, 3))
    assert whole.records().height == 500
    assert whole.records().equals(pieces.records())
    assert whole.records().get_column("__position").is_sorted()


def test_sample_keys_are_uniform_and_differ_by_seed_and_stream() -> None:
    position = np.arange(200_000, dtype=np.int64)
    keys = sample_keys(position, seed=0)
    assert keys.min() >= 0.0
    assert keys.max() < 1.0
    assert abs(float((keys < 0.8).mean()) - 0.8) < 0.005
    assert not np.array_equal(keys, sample_keys(position, seed=1))
    assert not np.array_equal(keys, sample_keys(position, seed=0, stream=1))
    assert np.array_equal(keys[1000:2000], sample_keys(position[1000:2000], seed=0))


def with_a_copied_capture_file(world: World, tmp_path: Path) -> World:
    """The world with its drifted hour's first capture file uploaded again under a name read last."""
    capture = tmp_path / "capture"
    shutil.copytree(world.drifted.capture, capture)
    files = sorted(capture.rglob("*.jsonl"))
    shutil.copy(files[0], files[-1].parent / "zz-copy-of-the-first.jsonl")
    return World(
        world.root,
        world.model,
        world.held_out,
        world.baseline,
        world.clean,
        replace(world.drifted, capture=capture),
    )


def test_a_capture_file_copied_into_another_slice_is_read_once_by_the_workers(
    world: World, tmp_path: Path
) -> None:
    copied = with_a_copied_capture_file(world, tmp_path)
    monitors = (MonitorType.DATA_QUALITY, MonitorType.MODEL_QUALITY)
    _run(copied, tmp_path / "one", EngineSpec(processes=1), monitors)
    _run(copied, tmp_path / "two", EngineSpec(processes=2, min_parallel_bytes=0), monitors)
    one = summaries(tmp_path / "one")
    assert one[f"{ENDPOINT}-DataQuality"]["inputs"]["records"] == world.drifted.records
    assert one == summaries(tmp_path / "two")
    assert differences(result_files(tmp_path / "one"), result_files(tmp_path / "two")) == []


def _kll_block(values: np.ndarray) -> dict[str, Any]:
    sketch = new_kll()
    for value in values:
        sketch.update(float(value))
    sample = WeightedSample.from_kll(sketch)
    buckets = histogram_buckets(sample, float(values.min()), float(values.max()))
    data = kll_levels(sketch)
    return {"buckets": buckets, "sketch": {"parameters": {"c": 2 / 3, "k": 2048.0}, "data": data}}


def test_kll_blocks_past_k_values_compare_as_distributions_within_the_rank_error() -> None:
    values = np.random.default_rng(5).normal(size=20_000)
    one_pass = _kll_block(values)
    reordered = _kll_block(values[::-1])  # the compactions' random bits and order differ
    assert one_pass["sketch"]["data"] != reordered["sketch"]["data"]
    assert differences(one_pass, reordered, "x.kll") == []
    # A different distribution with the same minimum and maximum (so the same bucket bounds).
    shifted = np.where(values < np.quantile(values, 0.4), values, values + 0.05)
    shifted[np.argmin(values)], shifted[np.argmax(values)] = values.min(), values.max()
    problems = differences(one_pass, _kll_block(shifted), "x.kll")
    assert problems
    assert all(line.startswith("x.kll.") for line in problems)
