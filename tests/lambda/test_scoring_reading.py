"""Reading records from bytes: byte offsets to resume at, bounded lines, what a non-CSV looks like."""

from __future__ import annotations

import io
import itertools
from collections.abc import Iterator

import pytest
from transaction_scoring.reading import ByteLines, LineTooLong, compressed_format, records


def _records(
    data: bytes, *, start: int = 0, line: int = 1, chunk: int = 1024
) -> list[tuple[int, list[str], int]]:
    stream = io.BytesIO(data[start:])
    return [
        (csv_line.line, csv_line.cells, position.offset)
        for csv_line, position in records(
            ByteLines(stream.read, start_offset=start, start_line=line, chunk_bytes=chunk)
        )
    ]


def test_each_record_carries_the_offset_where_the_next_one_starts() -> None:
    data = b"a,b\n1,2\n3,4\n"
    assert _records(data) == [(1, ["a", "b"], 4), (2, ["1", "2"], 8), (3, ["3", "4"], 12)]


def test_reading_from_an_offset_numbers_lines_as_reading_from_the_start_did() -> None:
    data = b'a,b\n1,"x\r\ny"\r\n3,4\r\n5,6'
    whole = _records(data, chunk=5)
    (_, _, after_second) = whole[1]
    assert _records(data, start=after_second, line=4) == whole[2:]
    assert whole[1] == (3, ["1", "x\r\ny"], len(b'a,b\n1,"x\r\ny"\r\n'))


@pytest.mark.parametrize("chunk", [1, 3, 7, 1024])
def test_lines_split_across_reads_are_joined(chunk: int) -> None:
    data = "h1,h2\n1,é\n2,ü\n".encode()
    assert [cells for _, cells, _ in _records(data, chunk=chunk)] == [["h1", "h2"], ["1", "é"], ["2", "ü"]]


def test_a_bom_is_dropped_at_the_start_only_and_counted_in_offsets() -> None:
    data = b"\xef\xbb\xbfa,b\n1,2\n"
    assert _records(data) == [(1, ["a", "b"], 7), (2, ["1", "2"], 11)]


def test_bytes_that_are_not_utf8_are_replaced_in_their_line_only() -> None:
    (_, cells, _), (_, next_cells, _) = _records(b"S\xe3o,1\nok,2\n")
    assert (cells, next_cells) == (["S\ufffdo", "1"], ["ok", "2"])


def test_a_line_longer_than_the_limit_stops_reading_after_a_bounded_number_of_bytes() -> None:
    read_so_far = 0

    def endless(n: int) -> bytes:  # an object with no line break, as long as you read it
        nonlocal read_so_far
        read_so_far += n
        return b"x" * n

    lines = ByteLines(endless, max_line_bytes=64 * 1024, chunk_bytes=16 * 1024)
    with pytest.raises(LineTooLong, match=r"line 1 \(from byte 0\) is longer than 65,536 bytes"):
        list(records(lines))
    assert read_so_far <= 64 * 1024 + 16 * 1024  # memory bounded by the limit plus one read


def test_a_file_with_cr_only_line_ends_is_named_as_such() -> None:
    data = b"a,b\r" + b"1,2\r" * 40_000
    with pytest.raises(LineTooLong, match="CR only"):
        list(records(ByteLines(io.BytesIO(data).read, max_line_bytes=1024)))


def test_the_last_line_may_lack_a_line_break() -> None:
    assert _records(b"a\n1") == [(1, ["a"], 2), (2, ["1"], 3)]


def test_blank_lines_and_rows_of_empty_cells_are_skipped_but_counted() -> None:
    assert [(line, cells) for line, cells, _ in _records(b"a,b\n\n,\n1,2\n")] == [
        (1, ["a", "b"]),
        (4, ["1", "2"]),
    ]


@pytest.mark.parametrize(
    ("first_bytes", "kind"),
    [
        (b"\x1f\x8b\x08\x00", "gzip-compressed"),
        (b"PK\x03\x04", "a ZIP archive"),
        (b"BZh91AY", "bzip2-compressed"),
        (b"\xfd7zXZ\x00", "xz-compressed"),
        (b"(\xb5/\xfd", "zstd-compressed"),
        (b"Transaction ID,", None),
    ],
)
def test_compressed_objects_are_recognised_by_their_first_bytes(first_bytes: bytes, kind: str | None) -> None:
    assert compressed_format(first_bytes) == kind


def test_records_are_read_lazily() -> None:
    chunks: Iterator[bytes] = itertools.chain([b"a\n1\n"], iter(lambda: pytest.fail("read too far"), None))
    first = next(records(ByteLines(lambda n: next(chunks), chunk_bytes=4)))
    assert first[0].cells == ["a"]
