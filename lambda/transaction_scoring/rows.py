"""Reading a transaction CSV as a stream of rows, checking its header and validating each row.

Pure functions over text: no AWS here. A file's header must name every required column (else the whole
file is rejected, naming what is missing); each row is then cast and checked on its own, and a bad row becomes
a ``RejectedRow`` with a reason a person can act on, never an exception that stops the file.
"""

from __future__ import annotations

import csv
import math
import re
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any, TextIO

from transaction_scoring import contract
from transaction_scoring.errors import HeaderError

# SageMaker's InferenceId: at most 64 characters of printable text
# (https://docs.aws.amazon.com/sagemaker/latest/APIReference/API_runtime_InvokeEndpoint.html). With one
# record per request the Transaction ID is the InferenceId, so every ID must qualify.
MAX_TRANSACTION_ID_LENGTH = 64
# What a Transaction ID may look like (issue 13): it is a DynamoDB key, an InferenceId and a cell of files
# opened in spreadsheets, so letters, digits and ``. _ : -`` only, starting with a letter or a digit: UUIDs
# and "tx-2024-000123" qualify; a formula (``=HYPERLINK(...)``), spaces, quotes and control characters do not.
TRANSACTION_ID_PATTERN = re.compile(r"[A-Za-z0-9][A-Za-z0-9._:-]{0,63}")
TRANSACTION_ID_ALLOWED = "1-64 letters, digits, '.', '_', ':' or '-', starting with a letter or a digit"
# Keys starting with this are the function's own bookkeeping items in the table (see ``store``).
RESERVED_ID_PREFIX = "#"
# Longest value of any other column the function sends or stores (issue 13, "one oversized cell fails its
# batch"): 16 such values stay far below DynamoDB's 400 KB item limit, so no valid row can make DynamoDB
# refuse a batch. A real customer ID, city or postal address is a few dozen characters.
MAX_CELL_CHARS = 1000
# Columns treated as personal data: stored in DynamoDB, and copied into rejected/failed-rows files, only with
# STORE_PERSONAL_DATA=true. The Customer ID is one (issue 13): it identifies a person as much as an address
# does (GDPR recital 26: pseudonymous data is personal data); the Transaction ID links a prediction back to
# the source system, which holds the customer. None of them is ever sent to the endpoint.
PERSONAL_COLUMNS: tuple[str, ...] = (contract.CUSTOMER_ID, *contract.PERSONAL_DATA_COLUMNS)
# Ranges a value must fall in, beyond being a number of the right kind.
VALUE_RANGES: Mapping[str, tuple[int, int]] = {contract.TRANSACTION_HOUR: (0, 23)}
_DATE_SHAPE = "YYYY-MM-DD HH:MM:SS"
_DATE_LENGTH = len("2024-01-31 23:59:59")
# What a decoder puts in place of bytes that are not UTF-8 (the stream is read with errors="replace").
_REPLACEMENT_CHARACTER = "\ufffd"
_SHOWN_VALUE_LENGTH = 40
# Records a problem of a row: the column at fault and a reason quoting the value.
ReportProblem = Callable[[str, str], None]


@dataclass(frozen=True, slots=True)
class CsvLine:
    """One CSV record: the line it ends on, its cells, or why it could not be parsed."""

    line: int
    cells: list[str]
    error: str | None = None


def csv_lines(stream: TextIO) -> Iterator[CsvLine]:
    """Records of a CSV text stream, one at a time (memory does not grow with the file).

    ``stream`` must be opened with ``newline=""`` so that CRLF files and line breaks inside quoted cells
    are read correctly. Blank lines (and rows of empty cells) are skipped. A record the CSV parser cannot
    read comes back with ``error`` set, and reading continues with the next line.
    """
    return csv_records(stream)


def csv_records(lines: Iterable[str], *, first_line: int = 1, skip_empty: bool = True) -> Iterator[CsvLine]:
    """Records of lines of CSV text (``csv_lines``), numbered from ``first_line``; with ``skip_empty`` False a
    blank line is a record without cells and a row of empty cells is kept.

    ``csv.reader`` pulls a line at a time and stops at a record's end, so when a record is yielded exactly its
    lines have been consumed (``reading.records`` relies on it for byte offsets).
    """
    reader = csv.reader(lines)
    while True:
        try:
            cells = next(reader)
        except StopIteration:
            return
        except csv.Error as exc:
            yield CsvLine(first_line + reader.line_num - 1, [], f"malformed CSV: {exc}")
            continue
        if skip_empty and (not cells or (not cells[0].strip() and not any(cell.strip() for cell in cells))):
            continue
        yield CsvLine(first_line + reader.line_num - 1, cells)


