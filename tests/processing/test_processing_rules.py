"""The Processing backend's rules for a stage and the parameters it computes (pure functions, no AWS)."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from pipelines.deploy.processing import (
    TEMPLATE_MONITORS,
    group_parameters,
    processing_problems,
    s3_read_arns,
    schedule_groups,
)
from pipelines.deploy.schedule_rules import ScheduleRuleError, parse_schedule

DQ, MQ, BIAS, EXPL = TEMPLATE_MONITORS


def hours(*values: int) -> list[datetime]:
    return [datetime(2026, 7, 29, h, tzinfo=UTC) for h in values]


def stage(**values: str):
    """A config's values (``value(name)``), the shipped prod schedules by default."""
    base = {
        "MonitoringJobInstanceType": "ml.m5.large",
        "MonitoringJobInstanceCount": "1",
        "DataQualityScheduleExpression": "cron(0 * ? * * *)",
        "ModelQualityScheduleExpression": "cron(0 * ? * * *)",
        "ModelBiasScheduleExpression": "cron(0 2 ? * * *)",
        "ModelExplainabilityScheduleExpression": "cron(0 3 ? * * *)",
        "DataQualityMaxRuntimeInSeconds": "1800",
        "ModelQualityMaxRuntimeInSeconds": "1800",
        "ModelBiasMaxRuntimeInSeconds": "1800",
        "ModelExplainabilityMaxRuntimeInSeconds": "3600",
        **values,
    }
    return base.get


def test_monitors_with_the_same_expression_share_one_schedule_led_by_the_first() -> None:
    schedules = {
        m: parse_schedule(e)
        for m, e in zip(
            TEMPLATE_MONITORS,
            ["cron(0 * ? * * *)", "cron(0  * ? * * *)", "cron(0 2 ? * * *)", "cron(0 * ? * * *)"],
            strict=True,
        )
    }
    groups = schedule_groups(schedules, {DQ: 600, MQ: 900, BIAS: 1800, EXPL: 1200})
    assert [(g.monitors, g.max_runtime_s) for g in groups] == [((DQ, MQ, EXPL), 2700), ((BIAS,), 1800)]


def test_the_lead_names_its_group_and_the_others_get_no_schedule_of_their_own() -> None:
    groups = schedule_groups(
        {
            DQ: parse_schedule("cron(0 * ? * * *)"),
            MQ: parse_schedule("cron(0 * ? * * *)"),
            BIAS: parse_schedule("cron(0 0/6 ? * * *)"),
        },
        {DQ: 1800, MQ: 1800, BIAS: 600},
    )
    assert group_parameters(groups) == {
        "DataQualityProcessingMonitors": "DataQuality,ModelQuality",
        "DataQualityProcessingMaxRuntimeInSeconds": "3600",
        "DataQualityScheduleIntervalSeconds": "3600",
        "ModelQualityProcessingMonitors": "",
        "ModelQualityProcessingMaxRuntimeInSeconds": "3600",
        "ModelQualityScheduleIntervalSeconds": "3600",
        "ModelBiasProcessingMonitors": "ModelBias",
        "ModelBiasProcessingMaxRuntimeInSeconds": "600",
        "ModelBiasScheduleIntervalSeconds": "21600",
    }


def test_the_shipped_prod_schedules_are_valid_for_processing() -> None:
    assert processing_problems("prod.json", stage(), list(TEMPLATE_MONITORS)) == []


def test_a_group_whose_runtimes_outlast_its_interval_is_refused_with_the_sum_and_the_limit() -> None:
    (problem,) = processing_problems(
        "prod.json", stage(DataQualityMaxRuntimeInSeconds="3600"), list(TEMPLATE_MONITORS)
    )
    assert problem == (
        "prod.json: DataQualityMaxRuntimeInSeconds + ModelQualityMaxRuntimeInSeconds is 5400 s: the "
        "DataQuality, ModelQuality monitors run in one Processing job every hour (cron(0 * ? * * *)), which "
        "must end before the schedule fires again: at most 3600 s"
    )


def test_model_monitors_caps_do_not_apply_a_daily_model_quality_job_may_run_hours() -> None:
    values = stage(
        ModelQualityScheduleExpression="cron(0 4 ? * * *)", ModelQualityMaxRuntimeInSeconds="14400"
    )
    assert processing_problems("prod.json", values, list(TEMPLATE_MONITORS)) == []


