"""S3 URIs and local-or-S3 storage: one implementation, used by every command."""

from __future__ import annotations

import boto3
import pytest
from moto import mock_aws

from pipelines.errors import InvalidS3Uri, StorageError
from pipelines.s3uri import S3Uri, is_s3_uri
from pipelines.storage import Storage, join_location


def test_parse_splits_bucket_and_key() -> None:
    uri = S3Uri.parse("s3://my-bucket/a/b/c.json")
    assert (uri.bucket, uri.key, uri.name, str(uri.parent)) == (
        "my-bucket",
        "a/b/c.json",
        "c.json",
        "s3://my-bucket/a/b",
    )


def test_join_normalises_slashes() -> None:
    assert str(S3Uri("b", "a/").join("/c/", "d.json")) == "s3://b/a/c/d.json"
    assert S3Uri("b", "").prefix == ""
    assert S3Uri("b", "x").prefix == "x/"


@pytest.mark.parametrize("bad", ["", "b/k", "https://b/k", "s3://", "s3://UPPER/k", "s3://a/k"])
def test_parse_rejects_non_s3_uris_with_the_value_in_the_message(bad: str) -> None:
    with pytest.raises(InvalidS3Uri, match=r"is not an S3 URI|invalid bucket name") as error:
        S3Uri.parse(bad, what="--baseline")
    assert repr(bad) in str(error.value)
    assert "--baseline" in str(error.value)


def test_is_s3_uri() -> None:
    assert is_s3_uri("s3://b/k")
    assert not is_s3_uri("/tmp/k")


def test_local_round_trip_and_listing(tmp_path) -> None:
    storage = Storage()
    target = join_location(str(tmp_path), "x", "y.json")
    storage.write_json(target, {"a": float("nan")})
    assert storage.read_json(target) == {"a": "NaN"}
    assert storage.list_files(str(tmp_path), ".json") == [target]
    assert storage.exists(target)
    assert not storage.exists(target + ".missing")


def test_missing_local_file_is_a_user_error(tmp_path) -> None:
    with pytest.raises(StorageError, match="no such file"):
        Storage().read_bytes(str(tmp_path / "nope.json"))


def test_bad_json_names_file_line_and_column(tmp_path) -> None:
    path = tmp_path / "bad.json"
    path.write_text('{"a": 1,\n  oops}')
    with pytest.raises(StorageError, match=r"bad.json: not valid JSON .* line 2 column 3"):
        Storage().read_json(str(path))


@mock_aws
def test_s3_round_trip_listing_and_missing_object() -> None:
    s3 = boto3.client("s3", region_name="us-east-1")
    s3.create_bucket(Bucket="bkt")
    storage = Storage(s3)
    storage.write_json("s3://bkt/p/a.json", {"k": [1, 2]})
    storage.write_text("s3://bkt/p/q/b.txt", "hello")
    assert storage.read_json("s3://bkt/p/a.json") == {"k": [1, 2]}
    assert storage.list_files("s3://bkt/p") == ["s3://bkt/p/a.json", "s3://bkt/p/q/b.txt"]
    assert storage.list_files("s3://bkt/p", ".txt") == ["s3://bkt/p/q/b.txt"]
    assert storage.exists("s3://bkt/p/a.json")
    assert not storage.exists("s3://bkt/p/a")
    with pytest.raises(StorageError, match="no such S3 object"):
        storage.read_bytes("s3://bkt/p/zzz.json")
    with pytest.raises(StorageError, match="does not exist"):
        storage.read_bytes("s3://no-such-bucket/x")
