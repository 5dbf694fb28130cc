"""Deployment of the four Model Monitor schedules: stage configs -> registry baselines -> CloudFormation.

The library API (used by ``get_baselines_and_configs.py``, the sandbox and the tests):

- ``deploy(options, clients)`` runs the whole flow and returns the per-stage plans and what was written;
- ``DeployOptions`` / ``StageRequest`` / ``Clients`` describe a run;
- ``render_plan(plans, dry_run=...)`` prints plans.

Modules: ``stage_config`` (read/validate stage configs), ``template_parameters`` (the template's
constraints), ``schedule_rules`` (SageMaker's cron/runtime/name rules), ``registry`` (endpoint -> package),
``baselines`` (which baseline each monitor uses), ``clarify`` (bias/explainability files), ``preflight``
(data capture checks), ``image_uris`` (container images), ``plan`` and ``export`` (the outputs).
"""

from pipelines.deploy.flow import Clients, DeployOptions, DeployResult, StageRequest, deploy
from pipelines.deploy.plan import MonitorPlan, StagePlan, render_plan

__all__ = [
    "Clients",
    "DeployOptions",
    "DeployResult",
    "MonitorPlan",
    "StagePlan",
    "StageRequest",
    "deploy",
    "render_plan",
]
