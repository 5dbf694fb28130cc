"""``python -m pipelines.sandbox big-file`` at a small size: the fan-out path scores every row once."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from pipelines.sandbox.big_file import BigFileError, BigFileOptions, run_big_file


@pytest.mark.slow
def test_a_fanned_out_file_with_a_failing_slice_ends_with_every_row_stored_once(tmp_path: Path) -> None:
    summary = run_big_file(BigFileOptions(rows=3_000, bad_rows=10, output=tmp_path), stream=None)

    assert all(summary.checks.values()), summary.checks
    assert summary.slices_retried >= 1
    assert summary.rows_stored + summary.rows_already_stored == 3_000
    assert json.loads((tmp_path / "summary.json").read_text())["execution_status"] == "SUCCEEDED"


def test_options_are_checked_with_one_line_per_problem(tmp_path: Path) -> None:
    with pytest.raises(BigFileError) as raised:
        run_big_file(BigFileOptions(rows=0, slice_rows=0, output=tmp_path), stream=None)
    assert raised.value.problems == ("--rows 0: at least 1", "--slice-rows 0: 1..10000")


def test_the_sandbox_command_line_has_a_big_file_command(capsys: pytest.CaptureFixture[str]) -> None:
    from pipelines.cli import run
    from pipelines.sandbox.demo.cli import main

    assert run(main, ["big-file", "--rows", "0", "--bad-rows", "-1"]) == 2
    assert capsys.readouterr().err.splitlines() == [
        "error: --rows 0: at least 1",
        "error: --bad-rows -1: 0 or more",
    ]
