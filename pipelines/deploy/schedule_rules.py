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

The ``Processing`` backend runs the same cron forms with EventBridge Scheduler, which also accepts a minute
other than 0 (``cron(10 * ? * * *)``: ten minutes after each hour, so that the last capture files of the
hour have landed). A schedule's firing times (``previous_firing``, ``firings``) decide each execution's
window there.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from pipelines.monitors import MonitorDefinition

from pipelines.timewindow import HOUR, as_utc, floor_hour

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
_MINUTE = re.compile(r"\d{1,2}")


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
    minute: int = 0  # only the Processing backend's schedules may fire after the hour

    @property
    def interval_s(self) -> int:
        return self.interval_hours * 3600

    @property
    def hours(self) -> tuple[int, ...]:
        """The hours of the day the schedule fires at (cron's ``H/N`` restarts at H every day)."""
        if self.cadence is Cadence.DAILY:
            assert self.start_hour is not None
            return (self.start_hour,)
        return tuple(range(self.start_hour or 0, 24, self.interval_hours))

    def fires_at(self, moment: datetime) -> bool:
        moment = as_utc(moment)
        return (
            moment.minute == self.minute
            and moment.second == 0
            and moment.microsecond == 0
            and (moment.hour in self.hours)
        )

    def previous_firing(self, moment: datetime) -> datetime:
        """The latest firing time strictly before ``moment``."""
        candidate = floor_hour(moment) + timedelta(minutes=self.minute)
        if candidate >= as_utc(moment):
            candidate -= HOUR
        while candidate.hour not in self.hours:
            candidate -= HOUR
        return candidate

    def firings(self, start: datetime, end: datetime) -> list[datetime]:
        """Every firing time in ``(start, end]``, oldest first."""
        times: list[datetime] = []
        moment = self.previous_firing(as_utc(end) + timedelta(microseconds=1))
        while moment > as_utc(start):
            times.append(moment)
            moment = self.previous_firing(moment)
        return times[::-1]

    def _gaps_h(self) -> list[int]:
        hours = self.hours
        return [later - earlier for earlier, later in zip(hours, (*hours[1:], hours[0] + 24), strict=True)]

    @property
    def longest_interval_s(self) -> int:
        """The longest time between two consecutive executions (``H/N`` restarts at H every day, so when N
        does not divide 24 the gaps differ: ``cron(0 2/5 ? * * *)`` fires at 2, 7, 12, 17, 22, then 2)."""
        return max(self._gaps_h()) * 3600

    @property
    def shortest_interval_s(self) -> int:
        """The shortest time between two consecutive executions (see ``longest_interval_s``)."""
        return min(self._gaps_h()) * 3600

    def describe(self) -> str:
        if self.cadence is Cadence.HOURLY:
            return "every hour"
        if self.cadence is Cadence.DAILY:
            return f"daily at {self.start_hour:02d}:00 UTC"
        return f"every {self.interval_hours} hours from {self.start_hour:02d}:00 UTC"


class ScheduleRuleError(ValueError):
    """A value that breaks one of SageMaker's monitoring rules; the message says what is allowed."""


def parse_schedule(expression: str, *, any_minute: bool = False) -> Schedule:
    """Parse one of the cron forms SageMaker accepts for a monitoring schedule.

    ``any_minute``: the minute field may be 0-59 (EventBridge Scheduler's schedules of the Processing backend)
    instead of 0 (SageMaker's monitoring schedules).
    """
    match = _CRON.fullmatch(expression.strip())
    fields = match.group("fields").split() if match else []
    if len(fields) != 6 or fields[2:] != ["?", "*", "*", "*"] or not _minute_ok(fields[0], any_minute):
        forms = CRON_FORMS + (
            " (the Processing backend allows a minute 0-59 instead of 0)" if any_minute else ""
        )
        raise ScheduleRuleError(f"{expression!r} is not a monitoring schedule: expected {forms}")
    minute = int(fields[0])
    hours = fields[1]
    if hours == "*":
        return Schedule(expression, Cadence.HOURLY, 1, minute=minute)
    start, _, step = hours.partition("/")
    start_hour = _hour(expression, start)
    if not step:
        return Schedule(expression, Cadence.DAILY, 24, start_hour, minute)
    if not _HOUR.fullmatch(step) or not 1 <= int(step) <= 24:
        raise ScheduleRuleError(
            f"{expression!r}: the interval {step!r} must be a whole number of hours, 1 to 24"
        )
    interval = int(step)
    if interval == 1:
        return Schedule(expression, Cadence.HOURLY, 1, start_hour, minute)
    return Schedule(expression, Cadence.EVERY_N_HOURS, interval, start_hour, minute)


def _minute_ok(text: str, any_minute: bool) -> bool:
    if not any_minute:
        return text == "0"
    return bool(_MINUTE.fullmatch(text)) and 0 <= int(text) <= 59


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
