"""The demo's traffic: two hours of transactions, scored by the Lambda, then labelled.

The hours are the latest Tuesday's and Wednesday's 13:00 before the demo's clock (``TRAFFIC_HOUR_OF_DAY``),
the stream files go through the scoring Lambda's handler on their S3 events, and each stored prediction gets
its ground-truth label in the hour after its own.
"""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Any

from transaction_scoring import contract, s3_objects, store

from pipelines.ground_truth import GroundTruthRecord
from pipelines.labels import write_ground_truth
from pipelines.sandbox.data import Drift, GeneratorSettings, StreamFile, generate_transactions, stream_csv
from pipelines.sandbox.demo.options import STREAM_FILES, DemoOptions
from pipelines.sandbox.demo.session import Sandbox
from pipelines.sandbox.demo.summary import ScoringSummary
from pipelines.sandbox.endpoint import ManualClock
from pipelines.sandbox.lambda_runner import FunctionSettings, invoke_function, s3_event
from pipelines.sandbox.monitoring_runs import label_collection_time
from pipelines.sandbox.progress import Progress
from pipelines.sandbox.world import BucketKind, Stage, World
from pipelines.storage import Storage
from pipelines.timewindow import HOUR, floor_hour, format_utc, hour_partition

if TYPE_CHECKING:
    from mypy_boto3_dynamodb import DynamoDBClient

# The traffic hours: 13:00-14:00 UTC on a Tuesday (ordinary) and the Wednesday after (drifted), whatever the
# day and time the demo runs: an hour's fraud, and so how well the model does, depends on the time of day,
# and the model reads the day of week (``Transaction Day Of Week``), so any other hour or day would score the
# same generated rows differently and change what the monitors find. A day apart, so that the one-day window
# of prod's model-quality and bias monitors (GroundTruthStartTimeOffset -P1D) holds one of them only; the
# later one is the latest such hour that ended two hours ago, so that the execution analysing it with its
# labels (GroundTruthEndTimeOffset -PT1H) is already past (see ``monitoring_runs``).
TRAFFIC_HOUR_OF_DAY = 13
LATEST_TRAFFIC_WEEKDAY = 2  # Wednesday (Monday = 0)
TRAFFIC_SPACING = timedelta(days=1)
LATEST_TRAFFIC_HOURS_AGO = 2


@dataclass(frozen=True, slots=True)
class HourOfTraffic:
    hour: datetime
    key: str
    stream: StreamFile
    drifted: bool


def stream_files(options: DemoOptions, world: World, clock: ManualClock) -> list[HourOfTraffic]:
    """Two hours of transactions a day apart, the latest Tuesday's and Wednesday's 13:00 before the clock
    (see ``TRAFFIC_HOUR_OF_DAY``); the second drifts when asked."""
    latest = floor_hour(clock()) - HOUR * LATEST_TRAFFIC_HOURS_AGO
    latest -= timedelta(hours=(latest.hour - TRAFFIC_HOUR_OF_DAY) % 24)
    latest -= timedelta(days=(latest.weekday() - LATEST_TRAFFIC_WEEKDAY) % 7)
    hours = [latest - TRAFFIC_SPACING * (STREAM_FILES - 1 - i) for i in range(STREAM_FILES)]
    sizes = [
        options.rows // STREAM_FILES + (1 if i < options.rows % STREAM_FILES else 0)
        for i in range(STREAM_FILES)
    ]
    traffic = []
    for index, (hour, rows) in enumerate(zip(hours, sizes, strict=True)):
        drifted = options.drift and index == STREAM_FILES - 1
        transactions = generate_transactions(
            GeneratorSettings(
                rows=rows,
                seed=options.seed * 1000 + 100 + index,
                start=hour,
                end=hour + HOUR,
                drift=Drift.typical() if drifted else None,
            )
        )
        stream = stream_csv(transactions, bad_rows=options.bad_rows, seed=options.seed + index)
        key = f"incoming/{hour_partition(hour)}/transactions-{hour:%Y%m%d-%H}00.csv"
        traffic.append(HourOfTraffic(hour, key, stream, drifted))
    return traffic


