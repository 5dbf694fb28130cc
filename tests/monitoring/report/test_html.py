"""The HTML report: what it shows for each monitor, escaping, determinism, and that it is self-contained."""

from __future__ import annotations

import html
import json
import re
from pathlib import Path

import pytest
from markupsafe import escape
from report_trees import ENDPOINT, FIRST_HOUR, ResultsTree, fixture, reference, summary, write_execution

from pipelines.monitoring.report import load_report, render_html
from pipelines.monitoring.report.calculations import ndcg
from pipelines.monitoring.report.formatting import readable
from pipelines.storage import Storage


@pytest.fixture
def page(results_tree: ResultsTree, storage: Storage) -> str:
    report = load_report(str(results_tree.root), storage=storage, baseline=str(results_tree.baselines))
    return render_html(report)


def feature_block(page: str, name: str) -> str:
    """The ``<div class="feature">`` of one feature."""
    match = re.search(rf'<div class="feature">\s*<h3>{re.escape(html.escape(name))} .*?</div>', page, re.S)
    assert match, f"no feature block for {name}"
    return match.group(0)


def figure(page: str, caption: str) -> str:
    match = re.search(
        rf'<figure class="trend"[^>]*>\s*<figcaption>{re.escape(caption)}</figcaption>.*?</figure>',
        page,
        re.S,
    )
    assert match, f"no trend figure {caption!r}"
    return match.group(0)


def tips(svg: str, element: str) -> list[str]:
    """The hover texts of an SVG's rectangles or circles."""
    return [html.unescape(t) for t in re.findall(rf"<{element} [^>]*><title>(.*?)</title>", svg)]


def test_a_drifting_feature_shows_its_baseline_and_current_distributions(page: str) -> None:
    block = feature_block(page, "Transaction Amount")
    assert "baseline_drift_check" in block
    bars = tips(block, "rect")
    assert "baseline: [0, 100] 200 values (20.0%)" in bars
    assert "current: [200, 400] 50 values (10.0%)" in bars
    assert len(bars) == 20  # ten buckets each
    # what the execution measured, as its violation states it (the buckets alone would say 0.7)
    assert "distance 0.87" in block


def test_a_drifting_categorical_feature_shows_category_shares(page: str) -> None:
    bars = tips(feature_block(page, "Payment Method"), "rect")
    assert "crypto, baseline: 0.0%" in bars
    assert "crypto, current: 50.0%" in bars
    assert "credit card, baseline: 40.0%" in bars


def test_every_violated_feature_is_listed_under_drifting_features(page: str) -> None:
    # Customer Age's only violation is a completeness check: it is listed with the drifting ones all the same.
    drifting = page.split("Drifting features")[1].split("<h3>Trends")[0]
    assert "<summary>Other features" not in drifting
    assert "completeness_check" in feature_block(drifting, "Customer Age")


def _with_data_quality_baseline(results_tree: ResultsTree, constraints: dict) -> str:
    (results_tree.baselines / "data_quality" / "constraints.json").write_text(json.dumps(constraints))
    report = load_report(str(results_tree.root), storage=Storage(), baseline=str(results_tree.baselines))
    return render_html(report)


def test_a_feature_whose_drift_comparison_is_off_says_so_and_why(results_tree: ResultsTree) -> None:
    page = _with_data_quality_baseline(
        results_tree,
        {
            "version": 0.0,
            "features": [
                {
                    "name": "Customer Age",
                    "inferred_type": "Integral",
                    "monitoringConfigOverrides": {
                        "distribution_constraints": {"perform_comparison": "Disabled"}
                    },
                },
                {"name": "Transaction Amount", "inferred_type": "Fractional"},
            ],
            "monitoring_config": {"evaluate_constraints": "Enabled"},
        },
    )
    assert (
        "Drift not compared: drift comparison switched off in the baseline constraints (perform_comparison: "
        "Disabled, as baseline --no-drift-check writes it)." in feature_block(page, "Customer Age")
    )
    assert "Drift not compared" not in feature_block(page, "Transaction Amount")


