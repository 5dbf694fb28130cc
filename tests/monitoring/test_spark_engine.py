"""The Spark engine (``local[2]``) writes the local engine's files: the four monitors on a captured hour with
ground truth joined by Spark, and a BASE64 capture of batched JSON and CSV requests with unreadable lines.
One SparkSession for the whole test session (starting the JVM is most of the cost)."""

from __future__ import annotations

import base64
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

import numpy as np
import pytest
from capture_traffic import ENDPOINT, START, write_traffic
from engine_results import differences, result_files, summaries
from monitor_world import World, make_world
from test_engines import WINDOW, _run, with_a_copied_capture_file
from transaction_scoring.contract import LABEL_COLUMN

from pipelines.capture import CapturedPayload, CaptureEncoding, CaptureRecord
from pipelines.monitoring.engines import EngineKind, EngineSpec
from pipelines.monitoring.execution import run_execution
from pipelines.monitoring.record_source import DatasetColumns
from pipelines.monitoring.run_settings import RunOptions
from pipelines.monitoring.settings_resolution import resolve_run_settings
from pipelines.monitors import MonitorType
from pipelines.sandbox.data import GeneratorSettings, generate_transactions
from pipelines.storage import Storage
from pipelines.timewindow import parse_utc

pytest.importorskip("pyspark", reason="the Spark engine's tests need requirements-spark.txt")
pytestmark = pytest.mark.xdist_group("spark")

SPARK = EngineSpec(EngineKind.SPARK, spark_master="local[2]")


@pytest.fixture(scope="module")
def spark() -> Iterator[None]:
    from pipelines.monitoring.engines.spark import spark_session

    session = spark_session("local[2]")
    yield
    session.stop()


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory) -> World:
    return make_world(tmp_path_factory.mktemp("spark"))


def test_the_spark_engine_writes_the_local_engines_files_for_the_four_monitors(
    spark: None, world: World, tmp_path: Path
) -> None:
    _run(world, tmp_path / "local", EngineSpec(processes=1))
    _run(world, tmp_path / "spark", SPARK)
    local, on_spark = result_files(tmp_path / "local"), result_files(tmp_path / "spark")
    assert len(local) == 8
    assert list(local) == list(on_spark)
    assert differences(local, on_spark) == []
    assert summaries(tmp_path / "local") == summaries(tmp_path / "spark")


def test_a_base64_capture_of_batched_json_and_csv_requests_reads_the_same_through_spark(
    spark: None, world: World, tmp_path: Path
) -> None:
    hour = generate_transactions(GeneratorSettings(rows=200, seed=21))
    probabilities = np.random.default_rng(22).random(len(hour))
    traffic = write_traffic(tmp_path / "hour", hour, probabilities, seed=23, encodings={})
    first_file = sorted(Path(traffic.capture).rglob("*.jsonl"))[0]
    csv = CaptureRecord(
        CapturedPayload(base64.b64encode(b"1,2.5,a\n3,4.5,b").decode(), CaptureEncoding.BASE64, "text/csv"),
        CapturedPayload(base64.b64encode(b"0.1\n0.9").decode(), CaptureEncoding.BASE64, "text/csv"),
        event_id="csv-batch",
        inference_time=parse_utc(START) + timedelta(minutes=5),
    )
    with first_file.open("a") as capture:
        capture.write(csv.to_line() + "\n" + "not a capture line\n")
    world_here = World(world.root, world.model, world.held_out, world.baseline, traffic, traffic)
    monitors = (MonitorType.DATA_QUALITY, MonitorType.MODEL_QUALITY)
    _run(world_here, tmp_path / "local", EngineSpec(processes=1), monitors)
    _run(world_here, tmp_path / "spark", SPARK, monitors)
    local, on_spark = summaries(tmp_path / "local"), summaries(tmp_path / "spark")
    assert local[f"{ENDPOINT}-DataQuality"]["inputs"]["unreadable_lines"] == 1
    assert local == on_spark
    assert differences(result_files(tmp_path / "local"), result_files(tmp_path / "spark")) == []


def test_a_capture_file_copied_into_another_partition_is_read_once_by_spark(
    spark: None, world: World, tmp_path: Path
) -> None:
    copied = with_a_copied_capture_file(world, tmp_path)
    monitors = (MonitorType.DATA_QUALITY, MonitorType.MODEL_QUALITY)
    _run(copied, tmp_path / "local", EngineSpec(processes=1), monitors)
    _run(copied, tmp_path / "spark", SPARK, monitors)
    local = summaries(tmp_path / "local")
    assert local[f"{ENDPOINT}-DataQuality"]["inputs"]["duplicate_requests"] > 0
    assert local == summaries(tmp_path / "spark")
    assert differences(result_files(tmp_path / "local"), result_files(tmp_path / "spark")) == []


def test_a_dataset_reads_the_same_through_spark(spark: None, world: World, tmp_path: Path) -> None:
    outputs = {}
    for name, engine in (("local", EngineSpec(processes=1)), ("spark", SPARK)):
        options = RunOptions(
            window=WINDOW,
            dataset=str(world.held_out),
            dataset_columns=DatasetColumns(label=LABEL_COLUMN),
            endpoint=ENDPOINT,
            output=str(tmp_path / name),
            baseline=str(world.baseline),
            monitors=(MonitorType.DATA_QUALITY,),
            engine=engine,
        )
        run_execution(Storage(), resolve_run_settings(options, None, Storage()).settings)
        outputs[name] = result_files(tmp_path / name)
    assert len(outputs["local"]) == 2
    assert differences(outputs["local"], outputs["spark"]) == []
    assert summaries(tmp_path / "local") == summaries(tmp_path / "spark")
