"""The job's wheelhouse: pinned like the tests' environment, resolvable as wheels for the image, installed by
the bootstrap only when the interpreter lacks a pin."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from paths import REPO_ROOT

from pipelines.container import image
from pipelines.container.wheelhouse import (
    WheelhouseError,
    build,
    download_command,
    missing_requirements,
    parse_requirements,
    read_manifest,
)

JOB_REQUIREMENTS = REPO_ROOT / "requirements-job.txt"
BOOTSTRAP = REPO_ROOT / "pipelines" / "container" / "bootstrap.py"


def uv_resolves(
    requirements: Path, target: Path, *, offline: bool, platform: str
) -> subprocess.CompletedProcess[str]:
    """uv's resolver asked for wheels only, for the image's Python and ``platform`` (no build, no install)."""
    uv = Path(sys.executable).with_name("uv")
    command = [
        str(uv), "pip", "install", "--dry-run", "--no-deps", "--only-binary", ":all:",
        "--python-version", image.PYTHON_VERSION, "--python-platform", platform,
        "--target", str(target), "-r", str(requirements),
    ]  # fmt: skip
    return subprocess.run(
        [*command, "--offline"] if offline else command, capture_output=True, text=True, check=False
    )


@pytest.mark.slow
def test_every_pinned_requirement_has_a_wheel_for_the_images_python_and_platform(tmp_path) -> None:
    result = resolve(JOB_REQUIREMENTS, tmp_path)
    assert result.returncode == 0, result.stderr
    assert f"Would install {len(parse_requirements(JOB_REQUIREMENTS.read_text()))} packages" in result.stderr


def resolve(
    requirements: Path, target: Path, platform: str = "x86_64-manylinux_2_28"
) -> subprocess.CompletedProcess[str]:
    """From uv's cache when `make setup` filled it (same pins as requirements.txt), else from PyPI."""
    result = uv_resolves(requirements, target, offline=True, platform=platform)
    if result.returncode != 0 and "offline" in result.stderr.lower():
        result = uv_resolves(requirements, target, offline=False, platform=platform)
    return result


@pytest.mark.slow
def test_the_check_fails_for_a_platform_a_pin_has_no_wheel_for(tmp_path) -> None:
    result = resolve(JOB_REQUIREMENTS, tmp_path, platform="aarch64-apple-darwin")
    assert result.returncode != 0
    assert "xgboost-cpu==" in result.stderr  # built for Linux and Windows only


def test_the_job_runs_the_versions_the_tests_run() -> None:
    job = parse_requirements(JOB_REQUIREMENTS.read_text(), where=str(JOB_REQUIREMENTS))
    ours = parse_requirements(
        "\n".join(line for line in (REPO_ROOT / "requirements.txt").read_text().splitlines() if "==" in line)
    )
    assert {name: ours.get(name) for name in job} == job
    assert (
        missing_requirements(job) == []
    )  # this interpreter has them all (the sandbox's stand-in relies on it)


def test_the_download_asks_for_wheels_of_the_images_python_and_platforms(tmp_path) -> None:
    command = download_command(JOB_REQUIREMENTS, tmp_path)
    assert command[1:4] == ["-m", "pip", "download"]
    assert "--only-binary=:all:" in command
    assert command[command.index("--python-version") + 1] == "3.12"
    platforms = [command[i + 1] for i, part in enumerate(command) if part == "--platform"]
    assert platforms == list(image.PLATFORMS)


def test_a_wheelhouse_built_for_another_python_is_refused(tmp_path) -> None:
    build(tmp_path, JOB_REQUIREMENTS, with_wheels=False)
    manifest = json.loads((tmp_path / "wheelhouse.json").read_text())
    assert read_manifest(tmp_path)["requirements"] == manifest["requirements"]
    (tmp_path / "wheelhouse.json").write_text(json.dumps({**manifest, "python": "3.11"}))
    with pytest.raises(WheelhouseError, match=r"built for Python '3.11', but the jobs run Python 3.12"):
        read_manifest(tmp_path)


def test_an_unpinned_requirement_is_refused_with_its_line() -> None:
    with pytest.raises(WheelhouseError, match=r"requirements.txt:2: 'numpy>=2' is not a pinned requirement"):
        parse_requirements("boto3==1.0\nnumpy>=2\n")


