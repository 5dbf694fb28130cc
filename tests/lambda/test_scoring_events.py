"""The objects of an S3 event notification, keys decoded."""

from __future__ import annotations

import pytest
from scoring_world import BUCKET, s3_event, s3_record
from transaction_scoring.errors import EventError
from transaction_scoring.events import objects_in
from transaction_scoring.s3_objects import ObjectRef


@pytest.mark.parametrize(
    "key",
    [
        "incoming/with space.csv",
        "incoming/O'Brien's.csv",
        "incoming/plus+sign.csv",
        "incoming/100%.csv",
        "incoming/année/été.csv",
        "incoming/(1) [draft] & final=yes?.csv",
    ],
)
def test_keys_are_decoded_as_s3_encoded_them(key: str) -> None:
    assert objects_in(s3_event(key)).objects == [ObjectRef(BUCKET, key)]


def test_the_encoding_s3_uses_is_decoded_including_plus_for_space() -> None:
    record = s3_record(BUCKET, "x")
    record["s3"]["object"]["key"] = "incoming/O%27Brien%27s+file%2B1.csv"
    assert objects_in({"Records": [record]}).objects == [ObjectRef(BUCKET, "incoming/O'Brien's file+1.csv")]


def test_every_record_of_an_event_is_returned_in_order() -> None:
    event = s3_event("incoming/a.csv", "incoming/b c.csv")
    event["Records"].append(s3_record("other-bucket", "incoming/c.csv"))
    assert objects_in(event).objects == [
        ObjectRef(BUCKET, "incoming/a.csv"),
        ObjectRef(BUCKET, "incoming/b c.csv"),
        ObjectRef("other-bucket", "incoming/c.csv"),
    ]


def test_records_that_are_not_object_creations_are_set_aside() -> None:
    event = {
        "Records": [
            s3_record(BUCKET, "incoming/a.csv", "ObjectRemoved:Delete"),
            s3_record(BUCKET, "incoming/b.csv"),
        ]
    }
    found = objects_in(event)
    assert found.objects == [ObjectRef(BUCKET, "incoming/b.csv")]
    assert found.ignored == ["record 0: aws:s3 ObjectRemoved:Delete"]


def test_the_s3_test_event_has_no_objects() -> None:
    found = objects_in({"Service": "Amazon S3", "Event": "s3:TestEvent", "Bucket": BUCKET})
    assert found.objects == []
    assert found.ignored == [f"s3:TestEvent for bucket {BUCKET!r}"]


def test_an_event_without_records_is_refused() -> None:
    with pytest.raises(EventError, match="the event has no 'Records' list \\(keys: \\['detail'\\]\\)"):
        objects_in({"detail": {}})


def test_a_record_without_its_s3_part_is_refused_naming_it() -> None:
    event = s3_event("incoming/a.csv")
    del event["Records"][0]["s3"]
    with pytest.raises(EventError, match="event record 0: missing 's3'"):
        objects_in(event)
