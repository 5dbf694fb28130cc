"""``python get_baselines_and_configs.py``: the command CodeBuild runs when a model is approved.

The flags and defaults of the SageMaker project template's model-monitor seed are kept; ``--dry-run``,
``--strict``, ``--region``, ``--template-file`` and ``--processing-wheelhouse`` are new. The flow itself is
``pipelines.deploy.flow``.
"""

from __future__ import annotations

import argparse
import logging
import os
import sys
from collections.abc import Sequence

from pipelines import aws
from pipelines.cli import LOG_LEVELS, configure_logging, run
from pipelines.deploy.flow import Clients, DeployOptions, StageRequest, deploy
from pipelines.deploy.plan import render_plan

log = logging.getLogger(__name__)

DEFAULT_STAGING_CONFIG = "staging-monitoring-schedule-config.json"
DEFAULT_PROD_CONFIG = "prod-monitoring-schedule-config.json"
DEFAULT_STAGING_EXPORT = "staging-monitoring-schedule-config-export.json"
DEFAULT_PROD_EXPORT = "prod-monitoring-schedule-config-export.json"
DEFAULT_WHEELHOUSE = "wheelhouse"


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="get_baselines_and_configs.py",
        description=(
            "Find the model package deployed on each stage's endpoint, take its baselines from the Model "
            "Registry and write one CloudFormation parameter file per stage for model-monitor-template.yml."
        ),
    )
    parser.add_argument(
        "--log-level",
        type=str.upper,
        choices=LOG_LEVELS,
        default=os.environ.get("LOGLEVEL", "INFO").upper(),
        help="Log level (default: $LOGLEVEL or INFO).",
    )
    parser.add_argument(
        "--model-monitor-role", required=True, help="ARN of the IAM role the monitoring jobs run as."
    )
    parser.add_argument("--sagemaker-project-id", required=True, help="The SageMaker project's id.")
    parser.add_argument("--sagemaker-project-name", required=True, help="The SageMaker project's name.")
    parser.add_argument(
        "--sagemaker-project-arn",
        default=None,
        help="The SageMaker project's ARN: when given, the project's tags are added to each stage's tags.",
    )
    parser.add_argument(
        "--monitor-outputs-bucket",
        required=True,
        help="S3 bucket for monitoring outputs (s3://BUCKET/monitor-output/...) and the record preprocessor.",
    )
    parser.add_argument(
        "--import-staging-config",
        default=DEFAULT_STAGING_CONFIG,
        help=f"The staging stage config (default {DEFAULT_STAGING_CONFIG}).",
    )
    parser.add_argument(
        "--import-prod-config",
        default=DEFAULT_PROD_CONFIG,
        help=f"The prod stage config (default {DEFAULT_PROD_CONFIG}).",
    )
    parser.add_argument(
        "--export-staging-config",
        default=None,
        help=f"Where the staging export goes (default {DEFAULT_STAGING_EXPORT}; --dry-run: only if given).",
    )
    parser.add_argument(
        "--export-prod-config",
        default=None,
        help=f"Where to write the prod export (default {DEFAULT_PROD_EXPORT}; --dry-run: only if given).",
    )
    parser.add_argument(
        "--template-file",
        default="model-monitor-template.yml",
        help="The template whose Parameters the configs are validated against (default %(default)s).",
    )
    parser.add_argument(
        "--processing-wheelhouse",
        default=DEFAULT_WHEELHOUSE,
        help="The wheelhouse folder the Processing backend's jobs install (built by `python -m "
        "pipelines.container.wheelhouse --output DIR`, buildspec.yml's pre_build phase); read when a "
        "stage's MonitoringBackend is Processing (default %(default)s).",
    )
    parser.add_argument(
        "--region",
        default=None,
        help="AWS region (default: the session's, from AWS_REGION / AWS_DEFAULT_REGION or the profile).",
    )
    parser.add_argument(
        "--dry-run",
        action="store_true",
        help="Print the plan; write nothing (no S3 object; an export only if its --export-* flag is given).",
    )
    parser.add_argument(
        "--strict",
        action="store_true",
        help="Fail when an enabled monitor has no baseline, instead of switching it off with a warning.",
    )
    return parser


def options_from_args(args: argparse.Namespace) -> DeployOptions:
    def export(path: str | None, default: str) -> str | None:
        if path is not None:
            return str(path)
        return None if args.dry_run else default

    return DeployOptions(
        project_name=args.sagemaker_project_name,
        project_id=args.sagemaker_project_id,
        project_arn=args.sagemaker_project_arn,
        model_monitor_role=args.model_monitor_role,
        monitor_outputs_bucket=args.monitor_outputs_bucket,
        stages=(
            StageRequest(
                args.import_staging_config, export(args.export_staging_config, DEFAULT_STAGING_EXPORT)
            ),
            StageRequest(args.import_prod_config, export(args.export_prod_config, DEFAULT_PROD_EXPORT)),
        ),
        template_file=args.template_file,
        strict=args.strict,
        dry_run=args.dry_run,
        processing_wheelhouse=args.processing_wheelhouse,
    )


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    configure_logging(args.log_level)
    options = options_from_args(args)
    session = aws.session(args.region)
    clients = Clients(
        sagemaker=aws.client("sagemaker", session),
        s3=aws.client("s3", session),
        region=str(session.region_name),
    )
    result = deploy(options, clients)
    sys.stdout.write(render_plan(result.plans, dry_run=options.dry_run))
    log.info("%d files written", len(result.written))
    return 0


def entry_point() -> None:
    sys.exit(run(main))


if __name__ == "__main__":
    entry_point()
