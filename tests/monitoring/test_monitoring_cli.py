"""The portable monitors' command line, run in-process through ``main(argv)`` (and once as a real command).

The world: a small fraud model trained on generated transactions, a baseline made by ``baseline`` from
held-out rows, and one hour of data capture written with ``pipelines.capture`` (JSON lists of records in
the endpoint contract, one to four records per request) with ground truth written with
``pipelines.ground_truth`` (on the inferenceId for single-record requests, on the Transaction ID inside the
request otherwise). The drifted hour has larger amounts, another device mix and new cities
(``Drift.typical``), and predictions shuffled across records (a model that has stopped working).
"""

from __future__ import annotations

import contextlib
import io
import json
import math
import shutil
import subprocess
import sys
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest
from analyzer_versions import without_newer_analyzer_fields
from capture_traffic import END, ENDPOINT, START, Traffic
from monitor_world import PERSONAL_AND_IDS, World, make_world
from paths import CLARIFY_REFERENCE_CONFIG
from transaction_scoring.contract import (
    FEATURE_COLUMNS,
    LABEL_COLUMN,
    TRANSACTION_ID,
)

from pipelines.aws import client
from pipelines.capture import CapturedPayload, CaptureEncoding, CaptureRecord, capture_file_key
from pipelines.ground_truth import GroundTruthRecord, ground_truth_file_key
from pipelines.model import FraudModel
from pipelines.monitoring.baseline import BaselineOptions, make_baselines
from pipelines.monitoring.cli import main
from pipelines.monitoring.report.calculations import feature_distance, stated_drift_distance
from pipelines.monitoring.report.documents import parse_data_quality_statistics
from pipelines.storage import Storage, join_location
from pipelines.timewindow import parse_utc

HOUR_FOLDER = "2026/11/29/14"  # the execution's scheduled hour: the window's end
SCHEDULES = {
    "DataQuality": f"{ENDPOINT}-DataQuality",
    "ModelQuality": f"{ENDPOINT}-ModelQuality",
    "ModelBias": f"{ENDPOINT}-ModelBias",
    "ModelExplainability": f"{ENDPOINT}-ModelExplainability",
}


# -- the world -----------------------------------------------------------------------------------------------
@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory) -> World:
    return make_world(tmp_path_factory.mktemp("world"))


def run_args(
    traffic: Traffic, output: Path | str, *extra: str, baseline: Path | str | None = None
) -> list[str]:
    args = ["run", "--endpoint", ENDPOINT, "--capture", str(traffic.capture), "--output", str(output)]
    args += ["--start", START, "--end", END, "--ground-truth", str(traffic.ground_truth)]
    if baseline is not None:
        args += ["--baseline", str(baseline)]
    return args + list(extra)


def folder(output: Path, monitor: str) -> Path:
    return output / ENDPOINT / SCHEDULES[monitor] / HOUR_FOLDER


def read(path: Path) -> Any:
    return json.loads(path.read_text())


@dataclass(frozen=True)
class Run:
    code: int
    output: Path
    stdout: str


@pytest.fixture(scope="module")
def drifted_run(world: World) -> Run:
    """The drifted hour, run once with every monitor (capsys is per test, so stdout is kept here)."""
    output = world.root / "out-drifted"
    stdout = io.StringIO()
    with contextlib.redirect_stdout(stdout):
        code = main(run_args(world.drifted, output, "--model", str(world.model), baseline=world.baseline))
    return Run(code, output, stdout.getvalue())


# -- baseline: SageMaker's reference cases -------------------------------------------------------------------
def _without_sketch_parameters(statistics: dict[str, Any]) -> dict[str, Any]:
    for feature in statistics["features"]:
        del feature["numerical_statistics"]["distribution"]["kll"]["sketch"]["parameters"]
    return statistics


def test_baseline_of_the_analyzer_csv_equals_the_analyzers_statistics_and_constraints(
    sagemaker_reference: Path, tmp_path: Path
) -> None:
    reference = sagemaker_reference / "sagemaker-sdk-quality-check" / "data_quality"
    code = main(["baseline", "--dataset", str(reference / "baseline_dataset.csv"), "--output", str(tmp_path)])
    assert code == 0
    # our sketch names its own parameters; everything else (counts, moments, buckets, raw values) is equal
    # (the reference comes from an older analyzer: without the fields recent ones add, see analyzer_versions)
    statistics = without_newer_analyzer_fields(read(tmp_path / "data-quality" / "statistics.json"))
    assert _without_sketch_parameters(statistics) == _without_sketch_parameters(
        read(reference / "statistics.json")
    )
    assert without_newer_analyzer_fields(read(tmp_path / "data-quality" / "constraints.json")) == read(
        reference / "good_cases" / "constraints.json"
    )


def test_baseline_of_a_regression_csv_has_the_analyzers_error_metrics(
    sagemaker_reference: Path, tmp_path: Path
) -> None:
    reference = sagemaker_reference / "sagemaker-sdk-quality-check" / "model_quality"
    code = main(
        [
            "baseline",
            "--dataset", str(reference / "baseline_dataset.csv"),
            "--output", str(tmp_path),
            "--monitors", "model-quality",
            "--label", "Label",
            "--prediction-column", "Prediction",
            "--problem-type", "Regression",
        ]
    )  # fmt: skip
    assert code == 0
    ours = read(tmp_path / "model-quality" / "statistics.json")["regression_metrics"]
    theirs = read(reference / "statistics.json")["regression_metrics"]
    assert {m: ours[m]["value"] for m in ("mae", "mse", "rmse")} == {
        m: theirs[m]["value"] for m in ("mae", "mse", "rmse")
    }
    assert read(tmp_path / "model-quality" / "constraints.json") == read(
        reference / "good_cases" / "constraints.json"
    )