def test_a_baseline_column_missing_from_the_current_data_is_listed(
    results_tree: ResultsTree, storage: Storage
) -> None:
    hour = results_tree.hours[-1]
    missing = {
        "feature_name": "Shipping Method",
        "constraint_check_type": "missing_column_check",
        "description": "There are missing columns in current dataset. Missing column: Shipping Method.",
    }
    folder = results_tree.root / ENDPOINT / f"{ENDPOINT}-DataQuality" / hour.strftime("%Y/%m/%d/%H")
    violations = json.loads((folder / "constraint_violations.json").read_text())
    violations["violations"].append(missing)
    (folder / "constraint_violations.json").write_text(json.dumps(violations))
    page = render_html(
        load_report(str(results_tree.root), storage=storage, baseline=str(results_tree.baselines))
    )
    block = feature_block(page, "Shipping Method")
    assert "Not in the current data (the baseline has it)." in block
    assert "missing_column_check" in block


def test_each_monitor_says_what_its_finding_means_and_what_to_check_next(page: str) -> None:
    advice = re.findall(r'<p class="advice"><strong>What it means:</strong> (.*?)</p>', page, re.S)
    assert len(advice) == 4
    assert "upstream data change" in advice[0]
    assert "label delay" in advice[1]
    assert "--bias-tolerance" in advice[2]
    assert "nDCG below the threshold" in advice[3]


def test_the_bias_section_carries_the_noise_caveat(page: str) -> None:
    bias = page.split('class="monitor monitor-ModelBias"')[1].split("</section>")[0]
    assert "Bias drift applies Clarify&#39;s rule as written" in bias


def test_the_page_explains_why_execution_times_differ_for_the_same_traffic(page: str) -> None:
    assert "the same\ntraffic hour therefore shows up under a later execution time" in page
    assert "<th>Traffic analysed (UTC)</th>" in page
    assert "<td>2026-11-29 12:00 to 13:00</td>" in page


def test_long_numbers_in_descriptions_are_rounded_for_reading(results_tree: ResultsTree) -> None:
    hour = results_tree.hours[-1]
    folder = results_tree.root / ENDPOINT / f"{ENDPOINT}-DataQuality" / hour.strftime("%Y/%m/%d/%H")
    violations = json.loads((folder / "constraint_violations.json").read_text())
    violations["violations"][1]["description"] = (
        "Baseline drift distance: 0.37747035573122526 exceeds threshold: 0.1"
    )
    (folder / "constraint_violations.json").write_text(json.dumps(violations))
    page = render_html(
        load_report(str(results_tree.root), storage=Storage(), baseline=str(results_tree.baselines))
    )
    assert "Baseline drift distance: 0.3775 exceeds threshold: 0.1" in page
    assert "0.37747035573122526" not in page
    assert "0.37747035573122526" in (folder / "constraint_violations.json").read_text()


def test_a_single_execution_is_counted_in_the_singular_and_its_trend_is_a_point(tmp_path: Path) -> None:
    write_execution(
        tmp_path,
        ENDPOINT,
        f"{ENDPOINT}-DataQuality",
        FIRST_HOUR,
        {
            "statistics.json": fixture("data_quality_statistics.json"),
            "constraint_violations.json": {"violations": []},
            "summary.json": summary("DataQuality", FIRST_HOUR, "Completed", []),
        },
    )
    page = render_html(load_report(str(tmp_path), storage=Storage()))
    assert "1 execution of 1 schedule on\n1 endpoint" in page
    assert "Trends across 1 execution</h3>" in page
    assert "One execution: each chart shows a single point; a trend needs two or more." in page
    assert len(tips(figure(page, "Violations per execution"), "circle")) == 1


def test_a_model_quality_trend_has_one_point_per_execution(page: str, results_tree: ResultsTree) -> None:
    chart = figure(page, "accuracy")
    assert 'data-points="4"' in chart
    points = tips(chart, "circle")
    assert points == [
        f"accuracy, {hour:%Y-%m-%d %H}:00: {value:g}"
        for hour, value in zip(results_tree.hours, results_tree.accuracies, strict=True)
    ]
    assert "stroke-dasharray" in chart  # the constraint's threshold line


