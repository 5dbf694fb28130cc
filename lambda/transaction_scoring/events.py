"""The objects an S3 event notification is about.

Keys arrive URL-encoded (a space as ``+``, a quote as ``%27``, ...):
https://docs.aws.amazon.com/AmazonS3/latest/userguide/notification-content-structure.html . Powertools'
``S3Event`` decodes only ``S3Event.object_key`` (the first record's key); ``record.s3.get_object.key`` is the
raw value, so each record's key is decoded here with ``unquote_plus`` (``+`` -> space, ``%2B`` -> ``+``).

Each object keeps the record's ``versionId`` and ``eTag``: the function reads exactly that content, not
whatever the key holds when the event is processed (issue 13, "silent loss on overwrite").
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import unquote_plus

from aws_lambda_powertools.utilities.data_classes import S3Event

from transaction_scoring.errors import EventError
from transaction_scoring.s3_objects import ObjectRef

# S3 sends this once when a notification is configured; it has no records.
S3_TEST_EVENT = "s3:TestEvent"
OBJECT_CREATED_PREFIX = "ObjectCreated:"


@dataclass
class EventObjects:
    """The objects to score, and the records that were not object creations (for the log)."""

    objects: list[ObjectRef] = field(default_factory=list)
    ignored: list[str] = field(default_factory=list)


def objects_in(event: Mapping[str, Any]) -> EventObjects:
    """The created objects of an S3 event notification, in record order (keys decoded)."""
    result = EventObjects()
    if event.get("Event") == S3_TEST_EVENT:
        result.ignored.append(f"{S3_TEST_EVENT} for bucket {event.get('Bucket')!r}")
        return result
    records = event.get("Records")
    if not isinstance(records, list):
        raise EventError(
            f"the event has no 'Records' list (keys: {sorted(event)}): expected an S3 event notification "
            "(https://docs.aws.amazon.com/AmazonS3/latest/userguide/notification-content-structure.html)"
        )
    problems: list[str] = []
    for index, record in enumerate(S3Event(dict(event)).records):
        try:
            source, name = record.event_source, record.event_name
            bucket, raw_key = record.s3.bucket.name, record.s3.get_object.key
        except (KeyError, TypeError) as missing:
            problems.append(f"event record {index}: missing {missing} (not an S3 event notification record)")
            continue
        if source != "aws:s3" or not name.startswith(OBJECT_CREATED_PREFIX):
            result.ignored.append(f"record {index}: {source} {name}")
            continue
        found = record.s3.get_object
        result.objects.append(
            ObjectRef(
                bucket=bucket,
                key=unquote_plus(raw_key),
                version_id=found.version_id or None,
                etag=found.etag.strip('"') or None,
            )
        )
    if problems:
        raise EventError(problems)
    return result
