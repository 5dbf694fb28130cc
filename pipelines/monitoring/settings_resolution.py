"""``resolve_run_settings``: a run's options and a stage export in, the settings the engine runs with out.

Which source wins, per setting: the caller's option, then (for baseline files) the ``baseline`` location's
files, then the stage export's value, then the default. Baseline files are taken file by file in that order
(per-file options, the ``baseline`` folder or DriftCheckBaselines document, the export's parameters).
Without ``monitors``, the export's enabled monitors run (the others are ``disabled``, with the reason).

Where the records come from (an endpoint's capture, a transform's, or a dataset) and the name the results are
filed under: ``source_settings``.

No flag is named here: problems name settings (``pipelines.setting_names``), which the command line shows
as its flags. Every problem is reported at once, in the order of ``SETTINGS_ORDER``. The only I/O is reading
the ``baseline`` location through ``storage`` (and checking that a local capture folder or dataset exists).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

from pipelines.errors import collect_problems
from pipelines.monitoring.baseline_files import BaselineFiles, baseline_files_at
from pipelines.monitoring.capture_reader import ResponseFields
from pipelines.monitoring.model_quality import ProblemType
from pipelines.monitoring.run_settings import (
    SETTINGS_ORDER,
    ExplainerSpec,
    RunOptions,
    RunSettings,
    Setting,
)
from pipelines.monitoring.source_settings import record_source, results_name, source_problems
from pipelines.monitors import MONITORS, MonitorType
from pipelines.s3uri import is_s3_uri
from pipelines.setting_names import SettingsError, first_setting, setting
from pipelines.stage_export import (
    END_OFFSET,
    INFERENCE_ATTRIBUTE,
    PROBABILITY_ATTRIBUTE,
    PROBLEM_TYPE,
    START_OFFSET,
    StageExport,
)
from pipelines.storage import Storage

_ATTRIBUTE = re.compile(r"^(?:\$\.?)?(?:\[\d+\]\.?)?(?P<name>[^.\[\]]+)$")


@dataclass(frozen=True, slots=True)
class ResolvedRun:
    """The settings of one run, and the model its explainability monitor explains (if any)."""

    settings: RunSettings
    explainer: ExplainerSpec | None = None


def resolve_run_settings(
    options: RunOptions, stage_export: StageExport | None, storage: Storage
) -> ResolvedRun:
    """``options`` over ``stage_export``'s values; raises ``SettingsError`` listing every problem."""
    problems: list[str] = []
    export = stage_export
    endpoint = _endpoint(options, export, problems)
    monitors, disabled = _selected_monitors(options, export)
    outputs = _outputs(options, export, monitors, problems)
    problems += option_problems(options, export)
    start_offset = options.start_offset or collect_problems(
        problems, lambda: export.offset(START_OFFSET) if export else None
    )
    end_offset = options.end_offset or collect_problems(
        problems, lambda: export.offset(END_OFFSET) if export else None
    )
    problem_type = options.problem_type or collect_problems(problems, lambda: _export_problem_type(export))
    threshold = (
        options.probability_threshold
        if options.probability_threshold is not None
        else collect_problems(problems, lambda: export.probability_threshold if export else None)
    )
    fields = collect_problems(problems, lambda: _response_fields(options, export)) or ResponseFields()
    baselines = _baselines(options, export, storage, problems)
    if problems:
        raise SettingsError(sorted(problems, key=_rank))
    assert endpoint is not None
    source = record_source(options, export, endpoint, fields)
    labelled_by_dataset = options.dataset is not None  # the export's ground truth is for captured records
    settings = RunSettings(
        endpoint=endpoint,
        source=source,
        outputs=outputs,
        window=options.window,
        monitors=monitors,
        explicit=options.monitors is not None,
        baselines=baselines,
        ground_truth=None
        if labelled_by_dataset
        else options.ground_truth or (export.ground_truth if export else None),
        start_offset=None if labelled_by_dataset else start_offset,
        end_offset=None if labelled_by_dataset else end_offset,
        problem_type=problem_type,
        probability_threshold=threshold,
        explain_max_records=options.explain_max_records,
        bias_tolerance=options.bias_tolerance,
        bias_di_rule=options.bias_di_rule,
        disabled=disabled,
        engine=options.engine,
    )
    return ResolvedRun(settings, options.explainer)


def settings_rank(problem: str) -> int:
    """Where a problem naming a setting is reported among the others (``SETTINGS_ORDER``)."""
    named = first_setting(problem)
    return SETTINGS_ORDER.index(named) if named in SETTINGS_ORDER else len(SETTINGS_ORDER)


_rank = settings_rank


def option_problems(options: RunOptions, export: StageExport | None) -> list[str]:
    """Options that cannot be used, or not together (one line each)."""
    problems = source_problems(options)
    if options.baseline is not None and export is not None:
        problems.append(
            f"give {setting(Setting.BASELINE)} or {setting(Setting.STAGE_EXPORT)}, not both "
            f"({setting(Setting.BASELINE_FILES)} may override either)"
        )
    explainer = options.explainer
    if explainer is not None and explainer.model is not None and explainer.endpoint is not None:
        problems.append(f"give {setting(Setting.MODEL)} or {setting(Setting.EXPLAIN_ENDPOINT)}, not both")
    if options.engine.processes is not None and options.engine.processes < 1:
        problems.append(f"{setting(Setting.PROCESSES)} is {options.engine.processes}: expected at least 1")
    if options.explain_max_records < 1:
        problems.append(
            f"{setting(Setting.EXPLAIN_MAX_RECORDS)} is {options.explain_max_records}: expected at least 1"
        )
    for name, value in (
        (Setting.PROBABILITY_THRESHOLD, options.probability_threshold),
        (Setting.BIAS_TOLERANCE, options.bias_tolerance),
    ):
        if value is not None and not value >= 0:  # NaN fails too
            problems.append(f"{setting(name)} is {value}: expected a non-negative number")
    return problems


