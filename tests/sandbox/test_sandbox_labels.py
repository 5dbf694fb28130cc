"""``python -m pipelines.labels``: label CSVs -> Model Monitor ground truth, bad rows kept and explained."""

from __future__ import annotations

import csv
import io
import subprocess
import sys
from datetime import UTC, datetime
from pathlib import Path

import pytest

from pipelines.cli import run
from pipelines.ground_truth import parse_ground_truth_line
from pipelines.labels import (
    LabelFileError,
    default_rejected_location,
    main,
    parse_labels,
    write_ground_truth,
)
from pipelines.sandbox.aws_emulator import AwsEmulator
from pipelines.sandbox.world import AwsClients
from pipelines.storage import Storage

GOOD = "Transaction ID,Is Fraudulent\nt-1,1\nt-2,0\n"


def test_each_row_becomes_a_label_for_its_transaction() -> None:
    parsed = parse_labels(GOOD)
    assert [(r.event_id, r.label) for r in parsed.accepted] == [("t-1", "1"), ("t-2", "0")]
    assert parsed.rejected == []


def test_a_full_transactions_file_with_its_label_can_be_used_as_is() -> None:
    text = "Transaction ID,Customer ID,Transaction Amount,Is Fraudulent\nt-9,c-1,12.5,1\n"
    assert [(r.event_id, r.label) for r in parse_labels(text).accepted] == [("t-9", "1")]


def test_other_column_names_can_be_given() -> None:
    parsed = parse_labels("id,fraud\nx,1\n", id_column="id", label_column="fraud")
    assert [r.event_id for r in parsed.accepted] == ["x"]


def test_bad_rows_are_rejected_with_line_value_and_what_is_allowed() -> None:
    text = "Transaction ID,Is Fraudulent\nt-1,yes\n,1\nt-1,0\nt-1,1\nt-3\n" + "x" * 65 + ",0\n"
    parsed = parse_labels(text)
    assert [r.event_id for r in parsed.accepted] == ["t-1"]
    assert [r.reason for r in parsed.rejected] == [
        "line 2: 'Is Fraudulent' is 'yes': expected one of 0, 1",
        "line 3: 'Transaction ID' is empty",
        "line 5: 'Transaction ID' 't-1' already has a label on line 4",
        "line 6: has 1 cells where the header has 2",
        "line 7: 'Transaction ID' 'xxxxxxxxxxxxxxxxxxxx'... has 65 characters: at most 64 (it must equal the "
        "request's InferenceId)",
    ]


def test_a_file_without_the_label_column_is_refused_naming_the_header() -> None:
    with pytest.raises(LabelFileError) as caught:
        parse_labels("Transaction ID,label\nt-1,1\n", where="labels.csv")
    assert caught.value.problems == (
        "labels.csv: header has no column 'Is Fraudulent' (it has ['Transaction ID', 'label']); "
        "name the columns with --id-column and --label-column",
    )


def test_an_empty_file_is_refused() -> None:
    with pytest.raises(LabelFileError, match="is empty: expected a header row"):
        parse_labels("")


def test_the_rejected_file_sits_next_to_the_input() -> None:
    assert default_rejected_location("data/labels.csv") == "data/labels.rejected.csv"
    assert default_rejected_location("s3://bucket/in/labels.csv") == "s3://bucket/in/labels.rejected.csv"


def test_ground_truth_goes_to_the_collection_hour_and_reruns_write_the_same_file(tmp_path: Path) -> None:
    records = parse_labels(GOOD).accepted
    when = datetime(2026, 6, 1, 17, 45, tzinfo=UTC)
    first = write_ground_truth(Storage(), str(tmp_path), records, when)
    second = write_ground_truth(Storage(), str(tmp_path), records, when)
    assert first == second
    assert Path(first).parent == tmp_path / "2026" / "06" / "01" / "17"
    lines = Path(first).read_text().splitlines()
    assert [parse_ground_truth_line(line).event_id for line in lines] == ["t-1", "t-2"]


def test_the_command_writes_labels_and_exits_0(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    source = tmp_path / "labels.csv"
    source.write_text(GOOD)
    code = main(
        [
            "--input",
            str(source),
            "--ground-truth-uri",
            str(tmp_path / "gt"),
            "--collected-at",
            "2026-06-01T10:00:00Z",
        ]
    )
    assert code == 0
    [written] = list((tmp_path / "gt" / "2026" / "06" / "01" / "10").iterdir())
    assert "wrote 2 labels collected at 2026-06-01T10:00:00Z to" in capsys.readouterr().out
    assert len(written.read_text().splitlines()) == 2


def test_the_command_keeps_rejected_rows_with_their_reason_and_exits_1(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    source = tmp_path / "labels.csv"
    source.write_text("Transaction ID,Is Fraudulent\nt-1,1\nt-2,maybe\n")
    assert main(["--input", str(source), "--ground-truth-uri", str(tmp_path / "gt")]) == 1
    rows = list(csv.reader(io.StringIO((tmp_path / "labels.rejected.csv").read_text())))
    assert rows == [
        ["Transaction ID", "Is Fraudulent", "Rejection Reason"],
        ["t-2", "maybe", "line 3: 'Is Fraudulent' is 'maybe': expected one of 0, 1"],
    ]
    assert f"rejected: {source}: line 3: 'Is Fraudulent' is 'maybe'" in capsys.readouterr().err


def test_a_missing_input_is_one_error_line_and_exit_2(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code = run(main, ["--input", str(tmp_path / "nope.csv"), "--ground-truth-uri", str(tmp_path)])
    assert code == 2
    assert capsys.readouterr().err == f"error: {tmp_path / 'nope.csv'}: no such file\n"


def test_labels_go_to_s3(aws_emulator: AwsEmulator, sandbox_clients: AwsClients) -> None:
    sandbox_clients.s3.create_bucket(Bucket="monitoring")
    sandbox_clients.s3.put_object(Bucket="monitoring", Key="uploads/labels.csv", Body=GOOD.encode())
    code = main(
        [
            "--input",
            "s3://monitoring/uploads/labels.csv",
            "--ground-truth-uri",
            "s3://monitoring/ground-truth/fraud-detection-prod",
            "--collected-at",
            "2026-06-01T10:30:00Z",
        ]
    )
    assert code == 0
    [location] = Storage(sandbox_clients.s3).list_files(
        "s3://monitoring/ground-truth/fraud-detection-prod/2026/06/01/10"
    )
    assert location.endswith(".jsonl")


def test_the_module_runs_as_a_command(tmp_path: Path) -> None:
    source = tmp_path / "labels.csv"
    source.write_text(GOOD)
    result = subprocess.run(
        [
            sys.executable,
            "-m",
            "pipelines.labels",
            "--input",
            str(source),
            "--ground-truth-uri",
            "not-s3://x",
            "--collected-at",
            "soon",
        ],
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 2
    assert result.stderr.strip().splitlines()[-1] == (
        "error: --collected-at 'soon' is not an ISO-8601 time: expected e.g. 2026-11-29T14:00:00Z"
    )
