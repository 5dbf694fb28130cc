"""Reading and validating transaction rows: pure functions, no AWS."""

from __future__ import annotations

import io

import pytest
from scoring_world import VALID_ROW, csv_text, transaction
from transaction_scoring import contract
from transaction_scoring.errors import HeaderError
from transaction_scoring.rows import Header, RejectedRow, RowValidator, ValidRow, csv_lines

HEADER = Header.parse(list(contract.TRANSACTION_COLUMNS), where="s3://b/k.csv")


def _cells(**overrides: str) -> list[str]:
    row = transaction(1, **overrides)
    return [row[c] for c in contract.TRANSACTION_COLUMNS]


def _validate(*, keep_personal_data: bool = False, **overrides: str) -> ValidRow | RejectedRow:
    return RowValidator(HEADER, keep_personal_data=keep_personal_data).validate(2, _cells(**overrides))


def _reason(**overrides: str) -> str:
    result = RowValidator(HEADER, keep_personal_data=False).validate(2, _cells(**overrides))
    assert isinstance(result, RejectedRow), result
    return result.reason


# -- csv_lines -----------------------------------------------------------------------------------------


def test_lines_are_numbered_as_in_the_file_and_blank_lines_are_skipped() -> None:
    lines = list(csv_lines(io.StringIO("a,b\n\n1,2\n,\n3,4\n")))
    assert [(line.line, line.cells) for line in lines] == [(1, ["a", "b"]), (3, ["1", "2"]), (5, ["3", "4"])]


def test_crlf_and_line_breaks_inside_quoted_cells_are_read_correctly() -> None:
    lines = list(csv_lines(io.StringIO('a,b\r\n"x\r\ny",2\r\n3,4\r\n', newline="")))
    assert [line.cells for line in lines] == [["a", "b"], ["x\r\ny", "2"], ["3", "4"]]
    assert [line.line for line in lines] == [1, 3, 4]


def test_a_line_the_csv_parser_rejects_is_reported_and_reading_goes_on() -> None:
    huge = "x" * (200 * 1024)  # beyond the csv module's field size limit
    lines = list(csv_lines(io.StringIO(f'a,b\n"{huge}",1\n2,3\n')))
    assert lines[1].error is not None
    assert lines[1].error.startswith("malformed CSV: field larger than")
    assert lines[2].cells == ["2", "3"]


def test_rows_are_read_one_at_a_time_not_the_whole_stream_first() -> None:
    stream = io.StringIO("a,b\n1,2\n" + "3,4\n" * 100_000)
    lines = csv_lines(stream)
    assert next(lines).cells == ["a", "b"]
    assert stream.tell() < 100  # only the header line has been consumed


# -- header --------------------------------------------------------------------------------------------


def test_header_locates_columns_in_any_order_and_ignores_unknown_ones() -> None:
    cells = ["Comment", *reversed(contract.TRANSACTION_COLUMNS)]
    header = Header.parse(cells, where="f")
    assert header.positions[contract.TRANSACTION_ID] == len(cells) - 1
    assert header.ignored == ("Comment",)


def test_header_accepts_transactionid_and_a_bom_before_the_first_column() -> None:
    cells = ["\ufeffTransactionID", *contract.TRANSACTION_COLUMNS[1:]]
    assert Header.parse(cells, where="f").positions[contract.TRANSACTION_ID] == 0


def test_the_label_column_is_optional() -> None:
    cells = [c for c in contract.TRANSACTION_COLUMNS if c != contract.IS_FRAUDULENT]
    assert contract.IS_FRAUDULENT not in Header.parse(cells, where="f").positions


def test_missing_columns_are_all_named_with_the_file() -> None:
    cells = [c for c in contract.TRANSACTION_COLUMNS if c not in (contract.QUANTITY, contract.IP_ADDRESS)]
    with pytest.raises(HeaderError) as raised:
        Header.parse(cells, where="s3://b/old.csv")
    (problem,) = raised.value.problems
    assert problem.startswith("s3://b/old.csv: header is missing required columns: 'Quantity', 'IP Address'")
    assert "expected the columns 'Transaction ID', 'Customer ID'" in problem


def test_a_column_in_another_case_is_pointed_out() -> None:
    cells = [
        ("transaction amount" if c == contract.TRANSACTION_AMOUNT else c)
        for c in contract.TRANSACTION_COLUMNS
    ]
    with pytest.raises(HeaderError, match="found 'transaction amount' for 'Transaction Amount'"):
        Header.parse(cells, where="f")


def test_a_repeated_column_is_a_header_problem() -> None:
    with pytest.raises(HeaderError, match="header has column 'Quantity' twice \\(columns 7 and 17\\)"):
        Header.parse([*contract.TRANSACTION_COLUMNS, "Quantity"], where="f")


# -- valid rows ----------------------------------------------------------------------------------------


def test_a_valid_row_becomes_a_request_record_with_numbers_as_numbers() -> None:
    row = _validate()
    assert isinstance(row, ValidRow)
    assert row.record == {
        contract.TRANSACTION_ID: "tx-1",
        contract.TRANSACTION_AMOUNT: 17.25,
        contract.TRANSACTION_DATE: "2024-02-20 05:58:41",
        contract.PAYMENT_METHOD: "credit card",
        contract.PRODUCT_CATEGORY: "electronics",
        contract.QUANTITY: 2,
        contract.CUSTOMER_AGE: 33,
        contract.CUSTOMER_LOCATION: "Lake Jasmine",
        contract.DEVICE_USED: "mobile",
        contract.ACCOUNT_AGE_DAYS: 120,
        contract.TRANSACTION_HOUR: 5,
    }
    assert list(row.record) == list(contract.REQUEST_COLUMNS)
    assert (row.transaction_id, row.customer_id, row.line) == ("tx-1", "cust-1", 2)
    assert row.personal_data is None


