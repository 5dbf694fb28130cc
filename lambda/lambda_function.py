"""Lambda entry point: S3 "object created" events -> score each CSV -> predictions in DynamoDB.

Thin on purpose: read the settings, tell the event apart, score (``transaction_scoring.scoring``), then log,
publish metrics and answer. Three events reach it:
- an S3 event notification: each object is scored here, or handed to the fan-out state machine when it is
  too large for one invocation (``transaction_scoring.fan_out``);
- a slice of a fanned-out file (the Distributed Map's batch: ``Items`` + ``BatchInput``);
- the end of a fan-out execution (``fan_out_finished``): the file's totals.

The invocation fails (raises) when rows failed after retries, when a file could not be finished in time, or
when another invocation holds a file: Lambda (or Step Functions, for slices) then retries it, and the retry
continues where it stopped. Rows already stored stay stored and are never sent to the endpoint again.

Logs are JSON lines (Powertools Logger) with counts, line numbers and Transaction IDs only, never row values;
counts are CloudWatch metrics in embedded metric format (Powertools Metrics).
"""

from __future__ import annotations

import functools
import os
from collections.abc import Mapping
from typing import Any

from aws_lambda_powertools import Logger, Metrics
from aws_lambda_powertools.metrics import MetricUnit
from aws_lambda_powertools.utilities.typing import LambdaContext
from transaction_scoring import fan_out
from transaction_scoring.clients import Clients, create_clients
from transaction_scoring.errors import ConfigurationError, EventError, RowsFailed
from transaction_scoring.events import objects_in
from transaction_scoring.report import COUNTS, FileReport, FileStatus, InvocationReport
from transaction_scoring.scoring import InvocationContext, score_object
from transaction_scoring.settings import Settings

DEFAULT_SERVICE = "transaction-scoring"
DEFAULT_METRICS_NAMESPACE = "FraudDetection"
# Variables that decide where clients connect (tests and the sandbox change them; Lambda does not).
_CLIENT_VARIABLES = (
    "AWS_REGION",
    "AWS_DEFAULT_REGION",
    "AWS_ENDPOINT_URL",
    "AWS_ENDPOINT_URL_S3",
    "AWS_ENDPOINT_URL_DYNAMODB",
    "AWS_ENDPOINT_URL_SAGEMAKER_RUNTIME",
)

logger = Logger(service=os.environ.get("POWERTOOLS_SERVICE_NAME", DEFAULT_SERVICE))
metrics = Metrics(
    namespace=os.environ.get("POWERTOOLS_METRICS_NAMESPACE", DEFAULT_METRICS_NAMESPACE),
    service=os.environ.get("POWERTOOLS_SERVICE_NAME", DEFAULT_SERVICE),
)


@functools.lru_cache(maxsize=2)
def _clients(settings: Settings, where: tuple[str | None, ...]) -> Clients:
    """Clients built on the first invocation and reused while the container is warm (not at import)."""
    return create_clients(settings)


def clients_for(settings: Settings, environ: Mapping[str, str]) -> Clients:
    return _clients(settings, tuple(environ.get(name) for name in _CLIENT_VARIABLES))


@logger.inject_lambda_context(clear_state=True)
@metrics.log_metrics
def lambda_handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    report = InvocationReport()
    # Which metrics this invocation publishes: a slice's rows, a finished fan-out's file (its rows were
    # counted by the slices), or both for an S3 event.
    rows_metrics = files_metrics = True
    try:
        settings = Settings.from_environ(os.environ)
        clients = clients_for(settings, os.environ)
        invocation = InvocationContext(
            request_id=context.aws_request_id,
            remaining_s=lambda: context.get_remaining_time_in_millis() / 1000,
        )
        if fan_out.is_slice_event(event):
            files_metrics = False
            report.files.append(
                fan_out.score_slice(fan_out.slice_from_event(event), settings, clients, invocation)
            )
        elif fan_out.is_finished_event(event):
            rows_metrics = False
            report.files.append(
                fan_out.finish(fan_out.finished_from_event(event), settings, clients, invocation)
            )
        else:
            found = objects_in(event)
            for ignored in found.ignored:
                logger.info("event record ignored: not an object creation", extra={"record": ignored})
            for ref in found.objects:
                report.files.append(score_object(ref, settings, clients, invocation))
                _log_file(report.files[-1])
        if files_metrics is not rows_metrics:
            _log_file(report.files[-1])
    except (ConfigurationError, EventError) as error:
        # Nothing a retry can fix: say what to change, loudly (and count it, for an alarm).
        logger.error(
            "cannot score: fix the function's configuration or its trigger",
            extra={"problems": list(error.problems)},
        )
        metrics.add_metric(name="InvocationsRefused", unit=MetricUnit.Count, value=1)
        raise
    finally:
        _publish_metrics(report, rows=rows_metrics, files=files_metrics)

    response = report.to_response()
    summary = {key: value for key, value in response.items() if key != "files"}
    if report.needs_retry:
        logger.error("invocation failed: Lambda will retry the event", extra=summary)
        raise RowsFailed(report.failure_summary())
    logger.info("invocation scored", extra=summary)
    return response


# Outcomes that are routine: logged at INFO (unless rows were rejected); the others at WARNING.
_ROUTINE = frozenset(
    {FileStatus.SCORED, FileStatus.SKIPPED, FileStatus.ALREADY_SCORED, FileStatus.FANNED_OUT}
)


def _log_file(file_report: FileReport) -> None:
    fields = {**file_report.to_json(), **file_report.log_details()}
    if file_report.status in _ROUTINE and not file_report.rows_rejected and not file_report.warnings:
        logger.info(f"file {file_report.status.value.replace('_', ' ')}", extra=fields)
    else:
        logger.warning(f"file {file_report.status.value}", extra=fields)


def _publish_metrics(report: InvocationReport, *, rows: bool, files: bool) -> None:
    if rows:
        for count in COUNTS:
            # rows_read -> RowsRead: one metric per count, in the namespace of POWERTOOLS_METRICS_NAMESPACE.
            name = "".join(part.title() for part in count.split("_"))
            metrics.add_metric(name=name, unit=MetricUnit.Count, value=report.total(count))
    if files:
        for status in FileStatus:
            n = sum(1 for f in report.files if f.status is status)
            metrics.add_metric(
                name=f"Files{status.value.title().replace('_', '')}", unit=MetricUnit.Count, value=n
            )
