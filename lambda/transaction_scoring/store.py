"""The predictions table: what an item holds, which transactions are already stored, batch writes, leases.

Idempotency (S3 delivers events at least once; Lambda retries failed invocations):
- before scoring a chunk of rows, ``find_stored`` reads (strongly consistent) which of their IDs are already
  in the table and from which file and line, so a replayed event neither re-invokes the endpoint (no
  duplicate data capture) nor rewrites a stored prediction;
- a file is scored under a *lease* (``acquire_lease``: one conditional write per file), so two deliveries of
  the same object never run at the same time and race between their check and their write;
- predictions are then written with ``BatchWriteItem`` (25 items a call). A conditional ``PutItem`` per row
  would guard each write on its own, but costs one API call per transaction (measured: many times the client
  CPU per row of a batch write, docs/benchmarks.md), which caps throughput far below what the endpoint allows.
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import Any, cast

from boto3.dynamodb.types import TypeDeserializer, TypeSerializer
from botocore.exceptions import ClientError

from transaction_scoring import contract
from transaction_scoring.retry import RETRIED_EXCEPTIONS, OutOfTime, RetryPolicy, describe
from transaction_scoring.rows import RESERVED_ID_PREFIX, ValidRow

# Item attributes.
TRANSACTION_ID = "TransactionID"  # partition key (string)
PREDICTION = "Prediction"  # the class, 0 or 1
FRAUD_PROBABILITY_PCT = "FraudProbabilityPct"  # the endpoint's probability, in percent
TIMESTAMP = "Timestamp"  # when the prediction was made, UTC ISO-8601
ENDPOINT_NAME = "EndpointName"
ENDPOINT_VARIANT = "EndpointVariant"  # production variant that answered
INFERENCE_ID = "InferenceId"  # the request's InferenceId: the key to its data-capture record
SOURCE_OBJECT = "SourceObject"  # s3://bucket/key of the input file
SOURCE_VERSION = "SourceVersion"  # its S3 version (versioned buckets)
SOURCE_LINE = "SourceLine"  # line of the input file the row ended on
CUSTOMER_ID = "CustomerID"
# Stored only with STORE_PERSONAL_DATA=true (``rows.PERSONAL_COLUMNS`` says why the Customer ID is one).
PERSONAL_DATA_ATTRIBUTES: Mapping[str, str] = {
    contract.CUSTOMER_ID: CUSTOMER_ID,
    contract.IP_ADDRESS: "IPAddress",
    contract.SHIPPING_ADDRESS: "ShippingAddress",
    contract.BILLING_ADDRESS: "BillingAddress",
}
# Lease items share the table; their keys start with the reserved prefix no Transaction ID may use.
LEASE_KEY_PREFIX = f"{RESERVED_ID_PREFIX}lease "
LEASE_OWNER = "LeaseOwner"
# Epoch seconds: a lease's end, and the table's TTL attribute (stale leases and old checkpoints vanish).
LEASE_EXPIRES_AT = "LeaseExpiresAt"

# API limits: https://docs.aws.amazon.com/amazondynamodb/latest/APIReference/API_BatchGetItem.html and
# https://docs.aws.amazon.com/amazondynamodb/latest/APIReference/API_BatchWriteItem.html
BATCH_GET_LIMIT = 100
BATCH_WRITE_LIMIT = 25

_serializer = TypeSerializer()
_deserializer = TypeDeserializer()


class StoreFailure(Exception):
    """DynamoDB could not complete a call (non-retryable error, retries exhausted, or no time left)."""

    def __init__(self, reason: str, code: str = "") -> None:
        super().__init__(reason)
        self.reason = reason
        self.code = code  # the service's error code, when it answered with one


@dataclass(frozen=True, slots=True)
class StoredRef:
    """Where an already-stored prediction came from."""

    source_object: str
    source_line: int | None


@dataclass(frozen=True, slots=True)
class ScoredRow:
    """A validated row with its prediction, ready to be stored."""

    row: ValidRow
    prediction: contract.Prediction
    inference_id: str
    variant: str
    scored_at: str  # UTC ISO-8601, when the endpoint answered


def prediction_item(
    scored: ScoredRow, *, endpoint_name: str, source_object: str, source_version: str | None = None
) -> dict[str, Any]:
    """The item stored for a scored row. Numbers are ``Decimal`` (DynamoDB's type; no float ever)."""
    row = scored.row
    item: dict[str, Any] = {
        TRANSACTION_ID: row.transaction_id,
        PREDICTION: Decimal(scored.prediction.label),
        # repr() is the shortest text that round-trips the float, so the Decimal is exactly what was answered.
        FRAUD_PROBABILITY_PCT: Decimal(repr(scored.prediction.probability_pct)),
        TIMESTAMP: scored.scored_at,
        ENDPOINT_NAME: endpoint_name,
        INFERENCE_ID: scored.inference_id,
        SOURCE_OBJECT: source_object,
        SOURCE_LINE: Decimal(row.line),
    }
    if source_version:
        item[SOURCE_VERSION] = source_version
    if scored.variant:
        item[ENDPOINT_VARIANT] = scored.variant
    if row.personal_data:
        for column, attribute in PERSONAL_DATA_ATTRIBUTES.items():
            if row.personal_data.get(column):
                item[attribute] = row.personal_data[column]
    return item


def to_dynamodb(item: Mapping[str, Any]) -> dict[str, Any]:
    """Wire format of an item. boto3's serializer refuses floats, which keeps them out of the table."""
    return {name: _serializer.serialize(value) for name, value in item.items()}


def from_dynamodb(item: Mapping[str, Any]) -> dict[str, Any]:
    return {name: _deserializer.deserialize(value) for name, value in item.items()}


def _pieces(values: Sequence[Any], size: int) -> Iterator[Sequence[Any]]:
    for start in range(0, len(values), size):
        yield values[start : start + size]


def find_stored(
    client: Any, table_name: str, transaction_ids: Sequence[str], policy: RetryPolicy
) -> dict[str, StoredRef]:
    """Which of ``transaction_ids`` are already stored, and from which file and line (consistent read)."""
    found: dict[str, StoredRef] = {}
    for piece in _pieces(transaction_ids, BATCH_GET_LIMIT):
        request: dict[str, Any] = {
            table_name: {
                "Keys": [{TRANSACTION_ID: {"S": transaction_id}} for transaction_id in piece],
                "ConsistentRead": True,
                "ProjectionExpression": "#id, #source, #line",
                "ExpressionAttributeNames": {
                    "#id": TRANSACTION_ID,
                    "#source": SOURCE_OBJECT,
                    "#line": SOURCE_LINE,
                },
            }
        }
        for response in _until_processed(
            lambda request: client.batch_get_item(RequestItems=request),
            request,
            "UnprocessedKeys",
            policy,
            f"BatchGetItem on {table_name}",
        ):
            for raw in response.get("Responses", {}).get(table_name, []):
                item = from_dynamodb(raw)
                line = item.get(SOURCE_LINE)
                found[item[TRANSACTION_ID]] = StoredRef(
                    source_object=str(item.get(SOURCE_OBJECT, "")),
                    source_line=None if line is None else int(line),
                )
    return found


def write_items(
    client: Any, table_name: str, items: Sequence[Mapping[str, Any]], policy: RetryPolicy
) -> None:
    """Write ``items`` (Python values), 25 per call, retrying throttling and unprocessed items.

    Raises ``StoreFailure`` naming the call and the error when a piece still fails; pieces written before it
    stay written (the caller reports which rows failed).
    """
    for piece in _pieces(items, BATCH_WRITE_LIMIT):
        request = {table_name: [{"PutRequest": {"Item": to_dynamodb(item)}} for item in piece]}
        for _ in _until_processed(
            lambda request: client.batch_write_item(RequestItems=request),
            request,
            "UnprocessedItems",
            policy,
            f"BatchWriteItem on {table_name}",
        ):
            pass


def write_items_isolating(
    client: Any, table_name: str, items: Sequence[Mapping[str, Any]], policy: RetryPolicy
) -> dict[int, str]:
    """Write ``items`` like ``write_items``; return why each item that could not be written was not, by index.

    DynamoDB refuses a whole ``BatchWriteItem`` for one invalid item (e.g. larger than 400 KB): such a piece
    is written again one item per call, so that only the item it refuses fails (issue 13: one oversized cell
    failed its 24 neighbours on every attempt).
    """
    failures: dict[int, str] = {}
    for start in range(0, len(items), BATCH_WRITE_LIMIT):
        piece = items[start : start + BATCH_WRITE_LIMIT]
        try:
            write_items(client, table_name, piece, policy)
        except StoreFailure as failure:
            if failure.code != "ValidationException" or len(piece) == 1:
                failures.update({start + i: failure.reason for i in range(len(piece))})
                continue
            for i, item in enumerate(piece):
                try:
                    write_items(client, table_name, [item], policy)
                except StoreFailure as single:
                    failures[start + i] = single.reason
    return failures


def _until_processed(
    call: Callable[[dict[str, Any]], dict[str, Any]],
    request: dict[str, Any],
    unprocessed_field: str,
    policy: RetryPolicy,
    what: str,
) -> Iterator[dict[str, Any]]:
    """Responses of a batch call, re-sent with its unprocessed part (after a backoff) until none is left.

    Throttled parts come back as unprocessed rather than as errors, so they get the same number of attempts
    and the same backoff as errors do.
    """
    delays = policy.delays()
    attempt = 1
    while True:
        try:
            response = policy.call(functools.partial(call, request))
        except OutOfTime as error:
            raise StoreFailure(f"DynamoDB {what}: {error}") from error
        except RETRIED_EXCEPTIONS as error:
            code = error.response.get("Error", {}).get("Code", "") if isinstance(error, ClientError) else ""
            raise StoreFailure(f"DynamoDB {what}: {describe(error)}", str(code)) from error
        yield response
        unprocessed = response.get(unprocessed_field) or {}
        if not unprocessed:
            return
        delay = next(delays, None)
        if delay is None or not policy.time_for(delay):
            pending = sum(len(v["Keys"]) if isinstance(v, dict) else len(v) for v in unprocessed.values())
            raise StoreFailure(
                f"DynamoDB {what}: {pending} items still unprocessed (throttled) after {attempt} attempts"
            )
        policy.sleep(delay)
        request = unprocessed
        attempt += 1


# -- leases ----------------------------------------------------------------------------------------------


def lease_key(source_object: str) -> str:
    return f"{LEASE_KEY_PREFIX}{source_object}"


@dataclass(frozen=True, slots=True)
class LeaseHolder:
    """Who holds a file's lease (another invocation), and until when (epoch seconds)."""

    owner: str
    expires_at: int


def acquire_lease(
    client: Any,
    table_name: str,
    source_object: str,
    *,
    owner: str,
    now_s: int,
    expires_at_s: int,
    take_over_own: bool = False,
) -> LeaseHolder | None:
    """Take the file's lease unless another invocation holds an unexpired one (returned then).

    ``take_over_own``: a lease held under the same ``owner`` is taken over. Only for owners that are never two
    running invocations at once: a fan-out slice's child execution, whose Lambda task is synchronous, so its
    retry starts after the earlier attempt ended (and may have failed to release the lease).
    """
    condition = "attribute_not_exists(#id) OR #expires < :now"
    names = {"#id": TRANSACTION_ID, "#expires": LEASE_EXPIRES_AT}
    values: dict[str, Any] = {":now": {"N": str(now_s)}}
    if take_over_own:
        condition += " OR #owner = :owner"
        names["#owner"] = LEASE_OWNER
        values[":owner"] = {"S": owner}
    try:
        client.put_item(
            TableName=table_name,
            Item=to_dynamodb(
                {
                    TRANSACTION_ID: lease_key(source_object),
                    LEASE_OWNER: owner,
                    LEASE_EXPIRES_AT: Decimal(expires_at_s),
                }
            ),
            ConditionExpression=condition,
            ExpressionAttributeNames=names,
            ExpressionAttributeValues=values,
            ReturnValuesOnConditionCheckFailure="ALL_OLD",
        )
    except ClientError as error:
        if error.response.get("Error", {}).get("Code") != "ConditionalCheckFailedException":
            raise
        # With ReturnValuesOnConditionCheckFailure, the error answer holds the item ("Item", not in its stub).
        held = from_dynamodb(cast("Mapping[str, Any]", error.response.get("Item") or {}))
        return LeaseHolder(
            owner=str(held.get(LEASE_OWNER, "?")), expires_at=int(held.get(LEASE_EXPIRES_AT, 0))
        )
    return None


def release_lease(client: Any, table_name: str, source_object: str, *, owner: str) -> None:
    """Give the lease back (only if still ours: an expired lease may have been taken over)."""
    try:
        client.delete_item(
            TableName=table_name,
            Key={TRANSACTION_ID: {"S": lease_key(source_object)}},
            ConditionExpression="#owner = :owner",
            ExpressionAttributeNames={"#owner": LEASE_OWNER},
            ExpressionAttributeValues={":owner": {"S": owner}},
        )
    except ClientError as error:
        if error.response.get("Error", {}).get("Code") != "ConditionalCheckFailedException":
            raise
