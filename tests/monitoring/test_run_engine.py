"""The run engine on its own (no command line): settings resolution, monitor selection, failure isolation,
and each window of data capture read once."""

from __future__ import annotations

import json
from dataclasses import replace
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from capture_traffic import ENDPOINT
from engine_world import WINDOW, EngineWorld, make_engine_world, registered
from toy_monitor import BROKEN, RECORD_COUNT

from pipelines.monitoring.baseline_files import BaselineFiles
from pipelines.monitoring.cli import flag_of
from pipelines.monitoring.execution import RunInputError, plan_monitors, run_execution
from pipelines.monitoring.record_source import EndpointCapture, SourceParts
from pipelines.monitoring.run_settings import RunOptions, RunSettings
from pipelines.monitoring.settings_resolution import resolve_run_settings
from pipelines.monitoring.summary import COMPLETED, COMPLETED_WITH_VIOLATIONS, FAILED, SKIPPED
from pipelines.monitors import MonitorType
from pipelines.setting_names import SettingsError, show
from pipelines.stage_export import StageExport
from pipelines.storage import Storage

DQ, MQ = MonitorType.DATA_QUALITY, MonitorType.MODEL_QUALITY


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory) -> EngineWorld:
    return make_engine_world(tmp_path_factory.mktemp("engine"))


def export(tmp_path: Path, **parameters: str) -> StageExport:
    """A stage export as get_baselines_and_configs.py writes it, with only ``parameters`` set."""
    return StageExport({"EndpointName": ENDPOINT, **parameters}, where=str(tmp_path / "prod-export.json"))


def touch(path: Path) -> str:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("{}")
    return str(path)


@pytest.fixture
def reads(monkeypatch: pytest.MonkeyPatch) -> list[Any]:
    """The windows the engine lists capture files for, in order."""
    listed: list[Any] = []
    parts = EndpointCapture.parts

    def counting(source: EndpointCapture, storage: Storage, window: Any) -> SourceParts:
        listed.append(window)
        return parts(source, storage, window)

    monkeypatch.setattr(EndpointCapture, "parts", counting)
    return listed


# -- settings: which source wins ---------------------------------------------------------------------------
def test_a_per_file_baseline_beats_the_baseline_folders_file(world: EngineWorld, tmp_path: Path) -> None:
    mine = touch(tmp_path / "my-constraints.json")
    options = world.options(tmp_path, baseline_files={DQ: BaselineFiles(constraints=mine)})
    baselines = resolve_run_settings(options, None, Storage()).settings.baselines
    assert baselines[DQ] == BaselineFiles(
        statistics=str(world.baseline / "data-quality" / "statistics.json"), constraints=mine
    )
    assert baselines[MQ].constraints == str(world.baseline / "model-quality" / "constraints.json")


def test_a_per_file_baseline_beats_the_stage_exports_file_which_fills_the_others(
    world: EngineWorld, tmp_path: Path
) -> None:
    mine = touch(tmp_path / "my-constraints.json")
    stage = export(
        tmp_path,
        DataQualityStatisticsS3Uri="s3://b/dq/statistics.json",
        DataQualityConstraintsS3Uri="s3://b/dq/constraints.json",
        ModelQualityConstraintsS3Uri="s3://b/mq/constraints.json",
    )
    options = world.options(tmp_path, baseline=None, baseline_files={DQ: BaselineFiles(constraints=mine)})
    baselines = resolve_run_settings(options, stage, Storage()).settings.baselines
    assert baselines[DQ] == BaselineFiles(statistics="s3://b/dq/statistics.json", constraints=mine)
    assert baselines[MQ] == BaselineFiles(constraints="s3://b/mq/constraints.json")


