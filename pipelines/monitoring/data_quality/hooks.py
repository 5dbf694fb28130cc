"""The data-quality monitor's hooks: what the baselining and run engines ask of it (``monitoring.hooks``)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import polars as pl

from pipelines.monitoring.data_quality.constraints import read_constraints
from pipelines.monitoring.data_quality.monitor import baseline_files, check_data_quality
from pipelines.monitoring.data_quality.profile import DatasetProfile
from pipelines.monitoring.data_quality.statistics import read_statistics
from pipelines.monitoring.data_quality.types import Toggle
from pipelines.monitoring.hooks import BaselineDocuments, Computed, MonitorInputs
from pipelines.monitors.files import CONSTRAINTS, STATISTICS, VIOLATIONS
from pipelines.storage import Storage, join_location

if TYPE_CHECKING:
    from pipelines.monitoring.baseline import BaselineOptions, BaselineRequest
    from pipelines.monitoring.explainability.model import ProbabilityModel
    from pipelines.monitoring.run_settings import RunSettings


@dataclass(frozen=True, slots=True)
class DataQualityBaseline:
    documents: BaselineDocuments
    # The record key is no feature; it is profiled only when the baseline constraints list it.
    features: frozenset[str]


@dataclass(frozen=True, slots=True)
class ProfilePartials:
    """The data-quality partial: the slice's ``DatasetProfile`` (without the record key unless the baseline
    lists it); profiles merge (``DatasetProfile.merge``)."""

    drop: str | None = None

    def empty(self) -> DatasetProfile:
        return DatasetProfile()

    def add(self, partial: DatasetProfile, batch: pl.DataFrame) -> DatasetProfile:
        partial.update(batch if self.drop is None else batch.drop(self.drop, strict=False))
        return partial

    def merge(self, first: DatasetProfile, second: DatasetProfile) -> DatasetProfile:
        first.merge(second)
        return first

    def to_bytes(self, partial: DatasetProfile) -> bytes:
        return partial.to_bytes()

    def from_bytes(self, data: bytes) -> DatasetProfile:
        return DatasetProfile.from_bytes(data)


class DataQualityHooks:
    # -- run ------------------------------------------------------------------------------------------------
    def load_baseline(self, documents: BaselineDocuments, settings: RunSettings) -> DataQualityBaseline:
        files = documents.files
        read_statistics(documents.statistics, where=str(files.statistics))
        constraints = read_constraints(documents.constraints, where=str(files.constraints))
        return DataQualityBaseline(documents, frozenset(constraints.features))

    def partials(self, settings: RunSettings, baseline: DataQualityBaseline) -> ProfilePartials:
        return ProfilePartials(
            None if settings.record_id_field in baseline.features else settings.record_id_field
        )

    def finish(self, inputs: MonitorInputs) -> Computed:
        profile = inputs.partial
        assert isinstance(profile, DatasetProfile)
        if profile.item_count == 0:
            raise inputs.no_data()
        documents: BaselineDocuments = inputs.baseline.documents
        result = check_data_quality(
            profile,
            documents.statistics,
            documents.constraints,
            statistics_where=str(documents.files.statistics),
            constraints_where=str(documents.files.constraints),
        )

        def write(storage: Storage, folder: str) -> list[str]:
            return [
                storage.write_json(join_location(folder, STATISTICS), result.statistics),
                storage.write_json(join_location(folder, VIOLATIONS), result.violations_document),
            ]

        return Computed(write, result.violations_document["violations"])

    # -- baseline -------------------------------------------------------------------------------------------
    def missing_baseline_inputs(self, options: BaselineOptions, model: ProbabilityModel | None) -> str | None:
        return None  # a dataset is enough

    def make_baseline(self, request: BaselineRequest) -> Mapping[str, str]:
        """The analyzer's statistics and suggested constraints of every column but the label, the
        predictions and the excluded ones (none of them is in the requests the endpoint receives)."""
        options = request.options
        excluded = {*options.exclude, *request.not_inputs}
        profile = DatasetProfile()
        for table in request.dataset.text_tables():
            columns = [c for c in table.columns if c not in excluded and not c.startswith("__")]
            profile.update(table, columns)
        files = baseline_files(profile)
        constraints = without_drift_check(files.constraints, options.no_drift_check)
        storage, folder = request.storage, request.folder
        return {
            "Statistics": storage.write_json(join_location(folder, STATISTICS), files.statistics),
            "Constraints": storage.write_json(join_location(folder, CONSTRAINTS), constraints),
        }


def without_drift_check(constraints: Mapping[str, Any], features: Sequence[str]) -> dict[str, Any]:
    """``constraints`` with the distribution comparison of ``features`` switched off, through the per-feature
    ``monitoringConfigOverrides`` of Model Monitor's constraints.json
    (https://docs.aws.amazon.com/sagemaker/latest/dg/model-monitor-byoc-constraints.html)."""
    switched_off = set(features)
    entries = []
    for entry in constraints["features"]:
        if entry["name"] in switched_off:
            overrides = dict(entry.get("monitoringConfigOverrides", {}))
            distribution = {
                **overrides.get("distribution_constraints", {}),
                "perform_comparison": Toggle.DISABLED.value,
            }
            entry = {
                **entry,
                "monitoringConfigOverrides": {**overrides, "distribution_constraints": distribution},
            }
        entries.append(entry)
    return {**constraints, "features": entries}


HOOKS = DataQualityHooks()