def test_model_quality_metrics_show_their_constraints_and_violations(page: str) -> None:
    row = re.search(r'<tr class="violated"><td>accuracy</td>.*?</tr>', page, re.S)
    assert row
    assert "violated when LessThanThreshold 0.9" in row.group(0)
    assert '<tr class=""><td>recall</td>' in page  # constrained, not violated


def test_bias_metrics_are_shown_per_facet_with_their_baseline(page: str) -> None:
    assert "<h3>Customer Age = (40, 90]" in page
    assert "<h3>Payment Method = PayPal" in page
    row = re.search(r'<tr class="violated"><td>DPPL</td>.*?</tr>', page, re.S)
    assert row
    assert '<td class="num">-0.31</td><td class="num">-0.02</td>' in row.group(0)


def test_a_bias_metric_trend_has_a_line_per_facet_value(page: str, results_tree: ResultsTree) -> None:
    points = tips(figure(page, "DPPL"), "circle")
    age = [p for p in points if p.startswith("Customer Age=(40, 90]")]
    assert [float(p.rsplit(": ", 1)[1]) for p in age] == list(results_tree.dppl)
    assert len([p for p in points if p.startswith("Payment Method=PayPal")]) == 4


def test_attribution_ranks_compare_baseline_and_current_with_ndcg(page: str) -> None:
    current = fixture("explainability_analysis.json")["explanations"]["kernel_shap"]["label0"]
    baseline = fixture("explainability_baseline_analysis.json")["explanations"]["kernel_shap"]["label0"]
    score = ndcg(baseline["global_shap_values"], current["global_shap_values"])
    assert score is not None
    assert f'<strong class="ndcg">{score:.4g}</strong>' in page
    assert "below Clarify's threshold 0.9" in page
    assert (
        '<tr><td class="num">1</td><td>Payment Method</td>\n<td class="num">0.26</td>'
        '<td class="num">6</td>\n<td class="num">0.02</td></tr>'
    ) in page
    assert len(tips(figure(page, "nDCG against the baseline"), "circle")) == 3


def test_the_violations_table_lists_every_violation_of_every_execution(page: str, results_tree: ResultsTree):
    table = page.split('<section id="violations">')[1]
    rows = re.findall(r'<tr class="violation">.*?</tr>', table, re.S)
    expected = [
        violation
        for name, executions in (
            ("data_quality_violations.json", 2),
            ("model_quality_violations.json", 1),
            ("bias_violations.json", 1),
            ("explainability_violations.json", 1),
        )
        for violation in fixture(name)["violations"] * executions
    ]
    assert len(rows) == len(expected) == 14
    for violation in expected:
        # as Jinja escapes it, long numbers rounded for reading
        assert any(str(escape(readable(violation["description"]))) in row for row in rows)


def test_text_from_files_is_escaped(tmp_path: Path, storage: Storage) -> None:
    hostile = '<script>alert("x")</script>'
    statistics = fixture("data_quality_statistics.json")
    statistics["features"][0]["name"] = hostile
    violations = {
        "violations": [
            {"feature_name": hostile, "constraint_check_type": "baseline_drift_check", "description": hostile}
        ]
    }
    write_execution(
        tmp_path,
        ENDPOINT,
        "dq",
        FIRST_HOUR,
        {"statistics.json": statistics, "constraint_violations.json": violations},
    )
    page = render_html(load_report(str(tmp_path), storage=storage))
    assert "<script" not in page
    assert str(escape(hostile)) in page


def test_the_same_results_give_the_same_bytes(results_tree: ResultsTree, storage: Storage) -> None:
    first = render_html(
        load_report(str(results_tree.root), storage=storage, baseline=str(results_tree.baselines))
    )
    again = render_html(
        load_report(str(results_tree.root), storage=storage, baseline=str(results_tree.baselines))
    )
    assert first == again


def test_the_page_needs_no_network(page: str) -> None:
    assert re.findall(r"https?://[^\s\"'<]+", page) == ["http://www.w3.org/2000/svg"] * page.count("<svg ")
    for needs_fetch in ("<script", "<link", "<img", "src=", "@import", "url("):
        assert needs_fetch not in page


