"""What goes into the rejected- and failed-rows files ("quarantine" files), and how failed rows are read back.

Pure functions over cells: no AWS here (``s3_objects.QuarantineSink`` streams the rows to S3).

A quarantine file is a CSV: the input file's own header plus ``Source Line`` and ``Reason``, then one row per
rejected or failed row with its original cells, so that a corrected file can be uploaded again as it is (the
scorer ignores the extra columns). Failed-rows files also carry the prediction of a row that was scored but
not stored (``Prediction`` ... ``Scored At``, empty when the row was not scored): the function's own retry
stores it without invoking the endpoint again (issue 13: a fully throttled table made the retry send 1,000
rows to the endpoint a second time, duplicating data capture).

Two protections, because these files are opened by people, often in a spreadsheet (issue 13):
- personal data (``rows.PERSONAL_COLUMNS``) is replaced by ``REDACTED`` unless STORE_PERSONAL_DATA=true, the
  setting that also allows storing it in DynamoDB (with it false, a retry loses nothing: those values are not
  stored anyway);
- a cell that a spreadsheet would run as a formula (starting with ``=``, ``+``, ``-``, ``@``, tab or CR) gets
a
  leading ``'``, as the OWASP CSV-injection guidance says
  (https://owasp.org/www-community/attacks/CSV_Injection); numbers such as ``-12.5`` are left alone. The
  function removes exactly that quote when it reads its own failed rows back (``restore_cell``).
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from transaction_scoring import contract
from transaction_scoring.rows import PERSONAL_COLUMNS

SOURCE_LINE_COLUMN = "Source Line"
REASON_COLUMN = "Reason"
# The prediction of a row that was scored but not stored, in failed-rows files only.
PREDICTION_COLUMN = "Prediction"
PROBABILITY_COLUMN = "Fraud Probability Pct"
INFERENCE_ID_COLUMN = "Inference Id"
VARIANT_COLUMN = "Endpoint Variant"
SCORED_AT_COLUMN = "Scored At"
REJECTED_COLUMNS = (SOURCE_LINE_COLUMN, REASON_COLUMN)
FAILED_COLUMNS = (
    SOURCE_LINE_COLUMN,
    REASON_COLUMN,
    PREDICTION_COLUMN,
    PROBABILITY_COLUMN,
    INFERENCE_ID_COLUMN,
    VARIANT_COLUMN,
    SCORED_AT_COLUMN,
)
REDACTED = "[redacted]"
_FORMULA_TRIGGERS = ("=", "+", "-", "@", "\t", "\r")
_NUMBER = re.compile(r"[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?")


def needs_quote(cell: str) -> bool:
    """Whether a spreadsheet could run ``cell`` as a formula (or it starts like one already escaped)."""
    if cell.startswith(_FORMULA_TRIGGERS):
        return not _NUMBER.fullmatch(cell)
    return cell.startswith("'") and needs_quote(cell[1:])


def neutralise_cell(cell: str) -> str:
    return f"'{cell}" if needs_quote(cell) else cell


def restore_cell(cell: str) -> str:
    """The original of a neutralised cell (``restore_cell(neutralise_cell(c)) == c`` for every ``c``)."""
    return cell[1:] if cell.startswith("'") and needs_quote(cell[1:]) else cell


@dataclass(frozen=True, slots=True)
class Redaction:
    """Which cells of a file's rows are personal data to blank out (none when personal data is allowed)."""

    positions: frozenset[int]

    @classmethod
    def for_header(cls, header_cells: Sequence[str], *, keep_personal_data: bool) -> Redaction:
        if keep_personal_data:
            return cls(frozenset())
        personal = set(PERSONAL_COLUMNS)
        return cls(
            frozenset(i for i, c in enumerate(header_cells) if contract.canonical_column(c) in personal)
        )

    def apply(self, cells: Sequence[str]) -> list[str]:
        return [
            REDACTED if i in self.positions and cell else neutralise_cell(cell)
            for i, cell in enumerate(cells)
        ]


def header_row(header_cells: Sequence[str], extra: Sequence[str]) -> list[str]:
    return [neutralise_cell(c) for c in [*header_cells, *extra]]


@dataclass(frozen=True, slots=True)
class KeptPrediction:
    """A prediction kept in a failed-rows file for a row that was scored but not stored."""

    label: int
    probability_pct: float
    inference_id: str
    variant: str
    scored_at: str

    def cells(self) -> list[str]:
        return [
            str(self.label),
            repr(self.probability_pct),
            self.inference_id,
            self.variant,
            self.scored_at,
        ]


def failed_extra_cells(line: int, reason: str, kept: KeptPrediction | None) -> list[str]:
    return [str(line), neutralise_cell(reason), *(kept.cells() if kept else ["", "", "", "", ""])]


@dataclass(frozen=True, slots=True)
class FailedRow:
    """A row read back from a failed-rows file: its line, original cells and the prediction if it had one."""

    line: int
    cells: list[str]
    kept: KeptPrediction | None


class FailedFileError(ValueError):
    """A failed-rows file that this function did not write in this shape."""


class FailedRowParser:
    """Turns the rows of a failed-rows file back into ``FailedRow``s, given the file's header row."""

    def __init__(self, header: Sequence[str]) -> None:
        cells = [restore_cell(c) for c in header]
        if len(cells) < len(FAILED_COLUMNS) or tuple(cells[-len(FAILED_COLUMNS) :]) != FAILED_COLUMNS:
            raise FailedFileError(f"its header does not end with the columns {', '.join(FAILED_COLUMNS)}")
        self.input_header = cells[: -len(FAILED_COLUMNS)]
        self._width = len(cells)

    def parse(self, cells: Sequence[str]) -> FailedRow:
        if len(cells) != self._width:
            raise FailedFileError(f"a row has {len(cells)} cells where its header has {self._width}")
        restored = [restore_cell(c) for c in cells]
        n = len(self.input_header)
        extra: Mapping[str, str] = dict(zip(FAILED_COLUMNS, restored[n:], strict=True))
        kept = None
        if extra[PREDICTION_COLUMN]:
            kept = KeptPrediction(
                label=int(extra[PREDICTION_COLUMN]),
                probability_pct=float(extra[PROBABILITY_COLUMN]),
                inference_id=extra[INFERENCE_ID_COLUMN],
                variant=extra[VARIANT_COLUMN],
                scored_at=extra[SCORED_AT_COLUMN],
            )
        return FailedRow(line=int(extra[SOURCE_LINE_COLUMN]), cells=restored[:n], kept=kept)
