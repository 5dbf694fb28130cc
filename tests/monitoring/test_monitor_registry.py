"""The registry of monitors: a fifth monitor is one module of hooks plus one registration, and then it is
baselined, run and reported like the four (``toy_monitor``, registered here only)."""

from __future__ import annotations

import json
import shutil
from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path

import pytest
from capture_traffic import ENDPOINT
from engine_world import EngineWorld, make_engine_world, registered
from toy_monitor import RECORD_COUNT

from pipelines.monitoring.baseline import BaselineOptions, make_baselines
from pipelines.monitoring.cli import build_parser, flag_of
from pipelines.monitoring.execution import run_execution
from pipelines.monitoring.hooks import MonitorHooks, hooks_of
from pipelines.monitoring.report import load_report, render_html, render_terminal
from pipelines.monitoring.settings_resolution import resolve_run_settings
from pipelines.monitors import MONITORS, MonitorType
from pipelines.sandbox.data import GeneratorSettings, generate_transactions
from pipelines.storage import Storage

COUNT = RECORD_COUNT.type


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory) -> EngineWorld:
    return make_engine_world(tmp_path_factory.mktemp("registry"))


@pytest.fixture
def with_record_count() -> Iterator[None]:
    with registered(RECORD_COUNT):
        yield


def test_each_builtin_monitors_hooks_implement_the_engines_contract() -> None:
    for monitor in MONITORS.values():
        assert isinstance(hooks_of(monitor), MonitorHooks), monitor.hooks


def test_a_monitor_whose_name_is_taken_is_refused() -> None:
    clash = replace(RECORD_COUNT, cli_name="data-quality", baseline_folder="data-quality")
    with pytest.raises(ValueError, match="RecordCount: cli_name, baseline_folder taken by DataQuality"):
        MONITORS.register(clash)
    assert COUNT not in MONITORS


@pytest.mark.usefixtures("with_record_count")
def test_a_registered_monitor_is_baselined_into_its_folder_and_drift_check_section(tmp_path: Path) -> None:
    frame = generate_transactions(GeneratorSettings(rows=200, seed=1))
    result = make_baselines(Storage(), frame, str(tmp_path), BaselineOptions())
    constraints = tmp_path / "record-count" / "constraints.json"
    assert result.written[COUNT] == (str(constraints),)
    assert json.loads(constraints.read_text()) == {"min_records": 100}
    assert result.drift_check_baselines["RecordCount"] == {
        "Constraints": {"ContentType": "application/json", "S3Uri": str(constraints)}
    }


@pytest.mark.usefixtures("with_record_count")
def test_a_registered_monitor_gets_its_run_flag_and_setting_name() -> None:
    args = build_parser().parse_args(["run", "--capture", "c", "--record-count-constraints", "x.json"])
    assert args.record_count_constraints == "x.json"
    assert flag_of("baseline.record_count.constraints") == "--record-count-constraints"
    assert MONITORS.named("record-count") is RECORD_COUNT


@pytest.mark.usefixtures("with_record_count")
def test_a_registered_monitor_runs_from_the_baseline_folder_and_is_reported(
    world: EngineWorld, tmp_path: Path
) -> None:
    baseline = tmp_path / "baseline"
    shutil.copytree(world.baseline, baseline)
    (baseline / "record-count").mkdir()
    # more records than the hour has: the run must report it
    (baseline / "record-count" / "constraints.json").write_text('{"min_records": 100000}')
    options = world.options(tmp_path / "out", MonitorType.DATA_QUALITY, COUNT, baseline=str(baseline))
    result = run_execution(Storage(), resolve_run_settings(options, None, Storage()).settings)

    folder = tmp_path / "out" / ENDPOINT / f"{ENDPOINT}-RecordCount" / "2026" / "11" / "29" / "14"
    assert sorted(p.name for p in folder.iterdir()) == ["constraint_violations.json", "summary.json"]
    summary = json.loads((folder / "summary.json").read_text())
    assert (summary["monitor"], summary["status"]) == ("RecordCount", "CompletedWithViolations")
    assert result.exit_code == 1

    report = load_report(str(tmp_path / "out"), storage=Storage())
    [section] = [s for s in report.sections if s.series.monitor is COUNT]
    assert [v.violation.description for v in section.worst] == [
        f"{world.traffic.records} records, fewer than 100000"
    ]
    assert "Record count" in render_terminal(report)
    html = render_html(report)
    assert "Record count" in html
    assert f"{world.traffic.records} records, fewer than 100000" in html
    assert report.problems == ()
