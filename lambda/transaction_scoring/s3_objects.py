"""S3 side of scoring: read exactly the object an event names (from any byte offset), and stream the
rejected/failed-rows files to S3.

Reading (issue 13, "silent loss on overwrite"): with versioning on, a key overwritten before its first event
is processed holds a newer object; a plain ``GetObject`` would score the newer rows under the older event and
the older rows would never be scored. So every read names the event's ``VersionId`` (``s3:GetObjectVersion``),
and ``IfMatch`` with the event's ETag where there is no version (an unversioned bucket): an object replaced
since its event answers 412 and is left to the event of the new content. A resumed attempt reads from a byte
offset with a ranged GET. Answers are told apart per file: 404 (``NoSuchKey``/``NoSuchVersion``: deleted),
403 (access denied: without ``s3:ListBucket`` S3 answers 403 for a missing key too, which is why the role has
it) and 412 (replaced).

Writing (issue 13, "/tmp exhaustion"): rows are buffered in memory up to ``PART_BYTES`` and then uploaded as
parts of a multipart upload, so an output of any size uses neither /tmp nor more than one part of memory; a
small output is one ``PutObject``. Outputs are encrypted with the KMS key the function is given.
"""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Sequence
from dataclasses import dataclass, replace
from enum import StrEnum
from typing import Any
from urllib.parse import quote

from botocore.exceptions import ClientError, IncompleteReadError, ReadTimeoutError, ResponseStreamingError

from transaction_scoring.quarantine import REASON_COLUMN, SOURCE_LINE_COLUMN

__all__ = ["REASON_COLUMN", "SOURCE_LINE_COLUMN"]

CSV_CONTENT_TYPE = "text/csv; charset=utf-8"
# Parts of an output's multipart upload. S3's smallest part (but the last) is 5 MiB:
# https://docs.aws.amazon.com/AmazonS3/latest/userguide/qfacts.html
MIN_PART_BYTES = 5 * 1024 * 1024
PART_BYTES = 8 * 1024 * 1024
# A read that breaks half-way is continued from where it broke, this many times per object.
_REOPENS = 3
_CONTENT_RANGE = re.compile(r"bytes (\d+)-(\d+)/(\d+)")


@dataclass(frozen=True, slots=True)
class ObjectRef:
    """An S3 object (the key decoded, as S3 stores it), and which content of it, when known."""

    bucket: str
    key: str
    version_id: str | None = None  # the event's versionId (versioned buckets)
    etag: str | None = None  # the event's eTag, without quotes
    size: int | None = None

    def __str__(self) -> str:
        return f"s3://{self.bucket}/{self.key}"

    @property
    def identity(self) -> str:
        """The object and its content: what a lease or a checkpoint is about."""
        if self.version_id:
            return f"{self}?versionId={self.version_id}"
        return f"{self}#etag={self.etag}" if self.etag else str(self)

    def under(self, prefix: str, suffix: str = "") -> ObjectRef:
        """The same key under ``prefix`` in the same bucket: where this object's output rows go."""
        return ObjectRef(self.bucket, f"{prefix}{self.key}{suffix}")


class Unavailable(StrEnum):
    MISSING = "missing"  # 404: deleted (or that version is)
    FORBIDDEN = "forbidden"  # 403: the role may not read it (or its KMS key)
    CHANGED = "changed"  # 412: the key holds other content than the event's


class ObjectUnavailable(Exception):
    def __init__(self, kind: Unavailable, ref: ObjectRef, error: ClientError) -> None:
        details = error.response.get("Error", {})
        self.kind = kind
        super().__init__(f"{ref}: {details.get('Code', '?')}: {details.get('Message', '')}".rstrip(": "))


_UNAVAILABLE = {
    "NoSuchKey": Unavailable.MISSING,
    "NoSuchVersion": Unavailable.MISSING,
    "404": Unavailable.MISSING,
    "NotFound": Unavailable.MISSING,
    "AccessDenied": Unavailable.FORBIDDEN,
    "403": Unavailable.FORBIDDEN,
    "KMS.AccessDeniedException": Unavailable.FORBIDDEN,
    "PreconditionFailed": Unavailable.CHANGED,
    "412": Unavailable.CHANGED,
}


def unavailable(error: ClientError, ref: ObjectRef) -> ObjectUnavailable | None:
    """The per-file meaning of an S3 error, or None for an error that is not about this object."""
    kind = _UNAVAILABLE.get(str(error.response.get("Error", {}).get("Code", "")))
    return None if kind is None else ObjectUnavailable(kind, ref, error)


