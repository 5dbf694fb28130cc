"""``python -m pipelines.sandbox demo``: every step end to end, and the summary a person reads."""

from __future__ import annotations

import io
import json
import os
import signal
import threading
from datetime import UTC, datetime
from pathlib import Path

import pytest

from pipelines.capture import CaptureEncoding
from pipelines.cli import run
from pipelines.model import FraudModel
from pipelines.sandbox.data_capture import CaptureSettings, CaptureWriter
from pipelines.sandbox.demo import (
    DemoOptions,
    DemoSummary,
    Sandbox,
    main,
    render_summary,
    run_demo,
    serve_until_interrupted,
    stream_files,
)
from pipelines.sandbox.endpoint import ManualClock, ModelEndpoint
from pipelines.sandbox.runtime_server import Invocation
from pipelines.storage import Storage

SMALL = {"rows": 120, "training_rows": 2000, "bad_rows": 2}


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory) -> tuple[DemoSummary, str, DemoOptions]:
    """One small demo run for the module (about 30 s: the build phase runs cfn-lint and the real script)."""
    options = DemoOptions(output=tmp_path_factory.mktemp("demo"), **SMALL)  # type: ignore[arg-type]
    out = io.StringIO()
    return run_demo(options, out), out.getvalue(), options


@pytest.mark.slow
def test_each_stage_names_its_own_package(demo: tuple[DemoSummary, str, DemoOptions]) -> None:
    summary, _, _ = demo
    assert summary.packages["staging"]["version"] == "v2"
    assert summary.packages["prod"]["version"] == "v1"
    assert summary.packages["staging"]["package"].endswith("/2")
    assert summary.packages["prod"]["package"].endswith("/1")


@pytest.mark.slow
def test_both_stages_monitoring_stacks_deploy_all_four_monitors(
    demo: tuple[DemoSummary, str, DemoOptions],
) -> None:
    summary, _, _ = demo
    for stage in ("staging", "prod"):
        stack = summary.stacks[stage]
        assert stack["stack_name"] == f"sagemaker-fraud-detection-monitoring-{stage}"
        assert stack["status"] == "CREATE_COMPLETE"
        assert stack["monitors"] == ("DataQuality", "ModelQuality", "ModelBias", "ModelExplainability")
        assert "MonitoringAlertRule (AWS::Events::Rule)" in stack["resources"]


@pytest.mark.slow
def test_the_build_phase_left_its_artifacts(demo: tuple[DemoSummary, str, DemoOptions]) -> None:
    _, _, options = demo
    build = options.output / "build"
    assert (build / "packaged-template.yml").is_file()
    exported = json.loads((build / "prod-monitoring-schedule-config-export.json").read_text())
    assert exported["Parameters"]["DataQualityStatisticsS3Uri"].endswith(
        "/baselines/v1/data_quality/statistics.json"
    )


@pytest.mark.slow
def test_every_good_row_is_stored_and_every_bad_row_rejected(
    demo: tuple[DemoSummary, str, DemoOptions],
) -> None:
    summary, _, _ = demo
    scoring = summary.scoring
    assert (scoring.rows_read, scoring.rows_stored, scoring.rows_rejected, scoring.rows_failed) == (
        124,
        120,
        4,
        0,
    )
    assert scoring.table_items == 120
    assert len(scoring.rejected_objects) == 2
    assert any("is not a number" in reason for reason in scoring.rejected_examples)


@pytest.mark.slow
def test_prod_captured_two_hours_and_staging_nothing(demo: tuple[DemoSummary, str, DemoOptions]) -> None:
    summary, _, _ = demo
    assert summary.capture_files["fraud-detection-staging"] == []
    hours = {f.split("/AllTraffic/")[1][:13] for f in summary.capture_files["fraud-detection-prod"]}
    assert len(hours) == 2


@pytest.mark.slow
def test_labels_are_written_for_the_scored_transactions_where_prod_monitors_read_them(
    demo: tuple[DemoSummary, str, DemoOptions],
) -> None:
    summary, _, _ = demo
    assert summary.ground_truth["labels"] == 120
    assert (
        summary.ground_truth["uri"]
        == "s3://fraud-detection-p-sandbox00001-monitoring/ground-truth/fraud-detection-prod"
    )
    assert summary.ground_truth["file"].startswith(summary.ground_truth["uri"] + "/")


