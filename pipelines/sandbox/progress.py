"""Named, numbered steps with timings: how the sandbox shows what it is doing.

``Progress`` prints ``[3/9] Train model v1 ... done in 0.6 s`` lines (or nothing, for tests); a step that
fails is marked ``failed`` and its exception goes on unchanged.
"""

from __future__ import annotations

import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import TextIO


@dataclass(frozen=True, slots=True)
class StepTiming:
    name: str
    seconds: float
    ok: bool


@dataclass
class Progress:
    """Prints each step as it starts and ends; ``stream=None`` keeps quiet but still records timings."""

    stream: TextIO | None = field(default_factory=lambda: sys.stdout)
    total: int | None = None
    steps: list[StepTiming] = field(default_factory=list)
    _line_open: bool = field(default=False, repr=False)

    @contextmanager
    def step(self, name: str) -> Iterator[None]:
        number = len(self.steps) + 1
        counter = f"[{number}/{self.total}]" if self.total else f"[{number}]"
        self._write(f"{counter} {name} ... ")
        self._line_open = True
        started = time.perf_counter()
        try:
            yield
        except BaseException:
            elapsed = time.perf_counter() - started
            self.steps.append(StepTiming(name, elapsed, ok=False))
            self._end(f"failed after {elapsed:.1f} s")
            raise
        elapsed = time.perf_counter() - started
        self.steps.append(StepTiming(name, elapsed, ok=True))
        self._end(f"done in {elapsed:.1f} s")

    def note(self, text: str) -> None:
        """An indented detail line under the current step."""
        if self._line_open:
            self._write("\n")
            self._line_open = False
        self._write(f"      {text}\n")

    def _end(self, text: str) -> None:
        self._write(f"{text}\n" if self._line_open else f"      {text}\n")
        self._line_open = False

    def _write(self, text: str) -> None:
        if self.stream is not None:
            self.stream.write(text)
            self.stream.flush()


def quiet() -> Progress:
    return Progress(stream=None)
