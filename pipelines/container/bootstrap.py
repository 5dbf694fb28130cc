"""The Processing container's entry point: install the wheelhouse, then run the monitoring job.

SageMaker runs (``ContainerEntrypoint`` + ``ContainerArguments`` of the state machine's CreateProcessingJob)::

    python3 /opt/ml/processing/input/code/pipelines/container/bootstrap.py --wheelhouse DIR --packages DIR
        --exit-message FILE -- <arguments of pipelines.processing.job>

in the prebuilt image, which has neither our code on its path nor our dependencies. So, with the standard
library only:

1. the pins of ``DIR/requirements.txt`` that the interpreter lacks (at that exact version) are installed with
   ``pip install --no-index --find-links <wheelhouse> --target <packages>`` (no index, nothing of the image's
   own packages replaced); an interpreter that has them all (the sandbox's) installs nothing;
2. ``python -m pipelines.processing.job ...`` runs with the packages and the code first on ``PYTHONPATH``.

With ``--engine spark`` (``MonitoringEngine: spark``: SageMaker's Spark processing image, which runs this on
every instance of the job), step 1 is the same on every host (the wheelhouse and the code are replicated to
every instance: ``S3DataDistributionType: FullyReplicated``), then:

2. the Spark configuration (``spark_configuration``) is written where ``smspark-submit`` reads it
   (``/opt/ml/processing/input/conf/configuration.json``: aws/sagemaker-spark-container,
   ``src/smspark/config_path_utils.py``): ``spark.executorEnv.PYTHONPATH`` and
   ``spark.yarn.appMasterEnv.PYTHONPATH`` put the packages and the code first on the executors' Python path,
   so polars, pyarrow, DataSketches and ``pipelines`` import on every executor (each host installed them at
   the same path);
3. ``smspark-submit <code>/pipelines/processing/job.py <job arguments> --engine spark`` starts YARN on every
   host; on the first it runs ``spark-submit --master yarn`` of the job (the driver, with the same
   ``PYTHONPATH``), the others serve executors until it ends.

Its exit status is the container's. When the install fails, or the job dies without writing its exit message,
this writes one (``/opt/ml/output/message`` becomes DescribeProcessingJob's ExitMessage:
https://docs.aws.amazon.com/sagemaker/latest/dg/byoc-metadata.html).
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
from collections.abc import Mapping, Sequence
from pathlib import Path

CODE_ROOT = Path(__file__).resolve().parents[2]
if str(CODE_ROOT) not in sys.path:  # run as a script: make ``pipelines`` importable (stdlib modules only)
    sys.path.insert(0, str(CODE_ROOT))

from pipelines.container.wheelhouse import (  # noqa: E402
    REQUIREMENTS_FILE,
    WheelhouseError,
    missing_requirements,
    parse_requirements,
)

JOB_MODULE = "pipelines.processing.job"
JOB_SCRIPT = CODE_ROOT / "pipelines" / "processing" / "job.py"  # what spark-submit runs (it takes a file)
MESSAGE_LIMIT = 1024  # SageMaker keeps the first 1 KB
ENGINES = ("local", "spark")
SPARK_SUBMIT = "smspark-submit"  # the Spark processing image's entry point (on its PATH)
SPARK_CONFIGURATION = Path("/opt/ml/processing/input/conf/configuration.json")


def write_message(path: Path, text: str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(text.encode("utf-8")[:MESSAGE_LIMIT])


def install(wheelhouse: Path, packages: Path) -> list[str]:
    """Install the pins the interpreter lacks; returns them (empty when nothing was needed)."""
    requirements = wheelhouse / REQUIREMENTS_FILE
    pins = parse_requirements(requirements.read_text(encoding="utf-8"), where=str(requirements))
    missing = missing_requirements(pins)
    if missing:
        subprocess.run(install_command(wheelhouse, packages, missing), check=True)
    return missing


def install_command(
    wheelhouse: Path, packages: Path, requirements: Sequence[str], python: str = sys.executable
) -> list[str]:
    """pip from the wheelhouse alone (no index, no dependency resolution: the pins are complete) into
    ``packages``, leaving the image's own packages as they are."""
    return [
        python, "-m", "pip", "install", "--quiet", "--no-index", "--no-deps",
        "--find-links", str(wheelhouse), "--target", str(packages), *requirements,
    ]  # fmt: skip