def _endpoint(options: RunOptions, export: StageExport | None, problems: list[str]) -> str | None:
    endpoint = results_name(options, export)
    if endpoint is None:
        problems.append(
            f"{setting(Setting.ENDPOINT)} is required "
            f"(or a {setting(Setting.STAGE_EXPORT)} with an EndpointName)"
        )
    elif (
        options.capture is not None
        and export is not None
        and export.endpoint
        and options.endpoint
        and export.endpoint != options.endpoint
    ):
        problems.append(
            f"{setting(Setting.ENDPOINT)} {options.endpoint!r} differs from {export.where}'s EndpointName "
            f"{export.endpoint!r}"
        )
    return endpoint


def _selected_monitors(
    options: RunOptions, export: StageExport | None
) -> tuple[tuple[MonitorType, ...], dict[MonitorType, str]]:
    """The monitors asked for, else the ones the stage export enables (the others are disabled), else all."""
    selected = None if options.monitors is None else set(options.monitors)
    disabled: dict[MonitorType, str] = {}
    if selected is None and export is not None:
        enabled = {m.type for m in MONITORS.values() if export.enabled(m)}
        disabled = {
            m.type: f"disabled in {export.where} ({m.enable_parameter})"
            for m in MONITORS.values()
            if m.type not in enabled
        }
        selected = enabled
    return tuple(m for m in MONITORS if selected is None or m in selected), disabled


def _outputs(
    options: RunOptions, export: StageExport | None, monitors: tuple[MonitorType, ...], problems: list[str]
) -> dict[MonitorType, str]:
    """The ``output`` option for every monitor, else each monitor's MonitoringOutputS3Uri in the export."""
    outputs: dict[MonitorType, str] = {}
    for monitor in monitors:
        output = options.output or (export.output(MONITORS[monitor]) if export else None)
        if output is None:
            where = f": {export.where} has no {MONITORS[monitor].output_parameter}" if export else ""
            problems.append(f"{setting(Setting.OUTPUT)} is required{where}")
            break
        outputs[monitor] = output
    return outputs


def _export_problem_type(export: StageExport | None) -> ProblemType | None:
    text = export.value(PROBLEM_TYPE) if export else None
    return None if text is None else ProblemType.parse(text)


def attribute_name(text: str | None, *, what: str) -> str | None:
    """The field name of Model Monitor's Inference/ProbabilityAttribute (``[0].class`` -> ``class``).

    Each record's prediction is one JSON object (or a CSV line, where positions are used): a bare field name,
    optionally after ``$.`` or ``[index].``, is what the capture reader can follow; a position (``0``) means
    the default fields. None when ``text`` is.
    """
    if text is None or text.isdigit():
        return None
    match = _ATTRIBUTE.match(text.strip())
    if match is None:
        raise SettingsError(
            f"{what} {text!r}: only a field of each prediction object is supported, e.g. '[0].probability' "
            "or 'probability'"
        )
    return match.group("name")


def _response_fields(options: RunOptions, export: StageExport | None) -> ResponseFields:
    defaults = ResponseFields()
    base = defaults
    if export is not None:
        label = attribute_name(
            export.value(INFERENCE_ATTRIBUTE), what=f"{export.where}: {INFERENCE_ATTRIBUTE}"
        )
        probability = attribute_name(
            export.value(PROBABILITY_ATTRIBUTE), what=f"{export.where}: {PROBABILITY_ATTRIBUTE}"
        )
        base = ResponseFields(label or defaults.label, probability or defaults.probability)
    label = attribute_name(options.inference_attribute, what=setting(Setting.INFERENCE_ATTRIBUTE))
    probability = attribute_name(options.probability_attribute, what=setting(Setting.PROBABILITY_ATTRIBUTE))
    return ResponseFields(label or base.label, probability or base.probability)


def _baselines(
    options: RunOptions, export: StageExport | None, storage: Storage, problems: list[str]
) -> dict[MonitorType, BaselineFiles]:
    """Per-file options first, then the ``baseline`` location's files, then the stage export's."""
    baselines = {m: options.baseline_files.get(m, BaselineFiles()) for m in MONITORS}
    if options.baseline is not None:
        in_folder = (
            collect_problems(problems, lambda: baseline_files_at(storage, options.baseline or "")) or {}
        )
        if in_folder and not any(files.locations for files in in_folder.values()):
            local_missing = not is_s3_uri(options.baseline) and not Path(options.baseline).exists()
            found = "no such file or folder" if local_missing else "no baseline files in it"
            problems.append(
                f"{setting(Setting.BASELINE)} {options.baseline}: {found} (expected the "
                "layout `baseline` writes, e.g. data-quality/statistics.json, or a "
                "drift_check_baselines.json)"
            )
        baselines = {m: baselines[m].merged_with(in_folder.get(m, BaselineFiles())) for m in MONITORS}
    if export is not None:
        baselines = {
            m: baselines[m].merged_with(BaselineFiles.of(export.baseline_files(MONITORS[m])))
            for m in MONITORS
        }
    return baselines
