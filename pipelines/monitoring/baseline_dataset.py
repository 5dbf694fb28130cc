"""The dataset a baseline is made from, read once in the two ways the monitors read it.

Data quality profiles every cell as text (as Model Monitor's analyzer reads CSV); the other monitors need
the table typed (integers stay integers, as Clarify needs). A CSV file or folder (local or S3) is
downloaded once for both; a table given in memory (polars or pandas) is used as it is.
"""

from __future__ import annotations

import io
from collections.abc import Sequence
from typing import TYPE_CHECKING

import polars as pl

from pipelines.errors import UserError
from pipelines.monitoring.data_quality.dataset import dataset_files, read_csv_text_table
from pipelines.monitoring.tabular import read_csv_table
from pipelines.storage import Storage

if TYPE_CHECKING:
    import pandas as pd


class DatasetError(UserError):
    """A dataset that does not fit the options it is read with."""


class _ReadOnce(Storage):
    """``storage`` that downloads each file once: data quality reads it as text, the others typed."""

    def __init__(self, inner: Storage) -> None:
        super().__init__(None)
        self._inner = inner
        self._cache: dict[str, bytes] = {}

    def read_bytes(self, location: str) -> bytes:
        if location not in self._cache:
            self._cache[location] = self._inner.read_bytes(location)
        return self._cache[location]

    def exists(self, location: str) -> bool:
        return self._inner.exists(location)

    def list_files(self, location: str, suffix: str = "") -> list[str]:
        return self._inner.list_files(location, suffix)


class BaselineDataset:
    """The dataset as the analyzer reads it (text, for data quality) and typed (for the other monitors).

    Columns are named by the header row, else ``headers``, else ``_c0``, ``_c1``... like the analyzer; each
    view is parsed once, when first needed.
    """

    def __init__(
        self,
        files: Sequence[str],
        storage: Storage,
        has_header: bool | None,
        headers: tuple[str, ...] | None,
        frame: pl.DataFrame | None = None,
    ) -> None:
        self.files = tuple(files)
        self._storage = storage
        self._has_header = has_header
        self._headers = headers
        self._frame = frame
        self._text: list[pl.DataFrame] | None = None
        self._typed: pl.DataFrame | None = None

    @property
    def where(self) -> str:
        return ", ".join(self.files) if self.files else "the dataset"

    def _header_present(self, data: bytes) -> bool | None:
        """Like ``read_csv_table``: with ``headers``, the first row is a header when it repeats them."""
        if self._has_header is not None or self._headers is None:
            return self._has_header
        first = pl.read_csv(io.BytesIO(data), has_header=False, n_rows=1, infer_schema=False)
        cells = [(c or "").strip().lstrip("\ufeff").strip() for c in first.row(0)] if first.height else []
        return cells == list(self._headers)

    def text_tables(self) -> list[pl.DataFrame]:
        """Every file with all cells as text (the analyzer's view)."""
        if self._frame is not None:
            return [self._frame]
        if self._text is None:
            self._text = []
            for path in self.files:
                data = self._storage.read_bytes(path)
                table = read_csv_text_table(data, path, header=self._header_present(data))
                self._text.append(self._named(table, path))
        return self._text

    def typed(self) -> pl.DataFrame:
        """The whole dataset with inferred column types (integers stay integers, as Clarify needs)."""
        if self._frame is not None:
            return self._frame
        if self._typed is None:
            tables = [
                read_csv_table(self._storage, path, headers=self._headers, has_header=self._has_header)
                for path in self.files
            ]
            self._typed = pl.concat(tables, how="vertical_relaxed") if len(tables) > 1 else tables[0]
        return self._typed

    def _named(self, table: pl.DataFrame, path: str) -> pl.DataFrame:
        if self._headers is None:
            return table
        if len(self._headers) != table.width:
            raise DatasetError(
                f"{path}: {table.width} columns but {len(self._headers)} headers given "
                f"({', '.join(self._headers)})"
            )
        return table.rename(dict(zip(table.columns, self._headers, strict=True)))

    def columns(self) -> list[str]:
        return list(self.text_tables()[0].columns)

    @property
    def rows(self) -> int:
        return sum(t.height for t in self.text_tables())


def read_dataset(
    storage: Storage,
    source: str | pl.DataFrame | pd.DataFrame,
    has_header: bool | None,
    headers: tuple[str, ...] | None,
) -> BaselineDataset:
    """A CSV file or folder (local or S3), or a table; ``headers`` name the columns of a header-less CSV."""
    if isinstance(source, str):
        cached = _ReadOnce(storage)
        return BaselineDataset(dataset_files(cached, source), cached, has_header, headers)
    frame = source if isinstance(source, pl.DataFrame) else pl.from_pandas(source)
    return BaselineDataset((), storage, True, None, frame=frame)
