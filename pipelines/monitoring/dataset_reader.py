"""Datasets as the monitors read them: CSV or JSON Lines, one file or every data file below a folder/prefix.

Used by ``baseline`` (``baseline_dataset``) and by ``run --dataset`` (``record_source``). The formats are
named as Clarify's ``dataset_type`` names them
(https://docs.aws.amazon.com/sagemaker/latest/dg/clarify-processing-job-data-format-tabular.html):

- **CSV** (``text/csv``): the first row is a header when it holds text and no number (``tabular.
  detect_header``), or as ``has_header`` says; a header-less file's columns are named by ``headers``, else
  ``_c0``, ``_c1``... like Model Monitor's analyzer.
- **JSON Lines** (``application/jsonlines``): one JSON object per line. Plain records give one column per
  field (nested objects flattened as ``parent.child``). Clarify's layout, ``{"features": [25, 2, ...],
  "label": 0}``, is read with ``features_attribute`` (Clarify's ``features``: the dotted path of the list
  of feature values): one column per value, named by ``headers`` or ``_c0``, ``_c1``...; the other fields
  stay columns; the label field (``label_attribute``, Clarify's ``label``) is named by the last header
  when ``headers`` has one name more than the features ("the last header shall be the header of label
  column", Clarify's analysis configuration).

Which format: the one given, else by the file's suffix (``.csv``; ``.jsonl``, ``.jsonlines``, ``.json``),
else by its content (a first non-blank character ``{`` is JSON Lines). A folder or S3 prefix means every
file below it with a data suffix (``.csv``, ``.jsonl``, ``.jsonlines``), or only the given format's. A
gzip-compressed file (``.gz`` after the suffix, or gzip's magic bytes: SageMaker's ``CompressionType: Gzip``)
is read decompressed.

Two views of the same file (``baseline_dataset``): the analyzer's (every cell as text, as Model Monitor's
analyzer reads CSV) and a typed one (integers stay integers, as Clarify needs). JSON Lines lines that are
not JSON objects are reported as ``file:line: reason`` (``JsonLinesTable.problems``); a caller decides
whether that is fatal (``baseline``) or kept with the execution's input problems (``run``).
"""

from __future__ import annotations

import gzip
import io
import json
from collections.abc import Sequence
from dataclasses import dataclass, field
from enum import StrEnum

import polars as pl

from pipelines.errors import UserError
from pipelines.monitoring.tabular import detect_header
from pipelines.storage import Storage

# A JSON Lines line that could not be used: (``file:line``, reason).
LineProblems = list[tuple[str, str]]


class DatasetReadError(UserError):
    """A dataset that cannot be read as a table."""


class DatasetFormat(StrEnum):
    """A dataset's format, by Clarify's ``dataset_type`` name."""

    CSV = "text/csv"
    JSON_LINES = "application/jsonlines"

    @classmethod
    def parse(cls, text: str, *, what: str = "dataset type") -> DatasetFormat:
        """``text/csv`` or ``csv``; ``application/jsonlines``, ``jsonlines`` or ``jsonl``."""
        aliases = {"csv": cls.CSV, "jsonlines": cls.JSON_LINES, "jsonl": cls.JSON_LINES}
        value = text.strip().lower()
        try:
            return aliases.get(value) or cls(value)
        except ValueError:
            allowed = ", ".join([*(f.value for f in cls), *aliases])
            raise DatasetReadError(f"{what} {text!r}: expected one of {allowed}") from None

    @property
    def suffixes(self) -> tuple[str, ...]:
        return (".csv",) if self is DatasetFormat.CSV else (".jsonl", ".jsonlines", ".json")


_FOLDER_SUFFIXES = (".csv", ".jsonl", ".jsonlines")  # .json is left out: baseline folders hold .json files
_GZIP_MAGIC = b"\x1f\x8b"


@dataclass(frozen=True, slots=True)
class DatasetLayout:
    """How to read a dataset's files (None: detect)."""

    format: DatasetFormat | None = None
    has_header: bool | None = None  # CSV
    headers: tuple[str, ...] | None = None  # CSV columns, or JSON Lines features (+ the label, last)
    features_attribute: str | None = None  # JSON Lines: path of the features list (Clarify's ``features``)
    label_attribute: str | None = None  # JSON Lines: path of the label (Clarify's ``label``)

    def label_column(self, label: str | None) -> str | None:
        """The table's name for the label ``label`` names (a JSON Lines path, or a CSV column)."""
        if label is None or self.features_attribute is None or label != self.label_attribute:
            return label
        return self.headers[-1] if self.headers else label


