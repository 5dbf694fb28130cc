"""The command lines of the own-data path (``capture-csv`` then ``run``), shared by its tests.

Everything goes under one ``root``: ``capture/``, ``ground-truth/``, ``results/``; the CSV's label column is
``label`` and its probability column ``prob``; the captured hour is 13:00-14:00 on 2026-11-29.
"""

from __future__ import annotations

from pathlib import Path

HOUR, END = "2026-11-29T13:00:00Z", "2026-11-29T14:00:00Z"


def capture_csv_argv(root: Path, dataset: str, endpoint: str, *extra: str) -> list[str]:
    return [
        "capture-csv",
        *("--dataset", dataset, "--capture", str(root / "capture"), "--endpoint", endpoint, "--hour", HOUR),
        *("--label", "label", "--ground-truth", str(root / "ground-truth"), "--probability-column", "prob"),
        *extra,
    ]


def run_argv(root: Path, endpoint: str, baseline: Path, *extra: str) -> list[str]:
    return [
        "run",
        *("--endpoint", endpoint, "--capture", str(root / "capture")),
        *("--ground-truth", str(root / "ground-truth"), "--baseline", str(baseline)),
        *("--output", str(root / "results"), "--monitors", "data-quality,model-quality"),
        *("--start", HOUR, "--end", END),
        *extra,
    ]
