"""``tabular.detect_header``: whether a CSV's first row names the columns, when nobody said."""

from __future__ import annotations

import pytest

from pipelines.monitoring.tabular import detect_header


@pytest.mark.parametrize(
    ("first_row", "expected"),
    [
        (["amount", "quantity", "device"], True),
        (["Transaction ID", "", "Is Fraudulent"], True),  # an unnamed index column
        (["12.5", "3", "0.7"], False),
        (["12.576", "3", "b", "0.1179"], False),  # a header-less row of mixed columns
        (["1e-3", "nan", "mobile"], False),  # numbers as float() reads them
        (["", ""], False),
    ],
)
def test_a_header_holds_text_and_no_number(first_row: list[str], expected: bool) -> None:
    assert detect_header(first_row, None) is expected


def test_given_headers_make_it_a_header_only_when_it_repeats_them() -> None:
    assert detect_header(["a", "b"], ["a", "b"]) is True
    assert detect_header(["x", "y"], ["a", "b"]) is False
