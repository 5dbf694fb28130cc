"""The demo's options (the flags of ``python -m pipelines.sandbox demo``) and the check that they can work."""

from __future__ import annotations

import importlib.util
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from pipelines.errors import UserError

STREAM_FILES = 2  # one ordinary hour, then the same hour a day later, drifted
PROD_ENGINES = ("local", "spark")  # the stage config's MonitoringEngine for prod's Processing jobs


class DemoError(UserError):
    """Demo flags that cannot work (e.g. fewer rows than stream files)."""


@dataclass(frozen=True, slots=True)
class DemoOptions:
    output: Path = Path("sandbox-output")
    seed: int = 7
    rows: int = 2000  # transactions streamed through the Lambda, split over the stream files
    training_rows: int = 20_000
    bad_rows: int = 5  # per stream file
    drift: bool = True  # the second hour's traffic drifts (Drift.typical())
    serve: bool = False
    # The demo's "now" (UTC): None is the real clock. Tests pin it, so that what the demo finds cannot
    # depend on the day the suite runs (the model reads the day of week; issue 9).
    now: datetime | None = None
    # prod's MonitoringEngine: spark runs its scheduled job through the smspark-submit stand-in (Spark
    # local[2] standing for the job's cluster of MonitoringJobInstanceCount instances).
    prod_engine: str = "local"

    def validate(self) -> None:
        problems = []
        if self.prod_engine not in PROD_ENGINES:
            problems.append(f"--prod-engine {self.prod_engine!r}: expected one of {', '.join(PROD_ENGINES)}")
        elif self.prod_engine == "spark" and importlib.util.find_spec("pyspark") is None:
            problems.append(
                "--prod-engine spark: PySpark is not installed here (make setup-spark; it needs Java 17+)"
            )
        if self.rows < STREAM_FILES:
            problems.append(f"--rows {self.rows}: at least {STREAM_FILES} (one per stream file)")
        if self.bad_rows < 0:
            problems.append(f"--bad-rows {self.bad_rows}: expected 0 or more")
        if self.training_rows < 1000:
            problems.append(
                f"--training-rows {self.training_rows}: at least 1000 are needed to train a model"
            )
        if problems:
            raise DemoError(problems)
