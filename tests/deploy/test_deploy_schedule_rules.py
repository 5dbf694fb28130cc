"""SageMaker's monitoring-schedule rules: cron forms, run-time limits, names, ground-truth offsets."""

from __future__ import annotations

from datetime import timedelta

import pytest

from pipelines.deploy.schedule_rules import (
    Cadence,
    ScheduleRuleError,
    check_max_runtime,
    check_name,
    check_offset_window,
    max_runtime_limit_s,
    parse_offset,
    parse_schedule,
)
from pipelines.monitors import MONITORS, MonitorType

DATA_QUALITY = MONITORS[MonitorType.DATA_QUALITY]
MODEL_QUALITY = MONITORS[MonitorType.MODEL_QUALITY]
MODEL_BIAS = MONITORS[MonitorType.MODEL_BIAS]
EXPLAINABILITY = MONITORS[MonitorType.MODEL_EXPLAINABILITY]


@pytest.mark.parametrize(
    ("expression", "cadence", "interval"),
    [
        ("cron(0 * ? * * *)", Cadence.HOURLY, 1),
        ("cron(0 12 ? * * *)", Cadence.DAILY, 24),
        ("cron(0 00 ? * * *)", Cadence.DAILY, 24),
        ("cron(0 17/12 ? * * *)", Cadence.EVERY_N_HOURS, 12),
        ("cron(0 0/2 ? * * *)", Cadence.EVERY_N_HOURS, 2),
    ],
)
def test_the_documented_cron_forms_are_accepted(expression: str, cadence: Cadence, interval: int) -> None:
    schedule = parse_schedule(expression)
    assert (schedule.cadence, schedule.interval_hours) == (cadence, interval)


@pytest.mark.parametrize(
    "expression",
    [
        "cron(15 * ? * * *)",  # minutes other than 0
        "cron(0 * * * ? *)",  # day-of-month instead of day-of-week wildcard
        "cron(0 * ? * MON *)",  # weekly
        "cron(0 24 ? * * *)",  # no hour 24
        "cron(0 1/25 ? * * *)",  # interval over a day
        "cron(0 1/0 ? * * *)",
        "rate(1 hour)",
        "NOW",
    ],
)
def test_other_schedule_expressions_are_refused_with_the_allowed_forms(expression: str) -> None:
    with pytest.raises(ScheduleRuleError) as error:
        parse_schedule(expression)
    assert expression in str(error.value)


def test_hourly_limits_are_3600_s_for_one_job_and_1800_s_for_two() -> None:
    hourly = parse_schedule("cron(0 * ? * * *)")
    assert max_runtime_limit_s(DATA_QUALITY, hourly) == 3600
    assert max_runtime_limit_s(EXPLAINABILITY, hourly) == 3600
    assert max_runtime_limit_s(MODEL_QUALITY, hourly) == 1800
    assert max_runtime_limit_s(MODEL_BIAS, hourly) == 1800


def test_longer_intervals_allow_longer_runs_up_to_the_api_limit() -> None:
    assert max_runtime_limit_s(MODEL_QUALITY, parse_schedule("cron(0 0/6 ? * * *)")) == 3 * 3600
    assert max_runtime_limit_s(DATA_QUALITY, parse_schedule("cron(0 3 ? * * *)")) == 86400


def test_a_too_long_model_quality_runtime_names_the_limit_and_the_reason() -> None:
    with pytest.raises(ScheduleRuleError, match=r"at most 1800 s \(the merge and analysis jobs share"):
        check_max_runtime(MODEL_QUALITY, parse_schedule("cron(0 * ? * * *)"), "3600")


def test_a_runtime_that_is_not_a_whole_number_is_refused() -> None:
    with pytest.raises(ScheduleRuleError, match="not a whole number"):
        check_max_runtime(DATA_QUALITY, parse_schedule("cron(0 * ? * * *)"), "60.5")


def test_names_longer_than_63_characters_are_refused() -> None:
    check_name("a" * 63, what="schedule name")
    with pytest.raises(ScheduleRuleError, match="64 characters long"):
        check_name("a" * 64, what="schedule name")


@pytest.mark.parametrize("name", ["fraud_staging", "-fraud", "fraud-", "fraud staging"])
def test_names_with_other_characters_are_refused(name: str) -> None:
    with pytest.raises(ScheduleRuleError, match="letters, digits and single hyphens"):
        check_name(name, what="endpoint name")


def test_offsets_parse_to_negative_durations() -> None:
    assert parse_offset("-P1D") == -timedelta(days=1)
    assert parse_offset("-PT6H") == -timedelta(hours=6)
    assert parse_offset("-PT30M") == -timedelta(minutes=30)


@pytest.mark.parametrize("offset", ["P1D", "-P1H", "-PT1D", "-1D", "-P1DT1H"])
def test_offsets_outside_the_documented_forms_are_refused(offset: str) -> None:
    with pytest.raises(ScheduleRuleError, match="expected -P#D, -PT#H or -PT#M"):
        parse_offset(offset)


def test_an_empty_ground_truth_window_is_refused() -> None:
    check_offset_window("-P1D", "-PT1H")
    with pytest.raises(ScheduleRuleError, match="is empty"):
        check_offset_window("-PT1H", "-P1D")
