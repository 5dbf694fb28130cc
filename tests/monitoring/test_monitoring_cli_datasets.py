"""``baseline`` on JSON Lines and ``run --dataset`` on CSV and JSON Lines files (issue 12, points 5 and 7),
checked against SageMaker's own baselines and outputs (``tests/fixtures/sagemaker_reference``)."""

from __future__ import annotations

import json
from dataclasses import replace
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from paths import CLARIFY_REFERENCE_CONFIG
from transaction_scoring.contract import IDENTIFIER_COLUMNS, LABEL_COLUMN, PERSONAL_DATA_COLUMNS

from pipelines.model import TrainingSettings, train_fraud_model
from pipelines.monitoring.cli import build_parser, main, run_argv, run_options
from pipelines.monitoring.dataset_reader import DatasetFormat, DatasetLayout
from pipelines.monitoring.record_source import DatasetColumns, DatasetRecords
from pipelines.monitoring.run_settings import RunOptions
from pipelines.sandbox.data import GeneratorSettings, generate_transactions
from pipelines.storage import Storage
from pipelines.timewindow import TimeWindow, parse_utc

WINDOW = ["--start", "2026-11-29T13:00:00Z", "--end", "2026-11-29T14:00:00Z"]
HOUR = "2026/11/29/14"  # the execution's scheduled time: the window's end
WINDOW_OF_RUN = TimeWindow(parse_utc("2026-11-29T13:00:00Z"), parse_utc("2026-11-29T14:00:00Z"))
NOT_INPUTS = ",".join((*IDENTIFIER_COLUMNS, *PERSONAL_DATA_COLUMNS))


def read(path: Path) -> Any:
    return json.loads(path.read_text())


def execution(output: Path, name: str, schedule: str) -> Path:
    return output / name / f"{name}-{schedule}" / HOUR


def clarify_json_lines(csv: Path, target: Path) -> Path:
    """Clarify's reference dataset (``Label,F1,F2,F3,F4``, no header) in Clarify's JSON Lines layout, the
    numbers copied as written."""
    rows = [line.split(",") for line in csv.read_text().splitlines() if line]
    target.write_text("".join(f'{{"features": [{",".join(r[1:])}], "label": {r[0]}}}\n' for r in rows))
    return target


# -- baseline on JSON Lines (point 7) ---------------------------------------------------------------------
def test_clarifys_json_lines_config_and_dataset_reproduce_its_pre_training_analysis(
    sagemaker_reference: Path, tmp_path: Path
) -> None:
    reference = sagemaker_reference / "sagemaker-sdk-clarify-check"
    dataset = clarify_json_lines(reference / "dataset.csv", tmp_path / "dataset.jsonl")
    config = {
        **CLARIFY_REFERENCE_CONFIG,
        "dataset_type": "application/jsonlines",
        "headers": ["F1", "F2", "F3", "F4", "Label"],  # the label's header last, as Clarify asks
        "features": "features",
        "label": "label",
    }
    (tmp_path / "analysis_config.json").write_text(json.dumps(config))
    code = main(
        [
            "baseline", "--dataset", str(dataset), "--output", str(tmp_path / "out"), "--monitors", "bias",
            "--bias-config", str(tmp_path / "analysis_config.json"),
        ]
    )  # fmt: skip
    assert code == 0
    analysis = tmp_path / "out" / "bias" / "pre_training_bias" / "analysis.json"
    assert read(analysis) == read(reference / "analysis.json")


def test_json_lines_flags_make_a_json_lines_clarify_config_with_the_same_analysis(
    sagemaker_reference: Path, tmp_path: Path
) -> None:
    reference = sagemaker_reference / "sagemaker-sdk-clarify-check"
    dataset = clarify_json_lines(reference / "dataset.csv", tmp_path / "dataset.jsonl")
    code = main(
        [
            "baseline", "--dataset", str(dataset), "--output", str(tmp_path),
            "--features-attribute", "features", "--label", "label", "--headers", "F1,F2,F3,F4,Label",
            "--facet", "F1", "--facet-threshold", "0.5", "--group-variable", "F2",
        ]
    )  # fmt: skip
    assert code == 0
    config = read(tmp_path / "bias" / "analysis_config.json")
    assert {k: config[k] for k in ("dataset_type", "features", "label", "headers")} == {
        "dataset_type": "application/jsonlines",
        "features": "features",
        "label": "label",
        "headers": ["F1", "F2", "F3", "F4", "Label"],
    }
    assert read(tmp_path / "bias" / "pre_training_bias" / "analysis.json") == read(
        reference / "analysis.json"
    )
    # the label is no feature of the data-quality baseline
    names = [f["name"] for f in read(tmp_path / "data-quality" / "statistics.json")["features"]]
    assert names == ["F1", "F2", "F3", "F4"]


