"""A stage's deployment plan: what was found, what each monitor does and why, and what will be written.

Plans are computed for every stage before anything is written, printed (that is all ``--dry-run``
does), then applied. Rendering only reads the plan.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

from pipelines.deploy.backends import MonitoringBackend
from pipelines.deploy.baselines import BaselineSource
from pipelines.deploy.clarify import DerivedFile
from pipelines.deploy.registry import StagePackage
from pipelines.monitors import MonitorType
from pipelines.stage_export import StageExport


@dataclass(frozen=True, slots=True)
class MonitorPlan:
    """One monitor of one stage: on or off, and the reason in words."""

    monitor: MonitorType
    enabled: bool
    reason: str
    baseline_source: BaselineSource = BaselineSource.NONE
    # True when the monitor was asked for but cannot run (what --strict turns into an error).
    switched_off: bool = False


@dataclass(frozen=True, slots=True)
class StagePlan:
    stage_name: str
    config_source: str
    endpoint_name: str
    package: StagePackage
    monitors: tuple[MonitorPlan, ...]
    parameters: Mapping[str, str]
    tags: Mapping[str, str]
    writes: tuple[DerivedFile, ...] = ()
    warnings: tuple[str, ...] = ()
    export_path: str | None = None
    deploy_command: str = ""
    switched_off_lines: tuple[str, ...] = field(default=())
    backend: MonitoringBackend = MonitoringBackend.MODEL_MONITOR
    backend_source: str = "the template's default"

    def monitor(self, monitor: MonitorType) -> MonitorPlan:
        return next(plan for plan in self.monitors if plan.monitor is monitor)

    def template_configuration(self) -> dict[str, dict[str, str]]:
        """The CodePipeline template-configuration form of this stage's export."""
        return StageExport(self.parameters, self.tags).to_json()


def render_plan(plans: list[StagePlan], *, dry_run: bool) -> str:
    """The plan as text for a terminal or a CodeBuild log."""
    lines = [f"Monitoring deployment plan{' (dry run: nothing is written)' if dry_run else ''}"]
    for plan in plans:
        package = plan.package
        lines += [
            "",
            f"stage {plan.stage_name}  (config {plan.config_source})",
            f"  endpoint  {plan.endpoint_name}",
            f"  package   {package.package_arn}  [{package.source}, {package.approval_status}]",
        ]
        if package.deployed is not None:
            lines.append(
                f"  model     {package.deployed.model_name}  (package found via {package.deployed.reference})"
            )
        lines.append(f"  backend   {plan.backend}  (from {plan.backend_source})")
        lines.append("  monitors")
        for monitor in plan.monitors:
            state = "on " if monitor.enabled else "off"
            lines.append(f"    {monitor.monitor:<20} {state}  {monitor.reason}")
        for warning in plan.warnings:
            lines.append(f"  warning   {warning}")
        if plan.writes:
            lines.append("  writes" if not dry_run else "  would write")
            lines += [f"    {write.location}" for write in plan.writes]
        lines.append("  parameters")
        lines += [f"    {name} = {value}" for name, value in sorted(plan.parameters.items())]
        lines.append("  tags")
        lines += [f"    {name} = {value}" for name, value in sorted(plan.tags.items())]
        if plan.export_path:
            lines.append(f"  export    {plan.export_path}{' (not written: dry run)' if dry_run else ''}")
        if plan.deploy_command:
            lines.append(f"  deploy by hand: {plan.deploy_command}")
    return "\n".join(lines) + "\n"
