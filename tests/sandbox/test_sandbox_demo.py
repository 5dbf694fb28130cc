"""``python -m pipelines.sandbox demo``: every step end to end, and the summary a person reads.

One demo run serves the module, at a pinned clock and ``make demo``'s sizes (``demo_story.TEST_DEMO``: 1,000
transactions in each traffic hour, enough for the monitors' verdicts to stand clear of an hour's sampling
noise).
"""

from __future__ import annotations

import io
import json
import os
import re
import signal
import threading
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from demo_story import EXPECTED_JOB_VERDICT, EXPECTED_STORY, TEST_DEMO, job_verdict, story
from report_browser import opened, require_chromium

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

# One worker runs the whole module, so the module's demo run happens once (xdist would otherwise run it on
# each worker that gets one of these tests).
pytestmark = pytest.mark.xdist_group("sandbox-demo")

HOUR_ROWS = 1000


@pytest.fixture(scope="module")
def demo(
    tmp_path_factory: pytest.TempPathFactory, demo_now: datetime
) -> tuple[DemoSummary, str, DemoOptions]:
    """One demo run for the module, as ``make demo`` runs it but at a pinned time (``demo_now``) and with 2
    bad rows per file (about 40 s: the build phase runs cfn-lint and the real script)."""
    options = DemoOptions(output=tmp_path_factory.mktemp("demo"), **TEST_DEMO, now=demo_now)  # type: ignore[arg-type]
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


@pytest.mark.slow
def test_staging_deploys_the_model_monitor_backend_and_prod_the_processing_backend(
    demo: tuple[DemoSummary, str, DemoOptions],
) -> None:
    # Model Monitor's alert path is an EventBridge rule on its jobs; Processing's is the nested stack's state
    # machine, which publishes to the same topic.
    staging, prod = (demo[0].stacks[stage]["resources"] for stage in ("staging", "prod"))
    assert "MonitoringAlertRule (AWS::Events::Rule)" in staging
    assert "ProcessingBackend (AWS::CloudFormation::Stack)" not in staging
    assert "ProcessingBackend (AWS::CloudFormation::Stack)" in prod
    assert "MonitoringAlertRule (AWS::Events::Rule)" not in prod
    assert "AlertTopic (AWS::SNS::Topic)" in staging
    assert "AlertTopic (AWS::SNS::Topic)" in prod


@pytest.mark.slow
def test_the_build_phase_left_its_artifacts(demo: tuple[DemoSummary, str, DemoOptions]) -> None:
    _, _, options = demo
    build = options.output / "build"
    assert (build / "packaged-template.yml").is_file()
    exported = json.loads((build / "prod-monitoring-schedule-config-export.json").read_text())
    assert exported["Parameters"]["DataQualityStatisticsS3Uri"].endswith(
        "/baselines/v1/data-quality/statistics.json"
    )


@pytest.mark.slow
def test_every_good_row_is_stored_and_every_bad_row_rejected(
    demo: tuple[DemoSummary, str, DemoOptions],
) -> None:
    summary, _, _ = demo
    scoring = summary.scoring
    assert (scoring.rows_read, scoring.rows_stored, scoring.rows_rejected, scoring.rows_failed) == (
        2004,
        2000,
        4,
        0,
    )
    assert scoring.table_items == 2000
    assert len(scoring.rejected_objects) == 2
    assert any("is not a number" in reason for reason in scoring.rejected_examples)


@pytest.mark.slow
def test_prod_captured_the_two_hours_and_staging_nothing(demo: tuple[DemoSummary, str, DemoOptions]) -> None:
    summary, _, _ = demo
    assert summary.capture_files["fraud-detection-staging"] == []
    folders = {f.split("/AllTraffic/")[1][:13] for f in summary.capture_files["fraud-detection-prod"]}
    hours = sorted(datetime.strptime(f, "%Y/%m/%d/%H").replace(tzinfo=UTC) for f in folders)
    assert [h.hour for h in hours] == [13, 13]
    assert hours[1] - hours[0] == timedelta(days=1)


