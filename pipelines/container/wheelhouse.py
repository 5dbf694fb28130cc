"""The wheelhouse: the job's pinned dependencies as wheels for the image's Python and platform.

The prebuilt image (``image``) has Python and scikit-learn but not polars, datasketches, xgboost, ... The job
installs them from wheels that CodeBuild downloaded once per build, with ``pip install --no-index``: a job
never waits on PyPI, and every job runs exactly the versions the tests ran (``requirements-job.txt`` is pinned
by ``make lock`` with ``requirements.txt`` as constraints).

``python -m pipelines.container.wheelhouse --output wheelhouse`` (buildspec.yml's pre_build phase) runs
``pip download --only-binary=:all: --platform ... --python-version 3.12 --implementation cp --no-deps`` for
the pinned requirements and writes next to them ``requirements.txt`` and ``wheelhouse.json`` (the Python
and platforms it was built for, and its wheels). ``--requirements-only`` writes the two files without wheels:
the sandbox's stand-in runs the job with its own interpreter, which has the pinned versions already.

Standard library only: the container's bootstrap uses ``parse_requirements``/``missing_requirements`` before
anything is installed.
"""

from __future__ import annotations

import argparse
import json
import re
import shutil
import subprocess
import sys
from collections.abc import Callable, Mapping, Sequence
from importlib import metadata
from pathlib import Path

from pipelines.container import image

REQUIREMENTS_FILE = "requirements.txt"
MANIFEST_FILE = "wheelhouse.json"
JOB_REQUIREMENTS = "requirements-job.txt"
_PIN = re.compile(r"^(?P<name>[A-Za-z0-9][A-Za-z0-9._-]*)\s*==\s*(?P<version>[^\s;#]+)")


class WheelhouseError(Exception):
    """A requirements file or wheelhouse that cannot be used (the message says which line or file)."""


def normalized(name: str) -> str:
    """A distribution name as PEP 503 compares them (``PyYAML`` == ``pyyaml``, ``polars_runtime`` == ...)."""
    return re.sub(r"[-_.]+", "-", name).lower()


def parse_requirements(text: str, *, where: str = REQUIREMENTS_FILE) -> dict[str, str]:
    """``name==version`` pins of a compiled requirements file (comments and ``# via`` lines skipped)."""
    pins: dict[str, str] = {}
    for number, raw in enumerate(text.splitlines(), start=1):
        line = raw.strip()
        if not line or line.startswith("#"):
            continue
        match = _PIN.match(line)
        if match is None:
            raise WheelhouseError(f"{where}:{number}: {line!r} is not a pinned requirement (name==version)")
        pins[normalized(match.group("name"))] = match.group("version")
    return pins


def installed_version(name: str) -> str | None:
    try:
        return metadata.version(name)
    except metadata.PackageNotFoundError:
        return None


def missing_requirements(
    pins: Mapping[str, str], installed: Callable[[str], str | None] = installed_version
) -> list[str]:
    """The pins this interpreter does not have at exactly that version, as ``name==version``."""
    return [f"{name}=={version}" for name, version in pins.items() if installed(name) != version]


def download_command(requirements: Path, output: Path) -> list[str]:
    """pip download of every pin as a wheel for the image's Python and platforms."""
    platforms = [argument for platform in image.PLATFORMS for argument in ("--platform", platform)]
    return [
        sys.executable,
        "-m",
        "pip",
        "download",
        "--quiet",
        "--only-binary=:all:",
        *platforms,
        "--python-version",
        image.PYTHON_VERSION,
        "--implementation",
        "cp",
        "--no-deps",
        "--requirement",
        str(requirements),
        "--dest",
        str(output),
    ]


def write_manifest(output: Path, requirements: Path) -> Path:
    """Copy the requirements next to the wheels and describe the wheelhouse in ``wheelhouse.json``."""
    pins = parse_requirements(requirements.read_text(encoding="utf-8"), where=str(requirements))
    shutil.copyfile(requirements, output / REQUIREMENTS_FILE)
    manifest = {
        "python": image.PYTHON_VERSION,
        "platforms": list(image.PLATFORMS),
        "image": f"{image.FRAMEWORK} {image.VERSION}",
        "requirements": len(pins),
        "wheels": sorted(path.name for path in output.glob("*.whl")),
    }
    path = output / MANIFEST_FILE
    path.write_text(json.dumps(manifest, indent=2) + "\n", encoding="utf-8")
    return path


def read_manifest(folder: Path) -> dict[str, object]:
    """A wheelhouse's ``wheelhouse.json``, checked against the image this code deploys."""
    path = folder / MANIFEST_FILE
    try:
        manifest = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise WheelhouseError(
            f"{path}: no such file: build the wheelhouse with `python -m pipelines.container.wheelhouse "
            f"--output {folder}`"
        ) from None
    except json.JSONDecodeError as exc:
        raise WheelhouseError(f"{path}: not valid JSON ({exc.msg})") from None
    if not isinstance(manifest, dict) or manifest.get("python") != image.PYTHON_VERSION:
        found = manifest.get("python") if isinstance(manifest, dict) else None
        raise WheelhouseError(
            f"{path}: built for Python {found!r}, but the jobs run Python {image.PYTHON_VERSION} "
            f"({image.FRAMEWORK} image {image.VERSION}): build it again"
        )
    if not (folder / REQUIREMENTS_FILE).is_file():
        raise WheelhouseError(f"{folder}: no {REQUIREMENTS_FILE} next to the wheels")
    return manifest


def build(output: Path, requirements: Path, *, with_wheels: bool = True) -> Path:
    output.mkdir(parents=True, exist_ok=True)
    if with_wheels:
        subprocess.run(download_command(requirements, output), check=True)
    return write_manifest(output, requirements)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m pipelines.container.wheelhouse",
        description="Download the Processing job's pinned dependencies as wheels for its image.",
    )
    parser.add_argument("--output", type=Path, required=True, help="Folder for the wheels (created).")
    parser.add_argument(
        "--requirements", type=Path, default=Path(JOB_REQUIREMENTS), help="Pinned requirements (%(default)s)."
    )
    parser.add_argument(
        "--requirements-only",
        action="store_true",
        help="Write requirements.txt and wheelhouse.json, no wheels (for an interpreter that has the pins).",
    )
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        manifest = build(args.output, args.requirements, with_wheels=not args.requirements_only)
    except (WheelhouseError, FileNotFoundError) as error:
        print(f"error: {error}", file=sys.stderr)
        return 2
    except subprocess.CalledProcessError as error:
        print(f"error: pip download exited with {error.returncode}", file=sys.stderr)
        return 1
    print(f"wheelhouse: {manifest}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
