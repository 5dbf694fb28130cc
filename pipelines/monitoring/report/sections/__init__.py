"""One schedule's ``SeriesSection``, built by its monitor's module; every builder has the same signature.

``build_section(series, baselines) -> SeriesSection`` in ``data_quality``, ``model_quality``, ``bias`` and
``explainability`` reads the schedule's executions (oldest first) and the baselines they were checked
against, and returns what the renderers show (``pipelines.monitoring.report.views``). ``common`` holds what
they share; ``violations`` serves any other registered monitor.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace

from pipelines.monitoring.report.results import Baselines, MonitorType
from pipelines.monitoring.report.sections import bias, data_quality, explainability, model_quality, violations
from pipelines.monitoring.report.sections.advice import advice_for
from pipelines.monitoring.report.views import Series, SeriesSection

SectionBuilder = Callable[[Series, Baselines], SeriesSection]

BUILDERS: dict[MonitorType, SectionBuilder] = {
    MonitorType.DATA_QUALITY: data_quality.build_section,
    MonitorType.MODEL_QUALITY: model_quality.build_section,
    MonitorType.MODEL_BIAS: bias.build_section,
    MonitorType.MODEL_EXPLAINABILITY: explainability.build_section,
}


def build_section(series: Series, baselines: Baselines) -> SeriesSection:
    """The views for one schedule, by its monitor type (any other monitor: its violations), with the line
    saying what its latest finding means (``advice``)."""
    section = BUILDERS.get(series.monitor, violations.build_section)(series, baselines)
    return replace(section, advice=advice_for(section))