def test_options_win_over_the_stage_export_which_fills_what_they_leave_out(
    world: EngineWorld, tmp_path: Path
) -> None:
    stage = export(
        tmp_path,
        DataQualityMonitoringOutputS3Uri="s3://b/out/dq",
        ModelQualityMonitoringOutputS3Uri="s3://b/out/mq",
        GroundTruthInput="s3://b/labels",
        GroundTruthStartTimeOffset="-P1D",
        GroundTruthEndTimeOffset="-PT1H",
        ProbabilityThresholdAttribute="70",
    )
    options = world.options(tmp_path, DQ, MQ, baseline=None, output=None, probability_threshold=60.0)
    settings = resolve_run_settings(options, stage, Storage()).settings
    assert settings.outputs == {DQ: "s3://b/out/dq", MQ: "s3://b/out/mq"}
    assert settings.ground_truth == str(world.traffic.ground_truth)  # the option's
    assert (settings.start_offset, settings.end_offset) == (timedelta(days=-1), timedelta(hours=-1))
    assert settings.probability_threshold == 60.0


def test_without_monitors_the_stage_exports_enabled_ones_run_and_the_others_are_disabled(
    world: EngineWorld, tmp_path: Path
) -> None:
    stage = export(tmp_path, EnableDataQualityMonitor="yes", EnableModelQualityMonitor="no")
    options = world.options(tmp_path, baseline=None)
    settings = resolve_run_settings(options, stage, Storage()).settings
    assert settings.monitors == (DQ,)
    assert settings.disabled[MQ] == f"disabled in {stage.where} (EnableModelQualityMonitor)"
    assert not settings.explicit


def test_every_settings_problem_is_reported_at_once_naming_settings_in_their_order(tmp_path: Path) -> None:
    options = RunOptions(capture=str(tmp_path / "nowhere"), window=WINDOW, explain_max_records=0)
    with pytest.raises(SettingsError) as raised:
        resolve_run_settings(options, None, Storage())
    assert raised.value.shown() == [
        "endpoint is required (or a stage_export with an EndpointName)",
        "output is required",
        f"capture {tmp_path / 'nowhere'}: no such folder (expected the data capture root)",
        "explain_max_records is 0: expected at least 1",
    ]


def test_the_command_line_shows_the_same_problems_with_its_flags(tmp_path: Path) -> None:
    options = RunOptions(capture=str(tmp_path), window=WINDOW, endpoint="e", output=str(tmp_path))
    stage = export(tmp_path)
    with pytest.raises(SettingsError) as raised:
        resolve_run_settings(replace(options, baseline=str(tmp_path)), stage, Storage())
    assert raised.value.shown(flag_of) == [
        f"--endpoint 'e' differs from {stage.where}'s EndpointName '{ENDPOINT}'",
        "give --baseline or --stage-config, not both (per-file flags may override either)",
        f"--baseline {tmp_path}: no baseline files in it (expected the layout `baseline` writes, e.g. "
        "data-quality/statistics.json, or a drift_check_baselines.json)",
    ]


def test_a_baseline_folder_that_does_not_exist_is_named_so(tmp_path: Path) -> None:
    options = RunOptions(capture=str(tmp_path), window=WINDOW, endpoint="e", output=str(tmp_path))
    with pytest.raises(SettingsError) as raised:
        resolve_run_settings(replace(options, baseline=str(tmp_path / "nothere")), None, Storage())
    assert raised.value.shown(flag_of) == [
        f"--baseline {tmp_path / 'nothere'}: no such file or folder (expected the layout `baseline` writes, "
        "e.g. data-quality/statistics.json, or a drift_check_baselines.json)",
    ]


# -- choosing monitors -------------------------------------------------------------------------------------
def settings_of(world: EngineWorld, tmp_path: Path, *monitors: MonitorType, **values: object) -> RunSettings:
    return resolve_run_settings(world.options(tmp_path, *monitors, **values), None, Storage()).settings


def test_a_monitor_without_its_inputs_is_skipped_with_the_settings_it_needs(
    world: EngineWorld, tmp_path: Path
) -> None:
    runnable, skipped = plan_monitors(settings_of(world, tmp_path, ground_truth=None), None)
    assert runnable == [DQ]
    assert show(skipped[MQ]) == "needs ground truth (ground_truth, Model Monitor's GroundTruthInput)"
    assert show(skipped[MonitorType.MODEL_BIAS]) == (
        "needs its baseline (baseline.bias.config, baseline.bias.constraints, or baseline DIR holding them) "
        "and ground truth (ground_truth, Model Monitor's GroundTruthInput)"
    )
    assert show(skipped[MonitorType.MODEL_EXPLAINABILITY], flag_of).endswith(
        "and a model to explain (--model or --explain-endpoint)"
    )


