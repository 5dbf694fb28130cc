"""Retrying AWS calls that were throttled or hit a transient server error, with capped exponential backoff.

The function's clients are built with botocore's own retries switched off (``clients.py``), so this is the one
retry layer: attempts and delays come from the function's settings (tests use millisecond delays), and the
attempts of two layers never multiply. Delays follow "full jitter" from
https://aws.amazon.com/builders-library/timeouts-retries-and-backoff-with-jitter/ .

A policy can carry a *deadline* (issue 13, "deadline overrun"): an attempt is only started when it can end
before the deadline (each attempt lasts at most ``attempt_s``, the client's timeout), and no backoff sleeps
past it. Without one, a hanging endpoint held an invocation for 70 s x attempts, and Lambda killed it with
nothing written.
"""

from __future__ import annotations

import random
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field, replace
from typing import TypeVar

from botocore.exceptions import (
    ClientError,
    ConnectionClosedError,
    ConnectTimeoutError,
    EndpointConnectionError,
    ReadTimeoutError,
)

T = TypeVar("T")


class OutOfTime(Exception):
    """No attempt could be started: it would not end before the invocation's deadline."""

    def __init__(self, what: str = "") -> None:
        super().__init__(f"no time left before the Lambda timeout{f' for {what}' if what else ''}")


# Error codes that mean "try again later" (throttling, capacity, transient service faults), across the
# services we call. Status codes 500/502/503/504 are retried whatever their code.
# https://docs.aws.amazon.com/sagemaker/latest/APIReference/API_runtime_InvokeEndpoint.html#API_runtime_InvokeEndpoint_Errors
# https://docs.aws.amazon.com/amazondynamodb/latest/developerguide/Programming.Errors.html#Programming.Errors.MessagesAndCodes
RETRYABLE_ERROR_CODES = frozenset(
    {
        "ThrottlingException",
        "Throttling",
        "ThrottledException",
        "TooManyRequestsException",
        "RequestLimitExceeded",
        "ProvisionedThroughputExceededException",
        "TransactionInProgressException",
        "ServiceUnavailable",
        "InternalFailure",
        "InternalServerError",
        "InternalDependencyException",
        "ModelNotReadyException",
        "SlowDown",
        "RequestTimeout",
        "RequestTimeoutException",
    }
)
RETRYABLE_STATUS_CODES = frozenset({429, 500, 502, 503, 504})
# Network-level failures where the request may not have reached the service: worth another attempt.
TRANSIENT_EXCEPTIONS: tuple[type[Exception], ...] = (
    EndpointConnectionError,
    ConnectionClosedError,
    ConnectTimeoutError,
    ReadTimeoutError,
)
# What a retried call may raise: a service's error answer, or a transient connection failure.
RETRIED_EXCEPTIONS: tuple[type[Exception], ...] = (ClientError, *TRANSIENT_EXCEPTIONS)


# What a call that gave up raises: the service's answer, a network failure, or no time for an attempt.
GAVE_UP: tuple[type[Exception], ...] = (ClientError, OutOfTime, *TRANSIENT_EXCEPTIONS)


def is_retryable(error: Exception) -> bool:
    """True for throttling, 5xx and connection failures; False for anything a retry cannot fix."""
    if isinstance(error, TRANSIENT_EXCEPTIONS):
        return True
    if isinstance(error, ClientError):
        code = error.response.get("Error", {}).get("Code", "")
        status = error.response.get("ResponseMetadata", {}).get("HTTPStatusCode")
        return code in RETRYABLE_ERROR_CODES or status in RETRYABLE_STATUS_CODES
    return False


def describe(error: Exception) -> str:
    """``Code: message`` of an AWS error, or the exception's type and text."""
    if isinstance(error, ClientError):
        details = error.response.get("Error", {})
        return f"{details.get('Code', 'Unknown')}: {details.get('Message', '')}".rstrip(": ")
    return f"{type(error).__name__}: {error}"


@dataclass(frozen=True, slots=True)
class RetryPolicy:
    """How many attempts, and how long to wait between them."""

    max_attempts: int = 5
    base_delay_s: float = 0.1
    max_delay_s: float = 5.0
    sleep: Callable[[float], None] = field(default=time.sleep, compare=False)
    uniform: Callable[[float, float], float] = field(default=random.uniform, compare=False)
    # When set: ``clock()`` value after which no attempt may still be running, and the longest an attempt
    # takes (the client's connect + read timeout).
    deadline: float | None = None
    attempt_s: float = 0.0
    clock: Callable[[], float] = field(default=time.monotonic, compare=False)

    def with_deadline(self, deadline: float, attempt_s: float) -> RetryPolicy:
        return replace(self, deadline=deadline, attempt_s=attempt_s)

    def time_for(self, seconds: float) -> bool:
        """Whether ``seconds`` of waiting plus one attempt still end before the deadline."""
        return self.deadline is None or self.clock() + seconds + self.attempt_s <= self.deadline

    def delays(self) -> Iterator[float]:
        """The wait before each retry (one fewer than the attempts): full jitter on a doubling cap."""
        for retry in range(self.max_attempts - 1):
            yield self.uniform(0.0, min(self.max_delay_s, self.base_delay_s * 2**retry))

    def call(
        self,
        operation: Callable[[], T],
        *,
        retryable: Callable[[Exception], bool] = is_retryable,
        on_retry: Callable[[Exception], None] | None = None,
    ) -> T:
        """``operation()``, retried while it raises a retryable error; the last error is raised as is.

        Raises ``OutOfTime`` instead of starting a first attempt that could not end before the deadline; a
        retry that could not is not started (the last error is raised).
        """
        if not self.time_for(0.0):
            raise OutOfTime()
        delays = self.delays()
        while True:
            try:
                return operation()
            except RETRIED_EXCEPTIONS as error:
                delay = next(delays, None)
                if delay is None or not retryable(error) or not self.time_for(delay):
                    raise
                if on_retry is not None:
                    on_retry(error)
                self.sleep(delay)
