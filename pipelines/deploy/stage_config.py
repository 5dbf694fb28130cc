"""Stage config files (``staging-monitoring-schedule-config.json``, ...): reading and validating them.

A stage config is the CodePipeline template-configuration form, ``{"Parameters": {...}, "Tags": {...}}``,
holding the template parameters a person chooses for one stage. The script fills in the rest (names,
images, baselines, outputs), so those keys are refused here rather than silently overwritten.
Validation collects every problem of every file before anything is read from AWS or written anywhere.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from pipelines.deploy import processing
from pipelines.deploy.backends import BACKEND_PARAMETER, MonitoringBackend
from pipelines.deploy.errors import ConfigError
from pipelines.deploy.schedule_rules import (
    ScheduleRuleError,
    check_max_runtime,
    check_name,
    check_offset_window,
    parse_offset,
    parse_schedule,
)
from pipelines.deploy.template_parameters import TemplateParameters
from pipelines.errors import InvalidS3Uri
from pipelines.monitors import ENABLED, MONITORS, MonitorDefinition, MonitorType
from pipelines.s3uri import S3Uri
from pipelines.stage_export import END_OFFSET, GROUND_TRUTH_INPUT, START_OFFSET

STAGE_NAME = "StageName"
RECORD_PREPROCESSOR = "DataQualityRecordPreprocessorS3Uri"

# Parameters the script computes from its flags and the Model Registry; a stage config may not set them.
COMPUTED_PARAMETERS: Mapping[str, str] = {
    "SageMakerProjectName": "--sagemaker-project-name",
    "ModelMonitorRoleArn": "--model-monitor-role",
    "EndpointName": "--sagemaker-project-name and StageName",
    "MonitoringScheduleName": "--sagemaker-project-name and StageName",
    "ModelMonitorImageUri": "the SageMaker SDK for the region",
    "ClarifyImageUri": "the SageMaker SDK for the region",
    **{spec.output_parameter: "--monitor-outputs-bucket" for spec in MONITORS.model_monitor()},
    **dict.fromkeys(processing.COMPUTED_PARAMETERS, "the Processing backend's plan"),
}
_TOP_LEVEL_KEYS = ("Parameters", "Tags")


@dataclass(frozen=True, slots=True)
class StageConfig:
    """One stage's chosen parameters and tags, as read from its file."""

    source: str
    stage_name: str
    parameters: Mapping[str, str]
    tags: Mapping[str, str] = field(default_factory=dict)

    def value(self, name: str, template: TemplateParameters) -> str | None:
        """The config's value for ``name``, else the template default."""
        if name in self.parameters:
            return self.parameters[name]
        return template.default(name) if name in template else None

    def enabled(self, monitor: MonitorType) -> bool:
        return self.parameters.get(MONITORS[monitor].enable_parameter) == ENABLED

    def backend(self, template: TemplateParameters) -> MonitoringBackend | None:
        """The stage's monitoring backend (the template's default when the config does not name one); None
        when the value is not a backend (the template check reports it)."""
        value = self.value(BACKEND_PARAMETER, template)
        try:
            return MonitoringBackend(value) if value is not None else None
        except ValueError:
            return None

    def endpoint_name(self, project_name: str) -> str:
        """The stage's endpoint, as the project template's deploy stage names it."""
        return f"{project_name}-{self.stage_name}"


def read_stage_config(path: str | Path) -> tuple[StageConfig | None, list[str]]:
    """Read a stage config file; return it with the structural problems found (one line each)."""
    where = str(path)
    try:
        document = json.loads(config_text(Path(path).read_bytes(), where))
    except FileNotFoundError:
        return None, [f"{where}: no such stage config file"]
    except ConfigError as error:
        return None, list(error.problems)
    except json.JSONDecodeError as exc:
        return None, [f"{where}: not valid JSON ({exc.msg} at line {exc.lineno} column {exc.colno})"]
    if not isinstance(document, dict):
        return None, [f"{where}: expected a JSON object with 'Parameters' (and optionally 'Tags')"]
    problems = [
        f"{where}: unknown top-level key {key!r}: expected only 'Parameters' and 'Tags'"
        for key in document
        if key not in _TOP_LEVEL_KEYS
    ]
    parameters, parameter_problems = _string_map(
        document.get("Parameters"), where, "Parameters", required=True
    )
    tags, tag_problems = _string_map(document.get("Tags", {}), where, "Tags", required=False)
    problems += parameter_problems + tag_problems
    stage_name = parameters.get(STAGE_NAME, "")
    if not stage_name and not parameter_problems:
        problems.append(f'{where}: Parameters.{STAGE_NAME} is missing: name the stage, e.g. "staging"')
    if problems:
        return None, problems
    return StageConfig(source=where, stage_name=stage_name, parameters=parameters, tags=tags), []


