"""Data capture as a SageMaker endpoint does it: settings from the endpoint config, buffered hourly files.

SageMaker reads an endpoint's ``DataCaptureConfig``
(https://docs.aws.amazon.com/sagemaker/latest/APIReference/API_DataCaptureConfig.html) and writes JSON Lines
files "every few minutes" under ``{DestinationS3Uri}/{endpoint}/{variant}/yyyy/mm/dd/hh/``
(https://docs.aws.amazon.com/sagemaker/latest/dg/model-monitor-data-capture-endpoint.html).
The rules kept here:

- ``EnableCapture`` defaults to enabled; ``InitialSamplingPercentage`` of the requests are captured;
- ``CaptureOptions`` say which sides (``Input``, ``Output``) are written;
- a side whose content type is listed in ``CaptureContentTypeHeader`` (``CsvContentTypes`` /
  ``JsonContentTypes``) is written as text with encoding CSV / JSON; any other content type, and every
  content type when the header is absent, is written as BASE64.

``CaptureWriter`` buffers records per hour and writes a file when a buffer reaches ``max_records``, when its
oldest record has waited ``max_wait_s`` (checked on every record and by an optional background flusher),
and on ``flush()``/``close()``. Records are placed in the hour of their ``inferenceTime``, which a test or the
demo may set with an injected clock.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum
from typing import TYPE_CHECKING, Any

from pipelines.capture import CaptureEncoding, CaptureRecord, capture_file_key
from pipelines.errors import UserError
from pipelines.s3uri import S3Uri
from pipelines.storage import Storage, join_location
from pipelines.timewindow import floor_hour

if TYPE_CHECKING:
    from mypy_boto3_sagemaker import SageMakerClient

_log = logging.getLogger(__name__)

JSON_LINES_CONTENT_TYPE = "application/jsonlines"


class CaptureConfigError(UserError):
    """A DataCaptureConfig the sandbox cannot follow (no destination, bad sampling percentage...)."""


class CaptureMode(StrEnum):
    INPUT = "Input"
    OUTPUT = "Output"


@dataclass(frozen=True, slots=True)
class CaptureSettings:
    """What an endpoint captures, and where (read from its endpoint config's DataCaptureConfig)."""

    destination: str
    sampling_percentage: int = 100
    modes: frozenset[CaptureMode] = frozenset(CaptureMode)
    text_content_types: Mapping[str, CaptureEncoding] = field(default_factory=dict)
    enabled: bool = True
    kms_key_id: str | None = None

    @classmethod
    def from_config(cls, config: Mapping[str, Any], *, where: str = "DataCaptureConfig") -> CaptureSettings:
        """Parse a DataCaptureConfig (the API's shape); every problem is reported, one line each."""
        problems: list[str] = []
        destination = str(config.get("DestinationS3Uri", ""))
        try:
            S3Uri.parse(destination, what=f"{where}.DestinationS3Uri")
        except UserError as error:
            problems += error.problems
        sampling = config.get("InitialSamplingPercentage", 100)
        if isinstance(sampling, bool) or not isinstance(sampling, int) or not 0 <= sampling <= 100:
            problems.append(
                f"{where}.InitialSamplingPercentage is {sampling!r}: expected a whole number 0..100"
            )
        modes: set[CaptureMode] = set()
        for index, option in enumerate(config.get("CaptureOptions") or []):
            mode = option.get("CaptureMode") if isinstance(option, Mapping) else None
            try:
                modes.add(CaptureMode(str(mode)))
            except ValueError:
                problems.append(
                    f"{where}.CaptureOptions[{index}].CaptureMode is {mode!r}: expected Input or Output"
                )
        if not modes and not problems:
            problems.append(f"{where}.CaptureOptions is empty: expected Input, Output or both")
        header = config.get("CaptureContentTypeHeader") or {}
        text_types: dict[str, CaptureEncoding] = {}
        for key, encoding in (
            ("CsvContentTypes", CaptureEncoding.CSV),
            ("JsonContentTypes", CaptureEncoding.JSON),
        ):
            for content_type in header.get(key) or []:
                text_types[str(content_type).split(";")[0].strip().lower()] = encoding
        if problems:
            raise CaptureConfigError(problems)
        return cls(
            destination=destination,
            sampling_percentage=int(sampling),
            modes=frozenset(modes),
            text_content_types=text_types,
            enabled=bool(config.get("EnableCapture", True)),
            kms_key_id=config.get("KmsKeyId") or None,
        )


@dataclass(frozen=True, slots=True)
class EndpointCapture:
    """An endpoint's first production variant and its capture settings (None when it has no capture)."""

    endpoint_name: str
    variant_name: str
    settings: CaptureSettings | None


def describe_endpoint_capture(sagemaker: SageMakerClient, endpoint_name: str) -> EndpointCapture:
    """Read an endpoint's variant and DataCaptureConfig: endpoint -> endpoint config (2 calls)."""
    endpoint = sagemaker.describe_endpoint(EndpointName=endpoint_name)
    config = sagemaker.describe_endpoint_config(EndpointConfigName=endpoint["EndpointConfigName"])
    variants = config.get("ProductionVariants") or []
    capture = config.get("DataCaptureConfig")
    settings = (
        CaptureSettings.from_config(
            capture, where=f"endpoint config {config['EndpointConfigName']}: DataCaptureConfig"
        )
        if capture
        else None
    )
    variant = variants[0]["VariantName"] if variants else "AllTraffic"
    return EndpointCapture(endpoint_name, variant, settings)


@dataclass
class _HourBuffer:
    lines: list[str]
    first_time: datetime
    opened_at: float  # time.monotonic() when the first line arrived


class CaptureWriter:
    """Buffers one endpoint variant's capture records and writes them as hourly JSON Lines files.

    Thread-safe: the runtime server calls ``add`` from many request threads.
    """

    def __init__(
        self,
        storage: Storage,
        destination: str,
        endpoint_name: str,
        variant_name: str,
        *,
        max_records: int = 1000,
        max_wait_s: float = 60.0,
    ) -> None:
        if max_records < 1 or max_wait_s <= 0:
            raise ValueError("max_records must be at least 1 and max_wait_s greater than 0")
        self._storage = storage
        self._destination = destination
        self._endpoint = endpoint_name
        self._variant = variant_name
        self._max_records = max_records
        self._max_wait_s = max_wait_s
        self._buffers: dict[datetime, _HourBuffer] = {}
        self._lock = threading.Lock()
        self._written: list[str] = []
        self._records_written = 0
        self._stop = threading.Event()
        self._flusher: threading.Thread | None = None

    # -- adding and flushing --------------------------------------------------------------------------------
    def add(self, record: CaptureRecord) -> None:
        """Buffer ``record`` in its hour; write the buffers that are full or have waited long enough."""
        hour = floor_hour(record.inference_time)
        now = time.monotonic()
        with self._lock:
            buffer = self._buffers.get(hour)
            if buffer is None:
                buffer = self._buffers[hour] = _HourBuffer([], record.inference_time, now)
            buffer.lines.append(record.to_line())
            due = self._take_due(now)
        self._write(due, in_background=True)

    def flush(self) -> list[str]:
        """Write every buffered record now; returns the locations written by this call."""
        with self._lock:
            due = list(self._buffers.values())
            self._buffers.clear()
        return self._write(due)

    def flush_due(self) -> list[str]:
        """Write the buffers that have waited ``max_wait_s`` (what the background flusher calls)."""
        with self._lock:
            due = self._take_due(time.monotonic())
        return self._write(due, in_background=True)

    def _take_due(self, now: float) -> list[_HourBuffer]:
        hours = [
            hour
            for hour, buffer in self._buffers.items()
            if len(buffer.lines) >= self._max_records or now - buffer.opened_at >= self._max_wait_s
        ]
        return [self._buffers.pop(hour) for hour in hours]

    def _write(self, buffers: list[_HourBuffer], *, in_background: bool = False) -> list[str]:
        """Write ``buffers``; a buffer that fails to write is put back, so no record is lost.

        While serving a request (``in_background``) a failed write is logged and retried at the next flush,
        as SageMaker captures asynchronously and never fails an invocation for it; an explicit ``flush()``
        raises the error.
        """
        written: list[str] = []
        for index, buffer in enumerate(buffers):
            key = capture_file_key(self._endpoint, self._variant, buffer.first_time)
            location = join_location(self._destination, key)
            data = ("\n".join(buffer.lines) + "\n").encode()
            try:
                self._storage.write_bytes(location, data, JSON_LINES_CONTENT_TYPE)
            except Exception:
                self._put_back(buffers[index:])
                if not in_background:
                    raise
                _log.exception("could not write capture file %s: will retry at the next flush", location)
                return written
            written.append(location)
            _log.debug("wrote %d capture records to %s", len(buffer.lines), location)
            with self._lock:
                self._written.append(location)
                self._records_written += len(buffer.lines)
        return written

    def _put_back(self, buffers: list[_HourBuffer]) -> None:
        with self._lock:
            for buffer in buffers:
                hour = floor_hour(buffer.first_time)
                current = self._buffers.get(hour)
                if current is None:
                    self._buffers[hour] = buffer
                else:
                    current.lines[:0] = buffer.lines
                    current.first_time = min(current.first_time, buffer.first_time)
                    current.opened_at = min(current.opened_at, buffer.opened_at)

    # -- background flushing --------------------------------------------------------------------------------
    def start(self, interval_s: float = 1.0) -> CaptureWriter:
        """Flush due buffers every ``interval_s`` in a daemon thread, so quiet endpoints still write files."""
        if self._flusher is None:
            self._stop.clear()
            self._flusher = threading.Thread(
                target=self._flush_periodically,
                args=(interval_s,),
                name=f"capture-{self._endpoint}",
                daemon=True,
            )
            self._flusher.start()
        return self

    def _flush_periodically(self, interval_s: float) -> None:
        while not self._stop.wait(interval_s):
            self.flush_due()

    def close(self) -> list[str]:
        """Stop the background flusher and write everything still buffered."""
        if self._flusher is not None:
            self._stop.set()
            self._flusher.join()
            self._flusher = None
        return self.flush()

    # -- what was written -----------------------------------------------------------------------------------
    @property
    def files_written(self) -> list[str]:
        with self._lock:
            return list(self._written)

    @property
    def records_written(self) -> int:
        with self._lock:
            return self._records_written

    @property
    def records_buffered(self) -> int:
        with self._lock:
            return sum(len(b.lines) for b in self._buffers.values())
