"""The fraud model behind an endpoint name: a ``RuntimeServer`` handler scoring and capturing like SageMaker.

What a request goes through, in SageMaker's order:

1. SageMaker's own checks (answered with 400 ``ValidationError``, the model never sees the request): a
   ``TargetVariant`` that is not one of the endpoint's variants, an ``InferenceId`` longer than 64 characters
   (https://docs.aws.amazon.com/sagemaker/latest/APIReference/API_runtime_InvokeEndpoint.html).
2. The model container: the body is decoded with the endpoint contract and scored. A body the container
   refuses (not JSON, not records, missing or mistyped columns, a content type other than JSON) is answered
   the way SageMaker relays a container's 4xx: 424 ``ModelError`` "Received client error (400) from primary
   with message ...", with ``OriginalStatusCode``. Like SageMaker's, that error is final (not retried).
3. Data capture of the successful invocation, sampled and encoded as the endpoint config says
   (``pipelines.sandbox.data_capture``), with the request's ``InferenceId`` in ``eventMetadata``.

A clock can be injected so that tests and the demo place traffic in chosen hours; by default the capture
time is when the server received the request.
"""

from __future__ import annotations

import random
import threading
import uuid
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, Protocol

from transaction_scoring import contract

from pipelines.capture import CapturedPayload, CaptureRecord
from pipelines.errors import UserError
from pipelines.sandbox.data_capture import CaptureMode, CaptureSettings, CaptureWriter
from pipelines.sandbox.runtime_server import EndpointFault, Invocation, InvocationResult
from pipelines.timewindow import as_utc

# InvokeEndpoint's InferenceId: 1 to 64 characters.
MAX_INFERENCE_ID_LENGTH = 64
DEFAULT_VARIANT = "AllTraffic"
_JSON_TYPES = ("application/json", "*/*", "application/*")

Clock = Callable[[], datetime]


class Predictor(Protocol):
    """What the endpoint needs from a model (``pipelines.model.FraudModel`` is one)."""

    def predict(self, records: Sequence[dict[str, Any]]) -> list[contract.Prediction]: ...


class ManualClock:
    """A clock the caller sets and advances (thread-safe): traffic lands in the hours it says."""

    def __init__(self, start: datetime) -> None:
        self._now = as_utc(start)
        self._lock = threading.Lock()

    def __call__(self) -> datetime:
        with self._lock:
            return self._now

    def set(self, moment: datetime) -> None:
        with self._lock:
            self._now = as_utc(moment)

    def advance(self, delta: timedelta) -> datetime:
        with self._lock:
            self._now += delta
            return self._now


@dataclass
class EndpointCounts:
    """What an endpoint did: requests scored, records scored, requests refused, requests captured."""

    requests: int = 0
    records: int = 0
    refused: int = 0
    captured: int = 0


