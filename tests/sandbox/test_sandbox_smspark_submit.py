"""The sandbox's stand-in for the Spark image's smspark-submit: the bootstrap's configuration becomes
spark-submit's --conf options with a local master."""

from __future__ import annotations

import json
from pathlib import Path

from pipelines.sandbox.smspark_submit import spark_defaults, spark_submit_command


def test_the_spark_defaults_classification_becomes_conf_options_of_a_local_spark_submit(
    tmp_path: Path,
) -> None:
    configuration = tmp_path / "configuration.json"
    configuration.write_text(
        json.dumps(
            [
                {"Classification": "spark-defaults", "Properties": {"spark.executorEnv.PYTHONPATH": "/p:/c"}},
                {"Classification": "yarn-site", "Properties": {"yarn.x": "1"}},
            ]
        )
    )
    properties = spark_defaults(configuration)
    assert properties == {"spark.executorEnv.PYTHONPATH": "/p:/c"}
    command = spark_submit_command(["/code/job.py", "--engine", "spark"], properties, "local[2]")
    assert Path(command[0]).name == "spark-submit"
    assert command[1:] == [
        "--master", "local[2]", "--conf", "spark.executorEnv.PYTHONPATH=/p:/c",
        "/code/job.py", "--engine", "spark",
    ]  # fmt: skip


def test_without_a_configuration_file_nothing_is_configured(tmp_path: Path) -> None:
    assert spark_defaults(tmp_path / "missing.json") == {}
