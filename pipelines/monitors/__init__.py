"""One definition per monitor (``MonitorDefinition``) and the registry every part of the project reads.

The lowest layer of the monitors' code: it imports nothing of ``pipelines.deploy``,
``pipelines.monitoring`` or ``pipelines.sandbox``, which all import it (layers in ``.importlinter``).
"""

from pipelines.monitors.definition import BaselineFile, BaselineFileSpec, MonitorDefinition, MonitorType
from pipelines.monitors.registry import MONITORS, MonitorRegistry

# The template's values of Enable{Type}Monitor.
ENABLED = "yes"
DISABLED = "no"

__all__ = [
    "DISABLED",
    "ENABLED",
    "MONITORS",
    "BaselineFile",
    "BaselineFileSpec",
    "MonitorDefinition",
    "MonitorRegistry",
    "MonitorType",
]
