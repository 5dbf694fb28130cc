"""Produce the next item on a thread while the consumer works on the current one.

The capture reader's batches are mostly Arrow and polars work that runs without the GIL, so on two cores
the parsing of one batch overlaps with the consumer's Python work on the previous one (profiling).
"""

from __future__ import annotations

import queue
import threading
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from typing import TypeVar, cast

T = TypeVar("T")

_DONE = object()


@dataclass(frozen=True, slots=True)
class _Failed:
    error: BaseException


def prefetched(items: Iterable[T], *, name: str = "prefetch") -> Iterator[T]:
    """``items``, iterated on a thread one item ahead (at most one waits); its exceptions are re-raised here.

    Closing this generator early (the consumer stops) stops the thread at its next hand-over.
    """
    handoff: queue.Queue[object] = queue.Queue(maxsize=1)
    stop = threading.Event()

    def hand_over(item: object) -> bool:
        """Put ``item`` for the consumer; False once the consumer has gone away."""
        while not stop.is_set():
            try:
                handoff.put(item, timeout=0.1)
                return True
            except queue.Full:
                continue
        return False

    def produce() -> None:
        try:
            for item in items:
                if not hand_over(item):
                    return
            hand_over(_DONE)
        except BaseException as exc:  # noqa: BLE001 - handed to the consumer thread and re-raised there
            hand_over(_Failed(exc))

    worker = threading.Thread(target=produce, name=name, daemon=True)
    worker.start()
    try:
        while True:
            item = handoff.get()
            if item is _DONE:
                break
            if isinstance(item, _Failed):
                raise item.error
            yield cast(T, item)
    finally:
        stop.set()
        worker.join()
