"""Reading a transaction CSV from bytes: bounded lines, and the byte offset where each record ends.

Why bytes and not a text stream (issue 13): a resumed attempt continues a file with a ranged GET from the byte
after the last record it finished, so every record must carry the offset where it ends; and a line must be
bounded, because a text reader holds a whole line in memory (a 300 MB object with no newline raised RSS by
574 MB). Lines are split on ``\\n`` (``\\r\\n`` ends are kept for the CSV parser, which handles them), decoded
one at a time (a line never ends inside a UTF-8 sequence, because ``\\n`` never occurs inside one), and handed
to ``csv.reader``, which pulls lines until a record is complete: when it yields a record, exactly the lines of
that record have been consumed, so the consumed byte count is the record's end.

``MAX_LINE_BYTES`` is the documented limit; a longer line rejects the rest of the file with the line's number,
its byte offset and what it probably is.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass

from transaction_scoring.rows import CsvLine, csv_records

# The longest line read (a transaction row is ~250 bytes; 1 MiB leaves room for any honest file).
MAX_LINE_BYTES = 1024 * 1024
# Bytes per read from S3: large reads keep the per-call overhead small without holding the file.
READ_CHUNK_BYTES = 1024 * 1024
UTF8_BOM = b"\xef\xbb\xbf"
# Magic numbers of what is most often uploaded instead of a CSV.
_COMPRESSED_SIGNATURES = {
    b"\x1f\x8b": "gzip-compressed",
    b"PK\x03\x04": "a ZIP archive",
    b"BZh": "bzip2-compressed",
    b"\xfd7zXZ\x00": "xz-compressed",
    b"(\xb5/\xfd": "zstd-compressed",
}


class LineTooLong(Exception):
    """A line longer than ``MAX_LINE_BYTES``: the rest of the file cannot be read as CSV."""

    def __init__(self, line: int, offset: int, limit: int, cr_only: bool) -> None:
        self.line, self.offset, self.limit = line, offset, limit
        hint = (
            "its lines end with CR only (classic Mac): save it with LF or CRLF line ends"
            if cr_only
            else "is it compressed, or a file without line breaks?"
        )
        super().__init__(
            f"line {line} (from byte {offset}) is longer than {limit:,} bytes, the longest line read: {hint}"
        )


def compressed_format(first_bytes: bytes) -> str | None:
    """What the object looks like when its first bytes are an archive's or compressor's magic number."""
    for signature, name in _COMPRESSED_SIGNATURES.items():
        if first_bytes.startswith(signature):
            return name
    return None


class ByteLines:
    """The physical lines of a byte stream as text, each at most ``max_line_bytes``, counting bytes consumed.

    ``read(n)`` returns up to ``n`` bytes (``b""`` at the end), e.g. a botocore ``StreamingBody.read``.
    ``offset`` is the absolute byte offset after the last line handed out; ``start_offset`` is where ``read``
    starts in the object (0, or a resumed attempt's offset). A UTF-8 BOM is dropped at offset 0 only.
    """

    def __init__(
        self,
        read: Callable[[int], bytes],
        *,
        start_offset: int = 0,
        start_line: int = 1,
        max_line_bytes: int = MAX_LINE_BYTES,
        chunk_bytes: int = READ_CHUNK_BYTES,
    ) -> None:
        self._read = read
        self.offset = start_offset
        self.next_line = start_line  # number of the next line to hand out
        self._max = max_line_bytes
        self._chunk = chunk_bytes

    def __iter__(self) -> Iterator[str]:
        pending = b""
        first = self.offset == 0
        while True:
            data = self._read(self._chunk)
            if first and data:
                first = False
                if data.startswith(UTF8_BOM):
                    self.offset += len(UTF8_BOM)
                    data = data[len(UTF8_BOM) :]
            if not data:
                if pending:
                    self.offset += len(pending)
                    self.next_line += 1
                    yield pending.decode("utf-8", "replace")
                return
            pieces = (pending + data).split(b"\n")
            pending = pieces.pop()
            for piece in pieces:
                if len(piece) >= self._max:
                    self._too_long(piece)
                self.offset += len(piece) + 1
                self.next_line += 1
                yield piece.decode("utf-8", "replace") + "\n"
            if len(pending) > self._max:
                self._too_long(pending)

    def _too_long(self, line: bytes) -> None:
        raise LineTooLong(self.next_line, self.offset, self._max, cr_only=b"\r" in line[: self._max])


@dataclass(frozen=True, slots=True)
class Position:
    """Where a record ends: the byte offset of what follows it, and the number of the next line."""

    offset: int
    next_line: int


def records(lines: ByteLines, *, skip_empty: bool = True) -> Iterator[tuple[CsvLine, Position]]:
    """CSV records of ``lines`` with the position after each (``rows.csv_records``: blank lines and rows of
    empty cells skipped unless ``skip_empty`` is False).

    Line numbers continue from ``lines``' start line, so a resumed attempt numbers rows as the first did.
    """
    for record in csv_records(lines, first_line=lines.next_line, skip_empty=skip_empty):
        yield record, Position(lines.offset, lines.next_line)
