"""``get_baselines_and_configs.py``: flags, exit codes, and what a user sees."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest
from registry_world import (
    OUTPUT_BUCKET,
    PROD_CONFIG,
    PROJECT,
    PROJECT_ID,
    REPO_ROOT,
    ROLE,
    STAGING_CONFIG,
    TEMPLATE,
    edit_config,
    requirements_only_wheelhouse,
)

from pipelines.cli import run
from pipelines.deploy.cli import build_parser, main, options_from_args


def argv(*extra: str, staging: Path = STAGING_CONFIG, prod: Path = PROD_CONFIG) -> list[str]:
    return [
        "--model-monitor-role", ROLE,
        "--sagemaker-project-id", PROJECT_ID,
        "--sagemaker-project-name", PROJECT,
        "--monitor-outputs-bucket", OUTPUT_BUCKET,
        "--import-staging-config", str(staging),
        "--import-prod-config", str(prod),
        "--template-file", str(TEMPLATE),
        "--region", "us-east-1",
        *extra,
    ]  # fmt: skip


@pytest.fixture(scope="module")
def wheelhouse(tmp_path_factory) -> str:
    return str(requirements_only_wheelhouse(tmp_path_factory.mktemp("wheelhouse")))


def test_the_seed_defaults_are_kept() -> None:
    args = build_parser().parse_args(argv()[:8])
    assert (args.import_staging_config, args.import_prod_config) == (
        "staging-monitoring-schedule-config.json",
        "prod-monitoring-schedule-config.json",
    )
    options = options_from_args(args)
    assert [s.export_path for s in options.stages] == [
        "staging-monitoring-schedule-config-export.json",
        "prod-monitoring-schedule-config-export.json",
    ]
    assert not options.strict
    assert not options.dry_run


def test_dry_run_exports_nothing_unless_an_export_flag_is_given() -> None:
    options = options_from_args(
        build_parser().parse_args(argv("--dry-run", "--export-prod-config", "p.json"))
    )
    assert [s.export_path for s in options.stages] == [None, "p.json"]


def test_dry_run_prints_the_plan_and_writes_nothing(world, wheelhouse, tmp_path, monkeypatch, capsys) -> None:
    monkeypatch.chdir(tmp_path)
    before = world.object_keys()
    assert main(argv("--dry-run", "--processing-wheelhouse", wheelhouse)) == 0
    out = capsys.readouterr().out
    assert "Monitoring deployment plan (dry run: nothing is written)" in out
    assert f"package   {world.packages['v1']}  [deployed on the endpoint, Approved]" in out
    assert "    ModelBias            on   baseline from DriftCheckBaselines" in out
    assert "  backend   Processing  (from the stage config)" in out
    assert (
        "ModelMonitorImageUri = 156813124566.dkr.ecr.us-east-1.amazonaws.com/sagemaker-model-monitor-analyzer"
        in out
    )
    assert world.object_keys() == before
    assert list(tmp_path.iterdir()) == []


def test_a_real_run_writes_the_default_exports_in_the_working_folder(
    world, wheelhouse, tmp_path, monkeypatch
) -> None:
    monkeypatch.chdir(tmp_path)
    assert main(argv("--processing-wheelhouse", wheelhouse)) == 0
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted(
        f"{stage}-monitoring-schedule-config-export{suffix}"
        for stage in ("staging", "prod")
        for suffix in (".json", ".parameter-overrides.json", ".tags.json")
    )


def test_user_errors_print_one_line_each_and_exit_2(aws, configs, capsys) -> None:
    edit_config(
        configs["prod"],
        MonitoringBackend="ModelMonitor",
        EnableModelBiasMonitor="si",
        ModelQualityMaxRuntimeInSeconds="7200",
    )
    code = run(main, argv(staging=configs["staging"], prod=configs["prod"]))
    err = capsys.readouterr().err.splitlines()
    assert code == 2
    assert err == [
        f"error: {configs['prod']}: EnableModelBiasMonitor: 'si' is not allowed: expected one of 'yes', 'no'",
        f"error: {configs['prod']}: ModelQualityMaxRuntimeInSeconds: 7200 s is too long for a ModelQuality "
        "monitor "
        "that runs every hour: at most 1800 s (the merge and analysis jobs share one execution)",
    ]


def test_a_missing_required_flag_is_reported_by_argparse(capsys) -> None:
    with pytest.raises(SystemExit) as exit_info:
        main(["--sagemaker-project-id", "p"])
    assert exit_info.value.code == 2
    assert "the following arguments are required: --model-monitor-role" in capsys.readouterr().err


@pytest.mark.slow
def test_the_script_reports_a_bad_config_without_a_traceback(configs) -> None:
    edit_config(configs["staging"], DataQualityScheduleExpression="cron(0 * * * ? *)")
    result = subprocess.run(
        [sys.executable, "get_baselines_and_configs.py", *argv(staging=configs["staging"])],
        cwd=REPO_ROOT,
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 2
    assert "Traceback" not in result.stderr
    assert result.stderr.strip() == (
        f"error: {configs['staging']}: DataQualityScheduleExpression: 'cron(0 * * * ? *)' is not a "
        "monitoring schedule: expected cron(0 * ? * * *) (hourly), cron(0 H ? * * *) (daily at hour H) or "
        "cron(0 H/N ? * * *) (every N hours) (the Processing backend allows a minute 0-59 instead of 0)"
    )
