"""Prod's scheduled job with ``MonitoringEngine: spark`` (issue 11): the demo deploys prod's stack with the
Spark image and two instances, the state machine starts the job, and the sandbox's Processing stand-in runs
its command for real: the bootstrap installs nothing (the sandbox's interpreter has the pins), writes the
executors' PYTHONPATH into smspark-submit's configuration and runs ``smspark-submit`` (the sandbox's stand-in:
PySpark's spark-submit at ``local[2]``) of the job with ``--engine spark``. Its verdict must be the local
engine's (``test_sandbox_demo``: the same exit message, the same violation counts)."""

from __future__ import annotations

import io
import json
from datetime import datetime
from pathlib import Path

import pytest
from demo_story import EXPECTED_JOB_VERDICT, TEST_DEMO, job_verdict

from pipelines.sandbox.demo import DemoOptions, DemoSummary, run_demo

pytest.importorskip("pyspark", reason="the Spark engine's tests need requirements-spark.txt")
pytestmark = [pytest.mark.slow, pytest.mark.xdist_group("demo-spark")]


@pytest.fixture(scope="module")
def spark_demo(tmp_path_factory: pytest.TempPathFactory, demo_now: datetime) -> DemoSummary:
    output = tmp_path_factory.mktemp("demo-spark")
    options = DemoOptions(output=output, **TEST_DEMO, now=demo_now, prod_engine="spark")  # type: ignore[arg-type]
    return run_demo(options, io.StringIO())


def test_prods_job_runs_on_the_spark_image_with_two_instances(spark_demo: DemoSummary) -> None:
    job = spark_demo.scheduled_job["job"]
    assert job["image"].endswith("/sagemaker-spark-processing:3.5-cpu-py312")
    assert (job["instance"], job["instance_count"]) == ("ml.m5.large", 2)
    log = Path(job["log"]).read_text()
    assert "smspark-submit (sandbox):" in log
    submitted = next(line for line in log.splitlines() if line.startswith("smspark-submit (sandbox):"))
    assert "--master local[2]" in submitted
    assert "spark.executorEnv.PYTHONPATH=" in submitted
    assert submitted.split()[-2:] == ["--engine", "spark"]


def test_the_spark_job_gives_the_local_jobs_verdict(spark_demo: DemoSummary) -> None:
    assert job_verdict(spark_demo.scheduled_job) == EXPECTED_JOB_VERDICT


def test_the_spark_jobs_violations_name_the_drifted_inputs(spark_demo: DemoSummary) -> None:
    # The job's own output folder (what SageMaker uploads to the monitor's output URI).
    output = Path(spark_demo.scheduled_job["job"]["log"]).parent / "opt/ml/processing/output"
    (violations,) = output.rglob("constraint_violations.json")
    document = json.loads(violations.read_text())
    flagged = {(v["feature_name"], v["constraint_check_type"]) for v in document["violations"]}
    assert flagged == {
        ("Transaction Amount", "baseline_drift_check"),
        ("Device Used", "baseline_drift_check"),
        ("Customer Location", "categorical_values_check"),
    }
