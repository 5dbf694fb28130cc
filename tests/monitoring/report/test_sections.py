"""The per-monitor section builders: one per monitor type, all called the same way."""

from __future__ import annotations

import inspect

from pipelines.monitoring.report.sections import BUILDERS, build_section
from pipelines.monitors import MONITORS


def test_every_monitor_type_has_a_section_builder() -> None:
    # Model Monitor's four types; a registered monitor of ours alone gets the violations section.
    assert set(BUILDERS) == {monitor.type for monitor in MONITORS.model_monitor()}


def test_every_section_builder_has_the_signature_of_build_section() -> None:
    expected = inspect.signature(build_section)
    for monitor, builder in BUILDERS.items():
        assert inspect.signature(builder) == expected, monitor
