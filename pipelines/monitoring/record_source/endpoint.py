"""An endpoint's data capture as a record source: ``{root}/{endpoint}/{variant}/yyyy/mm/dd/hh/*.jsonl``."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import ClassVar

from transaction_scoring.contract import TRANSACTION_ID

from pipelines.monitoring.capture_reader import (
    CaptureReader,
    CaptureReadReport,
    ResponseFields,
    capture_files,
)
from pipelines.monitoring.record_source.base import CaptureRecords, SourceKind, SourceParts
from pipelines.storage import Storage
from pipelines.timewindow import TimeWindow


@dataclass(frozen=True, slots=True)
class EndpointCapture:
    """The capture of ``endpoint`` under ``root`` (every variant, or ``variant``'s only)."""

    root: str
    endpoint: str
    variant: str | None = None
    response_fields: ResponseFields = field(default_factory=ResponseFields)
    record_id_field: str = TRANSACTION_ID

    kind: ClassVar[SourceKind] = SourceKind.ENDPOINT_CAPTURE
    labels_in_records: ClassVar[bool] = False  # labels come from ground truth

    @property
    def location(self) -> str:
        return self.root

    def parts(self, storage: Storage, window: TimeWindow) -> SourceParts:
        return SourceParts(tuple(capture_files(storage, self.root, self.endpoint, window, self.variant)))

    def reader(self, storage: Storage) -> CaptureRecords:
        return CaptureRecords(
            CaptureReader(storage, response_fields=self.response_fields, record_id_field=self.record_id_field)
        )

    def no_records(self, window: TimeWindow, report: CaptureReadReport) -> str:
        return (
            f"no captured records of endpoint {self.endpoint} in {window} under {self.root} "
            f"({report.files} capture files in the window's hour folders, {report.unreadable_lines} "
            "unreadable lines)"
        )
