"""Run now and backfill: what they start (pure), and the command against a stack in moto."""

from __future__ import annotations

import json
from datetime import UTC, datetime

import pytest
from processing_stack import stage_parameters
from test_processing_state_machine import ends_with

from pipelines.deploy.processing import TEMPLATE_MONITORS
from pipelines.processing.__main__ import main
from pipelines.processing.executions import (
    ExecutionRequestError,
    backfill_starts,
    describe_stage,
    run_now_start,
)

DQ, MQ, BIAS, EXPL = TEMPLATE_MONITORS
PROD = stage_parameters()


def at(day: int, hour: int) -> datetime:
    return datetime(2026, 7, day, hour, tzinfo=UTC)


def test_run_now_passes_the_window_and_the_sum_of_the_monitors_runtimes() -> None:
    request = run_now_start(PROD, [DQ, BIAS], at(29, 14), at(29, 9))
    assert json.loads(request.input()) == {
        "ScheduledTime": "2026-07-29T14:00:00Z",
        "Monitors": "DataQuality,ModelBias",
        "MaxRuntimeInSeconds": 1800 + 1800,
        "WindowStart": "2026-07-29T09:00:00Z",
    }
    assert request.name.startswith("run-20260729T1400-")
    assert run_now_start(PROD, [DQ, BIAS], at(29, 14), at(29, 9)).name == request.name
    assert "WindowStart" not in json.loads(run_now_start(PROD, [DQ], at(29, 14), None).input())


def test_a_window_that_ends_before_it_starts_is_refused() -> None:
    with pytest.raises(ExecutionRequestError, match="--start 2026-07-29T15:00:00Z is not before --end"):
        run_now_start(PROD, [DQ], at(29, 14), at(29, 15))


def test_a_day_of_backfill_starts_what_the_shipped_prod_schedules_start_in_a_day() -> None:
    starts = backfill_starts(PROD, list(TEMPLATE_MONITORS), at(28, 0), at(29, 0))
    groups = [(s.scheduled_time, s.monitors) for s in starts]
    # data and model quality hourly in one job, bias and explainability daily
    assert len(starts) == 24 + 1 + 1
    assert (at(28, 2), (BIAS,)) in groups
    assert (at(28, 3), (EXPL,)) in groups
    assert (at(29, 0), (DQ, MQ)) in groups
    assert (at(28, 0), (DQ, MQ)) not in groups
    assert len({s.name for s in starts}) == len(starts)


def test_a_backfill_larger_than_the_limit_is_refused_before_anything_starts() -> None:
    with pytest.raises(ExecutionRequestError, match=r"49 executions .* more than --max-executions 10"):
        backfill_starts(PROD, [DQ], at(27, 0), at(29, 1), max_executions=10)


@pytest.mark.slow
@pytest.mark.xdist_group("state-machines")
def test_run_now_starts_the_stacks_state_machine_and_waits_for_it(state_machine_world, capsys) -> None:
    state_machine_world.processing.runner = ends_with(
        "Completed", "Completed: fraud-prod-ModelBias Completed"
    )
    code = main(["run-now", "--stack", state_machine_world.stack.name, "--monitors", "bias",
                 "--end", "2026-07-29T02:00:00Z", "--wait"])  # fmt: skip
    assert code == 0
    assert "2026-07-29T02:00:00Z  ModelBias" in capsys.readouterr().out
    (run,) = state_machine_world.processing.runs.values()
    arguments = run.request["AppSpecification"]["ContainerArguments"]
    assert arguments[arguments.index("--monitors") + 1] == "ModelBias"


@pytest.mark.slow
@pytest.mark.xdist_group("state-machines")
def test_a_backfill_run_twice_starts_each_window_once(state_machine_world, capsys) -> None:
    state_machine_world.processing.runner = ends_with("Completed", "Completed: x")
    argv = ["backfill", "--stack", state_machine_world.stack.name, "--monitors", "data-quality,model-quality",
            "--from", "2026-07-29T10:00:00Z", "--to", "2026-07-29T13:00:00Z"]  # fmt: skip
    assert main(argv) == 0
    assert len(state_machine_world.processing.runs) == 3
    assert main(argv) == 0
    assert len(state_machine_world.processing.runs) == 3


@pytest.mark.slow
@pytest.mark.xdist_group("state-machines")
def test_a_model_monitor_stack_is_refused_by_name(state_machine_world) -> None:
    from processing_stack import deploy_stack

    deploy_stack(state_machine_world.clients, stage_parameters(MonitoringBackend="ModelMonitor",
                 MonitoringScheduleName="fraud-mm"), name="mm-stack")  # fmt: skip
    with pytest.raises(ExecutionRequestError, match="MonitoringBackend is 'ModelMonitor'"):
        describe_stage(state_machine_world.clients.cloudformation, "mm-stack")
