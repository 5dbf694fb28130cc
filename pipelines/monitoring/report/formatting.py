"""Number and time formatting shared by the terminal and HTML renderers (deterministic, locale-free)."""

from __future__ import annotations

import math
import re
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


# A decimal with more digits than a person reads (the files print doubles in full, as Java does).
_LONG_DECIMAL = re.compile(r"(?<![\w.])-?\d+\.\d{5,}(?:[eE][-+]?\d+)?(?![\w.])")


def readable(text: str, digits: int = 4) -> str:
    """``text`` with every long decimal rounded to ``digits`` significant digits, for reading
    ("0.21256068257915 was GreaterThanThreshold 0.18695..." -> "0.2126 ... 0.187"); the files keep them in
    full."""
    return _LONG_DECIMAL.sub(lambda match: number(float(match.group()), digits), text)


def plural(count: int, word: str, words: str | None = None) -> str:
    """``1 execution``, ``2 executions``."""
    return f"{count} {word if count == 1 else (words or word + 's')}"


def span(window: tuple[datetime, datetime] | None) -> str:
    """``2026-11-29 13:00 to 14:00`` (UTC), or ``-``."""
    if window is None:
        return "-"
    start, end = as_utc(window[0]), as_utc(window[1])
    shown_end = end.strftime("%H:%M") if start.date() == end.date() else hour(end)
    return f"{hour(start)} to {shown_end}"
