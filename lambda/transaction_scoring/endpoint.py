"""Calling the fraud endpoint: one InvokeEndpoint request per batch of records, always with an InferenceId.

The request/response mapping is ``contract``'s; this module adds the transport (retries, errors as reasons).
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from transaction_scoring import contract
from transaction_scoring.retry import RETRIED_EXCEPTIONS, OutOfTime, RetryPolicy, describe

BATCH_INFERENCE_ID_PREFIX = "batch-"


def inference_id_for(transaction_ids: Sequence[str]) -> str:
    """The InferenceId of a request carrying these transactions.

    One record: the Transaction ID itself, so that SageMaker's model-quality monitor can join ground truth
    (uploaded with ``eventId`` = Transaction ID) to the request. Several records: ``batch-`` + a digest of the
    IDs. It is stable (the same records always get the same id, so a retried request is recognisable in data
    capture), and it is deliberately not any one Transaction ID: Model Monitor would otherwise join that
    transaction's label to a request holding many records and compute wrong metrics; with a digest it
    finds no label for the request instead, and our own monitors join on the IDs inside the records.
    """
    if len(transaction_ids) == 1:
        return transaction_ids[0]
    digest = hashlib.sha256("\n".join(transaction_ids).encode()).hexdigest()[:32]
    return f"{BATCH_INFERENCE_ID_PREFIX}{digest}"


@dataclass(frozen=True, slots=True)
class EndpointAnswer:
    """Predictions for a batch, in record order, and how the endpoint got there."""

    predictions: list[contract.Prediction]
    inference_id: str
    variant: str
    retries: int


class EndpointFailure(Exception):
    """The endpoint could not score a batch (non-retryable error, retries exhausted, or no time left)."""

    def __init__(self, reason: str, retries: int, requests: int = 1) -> None:
        super().__init__(reason)
        self.reason = reason
        self.retries = retries
        self.requests = requests  # 0 when no attempt could be started in time


def score_batch(
    client: Any,
    endpoint_name: str,
    records: Sequence[dict[str, Any]],
    transaction_ids: Sequence[str],
    policy: RetryPolicy,
) -> EndpointAnswer:
    """Score ``records`` in one request; raise ``EndpointFailure`` with a reason naming the endpoint."""
    body = contract.encode_request(records)
    inference_id = inference_id_for(transaction_ids)
    retries = 0

    def count_retry(_: Exception) -> None:
        nonlocal retries
        retries += 1

    def invoke() -> tuple[bytes, str]:
        response = client.invoke_endpoint(
            EndpointName=endpoint_name,
            Body=body,
            ContentType=contract.CONTENT_TYPE,
            Accept=contract.ACCEPT,
            InferenceId=inference_id,
        )
        # Read the body inside the retried call: a connection lost half-way is worth another attempt.
        return response["Body"].read(), response.get("InvokedProductionVariant", "")

    try:
        answer, variant = policy.call(invoke, on_retry=count_retry)
    except OutOfTime as error:
        raise EndpointFailure(f"endpoint {endpoint_name}: {error}", retries=0, requests=0) from error
    except RETRIED_EXCEPTIONS as error:
        last_attempt = (
            "" if retries + 1 >= policy.max_attempts or policy.time_for(0) else "; no time left for another"
        )
        raise EndpointFailure(
            f"endpoint {endpoint_name}: {describe(error)} (attempt {retries + 1} of {policy.max_attempts}"
            f"{last_attempt})",
            retries,
        ) from error
    try:
        predictions = contract.decode_response(answer, expected=len(records))
    except contract.ContractError as error:
        raise EndpointFailure(
            f"endpoint {endpoint_name} answered outside the contract: {error}", retries
        ) from error
    return EndpointAnswer(
        predictions=predictions, inference_id=inference_id, variant=variant, retries=retries
    )