def test_baseline_with_a_clarify_config_reproduces_clarifys_pre_training_analysis(
    sagemaker_reference: Path, tmp_path: Path
) -> None:
    reference = sagemaker_reference / "sagemaker-sdk-clarify-check"
    (tmp_path / "analysis_config.json").write_text(json.dumps(CLARIFY_REFERENCE_CONFIG))
    code = main(
        [
            "baseline",
            "--dataset", str(reference / "dataset.csv"),
            "--output", str(tmp_path / "out"),
            "--monitors", "bias",
            "--bias-config", str(tmp_path / "analysis_config.json"),
        ]
    )  # fmt: skip
    assert code == 0
    assert read(tmp_path / "out" / "bias" / "pre_training_bias" / "analysis.json") == read(
        reference / "analysis.json"
    )


def test_baseline_with_facet_flags_reproduces_clarifys_pre_training_analysis(
    sagemaker_reference: Path, tmp_path: Path
) -> None:
    reference = sagemaker_reference / "sagemaker-sdk-clarify-check"
    code = main(
        [
            "baseline",
            "--dataset", str(reference / "dataset.csv"),
            "--output", str(tmp_path),
            "--headers", "Label,F1,F2,F3,F4",
            "--label", "Label",
            "--facet", "F1",
            "--facet-threshold", "0.5",
            "--group-variable", "F2",
        ]
    )  # fmt: skip
    assert code == 0
    assert read(tmp_path / "bias" / "pre_training_bias" / "analysis.json") == read(
        reference / "analysis.json"
    )
    assert not (
        tmp_path / "bias" / "post_training_bias"
    ).exists()  # no predictions, no post-training baseline


def test_a_clarify_config_naming_the_predicted_label_column_gives_the_post_training_baseline(
    tmp_path: Path,
) -> None:
    rng = np.random.default_rng(5)
    rows = ["age,gender,income,label,pred"]
    for _ in range(400):
        gender = str(rng.choice(["F", "M"]))
        label = int(rng.random() < (0.3 if gender == "F" else 0.5))
        predicted = label ^ int(rng.random() < 0.2)  # right 80 % of the time
        rows.append(f"{rng.integers(18, 80)},{gender},{rng.integers(1000, 9000)},{label},{predicted}")
    (tmp_path / "data.csv").write_text("\n".join(rows) + "\n")
    config = {
        "dataset_type": "text/csv",
        "label": "label",
        "label_values_or_threshold": [1],
        "facet": [{"name_or_index": "gender", "value_or_threshold": ["F"]}],
        "predicted_label": "pred",
        "excluded_columns": ["income"],
    }
    (tmp_path / "config.json").write_text(json.dumps(config))
    bias_baseline = ["baseline", "--dataset", str(tmp_path / "data.csv"), "--monitors", "bias"]
    assert (
        main(
            [*bias_baseline, "--bias-config", str(tmp_path / "config.json"), "--output", str(tmp_path / "a")]
        )
        == 0
    )
    flags = ["--label", "label", "--facet", "gender", "--facet-values", "F", "--prediction-column", "pred"]
    assert main([*bias_baseline, *flags, "--exclude", "income", "--output", str(tmp_path / "b")]) == 0
    post = Path("bias") / "post_training_bias" / "analysis.json"
    assert read(tmp_path / "a" / post) == read(tmp_path / "b" / post)
    assert read(tmp_path / "a" / "bias" / "analysis_config.json")["predicted_label"] == "pred"

    # predictions from the config and from a flag at once: which one is meant?
    both = [*bias_baseline, "--bias-config", str(tmp_path / "config.json"), "--prediction-column", "pred"]
    assert main([*both, "--output", str(tmp_path / "c")]) == 2


