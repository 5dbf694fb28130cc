"""The capture reader's prefetch: a producer thread one item ahead of the consumer."""

from __future__ import annotations

import threading
from collections.abc import Iterator

import pytest

from pipelines.monitoring.capture_reader.prefetch import prefetched


def test_items_arrive_in_order_and_are_produced_on_another_thread() -> None:
    producers: set[str] = set()

    def items() -> Iterator[int]:
        for i in range(5):
            producers.add(threading.current_thread().name)
            yield i

    assert list(prefetched(items(), name="producer")) == [0, 1, 2, 3, 4]
    assert producers == {"producer"}


def test_the_next_item_is_produced_while_the_consumer_holds_this_one() -> None:
    second_produced = threading.Event()

    def items() -> Iterator[int]:
        yield 1
        yield 2
        second_produced.set()
        yield 3

    consumer = prefetched(items())
    assert next(consumer) == 1
    assert second_produced.wait(timeout=10)
    consumer.close()


def test_the_producers_exception_is_raised_to_the_consumer_after_the_items_before_it() -> None:
    def items() -> Iterator[int]:
        yield 1
        raise LookupError("gone")

    consumer = prefetched(items())
    assert next(consumer) == 1
    with pytest.raises(LookupError, match="gone"):
        next(consumer)
