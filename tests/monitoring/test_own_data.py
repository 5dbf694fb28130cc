"""A newcomer's own CSV, end to end: ``baseline`` warns about what its files would hide, ``capture-csv``
turns a second CSV into data capture, ``run`` checks it and ``report`` reads the results, no traceback.
"""

from __future__ import annotations

import csv
import json
import shutil
from pathlib import Path

import pytest
from own_data_commands import capture_csv_argv, run_argv

from pipelines.monitoring.cli import main


def _csv(path: Path, header: list[str], rows: list[list[object]]) -> str:
    with path.open("w", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(header)
        writer.writerows(rows)
    return str(path)


def _own_rows(count: int, *, shift: float = 0.0) -> list[list[object]]:
    """Columns named like the issue's CSV (``count``, ``len``, ``null``) with a label and a probability."""
    return [
        [i % 7, f"{(i * 37) % 11 + shift:.1f}", ["a", "b", "c"][i % 3], i % 2, round((i * 13) % 100, 1)]
        for i in range(count)
    ]


HEADER = ["count", "len", "null", "label", "prob"]


def _baseline(tmp_path: Path, dataset: str, *extra: str) -> tuple[int, Path]:
    out = tmp_path / "baseline"
    code = main(["baseline", "--dataset", dataset, "--output", str(out), *extra])
    return code, out


def _warnings(err: str) -> list[str]:
    return [line for line in err.splitlines() if line.startswith("warning: ")]


# -- baseline ----------------------------------------------------------------------------------------------
def test_columns_named_count_len_and_null_are_baselined(tmp_path: Path, capsys) -> None:
    dataset = _csv(tmp_path / "own.csv", HEADER, _own_rows(60))
    code, out = _baseline(tmp_path, dataset, "--label", "label", "--probability-column", "prob")
    assert code == 0, capsys.readouterr().err
    statistics = json.loads((out / "data-quality" / "statistics.json").read_text())
    assert [f["name"] for f in statistics["features"]] == ["count", "len", "null"]
    assert (out / "model-quality" / "constraints.json").is_file()


def test_a_header_without_rows_is_a_warning(tmp_path: Path, capsys) -> None:
    code, _ = _baseline(tmp_path, _csv(tmp_path / "hdr.csv", ["a", "b"], []))
    assert code == 0
    assert _warnings(capsys.readouterr().err) == [
        f"warning: {tmp_path / 'hdr.csv'} has a header and no rows: every feature would be Unknown, with no "
        "statistics, and no execution could ever be checked against it; give a dataset with rows"
    ]


def test_a_header_without_rows_is_an_error_for_the_baselines_that_need_rows(tmp_path: Path, capsys) -> None:
    dataset = _csv(tmp_path / "hdr.csv", HEADER, [])
    code, out = _baseline(tmp_path, dataset, "--label", "label", "--probability-column", "prob")
    err = capsys.readouterr().err
    assert code == 2
    assert err.splitlines()[0].startswith(f"error: {tmp_path / 'hdr.csv'} has a header and no rows")
    assert err.splitlines()[-1] == "error: (the ModelQuality baselines need rows)"
    assert "Traceback" not in err
    assert not out.exists()


def test_strict_makes_warnings_errors_and_writes_nothing(tmp_path: Path, capsys) -> None:
    code, out = _baseline(tmp_path, _csv(tmp_path / "hdr.csv", ["a", "b"], []), "--strict")
    err = capsys.readouterr().err
    assert code == 2
    assert err.splitlines()[0].startswith(f"error: {tmp_path / 'hdr.csv'} has a header and no rows")
    assert err.splitlines()[-1] == "error: (warnings are errors with --strict)"
    assert not out.exists()


def test_a_few_non_numbers_in_a_numeric_column_are_counted_located_and_shared(tmp_path: Path, capsys) -> None:
    rows = [[f"{i}.5"] for i in range(40)]
    rows[6] = ["abc"]
    rows[30] = ["n/a"]
    code, _ = _baseline(tmp_path, _csv(tmp_path / "amounts.csv", ["Amount"], rows))
    assert code == 0
    path = tmp_path / "amounts.csv"
    assert _warnings(capsys.readouterr().err) == [
        "warning: column 'Amount' is typed String because 2 of its 40 values (5.00%) are not numbers: "
        f"{path}:8 'abc', {path}:32 'n/a'. The analyzer types a column String as soon as one value is not a "
        "number (its data-type check then accepts anything, and its numbers are compared as categories); "
        "correct or remove those values, or give the column to --exclude"
    ]


def test_a_text_column_with_a_few_numbers_is_no_warning(tmp_path: Path, capsys) -> None:
    rows = [[["mobile", "desktop", "tablet"][i % 3]] for i in range(30)] + [["42"]]
    code, _ = _baseline(tmp_path, _csv(tmp_path / "devices.csv", ["Device"], rows))
    assert code == 0
    assert _warnings(capsys.readouterr().err) == []


def test_an_entirely_missing_column_is_a_warning(tmp_path: Path, capsys) -> None:
    rows = [[i, ""] for i in range(5)]
    code, _ = _baseline(tmp_path, _csv(tmp_path / "gaps.csv", ["Amount", "Notes"], rows))
    assert code == 0
    assert _warnings(capsys.readouterr().err) == [
        "warning: column 'Notes' is empty in all 5 rows: its type is Unknown and no check applies to it; "
        "drop it or give it to --exclude"
    ]


@pytest.mark.parametrize("name", ["Customer ID", "IP Address", "customerId", "Shipping Address", "email"])
def test_a_column_named_like_an_identifier_or_personal_data_is_a_warning(
    tmp_path: Path, capsys, name: str
) -> None:
    rows = [[i % 3, f"v{i % 4}"] for i in range(30)]
    code, _ = _baseline(tmp_path, _csv(tmp_path / "named.csv", ["Amount", name], rows))
    assert code == 0
    (warning,) = _warnings(capsys.readouterr().err)
    assert warning.startswith(f"warning: column {name!r} looks like an identifier or personal data")
    assert warning.endswith("if it is not a model input, give it to --exclude")


def test_a_text_column_of_nearly_all_distinct_values_is_a_warning(tmp_path: Path, capsys) -> None:
    rows = [[i % 3, f"C-{i:05d}"] for i in range(265)]
    code, _ = _baseline(tmp_path, _csv(tmp_path / "keys.csv", ["Amount", "Reference"], rows))
    assert code == 0
    assert _warnings(capsys.readouterr().err) == [
        "warning: column 'Reference' looks like an identifier: 265 distinct values in 265 rows (100%); its "
        "values would be written into statistics.json's categories and every new value would count as "
        "drift; if it is not a model input, give it to --exclude"
    ]


def test_excluded_columns_and_distinct_amounts_are_no_warning(tmp_path: Path, capsys) -> None:
    rows = [[f"{i * 1.37:.2f}", f"C-{i:05d}"] for i in range(100)]
    code, _ = _baseline(
        tmp_path, _csv(tmp_path / "ok.csv", ["Amount", "Customer ID"], rows), "--exclude", "Customer ID"
    )
    assert code == 0
    assert _warnings(capsys.readouterr().err) == []


def test_empty_and_repeated_column_names_are_refused_naming_the_columns(tmp_path: Path, capsys) -> None:
    path = tmp_path / "names.csv"
    path.write_text("a,,b,a\n1,2,3,4\n")
    code, out = _baseline(tmp_path, str(path))
    assert code == 2
    assert capsys.readouterr().err.splitlines() == [
        f"error: {path}: column 2 of the header row has no name: name it (every column needs a name)",
        f"error: {path}: column name 'a' is repeated (columns 1 and 4): rename one",
    ]
    assert not out.exists()


def test_a_column_named_like_the_monitors_own_columns_is_refused(tmp_path: Path, capsys) -> None:
    code, _ = _baseline(tmp_path, _csv(tmp_path / "meta.csv", ["a", "__event_id"], [[1, "x"]]))
    assert code == 2
    assert capsys.readouterr().err.splitlines() == [
        f"error: {tmp_path / 'meta.csv'}: column '__event_id': names starting with '__' are reserved for the "
        "monitors' own columns (__event_id, __inference_id, ...); rename it"
    ]


# -- baseline -> capture-csv -> run -> report --------------------------------------------------------------
def _capture(tmp_path: Path, dataset: str, *extra: str) -> int:
    return main(capture_csv_argv(tmp_path, dataset, "own", *extra))


def _run(tmp_path: Path, baseline: Path) -> int:
    return main(run_argv(tmp_path, "own", baseline, "--probability-threshold", "50"))


def _summary(tmp_path: Path, monitor: str) -> dict:
    folder = tmp_path / "results" / "own" / f"own-{monitor}" / "2026" / "11" / "29" / "14"
    return json.loads((folder / "summary.json").read_text())


@pytest.mark.parametrize("content_type", ["application/json", "text/csv"])
def test_a_second_csv_is_checked_against_the_baseline_and_reported(
    tmp_path: Path, capsys, content_type: str
) -> None:
    code, baseline = _baseline(
        tmp_path,
        _csv(tmp_path / "base.csv", HEADER, _own_rows(200)),
        "--label",
        "label",
        "--probability-column",
        "prob",
    )
    assert code == 0
    second = _csv(tmp_path / "second.csv", HEADER, _own_rows(150, shift=5.0))
    assert _capture(tmp_path, second, "--content-type", content_type) == 0
    assert _run(tmp_path, baseline) == 1  # "len" moved by 5: drift
    data_quality = _summary(tmp_path, "DataQuality")
    assert data_quality["inputs"]["records"] == 150
    assert {v["feature_name"] for v in data_quality["violations"]} == {"len"}
    model_quality = _summary(tmp_path, "ModelQuality")
    assert model_quality["inputs"]["ground_truth_matched"] == 150
    html = tmp_path / "report.html"
    assert main(["report", str(tmp_path / "results"), "--html", str(html)]) == 1
    err = capsys.readouterr().err
    assert "error" not in err
    assert "len" in html.read_text()


def test_a_capture_delivered_twice_is_evaluated_once(tmp_path: Path, capsys) -> None:
    dataset = _csv(tmp_path / "base.csv", HEADER, _own_rows(120))
    code, baseline = _baseline(tmp_path, dataset, "--label", "label", "--probability-column", "prob")
    assert code == 0
    assert _capture(tmp_path, dataset) == 0
    (written,) = (tmp_path / "capture").rglob("*.jsonl")
    shutil.copy(written, written.with_name("59-00-000-copy.jsonl"))
    _run(tmp_path, baseline)
    inputs = _summary(tmp_path, "ModelQuality")["inputs"]
    assert (inputs["records"], inputs["duplicate_requests"], inputs["ground_truth_matched"]) == (
        120,
        120,
        120,
    )
    statistics = json.loads(
        (tmp_path / "results/own/own-ModelQuality/2026/11/29/14/statistics.json").read_text()
    )
    matrix = statistics["binary_classification_metrics"]["confusion_matrix"]
    assert sum(count for row in matrix.values() for count in row.values()) == 120


@pytest.mark.parametrize("command", ["baseline", "run", "report", "capture-csv"])
def test_each_subcommands_help_has_a_description_and_two_examples(command: str, capsys) -> None:
    with pytest.raises(SystemExit):
        main([command, "--help"])
    text = capsys.readouterr().out
    usage, description = text.split("\n\n")[:2]
    assert usage.startswith(f"usage: fraud-monitor {command}")
    assert len(description.split()) > 15
    examples = text.split("examples:\n")[1].splitlines()
    assert [line.split()[:2] for line in examples] == [["fraud-monitor", command]] * 2
