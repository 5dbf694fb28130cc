"""The deployment flow: validate every stage config, plan every stage, then write.

``deploy`` is the library entry point (the CLI, the sandbox and the tests call it with their own
clients). Nothing is written until every stage is planned and every export validated against the
template, so a problem in prod never leaves a half-updated staging behind; with ``dry_run`` nothing is
written at all (exports only when their paths were asked for explicitly).
"""

from __future__ import annotations

import logging
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

import boto3
from transaction_scoring import contract

from pipelines.deploy import clarify, processing
from pipelines.deploy.backends import BACKEND_PARAMETER, MonitoringBackend
from pipelines.deploy.baselines import (
    BaselineResolution,
    BaselineSource,
    RegistryFile,
    parameter_files,
    resolve_baselines,
)
from pipelines.deploy.errors import BaselineError, ConfigError
from pipelines.deploy.export import deploy_command, write_export
from pipelines.deploy.image_uris import MonitorImages, UnsupportedRegion, monitor_images
from pipelines.deploy.plan import MonitorPlan, StagePlan
from pipelines.deploy.preflight import capture_warnings, unreadable_baselines
from pipelines.deploy.registry import PackageSource, StagePackage, aws_call, resolve_stage_package
from pipelines.deploy.schedule_rules import parse_schedule
from pipelines.deploy.stage_config import (
    GROUND_TRUTH_INPUT,
    RECORD_PREPROCESSOR,
    StageConfig,
    load_stage_configs,
)
from pipelines.deploy.template_parameters import TemplateParameters, load_template_parameters
from pipelines.deploy.uploads import PrefixUpload, code_upload, upload_if_absent, wheelhouse_upload
from pipelines.errors import InvalidS3Uri
from pipelines.jsonio import content_digest, dumps_canonical, dumps_pretty
from pipelines.monitors import DISABLED, ENABLED, MONITORS, BaselineFile, MonitorType
from pipelines.s3uri import S3Uri
from pipelines.storage import Storage

if TYPE_CHECKING:
    from mypy_boto3_s3 import S3Client
    from mypy_boto3_sagemaker import SageMakerClient

log = logging.getLogger(__name__)

RECORD_PREPROCESSOR_SCRIPT = Path(__file__).with_name("record_preprocessor.py")
CODE_PREFIX = "monitoring-code"
DERIVED_BASELINES_PREFIX = "monitoring-baselines"  # Clarify files derived from a package's (``clarify``)
OUTPUT_PREFIX = "monitor-output"
GROUND_TRUTH_PREFIX = "ground-truth"
EXPORTS_PREFIX = "stage-exports"
# Tag keys CloudFormation reserves; project tags with them cannot be stack tags.
_RESERVED_TAG_PREFIX = "aws:"


@dataclass(frozen=True, slots=True)
class StageRequest:
    """One stage to configure: its config file, and where its export goes (None: nowhere)."""

    config_path: str
    export_path: str | None


@dataclass(frozen=True, slots=True)
class DeployOptions:
    """Everything the flow needs besides AWS clients (the CLI builds this from its flags)."""

    project_name: str
    project_id: str
    model_monitor_role: str
    monitor_outputs_bucket: str
    stages: tuple[StageRequest, ...]
    project_arn: str | None = None
    template_file: str = "model-monitor-template.yml"
    strict: bool = False
    dry_run: bool = False
    # The wheelhouse folder buildspec.yml's pre_build phase builds (needed when a stage uses Processing).
    processing_wheelhouse: str | None = None

    @property
    def package_group(self) -> str:
        """The project's model package group, as the SageMaker project template names it."""
        return f"{self.project_name}-{self.project_id}"


@dataclass(frozen=True, slots=True)
class Clients:
    """The AWS clients the flow uses (created by the caller, through ``pipelines.aws``)."""

    sagemaker: SageMakerClient
    s3: S3Client
    region: str


@dataclass(frozen=True, slots=True)
class ProcessingUploads:
    """What every Processing stage's jobs read: the code bundle and the wheelhouse (uploaded once)."""

    code: PrefixUpload
    wheelhouse: PrefixUpload


@dataclass(slots=True)
class DeployResult:
    plans: list[StagePlan]
    written: list[str] = field(default_factory=list)


