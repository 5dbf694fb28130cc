"""What a baseline dataset says that its baseline files would not: warnings, one line per problem.

A baseline is written from whatever dataset it is given, and SageMaker's analyzer writes it without a word;
these are the cases in which the files would silently not mean what the user thinks (issue 14):

- the dataset has no rows: every feature is ``Unknown``, with no statistics, and nothing is ever checked;
- a column is typed ``String`` because a few of its values are not numbers: the analyzer (Deequ's
  ``DataTypeHistogram``, ``data_quality/value_types.py``) types a column String as soon as one value is not
  a number, and the data-type check then accepts anything (every value has a text); its numbers are
  profiled as categories. The warning says how many values, which lines and their share;
- a column is empty in every row: its type is ``Unknown`` and no check applies to it;
- a column looks like an identifier or personal data: its name says so (ID, IP, address, e-mail, phone...),
  or nearly every value of a text column is distinct (a record key): its values would be written into
  ``statistics.json``'s categories and compared as a distribution that cannot hold twice. Such columns
  belong in ``--exclude``.

Each warning names the column and what to do. ``baseline --strict`` makes them errors, before anything is
written.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass

import polars as pl

from pipelines.monitoring.data_quality.value_types import FRACTIONAL_PATTERN, INTEGRAL_PATTERN
from pipelines.setting_names import setting

# A text column with at least this many values, nearly all distinct, is a record key rather than a category.
MIN_ROWS_FOR_DISTINCT = 20
DISTINCT_SHARE = 0.95
MAX_LINES_SHOWN = 5
# Words of a column name that say it identifies a record or a person (names are split into words first).
IDENTIFYING_WORDS = frozenset(
    {
        "id",
        "ids",
        "uuid",
        "guid",
        "key",
        "ip",
        "ipv4",
        "ipv6",
        "address",
        "email",
        "mail",
        "phone",
        "telephone",
        "ssn",
        "passport",
        "iban",
        "surname",
        "firstname",
        "lastname",
    }
)
_WORDS = re.compile(r"[A-Z]+(?![a-z])|[A-Z]?[a-z]+|[0-9]+")
_NUMBER = f"({FRACTIONAL_PATTERN})|({INTEGRAL_PATTERN})"


@dataclass(frozen=True, slots=True)
class TextPart:
    """One file of the dataset as the analyzer reads it (every cell text), and how to name its rows."""

    table: pl.DataFrame
    where: str  # the file; rows are named ``{where}:{line}``
    first_line: int  # the file line of the table's first row (2 below a header)


def name_words(name: str) -> set[str]:
    """``"Customer ID"`` -> ``{"customer", "id"}``, ``"ipAddress"`` -> ``{"ip", "address"}``."""
    return {word.lower() for word in _WORDS.findall(name)}


def dataset_warnings(
    parts: Sequence[TextPart], columns: Sequence[str], not_features: Sequence[str]
) -> list[str]:
    """One line per problem of ``columns`` (the ones that will be profiled); ``not_features`` (the label and
    the predictions) are checked for rows and emptiness only."""
    rows = sum(part.table.height for part in parts)
    where = ", ".join(part.where for part in parts)
    if rows == 0:
        return [
            f"{where} has a header and no rows: every feature would be Unknown, with no statistics, and no "
            "execution could ever be checked against it; give a dataset with rows"
        ]
    warnings: list[str] = []
    for column in columns:
        values = [part.table.get_column(column) for part in parts]
        present = [v.filter(_present(v)) for v in values]
        count = sum(len(p) for p in present)
        if count == 0:
            warnings.append(
                f"column {column!r} is empty in all {rows} rows: its type is Unknown and no check applies to "
                f"it; drop it or give it to {setting('exclude')}"
            )
            continue
        if column in not_features:
            continue
        texts = all(v.dtype == pl.String for v in values)  # a table given in memory keeps its types
        warning = _numbers_with_text(column, parts, count) if texts else None
        if warning is not None:
            warnings.append(warning)
        warning = _identifying(column, present if texts else [], count)
        if warning is not None:
            warnings.append(warning)
    return warnings


def _present(values: pl.Series) -> pl.Series:
    """Missing as the analyzer reads a CSV: null or empty (a cell of spaces is a text)."""
    return values.is_not_null() & (values != "") if values.dtype == pl.String else values.is_not_null()


def _numbers_with_text(column: str, parts: Sequence[TextPart], present: int) -> str | None:
    """A column the analyzer types String although most of its values are numbers."""
    numbers = 0
    bad: list[str] = []  # where and value of the first non-numbers
    bad_count = 0
    for part in parts:
        texts = part.table.get_column(column)
        is_present = _present(texts)
        is_number = texts.str.contains(_NUMBER).fill_null(False)
        numbers += int((is_present & is_number).sum())
        rows = (is_present & ~is_number).arg_true()
        bad_count += len(rows)
        for row in rows.head(MAX_LINES_SHOWN - len(bad)).to_list():
            bad.append(f"{part.where}:{part.first_line + row} {texts[row]!r}")
    if bad_count == 0 or numbers <= bad_count:
        return None
    more = f" and {bad_count - len(bad)} more" if bad_count > len(bad) else ""
    are = "is not a number" if bad_count == 1 else "are not numbers"
    return (
        f"column {column!r} is typed String because {bad_count} of its {present} values "
        f"({bad_count / present:.2%}) {are}: {', '.join(bad)}{more}. The analyzer types a column String as "
        "soon as one value is not a number (its data-type check then accepts anything, and its numbers are "
        f"compared as categories); correct or remove those values, or give the column to {setting('exclude')}"
    )


def _identifying(column: str, present: Sequence[pl.Series], count: int) -> str | None:
    """A column whose name, or (for text) whose values, say it identifies a record or a person."""
    words = name_words(column) & IDENTIFYING_WORDS
    if words:
        return (
            f"column {column!r} looks like an identifier or personal data (its name says "
            f"{', '.join(sorted(words))}): its values would be written into statistics.json and compared as "
            f"a distribution; if it is not a model input, give it to {setting('exclude')}"
        )
    if not present or count < MIN_ROWS_FOR_DISTINCT:
        return None
    values = pl.concat(present) if len(present) > 1 else present[0]
    if values.str.contains(_NUMBER).mean() > 0.5:  # type: ignore[operator]
        return None  # mostly numbers, all distinct, are a continuous feature (amounts), not a key
    distinct = values.n_unique()
    if distinct < DISTINCT_SHARE * count:
        return None
    return (
        f"column {column!r} looks like an identifier: {distinct} distinct values in {count} rows "
        f"({distinct / count:.0%}); its values would be written into statistics.json's categories and every "
        f"new value would count as drift; if it is not a model input, give it to {setting('exclude')}"
    )