@dataclass(frozen=True, slots=True)
class Header:
    """A file's header row: where each known column is, and the cells that are not ours (ignored)."""

    cells: tuple[str, ...]
    positions: Mapping[str, int]
    ignored: tuple[str, ...]

    @classmethod
    def parse(cls, cells: Sequence[str], *, where: str) -> Header:
        """Locate the columns; raise ``HeaderError`` naming every missing or repeated column."""
        positions: dict[str, int] = {}
        ignored: list[str] = []
        problems: list[str] = []
        for index, cell in enumerate(cells):
            name = contract.canonical_column(cell)
            if name not in contract.TRANSACTION_COLUMNS:
                ignored.append(cell)
            elif name in positions:
                problems.append(
                    f"{where}: header has column {name!r} twice (columns {positions[name] + 1} and "
                    f"{index + 1}): keep one"
                )
            else:
                positions[name] = index
        missing = [column for column in contract.REQUIRED_INPUT_COLUMNS if column not in positions]
        if missing:
            problems.insert(
                0, f"{where}: header is missing required columns: {_names(missing)}{_hints(missing, ignored)}"
            )
        if problems:
            raise HeaderError(problems)
        return cls(cells=tuple(cells), positions=positions, ignored=tuple(ignored))


def _names(columns: Iterable[str]) -> str:
    return ", ".join(repr(c) for c in columns)


def _hints(missing: Sequence[str], ignored: Sequence[str]) -> str:
    """Point at header cells that look like a missing column, e.g. a different case or spacing."""
    folded = {"".join(cell.split()).casefold(): cell for cell in ignored}
    near = [
        f"{folded[key]!r} for {column!r}"
        for column in missing
        if (key := "".join(column.split()).casefold()) in folded
    ]
    hint = f" (found {', '.join(near)}: column names are case- and space-sensitive)" if near else ""
    allowed = f"; expected the columns {_names(contract.REQUIRED_INPUT_COLUMNS)}"
    return hint + allowed


@dataclass(slots=True)
class ValidRow:
    """A row that passed validation: what is sent to the endpoint and what is stored."""

    line: int
    cells: list[str]
    transaction_id: str
    customer_id: str
    record: dict[str, Any]  # the request record (contract.REQUEST_COLUMNS), numbers as numbers
    personal_data: dict[str, str] | None  # only when the function is told to store it


@dataclass(slots=True)
class RejectedRow:
    """A row that cannot be scored, with the reason (which may quote values) and the columns at fault."""

    line: int
    cells: list[str]
    reason: str
    columns: tuple[str, ...] = ()  # for logs, which must not carry row values
    transaction_id: str | None = None


