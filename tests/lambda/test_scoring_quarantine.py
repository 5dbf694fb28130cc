"""What rejected/failed-rows files contain: neutralised formulas, redacted personal data, kept predictions."""

from __future__ import annotations

import pytest
from transaction_scoring import contract
from transaction_scoring.quarantine import (
    FAILED_COLUMNS,
    REDACTED,
    FailedFileError,
    FailedRowParser,
    KeptPrediction,
    Redaction,
    failed_extra_cells,
    header_row,
    neutralise_cell,
    restore_cell,
)

TRICKY = [
    "=1+1",
    "+cmd",
    "-2+3",
    "@SUM(A1)",
    "\t=x",
    "\r=x",
    "'=1+1",
    "''=x",
    "'plain",
    "-12.5",
    "+7",
    "-1e5",
    ".5",
    "",
    "normal text",
    "=",
    "'",
]


@pytest.mark.parametrize("cell", TRICKY)
def test_restoring_a_neutralised_cell_gives_the_original_back(cell: str) -> None:
    assert restore_cell(neutralise_cell(cell)) == cell


@pytest.mark.parametrize("cell", ["=1+1", "+cmd", "-2+3", "@SUM(A1)", "\t=x", "\r=x", "'=1+1"])
def test_cells_a_spreadsheet_would_run_get_a_leading_quote(cell: str) -> None:
    assert neutralise_cell(cell) == "'" + cell


@pytest.mark.parametrize("cell", ["-12.5", "+7", "-1e5", "normal text", "'plain", ""])
def test_numbers_and_plain_text_are_left_alone(cell: str) -> None:
    assert neutralise_cell(cell) == cell


def test_personal_columns_are_redacted_by_their_canonical_name() -> None:
    header = ["\ufeffTransactionID", *contract.TRANSACTION_COLUMNS[1:]]
    redaction = Redaction.for_header(header, keep_personal_data=False)
    cells = [f"v{i}" for i in range(len(header))]
    redacted = dict(zip(contract.TRANSACTION_COLUMNS, redaction.apply(cells), strict=True))
    assert redacted[contract.CUSTOMER_ID] == redacted[contract.IP_ADDRESS] == REDACTED
    assert redacted[contract.TRANSACTION_ID] == "v0"
    assert Redaction.for_header(header, keep_personal_data=True).apply(cells) == cells


def test_a_failed_row_reads_back_with_its_cells_line_and_kept_prediction() -> None:
    kept = KeptPrediction(1, 87.125, "batch-abc", "AllTraffic", "2026-11-29T10:00:00.000Z")
    header = header_row(["Transaction ID", "=odd column"], FAILED_COLUMNS)
    parser = FailedRowParser(header)
    row = parser.parse(
        ["tx-1", neutralise_cell("=cmd"), *failed_extra_cells(7, "scored but not stored: x", kept)]
    )
    assert (row.line, row.cells, row.kept) == (7, ["tx-1", "=cmd"], kept)
    assert parser.input_header == ["Transaction ID", "=odd column"]


def test_a_failed_row_without_a_prediction_reads_back_unscored() -> None:
    parser = FailedRowParser(header_row(["Transaction ID"], FAILED_COLUMNS))
    assert parser.parse(["tx-1", *failed_extra_cells(2, "not scored: x", None)]).kept is None


def test_a_file_that_is_not_a_failed_rows_file_is_refused() -> None:
    with pytest.raises(FailedFileError, match="does not end with the columns Source Line"):
        FailedRowParser(["Transaction ID", "Source Line", "Reason"])
