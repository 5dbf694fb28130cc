"""The terminal summary: per schedule the latest status, violation counts and worst offenders (80 columns)."""

from __future__ import annotations

import json

import pytest
from report_trees import ENDPOINT, FIRST_HOUR, ResultsTree, write_execution

from pipelines.monitoring.report import load_report, render_terminal
from pipelines.storage import Storage


@pytest.fixture
def text(results_tree: ResultsTree, storage: Storage) -> str:
    report = load_report(str(results_tree.root), storage=storage, baseline=str(results_tree.baselines))
    return render_terminal(report, html_location="out/report.html")


def block(text: str, heading: str) -> list[str]:
    """The lines of one schedule's block, from its heading to the next heading."""
    lines = text.splitlines()
    start = next(i for i, line in enumerate(lines) if line.startswith(f"  {heading}"))
    end = next(
        (
            i
            for i in range(start + 1, len(lines))
            if lines[i].startswith("  ") and not lines[i].startswith("   ")
        ),
        len(lines),
    )
    return lines[start:end]


def test_every_line_fits_in_80_columns_except_a_long_path_on_its_own(text: str) -> None:
    assert all(len(line) <= 80 or len(line.split()) == 1 for line in text.splitlines())
    assert max(len(line) for line in text.splitlines() if len(line.split()) > 1) <= 80


def test_each_monitor_shows_its_latest_status_and_counts(text: str) -> None:
    assert block(text, "Data quality")[1:3] == [
        "    latest 2026-11-29 13:00 UTC  CompletedWithViolations, 4 violations",
        "    2 of 4 executions had violations",
    ]
    assert "    latest 2026-11-29 13:00 UTC  CompletedWithViolations, 1 violation" in block(
        text, "Feature attribution"
    )


def test_worst_offenders_come_first_with_their_measure(text: str) -> None:
    offenders = [line for line in block(text, "Data quality") if line.startswith("    - ")]
    # the distances the execution's violations state
    assert offenders[0].split() == ["-", "baseline_drift_check", "Transaction", "Amount", "distance", "0.87"]
    assert offenders[1].split() == ["-", "baseline_drift_check", "Payment", "Method", "distance", "0.5"]
    quality = [line for line in block(text, "Model quality") if line.startswith("    - ")]
    # Relative gap to the threshold: false_positive_rate 0.667 vs 0.1 is furthest off.
    assert quality[0].split()[:3] == ["-", "GreaterThanThreshold", "false_positive_rate"]
    assert quality[0].endswith("0.6667 (threshold 0.1)")


def test_the_summary_names_the_source_span_and_html(text: str, results_tree: ResultsTree) -> None:
    lines = text.splitlines()
    assert lines[0] == "Monitoring report: 15 executions of 4 schedules on 1 endpoint"
    unwrapped = " ".join(line.strip() for line in text.splitlines())
    assert f"Source: {results_tree.root}" in unwrapped
    assert "Executions: 2026-11-29 10:00 to 2026-11-29 13:00 UTC" in lines
    assert lines[-1] == "HTML report: out/report.html"


def test_offenders_beyond_five_are_counted(tmp_path, storage: Storage) -> None:
    violations = [
        {"feature_name": f"f{i}", "constraint_check_type": "missing_column_check", "description": "missing"}
        for i in range(8)
    ]
    write_execution(
        tmp_path, ENDPOINT, "dq", FIRST_HOUR, {"constraint_violations.json": {"violations": violations}}
    )
    text = render_terminal(load_report(str(tmp_path), storage=storage))
    assert sum(line.startswith("    - missing_column_check") for line in text.splitlines()) == 5
    assert "    ... and 3 more (see the HTML report)" in text


def test_files_that_could_not_be_used_are_listed(results_tree: ResultsTree, storage: Storage) -> None:
    broken = results_tree.root / ENDPOINT / "schedule-a" / "2026/11/29/12" / "statistics.json"
    broken.write_text(json.dumps({"binary_classification_metrics": {"recall": {"value": "high"}}}))
    text = render_terminal(load_report(str(results_tree.root), storage=storage))
    assert "1 problem with the files (not shown above):" in text
    unwrapped = " ".join(line.strip() for line in text.splitlines())
    assert "binary_classification_metrics.recall.value is 'high', expected a number" in unwrapped
