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

Its exit status is the container's. When the install fails, or the job dies without writing its exit message,
this writes one (``/opt/ml/output/message`` becomes DescribeProcessingJob's ExitMessage:
https://docs.aws.amazon.com/sagemaker/latest/dg/byoc-metadata.html).
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
from collections.abc import Sequence
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
MESSAGE_LIMIT = 1024  # SageMaker keeps the first 1 KB


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
    paths = [str(packages), str(CODE_ROOT)]
    if os.environ.get("PYTHONPATH"):
        paths.append(os.environ["PYTHONPATH"])
    return {**os.environ, "PYTHONPATH": os.pathsep.join(paths)}


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
    args = parser.parse_args(arguments)
    try:
        installed = install(args.wheelhouse, args.packages)
    except (WheelhouseError, OSError, subprocess.CalledProcessError) as error:
        write_message(args.exit_message, f"Failed: the job's dependencies could not be installed: {error}")
        print(f"error: installing {args.wheelhouse}: {error}", file=sys.stderr)
        return 1
    print(f"bootstrap: {len(installed)} packages installed from {args.wheelhouse}", flush=True)
    result = subprocess.run(
        [sys.executable, "-m", JOB_MODULE, *job_arguments], env=job_environment(args.packages)
    )
    if result.returncode != 0 and not (args.exit_message.is_file() and args.exit_message.stat().st_size):
        write_message(
            args.exit_message,
            f"Failed: the monitoring job exited with status {result.returncode} (its log has the cause)",
        )
    return result.returncode


if __name__ == "__main__":
    sys.exit(main())