def bootstrap(
    wheelhouse: Path, message: Path, *job_arguments: str, options: tuple[str, ...] = (), env=None
) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, str(BOOTSTRAP), "--wheelhouse", str(wheelhouse),
         "--packages", str(wheelhouse.parent / "pkgs"), "--exit-message", str(message), *options,
         "--", *job_arguments],
        capture_output=True, text=True, check=False, env=env,
    )  # fmt: skip


@pytest.mark.slow
def test_with_the_spark_engine_the_bootstrap_configures_the_executors_path_then_runs_smspark_submit(
    tmp_path,
) -> None:
    wheelhouse = tmp_path / "wheelhouse"
    build(wheelhouse, JOB_REQUIREMENTS, with_wheels=False)
    # a recording smspark-submit first on PATH stands for the Spark image's entry point
    tools = tmp_path / "tools"
    tools.mkdir()
    record = tmp_path / "submitted.json"
    (tools / "smspark-submit").write_text(
        f"#!{sys.executable}\nimport json, os, sys\n"
        "seen = {'argv': sys.argv[1:], 'PYTHONPATH': os.environ['PYTHONPATH']}\n"
        f"json.dump(seen, open({str(record)!r}, 'w'))\n"
    )
    (tools / "smspark-submit").chmod(0o755)
    configuration = tmp_path / "conf" / "configuration.json"
    env = {name: value for name, value in os.environ.items() if not name.startswith("AWS_")}
    env |= {
        "PATH": f"{tools}{os.pathsep}{os.environ['PATH']}",
        "AWS_REGION": "eu-west-1",
        "AWS_CONTAINER_CREDENTIALS_RELATIVE_URI": "/v2/credentials/abc",
        "AWS_SECRET_ACCESS_KEY": "not-for-spark",  # never written into Spark's configuration
    }
    result = bootstrap(
        wheelhouse, tmp_path / "message", "--monitors", "DataQuality",
        options=("--engine", "spark", "--spark-configuration", str(configuration)), env=env,
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    packages, code = str(wheelhouse.parent / "pkgs"), str(REPO_ROOT)
    (spark_defaults,) = json.loads(configuration.read_text())
    assert spark_defaults == {
        "Classification": "spark-defaults",
        "Properties": {
            "spark.executorEnv.PYTHONPATH": f"{packages}{os.pathsep}{code}",
            "spark.yarn.appMasterEnv.PYTHONPATH": f"{packages}{os.pathsep}{code}",
            "spark.executorEnv.AWS_REGION": "eu-west-1",
            "spark.executorEnv.AWS_CONTAINER_CREDENTIALS_RELATIVE_URI": "/v2/credentials/abc",
        },
    }
    submitted = json.loads(record.read_text())
    job_script = str(REPO_ROOT / "pipelines" / "processing" / "job.py")
    assert submitted["argv"] == [job_script, "--monitors", "DataQuality", "--engine", "spark"]
    assert submitted["PYTHONPATH"].split(os.pathsep)[:2] == [packages, code]  # the driver's path too


@pytest.mark.slow
def test_the_bootstrap_installs_nothing_the_interpreter_has_and_reports_the_jobs_failure(tmp_path) -> None:
    wheelhouse = tmp_path / "wheelhouse"
    build(wheelhouse, JOB_REQUIREMENTS, with_wheels=False)
    message = tmp_path / "output" / "message"
    result = bootstrap(
        wheelhouse, message, "--monitors", "DataQuality"
    )  # the job's required flags are missing
    assert "bootstrap: 0 packages installed" in result.stdout
    assert result.returncode == 2
    assert message.read_text() == "Failed: the monitoring job exited with status 2 (its log has the cause)"


@pytest.mark.slow
def test_a_pin_the_wheelhouse_cannot_install_fails_the_job_with_the_reason(tmp_path) -> None:
    wheelhouse = tmp_path / "wheelhouse"
    wheelhouse.mkdir()
    shutil.copy(JOB_REQUIREMENTS, wheelhouse / "requirements.txt")
    with (wheelhouse / "requirements.txt").open("a") as requirements:
        requirements.write("not-a-package-here==1.0\n")
    message = tmp_path / "message"
    result = bootstrap(wheelhouse, message)
    assert result.returncode == 1
    assert message.read_text().startswith("Failed: the job's dependencies could not be installed")