def dataset_files(storage: Storage, location: str, format: DatasetFormat | None = None) -> list[str]:
    """``location`` itself if it is a file, else the data files below it (of ``format``, if given)."""
    if storage.exists(location):
        return [location]
    suffixes = format.suffixes if format is not None else _FOLDER_SUFFIXES
    files = [f for f in storage.list_files(location) if f.lower().removesuffix(".gz").endswith(suffixes)]
    if not files:
        raise DatasetReadError(f"{location}: no such file, and no {' or '.join(suffixes)} files below it")
    return files


def file_format(path: str, data: bytes, layout: DatasetLayout) -> DatasetFormat:
    """The given format, else the suffix's, else the content's (``{`` first: JSON Lines)."""
    if layout.format is not None:
        return layout.format
    lowered = path.lower().removesuffix(".gz")
    for candidate in DatasetFormat:
        if lowered.endswith(candidate.suffixes):
            return candidate
    if layout.features_attribute is not None:
        return DatasetFormat.JSON_LINES
    head = plain_bytes(data).lstrip(b"\xef\xbb\xbf \t\r\n")[:1]
    return DatasetFormat.JSON_LINES if head == b"{" else DatasetFormat.CSV


def plain_bytes(data: bytes) -> bytes:
    """``data``, decompressed when it is gzip (its magic bytes, whatever the file's name)."""
    return gzip.decompress(data) if data.startswith(_GZIP_MAGIC) else data


# -- CSV -----------------------------------------------------------------------------------------------------
def csv_has_header(data: bytes, header: bool | None = None) -> bool:
    """``header``, or (None) whether the CSV's first row is a header (``tabular.detect_header``)."""
    if header is not None:
        return header
    return detect_header(_cells(_first_line(data)), None)


def _first_line(data: bytes) -> str:
    return (
        data.removeprefix(b"\xef\xbb\xbf").split(b"\n", 1)[0].decode("utf-8", errors="replace").rstrip("\r")
    )


def read_csv_text_table(data: bytes, where: str, *, header: bool | None = None) -> pl.DataFrame:
    """The CSV with every cell as text (empty cells missing), the way the analyzer reads it."""
    data = plain_bytes(data).removeprefix(b"\xef\xbb\xbf")
    first_line = _first_line(data)
    if not first_line.strip():
        raise DatasetReadError(f"{where}: empty file or empty first line, expected CSV rows")
    first_cells = _cells(first_line)
    has_header = csv_has_header(data, header)
    try:
        table = pl.read_csv(io.BytesIO(data), has_header=has_header, infer_schema=False)
    except (pl.exceptions.ComputeError, pl.exceptions.NoDataError) as exc:
        raise DatasetReadError(f"{where}: not a readable CSV ({str(exc).splitlines()[0]})") from None
    if has_header:
        names = [name.strip() for name in first_cells]  # polars would rename repeated names silently
        problems = header_problems(names, where)
        if not problems and len(names) != table.width:
            problems = [
                f"{where}: header row {first_line!r} has {len(names)} names for {table.width} columns"
            ]
        if problems:
            raise DatasetReadError(problems)
        return table.rename(dict(zip(table.columns, names, strict=True)))
    return table.rename({c: f"_c{i}" for i, c in enumerate(table.columns)})


def header_problems(names: list[str], where: str) -> list[str]:
    """One line per empty or repeated column name of a header row (columns numbered from 1)."""
    problems = [
        f"{where}: column {index} of the header row has no name: name it (every column needs a name)"
        for index, name in enumerate(names, start=1)
        if not name
    ]
    seen: dict[str, int] = {}
    for index, name in enumerate(names, start=1):
        if name and name in seen:
            problems.append(
                f"{where}: column name {name!r} is repeated (columns {seen[name]} and {index}): rename one"
            )
        seen.setdefault(name, index)
    return problems