@pytest.mark.slow
def test_each_hours_labels_are_collected_in_the_next_hour_where_prod_monitors_read_them(
    demo: tuple[DemoSummary, str, DemoOptions],
) -> None:
    summary, _, _ = demo
    ground_truth = summary.ground_truth
    assert ground_truth["labels"] == 2 * HOUR_ROWS
    assert (
        ground_truth["uri"]
        == "s3://fraud-detection-p-sandbox00001-monitoring/ground-truth/fraud-detection-prod"
    )
    assert [f.split("/fraud-detection-prod/")[1][:13] for f in ground_truth["files"]] == [
        f"{hour['hour'][:4]}/{hour['hour'][5:7]}/{hour['hour'][8:10]}/14"
        for hour in summary.monitoring["hours"]
    ]


@pytest.mark.slow
def test_the_terminal_shows_every_step_and_the_summary(demo: tuple[DemoSummary, str, DemoOptions]) -> None:
    _, printed, options = demo
    assert "[1/21] Start the local AWS emulator" in printed
    assert "[18/21] Flush data capture ... done" in printed
    assert "[20/21] Report the monitors' results" in printed
    assert "[21/21] Fire prod's DataQuality schedule" in printed
    assert "Packages per stage:" in printed
    assert "Monitors deployed per stage" in printed
    assert "2004 rows read: 2000 stored, 4 rejected" in printed
    assert f"HTML report: {options.output / 'monitoring-report.html'}" in printed
    assert json.loads((options.output / "summary.json").read_text())["scoring"]["rows_stored"] == 2000


# -- the portable monitors on prod's traffic ----------------------------------------------------------------
def executions(summary: DemoSummary, *, drifted: bool) -> dict[str, Any]:
    """Each monitor's execution for the drifted or the ordinary hour, as summary.json lists them."""
    document = json.loads(Path(summary.outputs["summary"]).read_text())
    (hour,) = [h for h in document["monitoring"]["hours"] if h["drifted"] is drifted]
    return dict(hour["executions"])


def flagged(execution: dict[str, Any]) -> dict[str, str]:
    return {v["name"]: v["check"] for v in execution["violations"]}


@pytest.mark.slow
def test_the_drifted_hour_flags_the_drifted_amounts_devices_and_cities(
    demo: tuple[DemoSummary, str, DemoOptions],
) -> None:
    data_quality = executions(demo[0], drifted=True)["DataQuality"]
    assert data_quality["status"] == "CompletedWithViolations"
    assert flagged(data_quality) == {
        "Transaction Amount": "baseline_drift_check",
        "Device Used": "baseline_drift_check",
        "Customer Location": "categorical_values_check",
    }


@pytest.mark.slow
def test_the_drifted_hour_degrades_model_quality(demo: tuple[DemoSummary, str, DemoOptions]) -> None:
    model_quality = executions(demo[0], drifted=True)["ModelQuality"]
    assert model_quality["status"] == "CompletedWithViolations"
    assert flagged(model_quality)["accuracy"] == "LessThanThreshold"
    assert flagged(model_quality)["false_positive_rate"] == "GreaterThanThreshold"


@pytest.mark.slow
def test_the_ordinary_hour_has_no_data_or_model_quality_violations(
    demo: tuple[DemoSummary, str, DemoOptions],
) -> None:
    for monitor in ("DataQuality", "ModelQuality"):
        execution = executions(demo[0], drifted=False)[monitor]
        assert (execution["status"], execution["violations"]) == ("Completed", [])


@pytest.mark.slow
def test_the_demo_tells_the_story_at_the_pinned_time(
    demo: tuple[DemoSummary, str, DemoOptions], demo_now: datetime
) -> None:
    """The same findings as on a weekend and at a year end (``test_sandbox_demo_dates``)."""
    summary, _, options = demo
    assert options.now == demo_now
    assert story(summary) == EXPECTED_STORY


@pytest.mark.slow
def test_every_monitor_reads_its_hour_of_capture_and_labels(
    demo: tuple[DemoSummary, str, DemoOptions],
) -> None:
    summary, _, _ = demo
    for hour in summary.monitoring["hours"]:
        start = datetime.fromisoformat(hour["hour"])
        runs = hour["executions"]
        assert set(runs) == {"DataQuality", "ModelQuality", "ModelBias", "ModelExplainability"}
        assert {monitor: run["records"] for monitor, run in runs.items()} == dict.fromkeys(runs, HOUR_ROWS)
        assert runs["DataQuality"]["scheduled"] == (start + timedelta(hours=1)).strftime("%Y-%m-%dT%H:%M:%SZ")
        # -P1D/-PT1H: the execution two hours after the hour reads the day before its last hour
        assert runs["ModelQuality"]["scheduled"] == (start + timedelta(hours=2)).strftime(
            "%Y-%m-%dT%H:%M:%SZ"
        )
        assert runs["ModelBias"]["window"] == runs["ModelQuality"]["window"]
        assert runs["ModelQuality"]["window"]["end"] == (start + timedelta(hours=1)).strftime(
            "%Y-%m-%dT%H:%M:%SZ"
        )