def test_json_lines_records_give_the_same_data_quality_baseline_as_the_csv(
    sagemaker_reference: Path, tmp_path: Path
) -> None:
    csv = sagemaker_reference / "sagemaker-sdk-quality-check" / "data_quality" / "baseline_dataset.csv"
    records = [line.split(",") for line in csv.read_text().splitlines() if line]
    (tmp_path / "records.jsonl").write_text(
        "".join("{" + ", ".join(f'"_c{i}": {v}' for i, v in enumerate(r)) + "}\n" for r in records)
    )
    for name, dataset in (("csv", csv), ("jsonl", tmp_path / "records.jsonl")):
        args = ["baseline", "--dataset", str(dataset), "--output", str(tmp_path / name)]
        assert main([*args, "--monitors", "data-quality"]) == 0
    for file in ("statistics.json", "constraints.json"):
        assert read(tmp_path / "jsonl" / "data-quality" / file) == read(
            tmp_path / "csv" / "data-quality" / file
        )


def test_a_json_lines_baseline_refuses_lines_it_cannot_read_naming_them(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    (tmp_path / "d.jsonl").write_text('{"a": 1}\n{"a": \n{"a": 3}\n')
    code = main(["baseline", "--dataset", str(tmp_path / "d.jsonl"), "--output", str(tmp_path / "out")])
    assert code == 2
    assert capsys.readouterr().err == (
        f"error: {tmp_path / 'd.jsonl'}:2: not JSON (Expecting value at column 7)\n"
    )


# -- run --dataset (point 5) ------------------------------------------------------------------------------
def test_run_on_sagemakers_baseline_dataset_against_its_own_baseline_finds_nothing(
    sagemaker_reference: Path, tmp_path: Path
) -> None:
    folder = sagemaker_reference / "sagemaker-sdk-quality-check" / "data_quality"
    code = main(
        [
            "run", "--dataset", str(folder / "baseline_dataset.csv"), "--output", str(tmp_path), *WINDOW,
            "--data-quality-statistics", str(folder / "statistics.json"),
            "--data-quality-constraints", str(folder / "good_cases" / "constraints.json"),
        ]
    )  # fmt: skip
    assert code == 0
    result = execution(tmp_path, "baseline-dataset", "DataQuality")
    summary = read(result / "summary.json")
    assert (summary["status"], summary["inputs"]["records"]) == ("Completed", 100)
    assert read(result / "constraint_violations.json") == {"violations": []}
    assert [f["name"] for f in read(result / "statistics.json")["features"]] == [f"_c{i}" for i in range(6)]


def model_quality_reference_run(reference: Path, output: Path, *extra: str) -> tuple[int, Path]:
    """``run`` on the analyzer's model-quality reference dataset against its reference constraints."""
    folder = reference / "sagemaker-sdk-quality-check" / "model_quality"
    dataset = folder / "baseline_dataset.csv"
    args = ["run", "--dataset", str(dataset), "--output", str(output), *WINDOW]
    args += ["--model-quality-constraints", str(folder / "good_cases" / "constraints.json"), *extra]
    return main(args), dataset


def test_run_on_sagemakers_model_quality_dataset_gives_its_regression_metrics(
    sagemaker_reference: Path, tmp_path: Path
) -> None:
    code, _ = model_quality_reference_run(
        sagemaker_reference, tmp_path, "--label", "Label", "--prediction-column", "Prediction",
        "--endpoint", "evaluation",
    )  # fmt: skip
    assert code == 0
    statistics = read(execution(tmp_path, "evaluation", "ModelQuality") / "statistics.json")
    folder = sagemaker_reference / "sagemaker-sdk-quality-check" / "model_quality"
    expected = read(folder / "statistics.json")["regression_metrics"]
    for metric in ("mae", "mse", "rmse"):
        assert statistics["regression_metrics"][metric]["value"] == expected[metric]["value"]


@pytest.fixture(scope="module")
def scored(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Held-out transactions with the model's probabilities (percent), and baselines of all four monitors
    made from the same file (explainability's from the model)."""
    root = tmp_path_factory.mktemp("scored")
    model = train_fraud_model(
        generate_transactions(GeneratorSettings(rows=2000, seed=31)), TrainingSettings(rounds=20)
    )
    model.save(str(root / "model.tar.gz"))
    frame = generate_transactions(GeneratorSettings(rows=800, seed=32))
    frame["Fraud Probability"] = np.round(model.predict_proba(frame) * 100, 4)
    frame.to_csv(root / "scored.csv", index=False)
    code = main(
        [
            "baseline", "--dataset", str(root / "scored.csv"), "--output", str(root / "baseline"),
            "--label", LABEL_COLUMN, "--probability-column", "Fraud Probability", "--exclude", NOT_INPUTS,
            "--facet", "Device Used", "--facet-values", "mobile",
        ]
    )  # fmt: skip
    assert code == 0
    code = main(
        [
            "baseline", "--dataset", str(root / "scored.csv"), "--output", str(root / "explainability"),
            "--monitors", "explainability", "--model", str(root / "model.tar.gz"), "--exclude", NOT_INPUTS,
        ]
    )  # fmt: skip
    assert code == 0
    return root


def test_run_on_the_baselines_own_dataset_runs_all_four_monitors_without_violations(
    scored: Path, tmp_path: Path
) -> None:
    explained = scored / "explainability" / "explainability"
    code = main(
        [
            "run", "--dataset", str(scored / "scored.csv"), "--baseline", str(scored / "baseline"),
            "--output", str(tmp_path), "--label", LABEL_COLUMN, "--probability-column", "Fraud Probability",
            "--exclude", NOT_INPUTS, "--model", str(scored / "model.tar.gz"), *WINDOW,
            "--explainability-config", str(explained / "analysis_config.json"),
            "--explainability-constraints", str(explained / "analysis.json"),
        ]
    )  # fmt: skip
    assert code == 0
    for schedule in ("DataQuality", "ModelQuality", "ModelBias", "ModelExplainability"):
        summary = read(execution(tmp_path, "scored", schedule) / "summary.json")
        assert (schedule, summary["status"], summary["violations"]) == (schedule, "Completed", [])
        assert summary["inputs"]["records"] == 800
    model_quality = read(execution(tmp_path, "scored", "ModelQuality") / "summary.json")
    assert model_quality["inputs"]["evaluated_records"] == 800


def test_run_on_a_json_lines_copy_of_the_dataset_gives_the_same_results(scored: Path, tmp_path: Path) -> None:
    lines = []
    for record in _csv_records(scored / "scored.csv"):
        lines.append(json.dumps(record))
    (tmp_path / "scored.jsonl").write_text("\n".join(lines) + "\n")
    outputs = {}
    for name in ("scored.csv", "scored.jsonl"):
        dataset = scored / name if name.endswith("csv") else tmp_path / name
        outputs[name] = tmp_path / name.replace(".", "-")
        code = main(
            [
                "run", "--dataset", str(dataset), "--baseline", str(scored / "baseline"),
                "--output", str(outputs[name]), "--label", LABEL_COLUMN, "--endpoint", "evaluation",
                "--probability-column", "Fraud Probability", "--exclude", NOT_INPUTS,
                "--monitors", "model-quality,bias", *WINDOW,
            ]
        )  # fmt: skip
        assert code == 0
    for schedule, file in (("ModelQuality", "statistics.json"), ("ModelBias", "analysis.json")):
        csv_result, jsonl_result = (
            read(execution(outputs[name], "evaluation", schedule) / file) for name in outputs
        )
        assert jsonl_result == csv_result


def _csv_records(path: Path) -> list[dict[str, Any]]:
    import csv

    with path.open(newline="") as handle:
        rows = list(csv.DictReader(handle))
    numbers = {"Transaction Amount", "Quantity", "Customer Age", "Account Age Days", "Transaction Hour"}
    numbers |= {LABEL_COLUMN, "Fraud Probability"}
    return [{k: (float(v) if k in numbers else v) for k, v in row.items()} for row in rows]


def test_a_dataset_without_its_label_column_is_an_error_naming_the_flag_and_the_columns(
    sagemaker_reference: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code, dataset = model_quality_reference_run(sagemaker_reference, tmp_path, "--label", "Target")
    assert code == 2
    assert capsys.readouterr().err == (
        f"error: --label 'Target': no such column in {dataset}; it has: F1, F2, F3, F4, F5, F6, F7, Label, "
        "Prediction\n"
    )


def test_model_quality_on_a_dataset_needs_its_label_column(
    sagemaker_reference: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code, _ = model_quality_reference_run(sagemaker_reference, tmp_path, "--monitors", "model-quality")
    assert code == 2
    assert capsys.readouterr().err == (
        "error: ModelQuality monitor needs labels: the dataset's label column (--label)\n"
    )
    assert not (tmp_path / "baseline-dataset").exists()


def test_the_dataset_only_flags_are_refused_with_capture_and_the_capture_flags_with_a_dataset(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    (tmp_path / "d.csv").write_text("a\n1\n")
    code = main(
        [
            "run", "--dataset", str(tmp_path / "d.csv"), "--capture", str(tmp_path),
            "--output", str(tmp_path), "--ground-truth", str(tmp_path), "--start-offset", "-P1D",
        ]
    )  # fmt: skip
    assert code == 2
    assert capsys.readouterr().err.splitlines() == [
        "error: give one of --capture, --transform-capture, --dataset, not --capture and --dataset",
        "error: --start-offset is for captured records, not --dataset (a dataset is read whole; its labels "
        "are its --label column)",
        "error: --ground-truth is for captured records, not --dataset (a dataset is read whole; its labels "
        "are its --label column)",
    ]
    code = main(
        ["run", "--capture", str(tmp_path), "--endpoint", "e", "--output", str(tmp_path), "--label", "x"]
    )
    assert code == 2
    assert capsys.readouterr().err == (
        "error: --label is for --dataset (the labels and predictions of captured records come from ground "
        "truth and the responses)\n"
    )


def test_unreadable_json_lines_of_a_dataset_are_kept_with_the_executions_input_problems(
    sagemaker_reference: Path, tmp_path: Path
) -> None:
    folder = sagemaker_reference / "sagemaker-sdk-quality-check" / "data_quality"
    records = [line.split(",") for line in (folder / "baseline_dataset.csv").read_text().splitlines()]
    lines = ["{" + ", ".join(f'"_c{i}": {v}' for i, v in enumerate(r)) + "}" for r in records]
    lines.insert(3, '{"_c0": 1,')
    (tmp_path / "batch.jsonl").write_text("\n".join(lines) + "\n")
    code = main(
        [
            "run", "--dataset", str(tmp_path / "batch.jsonl"), "--output", str(tmp_path / "out"), *WINDOW,
            "--data-quality-statistics", str(folder / "statistics.json"),
            "--data-quality-constraints", str(folder / "good_cases" / "constraints.json"),
        ]
    )  # fmt: skip
    assert code == 0
    summary = read(execution(tmp_path / "out", "batch", "DataQuality") / "summary.json")
    assert summary["inputs"]["records"] == 100
    assert summary["inputs"]["unreadable_lines"] == 1
    assert summary["input_problems"] == [
        f"{tmp_path / 'batch.jsonl'}:4: not JSON "
        "(Expecting property name enclosed in double quotes at column 11)"
    ]


def test_the_command_line_of_a_dataset_run_gives_back_its_options(tmp_path: Path) -> None:
    options = RunOptions(
        window=WINDOW_OF_RUN,
        dataset="s3://b/scored/",
        dataset_layout=DatasetLayout(DatasetFormat.JSON_LINES, False, ("a", "b", "y"), "features"),
        dataset_columns=DatasetColumns("label", "predicted", None, ("id", "ip")),
        output=str(tmp_path),
    )
    problems: list[Any] = []
    parsed = run_options(build_parser().parse_args(run_argv(options)), problems)
    assert problems == []
    assert not any(files.locations for files in parsed.baseline_files.values())
    assert replace(parsed, baseline_files={}) == options


def test_a_dataset_column_named_like_the_monitors_own_columns_is_left_out_and_reported(
    tmp_path: Path,
) -> None:
    (tmp_path / "d.csv").write_text("a,__event_id,label\n1,x,0\n2,y,1\n")
    source = DatasetRecords(str(tmp_path / "d.csv"), columns=DatasetColumns(label="label"))
    reader = source.reader(Storage())
    [batch] = list(reader.batches(source.parts(Storage(), WINDOW_OF_RUN)))
    assert batch.get_column("__event_id").to_list() == [f"{tmp_path / 'd.csv'}:1", f"{tmp_path / 'd.csv'}:2"]
    assert batch.get_column("__ground_truth").to_list() == ["0", "1"]
    assert [c for c in batch.columns if not c.startswith("__")] == ["a"]
    [problem] = reader.report.left_out_fields
    assert problem.reason == (
        "column(s) '__event_id' left out: names starting with '__' are the monitors' own columns"
    )
