"""Where a file stands between invocations: one checkpoint item per object version in the predictions table.

Why (issue 13, "resume, don't re-read"): an attempt that stops before the Lambda timeout used to leave the
retry to re-read the file from line 1, checking every stored row again, so a file of more than ~1.5 million
rows could never finish in Lambda's three attempts. Now an attempt that does not finish a file writes where it
stopped (the byte offset of the next unread record, its line number, the header, the ETag of the content read)
and which output objects it left (the rejected rows so far, to be continued; the failed rows, to be tried
again, with the predictions of rows that were scored but not stored). The next attempt continues from that
byte with a ranged GET. A finished file is marked ``complete``, so a replayed event is acknowledged at once.

The item shares the table with the predictions under a reserved key (``#progress `` + the object's identity:
``s3://bucket/key?versionId=…``, or ``#etag=…`` without versioning). It expires by TTL ``RETENTION_S`` after
its last write: longer than S3 redelivers events and Lambda retries them (6 hours at most here), after which a
replay simply re-reads the file and finds its rows stored.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal
from enum import StrEnum
from typing import Any

from transaction_scoring import store
from transaction_scoring.retry import GAVE_UP, RetryPolicy, describe
from transaction_scoring.rows import RESERVED_ID_PREFIX
from transaction_scoring.s3_objects import ObjectRef, WrittenObject

PROGRESS_KEY_PREFIX = f"{RESERVED_ID_PREFIX}progress "
RETENTION_S = 7 * 24 * 3600

_STATE = "State"
_ETAG = "ContentETag"
_NEXT_OFFSET = "NextOffset"
_NEXT_LINE = "NextLine"
_HEADER = "Header"
_REJECTED = "RejectedRows"
_FAILED = "FailedRows"
_EXECUTION = "Execution"
_ATTEMPTS = "Attempts"
_UPDATED_BY = "UpdatedBy"
_DETAIL = "Detail"


class State(StrEnum):
    READING = "reading"  # stopped early: continue at next_offset
    RETRYING = "retrying"  # read to the end; the rows in ``failed`` must be tried again
    COMPLETE = "complete"  # every row is stored or rejected
    REJECTED = "rejected"  # the file cannot be read as a transaction CSV (header, compression, line length)
    FANNED_OUT = "fanned_out"  # scored in slices by the Step Functions execution ``execution``


TERMINAL_STATES = frozenset({State.COMPLETE, State.REJECTED, State.FANNED_OUT})


@dataclass
class Progress:
    """The checkpoint of one object version."""

    identity: str
    state: State
    etag: str = ""
    next_offset: int = 0
    next_line: int = 1
    header: list[str] = field(default_factory=list)
    rejected: WrittenObject | None = None
    failed: WrittenObject | None = None
    execution: str = ""
    attempts: int = 0
    updated_by: str = ""
    detail: str = ""


class ProgressUnavailable(Exception):
    """The checkpoint could not be read or written (after retries)."""


def progress_key(identity: str) -> str:
    return f"{PROGRESS_KEY_PREFIX}{identity}"


def read_progress(client: Any, table_name: str, identity: str, policy: RetryPolicy) -> Progress | None:
    try:
        response = policy.call(
            lambda: client.get_item(
                TableName=table_name,
                Key={store.TRANSACTION_ID: {"S": progress_key(identity)}},
                ConsistentRead=True,
            )
        )
    except client.exceptions.ResourceNotFoundException:
        raise
    except GAVE_UP as error:
        raise ProgressUnavailable(f"reading the checkpoint of {identity}: {describe(error)}") from error
    raw = response.get("Item")
    return None if raw is None else _from_item(identity, store.from_dynamodb(raw))


def write_progress(client: Any, table_name: str, progress: Progress, policy: RetryPolicy, now_s: int) -> None:
    item = _to_item(progress)
    item[store.LEASE_EXPIRES_AT] = Decimal(now_s + RETENTION_S)
    try:
        policy.call(lambda: client.put_item(TableName=table_name, Item=store.to_dynamodb(item)))
    except GAVE_UP as error:
        raise ProgressUnavailable(
            f"writing the checkpoint of {progress.identity}: {describe(error)}"
        ) from error


def _to_item(progress: Progress) -> dict[str, Any]:
    item: dict[str, Any] = {
        store.TRANSACTION_ID: progress_key(progress.identity),
        _STATE: progress.state.value,
        _NEXT_OFFSET: Decimal(progress.next_offset),
        _NEXT_LINE: Decimal(progress.next_line),
        _ATTEMPTS: Decimal(progress.attempts),
    }
    optional: dict[str, Any] = {
        _ETAG: progress.etag,
        _HEADER: list(progress.header),
        _REJECTED: _written_to_item(progress.rejected),
        _FAILED: _written_to_item(progress.failed),
        _EXECUTION: progress.execution,
        _UPDATED_BY: progress.updated_by,
        _DETAIL: progress.detail,
    }
    item.update({name: value for name, value in optional.items() if value})
    return item


def _from_item(identity: str, item: dict[str, Any]) -> Progress:
    return Progress(
        identity=identity,
        state=State(item[_STATE]),
        etag=str(item.get(_ETAG, "")),
        next_offset=int(item.get(_NEXT_OFFSET, 0)),
        next_line=int(item.get(_NEXT_LINE, 1)),
        header=[str(cell) for cell in item.get(_HEADER, [])],
        rejected=_written_from_item(item.get(_REJECTED)),
        failed=_written_from_item(item.get(_FAILED)),
        execution=str(item.get(_EXECUTION, "")),
        attempts=int(item.get(_ATTEMPTS, 0)),
        updated_by=str(item.get(_UPDATED_BY, "")),
        detail=str(item.get(_DETAIL, "")),
    )


def _written_to_item(written: WrittenObject | None) -> dict[str, Any] | None:
    if written is None:
        return None
    ref = written.ref
    fields = {"Bucket": ref.bucket, "Key": ref.key, "VersionId": ref.version_id, "ETag": ref.etag}
    return {**{k: v for k, v in fields.items() if v}, "Size": Decimal(written.size)}


def _written_from_item(value: Any) -> WrittenObject | None:
    if not value:
        return None
    ref = ObjectRef(
        bucket=str(value["Bucket"]),
        key=str(value["Key"]),
        version_id=str(value["VersionId"]) if value.get("VersionId") else None,
        etag=str(value["ETag"]) if value.get("ETag") else None,
    )
    return WrittenObject(ref, int(value["Size"]))
