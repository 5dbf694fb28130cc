"""Error types of the scoring function, one per failure kind.

They mirror ``pipelines.errors.UserError`` (one line per problem, naming the file/key/row, the bad value and
what is allowed) but live here because the Lambda package ships on its own, without ``pipelines``.
"""

from __future__ import annotations

from collections.abc import Iterable


class ScoringError(Exception):
    """One or more problems, one line each."""

    def __init__(self, problems: str | Iterable[str]) -> None:
        self.problems: tuple[str, ...] = (problems,) if isinstance(problems, str) else tuple(problems)
        if not self.problems:
            raise ValueError(f"{type(self).__name__} needs at least one problem")
        super().__init__("\n".join(self.problems))


class ConfigurationError(ScoringError):
    """An environment variable of the function has a value it cannot use."""


class EventError(ScoringError):
    """The invocation event is not an S3 event notification the function can act on."""


class HeaderError(ScoringError):
    """A file's header row lacks required columns (or repeats one): the whole file is rejected."""


class RowsFailed(ScoringError):
    """Rows could not be scored or stored after retries; raised so that Lambda retries the event."""
