"""Loading executions: monitor types from content, statuses, baselines, and every unusable file reported."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
from report_trees import ENDPOINT, FIRST_HOUR, ResultsTree, fixture, summary, write_execution

from pipelines.errors import UserError
from pipelines.monitoring.report import BaselineError, NoResultsFound, load_report
from pipelines.monitoring.report.results import ExecutionStatus, MonitorType, Origin
from pipelines.monitoring.report.views import Report, SeriesSection
from pipelines.storage import Storage


def section(report: Report, monitor: MonitorType) -> SeriesSection:
    (found,) = [s for s in report.sections if s.series.monitor is monitor]
    return found


def test_monitor_types_come_from_the_files_not_the_schedule_names(
    results_tree: ResultsTree, storage: Storage
):
    report = load_report(str(results_tree.root), storage=storage)
    assert {(s.series.schedule, s.series.monitor) for s in report.sections} == {
        (f"{ENDPOINT}-DataQuality", MonitorType.DATA_QUALITY),
        ("schedule-a", MonitorType.MODEL_QUALITY),
        (f"{ENDPOINT}-ModelBias", MonitorType.MODEL_BIAS),
        ("schedule-b", MonitorType.MODEL_EXPLAINABILITY),
    }


def test_executions_are_ordered_by_their_hour(results_tree: ResultsTree, storage: Storage) -> None:
    report = load_report(str(results_tree.root), storage=storage)
    quality = section(report, MonitorType.MODEL_QUALITY).series
    assert tuple(e.when for e in quality.executions) == results_tree.hours
    assert [e.model_quality.metrics["accuracy"].value for e in quality.executions if e.model_quality] == list(
        results_tree.accuracies
    )


def test_our_status_comes_from_the_summary(results_tree: ResultsTree, storage: Storage) -> None:
    report = load_report(str(results_tree.root), storage=storage)
    executions = section(report, MonitorType.DATA_QUALITY).series.executions
    assert {e.origin for e in executions} == {Origin.OURS}
    assert [e.status for e in executions] == [ExecutionStatus.COMPLETED] * 2 + [
        ExecutionStatus.COMPLETED_WITH_VIOLATIONS
    ] * 2
    assert executions[-1].inputs["records"] == 480


def test_sagemaker_status_comes_from_its_violations(results_tree: ResultsTree, storage: Storage) -> None:
    report = load_report(str(results_tree.root), storage=storage)
    executions = section(report, MonitorType.MODEL_QUALITY).series.executions
    assert {e.origin for e in executions} == {Origin.SAGEMAKER}
    assert [e.status for e in executions] == [ExecutionStatus.COMPLETED] * 3 + [
        ExecutionStatus.COMPLETED_WITH_VIOLATIONS
    ]
    assert [v.metric_name for v in executions[-1].violations] == [
        "precision",
        "accuracy",
        "false_positive_rate",
    ]


def test_only_the_latest_data_quality_statistics_are_read(
    results_tree: ResultsTree, storage: Storage
) -> None:
    report = load_report(str(results_tree.root), storage=storage)
    executions = section(report, MonitorType.DATA_QUALITY).series.executions
    assert [e.data_quality is not None for e in executions] == [False, False, False, True]


def test_last_keeps_the_newest_executions_of_each_schedule(
    results_tree: ResultsTree, storage: Storage
) -> None:
    report = load_report(str(results_tree.root), storage=storage, last=2)
    assert {len(s.series.executions) for s in report.sections} == {2}
    assert section(report, MonitorType.MODEL_QUALITY).series.executions[0].when == results_tree.hours[2]


def test_last_must_be_positive(results_tree: ResultsTree, storage: Storage) -> None:
    with pytest.raises(UserError, match="--last is 0: expected a positive number"):
        load_report(str(results_tree.root), storage=storage, last=0)


def test_baselines_named_in_our_summaries_are_used(results_tree: ResultsTree, storage: Storage) -> None:
    report = load_report(str(results_tree.root), storage=storage)
    quality = section(report, MonitorType.DATA_QUALITY)
    assert quality.baselines.sources == {
        "data_quality_statistics": str(results_tree.baselines / "data_quality" / "statistics.json")
    }
    assert section(report, MonitorType.MODEL_BIAS).baselines.bias is not None
    # SageMaker's files name no baseline: the section says how to give one.
    explainability = section(report, MonitorType.MODEL_EXPLAINABILITY)
    assert explainability.baselines.explainability is None
    assert any("give --baseline" in note for note in explainability.notes)


def test_a_baseline_folder_is_recognised_by_content(results_tree: ResultsTree, storage: Storage) -> None:
    report = load_report(str(results_tree.root), storage=storage, baseline=str(results_tree.baselines))
    folder = results_tree.baselines
    assert section(report, MonitorType.MODEL_QUALITY).baselines.sources["model_quality_constraints"] == str(
        folder / "model_quality" / "constraints.json"
    )
    assert section(report, MonitorType.MODEL_EXPLAINABILITY).baselines.sources["explainability"] == str(
        folder / "explainability" / "analysis.json"
    )
    assert section(report, MonitorType.MODEL_BIAS).baselines.sources["bias"] == str(
        folder / "bias" / "analysis.json"
    )


def test_two_baselines_of_one_kind_are_an_error_naming_both(
    results_tree: ResultsTree, storage: Storage
) -> None:
    extra = results_tree.baselines / "old" / "statistics.json"
    extra.parent.mkdir()
    shutil.copy(results_tree.baselines / "data_quality" / "statistics.json", extra)
    with pytest.raises(BaselineError) as error:
        load_report(str(results_tree.root), storage=storage, baseline=str(results_tree.baselines))
    assert str(extra) in str(error.value)
    assert str(results_tree.baselines / "data_quality" / "statistics.json") in str(error.value)


def test_a_file_that_is_no_baseline_is_an_error(tmp_path: Path, results_tree: ResultsTree, storage: Storage):
    wrong = tmp_path / "violations.json"
    wrong.write_text(json.dumps(fixture("model_quality_violations.json")))
    with pytest.raises(BaselineError, match=r"violations\.json: not a baseline file; expected data-quality"):
        load_report(str(results_tree.root), storage=storage, baseline=str(wrong))


def test_a_missing_baseline_is_an_error(tmp_path: Path, results_tree: ResultsTree, storage: Storage) -> None:
    with pytest.raises(BaselineError, match="nowhere: no such file or folder"):
        load_report(str(results_tree.root), storage=storage, baseline=str(tmp_path / "nowhere"))


def test_an_unreadable_file_is_reported_and_the_rest_is_loaded(results_tree: ResultsTree, storage: Storage):
    broken = results_tree.root / ENDPOINT / "schedule-a" / "2026/11/29/13" / "statistics.json"
    broken.write_text('{"binary_classification_metrics": ')
    report = load_report(str(results_tree.root), storage=storage)
    (problem,) = report.problems
    assert problem.location == str(broken)
    assert problem.message.startswith("not valid JSON")
    quality = section(report, MonitorType.MODEL_QUALITY)
    assert quality.series.latest.model_quality is None
    assert quality.statistics_execution is not None
    assert quality.statistics_execution.when == results_tree.hours[2]  # the newest readable statistics


def test_a_file_of_the_wrong_shape_is_reported_with_its_key(
    results_tree: ResultsTree, storage: Storage
) -> None:
    analysis = results_tree.root / ENDPOINT / f"{ENDPOINT}-ModelBias" / "2026/11/29/13" / "analysis.json"
    document = json.loads(analysis.read_text())
    document["post_training_bias_metrics"]["facets"]["Customer Age"] = {"oops": 1}
    analysis.write_text(json.dumps(document))
    report = load_report(str(results_tree.root), storage=storage)
    assert [(p.location, p.message) for p in report.problems] == [
        (str(analysis), "post_training_bias_metrics.facets.Customer Age is dict, expected a list")
    ]


def test_a_summary_contradicted_by_the_files_is_reported(tmp_path: Path, storage: Storage) -> None:
    folder = write_execution(
        tmp_path,
        ENDPOINT,
        "mixed",
        FIRST_HOUR,
        {
            "summary.json": summary("ModelQuality", FIRST_HOUR, "Completed", []),
            "statistics.json": fixture("data_quality_statistics.json"),
        },
    )
    report = load_report(str(tmp_path), storage=storage)
    (problem,) = report.problems
    assert problem.location == str(folder / "statistics.json")
    assert "holds DataQuality results, but" in problem.message
    assert report.sections[0].series.monitor is MonitorType.MODEL_QUALITY


def test_files_no_monitor_could_have_written_are_reported(tmp_path: Path, storage: Storage) -> None:
    folder = write_execution(
        tmp_path, ENDPOINT, "nightly", FIRST_HOUR, {"constraint_violations.json": {"violations": []}}
    )
    report = load_report(str(tmp_path), storage=storage)
    assert report.sections == ()
    assert [(p.location, p.message) for p in report.problems] == [
        (str(folder), "cannot tell which monitor wrote these files; not shown")
    ]


def test_folders_outside_the_layout_are_named_not_read(results_tree: ResultsTree, storage: Storage) -> None:
    shutil.copytree(results_tree.baselines, results_tree.root / "baselines")
    report = load_report(str(results_tree.root), storage=storage)
    assert str(results_tree.root / "baselines" / "data_quality") in report.skipped_folders
    assert len(report.sections) == 4


def test_one_execution_folder_can_be_given_directly(results_tree: ResultsTree, storage: Storage) -> None:
    folder = results_tree.root / ENDPOINT / "schedule-b" / "2026/11/29/12"
    report = load_report(str(folder), storage=storage)
    (only,) = report.sections
    assert only.series.monitor is MonitorType.MODEL_EXPLAINABILITY
    assert len(only.series.executions) == 1


def test_a_source_without_results_is_an_error_saying_what_is_expected(tmp_path: Path, storage: Storage):
    (tmp_path / "notes.txt").write_text("hello")
    with pytest.raises(NoResultsFound) as error:
        load_report(str(tmp_path), storage=storage)
    assert "no monitoring results found among 1 files" in str(error.value)
    assert "{endpoint}/{schedule}/yyyy/mm/dd/hh/" in str(error.value)


def test_a_missing_source_folder_is_an_error(tmp_path: Path, storage: Storage) -> None:
    with pytest.raises(NoResultsFound, match="nowhere: no such folder"):
        load_report(str(tmp_path / "nowhere"), storage=storage)


def test_a_given_baseline_wins_over_the_one_a_summary_names(
    tmp_path: Path, results_tree: ResultsTree, storage: Storage
) -> None:
    given = tmp_path / "other" / "statistics.json"
    given.parent.mkdir()
    shutil.copy(results_tree.baselines / "data_quality" / "statistics.json", given)
    report = load_report(str(results_tree.root), storage=storage, baseline=str(given))
    assert section(report, MonitorType.DATA_QUALITY).baselines.sources == {
        "data_quality_statistics": str(given)
    }
    # Kinds not given keep coming from the summaries.
    bias_sources = section(report, MonitorType.MODEL_BIAS).baselines.sources
    assert bias_sources["bias"] == str(results_tree.baselines / "bias" / "analysis.json")


def test_a_baseline_a_summary_names_but_cannot_be_read_is_reported(
    results_tree: ResultsTree, storage: Storage
) -> None:
    missing = results_tree.baselines / "data_quality" / "statistics.json"
    missing.unlink()
    report = load_report(str(results_tree.root), storage=storage)
    assert [(p.location, p.message) for p in report.problems] == [(str(missing), "no such file")]
    quality = section(report, MonitorType.DATA_QUALITY)
    assert quality.baselines.data_quality_statistics is None
    assert quality.drifting  # still shown, without a baseline
    assert all(d.baseline is None for d in quality.drifting)


def test_a_summary_outranks_other_evidence_of_the_monitor_type(tmp_path: Path, storage: Storage) -> None:
    older = write_execution(
        tmp_path,
        ENDPOINT,
        "nightly",
        FIRST_HOUR,
        {"constraint_violations.json": fixture("model_quality_violations.json")},
    )
    later = FIRST_HOUR.replace(hour=11)
    write_execution(
        tmp_path, ENDPOINT, "nightly", later, {"summary.json": summary("DataQuality", later, "Completed", [])}
    )
    report = load_report(str(tmp_path), storage=storage)
    assert report.sections[0].series.monitor is MonitorType.DATA_QUALITY
    (problem,) = report.problems
    assert problem.location == str(older / "constraint_violations.json")
    assert problem.message.endswith("says DataQuality; shown as DataQuality")
