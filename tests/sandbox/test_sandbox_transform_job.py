"""The sandbox's batch transform job writes the capture a transform job writes, and the monitors read it
(``run --transform-capture``) on S3 and on a local copy (issue 12, point 6)."""

from __future__ import annotations

import json
from datetime import timedelta
from pathlib import Path
from typing import Any

import pandas as pd
import pytest
from transaction_scoring.contract import IDENTIFIER_COLUMNS, LABEL_COLUMN, PERSONAL_DATA_COLUMNS

from pipelines.aws import client
from pipelines.ground_truth import GroundTruthRecord, ground_truth_file_key
from pipelines.model import FraudModel
from pipelines.monitoring.baseline import BaselineOptions, make_baselines
from pipelines.monitoring.cli import main
from pipelines.sandbox.data import GeneratorSettings, generate_transactions, request_records
from pipelines.sandbox.transform_job import (
    TransformContent,
    TransformJobResult,
    TransformJobSettings,
    run_transform_job,
)
from pipelines.storage import Storage, join_location
from pipelines.timewindow import parse_utc
from pipelines.transform_capture import INFERENCE_ID_FIELD, INFERENCE_TIME_FIELD, parse_manifest

STARTED = parse_utc("2026-11-29T13:20:00Z")
WINDOW = ["--start", "2026-11-29T13:00:00Z", "--end", "2026-11-29T14:00:00Z"]
EXECUTION_HOUR = "2026/11/29/14"


@pytest.fixture(scope="module")
def batch() -> pd.DataFrame:
    return generate_transactions(GeneratorSettings(rows=240, seed=21))


@pytest.fixture(scope="module")
def baseline(tmp_path_factory: pytest.TempPathFactory, small_model: FraudModel) -> Path:
    folder = tmp_path_factory.mktemp("baseline")
    options = BaselineOptions(
        monitors=None,
        label=LABEL_COLUMN,
        exclude=(*IDENTIFIER_COLUMNS, *PERSONAL_DATA_COLUMNS),
        model_quality_slack=0.2,
    )
    held_out = generate_transactions(GeneratorSettings(rows=1000, seed=22))
    make_baselines(Storage(), held_out, str(folder), options, small_model)
    return folder


def transform(
    storage: Storage, root: str, model: FraudModel, batch: pd.DataFrame, **settings: Any
) -> TransformJobResult:
    return run_transform_job(
        storage,
        model,
        request_records(batch),
        TransformJobSettings(
            name="fraud-batch-20261129",
            input_prefix=join_location(root, "transform-input"),
            output_prefix=join_location(root, "transform-output"),
            capture_destination=join_location(root, "datacapture"),
            started_at=STARTED,
            records_per_file=100,
            **settings,
        ),
    )


def write_labels(storage: Storage, root: str, job: TransformJobResult, batch: pd.DataFrame) -> str:
    """Ground truth on the transform's inference IDs, collected within the hour."""
    lines = [
        GroundTruthRecord(str(inference_id), str(label)).to_line()
        for inference_id, label in zip(job.inference_ids, batch[LABEL_COLUMN], strict=True)
    ]
    location = join_location(root, "ground-truth")
    key = ground_truth_file_key(STARTED + timedelta(minutes=30), "labels")
    storage.write_text(join_location(location, key), "\n".join(lines) + "\n")
    return location


def summary(output: Path | str, storage: Storage, schedule: str) -> dict[str, Any]:
    location = join_location(str(output), "datacapture", f"datacapture-{schedule}", EXECUTION_HOUR)
    document: dict[str, Any] = storage.read_json(join_location(location, "summary.json"))
    return document


