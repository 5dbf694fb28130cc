"""Datasets in any format a Model Monitor or Clarify user has: CSV, JSON Lines records, Clarify's JSON Lines
layout (issue 12, point 7)."""

from __future__ import annotations

import gzip
from pathlib import Path

import polars as pl
import pytest

from pipelines.monitoring.dataset_reader import (
    DatasetFormat,
    DatasetLayout,
    DatasetReadError,
    dataset_files,
    file_format,
    read_json_lines,
    text_view,
)
from pipelines.storage import Storage

CLARIFY_LAYOUT = DatasetLayout(features_attribute="features", label_attribute="label")


def lines(*rows: str) -> bytes:
    return ("\n".join(rows) + "\n").encode()


def test_json_lines_records_give_one_column_per_field_with_nested_objects_flattened() -> None:
    read = read_json_lines(
        lines('{"Age": 25, "Device": "mobile", "meta": {"id": "a", "source": {"app": 1}}}'),
        "d.jsonl",
        DatasetLayout(),
    )
    assert read.table.columns == ["Age", "Device", "meta.id", "meta.source.app"]
    assert read.table.row(0) == (25, "mobile", "a", 1)
    assert read.problems == []


def test_clarifys_layout_names_the_features_by_the_headers_and_the_label_by_the_last_header() -> None:
    layout = DatasetLayout(
        headers=("Age", "Sex", "Amount", "Target"), features_attribute="features", label_attribute="label"
    )
    read = read_json_lines(
        lines('{"features": [25, "F", 3.5], "label": 1}', '{"features": [40, "M", 2], "label": 0}'),
        "d.jsonl",
        layout,
    )
    assert read.table.columns == ["Age", "Sex", "Amount", "Target"]
    assert read.table.schema == pl.Schema(
        {"Age": pl.Int64, "Sex": pl.String, "Amount": pl.Float64, "Target": pl.Int64}
    )  # each feature keeps its own type, as in a CSV
    assert read.feature_names == ("Age", "Sex", "Amount")
    assert layout.label_column("label") == "Target"


def test_clarifys_layout_without_headers_names_the_features_like_the_analyzer() -> None:
    read = read_json_lines(lines('{"features": [1, 2], "label": 0, "id": "r1"}'), "d.jsonl", CLARIFY_LAYOUT)
    assert read.table.columns == ["_c0", "_c1", "label", "id"]


def test_lines_that_are_not_json_objects_are_reported_by_line_and_the_others_read() -> None:
    read = read_json_lines(
        lines('{"a": 1}', "", "not json", "[1, 2]", '{"a": 2}'), "s3://b/d.jsonl", DatasetLayout()
    )
    assert read.table.get_column("a").to_list() == [1, 2]
    assert read.problems == [
        ("s3://b/d.jsonl:3", "not JSON (Expecting value at column 1)"),
        ("s3://b/d.jsonl:4", "a JSON list, expected one object per line"),
    ]
    assert read.lines == 4


def test_a_line_with_another_number_of_feature_values_is_reported_by_line() -> None:
    read = read_json_lines(
        lines('{"features": [1, 2], "label": 0}', '{"features": [1], "label": 1}', '{"features": [3, 4]}'),
        "d.jsonl",
        CLARIFY_LAYOUT,
    )
    assert read.table.get_column("_c0").to_list() == [1, 3]
    assert read.problems == [("d.jsonl:2", "1 feature values at 'features', expected 2 like the other lines")]


def test_headers_that_do_not_fit_the_features_are_a_clear_error() -> None:
    layout = DatasetLayout(headers=("a", "b", "c", "d"), features_attribute="features")
    with pytest.raises(DatasetReadError, match=r"4 headers for 2 feature values at 'features'"):
        read_json_lines(lines('{"features": [1, 2]}'), "d.jsonl", layout)


def test_a_features_attribute_the_lines_do_not_have_is_a_clear_error() -> None:
    with pytest.raises(DatasetReadError, match=r"no list of feature values at 'features'.*fields are: x"):
        read_json_lines(lines('{"x": 1}'), "d.jsonl", CLARIFY_LAYOUT)


def test_the_text_view_is_every_value_as_text() -> None:
    table = pl.DataFrame({"n": [1, None], "x": [1.5, 2.0], "b": [True, False], "l": [[1, 2], [3]]})
    assert text_view(table).rows() == [("1", "1.5", "true", "[1,2]"), (None, "2.0", "false", "[3]")]


@pytest.mark.parametrize(
    ("name", "head", "expected"),
    [
        ("data.csv", b'{"a": 1}', DatasetFormat.CSV),  # the suffix wins
        ("data.jsonl", b"a,b", DatasetFormat.JSON_LINES),
        ("part-0000", b'\n  {"a": 1}', DatasetFormat.JSON_LINES),  # else the content
        ("part-0000", b"a,b\n1,2", DatasetFormat.CSV),
    ],
)
def test_the_format_is_the_suffixs_else_the_contents(name: str, head: bytes, expected: DatasetFormat) -> None:
    assert file_format(name, head, DatasetLayout()) is expected


def test_a_given_format_wins_over_the_suffix() -> None:
    layout = DatasetLayout(format=DatasetFormat.JSON_LINES)
    assert file_format("data.csv", b"a,b", layout) is DatasetFormat.JSON_LINES


@pytest.mark.parametrize(
    ("text", "expected"),
    [("csv", DatasetFormat.CSV), ("text/csv", DatasetFormat.CSV), ("JSONL", DatasetFormat.JSON_LINES)],
)
def test_dataset_types_are_clarifys_names_or_short_ones(text: str, expected: DatasetFormat) -> None:
    assert DatasetFormat.parse(text) is expected


def test_an_unknown_dataset_type_names_the_allowed_ones() -> None:
    with pytest.raises(DatasetReadError, match=r"dataset type 'parquet': expected one of text/csv, appl"):
        DatasetFormat.parse("parquet")


def test_a_folder_means_its_csv_and_json_lines_files_not_other_json(tmp_path: Path) -> None:
    for name in ("a.csv", "b.jsonl", "c/d.jsonlines", "statistics.json", "notes.txt"):
        (tmp_path / name).parent.mkdir(exist_ok=True)
        (tmp_path / name).write_text("x")
    found = [Path(f).relative_to(tmp_path).as_posix() for f in dataset_files(Storage(), str(tmp_path))]
    assert found == ["a.csv", "b.jsonl", "c/d.jsonlines"]
    only_csv = dataset_files(Storage(), str(tmp_path), DatasetFormat.CSV)
    assert [Path(f).name for f in only_csv] == ["a.csv"]


def test_gzip_files_are_read_decompressed_and_named_by_the_suffix_before_gz(tmp_path: Path) -> None:
    data = gzip.compress(lines('{"a": 1}', '{"a": 2}'))
    assert file_format("part-0.jsonl.gz", data, DatasetLayout()) is DatasetFormat.JSON_LINES
    assert file_format("part-0", data, DatasetLayout()) is DatasetFormat.JSON_LINES  # by the content
    assert read_json_lines(data, "part-0.jsonl.gz", DatasetLayout()).table.get_column("a").to_list() == [1, 2]
    (tmp_path / "part-0.csv.gz").write_bytes(gzip.compress(b"a\n1\n"))
    assert [Path(f).name for f in dataset_files(Storage(), str(tmp_path))] == ["part-0.csv.gz"]
