"""Failure kinds of the data-quality monitor (each a ``UserError``: one line per problem)."""

from __future__ import annotations

from pipelines.errors import UserError
from pipelines.monitoring.dataset_reader import DatasetReadError


class StatisticsFormatError(UserError):
    """A ``statistics.json`` that is not in Model Monitor's format."""


class ConstraintsFormatError(UserError):
    """A ``constraints.json`` that is not in Model Monitor's format, or asks for something unsupported."""


__all__ = ["ConstraintsFormatError", "DatasetReadError", "StatisticsFormatError"]
