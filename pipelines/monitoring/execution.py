"""One monitoring execution: one window of records (an endpoint's or a batch transform's data capture, or a
dataset: ``record_source``), checked by each monitor.

What happens, in order (nothing is computed until everything that can be checked up front was checked):

1. Choose the monitors: the ones asked for (each must have its inputs, or it is a user error), else every
   selected monitor that has its inputs; one without them is ``Skipped``, with the reason.
2. Read and validate every baseline file (all problems reported at once): each monitor's ``load_baseline``.
3. Read the records (``windows``): each window once, whatever the number of monitors that use it, by the
   run's engine (``engines``), which merges each monitor's partial results (its ``partials``).
4. Finish each monitor (its ``finish``, on the merged partial) and write its files where Model Monitor
   writes them:
   ``{output}/{endpoint}/{endpoint}-{MonitoringType}/yyyy/mm/dd/hh/`` where the hour is the execution's
   scheduled time, i.e. the end of the execution window (an hourly execution at 14:00 analyses 13:00-14:00
   and writes to ``.../14/``), plus ``summary.json``. A dataset has no time: it is read whole, and the
   window only dates the execution.

The engine knows no monitor by name: it loops over the registry (``pipelines.monitors``) and calls each
monitor's hooks (``pipelines.monitoring.hooks``).

Statuses follow Model Monitor's executions: ``Completed``, ``CompletedWithViolations``, ``Failed`` (no data
in the window, as Model Monitor fails with "Job inputs had no data",
https://github.com/aws/sagemaker-python-sdk/issues/2634, or an input the monitor cannot use), and our
``Skipped``. A monitor that fails because of a user error (e.g. a facet column that is not in the captured
records) does not stop the others; the command reports it after the run.

The record key (``Transaction ID`` by default) identifies records for the ground-truth merge; it is not a
feature, so data quality leaves it out unless the baseline constraints list it (Model Monitor's analyzer
only sees what the record preprocessor passes on, which is the model's features).
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, replace
from datetime import datetime
from typing import Any

from pipelines.errors import UserError
from pipelines.monitoring.baseline_files import BaselineFiles
from pipelines.monitoring.hooks import BaselineDocuments, MonitorInputs, NoData, hooks_of
from pipelines.monitoring.record_source import SourceKind
from pipelines.monitoring.run_settings import Explainer, RunSettings, Setting, baseline_file_setting
from pipelines.monitoring.summary import (
    COMPLETED,
    COMPLETED_WITH_VIOLATIONS,
    FAILED,
    SKIPPED,
    ExecutionSummary,
    execution_folder,
)
from pipelines.monitoring.windows import read_windows
from pipelines.monitors import MONITORS, MonitorType
from pipelines.setting_names import SettingNamer, SettingsError, setting, show
from pipelines.storage import Storage, split_location
from pipelines.timewindow import utc_now

log = logging.getLogger(__name__)


class RunInputError(SettingsError):
    """Baseline files or inputs a run cannot use."""


# -- results -----------------------------------------------------------------------------------------------
@dataclass(frozen=True, slots=True)
class MonitorOutcome:
    summary: ExecutionSummary
    folder: str
    error: UserError | None = None  # the user error that made it fail


@dataclass(frozen=True, slots=True)
class ExecutionResult:
    settings: RunSettings
    outcomes: tuple[MonitorOutcome, ...]

    @property
    def has_violations(self) -> bool:
        return any(o.summary.has_violations for o in self.outcomes)

    @property
    def failed(self) -> bool:
        return any(o.summary.status is FAILED for o in self.outcomes)

    @property
    def user_errors(self) -> list[str]:
        return [
            f"{o.summary.monitor.value}: {line}"
            for o in self.outcomes
            if o.error is not None
            for line in o.error.problems
        ]

    @property
    def exit_code(self) -> int:
        """1 with violations or a failed monitor (what Model Monitor's alerts fire on), else 0."""
        return 1 if self.has_violations or self.failed else 0


# -- choosing ----------------------------------------------------------------------------------------------
def missing_inputs(monitor: MonitorType, settings: RunSettings, explainer: Explainer | None) -> str | None:
    """Why ``monitor`` cannot run with these settings (None: it can)."""
    definition = MONITORS[monitor]
    files = settings.baselines.get(monitor, BaselineFiles())
    absent = [
        setting(baseline_file_setting(definition, spec.file))
        for spec in definition.baseline_files
        if not files.get(spec.file)
    ]
    needs = []
    if absent:
        needs.append(f"its baseline ({', '.join(absent)}, or {setting(Setting.BASELINE)} DIR holding them)")
    if definition.needs_ground_truth and not settings.has_labels:
        needs.append(
            f"labels: the dataset's label column ({setting(Setting.LABEL)})"
            if settings.source.kind is SourceKind.DATASET
            else f"ground truth ({setting(Setting.GROUND_TRUTH)}, Model Monitor's GroundTruthInput)"
        )
    if definition.needs_model and explainer is None:
        needs.append(f"a model to explain ({setting(Setting.MODEL)} or {setting(Setting.EXPLAIN_ENDPOINT)})")
    return f"needs {' and '.join(needs)}" if needs else None


def plan_monitors(
    settings: RunSettings, explainer: Explainer | None
) -> tuple[list[MonitorType], dict[MonitorType, str]]:
    """The monitors that run, and the ones skipped with the reason (a user error when none can run, or
    when a monitor asked for by name cannot)."""
    reasons = {m: missing_inputs(m, settings, explainer) for m in settings.monitors}
    missing = {m: reason for m, reason in reasons.items() if reason is not None}
    if settings.explicit and missing:
        raise RunInputError([f"{m.value} monitor {reason}" for m, reason in missing.items()])
    runnable = [m for m in settings.monitors if m not in missing]
    if not runnable:
        lines = [f"{m.value}: {reason}" for m, reason in missing.items()]
        lines += [f"{m.value}: {reason}" for m, reason in settings.disabled.items()]
        raise RunInputError(["no monitor can run:", *lines] if lines else "no monitor selected")
    return runnable, missing


# -- loading -----------------------------------------------------------------------------------------------
def _read_json(storage: Storage, location: str | None, problems: list[str]) -> Any:
    if location is None:
        return None
    try:
        return storage.read_json(location)
    except UserError as error:
        problems.extend(error.problems)
        return None


def load_baseline(
    storage: Storage, monitor: MonitorType, settings: RunSettings, problems: list[str]
) -> tuple[BaselineFiles, Any]:
    """Read and validate one monitor's baseline files; problems are appended, one line each."""
    files = settings.baselines.get(monitor, BaselineFiles())
    found: list[str] = []
    documents = BaselineDocuments(
        files,
        _read_json(storage, files.statistics, found),
        _read_json(storage, files.constraints, found),
        _read_json(storage, files.config, found),
    )
    baseline = None
    if not found:
        try:
            baseline = hooks_of(MONITORS[monitor]).load_baseline(documents, settings)
        except UserError as error:
            found.extend(error.problems)
    problems.extend(found)
    return files, baseline


# -- the execution -----------------------------------------------------------------------------------------
def run_execution(
    storage: Storage,
    settings: RunSettings,
    explainer: Explainer | None = None,
    *,
    now: datetime | None = None,
    name_setting: SettingNamer = str,
) -> ExecutionResult:
    """Run the selected monitors for one window and write their files; see the module docstring.

    Reasons written to ``summary.json`` name settings with ``name_setting`` (the command line: its flags).
    """
    generated_at = now or utc_now()
    runnable, skipped = plan_monitors(settings, explainer)
    problems: list[str] = []
    loaded = {m: load_baseline(storage, m, settings, problems) for m in runnable}
    if problems:
        raise RunInputError(problems)
    model = None
    if explainer is not None and any(MONITORS[m].needs_model for m in runnable):
        log.info("explainability explains the %s", explainer.description)
        model = explainer.load()

    partials = {m: hooks_of(MONITORS[m]).partials(settings, loaded[m][1]) for m in runnable}
    windows = read_windows(storage, settings, partials)
    outcomes: list[MonitorOutcome] = []
    for monitor in settings.monitors:
        folder = execution_folder(
            settings.outputs[monitor], settings.endpoint, monitor, settings.scheduled_time
        )
        if monitor in skipped:
            summary = ExecutionSummary(
                monitor,
                settings.endpoint,
                settings.window,
                generated_at,
                SKIPPED,
                reason=show(skipped[monitor], name_setting),
            )
            summary.write(storage, folder)
            outcomes.append(MonitorOutcome(summary, folder))
            continue
        data = windows[monitor]
        files, baseline = loaded[monitor]
        base = ExecutionSummary(
            monitor,
            settings.endpoint,
            data.window,
            generated_at,
            COMPLETED,
            inputs=data.inputs(),
            input_problems=data.problems(),
            baseline=files.as_summary(),
        )
        inputs = MonitorInputs(settings, baseline, data, data.partials.get(monitor.value), model)
        outcomes.append(_run_monitor(storage, monitor, base, folder, inputs, name_setting))
    return ExecutionResult(settings, tuple(outcomes))


def _run_monitor(
    storage: Storage,
    monitor: MonitorType,
    base: ExecutionSummary,
    folder: str,
    inputs: MonitorInputs,
    name_setting: SettingNamer,
) -> MonitorOutcome:
    """Compute one monitor, write its files and summary; a failure is recorded, not raised."""
    try:
        computed = hooks_of(MONITORS[monitor]).finish(inputs)
    except NoData as no_data:
        summary = replace(base, status=FAILED, reason=show(str(no_data), name_setting))
        summary.write(storage, folder)
        return MonitorOutcome(summary, folder)
    except UserError as error:
        reason = "; ".join(show(problem, name_setting) for problem in error.problems)
        summary = replace(base, status=FAILED, reason=reason)
        summary.write(storage, folder)
        return MonitorOutcome(summary, folder, error)
    written = computed.write(storage, folder)
    summary = replace(
        base,
        status=COMPLETED_WITH_VIOLATIONS if computed.violations else COMPLETED,
        inputs={**base.inputs, **computed.inputs},
        violations=list(computed.violations),
        files=[split_location(location)[1] for location in written],
    )
    summary.write(storage, folder)
    log.info(
        "%s: %s, %d violations, written to %s",
        monitor.value,
        summary.status.value,
        len(computed.violations),
        folder,
    )
    return MonitorOutcome(summary, folder)
