"""One hour of an endpoint's data capture and its ground truth, written as SageMaker writes them."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path

import numpy as np
import pandas as pd
from transaction_scoring.contract import (
    LABEL_COLUMN,
    TRANSACTION_ID,
    Prediction,
    encode_request,
    encode_response,
)

from pipelines.capture import CapturedPayload, CaptureEncoding, CaptureRecord, capture_file_key
from pipelines.ground_truth import GroundTruthRecord, ground_truth_file_key
from pipelines.sandbox.data import request_records
from pipelines.timewindow import parse_utc

ENDPOINT = "fraud-prod"
START, END = "2026-11-29T13:00:00Z", "2026-11-29T14:00:00Z"
JSON_CAPTURE = {"application/json": CaptureEncoding.JSON}


@dataclass(frozen=True)
class Traffic:
    capture: Path | str  # a local folder, or its copy on S3
    ground_truth: Path | str
    requests: int
    records: int


def write_traffic(
    root: Path,
    frame: pd.DataFrame,
    probabilities: np.ndarray,
    *,
    seed: int,
    encodings: dict[str, CaptureEncoding] | None = None,
) -> Traffic:
    """One hour of capture (three files) and its ground truth, collected within the hour; ``encodings``:
    the endpoint's text content types (default JSON as text; ``{}``: every payload in BASE64)."""
    encodings = JSON_CAPTURE if encodings is None else encodings
    rng = np.random.default_rng(seed)
    records, labels = request_records(frame), frame[LABEL_COLUMN].tolist()
    start = parse_utc(START)
    lines: list[str] = []
    truth: list[str] = []
    i = 0
    while i < len(records):
        size = int(rng.integers(1, 5))
        batch, probs, labs = records[i : i + size], probabilities[i : i + size], labels[i : i + size]
        predictions = [Prediction(int(p * 100 >= 50), round(float(p * 100), 4)) for p in probs]
        inference_id = f"req-{seed}-{i}"
        lines.append(
            CaptureRecord(
                CapturedPayload.encode(encode_request(batch), "application/json", encodings),
                CapturedPayload.encode(encode_response(predictions), "application/json", encodings),
                event_id=f"event-{seed}-{i}",
                inference_time=start + timedelta(seconds=3000 * i // len(records)),
                inference_id=inference_id,
            ).to_line()
        )
        if size == 1:
            truth.append(GroundTruthRecord(inference_id, str(labs[0])).to_line())
        else:
            truth += [
                GroundTruthRecord(r[TRANSACTION_ID], str(label)).to_line()
                for r, label in zip(batch, labs, strict=True)
            ]
        i += size
    capture, ground_truth = root / "capture", root / "ground-truth"
    for part in range(3):
        path = capture / capture_file_key(
            ENDPOINT, "AllTraffic", start + timedelta(minutes=10 * part), f"f{part}"
        )
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text("\n".join(lines[part::3]) + "\n")
    path = ground_truth / ground_truth_file_key(start + timedelta(minutes=55), "labels")
    path.parent.mkdir(parents=True)
    path.write_text("\n".join(truth) + "\n")
    return Traffic(capture, ground_truth, len(lines), len(records))