def deploy(options: DeployOptions, clients: Clients, images: MonitorImages | None = None) -> DeployResult:
    """Plan every stage, check the plans, then (unless ``dry_run``) write derived files and exports."""
    template = load_template_parameters(options.template_file)
    _check_options(options)
    configs = load_stage_configs([s.config_path for s in options.stages], template, options.project_name)
    images = images or monitor_images(clients.region)
    storage = Storage(clients.s3)
    project_tags = _project_tags(clients.sagemaker, options.project_arn)
    uploads = _processing_uploads(configs, template, options)
    plans = [
        plan_stage(config, request, options, template, clients, storage, images, project_tags, uploads)
        for config, request in zip(configs, options.stages, strict=True)
    ]
    for plan in plans:
        for warning in plan.warnings:
            log.warning("stage %s: %s", plan.stage_name, warning)
    if options.strict:
        missing = [line for plan in plans for line in plan.switched_off_lines]
        if missing:
            raise BaselineError([f"--strict: {line}" for line in missing])
    problems = [
        problem
        for plan in plans
        for problem in template.problems(
            plan.parameters, where=f"export of stage {plan.stage_name} (computed)", complete=True
        )
    ]
    if problems:
        raise ConfigError(problems)
    unreadable = unreadable_baselines(clients.s3, baseline_uris(plans))
    if unreadable:
        raise BaselineError(unreadable)
    result = DeployResult(plans)
    if not options.dry_run:
        for plan in plans:
            result.written += [
                write.location for write in plan.writes if clarify.write_if_absent(storage, write)
            ]
        if uploads is not None and any(plan.backend is MonitoringBackend.PROCESSING for plan in plans):
            result.written += [
                upload.prefix
                for upload in (uploads.code, uploads.wheelhouse)
                if upload_if_absent(storage, upload)
            ]
    # Exports are written whenever a path is given: with --dry-run the CLI only gives the paths asked for.
    for plan in plans:
        if plan.export_path:
            result.written += write_export(storage, plan.export_path, plan.parameters, plan.tags)
    return result


def _processing_uploads(
    configs: list[StageConfig], template: TemplateParameters, options: DeployOptions
) -> ProcessingUploads | None:
    """The code bundle and wheelhouse uploads, when a stage uses the Processing backend."""
    if not any(config.backend(template) is MonitoringBackend.PROCESSING for config in configs):
        return None
    if not options.processing_wheelhouse:
        stages = [c.stage_name for c in configs if c.backend(template) is MonitoringBackend.PROCESSING]
        raise ConfigError(
            f"stage {', '.join(stages)} uses the Processing backend: give --processing-wheelhouse, the "
            "folder `python -m pipelines.container.wheelhouse --output wheelhouse` builds (buildspec.yml's "
            "pre_build phase)"
        )
    root = str(S3Uri(options.monitor_outputs_bucket).join(CODE_PREFIX))
    return ProcessingUploads(code_upload(root), wheelhouse_upload(root, options.processing_wheelhouse))


def baseline_uris(plans: Sequence[StagePlan]) -> dict[str, str]:
    """Every baseline file an export will point a schedule at, but those this run writes: ``where -> URI``
    (``where`` names the stage, the template parameter and where the URI came from)."""
    uris: dict[str, str] = {}
    for plan in plans:
        ours = {write.location for write in plan.writes}
        sources = {m.monitor: m.baseline_source for m in plan.monitors if m.enabled}
        for spec in MONITORS.model_monitor():
            if spec.type not in sources:
                continue
            for name in spec.baseline_parameters:
                uri = plan.parameters.get(name)
                if uri and uri not in ours:
                    uris[f"stage {plan.stage_name}: {name} (baseline from {sources[spec.type]})"] = uri
    return uris


def _check_options(options: DeployOptions) -> None:
    try:
        S3Uri.parse(f"s3://{options.monitor_outputs_bucket}", what="--monitor-outputs-bucket")
    except InvalidS3Uri as error:
        raise ConfigError(str(error)) from None


def _project_tags(sagemaker: SageMakerClient, project_arn: str | None) -> dict[str, str]:
    if not project_arn:
        return {}
    with aws_call(f"sagemaker:ListTags {project_arn}"):
        return stack_tags_from_project(sagemaker.list_tags(ResourceArn=project_arn).get("Tags", []))


def stack_tags_from_project(tags: Sequence[Mapping[str, Any]]) -> dict[str, str]:
    """The project's tags that CloudFormation accepts as stack tags (``aws:`` keys are reserved)."""
    kept = {tag["Key"]: tag["Value"] for tag in tags if not tag["Key"].startswith(_RESERVED_TAG_PREFIX)}
    if len(kept) != len(tags):
        log.info("project tags with the reserved prefix %r are not copied to the stack", _RESERVED_TAG_PREFIX)
    return kept


