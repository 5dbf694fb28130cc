"""Reading a batch transform's data capture: manifests, input and output files as AWS documents them
(https://docs.aws.amazon.com/sagemaker/latest/dg/model-monitor-data-capture-batch.html; issue 12, point 6)."""

from __future__ import annotations

import gzip
import json
from pathlib import Path

import polars as pl
import pytest

from pipelines.monitoring.capture_reader import (
    EVENT_ID,
    INFERENCE_ID,
    INFERENCE_TIME,
    PREDICTED_LABEL,
    PREDICTED_PROBABILITY,
    CaptureReadReport,
    ResponseFields,
)
from pipelines.monitoring.capture_reader.transform import OutputColumns
from pipelines.monitoring.record_source import TransformCapture
from pipelines.monitoring.run_settings import RunOptions
from pipelines.monitoring.settings_resolution import resolve_run_settings
from pipelines.monitoring.source_settings import name_of
from pipelines.storage import Storage
from pipelines.timewindow import TimeWindow, parse_utc

WINDOW = TimeWindow(parse_utc("2022-08-30T00:00:00Z"), parse_utc("2022-08-30T01:00:00Z"))
ID_1, ID_2 = "1f1d57b1-2e6f-488c-8c30-db4e6d757861", "22445434-0c67-45e9-bb4d-bd1bf26561e6"


def write(path: Path, text: str) -> str:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text)
    return str(path)


def job(
    root: Path,
    inputs: dict[str, str],
    outputs: dict[str, str],
    hour: str = "2022/08/30/00",
) -> str:
    """A transform job's files and its capture manifests (the documentation's JSON array form)."""
    for side, files in (("input", inputs), ("output", outputs)):
        for name, text in files.items():
            write(root / f"transform-{side}" / name, text)
        manifest = [{"prefix": str(root / f"transform-{side}") + "/"}, *files]
        write(root / "capture" / side / hour / "manifest.jsonl", json.dumps(manifest, indent=4))
    return str(root / "capture")


def records(
    capture: str, source: TransformCapture | None = None
) -> tuple[pl.DataFrame, TransformCapture, CaptureReadReport]:
    source = source or TransformCapture(capture)
    reader = source.reader(Storage())
    batches = list(reader.batches(source.parts(Storage(), WINDOW)))
    frame = pl.concat(batches, how="diagonal_relaxed") if batches else pl.DataFrame()
    return frame, source, reader.report


def test_csv_outputs_with_generated_inference_ids_give_predictions_ids_and_times(tmp_path: Path) -> None:
    capture = job(
        tmp_path,
        {"dummy_0.csv": "5,2.8,mobile\n7,1.5,desktop\n"},
        {"dummy_0.csv.out": f"0, {ID_1},2022-08-30T00:49:15Z\n1, {ID_2},2022-08-30T00:49:15Z\n"},
    )
    frame, _, report = records(capture)
    assert frame.select("_c0", "_c1", "_c2").rows() == [("5", "2.8", "mobile"), ("7", "1.5", "desktop")]
    assert frame.get_column(INFERENCE_ID).to_list() == [ID_1, ID_2]
    assert frame.get_column(EVENT_ID).to_list() == [ID_1, ID_2]
    assert frame.get_column(INFERENCE_TIME).to_list() == [parse_utc("2022-08-30T00:49:15Z")] * 2
    assert frame.get_column(PREDICTED_PROBABILITY).to_list() == [0.0, 1.0]  # one value: a score
    assert report.response_problems == []
    assert report.unreadable == []


def test_a_csv_output_joined_with_its_input_gives_the_cells_after_the_input(tmp_path: Path) -> None:
    capture = job(
        tmp_path,
        {"a.csv": "5,2.8\n7,1.5\n"},
        {
            "a.csv.out": (
                f"5,2.8,1,93.5,{ID_1},2022-08-30T00:49:15Z\n7,1.5,0,4.25,{ID_2},2022-08-30T00:49:15Z\n"
            )
        },
    )
    frame, _, _ = records(capture)
    assert frame.get_column(PREDICTED_LABEL).to_list() == [1, 0]
    assert frame.get_column(PREDICTED_PROBABILITY).to_list() == [93.5, 4.25]


def test_positions_given_as_attributes_pick_the_prediction_in_the_whole_output_line(tmp_path: Path) -> None:
    # AWS's batch transform model-quality example: probability_attribute="69" after 69 joined input columns
    capture = job(tmp_path, {"a.csv": "5,2.8\n"}, {"a.csv.out": f"5,2.8,0.91,{ID_1},2022-08-30T00:49:15Z\n"})
    source = TransformCapture(capture, output_columns=OutputColumns(probability=2))
    frame, _, _ = records(capture, source)
    assert frame.get_column(PREDICTED_PROBABILITY).to_list() == [0.91]


