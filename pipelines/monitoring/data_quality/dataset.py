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


def read_csv_text_table(data: bytes, where: str, *, header: bool | None = None) -> pl.DataFrame:
    if data.startswith(b"\xef\xbb\xbf"):
        data = data[3:]
    first_line = data.split(b"\n", 1)[0].decode("utf-8", errors="replace").rstrip("\r")
    if not first_line.strip():
        raise DatasetReadError(f"{where}: empty file or empty first line, expected CSV rows")
    first_cells = _cells(first_line)
    has_header = detect_header(first_cells, None) if header is None else header
    try:
        table = pl.read_csv(io.BytesIO(data), has_header=has_header, infer_schema=False)
    except (pl.exceptions.ComputeError, pl.exceptions.NoDataError) as exc:
        raise DatasetReadError(f"{where}: not a readable CSV ({str(exc).splitlines()[0]})") from None
    if has_header:
        names = [name.strip() for name in first_cells]  # polars would rename repeated names silently
        if len(set(names)) != len(names) or any(not n for n in names) or len(names) != table.width:
            raise DatasetReadError(f"{where}: header row {first_line!r} has empty or repeated column names")
        return table.rename(dict(zip(table.columns, names, strict=True)))
    return table.rename({c: f"_c{i}" for i, c in enumerate(table.columns)})


def _cells(line: str) -> list[str]:
    rows = pl.read_csv(io.StringIO(line), has_header=False, infer_schema=False).rows()
    return [cell or "" for cell in rows[0]] if rows else []