# -- any CSV endpoint: header-less data, CSV and BASE64 capture ---------------------------------------------
def test_a_headerless_csv_endpoint_is_baselined_and_monitored_under_the_analyzers_column_names(
    tmp_path: Path,
) -> None:
    rng = np.random.default_rng(3)
    # mixed columns, no header: the first row holds numbers, so it is data (names _c0.._c2, as the analyzer's)
    train = [
        f"{rng.normal(10, 2):.3f},{rng.integers(0, 6)},{rng.choice(['a', 'b', 'c'])}" for _ in range(400)
    ]
    (tmp_path / "train.csv").write_text("\n".join(train) + "\n")
    start = parse_utc(START)
    lines = []
    for i in range(200):  # _c0 shifted by +4, _c1 unchanged, _c2 with a new value "d"
        row = f"{rng.normal(14, 2):.3f},{rng.integers(0, 6)},{rng.choice(['a', 'b', 'd'])}"
        encodings = {"text/csv": CaptureEncoding.CSV if i % 2 else CaptureEncoding.BASE64}
        lines.append(
            CaptureRecord(
                CapturedPayload.encode(row.encode(), "text/csv", encodings),
                CapturedPayload.encode(b"0.2", "text/csv", {"text/csv": CaptureEncoding.CSV}),
                event_id=f"event-{i}",
                inference_time=start + timedelta(seconds=10 * i),
            ).to_line()
        )
    path = tmp_path / "capture" / capture_file_key("csv-endpoint", "AllTraffic", start, "f0")
    path.parent.mkdir(parents=True)
    path.write_text("\n".join(lines) + "\n")

    assert (
        main(["baseline", "--dataset", str(tmp_path / "train.csv"), "--output", str(tmp_path / "base")]) == 0
    )
    baseline = read(tmp_path / "base" / "data-quality" / "statistics.json")
    assert baseline["dataset"]["item_count"] == 400  # the first row is not taken for a header
    assert [f["name"] for f in baseline["features"]] == ["_c0", "_c1", "_c2"]
    code = main(
        [
            "run",
            "--endpoint", "csv-endpoint",
            "--capture", str(tmp_path / "capture"),
            "--baseline", str(tmp_path / "base"),
            "--monitors", "data-quality",
            "--start", START, "--end", END,
            "--output", str(tmp_path / "out"),
        ]
    )  # fmt: skip
    assert code == 1  # violations
    folder = tmp_path / "out" / "csv-endpoint" / "csv-endpoint-DataQuality" / HOUR_FOLDER
    assert read(folder / "statistics.json")["dataset"]["item_count"] == 200
    violated = {
        (v["feature_name"], v["constraint_check_type"])
        for v in read(folder / "constraint_violations.json")["violations"]
    }
    assert violated == {
        ("_c0", "baseline_drift_check"),
        ("_c2", "baseline_drift_check"),
        ("_c2", "categorical_values_check"),
    }


# -- baseline: the fraud model -------------------------------------------------------------------------------
def test_baseline_lists_every_file_in_the_registrys_drift_check_baselines_shape(world: World) -> None:
    document = read(world.baseline / "drift_check_baselines.json")
    assert {section: sorted(files) for section, files in document.items()} == {
        "ModelDataQuality": ["Constraints", "Statistics"],
        "ModelQuality": ["Constraints", "Statistics"],
        "Bias": ["ConfigFile", "PostTrainingConstraints", "PreTrainingConstraints"],
        "Explainability": ["ConfigFile", "Constraints"],
    }
    sources = [source for files in document.values() for source in files.values()]
    assert all(source["ContentType"] == "application/json" for source in sources)
    assert all(Path(source["S3Uri"]).is_file() for source in sources)


def test_data_quality_baseline_profiles_neither_the_label_nor_the_excluded_columns(world: World) -> None:
    statistics = read(world.baseline / "data-quality" / "statistics.json")
    assert [f["name"] for f in statistics["features"]] == list(FEATURE_COLUMNS)


def test_bias_baseline_thresholds_the_models_percent_probabilities(world: World) -> None:
    config = read(world.baseline / "bias" / "analysis_config.json")
    assert config["probability_threshold"] == 50.0
    assert config["facet"] == [{"name_or_index": "Device Used", "value_or_threshold": ["mobile"]}]
    post = read(world.baseline / "bias" / "post_training_bias" / "analysis.json")[
        "post_training_bias_metrics"
    ]
    assert [entry["value_or_threshold"] for entry in post["facets"]["Device Used"]] == ["mobile"]


def flip_test_problem(analysis: dict[str, Any], facet: str) -> str:
    """Why the flip test (FT) could not run: the fraud data has text features, which FT refuses."""
    [metric] = [
        m
        for entry in analysis["post_training_bias_metrics"]["facets"][facet]
        for m in entry["metrics"]
        if m["name"] == "FT"
    ]
    return str(metric["error"])


def test_bias_baseline_takes_no_excluded_column_for_a_feature(world: World) -> None:
    analysis = read(world.baseline / "bias" / "post_training_bias" / "analysis.json")
    problem = flip_test_problem(analysis, "Device Used")
    assert problem.startswith("FlipTest does not support non-numeric columns (")
    assert "Payment Method" in problem  # a real text feature
    assert [c for c in PERSONAL_AND_IDS.split(",") if c in problem] == []


