"""The one place that parses and builds ``s3://bucket/key`` URIs."""

from __future__ import annotations

import re
from dataclasses import dataclass

from pipelines.errors import InvalidS3Uri

# Bucket naming rules: https://docs.aws.amazon.com/AmazonS3/latest/userguide/bucketnamingrules.html
_BUCKET = re.compile(r"^[a-z0-9][a-z0-9.\-]{1,61}[a-z0-9]$")


@dataclass(frozen=True, slots=True)
class S3Uri:
    """A bucket and a key (the key may be empty, or a prefix ending in ``/``)."""

    bucket: str
    key: str = ""

    @classmethod
    def parse(cls, uri: str, *, what: str = "S3 URI") -> S3Uri:
        """Parse ``s3://bucket[/key]``; ``what`` names the value in the error message."""
        if not isinstance(uri, str) or not uri.startswith("s3://"):
            raise InvalidS3Uri(f"{what} {uri!r} is not an S3 URI: expected s3://bucket/key")
        bucket, _, key = uri[len("s3://") :].partition("/")
        if not _BUCKET.match(bucket):
            raise InvalidS3Uri(
                f"{what} {uri!r} has an invalid bucket name {bucket!r}: expected 3-63 characters "
                "of lower-case letters, digits, dots and hyphens"
            )
        return cls(bucket=bucket, key=key)

    def __str__(self) -> str:
        return f"s3://{self.bucket}/{self.key}"

    def join(self, *parts: str) -> S3Uri:
        """A URI below this one: ``S3Uri("b", "a").join("c", "d.json")`` is ``s3://b/a/c/d.json``."""
        segments = [self.key.strip("/")] if self.key.strip("/") else []
        segments += [p.strip("/") for p in parts if p.strip("/")]
        return S3Uri(self.bucket, "/".join(segments))

    @property
    def parent(self) -> S3Uri:
        """The folder holding this key (``s3://b/a/c.json`` -> ``s3://b/a``)."""
        return S3Uri(self.bucket, self.key.rstrip("/").rpartition("/")[0])

    @property
    def name(self) -> str:
        """The last path segment of the key."""
        return self.key.rstrip("/").rpartition("/")[2]

    @property
    def prefix(self) -> str:
        """The key as a listing prefix: empty, or ending in ``/``."""
        stripped = self.key.strip("/")
        return f"{stripped}/" if stripped else ""


def is_s3_uri(location: str) -> bool:
    return isinstance(location, str) and location.startswith("s3://")
