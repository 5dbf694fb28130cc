"""A fifth monitor, for tests only: one module of hooks and one definition, as docs/adding-a-monitor.md says.

``record-count`` counts the records of its window and reports a violation when there are fewer than its
baseline's ``min_records`` (half the rows of the baseline dataset). ``BROKEN`` fails on every window with
a user error, to show that one monitor's failure does not stop the others.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import polars as pl

from pipelines.errors import UserError
from pipelines.monitoring.baseline import BaselineOptions, BaselineRequest
from pipelines.monitoring.hooks import BaselineDocuments, Computed, MonitorInputs
from pipelines.monitoring.run_settings import RunSettings
from pipelines.monitors import BaselineFile, BaselineFileSpec, MonitorDefinition, MonitorType
from pipelines.monitors.files import CONSTRAINTS, VIOLATIONS
from pipelines.storage import Storage, join_location

CHECK = "record_count_check"


@dataclass(frozen=True)
class CountPartials:
    """The partial result: the number of records (merged by adding)."""

    def empty(self) -> int:
        return 0

    def add(self, partial: int, batch: pl.DataFrame) -> int:
        return partial + batch.height

    def merge(self, first: int, second: int) -> int:
        return first + second

    def to_bytes(self, partial: int) -> bytes:
        return str(partial).encode()

    def from_bytes(self, data: bytes) -> int:
        return int(data)


class RecordCountHooks:
    def load_baseline(self, documents: BaselineDocuments, settings: RunSettings) -> int:
        minimum = (
            documents.constraints.get("min_records") if isinstance(documents.constraints, dict) else None
        )
        if not isinstance(minimum, int):
            raise UserError(f"{documents.files.constraints}: expected {{'min_records': <integer>}}")
        return minimum

    def partials(self, settings: RunSettings, baseline: int) -> CountPartials:
        return CountPartials()

    def finish(self, inputs: MonitorInputs) -> Computed:
        records, minimum = inputs.partial, inputs.baseline
        if records == 0:
            raise inputs.no_data()
        violations = (
            [{"constraint_check_type": CHECK, "description": f"{records} records, fewer than {minimum}"}]
            if records < minimum
            else []
        )

        def write(storage: Storage, folder: str) -> list[str]:
            return [storage.write_json(join_location(folder, VIOLATIONS), {"violations": violations})]

        return Computed(write, violations, {"counted_records": records})

    def missing_baseline_inputs(self, options: BaselineOptions, model: Any) -> str | None:
        return None

    def make_baseline(self, request: BaselineRequest) -> Mapping[str, str]:
        location = join_location(request.folder, CONSTRAINTS)
        return {
            "Constraints": request.storage.write_json(location, {"min_records": request.dataset.rows // 2})
        }


class BrokenHooks(RecordCountHooks):
    def finish(self, inputs: MonitorInputs) -> Computed:
        raise UserError("the broken monitor cannot read anything")


HOOKS = RecordCountHooks()
BROKEN_HOOKS = BrokenHooks()


def definition(name: str, hooks: str) -> MonitorDefinition:
    """A monitor of ours alone (no Model Monitor type, so nothing to deploy), reading its own window."""
    kind = "".join(part.title() for part in name.split("-"))
    return MonitorDefinition(
        type=MonitorType(kind),
        cli_name=name,
        heading=name.replace("-", " ").capitalize(),
        baseline_folder=name,
        drift_check_section=kind,
        baseline_files=(
            BaselineFileSpec(
                BaselineFile.CONSTRAINTS, (CONSTRAINTS,), "Constraints", f"{kind} constraints.json"
            ),
        ),
        needs_ground_truth=False,
        result_files=(VIOLATIONS,),
        hooks=hooks,
        reads_responses=False,
        model_monitor=False,
    )


RECORD_COUNT = definition("record-count", "toy_monitor:HOOKS")
BROKEN = definition("broken", "toy_monitor:BROKEN_HOOKS")