class ModelEndpoint:
    """A ``runtime_server.Handler`` serving ``model`` as endpoint ``name``, capturing as configured."""

    def __init__(
        self,
        name: str,
        model: Predictor,
        *,
        variant_name: str = DEFAULT_VARIANT,
        capture_settings: CaptureSettings | None = None,
        capture_writer: CaptureWriter | None = None,
        clock: Clock | None = None,
        sampling_seed: int | None = None,
    ) -> None:
        capturing = capture_settings is not None and capture_settings.enabled
        if capturing and capture_writer is None:
            raise ValueError(f"endpoint {name}: capture is enabled, so a CaptureWriter is needed")
        self.name = name
        self.model = model
        self.variant_name = variant_name
        self.capture_settings = capture_settings if capturing else None
        self.capture_writer = capture_writer if capturing else None
        self._clock = clock
        self._sampler = random.Random(sampling_seed)
        self._counts = EndpointCounts()
        self._lock = threading.Lock()

    def __call__(self, invocation: Invocation) -> InvocationResult:
        self._check_request(invocation)
        try:
            body = self._score(invocation)
        except EndpointFault:
            self._count(refused=1)
            raise
        self._capture(invocation, body)
        return InvocationResult(
            body=body, content_type=contract.CONTENT_TYPE, invoked_variant=self.variant_name
        )

    # -- 1. SageMaker's checks ------------------------------------------------------------------------------
    def _check_request(self, invocation: Invocation) -> None:
        if invocation.target_variant is not None and invocation.target_variant != self.variant_name:
            self._count(refused=1)
            raise EndpointFault(
                400,
                "ValidationError",
                f"Variant {invocation.target_variant} not found for endpoint {self.name}: "
                f"its variants are {self.variant_name}",
            )
        if (
            invocation.inference_id is not None
            and not 1 <= len(invocation.inference_id) <= MAX_INFERENCE_ID_LENGTH
        ):
            self._count(refused=1)
            raise EndpointFault(
                400,
                "ValidationError",
                f"1 validation error detected: Value at 'inferenceId' failed to satisfy constraint: "
                f"Member must have length between 1 and {MAX_INFERENCE_ID_LENGTH} "
                f"(it has {len(invocation.inference_id)})",
            )

    # -- 2. the model container -----------------------------------------------------------------------------
    def _score(self, invocation: Invocation) -> bytes:
        content_type = invocation.content_type.split(";")[0].strip().lower()
        if content_type != contract.CONTENT_TYPE:
            raise _client_error(
                415,
                f"content type {invocation.content_type!r} is not supported: send {contract.CONTENT_TYPE}",
            )
        accept = invocation.accept.split(";")[0].strip().lower()
        if accept and accept not in _JSON_TYPES:
            raise _client_error(
                406, f"accept {invocation.accept!r} is not supported: this model answers JSON"
            )
        try:
            records = contract.decode_request(invocation.body)
            predictions = self.model.predict(records)
        except contract.ContractError as error:
            raise _client_error(400, str(error)) from None
        except UserError as error:  # e.g. FeatureInputError: a column missing or mistyped
            raise _client_error(400, "; ".join(error.problems)) from None
        self._count(requests=1, records=len(records))
        return contract.encode_response(predictions)

    # -- 3. data capture ------------------------------------------------------------------------------------
    def _capture(self, invocation: Invocation, response_body: bytes) -> None:
        settings, writer = self.capture_settings, self.capture_writer
        if settings is None or writer is None:
            return
        if self._sampler.random() * 100.0 >= settings.sampling_percentage:
            return
        record = CaptureRecord(
            endpoint_input=(
                CapturedPayload.encode(
                    invocation.body, invocation.content_type, dict(settings.text_content_types)
                )
                if CaptureMode.INPUT in settings.modes
                else None
            ),
            endpoint_output=(
                CapturedPayload.encode(
                    response_body, contract.CONTENT_TYPE, dict(settings.text_content_types)
                )
                if CaptureMode.OUTPUT in settings.modes
                else None
            ),
            event_id=str(uuid.uuid4()),
            inference_time=self._clock() if self._clock else invocation.received_at,
            inference_id=invocation.inference_id,
        )
        writer.add(record)
        self._count(captured=1)

    # -- counters -------------------------------------------------------------------------------------------
    def _count(self, *, requests: int = 0, records: int = 0, refused: int = 0, captured: int = 0) -> None:
        with self._lock:
            self._counts.requests += requests
            self._counts.records += records
            self._counts.refused += refused
            self._counts.captured += captured

    @property
    def counts(self) -> EndpointCounts:
        with self._lock:
            return EndpointCounts(**vars(self._counts))

    @property
    def capture_files(self) -> list[str]:
        """Every capture file this endpoint has written so far."""
        return self.capture_writer.files_written if self.capture_writer else []

    def flush(self) -> list[str]:
        """Write buffered capture records now; returns the files written."""
        return self.capture_writer.flush() if self.capture_writer else []

    def close(self) -> list[str]:
        """Stop background capture flushing and write what is buffered."""
        return self.capture_writer.close() if self.capture_writer else []


def _client_error(status: int, message: str) -> EndpointFault:
    """How SageMaker relays a 4xx answer of the model container: 424 ModelError with the original status."""
    return EndpointFault(
        424,
        "ModelError",
        f'Received client error ({status}) from primary with message "{message}". See the endpoint\'s logs.',
        {"OriginalStatusCode": status, "OriginalMessage": message},
    )
