"""A batch transform job's data capture as a record source (``capture_reader.transform``): the manifests in
``{root}/input/`` and ``{root}/output/`` for the window's hours, each input line a record and the same line
of its output file the prediction."""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import partial
from typing import ClassVar

from transaction_scoring.contract import TRANSACTION_ID

from pipelines.monitoring.capture_reader import CaptureReader, CaptureReadReport, ResponseFields
from pipelines.monitoring.capture_reader.transform import (
    OutputColumns,
    transform_envelopes,
    transform_file_pairs,
)
from pipelines.monitoring.record_source.base import CaptureRecords, SourceKind, SourceParts
from pipelines.storage import Storage
from pipelines.timewindow import TimeWindow


@dataclass(frozen=True, slots=True)
class TransformCapture:
    """The capture a transform job wrote under ``root`` (its ``DataCaptureConfig.DestinationS3Uri``)."""

    root: str
    response_fields: ResponseFields = field(default_factory=ResponseFields)  # JSON outputs
    output_columns: OutputColumns = field(default_factory=OutputColumns)  # CSV outputs, by position
    record_id_field: str = TRANSACTION_ID

    kind: ClassVar[SourceKind] = SourceKind.TRANSFORM_CAPTURE
    labels_in_records: ClassVar[bool] = False  # labels come from ground truth

    @property
    def location(self) -> str:
        return self.root

    def parts(self, storage: Storage, window: TimeWindow) -> SourceParts:
        pairs, problems = transform_file_pairs(storage, self.root, window)
        return SourceParts(tuple(pairs), tuple(problems))

    def reader(self, storage: Storage) -> CaptureRecords:
        return CaptureRecords(
            CaptureReader(
                storage,
                response_fields=self.response_fields,
                record_id_field=self.record_id_field,
                load=partial(transform_envelopes, columns=self.output_columns),
            )
        )

    def no_records(self, window: TimeWindow, report: CaptureReadReport) -> str:
        return (
            f"no transform records in {window} under {self.root} ({report.files} input files named by the "
            f"manifests in input/ of the window's hour folders, {report.unreadable_lines} unreadable lines "
            "or manifests)"
        )
