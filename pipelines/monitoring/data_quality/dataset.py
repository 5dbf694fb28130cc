"""Read a baseline dataset (CSV, local or S3) in batches of text columns, the way the analyzer sees it.

The analyzer reads every CSV cell as text and infers types itself (``value_types``), so columns are read
as strings here (empty cells are missing). A header-less CSV gets the analyzer's column names ``_c0``,
``_c1``...; with ``header=None`` the first row is a header when it holds a non-numeric text
(``pipelines.monitoring.tabular.detect_header``). A folder or S3 prefix means every ``.csv`` file below it.
The file is read whole (memory grows with its size); profiling then goes batch by batch.
"""

from __future__ import annotations

import io
from collections.abc import Iterator

import polars as pl

from pipelines.monitoring.data_quality.errors import DatasetReadError
from pipelines.monitoring.tabular import detect_header
from pipelines.storage import Storage

DEFAULT_BATCH_ROWS = 200_000


def dataset_files(storage: Storage, location: str) -> list[str]:
    """``location`` itself if it is a file, else the ``.csv`` files below it."""
    if storage.exists(location):
        return [location]
    files = storage.list_files(location, suffix=".csv")
    if not files:
        raise DatasetReadError(f"{location}: no such file, and no .csv files below it")
    return files


def read_csv_batches(
    storage: Storage, location: str, *, header: bool | None = None, batch_rows: int = DEFAULT_BATCH_ROWS
) -> Iterator[pl.DataFrame]:
    """Batches of the CSV dataset at ``location`` with every column as text."""
    for path in dataset_files(storage, location):
        table = read_csv_text_table(storage.read_bytes(path), path, header=header)
        yield from table.iter_slices(batch_rows)


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
    data = data.removeprefix(b"\xef\xbb\xbf")
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


def _cells(line: str) -> list[str]:
    rows = pl.read_csv(io.StringIO(line), has_header=False, infer_schema=False).rows()
    return [cell or "" for cell in rows[0]] if rows else []