def test_json_outputs_give_the_reserved_fields_and_the_joined_output(tmp_path: Path) -> None:
    line = {"Age": 25, "SageMakerOutput": {"predicted_label": 1, "score": 0.8}}
    capture = job(
        tmp_path,
        {"a.jsonl": '{"Age": 25}\n'},
        {
            "a.jsonl.out": json.dumps(
                {**line, "SageMakerInferenceId": ID_1, "SageMakerInferenceTime": "2022-08-30T00:49:15Z"}
            )
        },
    )
    source = TransformCapture(capture, ResponseFields(label="predicted_label", probability="score"))
    frame, _, _ = records(capture, source)
    assert frame.select("Age", INFERENCE_ID, PREDICTED_LABEL, PREDICTED_PROBABILITY).rows() == [
        (25, ID_1, 1, 0.8)
    ]


def test_an_input_without_its_output_keeps_its_records_without_predictions(tmp_path: Path) -> None:
    capture = job(tmp_path, {"a.csv": "1\n2\n", "b.csv": "3\n"}, {"a.csv.out": "0.1\n0.2\n"})
    frame, _, report = records(capture)
    assert frame.get_column(PREDICTED_PROBABILITY).to_list() == [0.1, 0.2, None]
    [problem] = report.response_problems
    assert str(problem) == (
        f"{tmp_path / 'transform-input' / 'b.csv'}: no output manifest names "
        f"{tmp_path / 'transform-input' / 'b.csv'}.out: predictions left empty"
    )
    assert frame.get_column(EVENT_ID).to_list()[2] == f"{tmp_path / 'transform-input' / 'b.csv'}:1"


def test_an_output_with_another_number_of_lines_leaves_the_predictions_empty(tmp_path: Path) -> None:
    capture = job(tmp_path, {"a.csv": "1\n2\n"}, {"a.csv.out": "0.1\n"})
    frame, _, report = records(capture)
    assert frame.get_column(PREDICTED_PROBABILITY).null_count() == 2
    [problem] = report.response_problems
    assert "has 1 lines for 2 input lines: predictions left empty" in str(problem)


def test_only_the_manifests_of_the_windows_hours_are_read(tmp_path: Path) -> None:
    capture = job(tmp_path, {"a.csv": "1\n"}, {"a.csv.out": "0.1\n"}, hour="2022/08/30/01")
    frame, source, report = records(capture)
    assert frame.height == 0
    assert source.no_records(WINDOW, report) == (
        f"no transform records in {WINDOW} under {capture} (0 input files named by the manifests in input/ "
        "of the window's hour folders, 0 unreadable lines or manifests)"
    )


def test_a_manifest_that_is_not_one_is_reported_and_the_others_read(tmp_path: Path) -> None:
    capture = job(tmp_path, {"a.csv": "1\n"}, {"a.csv.out": "0.1\n"})
    bad = write(tmp_path / "capture" / "input" / "2022/08/30/00" / "broken.jsonl", '{"files": ["x"]}')
    frame, _, report = records(capture)
    assert frame.height == 1
    assert [str(p) for p in report.unreadable] == [
        f'{bad}: expected a transform capture manifest [{{"prefix": "s3://..."}}, "file", ...]'
    ]


def test_positions_as_inference_attributes_select_output_columns_of_a_transform(tmp_path: Path) -> None:
    (tmp_path / "capture").mkdir()
    options = RunOptions(
        window=WINDOW,
        transform_capture=str(tmp_path / "capture"),
        output=str(tmp_path),
        probability_attribute="69",
        inference_attribute="predicted_label",
    )
    settings = resolve_run_settings(options, None, Storage()).settings
    assert isinstance(settings.source, TransformCapture)
    assert settings.source.output_columns == OutputColumns(label=None, probability=69)
    assert settings.source.response_fields.label == "predicted_label"
    assert settings.endpoint == "capture"  # the results are filed under the capture root's name


@pytest.mark.parametrize(
    ("location", "name"),
    [
        ("validation.csv", "validation"),
        ("/data/batch_2026-11-29.jsonl", "batch-2026-11-29"),
        ("s3://bucket/capture/batch/", "batch"),
        ("s3://bucket/", "dataset"),
        ("./évaluation set.csv", "valuation-set"),
    ],
)
def test_a_dataset_or_transform_is_named_by_its_location_in_sagemaker_name_characters(
    location: str, name: str
) -> None:
    assert name_of(location) == name


def test_gzip_input_files_are_read_decompressed(tmp_path: Path) -> None:
    capture = job(tmp_path, {"a.csv.gz": ""}, {"a.csv.gz.out": "0.1\n0.2\n"})
    (tmp_path / "transform-input" / "a.csv.gz").write_bytes(gzip.compress(b"5,2.8\n7,1.5\n"))
    frame, _, _ = records(capture)
    assert frame.select("_c0", PREDICTED_PROBABILITY).rows() == [("5", 0.1), ("7", 0.2)]


def test_a_line_that_is_not_utf8_is_reported_and_the_others_keep_their_predictions(tmp_path: Path) -> None:
    capture = job(tmp_path, {"a.csv": ""}, {"a.csv.out": "0.1\n0.2\n0.3\n"})
    (tmp_path / "transform-input" / "a.csv").write_bytes(b"5,a\n6,\xff\n7,c\n")
    frame, _, report = records(capture)
    assert frame.select("_c0", PREDICTED_PROBABILITY).rows() == [("5", 0.1), ("7", 0.3)]
    assert [str(p) for p in report.unreadable] == [
        f"{tmp_path / 'transform-input' / 'a.csv'}:2: not UTF-8 text"
    ]