def test_a_transform_job_writes_manifests_of_its_input_and_output_files_in_its_start_hour(
    tmp_path: Path, small_model: FraudModel, batch: pd.DataFrame
) -> None:
    job = transform(Storage(), str(tmp_path), small_model, batch)
    input_manifest, output_manifest = (Path(m) for m in job.manifests)
    assert input_manifest == tmp_path / "datacapture/input/2026/11/29/13/fraud-batch-20261129.jsonl"
    assert output_manifest == tmp_path / "datacapture/output/2026/11/29/13/fraud-batch-20261129.jsonl"
    manifest = parse_manifest(input_manifest.read_text())
    assert manifest.prefix == str(tmp_path / "transform-input")
    assert manifest.names == ("part-00000.jsonl", "part-00001.jsonl", "part-00002.jsonl")
    assert parse_manifest(output_manifest.read_text()).names == tuple(n + ".out" for n in manifest.names)
    first = json.loads(Path(job.output_files[0]).read_text().splitlines()[0])
    assert set(first) == {"class", "probability", INFERENCE_ID_FIELD, INFERENCE_TIME_FIELD}
    assert first[INFERENCE_ID_FIELD] == job.inference_ids[0]
    assert first[INFERENCE_TIME_FIELD] == "2026-11-29T13:20:00Z"


def test_the_same_seed_gives_the_same_inference_ids(
    tmp_path: Path, small_model: FraudModel, batch: pd.DataFrame
) -> None:
    first = transform(Storage(), str(tmp_path / "a"), small_model, batch)
    second = transform(Storage(), str(tmp_path / "b"), small_model, batch)
    assert first.inference_ids == second.inference_ids
    assert len(set(first.inference_ids)) == len(batch)


def test_the_monitors_read_a_transform_capture_on_s3_with_ground_truth_on_its_inference_ids(
    tmp_path: Path, aws_emulator: Any, small_model: FraudModel, batch: pd.DataFrame, baseline: Path
) -> None:
    client("s3").create_bucket(Bucket="batch")
    storage = Storage(client("s3"))
    job = transform(storage, "s3://batch", small_model, batch)
    labels = write_labels(storage, "s3://batch", job, batch)
    code = main(
        [
            "run", "--transform-capture", "s3://batch/datacapture", "--output", "s3://batch/monitoring",
            "--baseline", str(baseline), "--ground-truth", labels, "--monitors", "data-quality,model-quality",
            *WINDOW,
        ]
    )  # fmt: skip
    data_quality = summary("s3://batch/monitoring", storage, "DataQuality")
    assert (data_quality["status"], data_quality["inputs"]["records"]) == ("Completed", len(batch))
    model_quality = summary("s3://batch/monitoring", storage, "ModelQuality")
    assert model_quality["inputs"]["ground_truth_matched"] == len(batch)
    assert model_quality["inputs"]["evaluated_records"] == len(batch)
    assert code == (1 if model_quality["violations"] else 0)  # a small model on 240 records


def test_csv_and_json_lines_transforms_joined_with_their_input_give_the_same_metrics(
    tmp_path: Path, small_model: FraudModel, batch: pd.DataFrame, baseline: Path
) -> None:
    storage = Storage()
    statistics = {}
    for content in TransformContent:
        root = tmp_path / content.name
        job = transform(storage, str(root), small_model, batch, content=content, join_input=True)
        labels = write_labels(storage, str(root), job, batch)
        main(
            [
                "run", "--transform-capture", str(root / "datacapture"), "--output", str(root / "out"),
                "--baseline", str(baseline), "--ground-truth", labels, "--monitors", "model-quality", *WINDOW,
            ]
        )  # fmt: skip
        model_quality = summary(root / "out", storage, "ModelQuality")
        assert model_quality["inputs"]["evaluated_records"] == len(batch)
        assert model_quality["inputs"]["response_problems"] == 0
        folder = root / "out/datacapture/datacapture-ModelQuality" / EXECUTION_HOUR
        statistics[content] = json.loads((folder / "statistics.json").read_text())
    csv_output = (tmp_path / "CSV/transform-output/part-00000.csv.out").read_text().splitlines()[0]
    csv_input = (tmp_path / "CSV/transform-input/part-00000.csv").read_text().splitlines()[0]
    assert csv_output.startswith(csv_input + ",")  # JoinSource: Input
    json_output = json.loads(
        (tmp_path / "JSON_LINES/transform-output/part-00000.jsonl.out").read_text().splitlines()[0]
    )
    assert set(json_output) > {"SageMakerOutput", "Transaction Amount", INFERENCE_ID_FIELD}
    assert statistics[TransformContent.CSV] == statistics[TransformContent.JSON_LINES]
