"""Column names are data: whatever a CSV's header says, ``baseline`` -> ``capture-csv`` -> ``run`` ->
``report`` works or refuses in ``error:`` lines (exit 2): never a traceback, never an "unexpected" error.

Hypothesis generates the header (names such as ``count``, ``len``, ``null``, empty, repeated, unicode, with
dots, quotes or spaces) and the cells (integers, decimals, text, empty). Examples are derandomized (the same
on every run and machine) and bounded, so the suite stays fast; 1,000 columns get a test of their own.
"""

from __future__ import annotations

import contextlib
import csv
import io
import json
import tempfile
from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from markupsafe import escape
from own_data_commands import capture_csv_argv, run_argv

from pipelines.monitoring.cli import main

TRICKY_NAMES = [
    "count",
    "len",
    "null",
    "",
    "value",
    "weight",
    "name",
    "a.b",
    "a.b.c",
    'say "hi"',
    "it's",
    "with space",
    " padded ",
    "ünïcødé",
    "名前",
    "émoji 🙂",
    "_c0",
    "None",
    "true",
    "1",
    "-",
    "a,b",
    "label",
    "[x]",
    "$col",
    "\\back",
]
_PRINTABLE = st.characters(blacklist_categories=("Cc", "Cs"))
NAMES = st.one_of(st.sampled_from(TRICKY_NAMES), st.text(_PRINTABLE, max_size=10))
CELLS = st.one_of(
    st.integers(-1000, 1000).map(str),
    st.floats(-1e6, 1e6, allow_nan=False).map(lambda f: f"{f:.3f}"),
    st.text(_PRINTABLE, max_size=6),
    st.just(""),
)


def _command(argv: list[str]) -> tuple[int, str]:
    """``main(argv)``'s exit code and standard error."""
    err = io.StringIO()
    with contextlib.redirect_stderr(err), contextlib.redirect_stdout(io.StringIO()):
        code = main(argv)
    return code, err.getvalue()


def _no_traceback(code: int, err: str, allowed: tuple[int, ...]) -> None:
    assert code in allowed, err
    assert "Traceback" not in err
    assert "unexpected" not in err, err
    for line in err.splitlines():
        assert line.startswith(("error: ", "warning: ")), line


def _write_csv(path: Path, header: list[str], rows: list[list[str]]) -> None:
    with path.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow([*header, "label", "prob"])
        writer.writerows([[*row, str(i % 2), str((i * 37) % 100)] for i, row in enumerate(rows)])


def _end_to_end(root: Path, header: list[str], rows: list[list[str]]) -> None:
    dataset = root / "data.csv"
    _write_csv(dataset, header, rows)
    code, err = _command(
        [
            "baseline",
            "--dataset",
            str(dataset),
            "--output",
            str(root / "baseline"),
            "--label",
            "label",
            "--probability-column",
            "prob",
        ]
    )
    _no_traceback(code, err, (0, 2))
    names = [name.strip() for name in header]
    if code == 2:  # refused: each line names the column at fault (empty, repeated or reserved)...
        for line in err.splitlines():
            # ... or, without rows, the dataset has none for model quality's baseline
            no_rows = "has a header and no rows" in line or "baselines need rows" in line
            assert "column" in line or (not rows and no_rows), line
        return
    statistics = json.loads((root / "baseline" / "data-quality" / "statistics.json").read_text())
    assert [feature["name"] for feature in statistics["features"]] == names
    code, err = _command(capture_csv_argv(root, str(dataset), "any"))
    _no_traceback(code, err, (0,))
    code, err = _command(run_argv(root, "any", root / "baseline"))
    _no_traceback(code, err, (0, 1))
    html = root / "report.html"
    code, err = _command(["report", str(root / "results"), "--html", str(html)])
    _no_traceback(code, err, (0, 1))
    page = html.read_text(encoding="utf-8")
    if rows:  # with records, every feature is shown under its own name
        for name in names:
            assert str(escape(name)) in page, name


@settings(
    max_examples=30,
    deadline=None,
    derandomize=True,
    database=None,
    suppress_health_check=[HealthCheck.too_slow],
)
@given(
    header=st.lists(NAMES, min_size=1, max_size=6),
    data=st.data(),
)
def test_any_header_and_cells_go_through_baseline_run_and_report(header: list[str], data) -> None:
    rows = data.draw(st.lists(st.lists(CELLS, min_size=len(header), max_size=len(header)), max_size=12))
    with tempfile.TemporaryDirectory() as folder:
        _end_to_end(Path(folder), header, rows)


def test_a_thousand_columns_go_through_baseline_run_and_report(tmp_path: Path) -> None:
    header = [f"feature {i}.{'x' * (i % 5)}" for i in range(1000)]
    rows = [[str((i * j) % 17) if j % 3 else f"v{(i + j) % 4}" for j in range(1000)] for i in range(30)]
    _end_to_end(tmp_path, header, rows)
