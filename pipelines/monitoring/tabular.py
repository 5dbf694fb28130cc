"""Read a baseline dataset (CSV, local or S3) into a polars table, naming columns the way the analyzers do.

SageMaker's analyzer names the columns of a header-less CSV ``_c0``, ``_c1``, ...; Clarify names them from
the analysis config's ``headers``. Types are inferred from the whole file (integers stay integers), because
Clarify's facet and label rules depend on them.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Sequence

import polars as pl

from pipelines.errors import UserError
from pipelines.storage import Storage


class DatasetError(UserError):
    """A dataset file that cannot be read as the expected table."""


def _first_row(text: str) -> list[str]:
    for row in csv.reader(io.StringIO(text)):
        if row:
            return [cell.strip().lstrip("\ufeff").strip() for cell in row]
    return []


def _is_number(cell: str) -> bool:
    try:
        float(cell)
    except ValueError:
        return False
    return True


def detect_header(first_row: Sequence[str], headers: Sequence[str] | None) -> bool:
    """Whether the first CSV row is a header.

    With ``headers`` given, it is one exactly when it repeats them; otherwise when it holds some text and no
    number: column names are text, while a header-less row of mixed columns (``12.5,3,mobile``) holds
    numbers. A header-less CSV of text columns only needs an explicit ``has_header=False``.
    """
    if headers is not None:
        return list(first_row) == list(headers)
    cells = [cell for cell in first_row if cell]
    return bool(cells) and not any(_is_number(cell) for cell in cells)


def read_csv_table(
    storage: Storage,
    location: str,
    *,
    headers: Sequence[str] | None = None,
    has_header: bool | None = None,
) -> pl.DataFrame:
    """The CSV at ``location`` as a table; columns named by its header, ``headers``, or ``_c0``... ."""
    data = storage.read_bytes(location)
    text = data.decode("utf-8-sig", errors="replace")
    first_row = _first_row(text)
    if not first_row:
        raise DatasetError(f"{location}: empty file, expected CSV rows")
    header_present = detect_header(first_row, headers) if has_header is None else has_header
    try:
        table = pl.read_csv(
            io.BytesIO(data),
            has_header=header_present,
            infer_schema_length=None,
            null_values=[""],
        )
    except (pl.exceptions.ComputeError, pl.exceptions.NoDataError) as exc:
        raise DatasetError(f"{location}: not a readable CSV ({exc})") from None
    if header_present:
        # Named from the csv module's reading of the header: polars keeps a quoted name's doubled quotes
        # (a column named '"' comes out as '""'), while its data rows are read right.
        names = first_row if len(first_row) == table.width else [c.strip() for c in table.columns]
        table = table.rename(dict(zip(table.columns, names, strict=True)))
    if headers is not None:
        if len(headers) != table.width:
            raise DatasetError(
                f"{location}: {table.width} columns but {len(headers)} headers given ({', '.join(headers)})"
            )
        return table.rename(dict(zip(table.columns, headers, strict=True)))
    if not header_present:
        return table.rename({c: f"_c{i}" for i, c in enumerate(table.columns)})
    return table


def require_columns(table: pl.DataFrame, columns: Sequence[str], *, where: str) -> None:
    """Raise one line per missing column, listing what the table has."""
    missing = [c for c in columns if c not in table.columns]
    if missing:
        available = ", ".join(table.columns)
        raise DatasetError([f"{where}: no column {c!r}; the table has: {available}" for c in missing])


def column_problems(
    columns: Sequence[str], wanted: Sequence[tuple[str, str | None]], where: str
) -> list[str]:
    """One line per ``(what, column)`` of ``wanted`` that is not among ``columns`` (None: not asked for)."""
    available = ", ".join(columns)
    return [
        f"{what} {name!r}: no such column in {where}; it has: {available}"
        for what, name in wanted
        if name is not None and name not in columns
    ]
