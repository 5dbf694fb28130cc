"""The dataset a baseline is made from, read once in the two ways the monitors read it.

Data quality profiles every cell as text (as Model Monitor's analyzer reads CSV); the other monitors need
the table typed (integers stay integers, as Clarify needs). A CSV or JSON Lines file or folder (local or
S3; ``dataset_reader``) is downloaded once for both; a table given in memory (polars or pandas) is used as
it is. A JSON Lines line that is not a JSON object (or holds another number of feature values) is an error
naming the lines: a baseline is made from every record or not at all.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

import polars as pl

from pipelines.monitoring.baseline_warnings import TextPart
from pipelines.monitoring.dataset_reader import (
    DatasetFormat,
    DatasetLayout,
    DatasetReadError,
    JsonLinesTable,
    csv_header,
    csv_text_table,
    dataset_files,
    file_format,
    plain_bytes,
    read_json_lines,
    text_view,
)
from pipelines.monitoring.tabular import read_csv_table
from pipelines.storage import Storage

if TYPE_CHECKING:
    import pandas as pd


MAX_LINE_PROBLEMS = 20  # JSON Lines problems listed before "... and N more"


class _ReadOnce(Storage):
    """``storage`` that downloads (and decompresses) each file once: data quality reads it as text, the
    others typed."""

    def __init__(self, inner: Storage) -> None:
        super().__init__(None)
        self._inner = inner
        self._cache: dict[str, bytes] = {}

    def read_bytes(self, location: str) -> bytes:
        if location not in self._cache:
            self._cache[location] = plain_bytes(self._inner.read_bytes(location))
        return self._cache[location]

    def exists(self, location: str) -> bool:
        return self._inner.exists(location)

    def list_files(self, location: str, suffix: str = "") -> list[str]:
        return self._inner.list_files(location, suffix)


class BaselineDataset:
    """The dataset as the analyzer reads it (text, for data quality) and typed (for the other monitors).

    CSV columns are named by the header row, else ``headers``, else ``_c0``, ``_c1``... like the analyzer;
    JSON Lines columns by their fields (``dataset_reader``). Each view is parsed once, when first needed.
    """

    def __init__(
        self,
        files: Sequence[str],
        storage: Storage,
        layout: DatasetLayout,
        frame: pl.DataFrame | None = None,
    ) -> None:
        self.files = tuple(files)
        self._storage = storage
        self.layout = layout
        self._has_header = layout.has_header
        self._headers = layout.headers
        self._frame = frame
        self._text: list[TextPart] | None = None
        self._typed: pl.DataFrame | None = None
        self._json: dict[str, pl.DataFrame] = {}
        self.feature_names: tuple[str, ...] | None = None  # Clarify's JSON Lines layout: the features

    def format_of(self, path: str) -> DatasetFormat:
        return file_format(path, self._storage.read_bytes(path), self.layout)

    def _json_lines(self, path: str) -> pl.DataFrame:
        """A JSON Lines file's typed table (parsed once); a line it cannot use is an error."""
        if path not in self._json:
            read: JsonLinesTable = read_json_lines(self._storage.read_bytes(path), path, self.layout)
            if read.problems:
                lines = [f"{where}: {reason}" for where, reason in read.problems[:MAX_LINE_PROBLEMS]]
                if len(read.problems) > MAX_LINE_PROBLEMS:
                    lines.append(f"{path}: ... and {len(read.problems) - MAX_LINE_PROBLEMS} more such lines")
                raise DatasetReadError(lines)
            if read.table.height == 0:
                raise DatasetReadError(f"{path}: no JSON objects, expected one record per line")
            self.feature_names = self.feature_names or read.feature_names
            self._json[path] = read.table
        return self._json[path]

    @property
    def where(self) -> str:
        return ", ".join(self.files) if self.files else "the dataset"

    def text_tables(self) -> list[pl.DataFrame]:
        """Every file with all cells as text (the analyzer's view)."""
        return [part.table for part in self.text_parts()]

    def text_parts(self) -> list[TextPart]:
        """``text_tables`` with the file each came from and the file line of its first row (for messages)."""
        if self._frame is not None:
            return [TextPart(self._frame, "the table", 1)]
        if self._text is None:
            self._text = []
            for path in self.files:
                if self.format_of(path) is DatasetFormat.JSON_LINES:
                    self._text.append(TextPart(text_view(self._json_lines(path)), path, 1))
                    continue
                data = self._storage.read_bytes(path)
                first_line = 2 if csv_header(data, self.layout) else 1
                self._text.append(TextPart(csv_text_table(data, path, self.layout), path, first_line))
        return self._text

    def typed(self) -> pl.DataFrame:
        """The whole dataset with inferred column types (integers stay integers, as Clarify needs)."""
        if self._frame is not None:
            return self._frame
        if self._typed is None:
            tables = [
                self._json_lines(path)
                if self.format_of(path) is DatasetFormat.JSON_LINES
                else read_csv_table(self._storage, path, headers=self._headers, has_header=self._has_header)
                for path in self.files
            ]
            self._typed = pl.concat(tables, how="vertical_relaxed") if len(tables) > 1 else tables[0]
        return self._typed

    def columns(self) -> list[str]:
        return list(self.text_tables()[0].columns)

    @property
    def rows(self) -> int:
        return sum(t.height for t in self.text_tables())


def read_dataset(
    storage: Storage, source: str | pl.DataFrame | pd.DataFrame, layout: DatasetLayout
) -> BaselineDataset:
    """A CSV or JSON Lines file or folder (local or S3), or a table; ``layout`` says how to read files."""
    if isinstance(source, str):
        cached = _ReadOnce(storage)
        return BaselineDataset(dataset_files(cached, source, layout.format), cached, layout)
    frame = source if isinstance(source, pl.DataFrame) else pl.from_pandas(source)
    return BaselineDataset((), storage, DatasetLayout(has_header=True), frame=frame)