def score_streams(
    sandbox: Sandbox, world: World, traffic: list[HourOfTraffic], log_path: Path, progress: Progress
) -> ScoringSummary:
    """Upload each file, place the endpoint's clock in its hour, and run the Lambda on its S3 event."""
    bucket = world.bucket(BucketKind.TRANSACTIONS)
    prod = world.deployment(Stage.PROD)
    settings = FunctionSettings(endpoint_name=prod.endpoint_name, table_name=world.settings.predictions_table)
    summary = ScoringSummary(table=settings.table_name)
    with log_path.open("w") as log:
        for item in traffic:
            sandbox.clients.s3.put_object(
                Bucket=bucket, Key=item.key, Body=item.stream.data, ContentType="text/csv"
            )
            sandbox.clock.set(item.hour + timedelta(minutes=30))
            response = invoke_function(
                s3_event(bucket, [item.key], region=world.settings.region), settings, log
            )
            summary.files.append(f"s3://{bucket}/{item.key}")
            summary.rows_read += response["rows_read"]
            summary.rows_stored += response["rows_stored"]
            summary.rows_rejected += response["rows_rejected"]
            summary.rows_failed += response["rows_failed"]
            summary.endpoint_requests += response["endpoint_requests"]
            for file in response["files"]:
                if file["rejected_rows_object"]:
                    summary.rejected_objects.append(file["rejected_rows_object"])
            progress.note(
                f"{item.key}{' (drifted)' if item.drifted else ''}: {response['rows_read']} rows read, "
                f"{response['rows_stored']} stored, {response['rows_rejected']} rejected"
            )
    storage = Storage(sandbox.clients.s3)
    for location in summary.rejected_objects[:1]:
        rows = list(csv.DictReader(io.StringIO(storage.read_text(location))))
        summary.rejected_examples = [row[s3_objects.REASON_COLUMN] for row in rows[:3]]
    summary.table_items, summary.stored_examples = _table_contents(
        sandbox.clients.dynamodb, settings.table_name
    )
    return summary


def _table_contents(dynamodb: DynamoDBClient, table: str) -> tuple[int, list[dict[str, Any]]]:
    items: list[dict[str, Any]] = []
    for page in dynamodb.get_paginator("scan").paginate(TableName=table):
        items += [store.from_dynamodb(raw) for raw in page["Items"]]
    predictions = [i for i in items if not str(i[store.TRANSACTION_ID]).startswith(store.RESERVED_ID_PREFIX)]
    examples = sorted(predictions, key=lambda i: -float(i[store.FRAUD_PROBABILITY_PCT]))[:3]
    shown = (store.TRANSACTION_ID, store.PREDICTION, store.FRAUD_PROBABILITY_PCT, store.INFERENCE_ID)
    return len(predictions), [{k: str(example.get(k)) for k in shown} for example in examples]


def write_labels(
    sandbox: Sandbox, world: World, traffic: list[HourOfTraffic], ground_truth_uri: str
) -> dict[str, Any]:
    """One label per stored prediction (its ``Is Fraudulent`` from the generated data); each hour's labels
    are collected in the hour after it (``monitoring_runs.label_collection_time``), one file per hour."""
    stored = {
        str(store.from_dynamodb(raw)[store.TRANSACTION_ID])
        for page in sandbox.clients.dynamodb.get_paginator("scan").paginate(
            TableName=world.settings.predictions_table
        )
        for raw in page["Items"]
    }
    files, collected, count = [], [], 0
    for item in traffic:
        transactions = item.stream.transactions
        scored = transactions[transactions[contract.TRANSACTION_ID].isin(stored)]
        records = [
            GroundTruthRecord(event_id=str(tid), label=str(int(label)))
            for tid, label in zip(scored[contract.TRANSACTION_ID], scored[contract.LABEL_COLUMN], strict=True)
        ]
        collected_at = label_collection_time(item.hour)
        files.append(write_ground_truth(Storage(sandbox.clients.s3), ground_truth_uri, records, collected_at))
        collected.append(format_utc(collected_at))
        count += len(records)
    return {"labels": count, "files": files, "collected_at": collected, "uri": ground_truth_uri}
