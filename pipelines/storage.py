"""Read and write files that live either on local disk or in S3, through one small interface.

Every command accepts local paths and ``s3://`` URIs alike (a capture folder copied to a laptop, or the
bucket itself), so I/O goes through ``Storage`` instead of branching at every call site. The S3 client is
passed in, never created here.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any

from pipelines.errors import StorageError
from pipelines.jsonio import dumps_pretty
from pipelines.s3uri import S3Uri, is_s3_uri

if TYPE_CHECKING:
    from mypy_boto3_s3 import S3Client
else:
    S3Client = Any


class Storage:
    """Local-or-S3 file access. ``s3`` may be None when only local paths are used."""

    def __init__(self, s3: S3Client | None = None) -> None:
        self._s3 = s3

    @property
    def s3(self) -> S3Client:
        if self._s3 is None:
            raise RuntimeError("this Storage has no S3 client; pass one to read or write s3:// locations")
        return self._s3

    # -- reading -------------------------------------------------------------------------------------
    def read_bytes(self, location: str) -> bytes:
        if is_s3_uri(location):
            uri = S3Uri.parse(location)
            try:
                return self.s3.get_object(Bucket=uri.bucket, Key=uri.key)["Body"].read()
            except self.s3.exceptions.NoSuchKey:
                raise StorageError(f"{location}: no such S3 object") from None
            except self.s3.exceptions.NoSuchBucket:
                raise StorageError(f"{location}: bucket {uri.bucket!r} does not exist") from None
        try:
            return Path(location).read_bytes()
        except FileNotFoundError:
            raise StorageError(f"{location}: no such file") from None
        except IsADirectoryError:
            raise StorageError(f"{location}: is a folder, expected a file") from None

    def read_text(self, location: str) -> str:
        data = self.read_bytes(location)
        try:
            return data.decode("utf-8-sig")
        except UnicodeDecodeError as exc:
            raise StorageError(f"{location}: not UTF-8 text ({exc.reason} at byte {exc.start})") from None

    def read_json(self, location: str) -> Any:
        try:
            return json.loads(self.read_text(location))
        except json.JSONDecodeError as exc:
            raise StorageError(
                f"{location}: not valid JSON ({exc.msg} at line {exc.lineno} column {exc.colno})"
            ) from None

    def exists(self, location: str) -> bool:
        if is_s3_uri(location):
            uri = S3Uri.parse(location)
            response = self.s3.list_objects_v2(Bucket=uri.bucket, Prefix=uri.key, MaxKeys=1)
            return any(obj["Key"] == uri.key for obj in response.get("Contents", []))
        return Path(location).is_file()

    def list_files(self, location: str, suffix: str = "") -> list[str]:
        """Every file below a folder or S3 prefix (recursively), sorted, optionally by name suffix."""
        return sorted(self.iter_files(location, suffix))

    def iter_files(self, location: str, suffix: str = "") -> Iterator[str]:
        if is_s3_uri(location):
            uri = S3Uri.parse(location)
            paginator = self.s3.get_paginator("list_objects_v2")
            try:
                for page in paginator.paginate(Bucket=uri.bucket, Prefix=uri.prefix):
                    for obj in page.get("Contents", []):
                        if obj["Key"].endswith(suffix) and not obj["Key"].endswith("/"):
                            yield str(S3Uri(uri.bucket, obj["Key"]))
            except self.s3.exceptions.NoSuchBucket:
                raise StorageError(f"{location}: bucket {uri.bucket!r} does not exist") from None
            return
        root = Path(location)
        if not root.exists():
            return
        for path in root.rglob(f"*{suffix}"):
            if path.is_file():
                yield str(path)

    # -- writing -------------------------------------------------------------------------------------
    def write_bytes(self, location: str, data: bytes, content_type: str = "application/octet-stream") -> str:
        if is_s3_uri(location):
            uri = S3Uri.parse(location)
            self.s3.put_object(Bucket=uri.bucket, Key=uri.key, Body=data, ContentType=content_type)
        else:
            path = Path(location)
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_bytes(data)
        return location

    def write_text(self, location: str, text: str, content_type: str = "text/plain") -> str:
        return self.write_bytes(location, text.encode(), content_type)

    def write_json(self, location: str, obj: Any) -> str:
        return self.write_bytes(location, dumps_pretty(obj), "application/json")


def split_location(location: str) -> tuple[str, str]:
    """``(folder, file name)`` of a local path or S3 URI."""
    if is_s3_uri(location):
        uri = S3Uri.parse(location)
        return str(uri.parent), uri.name
    path = Path(location)
    return str(path.parent), path.name


def join_location(base: str, *parts: str) -> str:
    """``base/part/...`` for a local folder or an S3 prefix."""
    if is_s3_uri(base):
        return str(S3Uri.parse(base).join(*parts))
    return str(Path(base).joinpath(*[p.strip("/") for p in parts]))
