"""Baseline datasets: any CSV, with or without a header, local file or folder."""

from __future__ import annotations

from pathlib import Path

import pytest

from pipelines.monitoring.data_quality import (
    DatasetProfile,
    DatasetReadError,
    read_csv_batches,
    statistics_document,
)
from pipelines.storage import Storage


def test_a_csv_with_a_header_keeps_its_column_names(tmp_path: Path) -> None:
    (tmp_path / "train.csv").write_text("Payment Method, Quantity\ncard,1\ncash,2\n")
    (batch,) = read_csv_batches(Storage(), str(tmp_path / "train.csv"))
    assert batch.columns == ["Payment Method", "Quantity"]
    assert batch.rows() == [("card", "1"), ("cash", "2")]


def test_an_explicit_header_flag_overrides_detection(tmp_path: Path) -> None:
    (tmp_path / "data.csv").write_text("a,b\nc,d\n")
    (batch,) = read_csv_batches(Storage(), str(tmp_path / "data.csv"), header=False)
    assert batch.columns == ["_c0", "_c1"]
    assert batch.height == 2


def test_a_folder_means_every_csv_below_it(tmp_path: Path) -> None:
    (tmp_path / "part-1.csv").write_text("1,2.5\n")
    (tmp_path / "part-2.csv").write_text("2,3.5\n")
    profile = DatasetProfile.of(read_csv_batches(Storage(), str(tmp_path)))
    assert profile.item_count == 2


def test_empty_cells_are_missing_values(tmp_path: Path) -> None:
    (tmp_path / "data.csv").write_text("amount,method\n1.5,\n,card\n")
    statistics = statistics_document(
        DatasetProfile.of(read_csv_batches(Storage(), str(tmp_path / "data.csv")))
    )
    amount, method = statistics["features"]
    assert amount["numerical_statistics"]["common"] == {
        "num_present": 1,
        "num_missing": 1,
        "completeness": 0.5,
    }
    assert method["string_statistics"]["common"] == {"num_present": 1, "num_missing": 1, "completeness": 0.5}


def test_a_missing_dataset_is_a_clear_error(tmp_path: Path) -> None:
    with pytest.raises(DatasetReadError, match=r"no such file, and no \.csv files below it"):
        list(read_csv_batches(Storage(), str(tmp_path / "nowhere.csv")))


def test_repeated_header_names_are_a_clear_error(tmp_path: Path) -> None:
    (tmp_path / "data.csv").write_text("a,a\nx,y\n")
    with pytest.raises(
        DatasetReadError, match=r"column name 'a' is repeated \(columns 1 and 2\): rename one"
    ):
        list(read_csv_batches(Storage(), str(tmp_path / "data.csv")))
