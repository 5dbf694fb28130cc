"""Which baseline files each monitor of a stage uses, and why.

Order, per monitor: URIs given in the stage config (the template's own parameter names) -> the stage's
package ``DriftCheckBaselines`` -> its ``ModelMetrics`` -> none. A source counts only when it has every
file the monitor needs, so one monitor never mixes files of two baselines. ``ModelMetrics`` can only stand
in for data and model quality: for bias and explainability it holds reports, not constraints.
Field names: https://docs.aws.amazon.com/sagemaker/latest/APIReference/API_DriftCheckBaselines.html and
https://docs.aws.amazon.com/sagemaker/latest/APIReference/API_ModelMetrics.html

Everything here is pure: it reads a DescribeModelPackage response and a stage config.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any

from pipelines.deploy.errors import RegistryError
from pipelines.errors import InvalidS3Uri
from pipelines.monitors import MONITORS, BaselineFile, MonitorDefinition, MonitorType
from pipelines.s3uri import S3Uri


class BaselineSource(StrEnum):
    STAGE_CONFIG = "stage config"
    DRIFT_CHECK_BASELINES = "DriftCheckBaselines"
    MODEL_METRICS = "ModelMetrics"
    NONE = "none"


class RegistryFile(StrEnum):
    """File fields of the Model Registry's baseline structures."""

    CONSTRAINTS = "Constraints"
    STATISTICS = "Statistics"
    CONFIG_FILE = "ConfigFile"
    PRE_TRAINING_CONSTRAINTS = "PreTrainingConstraints"
    POST_TRAINING_CONSTRAINTS = "PostTrainingConstraints"


@dataclass(frozen=True, slots=True)
class RegistryLayout:
    """Where a monitor's files sit in a registry structure, and which of them it cannot do without."""

    key: str
    required: tuple[str, ...]
    optional: tuple[str, ...] = ()


def drift_check_layout(monitor: MonitorDefinition) -> RegistryLayout:
    """The monitor's files in DriftCheckBaselines (bias: pre-training constraints merged in if present)."""
    return RegistryLayout(monitor.drift_check_section, monitor.drift_check_keys, monitor.drift_check_optional)


def model_metrics_layout(monitor: MonitorDefinition) -> RegistryLayout | None:
    """The monitor's files in ModelMetrics, where they can stand in for its baseline (else None)."""
    return drift_check_layout(monitor) if monitor.model_metrics_stands_in else None


@dataclass(frozen=True, slots=True)
class BaselineResolution:
    """The files one monitor of one stage uses (empty when none were found), and where they came from."""

    monitor: MonitorType
    source: BaselineSource
    files: Mapping[str, str] = field(default_factory=dict)
    missing: str = ""

    @property
    def found(self) -> bool:
        return self.source is not BaselineSource.NONE


def registry_files(
    description: Mapping[str, Any], section: str, layout: RegistryLayout, package_arn: str
) -> dict[str, str]:
    """The S3 URIs of ``layout``'s files present in ``description[section]``, checked for shape."""
    structures = description.get(section) or {}
    if not isinstance(structures, dict):
        raise RegistryError(
            f"model package {package_arn}: {section} is {type(structures).__name__}, expected an object"
        )
    structure = structures.get(layout.key)
    if structure is None:
        return {}
    if not isinstance(structure, dict):
        raise RegistryError(
            f"model package {package_arn}: {section}.{layout.key} is {type(structure).__name__}, "
            "expected an object"
        )
    found: dict[str, str] = {}
    for name in (*layout.required, *layout.optional):
        entry = structure.get(name)
        if entry is None:
            continue
        path = f"{section}.{layout.key}.{name}"
        uri = entry.get("S3Uri") if isinstance(entry, dict) else None
        if not isinstance(uri, str):
            raise RegistryError(
                f'model package {package_arn}: {path} is {entry!r}: expected {{"S3Uri": "s3://...", ...}}'
            )
        try:
            S3Uri.parse(uri, what=path)
        except InvalidS3Uri as error:
            raise RegistryError(f"model package {package_arn}: {error}") from None
        found[name] = uri
    return found


def _missing_text(section: str, layout: RegistryLayout, files: Mapping[str, str]) -> str:
    absent = [name for name in layout.required if name not in files]
    if not files:
        return f"no {section}.{layout.key}"
    return f"{section}.{layout.key} lacks {', '.join(absent)}"


def resolve_baselines(
    config_parameters: Mapping[str, str], description: Mapping[str, Any], package_arn: str
) -> dict[MonitorType, BaselineResolution]:
    """Resolve the baselines of every deployed monitor for one stage (see the module docstring)."""
    result: dict[MonitorType, BaselineResolution] = {}
    for spec in MONITORS.model_monitor():
        monitor = spec.type
        given = {
            name: config_parameters[name] for name in spec.baseline_parameters if config_parameters.get(name)
        }
        if len(given) == len(spec.baseline_parameters):
            result[monitor] = BaselineResolution(monitor, BaselineSource.STAGE_CONFIG, given)
            continue
        reasons = []
        for source, layout in (
            (BaselineSource.DRIFT_CHECK_BASELINES, drift_check_layout(spec)),
            (BaselineSource.MODEL_METRICS, model_metrics_layout(spec)),
        ):
            if layout is None:
                reasons.append(f"{source} holds no {monitor} constraints")
                continue
            files = registry_files(description, source.value, layout, package_arn)
            if all(name in files for name in layout.required):
                result[monitor] = BaselineResolution(monitor, source, files)
                break
            reasons.append(_missing_text(source.value, layout, files))
        else:
            result[monitor] = BaselineResolution(monitor, BaselineSource.NONE, missing="; ".join(reasons))
    return result


def parameter_files(resolution: BaselineResolution) -> dict[BaselineFile, str]:
    """Files that go straight into template parameters (the ones that need no Clarify preparation)."""
    spec = MONITORS[resolution.monitor]
    if resolution.source is BaselineSource.STAGE_CONFIG:
        return {file: resolution.files[spec.baseline_parameter(file)] for file in spec.files}
    direct = {
        RegistryFile.CONSTRAINTS: BaselineFile.CONSTRAINTS,
        RegistryFile.STATISTICS: BaselineFile.STATISTICS,
    }
    if resolution.monitor is MonitorType.MODEL_BIAS:
        return {}  # constraints are merged and the config prepared: see pipelines.deploy.clarify
    if resolution.monitor is MonitorType.MODEL_EXPLAINABILITY:
        return {BaselineFile.CONSTRAINTS: resolution.files[RegistryFile.CONSTRAINTS]}
    found = {
        direct[RegistryFile(name)]: uri
        for name, uri in resolution.files.items()
        if RegistryFile(name) in direct
    }
    return {file: found[file] for file in spec.files if file in found}  # the template's order