def test_a_minute_after_the_hour_is_allowed_for_processing_only() -> None:
    values = stage(DataQualityScheduleExpression="cron(10 * ? * * *)")
    assert processing_problems("prod.json", values, [DQ]) == []
    with pytest.raises(ScheduleRuleError, match="not a monitoring schedule"):
        parse_schedule("cron(10 * ? * * *)")
    (problem,) = processing_problems(
        "prod.json", stage(DataQualityScheduleExpression="cron(60 * ? * * *)"), [DQ]
    )
    assert "DataQualityScheduleExpression: 'cron(60 * ? * * *)' is not a monitoring schedule" in problem


def test_more_than_one_instance_with_the_local_engine_is_refused_in_one_line_naming_the_spark_engine() -> (
    None
):
    (problem,) = processing_problems(
        "prod.json", stage(MonitoringJobInstanceCount="2", MonitoringEngine="local"), [DQ]
    )
    assert problem == (
        "prod.json: MonitoringJobInstanceCount is '2': with MonitoringEngine 'local' the Processing backend "
        'runs the monitors on one instance: set it to "1", or set MonitoringEngine to "spark" to run them on '
        "a Spark cluster of that many instances"
    )


def test_more_than_one_instance_without_an_engine_is_refused_as_the_local_engine() -> None:
    (problem,) = processing_problems("prod.json", stage(MonitoringJobInstanceCount="4"), [DQ])
    assert "MonitoringJobInstanceCount is '4': with MonitoringEngine 'local'" in problem


def test_the_spark_engine_may_run_on_several_instances() -> None:
    assert (
        processing_problems(
            "prod.json", stage(MonitoringJobInstanceCount="4", MonitoringEngine="spark"), [DQ]
        )
        == []
    )


def test_an_instance_type_processing_jobs_do_not_offer_is_refused_with_its_family() -> None:
    (problem,) = processing_problems("prod.json", stage(MonitoringJobInstanceType="ml.m5.huge"), [DQ])
    assert problem.startswith("prod.json: MonitoringJobInstanceType is 'ml.m5.huge': not an instance type of")
    assert "ml.m5.large" in problem


def test_the_previous_firing_crosses_midnight_and_the_year() -> None:
    hourly = parse_schedule("cron(0 * ? * * *)")
    assert hourly.previous_firing(datetime(2027, 1, 1, 0, 0, tzinfo=UTC)) == datetime(
        2026, 12, 31, 23, tzinfo=UTC
    )
    daily = parse_schedule("cron(0 2 ? * * *)")
    assert daily.previous_firing(datetime(2027, 1, 1, 2, 0, tzinfo=UTC)) == datetime(
        2026, 12, 31, 2, tzinfo=UTC
    )


def test_every_n_hours_restarts_at_its_hour_each_day() -> None:
    schedule = parse_schedule("cron(0 2/5 ? * * *)")
    assert schedule.firings(datetime(2026, 7, 28, 20, tzinfo=UTC), datetime(2026, 7, 29, 8, tzinfo=UTC)) == [
        datetime(2026, 7, 28, 22, tzinfo=UTC), *hours(2, 7),
    ]  # fmt: skip
    assert (schedule.shortest_interval_s, schedule.longest_interval_s) == (4 * 3600, 5 * 3600)


def test_read_grants_name_objects_prefixes_and_their_buckets_once() -> None:
    reads, buckets = s3_read_arns(
        ["s3://bucket-a/baselines/c.json", "s3://bucket-a/baselines/c.json", "s3://bucket-b/model.tar.gz"],
        ["s3://bucket-a/ground-truth/fraud-prod", "s3://bucket-c/"],
        "aws",
    )
    assert reads.split(",") == [
        "arn:aws:s3:::bucket-a/baselines/c.json", "arn:aws:s3:::bucket-b/model.tar.gz",
        "arn:aws:s3:::bucket-a/ground-truth/fraud-prod/*", "arn:aws:s3:::bucket-c/*",
    ]  # fmt: skip
    assert buckets.split(",") == ["arn:aws:s3:::bucket-a", "arn:aws:s3:::bucket-b", "arn:aws:s3:::bucket-c"]