def test_baseline_asked_for_a_monitor_without_its_inputs_names_what_is_missing(
    world: World, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code = main(
        [
            "baseline",
            "--dataset",
            str(world.held_out),
            "--output",
            str(tmp_path),
            "--monitors",
            "model-quality,bias",
        ]
    )
    assert code == 2
    assert capsys.readouterr().err.splitlines() == [
        "error: model quality needs --label and --model, --prediction-column or --probability-column",
        "error: bias needs --bias-config, or --facet and --label",
    ]
    assert not tmp_path.joinpath("drift_check_baselines.json").exists()


def test_baseline_names_a_column_the_dataset_does_not_have(
    world: World, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code = main(
        ["baseline", "--dataset", str(world.held_out), "--output", str(tmp_path), "--exclude", "Zip Code"]
    )
    assert code == 2
    [line] = capsys.readouterr().err.splitlines()
    assert line.startswith(
        f"error: --exclude 'Zip Code': no such column in {world.held_out}; it has: Transaction ID,"
    )


def test_a_facet_threshold_on_a_column_clarify_treats_as_categorical_is_refused(
    world: World, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code = main(
        [
            "baseline",
            "--dataset", str(world.held_out),
            "--output", str(tmp_path),
            "--monitors", "bias",
            "--label", LABEL_COLUMN,
            "--facet", "Quantity",
            "--facet-threshold", "2",
        ]
    )  # fmt: skip
    assert code == 2
    assert (
        "so Clarify treats it as categorical and would read the threshold as a value"
        in capsys.readouterr().err
    )


# -- run -----------------------------------------------------------------------------------------------------
def test_run_on_drifted_traffic_finds_the_drifted_features(drifted_run: Run) -> None:
    summary = read(folder(drifted_run.output, "DataQuality") / "summary.json")
    assert drifted_run.code == 1
    assert summary["status"] == "CompletedWithViolations"
    assert {(v["feature_name"], v["constraint_check_type"]) for v in summary["violations"]} == {
        ("Transaction Amount", "baseline_drift_check"),
        ("Device Used", "baseline_drift_check"),
        ("Customer Location", "categorical_values_check"),
    }


def test_the_reports_drift_distance_is_the_one_the_runs_violation_states(
    world: World, drifted_run: Run
) -> None:
    execution = folder(drifted_run.output, "DataQuality")
    baseline = parse_data_quality_statistics(
        read(world.baseline / "data-quality" / "statistics.json"), "base"
    )
    current = parse_data_quality_statistics(read(execution / "statistics.json"), "current")
    stated = {
        v["feature_name"]: stated_drift_distance(v["description"])
        for v in read(execution / "constraint_violations.json")["violations"]
        if v["constraint_check_type"] == "baseline_drift_check"
    }
    assert set(stated) == {"Transaction Amount", "Device Used"}  # a number and a string
    assert {
        name: feature_distance(baseline.feature(name), current.feature(name)) for name in stated
    } == stated


def test_run_on_traffic_from_a_broken_model_finds_the_degraded_model_quality(drifted_run: Run) -> None:
    violations = read(folder(drifted_run.output, "ModelQuality") / "constraint_violations.json")["violations"]
    assert {"auc", "accuracy", "precision"} <= {v["metric_name"] for v in violations}


def test_run_writes_each_monitor_where_model_monitor_would(drifted_run: Run) -> None:
    written = {
        monitor: sorted(p.name for p in folder(drifted_run.output, monitor).iterdir())
        for monitor in SCHEDULES
    }
    assert written == {
        "DataQuality": ["constraint_violations.json", "statistics.json", "summary.json"],
        "ModelQuality": ["constraint_violations.json", "statistics.json", "summary.json"],
        "ModelBias": ["analysis.json", "constraint_violations.json", "summary.json"],
        "ModelExplainability": ["analysis.json", "constraint_violations.json", "summary.json"],
    }


def test_run_summaries_count_the_captured_requests_records_and_matched_labels(
    world: World, drifted_run: Run
) -> None:
    quality = read(folder(drifted_run.output, "ModelQuality") / "summary.json")
    assert quality["window"] == {"start": START, "end": END}
    assert quality["inputs"]["captured_requests"] == world.drifted.requests
    assert quality["inputs"]["records"] == world.drifted.records == 1500
    assert quality["inputs"]["ground_truth_matched"] == 1500
    assert quality["inputs"]["ground_truth_unmatched"] == 0
    explained = read(folder(drifted_run.output, "ModelExplainability") / "summary.json")
    assert explained["inputs"]["records_explained"] == 1000  # --explain-max-records' default sample


def test_run_prints_each_monitors_status_and_where_it_wrote(drifted_run: Run) -> None:
    assert f"Endpoint {ENDPOINT}, window [{START}, {END}):" in drifted_run.stdout
    assert "  DataQuality          CompletedWithViolations  1500 records, 3 violations" in drifted_run.stdout
    assert f"    -> {folder(drifted_run.output, 'DataQuality')}" in drifted_run.stdout


def test_bias_drift_is_computed_on_the_post_training_metrics_of_the_baseline_facet(drifted_run: Run) -> None:
    analysis = read(folder(drifted_run.output, "ModelBias") / "analysis.json")
    assert list(analysis) == ["version", "post_training_bias_metrics"]
    [group] = analysis["post_training_bias_metrics"]["facets"]["Device Used"]
    assert group["value_or_threshold"] == "mobile"


def test_bias_drift_does_not_take_the_record_key_for_a_feature(drifted_run: Run) -> None:
    analysis = read(folder(drifted_run.output, "ModelBias") / "analysis.json")
    problem = flip_test_problem(analysis, "Device Used")
    assert "Payment Method" in problem
    assert TRANSACTION_ID not in problem


def test_run_on_clean_traffic_finds_no_violations(world: World, tmp_path: Path) -> None:
    # Bias drift is left out: Clarify's rule ("worse than the baseline") flags about half of the ratio metrics
    # of an unchanged model on a 1,500-record hour (see pipelines/monitoring/bias/drift.py).
    monitors = "data-quality,model-quality,explainability"
    code = main(
        run_args(
            world.clean,
            tmp_path,
            "--monitors",
            monitors,
            "--model",
            str(world.model),
            baseline=world.baseline,
        )
    )
    statuses = {
        m: read(folder(tmp_path, m) / "summary.json")["status"]
        for m in ("DataQuality", "ModelQuality", "ModelExplainability")
    }
    assert statuses == dict.fromkeys(statuses, "Completed")
    assert code == 0


def _bias_run(world: World, output: Path, *flags: str) -> tuple[dict[str, Any], list[dict[str, str]]]:
    assert main(run_args(world.clean, output, "--monitors", "bias", *flags, baseline=world.baseline)) in (
        0,
        1,
    )
    execution = folder(output, "ModelBias")
    return read(execution / "analysis.json"), read(execution / "constraint_violations.json")["violations"]


def _disparate_impact(analysis: dict[str, Any]) -> float:
    [group] = analysis["post_training_bias_metrics"]["facets"]["Device Used"]
    return next(float(m["value"]) for m in group["metrics"] if m["name"] == "DI")


def test_a_bias_tolerance_reaches_the_drift_check(world: World, tmp_path: Path) -> None:
    _, strict = _bias_run(world, tmp_path / "strict")
    _, tolerant = _bias_run(world, tmp_path / "tolerant", "--bias-tolerance", "100")
    assert strict, "an unchanged model's hour strays farther from balance than its baseline somewhere"
    assert tolerant == []


def test_the_bias_di_rule_chooses_how_disparate_impact_is_compared(world: World, tmp_path: Path) -> None:
    baseline = _disparate_impact(read(world.baseline / "bias" / "post_training_bias" / "analysis.json"))
    analysis, by_distance = _bias_run(world, tmp_path / "distance")
    _, by_log_ratio = _bias_run(world, tmp_path / "log", "--bias-di-rule", "log-ratio")
    current = _disparate_impact(analysis)
    assert ("DI" in {v["metric_name"] for v in by_distance}) == (abs(current) > abs(baseline))
    log_ratio_violated = abs(math.log(current)) > abs(math.log(baseline))
    assert ("DI" in {v["metric_name"] for v in by_log_ratio}) == log_ratio_violated


def test_unreadable_capture_lines_are_counted_and_kept_in_the_summary(world: World, tmp_path: Path) -> None:
    capture = tmp_path / "capture"
    shutil.copytree(Path(world.clean.capture), capture)
    [first, *_] = sorted(capture.rglob("*.jsonl"))
    with first.open("a") as handle:
        handle.write("this is not a capture record\n")
    traffic = Traffic(capture, world.clean.ground_truth, world.clean.requests, world.clean.records)
    main(run_args(traffic, tmp_path / "out", "--monitors", "data-quality", baseline=world.baseline))
    summary = read(folder(tmp_path / "out", "DataQuality") / "summary.json")
    assert summary["inputs"]["unreadable_lines"] == 1
    assert summary["inputs"]["records"] == world.clean.records
    lines = first.read_text().splitlines()
    assert summary["input_problems"] == [f"{first}:{len(lines)}: not JSON (Expecting value)"]


def test_csv_and_base64_capture_of_the_analyzers_dataset_passes_the_analyzers_own_baseline(
    sagemaker_reference: Path, tmp_path: Path
) -> None:
    reference = sagemaker_reference / "sagemaker-sdk-quality-check" / "data_quality"
    rows = (reference / "baseline_dataset.csv").read_text().splitlines()
    start = parse_utc(START)
    lines = [
        CaptureRecord(
            CapturedPayload.encode(
                row.encode(),
                "text/csv",
                {"text/csv": CaptureEncoding.CSV} if i % 2 else {},  # else BASE64
            ),
            CapturedPayload.encode(b"0.5", "text/csv", {"text/csv": CaptureEncoding.CSV}),
            event_id=f"e{i}",
            inference_time=start + timedelta(seconds=i),
        ).to_line()
        for i, row in enumerate(rows)
    ]
    path = tmp_path / "capture" / capture_file_key(ENDPOINT, "AllTraffic", start, "csv")
    path.parent.mkdir(parents=True)
    path.write_text("\n".join(lines) + "\n")
    code = main(
        [
            "run",
            "--endpoint", ENDPOINT,
            "--capture", str(tmp_path / "capture"),
            "--output", str(tmp_path / "out"),
            "--start", START,
            "--end", END,
            "--data-quality-statistics", str(reference / "statistics.json"),
            "--data-quality-constraints", str(reference / "good_cases" / "constraints.json"),
        ]
    )  # fmt: skip
    summary = read(folder(tmp_path / "out", "DataQuality") / "summary.json")
    assert (summary["status"], summary["inputs"]["records"]) == ("Completed", len(rows))
    assert list(folder(tmp_path / "out", "ModelQuality").iterdir()) == [
        folder(tmp_path / "out", "ModelQuality") / "summary.json"
    ]  # skipped: no model-quality baseline
    assert code == 0


def test_run_on_csv_capture_of_a_regression_model_reproduces_the_analyzers_metrics(
    sagemaker_reference: Path, tmp_path: Path
) -> None:
    """CSV requests, a number per response, labels on the inferenceId; problem type from the baseline."""
    reference = sagemaker_reference / "sagemaker-sdk-quality-check" / "model_quality"
    _, *rows = (reference / "baseline_dataset.csv").read_text().splitlines()  # F1..F7,Label,Prediction
    start, csv = parse_utc(START), {"text/csv": CaptureEncoding.CSV}
    lines, truth = [], []
    for i, row in enumerate(rows):
        *features, label, prediction = row.split(",")
        lines.append(
            CaptureRecord(
                CapturedPayload.encode(",".join(features).encode(), "text/csv", csv),
                CapturedPayload.encode(prediction.encode(), "text/csv", csv),
                event_id=f"e{i}",
                inference_time=start + timedelta(seconds=i),
                inference_id=f"i{i}",
            ).to_line()
        )
        truth.append(GroundTruthRecord(f"i{i}", label).to_line())
    capture = tmp_path / "capture" / capture_file_key(ENDPOINT, "AllTraffic", start, "csv")
    labels = tmp_path / "ground-truth" / ground_truth_file_key(start + timedelta(minutes=30), "labels")
    for path, content in ((capture, lines), (labels, truth)):
        path.parent.mkdir(parents=True)
        path.write_text("\n".join(content) + "\n")
    baseline = ["--label", "Label", "--prediction-column", "Prediction", "--problem-type", "Regression"]
    assert (
        main(
            [
                "baseline",
                "--dataset",
                str(reference / "baseline_dataset.csv"),
                "--output",
                str(tmp_path / "b"),
                *baseline,
            ]
        )
        == 0
    )
    traffic = Traffic(tmp_path / "capture", tmp_path / "ground-truth", len(lines), len(rows))
    code = main(
        run_args(
            traffic, tmp_path / "out", "--monitors", "data-quality,model-quality", baseline=tmp_path / "b"
        )
    )
    ours = read(folder(tmp_path / "out", "ModelQuality") / "statistics.json")["regression_metrics"]
    theirs = read(reference / "statistics.json")["regression_metrics"]
    assert {m: ours[m]["value"] for m in ("mae", "mse", "rmse")} == {
        m: theirs[m]["value"] for m in ("mae", "mse", "rmse")
    }
    # the captured F1..F7 arrive as _c0.._c6 and are matched to the baseline's names by position
    assert read(folder(tmp_path / "out", "DataQuality") / "summary.json")["status"] == "Completed"
    assert code == 0


def test_baselines_named_by_a_drift_check_baselines_document_are_used_wherever_they_are(
    world: World, tmp_path: Path
) -> None:
    """E.g. a model package's DriftCheckBaselines, whose files follow another layout."""
    sources = {
        "ModelDataQuality": {
            "Statistics": "data-quality/statistics.json",
            "Constraints": "data-quality/constraints.json",
        },
        "ModelQuality": {"Constraints": "model-quality/constraints.json"},
    }
    document: dict[str, Any] = {}
    for section, files in sources.items():
        for name, relative in files.items():
            target = tmp_path / "registry" / f"{section}-{name}.json"
            target.parent.mkdir(exist_ok=True)
            shutil.copy(world.baseline / relative, target)
            document.setdefault(section, {})[name] = {"ContentType": "application/json", "S3Uri": str(target)}
    (tmp_path / "drift-check-baselines.json").write_text(json.dumps(document))
    args = ["--monitors", "data-quality,model-quality"]
    code = main(
        run_args(world.drifted, tmp_path / "out", *args, baseline=tmp_path / "drift-check-baselines.json")
    )
    summary = read(folder(tmp_path / "out", "DataQuality") / "summary.json")
    assert summary["baseline"] == {
        "statistics": str(tmp_path / "registry" / "ModelDataQuality-Statistics.json"),
        "constraints": str(tmp_path / "registry" / "ModelDataQuality-Constraints.json"),
    }
    assert summary["status"] == "CompletedWithViolations"
    assert code == 1


def test_a_monitor_without_its_baseline_is_skipped_with_the_reason(world: World, tmp_path: Path) -> None:
    baseline = tmp_path / "baseline"
    shutil.copytree(world.baseline / "data-quality", baseline / "data-quality")
    code = main(run_args(world.clean, tmp_path / "out", baseline=baseline))
    quality = read(folder(tmp_path / "out", "ModelQuality") / "summary.json")
    assert quality["status"] == "Skipped"
    assert quality["reason"] == (
        "needs its baseline (--model-quality-constraints, or --baseline DIR holding them)"
    )
    assert read(folder(tmp_path / "out", "DataQuality") / "summary.json")["status"] == "Completed"
    assert code == 0


def test_a_monitor_asked_for_without_its_inputs_is_a_user_error(
    world: World, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code = main(run_args(world.clean, tmp_path, "--monitors", "explainability", baseline=world.baseline))
    assert code == 2
    assert capsys.readouterr().err.splitlines() == [
        "error: ModelExplainability monitor needs a model to explain (--model or --explain-endpoint)"
    ]
    assert not any(tmp_path.iterdir())


def test_a_monitor_failing_on_a_user_error_does_not_stop_the_others(
    world: World, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    config = read(world.baseline / "bias" / "analysis_config.json")
    config["facet"] = [{"name_or_index": "Customer ID", "value_or_threshold": ["c-1"]}]  # never captured
    (tmp_path / "bias-config.json").write_text(json.dumps(config))
    args = ["--monitors", "data-quality,bias", "--bias-config", str(tmp_path / "bias-config.json")]
    code = main(run_args(world.clean, tmp_path / "out", *args, baseline=world.baseline))
    assert code == 2
    [line] = capsys.readouterr().err.splitlines()
    assert line.startswith(
        "error: ModelBias: bias analysis: no column 'Customer ID'; the table has: Transaction ID,"
    )
    bias = read(folder(tmp_path / "out", "ModelBias") / "summary.json")
    assert (bias["status"], bias["files"]) == ("Failed", [])
    assert read(folder(tmp_path / "out", "DataQuality") / "summary.json")["status"] == "Completed"


def test_an_explain_endpoint_that_breaks_the_contract_fails_only_explainability(
    world: World, tmp_path: Path, aws_emulator: Any, capsys: pytest.CaptureFixture[str]
) -> None:
    # moto's InvokeEndpoint answers b"body" for any endpoint: not the contract's JSON list of predictions
    args = ["--monitors", "data-quality,explainability", "--explain-endpoint", "fraud-shadow"]
    code = main(run_args(world.clean, tmp_path, *args, baseline=world.baseline))
    assert code == 2
    # one line: the in-process moto server's per-request log lines (werkzeug, INFO) are kept quiet
    [line] = capsys.readouterr().err.splitlines()
    assert line.startswith("error: ModelExplainability: endpoint fraud-shadow: response body is not JSON")
    assert read(folder(tmp_path, "ModelExplainability") / "summary.json")["status"] == "Failed"
    assert read(folder(tmp_path, "DataQuality") / "summary.json")["status"] == "Completed"


def test_bad_run_flags_are_all_reported_one_line_each(
    world: World, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code = main(
        [
            "run",
            "--capture", str(tmp_path / "no-such-capture"),
            "--output", str(tmp_path),
            "--start", START,
            "--monitors", "data-quality,drift",
            "--explain-max-records", "0",
            "--start-offset", "yesterday",
        ]
    )  # fmt: skip
    assert code == 2
    assert capsys.readouterr().err.splitlines() == [
        "error: --endpoint is required (or a --stage-config with an EndpointName)",
        "error: give both --start and --end, or neither (default: the last full hour)",
        "error: --monitors 'data-quality,drift': 'drift' is not one of data-quality, model-quality, bias, "
        "explainability",
        f"error: --capture {tmp_path / 'no-such-capture'}: no such folder (expected the data capture root)",
        "error: --explain-max-records is 0: expected at least 1",
        "error: --start-offset 'yesterday' is not an ISO-8601 duration: expected e.g. -PT1H, -P1D or "
        "-P1DT12H",
    ]


def test_offsets_into_the_past_are_read_as_values_not_flags(world: World, tmp_path: Path) -> None:
    # -PT1H..(none): the model-quality window is the execution window itself
    args = run_args(
        world.clean,
        tmp_path,
        "--monitors",
        "model-quality",
        "--start-offset",
        "-PT1H",
        baseline=world.baseline,
    )
    assert main(args) == 0
    assert read(folder(tmp_path, "ModelQuality") / "summary.json")["window"] == {"start": START, "end": END}


def test_an_hour_without_traffic_fails_like_model_monitor_with_no_data(world: World, tmp_path: Path) -> None:
    args = run_args(world.clean, tmp_path, "--monitors", "data-quality", baseline=world.baseline)
    args[args.index("--start") + 1], args[args.index("--end") + 1] = (
        "2026-11-29T15:00:00Z",
        "2026-11-29T16:00:00Z",
    )
    code = main(args)
    summary = read(tmp_path / ENDPOINT / SCHEDULES["DataQuality"] / "2026/11/29/16" / "summary.json")
    assert summary["status"] == "Failed"
    assert summary["reason"].startswith("Job inputs had no data: no captured records of endpoint fraud-prod")
    assert code == 1


def test_labels_not_collected_yet_fail_the_execution_naming_the_hours_read(
    world: World, tmp_path: Path
) -> None:
    (tmp_path / "no-labels-yet").mkdir()
    args = run_args(world.clean, tmp_path / "out", "--monitors", "model-quality", baseline=world.baseline)
    args[args.index("--ground-truth") + 1] = str(tmp_path / "no-labels-yet")
    assert main(args) == 1
    summary = read(folder(tmp_path / "out", "ModelQuality") / "summary.json")
    assert summary["status"] == "Failed"
    assert summary["reason"].startswith(
        f"Job inputs had no data: none of the {world.clean.records} captured records in [{START}, {END}) has "
        f"a ground-truth label under {tmp_path / 'no-labels-yet'} (0 label lines read in the hour folders "
        f"of [{START}, {END})"
    )
    assert "--start-offset/--end-offset" in summary["reason"]


def test_a_stage_export_runs_the_monitors_as_deployed(world: World, tmp_path: Path) -> None:
    """The export's enable switches, baselines, ground truth, offsets and per-monitor outputs are used."""
    base = world.baseline
    parameters = {
        "EndpointName": ENDPOINT,
        "EnableDataQualityMonitor": "yes",
        "EnableModelQualityMonitor": "yes",
        "EnableModelBiasMonitor": "no",
        "EnableModelExplainabilityMonitor": "no",
        "DataQualityStatisticsS3Uri": str(base / "data-quality" / "statistics.json"),
        "DataQualityConstraintsS3Uri": str(base / "data-quality" / "constraints.json"),
        "ModelQualityConstraintsS3Uri": str(base / "model-quality" / "constraints.json"),
        "ModelBiasConstraintsS3Uri": "",
        "GroundTruthInput": str(world.drifted.ground_truth),
        # an execution at 15:00 analyses the predictions of 13:00-14:00 (labels collected up to 15:00)
        "GroundTruthStartTimeOffset": "-PT2H",
        "GroundTruthEndTimeOffset": "-PT1H",
        "ProblemType": "BinaryClassification",
        "ProbabilityThresholdAttribute": "50",
        "InferenceAttribute": "[0].class",
        "ProbabilityAttribute": "[0].probability",
        "DataQualityMonitoringOutputS3Uri": str(tmp_path / "monitor-output" / "data-quality"),
        "ModelQualityMonitoringOutputS3Uri": str(tmp_path / "monitor-output" / "model-quality"),
    }
    export = tmp_path / "prod-export.json"
    export.write_text(json.dumps({"Parameters": parameters, "Tags": {}}))
    code = main(
        [
            "run",
            "--stage-config", str(export),
            "--capture", str(world.drifted.capture),
            "--start", "2026-11-29T14:00:00Z",
            "--end", "2026-11-29T15:00:00Z",
        ]
    )  # fmt: skip
    assert code == 1
    quality = read(
        tmp_path
        / "monitor-output/model-quality"
        / ENDPOINT
        / SCHEDULES["ModelQuality"]
        / "2026/11/29/15/summary.json"
    )
    assert quality["window"] == {"start": START, "end": END}
    assert quality["inputs"]["ground_truth_matched"] == 1500
    assert quality["status"] == "CompletedWithViolations"
    # data quality reads the execution's own hour, which had no traffic
    data_quality = read(
        tmp_path
        / "monitor-output/data-quality"
        / ENDPOINT
        / SCHEDULES["DataQuality"]
        / "2026/11/29/15/summary.json"
    )
    assert data_quality["status"] == "Failed"
    assert sorted(p.name for p in (tmp_path / "monitor-output").iterdir()) == [
        "data-quality",
        "model-quality",
    ]


def test_run_reads_and_writes_s3(world: World, aws_emulator: Any) -> None:
    s3 = client("s3")
    s3.create_bucket(Bucket="artifacts")
    storage = Storage(s3)
    for local, prefix in (
        (world.baseline, "baseline"),
        (Path(world.drifted.capture), "capture"),
        (Path(world.drifted.ground_truth), "ground-truth"),
    ):
        for path in (p for p in local.rglob("*") if p.is_file()):
            key = join_location("s3://artifacts", prefix, str(path.relative_to(local)))
            storage.write_bytes(key, path.read_bytes())
    traffic = Traffic(
        "s3://artifacts/capture",
        "s3://artifacts/ground-truth",
        world.drifted.requests,
        world.drifted.records,
    )
    monitors = ("--monitors", "data-quality,model-quality", "--variant", "AllTraffic")
    code = main(
        run_args(traffic, "s3://artifacts/monitor-output", *monitors, baseline="s3://artifacts/baseline")
    )
    assert code == 1
    prefix = f"s3://artifacts/monitor-output/{ENDPOINT}/{SCHEDULES['DataQuality']}/{HOUR_FOLDER}"
    assert storage.list_files(prefix) == [
        f"{prefix}/constraint_violations.json",
        f"{prefix}/statistics.json",
        f"{prefix}/summary.json",
    ]
    summary = storage.read_json(f"{prefix}/summary.json")
    assert summary["baseline"]["statistics"] == "s3://artifacts/baseline/data-quality/statistics.json"
    assert {v["feature_name"] for v in summary["violations"]} == {
        "Transaction Amount",
        "Device Used",
        "Customer Location",
    }


def test_make_baselines_takes_a_table_and_returns_drift_check_baselines_on_s3(
    world: World, aws_emulator: Any
) -> None:
    """What the sandbox registers with each model version: the library call on its training frame."""
    s3 = client("s3")
    s3.create_bucket(Bucket="artifacts")
    storage = Storage(s3)
    options = BaselineOptions(
        label=LABEL_COLUMN,
        exclude=tuple(PERSONAL_AND_IDS.split(",")),
        facet="Device Used",
        facet_values=("mobile",),
    )
    frame = pd.read_csv(world.held_out)
    result = make_baselines(
        storage, frame, "s3://artifacts/baselines/v1", options, FraudModel.load(str(world.model))
    )
    uris = [source["S3Uri"] for files in result.drift_check_baselines.values() for source in files.values()]
    assert len(uris) == 9
    assert all(uri.startswith("s3://artifacts/baselines/v1/") and storage.exists(uri) for uri in uris)
    assert storage.read_json(result.location) == result.drift_check_baselines
    assert result.rows == len(frame)


# -- report --------------------------------------------------------------------------------------------------
def test_report_of_the_drifted_run_renders_html_showing_the_drifted_feature(
    drifted_run: Run, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code = main(["report", str(drifted_run.output), "--html", str(tmp_path / "report.html")])
    assert code == 1  # the latest executions have violations
    html = (tmp_path / "report.html").read_text()
    assert "Transaction Amount" in html
    assert "<svg" in html
    printed = capsys.readouterr().out
    assert "CompletedWithViolations, 3 violations" in printed
    assert str(tmp_path / "report.html") in printed


# -- the real command ----------------------------------------------------------------------------------------
@pytest.mark.slow
def test_the_module_runs_as_a_command(world: World, tmp_path: Path, repo_root: Path) -> None:
    result = subprocess.run(
        [
            sys.executable,
            "-m",
            "pipelines.monitoring",
            *run_args(world.drifted, tmp_path, "--monitors", "data-quality", baseline=world.baseline),
        ],
        cwd=repo_root,
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 1, result.stderr
    assert "  DataQuality          CompletedWithViolations  1500 records, 3 violations" in result.stdout
    assert (folder(tmp_path, "DataQuality") / "constraint_violations.json").is_file()
