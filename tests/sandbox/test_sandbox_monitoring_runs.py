"""Which executions the demo runs on each traffic hour, and the pieces around them (no AWS needed)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from pipelines.monitoring.cli import run_argv
from pipelines.monitors import MonitorType
from pipelines.sandbox.monitoring_runs import (
    MonitorRun,
    MonitorRunError,
    common_root,
    label_collection_time,
    plan_monitor_runs,
    render_outcomes,
)
from pipelines.timewindow import TimeWindow

DAY, HOUR = timedelta(days=1), timedelta(hours=1)
CLEAN = datetime(2026, 3, 1, 13, tzinfo=UTC)
DRIFTED = CLEAN + DAY
PROD_OFFSETS = (-DAY, -HOUR)  # the prod stage config's GroundTruthStartTimeOffset / EndTimeOffset


def test_data_quality_and_explainability_read_the_hour_itself() -> None:
    runs = plan_monitor_runs([CLEAN, DRIFTED], *PROD_OFFSETS)
    own = [r for r in runs if MonitorType.DATA_QUALITY in r.monitors]
    assert [(r.traffic_hour, r.window) for r in own] == [
        (CLEAN, TimeWindow(CLEAN, CLEAN + HOUR)),
        (DRIFTED, TimeWindow(DRIFTED, DRIFTED + HOUR)),
    ]
    assert all(r.monitors == (MonitorType.DATA_QUALITY, MonitorType.MODEL_EXPLAINABILITY) for r in own)


def test_model_quality_and_bias_run_two_hours_later_when_the_moved_window_ends_with_the_hour() -> None:
    runs = plan_monitor_runs([CLEAN, DRIFTED], *PROD_OFFSETS)
    labelled = [r for r in runs if MonitorType.MODEL_QUALITY in r.monitors]
    assert [r.window.end for r in labelled] == [CLEAN + 2 * HOUR, DRIFTED + 2 * HOUR]
    assert all(r.monitors == (MonitorType.MODEL_QUALITY, MonitorType.MODEL_BIAS) for r in labelled)


def test_labels_are_collected_after_the_hour_and_before_its_model_quality_execution() -> None:
    collected = label_collection_time(CLEAN)
    assert CLEAN + HOUR < collected < CLEAN + 2 * HOUR


def test_hours_a_day_window_would_mix_are_refused() -> None:
    with pytest.raises(MonitorRunError, match="does not hold the hour 2026-03-01T14:00:00Z alone"):
        plan_monitor_runs([CLEAN, CLEAN + HOUR], *PROD_OFFSETS)


def test_offsets_whose_window_is_shorter_than_the_hour_are_refused() -> None:
    with pytest.raises(MonitorRunError, match="reads \\[2026-03-01T13:30:00Z, 2026-03-01T14:00:00Z\\)"):
        plan_monitor_runs([CLEAN], -timedelta(minutes=90), -HOUR)


def test_a_run_is_logged_as_the_command_line_for_the_deployed_stage() -> None:
    run = MonitorRun(
        CLEAN, (MonitorType.MODEL_QUALITY, MonitorType.MODEL_BIAS), TimeWindow(CLEAN, CLEAN + HOUR)
    )
    options = run.options("s3://b/capture", "s3://b/model.tar.gz", "AllTraffic")
    assert run_argv(options, "export.json") == [
        "run",
        "--stage-config", "export.json",
        "--capture", "s3://b/capture",
        "--model", "s3://b/model.tar.gz",
        "--variant", "AllTraffic",
        "--monitors", "model-quality,bias",
        "--start", "2026-03-01T13:00:00Z",
        "--end", "2026-03-01T14:00:00Z",
    ]  # fmt: skip


def test_the_report_reads_the_prefix_holding_every_monitors_output() -> None:
    outputs = [
        f"s3://bucket/monitor-output/{kind}" for kind in ("data-quality", "model-quality", "model-bias")
    ]
    assert common_root(outputs) == "s3://bucket/monitor-output"
    assert common_root(["s3://bucket/a/x", "s3://bucket/b/y"]) == "s3://bucket/"


def test_outputs_in_several_buckets_cannot_be_reported_together() -> None:
    with pytest.raises(MonitorRunError, match="in several buckets"):
        common_root(["s3://one/out", "s3://two/out"])


def test_outcomes_are_shown_per_hour_with_what_each_monitor_flagged() -> None:
    violation = {"check": "baseline_drift_check", "name": "Device Used", "subject": "Device Used"}
    hours = [
        {
            "hour": "2026-03-02T13:00:00Z",
            "drifted": True,
            "executions": {
                "DataQuality": {
                    "status": "CompletedWithViolations",
                    "records": 300,
                    "violations": [violation],
                },
                "ModelQuality": {"status": "Completed", "records": 300, "violations": []},
            },
        }
    ]
    assert render_outcomes(hours) == [
        "  2026-03-02T13:00:00Z (drifted traffic):",
        "    DataQuality          CompletedWithViolations, 300 records: 1 violation (Device Used)",
        "    ModelQuality         Completed, 300 records",
    ]
