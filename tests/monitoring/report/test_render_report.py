"""``render_report``: the CLI-facing call, on local folders and on S3 (moto), writing the HTML where asked."""

from __future__ import annotations

from pathlib import Path

import pytest
from report_trees import ResultsTree

from pipelines.aws import client
from pipelines.monitoring.report import NoResultsFound, render_report
from pipelines.monitoring.report.results import ExecutionStatus, MonitorType
from pipelines.sandbox.aws_emulator import AwsEmulator
from pipelines.storage import Storage

BUCKET = "monitoring-results"


def upload(s3, folder: Path, prefix: str) -> None:
    for path in sorted(folder.rglob("*")):
        if path.is_file():
            s3.put_object(
                Bucket=BUCKET, Key=f"{prefix}/{path.relative_to(folder).as_posix()}", Body=path.read_bytes()
            )


def test_results_and_baselines_on_s3_give_an_html_report_on_s3(
    aws_emulator: AwsEmulator, results_tree: ResultsTree
) -> None:
    s3 = client("s3")
    s3.create_bucket(Bucket=BUCKET)
    upload(s3, results_tree.root, "monitoring")
    upload(s3, results_tree.baselines, "baselines")
    summary = render_report(
        f"s3://{BUCKET}/monitoring",
        baseline=f"s3://{BUCKET}/baselines",
        html_out=f"s3://{BUCKET}/reports/latest.html",
        storage=Storage(s3),
    )
    written = s3.get_object(Bucket=BUCKET, Key="reports/latest.html")
    assert written["ContentType"].startswith("text/html")
    page = written["Body"].read().decode()
    assert f"s3://{BUCKET}/baselines/explainability/analysis.json" in page
    assert "<figcaption>accuracy</figcaption>" in page
    assert summary.html_location == f"s3://{BUCKET}/reports/latest.html"
    assert summary.report.executions == 15


def test_the_summary_gives_each_schedules_latest_status(results_tree: ResultsTree, tmp_path: Path) -> None:
    summary = render_report(str(results_tree.root), baseline=None, html_out=None, storage=Storage())
    assert summary.has_violations
    assert {(s.monitor, s.status, s.violations) for s in summary.latest} == {
        (MonitorType.DATA_QUALITY, ExecutionStatus.COMPLETED_WITH_VIOLATIONS, 4),
        (MonitorType.MODEL_QUALITY, ExecutionStatus.COMPLETED_WITH_VIOLATIONS, 3),
        (MonitorType.MODEL_BIAS, ExecutionStatus.COMPLETED_WITH_VIOLATIONS, 2),
        (MonitorType.MODEL_EXPLAINABILITY, ExecutionStatus.COMPLETED_WITH_VIOLATIONS, 1),
    }
    assert summary.html_location is None
    assert list(tmp_path.rglob("*.html")) == []


def test_no_violations_in_the_latest_executions_is_a_clean_summary(results_tree: ResultsTree) -> None:
    summary = render_report(
        str(results_tree.root), baseline=None, html_out=None, storage=Storage(), last=None
    )
    earlier = render_report(
        str(results_tree.root / "fraud-prod" / "schedule-a" / "2026/11/29/10"),
        baseline=None,
        html_out=None,
        storage=Storage(),
    )
    assert summary.has_violations
    assert not earlier.has_violations
    assert [s.status for s in earlier.latest] == [ExecutionStatus.COMPLETED]


def test_the_html_goes_to_a_local_file(results_tree: ResultsTree, tmp_path: Path) -> None:
    target = tmp_path / "out" / "report.html"
    render_report(str(results_tree.root), baseline=None, html_out=str(target), storage=Storage())
    assert target.read_text().startswith("<!DOCTYPE html>")


def test_an_empty_s3_prefix_is_an_error(aws_emulator: AwsEmulator) -> None:
    s3 = client("s3")
    s3.create_bucket(Bucket=BUCKET)
    with pytest.raises(NoResultsFound, match="nothing-here: no files; expected execution folders"):
        render_report(f"s3://{BUCKET}/nothing-here", baseline=None, html_out=None, storage=Storage(s3))
