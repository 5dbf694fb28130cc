"""What the demo did, as summary.json holds it and as a person reads it at the end of the run."""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass, field
from typing import Any

from transaction_scoring import contract

from pipelines.sandbox.demo.options import DemoOptions
from pipelines.sandbox.monitoring_runs import render_outcomes

EXAMPLE_REQUEST = json.dumps(
    [
        {
            contract.TRANSACTION_ID: "try-1",
            contract.TRANSACTION_AMOUNT: 980.0,
            contract.TRANSACTION_DATE: "2026-01-31 03:12:00",
            contract.PAYMENT_METHOD: "bank transfer",
            contract.PRODUCT_CATEGORY: "electronics",
            contract.QUANTITY: 4,
            contract.CUSTOMER_AGE: 22,
            contract.CUSTOMER_LOCATION: "Miami",
            contract.DEVICE_USED: "mobile",
            contract.ACCOUNT_AGE_DAYS: 3,
            contract.TRANSACTION_HOUR: 3,
        }
    ]
)


@dataclass
class ScoringSummary:
    table: str
    files: list[str] = field(default_factory=list)
    rows_read: int = 0
    rows_stored: int = 0
    rows_rejected: int = 0
    rows_failed: int = 0
    endpoint_requests: int = 0
    rejected_objects: list[str] = field(default_factory=list)
    rejected_examples: list[str] = field(default_factory=list)
    table_items: int = 0
    stored_examples: list[dict[str, Any]] = field(default_factory=list)


@dataclass
class DemoSummary:
    aws_endpoint_url: str
    runtime_endpoint_url: str
    packages: dict[str, dict[str, str]]
    stacks: dict[str, dict[str, Any]]
    scoring: ScoringSummary
    capture_files: dict[str, list[str]]
    ground_truth: dict[str, Any]
    baselines: dict[str, str]
    monitoring: dict[str, Any]
    scheduled_job: dict[str, Any]
    outputs: dict[str, str]

    def to_json(self) -> dict[str, Any]:
        return asdict(self)


def render_summary(summary: DemoSummary, options: DemoOptions) -> str:
    lines = ["", "Summary", "", "Packages per stage:"]
    for stage, package in summary.packages.items():
        lines.append(
            f"  {stage:8} {package['endpoint']} runs {package['version']}: {package['package']} "
            f"(named in {package['package_named_in']})"
        )
    lines += ["", "Monitors deployed per stage (from the stack's parameters):"]
    for stage, stack in summary.stacks.items():
        lines.append(
            f"  {stage:8} {stack['stack_name']} {stack['status']}: {', '.join(stack['monitors']) or 'none'}"
        )
    scoring = summary.scoring
    lines += [
        "",
        "Rows scored (Lambda -> SageMaker endpoint -> DynamoDB):",
        f"  {len(scoring.files)} files, {scoring.rows_read} rows read: {scoring.rows_stored} stored, "
        f"{scoring.rows_rejected} rejected, {scoring.rows_failed} failed; "
        f"{scoring.endpoint_requests} endpoint requests",
        f"  DynamoDB table now holds {scoring.table_items} predictions, e.g. the riskiest:",
        *(f"    {example}" for example in scoring.stored_examples),
        f"  rejected rows, with their reasons: {', '.join(scoring.rejected_objects) or 'none'}",
        *(f"    {reason}" for reason in scoring.rejected_examples),
        "",
        "Files written:",
    ]
    for endpoint, files in summary.capture_files.items():
        folders = sorted({f.rsplit("/", 1)[0] + "/" for f in files})
        lines.append(
            f"  data capture of {endpoint}: {len(files)} files in {', '.join(folders) or '(no traffic)'}"
        )
    ground_truth = summary.ground_truth
    lines.append(f"  ground truth: {ground_truth['labels']} labels in {', '.join(ground_truth['files'])}")
    for label, prefix in summary.baselines.items():
        lines.append(f"  baselines of {label}: {prefix}/")
    for what, where in summary.outputs.items():
        lines.append(f"  {what}: {where}")
    monitoring = summary.monitoring
    lines += [
        "",
        f"Portable monitors on {summary.packages['prod']['endpoint']}, as deployed "
        f"(--stage-config {monitoring['stage_config']}):",
        *render_outcomes(monitoring["hours"]),
        "  (Bias drift applies Clarify's rule as written: a metric farther from balance than in the",
        "  baseline is a violation. An hour holds about 15 % of customers aged 18-24 and a handful of their",
        "  frauds, so some metrics cross it in any hour, drifted or not; prod's schedule runs it daily.)",
        f"  results in {monitoring['results']}/, commands and their output in {monitoring['log']}",
        f"  HTML report: {monitoring['report']}",
    ]
    lines += render_scheduled_job(summary.scheduled_job)
    if options.serve:
        lines += _poke_hints(summary)
    else:
        lines += [
            "",
            "The emulator stops now; run with --serve to keep it up and explore it with the AWS CLI.",
        ]
    return "\n".join(lines) + "\n"


