"""Baseline from a CSV with a header, then captured JSON traffic with drift: the drifted feature is found."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import polars as pl
from transaction_scoring.contract import Prediction, encode_request, encode_response

from pipelines.capture import CapturedPayload, CaptureEncoding, CaptureRecord, capture_file_key
from pipelines.monitoring.capture_reader import CaptureReader, capture_files
from pipelines.monitoring.data_quality import (
    CheckType,
    DatasetProfile,
    baseline_files,
    check_data_quality,
    read_csv_batches,
)
from pipelines.storage import Storage
from pipelines.timewindow import TimeWindow, parse_utc

WHEN = parse_utc("2026-11-29T10:15:00Z")


def _rows(n: int, scale: float, seed: int) -> list[dict[str, object]]:
    rng = np.random.default_rng(seed)
    return [
        {
            "Transaction ID": f"t{seed}-{i}",
            "Transaction Amount": round(float(a), 2),
            "Quantity": int(q),
            "Payment Method": str(m),
        }
        for i, (a, q, m) in enumerate(
            zip(
                rng.lognormal(4, 0.5, n) * scale,
                rng.integers(1, 6, n),
                rng.choice(["card", "cash"], n),
                strict=True,
            )
        )
    ]


def test_drift_in_captured_traffic_is_found_against_a_csv_baseline(tmp_path: Path) -> None:
    pl.DataFrame(_rows(3000, 1.0, 1)).write_csv(tmp_path / "train.csv")
    storage = Storage()
    baseline = baseline_files(DatasetProfile.of(read_csv_batches(storage, str(tmp_path / "train.csv"))))

    rows = _rows(1500, 2.0, 2)
    lines = []
    for start in range(0, len(rows), 3):  # requests of three records
        batch = rows[start : start + 3]
        lines.append(
            CaptureRecord(
                CapturedPayload.encode(
                    encode_request(batch), "application/json", {"application/json": CaptureEncoding.JSON}
                ),
                CapturedPayload.encode(
                    encode_response([Prediction(0, 1.0)] * len(batch)),
                    "application/json",
                    {"application/json": CaptureEncoding.JSON},
                ),
                event_id=f"e{start}",
                inference_time=WHEN,
            ).to_line()
        )
    path = tmp_path / "capture" / capture_file_key("ep", "AllTraffic", WHEN, file_id="x")
    path.parent.mkdir(parents=True)
    path.write_text("\n".join(lines))

    reader = CaptureReader(storage)
    window = TimeWindow(parse_utc("2026-11-29T10:00:00Z"), parse_utc("2026-11-29T11:00:00Z"))
    profile = DatasetProfile.of(
        reader.batches(capture_files(storage, str(tmp_path / "capture"), "ep", window))
    )
    result = check_data_quality(profile, baseline.statistics, baseline.constraints)

    assert result.item_count == 1500
    assert [(v.feature_name, v.constraint_check_type) for v in result.violations] == [
        ("Transaction Amount", CheckType.BASELINE_DRIFT)
    ]
    types = {f["name"]: f["inferred_type"] for f in result.statistics["features"]}
    assert types == {
        "Transaction ID": "String",
        "Transaction Amount": "Fractional",
        "Quantity": "Integral",
        "Payment Method": "String",
    }
    assert (
        json.loads(json.dumps(result.violations_document))["violations"][0]["constraint_check_type"]
        == "baseline_drift_check"
    )