def csv_header(data: bytes, layout: DatasetLayout) -> bool:
    """Whether the CSV's first row is a header: ``layout.has_header``; else, with ``headers``, when it repeats
    them; else detected (``csv_has_header``)."""
    if layout.has_header is not None or layout.headers is None:
        return csv_has_header(plain_bytes(data), layout.has_header)
    first = pl.read_csv(io.BytesIO(plain_bytes(data)), has_header=False, n_rows=1, infer_schema=False)
    cells = [(c or "").strip().lstrip("\ufeff").strip() for c in first.row(0)] if first.height else []
    return cells == list(layout.headers)


def csv_text_table(data: bytes, where: str, layout: DatasetLayout) -> pl.DataFrame:
    """The CSV as text, columns named by its header row (``csv_header``), else ``layout.headers``, else
    ``_c0``..."""
    table = read_csv_text_table(data, where, header=csv_header(data, layout))
    if layout.headers is None:
        return table
    if len(layout.headers) != table.width:
        raise DatasetReadError(
            f"{where}: {table.width} columns but {len(layout.headers)} headers given "
            f"({', '.join(layout.headers)})"
        )
    return table.rename(dict(zip(table.columns, layout.headers, strict=True)))


def _cells(line: str) -> list[str]:
    rows = pl.read_csv(io.StringIO(line), has_header=False, infer_schema=False).rows()
    return [cell or "" for cell in rows[0]] if rows else []


# -- JSON Lines ----------------------------------------------------------------------------------------------
@dataclass
class JsonLinesTable:
    """A JSON Lines file as a typed table, and the lines that could not be used."""

    table: pl.DataFrame
    problems: LineProblems = field(default_factory=list)
    lines: int = 0  # non-blank lines read
    feature_names: tuple[str, ...] | None = None  # the columns of the features list (Clarify's layout)


def read_json_lines(data: bytes, where: str, layout: DatasetLayout) -> JsonLinesTable:
    """The JSON Lines file ``where`` (holding ``data``) as a typed table; see the module docstring."""
    text_lines = [
        (number, line)
        for number, line in enumerate(plain_bytes(data).removeprefix(b"\xef\xbb\xbf").split(b"\n"), start=1)
        if line.strip()
    ]
    numbers = [number for number, _ in text_lines]  # the line of each row of the table
    # A top-level features list is read as the values' JSON text, so each feature's type is its own
    # (integers stay integers next to a number with a fraction); a nested one is typed as a whole.
    features = layout.features_attribute
    overrides: dict[str, pl.DataType] | None = (
        {features: pl.List(pl.String)} if features is not None and "." not in features else None
    )
    table = _ndjson(b"\n".join(line for _, line in text_lines), overrides)
    problems: LineProblems = []
    if table is None:  # some line is not a JSON object: find them, read the others
        good: list[bytes] = []
        numbers = []
        for number, line in text_lines:
            reason = _line_problem(line)
            if reason is None:
                good.append(line)
                numbers.append(number)
            else:
                problems.append((f"{where}:{number}", reason))
        table = _ndjson(b"\n".join(good), overrides)
        if table is None:
            raise DatasetReadError(f"{where}: JSON Lines whose fields cannot be read as one table")
    table = _flattened(table)
    names = None
    if layout.features_attribute is not None:
        table, bad_rows, names = _features_columns(table, where, layout)
        problems += [(f"{where}:{numbers[row]}", reason) for row, reason in bad_rows]
    return JsonLinesTable(table, sorted(problems, key=_line_order), len(text_lines), names)


def _line_order(problem: tuple[str, str]) -> int:
    return int(problem[0].rsplit(":", 1)[1])


def _ndjson(data: bytes, overrides: dict[str, pl.DataType] | None = None) -> pl.DataFrame | None:
    if not data.strip():
        return pl.DataFrame()
    try:
        # polars unifies conflicting types the way Spark's JSON reader does (a number among strings: text)
        return pl.read_ndjson(io.BytesIO(data), infer_schema_length=None, schema_overrides=overrides)
    except pl.exceptions.SchemaFieldNotFoundError:  # no line has the features field: said by the caller
        return _ndjson(data)
    except (pl.exceptions.ComputeError, pl.exceptions.SchemaError):
        return None


