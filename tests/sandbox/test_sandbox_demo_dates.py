"""The demo's story holds whatever day it runs: a weekend and a month/year end, besides the weekday of
``test_sandbox_demo`` (issue 9). The model reads the day of week, so the demo's traffic is always the latest
Tuesday's and Wednesday's 13:00 before its clock; this checks that on clocks where it is not the day before.
Each date is one whole demo run (about 40 s) in an xdist group of its own."""

from __future__ import annotations

import io
from datetime import datetime, timedelta

import pytest
from demo_story import EXPECTED_STORY, TEST_DEMO, WEEKEND_NOW, YEAR_END_NOW, story

from pipelines.sandbox.demo import DemoOptions, run_demo


@pytest.mark.slow
@pytest.mark.parametrize(
    ("now", "traffic_days"),
    [
        pytest.param(
            WEEKEND_NOW, ("2026-03-03", "2026-03-04"), marks=pytest.mark.xdist_group("demo-weekend")
        ),
        pytest.param(
            YEAR_END_NOW, ("2024-12-31", "2025-01-01"), marks=pytest.mark.xdist_group("demo-year-end")
        ),
    ],
    ids=["weekend", "year-end"],
)
def test_the_demo_tells_the_same_story_on_another_day(
    tmp_path: object, now: datetime, traffic_days: tuple[str, str]
) -> None:
    options = DemoOptions(output=tmp_path, **TEST_DEMO, now=now)  # type: ignore[arg-type]
    summary = run_demo(options, io.StringIO())
    hours = [datetime.fromisoformat(h["hour"]) for h in summary.monitoring["hours"]]
    assert tuple(f"{h:%Y-%m-%d}" for h in hours) == traffic_days
    assert tuple(f"{h:%A %H:%M}" for h in hours) == ("Tuesday 13:00", "Wednesday 13:00")
    assert hours[1] - hours[0] == timedelta(days=1)
    assert story(summary) == EXPECTED_STORY
