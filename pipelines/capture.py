"""SageMaker's data-capture format: the one definition used to write it (sandbox) and read it (monitors).

Layout and record shape follow
https://docs.aws.amazon.com/sagemaker/latest/dg/model-monitor-data-capture-endpoint.html :
JSON Lines under ``{DestinationS3Uri}/{endpoint}/{variant}/yyyy/mm/dd/hh/{mm-ss-mmm}-{uuid}.jsonl``, one
line per request::

    {"captureData": {"endpointInput":  {"observedContentType", "mode": "INPUT",  "data", "encoding"},
                     "endpointOutput": {"observedContentType", "mode": "OUTPUT", "data", "encoding"}},
     "eventMetadata": {"eventId", "inferenceId"?, "inferenceTime"},
     "eventVersion": "0"}

``encoding`` is ``CSV`` or ``JSON`` when the content type is listed in the endpoint's
CaptureContentTypeHeader, and ``BASE64`` otherwise.
"""

from __future__ import annotations

import base64
import json
import uuid
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from typing import Any

from pipelines.errors import UserError
from pipelines.jsonio import dumps_line
from pipelines.timewindow import as_utc, format_utc, hour_partition, parse_utc

EVENT_VERSION = "0"


class CaptureEncoding(StrEnum):
    CSV = "CSV"
    JSON = "JSON"
    BASE64 = "BASE64"


class CaptureFormatError(UserError):
    """A capture line that is not a SageMaker data-capture record."""


@dataclass(frozen=True, slots=True)
class CapturedPayload:
    """One side (request or response) of a captured invocation."""

    data: str
    encoding: CaptureEncoding
    observed_content_type: str

    def decoded(self) -> str:
        """The payload as text, whatever the capture encoding."""
        if self.encoding is CaptureEncoding.BASE64:
            return base64.b64decode(self.data).decode("utf-8")
        return self.data

    @classmethod
    def encode(
        cls, body: bytes, content_type: str, text_content_types: dict[str, CaptureEncoding]
    ) -> CapturedPayload:
        """Capture ``body`` as SageMaker would: as text when its content type is configured, else BASE64."""
        base_type = content_type.split(";")[0].strip().lower()
        encoding = text_content_types.get(base_type, CaptureEncoding.BASE64)
        data = base64.b64encode(body).decode() if encoding is CaptureEncoding.BASE64 else body.decode("utf-8")
        return cls(data=data, encoding=encoding, observed_content_type=content_type)


@dataclass(frozen=True, slots=True)
class CaptureRecord:
    """One captured invocation."""

    endpoint_input: CapturedPayload | None
    endpoint_output: CapturedPayload | None
    event_id: str
    inference_time: datetime
    inference_id: str | None = None

    def to_line(self) -> str:
        capture: dict[str, Any] = {}
        if self.endpoint_input is not None:
            capture["endpointInput"] = _payload_json(self.endpoint_input, "INPUT")
        if self.endpoint_output is not None:
            capture["endpointOutput"] = _payload_json(self.endpoint_output, "OUTPUT")
        metadata: dict[str, str] = {"eventId": self.event_id}
        if self.inference_id is not None:
            metadata["inferenceId"] = self.inference_id
        metadata["inferenceTime"] = format_utc(self.inference_time)
        return dumps_line({"captureData": capture, "eventMetadata": metadata, "eventVersion": EVENT_VERSION})


def _payload_json(payload: CapturedPayload, mode: str) -> dict[str, str]:
    return {
        "observedContentType": payload.observed_content_type,
        "mode": mode,
        "data": payload.data,
        "encoding": payload.encoding.value,
    }


def parse_capture_line(line: str, *, where: str = "capture line") -> CaptureRecord:
    """Parse one JSON Lines record; ``where`` (e.g. ``file:line``) prefixes any error."""
    try:
        obj = json.loads(line)
    except json.JSONDecodeError as exc:
        raise CaptureFormatError(f"{where}: not JSON ({exc.msg})") from None
    if not isinstance(obj, dict) or not isinstance(obj.get("captureData"), dict):
        raise CaptureFormatError(f"{where}: no 'captureData' object: not a SageMaker data-capture record")
    metadata = obj.get("eventMetadata")
    if not isinstance(metadata, dict) or "eventId" not in metadata or "inferenceTime" not in metadata:
        raise CaptureFormatError(f"{where}: 'eventMetadata' needs 'eventId' and 'inferenceTime'")
    capture = obj["captureData"]
    return CaptureRecord(
        endpoint_input=_parse_payload(capture.get("endpointInput"), f"{where}: endpointInput"),
        endpoint_output=_parse_payload(capture.get("endpointOutput"), f"{where}: endpointOutput"),
        event_id=str(metadata["eventId"]),
        inference_id=None if metadata.get("inferenceId") is None else str(metadata["inferenceId"]),
        inference_time=parse_utc(str(metadata["inferenceTime"]), what=f"{where}: inferenceTime"),
    )


def _parse_payload(raw: Any, where: str) -> CapturedPayload | None:
    if raw is None:
        return None
    if not isinstance(raw, dict) or "data" not in raw:
        raise CaptureFormatError(f"{where}: expected an object with 'data' and 'encoding'")
    try:
        encoding = CaptureEncoding(str(raw.get("encoding", "")).upper())
    except ValueError:
        raise CaptureFormatError(
            f"{where}: encoding {raw.get('encoding')!r} is not one of CSV, JSON, BASE64"
        ) from None
    return CapturedPayload(
        data=str(raw["data"]),
        encoding=encoding,
        observed_content_type=str(raw.get("observedContentType", "")),
    )


def capture_file_key(endpoint: str, variant: str, when: datetime, file_id: str | None = None) -> str:
    """Key of a capture file relative to the DestinationS3Uri: ``{endpoint}/{variant}/yyyy/mm/dd/hh/...``."""
    when = as_utc(when)
    name = f"{when:%M-%S}-{when.microsecond // 1000:03d}-{file_id or uuid.uuid4()}.jsonl"
    return f"{endpoint}/{variant}/{hour_partition(when)}/{name}"


def capture_prefix(endpoint: str, variant: str | None = None) -> str:
    """Prefix (relative to DestinationS3Uri) under which an endpoint's capture lives."""
    return f"{endpoint}/{variant}/" if variant else f"{endpoint}/"