class ObjectReader:
    """An object's bytes from ``start`` on, as a ``read(n)`` stream that continues after a broken connection.

    ``etag`` (no quotes), ``version_id`` and ``size`` describe the content read, as S3 answered.
    """

    def __init__(self, s3: Any, ref: ObjectRef, *, start: int = 0) -> None:
        self._s3, self._ref = s3, ref
        self.position = start
        self._reopens = 0
        response = self._get(start)
        self.etag = str(response["ETag"]).strip('"')
        self.version_id: str | None = response.get("VersionId") or ref.version_id
        self.size = _object_size(response)
        self.content_encoding = str(response.get("ContentEncoding") or "")
        self._body = response["Body"]
        # Every later read (a reopened one) must get the same content.
        self._ref = replace(ref, etag=self.etag)

    def _get(self, start: int) -> dict[str, Any]:
        ref = self._ref
        request: dict[str, Any] = {"Bucket": ref.bucket, "Key": ref.key}
        if ref.version_id:
            request["VersionId"] = ref.version_id
        if ref.etag:
            request["IfMatch"] = f'"{ref.etag}"'
        if start:
            request["Range"] = f"bytes={start}-"
        try:
            response: dict[str, Any] = self._s3.get_object(**request)
        except ClientError as error:
            problem = unavailable(error, ref)
            if problem is None:
                raise
            raise problem from error
        return response

    def read(self, n: int) -> bytes:
        while True:
            try:
                data: bytes = self._body.read(n)
            except (ReadTimeoutError, ResponseStreamingError, IncompleteReadError):
                if self._reopens >= _REOPENS:
                    raise
                self._reopens += 1
                self._body.close()
                self._body = self._get(self.position)["Body"]
                continue
            self.position += len(data)
            return data

    def close(self) -> None:
        self._body.close()


def _object_size(response: dict[str, Any]) -> int:
    match = _CONTENT_RANGE.fullmatch(str(response.get("ContentRange") or ""))
    return int(match.group(3)) if match else int(response.get("ContentLength") or 0)


@dataclass(frozen=True, slots=True)
class WrittenObject:
    """An output object as written: what a later attempt may continue (by version, else by ETag)."""

    ref: ObjectRef
    size: int


def encryption(kms_key_id: str) -> dict[str, str]:
    """Request parameters that encrypt a new object with ``kms_key_id`` ('' = the bucket's default)."""
    return {"ServerSideEncryption": "aws:kms", "SSEKMSKeyId": kms_key_id} if kms_key_id else {}