def render_scheduled_job(job: dict[str, Any]) -> list[str]:
    """prod's scheduled job on the Processing backend (``scheduled_job``), as a person reads it."""
    run = job["job"]
    lines = [
        "",
        f"prod's scheduled job (Processing backend, stack {job['stack']}):",
        f"  {job['schedule']} ({job['schedule_expression']}) fired for {job['scheduled_time']}: "
        f"monitors {job['input']['Monitors']}",
        f"  state machine execution {job['execution_status']}; processing job {run['name']} {run['status']} "
        f"in {run['seconds']} s ({run['instance']}, limit {run['max_runtime_s']} s; log {run['log']})",
        f"  exit message: {run['exit_message'] or run['failure_reason']}",
    ]
    for output, files in job["results"].items():
        folders = sorted({f.rsplit("/", 1)[0] + "/" for f in files})
        lines.append(f"  {output} results: {', '.join(folders)}")
    lines += [
        f"  CloudWatch {name}: {len(names)} metric names, e.g. {', '.join(names[:3])}"
        for name, names in job["metrics"].items()
    ]
    lines += [
        f"    constraint_violations of {schedule}: {count:g}"
        for schedule, count in job["constraint_violations"].items()
    ]
    for alert in job["alerts"]:
        lines += [
            f"  alert received (SQS queue on the alert topic): {alert['detail_type']}, {alert['status']}",
            f"    {alert['exit_message'] or alert['failure_reason']}",
        ]
    if not job["alerts"]:
        lines.append("  no alert: every monitor completed without violations")
    lines += [
        "  (The job's data-quality execution is the drifted hour's, as run above. Its model-quality window",
        "  is moved by prod's offsets, -P1D to -PT1H: the day before the drifted hour holds none of the",
        "  demo's traffic, so that execution fails for want of data, as Model Monitor's would.)",
    ]
    return lines


def _poke_hints(summary: DemoSummary) -> list[str]:
    url = summary.aws_endpoint_url
    return [
        "",
        "Still running (Ctrl-C to stop). In another shell:",
        "  export AWS_ACCESS_KEY_ID=testing AWS_SECRET_ACCESS_KEY=testing AWS_DEFAULT_REGION=us-east-1",
        f"  aws --endpoint-url {url} s3 ls --recursive s3://{summary.ground_truth['uri'].split('/')[2]}/",
        f"  aws --endpoint-url {url} sagemaker list-model-packages --model-package-group-name "
        f"{summary.packages['prod']['package'].split('/')[1]}",
        f"  aws --endpoint-url {url} cloudformation describe-stacks",
        f"  aws --endpoint-url {url} dynamodb scan --table-name {summary.scoring.table}",
        f"  aws --endpoint-url {summary.runtime_endpoint_url} sagemaker-runtime invoke-endpoint "
        f"--endpoint-name "
        f"{summary.packages['prod']['endpoint']} --content-type application/json --body '{EXAMPLE_REQUEST}' "
        "out.json && cat out.json",
    ]
