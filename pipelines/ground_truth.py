"""Model Monitor's ground-truth format: the one definition used to write labels and to merge them.

https://docs.aws.amazon.com/sagemaker/latest/dg/model-monitor-model-quality-merge.html : JSON Lines under
``{GroundTruthInput}/yyyy/mm/dd/hh/`` (the hour the labels were collected), one line per label::

    {"groundTruthData": {"data": "1", "encoding": "CSV"},
     "eventMetadata": {"eventId": "<inferenceId of the request, or its eventId>"},
     "eventVersion": "0"}
"""

from __future__ import annotations

import json
import uuid
from dataclasses import dataclass
from datetime import datetime

from pipelines.errors import UserError
from pipelines.jsonio import dumps_line
from pipelines.timewindow import as_utc, hour_partition

EVENT_VERSION = "0"


class GroundTruthFormatError(UserError):
    """A ground-truth line that is not in Model Monitor's format."""


@dataclass(frozen=True, slots=True)
class GroundTruthRecord:
    """A label for the request whose inferenceId (or eventId) is ``event_id``."""

    event_id: str
    label: str

    def to_line(self) -> str:
        return dumps_line(
            {
                "groundTruthData": {"data": self.label, "encoding": "CSV"},
                "eventMetadata": {"eventId": self.event_id},
                "eventVersion": EVENT_VERSION,
            }
        )


def parse_ground_truth_line(line: str, *, where: str = "ground-truth line") -> GroundTruthRecord:
    try:
        obj = json.loads(line)
    except json.JSONDecodeError as exc:
        raise GroundTruthFormatError(f"{where}: not JSON ({exc.msg})") from None
    data = obj.get("groundTruthData") if isinstance(obj, dict) else None
    metadata = obj.get("eventMetadata") if isinstance(obj, dict) else None
    if not isinstance(data, dict) or "data" not in data:
        raise GroundTruthFormatError(f"{where}: needs 'groundTruthData' with 'data'")
    if not isinstance(metadata, dict) or "eventId" not in metadata:
        raise GroundTruthFormatError(f"{where}: needs 'eventMetadata' with 'eventId'")
    encoding = str(data.get("encoding", "CSV")).upper()
    if encoding not in ("CSV", "JSON"):
        raise GroundTruthFormatError(f"{where}: encoding {encoding!r} is not CSV or JSON")
    label = data["data"]
    return GroundTruthRecord(event_id=str(metadata["eventId"]), label=str(label).strip())


def ground_truth_file_key(collected_at: datetime, file_id: str | None = None) -> str:
    """Key relative to GroundTruthInput: ``yyyy/mm/dd/hh/labels-<id>.jsonl``."""
    return f"{hour_partition(as_utc(collected_at))}/labels-{file_id or uuid.uuid4()}.jsonl"