class StreamingUpload:
    """Bytes streamed to one S3 object: a ``PutObject`` when small, a multipart upload past ``PART_BYTES``;
    never a temporary file, never more than one part in memory.

    ``carry`` is the same object written by an earlier attempt on the same file (a resumed one): the new
    object starts with it (copied server-side when it is a valid part, else read) and this attempt's bytes
    follow. Use as a context manager: an upload left unfinished by an error is aborted.
    """

    def __init__(
        self,
        s3: Any,
        ref: ObjectRef,
        source: ObjectRef,
        *,
        content_type: str,
        kms_key_id: str = "",
        carry: WrittenObject | None = None,
    ) -> None:
        self._s3, self.ref, self._source = s3, ref, source
        self._content_type, self._kms_key_id = content_type, kms_key_id
        self.buffer = io.BytesIO()
        self._upload_id: str | None = None
        self._parts: list[dict[str, Any]] = []
        self._carry = carry
        if carry is None:
            return
        try:
            if carry.size >= MIN_PART_BYTES:
                self._start_upload()
                copied = s3.upload_part_copy(
                    Bucket=ref.bucket,
                    Key=ref.key,
                    UploadId=self._upload_id,
                    PartNumber=1,
                    **_copy_source(carry.ref),
                )
                self._parts.append(
                    {"PartNumber": 1, "ETag": copied["CopyPartResult"]["ETag"], "Size": carry.size}
                )
            else:
                self.buffer.write(_read_all(s3, carry.ref))
        except ClientError as error:
            self.abort()
            problem = unavailable(error, carry.ref)
            if problem is None:
                raise
            raise problem from error

    @property
    def carried(self) -> WrittenObject | None:
        return self._carry

    def write(self, data: bytes) -> None:
        self.buffer.write(data)
        self.flush_part()

    def flush_part(self) -> None:
        """Upload the buffer as a part once it holds ``PART_BYTES``."""
        if self.buffer.tell() >= PART_BYTES:
            self._upload_part()

    def finish(self) -> WrittenObject:
        """Complete the object (whatever the buffer holds)."""
        s3, ref = self._s3, self.ref
        size = sum(part["Size"] for part in self._parts) + self.buffer.tell()
        if self._upload_id is None:
            response = s3.put_object(
                Bucket=ref.bucket,
                Key=ref.key,
                Body=self.buffer.getvalue(),
                ContentType=self._content_type,
                Metadata=self._metadata(),
                **encryption(self._kms_key_id),
            )
        else:
            if self.buffer.tell():
                self._upload_part()
            response = s3.complete_multipart_upload(
                Bucket=ref.bucket,
                Key=ref.key,
                UploadId=self._upload_id,
                MultipartUpload={
                    "Parts": [{"PartNumber": p["PartNumber"], "ETag": p["ETag"]} for p in self._parts]
                },
            )
            self._upload_id = None
        written = replace(ref, version_id=response.get("VersionId"), etag=str(response["ETag"]).strip('"'))
        return WrittenObject(written, size)

    def abort(self) -> None:
        if self._upload_id is not None:
            self._s3.abort_multipart_upload(
                Bucket=self.ref.bucket, Key=self.ref.key, UploadId=self._upload_id
            )
            self._upload_id = None

    def _metadata(self) -> dict[str, str]:
        # User metadata must be ASCII: percent-encode the key (it may hold any character).
        return {"source-object": quote(self._source.identity, safe="/:?=#")[:1024]}

    def _start_upload(self) -> None:
        self._upload_id = self._s3.create_multipart_upload(
            Bucket=self.ref.bucket,
            Key=self.ref.key,
            ContentType=self._content_type,
            Metadata=self._metadata(),
            **encryption(self._kms_key_id),
        )["UploadId"]

    def _upload_part(self) -> None:
        if self._upload_id is None:
            self._start_upload()
        data = self.buffer.getvalue()
        number = len(self._parts) + 1
        response = self._s3.upload_part(
            Bucket=self.ref.bucket, Key=self.ref.key, UploadId=self._upload_id, PartNumber=number, Body=data
        )
        self._parts.append({"PartNumber": number, "ETag": response["ETag"], "Size": len(data)})
        self.buffer.seek(0)
        self.buffer.truncate()

    def __enter__(self) -> StreamingUpload:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.abort()


class QuarantineSink(StreamingUpload):
    """CSV rows for one rejected/failed-rows file, streamed to S3 (see ``StreamingUpload``)."""

    def __init__(
        self,
        s3: Any,
        ref: ObjectRef,
        source: ObjectRef,
        header: Sequence[str],
        *,
        kms_key_id: str = "",
        carry: WrittenObject | None = None,
    ) -> None:
        super().__init__(s3, ref, source, content_type=CSV_CONTENT_TYPE, kms_key_id=kms_key_id, carry=carry)
        self._text = io.TextIOWrapper(self.buffer, encoding="utf-8", newline="", write_through=True)
        self._writer = csv.writer(self._text)
        self.rows = 0
        if carry is None:
            self._writer.writerow(header)

    def add(self, cells: Sequence[Any]) -> None:
        self._writer.writerow(cells)
        self.rows += 1
        self.flush_part()

    def publish(self) -> WrittenObject | None:
        """Finish the object. With no rows (and nothing carried) the output is deleted instead: a stale output
        of an earlier attempt must not outlive the retry that fixed it. With no new rows, a carried object
        stays as it is."""
        if not self.rows:
            if self.carried is not None:
                self.abort()
                return self.carried
            self._s3.delete_object(Bucket=self.ref.bucket, Key=self.ref.key)
            return None
        return self.finish()

    def __enter__(self) -> QuarantineSink:
        return self


def _copy_source(ref: ObjectRef) -> dict[str, Any]:
    source = {"Bucket": ref.bucket, "Key": ref.key}
    if ref.version_id:
        source["VersionId"] = ref.version_id
        return {"CopySource": source}
    return {"CopySource": source, **({"CopySourceIfMatch": f'"{ref.etag}"'} if ref.etag else {})}


def _read_all(s3: Any, ref: ObjectRef) -> bytes:
    request: dict[str, Any] = {"Bucket": ref.bucket, "Key": ref.key}
    if ref.version_id:
        request["VersionId"] = ref.version_id
    elif ref.etag:
        request["IfMatch"] = f'"{ref.etag}"'
    body = s3.get_object(**request)["Body"]
    try:
        data: bytes = body.read()
    finally:
        body.close()
    return data