def stage_tags(
    config: StageConfig, options: DeployOptions, project_tags: Mapping[str, str]
) -> dict[str, str]:
    """Stage config tags, then the project template's standard tags, then the project's own tags."""
    return {
        **config.tags,
        "sagemaker:deployment-stage": config.stage_name,
        "sagemaker:project-id": options.project_id,
        "sagemaker:project-name": options.project_name,
        **project_tags,
    }


def plan_stage(
    config: StageConfig,
    request: StageRequest,
    options: DeployOptions,
    template: TemplateParameters,
    clients: Clients,
    storage: Storage,
    images: MonitorImages,
    project_tags: Mapping[str, str],
    uploads: ProcessingUploads | None = None,
) -> StagePlan:
    """Everything one stage needs: its package, baselines, derived files, parameters and tags."""
    endpoint = config.endpoint_name(options.project_name)
    package = resolve_stage_package(clients.sagemaker, endpoint, options.package_group)
    resolutions = resolve_baselines(config.parameters, package.description, package.package_arn)
    parameters: dict[str, str] = dict(config.parameters)
    monitors: list[MonitorPlan] = []
    writes: list[clarify.DerivedFile] = []
    warnings: list[str] = []
    switched_off: list[str] = []

    for spec in MONITORS.model_monitor():
        monitor = spec.type
        resolution = resolutions[monitor]
        cannot_run = _cannot_run(monitor, resolution, package)
        if not config.enabled(monitor):
            monitors.append(
                MonitorPlan(monitor, False, f"disabled in the stage config ({spec.enable_parameter})")
            )
        elif cannot_run:
            detail = f"model package {package.package_arn}: {cannot_run}"
            warnings.append(f"{monitor} monitor of stage {config.stage_name} switched off: {detail}")
            switched_off.append(f"{monitor} monitor of stage {config.stage_name} cannot run: {detail}")
            monitors.append(MonitorPlan(monitor, False, f"no baseline: {cannot_run}", switched_off=True))
        else:
            derived_folder = S3Uri(options.monitor_outputs_bucket).join(DERIVED_BASELINES_PREFIX)
            files, derived = _baseline_parameters(resolution, package, storage, derived_folder)
            writes += derived
            parameters.update({spec.baseline_parameter(file): uri for file, uri in files.items()})
            monitors.append(
                MonitorPlan(monitor, True, f"baseline from {resolution.source}", resolution.source)
            )
            continue
        for name in spec.baseline_parameters:
            parameters.setdefault(name, "")

    enabled = {plan.monitor for plan in monitors if plan.enabled}
    for spec in MONITORS.model_monitor():
        parameters[spec.enable_parameter] = ENABLED if spec.type in enabled else DISABLED
        parameters[spec.output_parameter] = (
            f"s3://{options.monitor_outputs_bucket}/{OUTPUT_PREFIX}/{spec.output_folder}"
        )
    if GROUND_TRUTH_INPUT not in config.parameters:
        parameters[GROUND_TRUTH_INPUT] = ground_truth_default(options.monitor_outputs_bucket, endpoint)
    if MonitorType.DATA_QUALITY in enabled and RECORD_PREPROCESSOR not in config.parameters:
        script = _record_preprocessor_upload(options.monitor_outputs_bucket)
        writes.append(script)
        parameters[RECORD_PREPROCESSOR] = script.location
    parameters.update(
        {
            "SageMakerProjectName": options.project_name,
            "ModelMonitorRoleArn": options.model_monitor_role,
            "EndpointName": endpoint,
            "MonitoringScheduleName": endpoint,
            "ModelMonitorImageUri": images.model_monitor,
            "ClarifyImageUri": images.clarify,
        }
    )
    if package.deployed is not None:
        warnings += capture_warnings(
            endpoint,
            package.deployed.data_capture,
            package.deployed.capture_status,
            content_type=contract.CONTENT_TYPE,
            accept=contract.ACCEPT,
            enabled_monitors=[spec.type for spec in MONITORS.model_monitor() if spec.type in enabled],
        )
    else:
        warnings.append(f"endpoint {endpoint} does not exist yet: its data capture could not be checked")
    backend = config.backend(template) or MonitoringBackend.MODEL_MONITOR
    parameters[BACKEND_PARAMETER] = backend.value
    tags = stage_tags(config, options, project_tags)
    if backend is MonitoringBackend.PROCESSING and enabled:
        assert uploads is not None  # _processing_uploads made them for every Processing stage
        warnings += _processing_parameters(config, template, parameters, package, images, uploads)
        writes.append(_export_upload(options.monitor_outputs_bucket, parameters, tags, clients.region))
    return StagePlan(
        stage_name=config.stage_name,
        config_source=config.source,
        endpoint_name=endpoint,
        package=package,
        monitors=tuple(monitors),
        parameters=parameters,
        tags=tags,
        backend=backend,
        backend_source=(
            "the stage config" if BACKEND_PARAMETER in config.parameters else "the template's default"
        ),
        writes=tuple(writes),
        warnings=tuple(warnings),
        export_path=request.export_path,
        deploy_command=deploy_command(
            options.project_name,
            config.stage_name,
            request.export_path,
            creates_roles=backend is MonitoringBackend.PROCESSING and bool(enabled),
        )
        if request.export_path
        else "",
        switched_off_lines=tuple(switched_off),
    )


