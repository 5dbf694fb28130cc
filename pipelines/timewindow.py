"""The one place for monitoring time windows and the ``yyyy/mm/dd/hh`` partitions SageMaker uses.

Data capture and ground truth are both partitioned by UTC hour; a monitoring execution reads the hours
that overlap its window (end exclusive), like Model Monitor's hourly schedule does.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from pipelines.errors import UserError

HOUR = timedelta(hours=1)


def utc_now() -> datetime:
    return datetime.now(UTC)


def as_utc(moment: datetime) -> datetime:
    """``moment`` in UTC; a naive datetime is taken to be UTC already."""
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)


def parse_utc(text: str, *, what: str = "time") -> datetime:
    """Parse an ISO-8601 time (``Z`` or offset, or naive = UTC)."""
    try:
        return as_utc(datetime.fromisoformat(text.strip().replace("Z", "+00:00")))
    except ValueError:
        raise UserError(
            f"{what} {text!r} is not an ISO-8601 time: expected e.g. 2026-11-29T14:00:00Z"
        ) from None


def format_utc(moment: datetime) -> str:
    """``2026-11-29T14:05:09Z``: the form SageMaker writes in capture ``inferenceTime``."""
    return as_utc(moment).strftime("%Y-%m-%dT%H:%M:%SZ")


def floor_hour(moment: datetime) -> datetime:
    return as_utc(moment).replace(minute=0, second=0, microsecond=0)


def hour_partition(moment: datetime) -> str:
    """The ``yyyy/mm/dd/hh`` folder of the hour ``moment`` falls in."""
    return as_utc(moment).strftime("%Y/%m/%d/%H")


@dataclass(frozen=True, slots=True)
class TimeWindow:
    """A UTC interval ``[start, end)``."""

    start: datetime
    end: datetime

    def __post_init__(self) -> None:
        if self.end <= self.start:
            raise UserError(
                f"time window end {format_utc(self.end)} is not after its start {format_utc(self.start)}"
            )

    def contains(self, moment: datetime) -> bool:
        return self.start <= as_utc(moment) < self.end

    def hours(self) -> Iterator[datetime]:
        """Start of every hour that overlaps the window."""
        hour = floor_hour(self.start)
        while hour < self.end:
            yield hour
            hour += HOUR

    def partitions(self) -> list[str]:
        return [hour_partition(h) for h in self.hours()]

    def shifted(self, offset: timedelta) -> TimeWindow:
        return TimeWindow(self.start + offset, self.end + offset)

    def __str__(self) -> str:
        return f"[{format_utc(self.start)}, {format_utc(self.end)})"


def last_full_hour(now: datetime | None = None) -> TimeWindow:
    """The most recent complete hour before ``now`` (Model Monitor's hourly default)."""
    end = floor_hour(now or utc_now())
    return TimeWindow(end - HOUR, end)


def window(start: str | None, end: str | None, now: datetime | None = None) -> TimeWindow:
    """A window from optional ISO strings: both given, or neither (the last full hour)."""
    if start is None and end is None:
        return last_full_hour(now)
    if start is None or end is None:
        raise UserError("give both --start and --end, or neither (default: the last full hour)")
    return TimeWindow(parse_utc(start, what="--start"), parse_utc(end, what="--end"))


_ISO_DURATION = re.compile(
    r"^(?P<sign>[-+]?)P(?:(?P<weeks>\d+)W)?(?:(?P<days>\d+)D)?"
    r"(?:T(?:(?P<hours>\d+)H)?(?:(?P<minutes>\d+)M)?(?:(?P<seconds>\d+)S)?)?$"
)


def format_duration(duration: timedelta) -> str:
    """``duration`` as the ISO-8601 text ``parse_duration`` reads (``-P1D``, ``-PT1H``, ``P1DT30M``)."""
    seconds = int(abs(duration).total_seconds())
    days, seconds = divmod(seconds, 86400)
    hours, seconds = divmod(seconds, 3600)
    minutes, seconds = divmod(seconds, 60)
    time = "".join(f"{n}{unit}" for n, unit in ((hours, "H"), (minutes, "M"), (seconds, "S")) if n)
    text = (f"{days}D" if days else "") + (f"T{time}" if time else "")
    return ("-" if duration < timedelta(0) else "") + "P" + (text or "T0S")


def parse_duration(text: str, *, what: str = "duration") -> timedelta:
    """An ISO-8601 duration such as Model Monitor's StartTimeOffset/EndTimeOffset (``-PT7H``, ``-P1D``).

    https://docs.aws.amazon.com/sagemaker/latest/dg/model-monitor-model-quality-schedule.html : weeks, days,
    hours, minutes and seconds; a leading ``-`` makes it negative (offsets into the past).
    """
    match = _ISO_DURATION.match(text.strip().upper())
    if match is None or text.strip().upper().rstrip("T").lstrip("+-") in ("P", ""):
        raise UserError(f"{what} {text!r} is not an ISO-8601 duration: expected e.g. -PT1H, -P1D or -P1DT12H")
    parts = {k: int(v) for k, v in match.groupdict().items() if k != "sign" and v is not None}
    duration = timedelta(**parts)
    return -duration if match.group("sign") == "-" else duration