def job_environment(packages: Path) -> dict[str, str]:
    """This environment with the installed packages and the code first on PYTHONPATH."""
    paths = [python_path(packages)]
    if os.environ.get("PYTHONPATH"):
        paths.append(os.environ["PYTHONPATH"])
    return {**os.environ, "PYTHONPATH": os.pathsep.join(paths)}


def python_path(packages: Path) -> str:
    """The installed packages, then the code: what the job (and, on Spark, every executor) imports first."""
    return os.pathsep.join([str(packages), str(CODE_ROOT)])


# What the executors' Python workers need to reach S3 as the driver does (they read the capture and labels
# with boto3: ``pipelines.monitoring.engines.spark``), when this container has them: the region, an endpoint
# override, and where SageMaker serves the job role's credentials. No secret goes into Spark's configuration.
EXECUTOR_AWS_SETTINGS = (
    "AWS_REGION",
    "AWS_DEFAULT_REGION",
    "AWS_ENDPOINT_URL",
    "AWS_CONTAINER_CREDENTIALS_RELATIVE_URI",
)


def spark_configuration(packages: Path, environ: Mapping[str, str] = os.environ) -> list[dict[str, object]]:
    """``smspark-submit``'s configuration (EMR's classification format): the executors' and the YARN
    application master's ``PYTHONPATH`` (Spark adds its own pyspark archives after it), and the executors'
    AWS settings (``EXECUTOR_AWS_SETTINGS``) present in ``environ``."""
    path = python_path(packages)
    properties = {"spark.executorEnv.PYTHONPATH": path, "spark.yarn.appMasterEnv.PYTHONPATH": path}
    properties |= {
        f"spark.executorEnv.{name}": environ[name] for name in EXECUTOR_AWS_SETTINGS if environ.get(name)
    }
    return [{"Classification": "spark-defaults", "Properties": properties}]


def job_command(engine: str, job_arguments: Sequence[str], python: str = sys.executable) -> list[str]:
    """The job's command: ``python -m`` the job module (local), or ``smspark-submit`` of its file (spark)."""
    if engine == "spark":
        return [SPARK_SUBMIT, str(JOB_SCRIPT), *job_arguments, "--engine", "spark"]
    return [python, "-m", JOB_MODULE, *job_arguments, "--engine", "local"]


def write_spark_configuration(path: Path, packages: Path) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(spark_configuration(packages), indent=2), encoding="utf-8")


def main(argv: Sequence[str] | None = None) -> int:
    arguments = list(sys.argv[1:] if argv is None else argv)
    job_arguments: list[str] = []
    if "--" in arguments:
        index = arguments.index("--")
        arguments, job_arguments = arguments[:index], arguments[index + 1 :]
    parser = argparse.ArgumentParser(prog="bootstrap.py", description=__doc__.splitlines()[0])
    parser.add_argument("--wheelhouse", type=Path, required=True)
    parser.add_argument("--packages", type=Path, required=True)
    parser.add_argument("--exit-message", type=Path, required=True)
    parser.add_argument("--engine", choices=ENGINES, default="local")
    parser.add_argument("--spark-configuration", type=Path, default=SPARK_CONFIGURATION)
    args = parser.parse_args(arguments)
    try:
        installed = install(args.wheelhouse, args.packages)
    except (WheelhouseError, OSError, subprocess.CalledProcessError) as error:
        write_message(args.exit_message, f"Failed: the job's dependencies could not be installed: {error}")
        print(f"error: installing {args.wheelhouse}: {error}", file=sys.stderr)
        return 1
    print(f"bootstrap: {len(installed)} packages installed from {args.wheelhouse}", flush=True)
    if args.engine == "spark":
        write_spark_configuration(args.spark_configuration, args.packages)
    result = subprocess.run(job_command(args.engine, job_arguments), env=job_environment(args.packages))
    if result.returncode != 0 and not (args.exit_message.is_file() and args.exit_message.stat().st_size):
        write_message(
            args.exit_message,
            f"Failed: the monitoring job exited with status {result.returncode} (its log has the cause)",
        )
    return result.returncode


if __name__ == "__main__":
    sys.exit(main())