@pytest.mark.slow
def test_results_go_where_the_prod_export_sends_each_monitor(
    demo: tuple[DemoSummary, str, DemoOptions],
) -> None:
    summary, _, options = demo
    parameters = json.loads(
        (options.output / "build" / "prod-monitoring-schedule-config-export.json").read_text()
    )["Parameters"]
    for hour in summary.monitoring["hours"]:
        for monitor, execution in hour["executions"].items():
            assert execution["folder"].startswith(
                parameters[f"{monitor}MonitoringOutputS3Uri"] + "/fraud-detection-prod/"
            )
    assert summary.monitoring["model"].endswith("/models/v1/model.tar.gz")


@pytest.mark.slow
def test_the_html_report_lists_the_drifted_features(demo: tuple[DemoSummary, str, DemoOptions]) -> None:
    summary, _, _ = demo
    html = Path(summary.monitoring["report"]).read_text()
    text = re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", re.sub(r"<svg.*?</svg>", "", html, flags=re.S)))
    assert "baseline_drift_check Transaction Amount" in text
    assert "baseline_drift_check Device Used" in text
    assert "categorical_values_check Customer Location" in text


def test_traffic_is_the_latest_wednesdays_13_oclock_hour_two_hours_past_and_the_tuesday_before() -> None:
    clock = ManualClock(datetime(2026, 3, 4, 16, 20, tzinfo=UTC))  # a Wednesday
    traffic = stream_files(DemoOptions(rows=11, bad_rows=1), world=None, clock=clock)  # type: ignore[arg-type]
    assert [t.hour for t in traffic] == [
        datetime(2026, 3, 3, 13, tzinfo=UTC),
        datetime(2026, 3, 4, 13, tzinfo=UTC),
    ]
    assert [t.drifted for t in traffic] == [False, True]
    assert [len(t.stream.transactions) for t in traffic] == [6, 5]
    assert traffic[0].key == "incoming/2026/03/03/13/transactions-20260303-1300.csv"
    dates = traffic[1].stream.transactions["Transaction Date"]
    assert dates.str.startswith("2026-03-04 13:").all()


@pytest.mark.parametrize(
    "now",
    [
        datetime(2026, 3, 4, 14, 59, tzinfo=UTC),  # Wednesday, before its hour has been past for two hours
        datetime(2026, 3, 1, 16, 20, tzinfo=UTC),  # Sunday
        datetime(2026, 2, 26, 9, 0, tzinfo=UTC),  # Thursday morning
    ],
)
def test_on_other_days_and_hours_the_traffic_is_the_tuesday_and_wednesday_before(now: datetime) -> None:
    traffic = stream_files(DemoOptions(rows=4), world=None, clock=ManualClock(now))  # type: ignore[arg-type]
    assert [t.hour for t in traffic] == [
        datetime(2026, 2, 24, 13, tzinfo=UTC),
        datetime(2026, 2, 25, 13, tzinfo=UTC),
    ]


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


# The schedules of the demo's report: prod's four monitors (staging has no traffic).
REPORT_SECTIONS = ("DataQuality", "ModelQuality", "ModelBias", "ModelExplainability")


@pytest.mark.slow
def test_the_html_report_renders_in_a_real_browser(demo: tuple[DemoSummary, str, DemoOptions]) -> None:
    """The demo's report in headless Chromium: no console error, every section there, every chart drawn."""
    require_chromium()
    summary, _, _ = demo
    with opened(Path(summary.monitoring["report"])) as page:
        assert page.console_errors() == []
        sections = page.run(
            "return [...document.querySelectorAll('section.monitor')].map(s => s.className.split('-').pop())"
        )
        assert sorted(sections) == sorted(REPORT_SECTIONS)
        assert page.run("return ['overview', 'violations'].every(id => document.getElementById(id))")
        charts = page.run(
            """return [...document.querySelectorAll('section.monitor')].map(section => [
                   section.className.split('-').pop(),
                   [...section.querySelectorAll('svg')].map(svg => {
                       const box = svg.getBoundingClientRect();
                       const marks = svg.querySelectorAll('rect, circle, path, polyline');
                       return [box.width, box.height, marks.length];
                   })])"""
        )
        for monitor, drawn in charts:
            assert drawn, f"{monitor}: no chart"
            for width, height, shapes in drawn:
                assert min(width, height) > 0, (monitor, width, height)
                assert shapes > 0, monitor
        assert page.screenshot("demo-monitoring-report.png").stat().st_size > 10_000