class RowValidator:
    """Casts and checks the rows of one file, given its header."""

    def __init__(self, header: Header, *, keep_personal_data: bool) -> None:
        positions = header.positions
        self._width = len(header.cells)
        self._id = positions[contract.TRANSACTION_ID]
        self._customer = positions[contract.CUSTOMER_ID]
        self._date = positions[contract.TRANSACTION_DATE]
        self._fractional = [(c, positions[c]) for c in contract.FRACTIONAL_COLUMNS]
        self._integer = [(c, positions[c], VALUE_RANGES.get(c)) for c in contract.INTEGER_COLUMNS]
        self._categorical = [(c, positions[c]) for c in contract.CATEGORICAL_FEATURE_COLUMNS]
        self._personal = [(c, positions[c]) for c in PERSONAL_COLUMNS] if keep_personal_data else None
        self._bounded = [
            (c, positions[c]) for c in contract.REQUIRED_INPUT_COLUMNS if c != contract.TRANSACTION_ID
        ]

    def validate(self, line: int, cells: list[str]) -> ValidRow | RejectedRow:
        if len(cells) != self._width:
            return RejectedRow(
                line, cells, f"has {len(cells)} cells where the header has {self._width}", ("(row)",)
            )
        problems: list[str] = []
        columns: list[str] = []

        def problem(column: str, text: str) -> None:
            columns.append(column)
            problems.append(text)

        if _REPLACEMENT_CHARACTER in "".join(cells):
            problem(
                "(row)", "contains bytes that are not UTF-8 text (shown as \ufffd): save the file as UTF-8"
            )
        transaction_id = cells[self._id].strip()
        _check_transaction_id(transaction_id, problem)
        customer_id = cells[self._customer].strip()
        if not customer_id:
            problem(contract.CUSTOMER_ID, f"{contract.CUSTOMER_ID} is empty")
        for column, index in self._bounded:
            if len(cells[index]) > MAX_CELL_CHARS:
                problem(
                    column,
                    f"{column} has {len(cells[index]):,} characters: at most {MAX_CELL_CHARS:,} are allowed",
                )

        values: dict[str, Any] = {contract.TRANSACTION_ID: transaction_id}
        for column, index in self._fractional:
            values[column] = _fractional(column, cells[index], problem)
        for column, index, value_range in self._integer:
            values[column] = _integer(column, cells[index], value_range, problem)
        values[contract.TRANSACTION_DATE] = _date(cells[self._date], problem)
        for column, index in self._categorical:
            # An empty category is sent as null, so that monitors count it as missing, not as a category "".
            values[column] = cells[index].strip() or None

        if problems:
            return RejectedRow(line, cells, "; ".join(problems), tuple(columns), transaction_id or None)
        personal = (
            {column: cells[index].strip() for column, index in self._personal} if self._personal else None
        )
        return ValidRow(
            line=line,
            cells=cells,
            transaction_id=transaction_id,
            customer_id=customer_id,
            record=contract.request_record(values),
            personal_data=personal,
        )


def _shown(value: str) -> str:
    """A cell value as quoted in a reason, cut short so that one bad cell cannot flood the rejected file."""
    if len(value) > _SHOWN_VALUE_LENGTH:
        value = value[: _SHOWN_VALUE_LENGTH - 1] + "…"
    return repr(value)


def _check_transaction_id(transaction_id: str, problem: ReportProblem) -> None:
    column = contract.TRANSACTION_ID
    if not transaction_id:
        problem(column, f"{column} is empty")
    elif len(transaction_id) > MAX_TRANSACTION_ID_LENGTH:
        problem(
            column,
            f"{column} {_shown(transaction_id)} has {len(transaction_id)} characters: at most "
            f"{MAX_TRANSACTION_ID_LENGTH} are allowed (it is the endpoint's InferenceId)",
        )
    elif transaction_id.startswith(RESERVED_ID_PREFIX):
        problem(
            column,
            f"{column} {_shown(transaction_id)} starts with {RESERVED_ID_PREFIX!r}, which is reserved for "
            "the function's own items in the table",
        )
    elif not TRANSACTION_ID_PATTERN.fullmatch(transaction_id):
        problem(
            column, f"{column} {_shown(transaction_id)} is not a valid ID: expected {TRANSACTION_ID_ALLOWED}"
        )


def _fractional(column: str, raw: str, problem: ReportProblem) -> float | None:
    try:
        value = float(raw)
    except ValueError:
        problem(column, f"{column} {_shown(raw)} is not a number")
        return None
    if not math.isfinite(value):
        problem(column, f"{column} {_shown(raw)} is not a finite number")
        return None
    return value


def _integer(
    column: str, raw: str, value_range: tuple[int, int] | None, problem: ReportProblem
) -> int | None:
    try:
        value = int(raw)
    except ValueError:
        # "3.0" is a whole number written by a tool that stored the column as floats.
        try:
            as_float = float(raw)
        except ValueError:
            problem(column, f"{column} {_shown(raw)} is not a number")
            return None
        if not as_float.is_integer():
            problem(column, f"{column} {_shown(raw)} is not a whole number")
            return None
        value = int(as_float)
    if value_range is not None and not value_range[0] <= value <= value_range[1]:
        problem(column, f"{column} {value} is out of range: expected {value_range[0]}..{value_range[1]}")
        return None
    return value


def _date(raw: str, problem: ReportProblem) -> str | None:
    value = raw.strip()
    column = contract.TRANSACTION_DATE
    # fromisoformat is fast (C) and checks the calendar; the shape check keeps exactly DATE_FORMAT.
    try:
        if len(value) != _DATE_LENGTH or value[10] != " ":
            raise ValueError(value)
        datetime.fromisoformat(value)
    except ValueError:
        problem(column, f"{column} {_shown(raw)} is not a date and time: expected {_DATE_SHAPE}")
        return None
    return value
