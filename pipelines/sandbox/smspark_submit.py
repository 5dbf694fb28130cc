"""The sandbox's stand-in for ``smspark-submit``, the entry point of SageMaker's Spark processing image.

On SageMaker, ``smspark-submit APP ARGS`` (aws/sagemaker-spark-container, ``src/smspark/cli.py``) reads the
user configuration ``/opt/ml/processing/input/conf/configuration.json`` (EMR classifications), starts YARN on
every instance and, on the first, runs ``spark-submit --master yarn --deploy-mode client APP ARGS``. Here
(``LocalProcessing`` puts this on the job's ``PATH`` as ``smspark-submit``) the same configuration's
``spark-defaults`` properties become ``--conf`` options of PySpark's own ``spark-submit`` with a local master
(``SANDBOX_SPARK_MASTER``, default ``local[2]``): one machine stands for the cluster. The folder standing for
``/opt/ml`` is ``SANDBOX_CONTAINER_ROOT``. Standard library only, run by file: the job's ``PYTHONPATH`` holds
the uploaded code, which leaves the sandbox out.
"""

from __future__ import annotations

import importlib.util
import json
import os
import subprocess
import sys
from collections.abc import Sequence
from pathlib import Path

CONTAINER_ROOT_ENV = "SANDBOX_CONTAINER_ROOT"
MASTER_ENV = "SANDBOX_SPARK_MASTER"
CONFIGURATION = "processing/input/conf/configuration.json"  # under /opt/ml
# smspark-submit's own options that take a value (spark-submit's names); its other options are not used here.
OPTIONS_WITH_VALUES = ("--jars", "--py-files", "--files", "--class")


def spark_defaults(configuration: Path) -> dict[str, str]:
    """The ``spark-defaults`` properties of a configuration file (absent file: none)."""
    if not configuration.is_file():
        return {}
    document = json.loads(configuration.read_text(encoding="utf-8"))
    entries = document if isinstance(document, list) else [document]
    return {
        str(key): str(value)
        for entry in entries
        if entry.get("Classification") == "spark-defaults"
        for key, value in entry.get("Properties", {}).items()
    }


def spark_submit_command(arguments: Sequence[str], properties: dict[str, str], master: str) -> list[str]:
    spec = importlib.util.find_spec("pyspark")
    if spec is None or spec.origin is None:
        raise SystemExit("smspark-submit (sandbox): PySpark is not installed (make setup-spark)")
    spark_submit = Path(spec.origin).parent / "bin" / "spark-submit"
    confs = [part for key, value in properties.items() for part in ("--conf", f"{key}={value}")]
    return [str(spark_submit), "--master", master, *confs, *arguments]


def main(argv: Sequence[str] | None = None) -> int:
    arguments = list(sys.argv[1:] if argv is None else argv)
    root = Path(os.environ.get(CONTAINER_ROOT_ENV, "/opt/ml"))
    properties = spark_defaults(root / CONFIGURATION)
    command = spark_submit_command(arguments, properties, os.environ.get(MASTER_ENV, "local[2]"))
    print(f"smspark-submit (sandbox): {' '.join(command)}", flush=True)
    # The driver and the executors' Python workers run this interpreter (the sandbox's, with the pins).
    env = {**os.environ, "PYSPARK_PYTHON": sys.executable, "PYSPARK_DRIVER_PYTHON": sys.executable}
    return subprocess.run(command, env=env, check=False).returncode


if __name__ == "__main__":
    sys.exit(main())