# Byte-order marks of the encodings an editor may save JSON in; only UTF-8's is accepted (and skipped).
_OTHER_BOMS = (
    (b"\xff\xfe\x00\x00", "UTF-32 (little-endian)"),
    (b"\x00\x00\xfe\xff", "UTF-32 (big-endian)"),
    (b"\xff\xfe", "UTF-16 (little-endian)"),
    (b"\xfe\xff", "UTF-16 (big-endian)"),
)


def config_text(data: bytes, where: str) -> str:
    """A config file's text: UTF-8, with or without a byte-order mark (RFC 8259 requires UTF-8 for JSON
    exchanged between systems); any other encoding is refused in one line saying how to fix it."""
    for bom, encoding in _OTHER_BOMS:
        if data.startswith(bom):
            raise ConfigError(f"{where}: encoded as {encoding} (byte-order mark); save it as UTF-8")
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as error:
        byte = data[error.start : error.start + 1]
        raise ConfigError(
            f"{where}: not UTF-8 text (byte {error.start} is {byte!r}); save it as UTF-8"
        ) from None


def _string_map(value: Any, where: str, section: str, *, required: bool) -> tuple[dict[str, str], list[str]]:
    if value is None and required:
        return {}, [f"{where}: the '{section}' object is missing"]
    if not isinstance(value, dict):
        return {}, [f"{where}: '{section}' must be a JSON object of strings, got {type(value).__name__}"]
    result: dict[str, str] = {}
    problems = []
    for key, item in value.items():
        if isinstance(item, str):
            result[key] = item
        else:
            # CloudFormation parameter and tag values are strings; a bare number is a common slip.
            problems.append(
                f"{where}: {section}.{key} is {json.dumps(item)}: values must be JSON strings, "
                f"e.g. {json.dumps(str(item) if not isinstance(item, bool) else str(item).lower())}"
            )
    return result, problems


def validate_stage_config(config: StageConfig, template: TemplateParameters, project_name: str) -> list[str]:
    """Every problem of one stage config: template constraints, computed keys, SageMaker's rules."""
    where = config.source
    problems = [
        f"{where}: {name} is set by get_baselines_and_configs.py (from {origin}); "
        "remove it from the stage config"
        for name, origin in COMPUTED_PARAMETERS.items()
        if name in config.parameters
    ]
    problems += template.problems(config.parameters, where=where)
    problems += _name_problems(config, project_name)
    backend = config.backend(template)
    for spec in MONITORS.model_monitor():
        problems += _baseline_pair_problems(config, spec)
        if config.enabled(spec.type):
            problems += _ground_truth_problems(config, spec)
            if backend is MonitoringBackend.MODEL_MONITOR:
                problems += _monitor_problems(config, spec, template)
    if (
        backend is MonitoringBackend.MODEL_MONITOR
        and config.parameters.get(processing.ENGINE, processing.LOCAL_ENGINE) != processing.LOCAL_ENGINE
    ):
        problems.append(
            f"{where}: {processing.ENGINE} is {config.parameters[processing.ENGINE]!r}: only the Processing "
            f"backend runs an engine of ours (Model Monitor runs AWS's analyzer); set {BACKEND_PARAMETER} to "
            '"Processing", or remove the key'
        )
    if backend is MonitoringBackend.PROCESSING:
        problems += processing.processing_problems(
            where,
            lambda name: config.value(name, template),
            [spec.type for spec in MONITORS.model_monitor() if config.enabled(spec.type)],
        )
    if any(config.enabled(spec.type) for spec in MONITORS.model_monitor() if spec.needs_ground_truth):
        problems += _offset_problems(config, template)
    return problems