@pytest.mark.slow
def test_the_terminal_shows_every_step_and_the_summary(demo: tuple[DemoSummary, str, DemoOptions]) -> None:
    _, printed, options = demo
    assert "[1/18] Start the local AWS emulator" in printed
    assert "[18/18] Flush data capture ... done" in printed
    assert "Packages per stage:" in printed
    assert "Monitors deployed per stage" in printed
    assert "124 rows read: 120 stored, 4 rejected" in printed
    assert json.loads((options.output / "summary.json").read_text())["scoring"]["rows_stored"] == 120


def test_traffic_covers_the_two_hours_before_the_current_one_and_only_the_second_drifts() -> None:
    clock = ManualClock(datetime(2026, 3, 1, 14, 20, tzinfo=UTC))
    traffic = stream_files(DemoOptions(rows=11, bad_rows=1), world=None, clock=clock)  # type: ignore[arg-type]
    assert [t.hour.hour for t in traffic] == [12, 13]
    assert [t.drifted for t in traffic] == [False, True]
    assert [len(t.stream.transactions) for t in traffic] == [6, 5]
    assert traffic[0].key == "incoming/2026/03/01/12/transactions-20260301-1200.csv"
    dates = traffic[1].stream.transactions["Transaction Date"]
    assert dates.str.startswith("2026-03-01 13:").all()


def test_no_drift_keeps_both_hours_ordinary() -> None:
    clock = ManualClock(datetime(2026, 3, 1, 14, tzinfo=UTC))
    traffic = stream_files(DemoOptions(rows=4, drift=False), world=None, clock=clock)  # type: ignore[arg-type]
    assert [t.drifted for t in traffic] == [False, False]


def test_flags_that_cannot_work_stop_before_anything_starts(capsys: pytest.CaptureFixture[str]) -> None:
    assert run(main, ["demo", "--rows", "1", "--bad-rows", "-1", "--training-rows", "10"]) == 2
    assert capsys.readouterr().err.splitlines() == [
        "error: --rows 1: at least 2 (one per stream file)",
        "error: --bad-rows -1: expected 0 or more",
        "error: --training-rows 10: at least 1000 are needed to train a model",
    ]


@pytest.mark.slow
def test_serving_prints_how_to_reach_the_emulator(demo: tuple[DemoSummary, str, DemoOptions]) -> None:
    summary, _, options = demo
    text = render_summary(summary, DemoOptions(output=options.output, serve=True))
    assert f"aws --endpoint-url {summary.aws_endpoint_url} s3 ls" in text
    assert "Ctrl-C" in text


def test_serving_stops_on_sigterm_and_writes_buffered_capture(
    small_model: FraudModel, tmp_path: Path
) -> None:
    settings = CaptureSettings(str(tmp_path), text_content_types={"application/json": CaptureEncoding.JSON})
    writer = CaptureWriter(Storage(), str(tmp_path), "fraud-detection-prod", "AllTraffic")
    endpoint = ModelEndpoint(
        "fraud-detection-prod", small_model, capture_settings=settings, capture_writer=writer
    )
    endpoint(
        Invocation(
            "fraud-detection-prod",
            b'{"Transaction Amount": null, "Transaction Date": null, '
            b'"Payment Method": null, "Product Category": null, "Quantity": null, "Customer Age": null, '
            b'"Customer Location": null, "Device Used": null, "Account Age Days": null, '
            b'"Transaction Hour": null}',
            "application/json",
            "",
            None,
            None,
            datetime.now(UTC),
        )
    )
    sandbox = Sandbox(aws=None, runtime=None, clients=None, clock=ManualClock(datetime.now(UTC)))  # type: ignore[arg-type]
    sandbox.endpoints = {"fraud-detection-prod": endpoint}
    out = io.StringIO()
    threading.Timer(0.2, os.kill, (os.getpid(), signal.SIGTERM)).start()

    serve_until_interrupted(sandbox, out)

    assert out.getvalue() == "\nstopping: writing buffered data capture\n"
    assert len(endpoint.capture_files) == 1
    assert signal.getsignal(signal.SIGTERM) is signal.SIG_DFL