def test_a_monitor_asked_for_by_name_without_its_inputs_stops_the_run_before_anything_is_read(
    world: EngineWorld, tmp_path: Path, reads: list[Any]
) -> None:
    settings = settings_of(world, tmp_path / "out", DQ, MonitorType.MODEL_BIAS)
    with pytest.raises(RunInputError) as raised:
        run_execution(Storage(), settings)
    assert raised.value.shown(flag_of) == [
        "ModelBias monitor needs its baseline (--bias-config, --bias-constraints, or --baseline DIR holding "
        "them)"
    ]
    assert reads == []
    assert not (tmp_path / "out").exists()


def test_skipped_monitors_write_a_summary_naming_their_settings_as_the_caller_names_them(
    world: EngineWorld, tmp_path: Path
) -> None:
    result = run_execution(Storage(), settings_of(world, tmp_path), name_setting=flag_of)
    skipped = {o.summary.monitor: o.summary for o in result.outcomes if o.summary.status is SKIPPED}
    assert set(skipped) == {MonitorType.MODEL_BIAS, MonitorType.MODEL_EXPLAINABILITY}
    summary = json.loads((Path(result.outcomes[2].folder) / "summary.json").read_text())
    assert summary["reason"].startswith("needs its baseline (--bias-config, --bias-constraints")


# -- one monitor's failure ---------------------------------------------------------------------------------
def test_a_monitor_failing_with_a_user_error_is_recorded_and_the_others_complete(
    world: EngineWorld, tmp_path: Path
) -> None:
    (tmp_path / "broken.json").write_text('{"min_records": 1}')
    files = {BROKEN.type: BaselineFiles(constraints=str(tmp_path / "broken.json"))}
    with registered(BROKEN):
        settings = settings_of(world, tmp_path / "out", DQ, BROKEN.type, baseline_files=files)
        result = run_execution(Storage(), settings)
    statuses = {o.summary.monitor: o.summary.status for o in result.outcomes}
    assert statuses == {DQ: COMPLETED, BROKEN.type: FAILED}
    assert result.user_errors == ["Broken: the broken monitor cannot read anything"]
    assert result.exit_code == 1


# -- reading the capture -----------------------------------------------------------------------------------
def test_monitors_reading_the_execution_window_share_one_read(
    world: EngineWorld, tmp_path: Path, reads: list[Any]
) -> None:
    (tmp_path / "count.json").write_text('{"min_records": 1}')
    files = {RECORD_COUNT.type: BaselineFiles(constraints=str(tmp_path / "count.json"))}
    with registered(RECORD_COUNT):
        settings = settings_of(world, tmp_path / "out", DQ, RECORD_COUNT.type, baseline_files=files)
        result = run_execution(Storage(), settings)
    assert reads == [WINDOW]
    counted = next(o.summary for o in result.outcomes if o.summary.monitor is RECORD_COUNT.type)
    assert counted.inputs["counted_records"] == counted.inputs["records"] == world.traffic.records


def test_a_labelled_window_equal_to_the_execution_window_is_read_once_for_all(
    world: EngineWorld, tmp_path: Path, reads: list[Any]
) -> None:
    result = run_execution(Storage(), settings_of(world, tmp_path, DQ, MQ))
    assert reads == [WINDOW]
    assert {o.summary.status for o in result.outcomes} <= {COMPLETED, COMPLETED_WITH_VIOLATIONS}
    assert all(o.summary.inputs["records"] == world.traffic.records for o in result.outcomes)


def test_offsets_give_the_labelled_monitors_a_window_of_their_own(
    world: EngineWorld, tmp_path: Path, reads: list[Any]
) -> None:
    hour = WINDOW.end - WINDOW.start
    settings = settings_of(world, tmp_path, DQ, MQ, start_offset=-2 * hour, end_offset=-hour)
    run_execution(Storage(), settings)
    assert reads == [WINDOW.shifted(-hour), WINDOW]