# -- prod's scheduled job on the Processing backend ------------------------------------------------------
def drifted_hour(summary: DemoSummary) -> datetime:
    (hour,) = [h["hour"] for h in summary.monitoring["hours"] if h["drifted"]]
    return datetime.strptime(hour, "%Y-%m-%dT%H:%M:%SZ").replace(tzinfo=UTC)


@pytest.mark.slow
def test_the_data_quality_schedule_starts_one_job_for_its_hourly_group_at_the_end_of_the_drifted_hour(
    demo: tuple[DemoSummary, str, DemoOptions],
) -> None:
    job = demo[0].scheduled_job
    scheduled = (drifted_hour(demo[0]) + timedelta(hours=1)).strftime("%Y-%m-%dT%H:%M:%SZ")
    assert job["schedule"] == "fraud-detection-prod-DataQuality"
    assert job["input"] == {
        "ScheduledTime": scheduled, "Monitors": "DataQuality,ModelQuality", "MaxRuntimeInSeconds": 3600,
    }  # fmt: skip
    assert (job["job"]["instance"], job["job"]["max_runtime_s"]) == ("ml.m5.large", 3600)
    assert job["job"]["image"].endswith("sagemaker-scikit-learn:1.4-2-py312-cpu-py3")


@pytest.mark.slow
def test_the_job_finds_the_drift_and_fails_model_quality_for_want_of_data_in_its_moved_window(
    demo: tuple[DemoSummary, str, DemoOptions],
) -> None:
    # The job ran to its end (status Completed); a failed monitor fails the state machine's execution.
    assert job_verdict(demo[0].scheduled_job) == EXPECTED_JOB_VERDICT


@pytest.mark.slow
def test_the_jobs_results_are_the_drifted_hours_execution_folders(
    demo: tuple[DemoSummary, str, DemoOptions],
) -> None:
    summary = demo[0]
    folder = (drifted_hour(summary) + timedelta(hours=1)).strftime("%Y/%m/%d/%H")
    results = summary.scheduled_job["results"]
    assert sorted(results) == ["data-quality", "model-quality"]
    assert {f.rsplit("/", 1)[1] for f in results["data-quality"]} == {
        "constraint_violations.json", "statistics.json", "summary.json",
    }  # fmt: skip
    assert all(f"/fraud-detection-prod-DataQuality/{folder}/" in f for f in results["data-quality"])
    assert [f.rsplit("/", 1)[1] for f in results["model-quality"]] == ["summary.json"]


@pytest.mark.slow
def test_the_job_publishes_model_monitors_metrics_and_its_own_execution_counts(
    demo: tuple[DemoSummary, str, DemoOptions],
) -> None:
    metrics = demo[0].scheduled_job["metrics"]
    assert set(metrics) == {
        "PortableModelMonitor/Endpoints/data-metrics",
        "PortableModelMonitor/Endpoints/executions",
    }
    assert metrics["PortableModelMonitor/Endpoints/executions"] == [
        "constraint_violations", "executions", "failed_executions",
    ]  # fmt: skip
    data = metrics["PortableModelMonitor/Endpoints/data-metrics"]
    for name in ("feature_baseline_drift", "feature_data", "feature_completeness"):
        assert f"{name}_Transaction Amount" in data
    assert "feature_baseline_drift_Device Used" in data


@pytest.mark.slow
def test_the_alert_reaches_the_queue_on_the_topic_as_model_monitors_job_event(
    demo: tuple[DemoSummary, str, DemoOptions],
) -> None:
    job = demo[0].scheduled_job
    (alert,) = job["alerts"]
    assert (alert["source"], alert["detail_type"]) == (
        "aws.sagemaker",
        "SageMaker Processing Job State Change",
    )
    assert (alert["status"], alert["exit_message"]) == ("Completed", job["job"]["exit_message"])
    assert (alert["endpoint"], alert["monitors"]) == ("fraud-detection-prod", "DataQuality,ModelQuality")
    assert alert["scheduled_time"] == job["input"]["ScheduledTime"]