def _processing_parameters(
    config: StageConfig,
    template: TemplateParameters,
    parameters: dict[str, str],
    package: StagePackage,
    images: MonitorImages,
    uploads: ProcessingUploads,
) -> list[str]:
    """Set the Processing backend's computed parameters (``pipelines.deploy.processing``); return warnings."""
    warnings: list[str] = []
    enabled = [
        spec.type for spec in MONITORS.model_monitor() if parameters.get(spec.enable_parameter) == ENABLED
    ]
    schedules = {
        m: parse_schedule(str(config.value(MONITORS[m].schedule_parameter, template)), any_minute=True)
        for m in enabled
    }
    runtimes = {m: int(str(config.value(MONITORS[m].max_runtime_parameter, template))) for m in enabled}
    parameters.update(processing.group_parameters(processing.schedule_groups(schedules, runtimes)))
    capture, variant = "", ""
    if package.deployed is not None:
        capture = str(package.deployed.data_capture.get("DestinationS3Uri", "")).rstrip("/")
        variant = package.deployed.variant_name
    if not capture:
        warnings.append(
            f"the Processing backend reads {parameters['EndpointName']}'s data capture, whose destination is "
            "not known (no endpoint yet, or no DataCaptureConfig): the stack will refuse to deploy "
            f"({processing.CAPTURE_PARAMETER} is empty)"
        )
    containers = package.description.get("InferenceSpecification", {}).get("Containers", [])
    model = str(containers[0].get("ModelDataUrl", "")) if containers else ""
    spark = config.value(processing.ENGINE, template) == processing.SPARK_ENGINE
    if spark and not images.spark_processing:
        raise UnsupportedRegion(
            f"{config.source}: {processing.ENGINE} is {processing.SPARK_ENGINE!r}: the SageMaker SDK lists "
            "no Spark 3.5 processing image for this region; use the local engine there"
        )
    parameters.update(
        {
            processing.IMAGE_PARAMETER: images.spark_processing if spark else images.processing,
            processing.CODE_PARAMETER: uploads.code.prefix,
            processing.WHEELHOUSE_PARAMETER: uploads.wheelhouse.prefix,
            processing.CAPTURE_PARAMETER: capture,
            processing.VARIANT_PARAMETER: variant,
            processing.MODEL_PARAMETER: model,
        }
    )
    return warnings


def _export_upload(
    bucket: str, parameters: dict[str, str], tags: Mapping[str, str], region: str
) -> clarify.DerivedFile:
    """The stage's export on S3 (the job's settings), and the S3 grants of its job (``ProcessingS3*Arns``).

    The key is the digest of the parameters that determine the rest (the grants follow from them and from the
    key), so the same plan always lands on the same key.
    """
    derived = (processing.EXPORT_PARAMETER, processing.READ_ARNS_PARAMETER, processing.BUCKET_ARNS_PARAMETER)
    determining = {k: v for k, v in parameters.items() if k not in derived}
    digest = content_digest(dumps_canonical({"Parameters": determining, "Tags": dict(tags)}))
    location = str(
        S3Uri(bucket).join(CODE_PREFIX, EXPORTS_PREFIX, f"{parameters['EndpointName']}-{digest}.json")
    )
    parameters[processing.EXPORT_PARAMETER] = location
    objects = [location, parameters.get(processing.MODEL_PARAMETER, "")]
    objects += [
        parameters.get(name, "") for spec in MONITORS.model_monitor() for name in spec.baseline_parameters
    ]
    prefixes = [
        parameters.get(GROUND_TRUTH_INPUT, ""),
        parameters[processing.CODE_PARAMETER],
        parameters[processing.WHEELHOUSE_PARAMETER],
    ]
    if parameters.get(processing.CAPTURE_PARAMETER):
        prefixes.append(
            str(S3Uri.parse(parameters[processing.CAPTURE_PARAMETER]).join(parameters["EndpointName"]))
        )
    partition = boto3.Session().get_partition_for_region(region)
    reads, buckets = processing.s3_read_arns([o for o in objects if o], [p for p in prefixes if p], partition)
    parameters[processing.READ_ARNS_PARAMETER] = reads
    parameters[processing.BUCKET_ARNS_PARAMETER] = buckets
    document = {"Parameters": dict(parameters), "Tags": dict(tags)}
    return clarify.DerivedFile("stage export", location, dumps_pretty(document), ("this plan",))