def _name_problems(config: StageConfig, project_name: str) -> list[str]:
    endpoint = config.endpoint_name(project_name)
    names = [("endpoint name", endpoint)] + [
        (f"{spec.type} schedule name", f"{endpoint}-{spec.type}")
        for spec in MONITORS.model_monitor()
        if config.enabled(spec.type)
    ]
    problems = []
    for what, name in names:
        try:
            check_name(name, what=what)
        except ScheduleRuleError as error:
            problems.append(f"{config.source}: {STAGE_NAME}: {error}")
    return problems


def _baseline_pair_problems(config: StageConfig, spec: MonitorDefinition) -> list[str]:
    given = [name for name in spec.baseline_parameters if config.parameters.get(name)]
    problems = []
    for name in given:
        try:
            S3Uri.parse(config.parameters[name], what=name)
        except InvalidS3Uri as error:
            problems.append(f"{config.source}: {error}")
    if given and len(given) != len(spec.baseline_parameters):
        missing = [name for name in spec.baseline_parameters if name not in given]
        problems.append(
            f"{config.source}: {', '.join(given)} is set but {', '.join(missing)} is not: give all of "
            f"{spec.type}'s baseline files or none (then they come from the Model Registry)"
        )
    return problems


def _monitor_problems(
    config: StageConfig, spec: MonitorDefinition, template: TemplateParameters
) -> list[str]:
    """Model Monitor's schedule and run-time rules (``schedule_rules``) for one enabled monitor."""
    where = config.source
    expression = config.value(spec.schedule_parameter, template)
    if expression is None:
        return [f"{where}: {spec.schedule_parameter} is missing: the {spec.type} monitor is enabled"]
    try:
        schedule = parse_schedule(expression)
    except ScheduleRuleError as error:
        return [f"{where}: {spec.schedule_parameter}: {error}"]
    runtime = config.value(spec.max_runtime_parameter, template)
    if runtime is not None:
        try:
            check_max_runtime(spec, schedule, runtime)
        except ScheduleRuleError as error:
            return [f"{where}: {spec.max_runtime_parameter}: {error}"]
    return []


def _ground_truth_problems(config: StageConfig, spec: MonitorDefinition) -> list[str]:
    # An absent GroundTruthInput gets the default prefix (see pipelines.deploy.flow); an empty one is a choice
    # that leaves the monitor without labels.
    if spec.needs_ground_truth and config.parameters.get(GROUND_TRUTH_INPUT) == "":
        return [
            f'{config.source}: {GROUND_TRUTH_INPUT} is empty but {spec.enable_parameter} is "yes": the '
            f"{spec.type} monitor compares predictions with ground truth labels; give the S3 prefix they "
            "are uploaded to "
            f'(or leave the key out for the default), or set {spec.enable_parameter} to "no"'
        ]
    return []


def _offset_problems(config: StageConfig, template: TemplateParameters) -> list[str]:
    start, end = config.value(START_OFFSET, template), config.value(END_OFFSET, template)
    if start is None or end is None:
        return []
    try:
        parse_offset(start)
        parse_offset(end)
        check_offset_window(start, end)
    except ScheduleRuleError as error:
        return [f"{config.source}: {START_OFFSET}/{END_OFFSET}: {error}"]
    return []


def load_stage_configs(
    paths: Iterable[str | Path], template: TemplateParameters, project_name: str
) -> list[StageConfig]:
    """Read and validate every stage config; raise one ``ConfigError`` listing all problems of all files."""
    configs: list[StageConfig] = []
    problems: list[str] = []
    for path in paths:
        config, found = read_stage_config(path)
        problems += found
        if config is not None:
            problems += validate_stage_config(config, template, project_name)
            configs.append(config)
    seen: dict[str, str] = {}
    for config in configs:
        if config.stage_name in seen:
            problems.append(
                f"{config.source}: {STAGE_NAME} {config.stage_name!r} is also the stage of "
                f"{seen[config.stage_name]}: each stage needs its own endpoint"
            )
        seen.setdefault(config.stage_name, config.source)
    if problems:
        raise ConfigError(problems)
    return configs