def _line_problem(line: bytes) -> str | None:
    try:
        value = json.loads(line)
    except UnicodeDecodeError:
        return "not UTF-8 text"
    except json.JSONDecodeError as exc:
        return f"not JSON ({exc.msg} at column {exc.colno})"
    if not isinstance(value, dict):
        return f"a JSON {type(value).__name__}, expected one object per line"
    return None


def _flattened(table: pl.DataFrame) -> pl.DataFrame:
    """Nested objects as ``parent.child`` columns (any depth), in field order."""
    while any(isinstance(dtype, pl.Struct) for dtype in table.schema.values()):
        columns: list[pl.Expr] = []
        for name, dtype in table.schema.items():
            if isinstance(dtype, pl.Struct):
                columns += [
                    pl.col(name).struct.field(inner.name).alias(f"{name}.{inner.name}")
                    for inner in dtype.fields
                ]
            else:
                columns.append(pl.col(name))
        table = table.select(columns)
    return table


def _features_columns(
    table: pl.DataFrame, where: str, layout: DatasetLayout
) -> tuple[pl.DataFrame, list[tuple[int, str]], tuple[str, ...]]:
    """Clarify's layout: the features list as one column per value (and their names); rows of another
    length are dropped and returned as (row, reason)."""
    path = layout.features_attribute
    assert path is not None
    if (
        path not in table.columns
        or not isinstance(table.schema[path], pl.List)
        or table.get_column(path).null_count() == table.height
    ):
        found = ", ".join(table.columns) or "none"
        raise DatasetReadError(
            f"{where}: no list of feature values at {path!r} (Clarify's features); the fields are: {found}"
        )
    lengths = table.get_column(path).list.len()
    width = int(lengths.mode().sort().item(-1)) if table.height else 0
    bad = [
        (row, f"{lengths[row]} feature values at {path!r}, expected {width} like the other lines")
        for row in (lengths != width).arg_true().to_list()
    ]
    if bad:
        table = table.filter(lengths == width)
    headers = layout.headers
    if headers is not None and len(headers) not in (width, width + 1):
        raise DatasetReadError(
            f"{where}: {len(headers)} headers for {width} feature values at {path!r}: give the feature "
            "names, and the label's name last"
        )
    names = list(headers[:width]) if headers is not None else [f"_c{i}" for i in range(width)]
    values = table.get_column(path)
    features = pl.DataFrame([_typed(values.list.get(i).alias(name)) for i, name in enumerate(names)])
    others = table.drop(path)
    label = layout.label_attribute
    if headers is not None and len(headers) == width + 1 and label is not None and label in others.columns:
        others = others.rename({label: headers[-1]})
    clashes = sorted(set(features.columns) & set(others.columns))
    if clashes:
        raise DatasetReadError(f"{where}: feature names {clashes} are also fields of the lines")
    return pl.concat([features, others], how="horizontal"), bad, tuple(names)


def csv_typed(table: pl.DataFrame, columns: Sequence[str]) -> pl.DataFrame:
    """``table`` with its text ``columns`` typed the way a CSV reader types them (pandas, which Clarify reads
    CSV with, and polars alike): integers if every value is one, else numbers if every value is one, else
    text."""
    return table.with_columns(_typed(table.get_column(c)) for c in columns if table.schema[c] == pl.String)


def _typed(series: pl.Series) -> pl.Series:
    """Text values typed as CSV's are: integers, else numbers, else text (mixed lists come as text)."""
    if series.dtype != pl.String:
        return series
    present = series.drop_nulls()
    for dtype in (pl.Int64, pl.Float64):
        cast = present.cast(dtype, strict=False)
        if cast.null_count() == 0:
            return series.cast(dtype, strict=False)
    return series


def text_view(table: pl.DataFrame) -> pl.DataFrame:
    """Every column as text, the analyzer's view (lists as ``[a,b]``)."""
    columns = []
    for name, dtype in table.schema.items():
        column = pl.col(name)
        if isinstance(dtype, pl.List | pl.Array):
            column = pl.concat_str(
                pl.lit("["), column.cast(pl.List(pl.String)).list.join(","), pl.lit("]")
            ).alias(name)
        elif dtype != pl.String:
            column = column.cast(pl.String)
        columns.append(column)
    return table.select(columns)
