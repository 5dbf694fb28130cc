"""Number and time formatting shared by the terminal and HTML renderers (deterministic, locale-free)."""

from __future__ import annotations

import math
from datetime import datetime

from pipelines.timewindow import as_utc


def number(value: float | None, digits: int = 4) -> str:
    """``value`` with ``digits`` significant digits; ``-`` when there is none."""
    if value is None:
        return "-"
    if math.isnan(value):
        return "NaN"
    if math.isinf(value):
        return "inf" if value > 0 else "-inf"
    if value == 0:
        return "0"
    text = f"{value:.{digits}g}"
    return text.replace("e+0", "e+").replace("e-0", "e-")


def percent(value: float | None) -> str:
    return "-" if value is None else f"{value:.1%}"


def hour(moment: datetime | None) -> str:
    """``2026-11-29 13:00`` (UTC), or ``-``."""
    return "-" if moment is None else as_utc(moment).strftime("%Y-%m-%d %H:%M")


def short_hour(moment: datetime | None) -> str:
    """``11-29 13h``: axis labels."""
    return "-" if moment is None else as_utc(moment).strftime("%m-%d %Hh")