def test_personal_data_is_kept_aside_only_when_asked() -> None:
    row = _validate(keep_personal_data=True)
    assert isinstance(row, ValidRow)
    assert row.personal_data == {
        contract.CUSTOMER_ID: "cust-1",
        contract.IP_ADDRESS: VALID_ROW[contract.IP_ADDRESS],
        contract.SHIPPING_ADDRESS: VALID_ROW[contract.SHIPPING_ADDRESS],
        contract.BILLING_ADDRESS: VALID_ROW[contract.BILLING_ADDRESS],
    }
    assert contract.IP_ADDRESS not in row.record


def test_whole_numbers_written_as_floats_are_accepted() -> None:
    row = _validate(Quantity="3.0", Customer_Age=" 41 ")
    assert isinstance(row, ValidRow)
    assert (row.record[contract.QUANTITY], row.record[contract.CUSTOMER_AGE]) == (3, 41)


def test_an_empty_category_is_sent_as_null() -> None:
    row = _validate(Device_Used="  ")
    assert isinstance(row, ValidRow)
    assert row.record[contract.DEVICE_USED] is None


def test_ids_are_trimmed() -> None:
    row = _validate(Transaction_ID="  tx-9 ")
    assert isinstance(row, ValidRow)
    assert row.transaction_id == "tx-9"


# -- rejected rows -------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("overrides", "reason"),
    [
        ({"Transaction_Amount": "abc"}, "Transaction Amount 'abc' is not a number"),
        ({"Transaction_Amount": "nan"}, "Transaction Amount 'nan' is not a finite number"),
        ({"Quantity": "2.5"}, "Quantity '2.5' is not a whole number"),
        ({"Customer_Age": ""}, "Customer Age '' is not a number"),
        ({"Account_Age_Days": "ten"}, "Account Age Days 'ten' is not a number"),
        ({"Transaction_Hour": "-1"}, "Transaction Hour -1 is out of range: expected 0..23"),
        (
            {"Transaction_Date": "20/02/2024 05:58"},
            "Transaction Date '20/02/2024 05:58' is not a date and time",
        ),
        ({"Transaction_Date": "2024-02-20T05:58:41"}, "expected YYYY-MM-DD HH:MM:SS"),
        ({"Transaction_ID": " "}, "Transaction ID is empty"),
        ({"Customer_ID": ""}, "Customer ID is empty"),
        (
            {"Transaction_ID": "t" * 65},
            "has 65 characters: at most 64 are allowed (it is the endpoint's InferenceId)",
        ),
        ({"Transaction_ID": "tx\t1"}, "is not a valid ID: expected 1-64 letters, digits"),
        ({"Transaction_ID": '=HYPERLINK("x")'}, "is not a valid ID"),
        ({"Transaction_ID": "tx 1"}, "is not a valid ID"),
        ({"Customer_ID": "c" * 1001}, "Customer ID has 1,001 characters: at most 1,000 are allowed"),
        ({"Shipping_Address": "a" * 5000}, "Shipping Address has 5,000 characters"),
        ({"Transaction_ID": "#lease"}, "starts with '#', which is reserved"),
    ],
)
def test_each_kind_of_bad_value_is_rejected_with_a_reason_naming_column_and_value(
    overrides: dict[str, str], reason: str
) -> None:
    assert reason in _reason(**overrides)


def test_all_problems_of_a_row_are_listed_and_the_columns_recorded() -> None:
    result = _validate(Transaction_Amount="x", Transaction_Hour="99")
    assert isinstance(result, RejectedRow)
    assert result.reason == (
        "Transaction Amount 'x' is not a number; Transaction Hour 99 is out of range: expected 0..23"
    )
    assert result.columns == (contract.TRANSACTION_AMOUNT, contract.TRANSACTION_HOUR)
    assert result.transaction_id == "tx-1"


def test_a_row_with_the_wrong_number_of_cells_is_rejected() -> None:
    result = RowValidator(HEADER, keep_personal_data=False).validate(7, ["tx-1", "cust"])
    assert isinstance(result, RejectedRow)
    assert result.reason == f"has 2 cells where the header has {len(contract.TRANSACTION_COLUMNS)}"


def test_bytes_that_are_not_utf8_reject_the_row() -> None:
    text = csv_text([transaction(1, Customer_Location="S\xe3o Paulo")]).encode("latin-1")
    stream = io.TextIOWrapper(io.BytesIO(text), encoding="utf-8-sig", errors="replace", newline="")
    lines = csv_lines(stream)
    header = Header.parse(next(lines).cells, where="f")
    result = RowValidator(header, keep_personal_data=False).validate(2, next(lines).cells)
    assert isinstance(result, RejectedRow)
    assert "bytes that are not UTF-8" in result.reason


def test_long_values_are_shortened_in_reasons() -> None:
    reason = _reason(Transaction_Amount="9" * 30 + "x" * 100)
    assert len(reason) < 100
    assert "…'" in reason
