"""Read a baseline dataset (CSV, local or S3) in batches of text columns, the way the analyzer sees it.

The analyzer reads every CSV cell as text and infers types itself (``value_types``), so columns are read
as strings (``dataset_reader.read_csv_text_table``; empty cells are missing). A header-less CSV gets the
analyzer's column names ``_c0``, ``_c1``...; with ``header=None`` the first row is a header when it holds a
non-numeric text (``pipelines.monitoring.tabular.detect_header``). A folder or S3 prefix means every
``.csv`` file below it. The file is read whole (memory grows with its size); profiling then goes batch by
batch.
"""

from __future__ import annotations

from collections.abc import Iterator

import polars as pl

from pipelines.monitoring.dataset_reader import DatasetFormat, dataset_files, read_csv_text_table
from pipelines.storage import Storage

DEFAULT_BATCH_ROWS = 200_000


def read_csv_batches(
    storage: Storage, location: str, *, header: bool | None = None, batch_rows: int = DEFAULT_BATCH_ROWS
) -> Iterator[pl.DataFrame]:
    """Batches of the CSV dataset at ``location`` with every column as text."""
    for path in dataset_files(storage, location, DatasetFormat.CSV):
        table = read_csv_text_table(storage.read_bytes(path), path, header=header)
        yield from table.iter_slices(batch_rows)
