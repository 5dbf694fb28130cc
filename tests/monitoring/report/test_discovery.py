"""Execution folders are found by Model Monitor's layout: {endpoint}/{schedule}/yyyy/mm/dd/hh/."""

from __future__ import annotations

from datetime import UTC, datetime

from pipelines.monitoring.report.discovery import find_execution_folders, parse_execution_path


def test_local_execution_path_gives_endpoint_schedule_and_hour() -> None:
    assert parse_execution_path("/data/out/fraud-prod/fraud-prod-DataQuality/2026/11/29/13") == (
        "fraud-prod",
        "fraud-prod-DataQuality",
        datetime(2026, 11, 29, 13, tzinfo=UTC),
    )


def test_s3_execution_path_gives_endpoint_schedule_and_hour() -> None:
    assert parse_execution_path("s3://bucket/monitoring/ep/sched/2026/01/02/03") == (
        "ep",
        "sched",
        datetime(2026, 1, 2, 3, tzinfo=UTC),
    )


def test_paths_without_a_valid_hour_are_not_executions() -> None:
    assert parse_execution_path("/out/ep/sched/2026/13/01/00") is None  # month 13
    assert parse_execution_path("/out/ep/sched/2026/1/01/00") is None  # not zero-padded
    assert parse_execution_path("s3://bucket/2026/11/29/13") is None  # no endpoint/schedule


def test_result_files_are_grouped_per_execution_folder() -> None:
    files = [
        "s3://bkt/out/ep/s/2026/11/29/13/statistics.json",
        "s3://bkt/out/ep/s/2026/11/29/13/constraint_violations.json",
        "s3://bkt/out/ep/s/2026/11/29/13/report.pdf",
        "s3://bkt/out/ep/s/2026/11/29/14/analysis.json",
    ]
    folders, skipped = find_execution_folders(files, "s3://bkt/out")
    assert skipped == []
    assert [(f.location, sorted(f.files)) for f in folders] == [
        ("s3://bkt/out/ep/s/2026/11/29/13", ["constraint_violations.json", "statistics.json"]),
        ("s3://bkt/out/ep/s/2026/11/29/14", ["analysis.json"]),
    ]


def test_other_folders_with_result_files_are_skipped_and_named(tmp_path) -> None:
    files = [f"{tmp_path}/ep/s/2026/11/29/13/statistics.json", f"{tmp_path}/baselines/statistics.json"]
    folders, skipped = find_execution_folders(files, str(tmp_path))
    assert [f.location for f in folders] == [f"{tmp_path}/ep/s/2026/11/29/13"]
    assert skipped == [f"{tmp_path}/baselines"]


def test_the_source_folder_itself_is_one_execution_when_it_holds_results(tmp_path) -> None:
    folders, skipped = find_execution_folders([f"{tmp_path}/run/statistics.json"], f"{tmp_path}/run")
    assert skipped == []
    (folder,) = folders
    assert (folder.endpoint, folder.schedule, folder.scheduled_hour) == (None, "run", None)
