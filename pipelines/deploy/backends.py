"""The two monitoring backends a stage can deploy, and the choice between them.

- ``ModelMonitor``: SageMaker Model Monitor's job definitions and monitoring schedules (the template's
  original resources). AWS closed Model Monitor and Clarify processing jobs to new customers on 2026-07-30:
  an account created since cannot create these resources.
- ``Processing``: our portable monitors as SageMaker Processing jobs (open to every account), started by
  EventBridge Scheduler through a Step Functions state machine (``pipelines.deploy.processing``,
  ``pipelines.processing``).

The stage config key (and template parameter) ``MonitoringBackend`` chooses; the template's default keeps
``ModelMonitor``, so an existing stage config without the key deploys what it deployed before.
"""

from __future__ import annotations

from enum import StrEnum

BACKEND_PARAMETER = "MonitoringBackend"


class MonitoringBackend(StrEnum):
    """The values of the ``MonitoringBackend`` template parameter."""

    MODEL_MONITOR = "ModelMonitor"
    PROCESSING = "Processing"
