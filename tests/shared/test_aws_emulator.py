"""The sandbox's moto server: local, isolated, and reachable by plain boto3 clients."""

from __future__ import annotations

import os

import boto3


def test_clients_reach_the_emulator_with_fake_credentials(aws_emulator) -> None:
    assert os.environ["AWS_ENDPOINT_URL"] == aws_emulator.endpoint_url
    assert aws_emulator.endpoint_url.startswith("http://127.0.0.1:")
    s3 = boto3.client("s3")
    s3.create_bucket(Bucket="sandbox-check")
    assert [b["Name"] for b in s3.list_buckets()["Buckets"]] == ["sandbox-check"]
    assert boto3.Session().get_credentials().access_key == "testing"


def test_reset_gives_each_test_a_clean_account(aws_emulator) -> None:
    assert boto3.client("s3").list_buckets()["Buckets"] == []
