"""The Processing job's pure parts: the window of a scheduled time, the monitors, the exit message."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest

from pipelines.deploy.processing import TEMPLATE_MONITORS
from pipelines.monitoring.engines import EngineKind, EngineSpec
from pipelines.monitoring.report.results import ExecutionStatus
from pipelines.processing.job import (
    JobArguments,
    JobSettingsError,
    build_job_parser,
    execution_windows,
    exit_message,
    job_arguments,
    parse_monitors,
    run_options,
)
from pipelines.stage_export import StageExport
from pipelines.timewindow import TimeWindow

DQ, MQ, BIAS, EXPL = TEMPLATE_MONITORS


def at(year: int, month: int, day: int, hour: int, minute: int = 0) -> datetime:
    return datetime(year, month, day, hour, minute, tzinfo=UTC)


def export(**schedules: str) -> StageExport:
    parameters = {
        "DataQualityScheduleExpression": "cron(0 * ? * * *)",
        "ModelQualityScheduleExpression": "cron(0 * ? * * *)",
        "ModelBiasScheduleExpression": "cron(0 2 ? * * *)",
        "ModelExplainabilityScheduleExpression": "cron(0 0/6 ? * * *)",
        **schedules,
    }
    return StageExport(parameters, where="export.json")


@pytest.mark.parametrize(
    ("scheduled", "window"),
    [
        (at(2026, 7, 29, 14), TimeWindow(at(2026, 7, 29, 13), at(2026, 7, 29, 14))),
        (at(2026, 7, 29, 0), TimeWindow(at(2026, 7, 28, 23), at(2026, 7, 29, 0))),  # across midnight
        (at(2027, 1, 1, 0), TimeWindow(at(2026, 12, 31, 23), at(2027, 1, 1, 0))),  # across the year
        (at(2026, 3, 1, 0), TimeWindow(at(2026, 2, 28, 23), at(2026, 3, 1, 0))),  # across a month
    ],
)
def test_an_hourly_execution_analyses_the_hour_before_its_scheduled_time(scheduled, window) -> None:
    assert execution_windows(export(), [DQ, MQ], scheduled, None) == {window: (DQ, MQ)}


def test_a_daily_execution_analyses_the_day_before_it() -> None:
    assert execution_windows(export(), [BIAS], at(2027, 1, 1, 2), None) == {
        TimeWindow(at(2026, 12, 31, 2), at(2027, 1, 1, 2)): (BIAS,)
    }


def test_every_six_hours_analyses_the_six_hours_since_the_previous_execution() -> None:
    assert execution_windows(export(), [EXPL], at(2026, 7, 29, 0), None) == {
        TimeWindow(at(2026, 7, 28, 18), at(2026, 7, 29, 0)): (EXPL,)
    }


def test_a_schedule_minutes_after_the_hour_still_analyses_whole_hours() -> None:
    late = export(DataQualityScheduleExpression="cron(10 * ? * * *)")
    assert execution_windows(late, [DQ], at(2026, 7, 29, 0, 10), None) == {
        TimeWindow(at(2026, 7, 28, 23), at(2026, 7, 29, 0)): (DQ,)
    }


def test_monitors_on_different_schedules_get_their_own_windows() -> None:
    windows = execution_windows(export(), [DQ, BIAS], at(2026, 7, 29, 2), None)
    assert windows == {
        TimeWindow(at(2026, 7, 29, 1), at(2026, 7, 29, 2)): (DQ,),
        TimeWindow(at(2026, 7, 28, 2), at(2026, 7, 29, 2)): (BIAS,),
    }


def test_an_explicit_window_start_is_used_as_given() -> None:
    assert execution_windows(export(), [DQ, BIAS], at(2026, 7, 29, 14, 30), at(2026, 7, 29, 9)) == {
        TimeWindow(at(2026, 7, 29, 9), at(2026, 7, 29, 14, 30)): (DQ, BIAS)
    }


def test_a_monitor_whose_schedule_is_missing_is_a_settings_error_naming_the_parameter() -> None:
    with pytest.raises(JobSettingsError, match="ModelBiasScheduleExpression is missing"):
        execution_windows(StageExport({}, where="export.json"), [BIAS], at(2026, 7, 29, 2), None)


def test_monitors_are_monitoring_type_names_in_their_order() -> None:
    assert parse_monitors("ModelBias,DataQuality") == (DQ, BIAS)
    with pytest.raises(JobSettingsError, match="'data-quality'"):
        parse_monitors("data-quality")


def test_the_run_gets_the_window_and_the_model_only_for_explainability() -> None:
    arguments = JobArguments(
        stage_config="s3://bucket-a/export.json",
        capture="s3://bucket-a/capture",
        monitors=(DQ, EXPL),
        scheduled_time=at(2026, 7, 29, 14),
        output="/opt/ml/processing/output",
        exit_message=Path("/opt/ml/output/message"),
        variant="AllTraffic",
        model="s3://bucket-a/model.tar.gz",
    )
    window = TimeWindow(at(2026, 7, 29, 13), at(2026, 7, 29, 14))
    options = run_options(arguments, window, (DQ, EXPL))
    assert (options.window, options.monitors, options.output) == (
        window, (DQ, EXPL), "/opt/ml/processing/output",
    )  # fmt: skip
    assert (options.capture, options.variant) == ("s3://bucket-a/capture", "AllTraffic")
    assert options.explainer is not None
    assert options.explainer.model == "s3://bucket-a/model.tar.gz"
    assert run_options(arguments, window, (DQ,)).explainer is None


def test_the_spark_engine_runs_in_the_session_spark_submit_started() -> None:
    args = build_job_parser().parse_args(
        ["--stage-config", "s3://b/e.json", "--capture", "s3://b/c", "--monitors", "DataQuality",
         "--scheduled-time", "2026-07-29T14:00:00Z", "--output", "out", "--exit-message", "m",
         "--engine", "spark"]
    )  # fmt: skip
    arguments = job_arguments(args)
    window = TimeWindow(at(2026, 7, 29, 13), at(2026, 7, 29, 14))
    # no master of its own: under spark-submit, spark_session takes spark-submit's (yarn on SageMaker)
    assert run_options(arguments, window, (DQ,)).engine == EngineSpec(EngineKind.SPARK, spark_master=None)


def test_the_job_runs_the_local_engine_unless_told_otherwise() -> None:
    args = build_job_parser().parse_args(
        ["--stage-config", "s3://b/e.json", "--capture", "s3://b/c", "--monitors", "DataQuality",
         "--scheduled-time", "2026-07-29T14:00:00Z", "--output", "out", "--exit-message", "m"]
    )  # fmt: skip
    assert job_arguments(args).engine is EngineKind.LOCAL


def test_the_exit_message_leads_with_the_worst_status() -> None:
    statuses = {
        "fraud-prod-DataQuality": ExecutionStatus.COMPLETED_WITH_VIOLATIONS,
        "fraud-prod-ModelQuality": ExecutionStatus.FAILED,
    }
    assert exit_message(statuses) == (
        "Failed: fraud-prod-ModelQuality Failed; fraud-prod-DataQuality CompletedWithViolations"
    )
    assert exit_message({"fraud-prod-DataQuality": ExecutionStatus.COMPLETED}).startswith("Completed: ")


def test_the_exit_message_says_why_a_monitor_failed() -> None:
    statuses = {
        "fraud-prod-DataQuality": ExecutionStatus.COMPLETED,
        "fraud-prod-ModelQuality": ExecutionStatus.FAILED,
    }
    reasons = {"fraud-prod-ModelQuality": "Job inputs had no data: no captured records"}
    assert exit_message(statuses, reasons=reasons) == (
        "Failed: fraud-prod-ModelQuality Failed (Job inputs had no data: no captured records); "
        "fraud-prod-DataQuality Completed"
    )


def test_problems_make_the_message_a_failure_and_it_fits_in_one_kilobyte() -> None:
    message = exit_message({"s": ExecutionStatus.COMPLETED}, ["x" * 2000])
    assert message.startswith("Failed: s Completed; xxx")
    assert len(message.encode()) == 1024
