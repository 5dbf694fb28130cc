"""S3 side of scoring: stream an input object as text, and write the rows that could not be stored.

Rejected and failed rows of ``s3://bucket/KEY`` go to ``s3://bucket/{prefix}KEY`` (same bucket, same key under
a sibling prefix), as CSV: the file's own header plus ``Source Line`` and ``Reason``, then each row's original
cells. The extra columns are ignored by the scorer, so a corrected file can be uploaded again as it is.
"""

from __future__ import annotations

import csv
import io
import tempfile
from collections.abc import Sequence
from dataclasses import dataclass
from typing import IO, Any, TextIO
from urllib.parse import quote

# Columns appended to the file's own header in rejected/failed-rows objects.
SOURCE_LINE_COLUMN = "Source Line"
REASON_COLUMN = "Reason"
CSV_CONTENT_TYPE = "text/csv; charset=utf-8"
# Rows kept in memory before the output spills to a temporary file (Lambda's /tmp), so memory stays flat.
_SPOOL_BYTES = 4 * 1024 * 1024
# Bytes per read from S3: large reads keep the per-call overhead small without holding the file.
_READ_CHUNK_BYTES = 1024 * 1024


@dataclass(frozen=True, slots=True)
class ObjectRef:
    """An S3 object (the key decoded, as S3 stores it)."""

    bucket: str
    key: str

    def __str__(self) -> str:
        return f"s3://{self.bucket}/{self.key}"

    def under(self, prefix: str) -> ObjectRef:
        """The same key under ``prefix`` in the same bucket: where this object's output rows go."""
        return ObjectRef(self.bucket, f"{prefix}{self.key}")


def open_text(s3: Any, ref: ObjectRef) -> TextIO | None:
    """The object as a text stream (UTF-8, BOM dropped, bad bytes replaced), or None if it does not exist.

    ``newline=""`` hands CR/LF to the CSV reader untouched, as it requires for CRLF files and quoted cells.
    """
    try:
        body = s3.get_object(Bucket=ref.bucket, Key=ref.key)["Body"]
    except s3.exceptions.NoSuchKey:
        return None
    stream = io.TextIOWrapper(body, encoding="utf-8-sig", errors="replace", newline="")
    stream._CHUNK_SIZE = _READ_CHUNK_BYTES  # type: ignore[attr-defined]  # documented CPython knob
    return stream


class RowSink:
    """CSV rows (original cells + line + reason) collected for one output object, spilled to disk when big."""

    def __init__(self, header: Sequence[str]) -> None:
        # Closed by close() (the sink is a context manager), through the text wrapper that owns it.
        self._buffer: IO[bytes] = tempfile.SpooledTemporaryFile(max_size=_SPOOL_BYTES, mode="w+b")  # noqa: SIM115
        self._text = io.TextIOWrapper(self._buffer, encoding="utf-8", newline="")
        self._writer = csv.writer(self._text)
        self._writer.writerow([*header, SOURCE_LINE_COLUMN, REASON_COLUMN])
        self.rows = 0

    def add(self, line: int, cells: Sequence[str], reason: str) -> None:
        self._writer.writerow([*cells, line, reason])
        self.rows += 1

    def publish(self, s3: Any, ref: ObjectRef, source: ObjectRef) -> bool:
        """Upload the rows to ``ref``; with no rows, delete ``ref`` instead (a stale output of an earlier
        attempt must not outlive the retry that fixed it). True when an object was written."""
        if not self.rows:
            s3.delete_object(Bucket=ref.bucket, Key=ref.key)
            return False
        self._text.flush()
        self._buffer.seek(0)
        s3.put_object(
            Bucket=ref.bucket,
            Key=ref.key,
            Body=self._buffer,
            ContentType=CSV_CONTENT_TYPE,
            # User metadata must be ASCII: percent-encode the key (it may hold any character).
            Metadata={"source-object": quote(str(source), safe="/:")[:1024]},
        )
        return True

    def close(self) -> None:
        self._text.close()

    def __enter__(self) -> RowSink:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()
