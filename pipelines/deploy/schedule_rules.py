"""SageMaker's rules for monitoring schedules, which CloudFormation only checks at deploy time (or never).

- Schedule expressions: only three cron forms are accepted for a recurring monitoring schedule
  (https://docs.aws.amazon.com/sagemaker/latest/dg/model-monitor-schedule-expression.html):
  hourly ``cron(0 * ? * * *)``, daily at an hour ``cron(0 H ? * * *)``, and every N hours from an hour
  ``cron(0 H/N ? * * *)`` (H 0-23, N 1-24).
- Run time: one execution must finish before the next one starts; on an hourly schedule that means at most
  3600 s, and 1800 s for model quality and bias, whose execution is a ground-truth merge job plus an
  analysis job sharing the time
  (https://docs.aws.amazon.com/sagemaker/latest/dg/model-monitor-model-quality-schedule.html). For longer
  intervals we apply the same rule to the interval (capped by the API's 86400 s).
- Names: schedule names are at most 63 characters of ``[a-zA-Z0-9](-*[a-zA-Z0-9])*`` (API reference,
  CreateMonitoringSchedule).
- Ground-truth offsets: ISO 8601 durations ``-P#D``, ``-PT#H`` or ``-PT#M``; the window must not be empty.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import timedelta
from enum import StrEnum
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from pipelines.monitors import MonitorDefinition


HOURLY_EXPRESSION = "cron(0 * ? * * *)"
MAX_RUNTIME_API_LIMIT_S = 86400
NAME_MAX_LENGTH = 63
NAME_PATTERN = re.compile(r"[a-zA-Z0-9](-*[a-zA-Z0-9])*")

_CRON = re.compile(r"cron\((?P<fields>[^)]*)\)")
_HOUR = re.compile(r"\d{1,2}")
_OFFSET = re.compile(r"-P(?:(?P<days>\d+)D|T(?:(?P<hours>\d+)H|(?P<minutes>\d+)M))")

CRON_FORMS = (
    "cron(0 * ? * * *) (hourly), cron(0 H ? * * *) (daily at hour H) or cron(0 H/N ? * * *) (every N hours)"
)


class Cadence(StrEnum):
    HOURLY = "hourly"
    DAILY = "daily"
    EVERY_N_HOURS = "every N hours"


@dataclass(frozen=True, slots=True)
class Schedule:
    """A parsed monitoring schedule expression."""

    expression: str
    cadence: Cadence
    interval_hours: int
    start_hour: int | None = None

    @property
    def interval_s(self) -> int:
        return self.interval_hours * 3600

    def describe(self) -> str:
        if self.cadence is Cadence.HOURLY:
            return "every hour"
        if self.cadence is Cadence.DAILY:
            return f"daily at {self.start_hour:02d}:00 UTC"
        return f"every {self.interval_hours} hours from {self.start_hour:02d}:00 UTC"


class ScheduleRuleError(ValueError):
    """A value that breaks one of SageMaker's monitoring rules; the message says what is allowed."""


def parse_schedule(expression: str) -> Schedule:
    """Parse one of the cron forms SageMaker accepts for a monitoring schedule."""
    match = _CRON.fullmatch(expression.strip())
    fields = match.group("fields").split() if match else []
    if len(fields) != 6 or fields[0] != "0" or fields[2:] != ["?", "*", "*", "*"]:
        raise ScheduleRuleError(f"{expression!r} is not a monitoring schedule: expected {CRON_FORMS}")
    hours = fields[1]
    if hours == "*":
        return Schedule(expression, Cadence.HOURLY, 1)
    start, _, step = hours.partition("/")
    start_hour = _hour(expression, start)
    if not step:
        return Schedule(expression, Cadence.DAILY, 24, start_hour)
    if not _HOUR.fullmatch(step) or not 1 <= int(step) <= 24:
        raise ScheduleRuleError(
            f"{expression!r}: the interval {step!r} must be a whole number of hours, 1 to 24"
        )
    interval = int(step)
    if interval == 1:
        return Schedule(expression, Cadence.HOURLY, 1, start_hour)
    return Schedule(expression, Cadence.EVERY_N_HOURS, interval, start_hour)


def _hour(expression: str, text: str) -> int:
    if not _HOUR.fullmatch(text) or not 0 <= int(text) <= 23:
        raise ScheduleRuleError(f"{expression!r}: the hour {text!r} must be 0 to 23 (or * for hourly)")
    return int(text)


def max_runtime_limit_s(spec: MonitorDefinition, schedule: Schedule) -> int:
    """The longest MaxRuntimeInSeconds SageMaker accepts for ``spec`` on ``schedule``."""
    return min(schedule.interval_s // spec.jobs_per_execution, MAX_RUNTIME_API_LIMIT_S)


def check_max_runtime(spec: MonitorDefinition, schedule: Schedule, value: str) -> None:
    """Raise when ``value`` (seconds, as in the stage config) is too long for the schedule."""
    try:
        seconds = int(value)
    except ValueError:
        raise ScheduleRuleError(f"{value!r} is not a whole number of seconds") from None
    limit = max_runtime_limit_s(spec, schedule)
    if not 1 <= seconds <= limit:
        why = (
            "the merge and analysis jobs share one execution"
            if spec.jobs_per_execution == 2
            else "an execution must end before the next one starts"
        )
        raise ScheduleRuleError(
            f"{seconds} s is too long for a {spec.type} monitor that runs {schedule.describe()}: "
            f"at most {limit} s ({why})"
        )


def check_name(name: str, *, what: str) -> None:
    """Raise unless ``name`` is a valid SageMaker monitoring schedule or job definition name."""
    if len(name) > NAME_MAX_LENGTH:
        raise ScheduleRuleError(
            f"{what} {name!r} is {len(name)} characters long: SageMaker allows at most {NAME_MAX_LENGTH}"
        )
    if not NAME_PATTERN.fullmatch(name):
        raise ScheduleRuleError(
            f"{what} {name!r} may only hold letters, digits and single hyphens between them "
            "([a-zA-Z0-9](-*[a-zA-Z0-9])*)"
        )


def parse_offset(value: str) -> timedelta:
    """A ground-truth time offset (``-P1D``, ``-PT6H``, ``-PT30M``) as a negative timedelta."""
    match = _OFFSET.fullmatch(value)
    if not match:
        raise ScheduleRuleError(f"{value!r} is not a monitoring time offset: expected -P#D, -PT#H or -PT#M")
    days, hours, minutes = (int(match.group(g) or 0) for g in ("days", "hours", "minutes"))
    return -timedelta(days=days, hours=hours, minutes=minutes)


def check_offset_window(start: str, end: str) -> None:
    """Raise unless the offsets describe a non-empty window (start earlier than end)."""
    if parse_offset(start) >= parse_offset(end):
        raise ScheduleRuleError(
            f"the window from {start} to {end} is empty: the start offset must reach further back than the "
            "end offset (e.g. -P1D to -PT1H)"
        )
