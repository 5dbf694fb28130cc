"""Error types shared by every command.

A ``UserError`` is a problem the user can fix (bad flag, bad config, missing file, malformed record).
It carries one line per problem, each naming the file/key/row, the bad value and what is allowed;
``pipelines.cli.run`` prints those lines and exits non-zero instead of showing a traceback.
Anything else is a bug or an outage and keeps its traceback.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import TypeVar

T = TypeVar("T")


class UserError(Exception):
    """One or more problems the user can fix, one line each."""

    exit_code = 2

    def __init__(self, problems: str | Iterable[str]) -> None:
        self.problems: tuple[str, ...] = (problems,) if isinstance(problems, str) else tuple(problems)
        if not self.problems:
            raise ValueError("UserError needs at least one problem")
        super().__init__("\n".join(self.problems))


def collect_problems(problems: list[str], make: Callable[[], T]) -> T | None:
    """``make()``, or None with its user error's lines added to ``problems`` (to report them all at once)."""
    try:
        return make()
    except UserError as error:
        problems.extend(error.problems)
        return None


class InvalidS3Uri(UserError):
    """A string that should be an ``s3://bucket/key`` URI and is not."""


class StorageError(UserError):
    """A file or S3 object that cannot be read (missing, not JSON, wrong shape)."""