def test_sagemaker_reference_outputs_render(tmp_path: Path, storage: Storage) -> None:
    statistics = json.loads(
        reference("sagemaker-sdk-quality-check", "data_quality", "statistics.json").read_text()
    )
    analysis = json.loads(reference("sagemaker-sdk-clarify-check", "analysis.json").read_text())
    quality = json.loads(
        reference("sagemaker-sdk-quality-check", "model_quality", "statistics.json").read_text()
    )
    write_execution(tmp_path, "ep", "dq", FIRST_HOUR, {"statistics.json": statistics})
    write_execution(tmp_path, "ep", "bias", FIRST_HOUR, {"analysis.json": analysis})
    write_execution(tmp_path, "ep", "mq", FIRST_HOUR, {"statistics.json": quality})
    baseline = reference("sagemaker-sdk-quality-check", "data_quality", "statistics.json")
    page = render_html(load_report(str(tmp_path), storage=storage, baseline=str(baseline)))
    assert "<h3>F1 = (0.5, 0.9936148802477393]" in page
    assert '<td>CI</td><td>Class Imbalance (CI)</td>\n<td class="num">-0.08</td>' in page
    assert '<td>mae</td>\n<td class="num">0.5041</td>' in page
    # Features without violations are still plotted against the baseline (identical here: distance 0).
    assert '<h3>_c0 <small class="meta">Fractional &middot; distance 0</small></h3>' in page


def test_a_failed_execution_shows_its_reason(tmp_path: Path, storage: Storage) -> None:
    failed = summary("ModelQuality", FIRST_HOUR, "Failed", [])
    failed["reason"] = "no ground truth for the window 2026-11-29T09:00Z-10:00Z"
    write_execution(tmp_path, ENDPOINT, f"{ENDPOINT}-ModelQuality", FIRST_HOUR, {"summary.json": failed})
    page = render_html(load_report(str(tmp_path), storage=storage))
    assert '<span class="status status-Failed">Failed</span>' in page
    assert "no ground truth for the window 2026-11-29T09:00Z-10:00Z" in page


def test_threshold_facets_match_their_baseline_when_the_maximum_changes(
    tmp_path: Path, baselines_folder: Path, storage: Storage
) -> None:
    analysis = fixture("bias_analysis.json")
    analysis["post_training_bias_metrics"]["facets"]["Customer Age"][0]["value_or_threshold"] = "(40, 88]"
    violations = fixture("bias_violations.json")
    for violation in violations["violations"]:
        violation["facet_value"] = "(40, 88]"
    write_execution(
        tmp_path / "results",
        ENDPOINT,
        "bias",
        FIRST_HOUR,
        {"analysis.json": analysis, "constraint_violations.json": violations},
    )
    report = load_report(str(tmp_path / "results"), storage=storage, baseline=str(baselines_folder))
    page = render_html(report)
    row = re.search(r'<tr class="violated"><td>DPPL</td>.*?</tr>', page, re.S)
    assert row  # the violation names "(40, 88]", the baseline "(40, 90]": same threshold 40
    assert '<td class="num">-0.31</td><td class="num">-0.02</td>' in row.group(0)


def test_a_bias_metric_clarify_could_not_compute_shows_why(page: str) -> None:
    row = re.search(r"<tr class=\"\"><td>TE</td>.*?</tr>", page, re.S)
    assert row
    why = "Treatment Equality is undefined: facet d has no false negatives"
    assert f'<td class="num">- <small class="meta">({why})</small></td>' in row.group(0)


def test_a_trend_without_any_value_is_a_note_not_an_empty_chart() -> None:
    from pipelines.monitoring.report.html import trend_chart
    from pipelines.monitoring.report.views import Trend, TrendLine, TrendPoint

    empty = Trend(
        "FT", (TrendLine("FT", (TrendPoint(FIRST_HOUR, None, "a"), TrendPoint(FIRST_HOUR, None, "b"))),)
    )
    shown = str(trend_chart(empty))
    assert "<svg" not in shown
    assert "No value in any execution" in shown