def _cannot_run(monitor: MonitorType, resolution: BaselineResolution, package: StagePackage) -> str:
    """Why an enabled monitor cannot run on this stage ("" when it can)."""
    if not resolution.found:
        return resolution.missing
    if (
        MONITORS[monitor].needs_model
        and resolution.source is not BaselineSource.STAGE_CONFIG
        and package.model_name is None
    ):
        return (
            f"no model is deployed on the stage yet ({PackageSource.NEWEST_APPROVED}), and the "
            "explainability config must name the stage's model"
        )
    return ""


def _baseline_parameters(
    resolution: BaselineResolution, package: StagePackage, storage: Storage, derived_folder: S3Uri
) -> tuple[dict[BaselineFile, str], list[clarify.DerivedFile]]:
    """Template parameter values of one monitor's baseline, and the derived files they point to (in
    ``derived_folder``, the monitor-outputs bucket: ``pipelines.deploy.clarify``)."""
    files = parameter_files(resolution)
    if resolution.source is BaselineSource.STAGE_CONFIG:
        return files, []
    derived: list[clarify.DerivedFile] = []
    if resolution.monitor is MonitorType.MODEL_BIAS:
        post_uri = resolution.files[RegistryFile.POST_TRAINING_CONSTRAINTS]
        pre_uri = resolution.files.get(RegistryFile.PRE_TRAINING_CONSTRAINTS)
        merged = clarify.merge_bias_constraints(
            storage.read_json(pre_uri) if pre_uri else None,
            storage.read_json(post_uri),
            pre_source=pre_uri,
            post_source=post_uri,
        )
        constraints = clarify.derived_file(
            clarify.BIAS_CONSTRAINTS_KIND,
            merged,
            derived_folder,
            tuple(u for u in (pre_uri, post_uri) if u),
        )
        config_uri = resolution.files[RegistryFile.CONFIG_FILE]
        config = clarify.bias_monitoring_config(storage.read_json(config_uri), source=config_uri)
        config_file = clarify.derived_file(clarify.BIAS_CONFIG_KIND, config, derived_folder, (config_uri,))
        derived = [constraints, config_file]
        files = {BaselineFile.CONSTRAINTS: constraints.location, BaselineFile.CONFIG: config_file.location}
    elif resolution.monitor is MonitorType.MODEL_EXPLAINABILITY:
        config_uri = resolution.files[RegistryFile.CONFIG_FILE]
        assert package.model_name is not None  # _cannot_run ruled the fallback case out
        config = clarify.explainability_monitoring_config(
            storage.read_json(config_uri), model_name=package.model_name, source=config_uri
        )
        config_file = clarify.derived_file(
            clarify.EXPLAINABILITY_CONFIG_KIND, config, derived_folder, (config_uri,)
        )
        derived = [config_file]
        files = {**files, BaselineFile.CONFIG: config_file.location}
    return files, derived


def ground_truth_default(bucket: str, endpoint_name: str) -> str:
    """Where labels go when a stage config names no GroundTruthInput: one prefix per endpoint."""
    return str(S3Uri(bucket).join(GROUND_TRUTH_PREFIX, endpoint_name))


def _record_preprocessor_upload(bucket: str) -> clarify.DerivedFile:
    content = RECORD_PREPROCESSOR_SCRIPT.read_bytes()
    location = str(S3Uri(bucket).join(CODE_PREFIX, f"record-preprocessor-{content_digest(content)}.py"))
    return clarify.DerivedFile(
        kind="record-preprocessor",
        location=location,
        content=content,
        sources=(str(RECORD_PREPROCESSOR_SCRIPT.name),),
        content_type="text/x-python",
    )
